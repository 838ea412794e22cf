"""Import direction between blindcopy's top-level packages (DESIGN.md §1), checked on the AST.

Every `import x` / `from x import y` anywhere in a module counts, including imports inside
functions and `if TYPE_CHECKING:` blocks: a type-only import is still a dependency.
Relative imports stay inside their own package. Packages not present yet are skipped.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INTERNAL = frozenset({"blindcopy", "smtp_gateway", "api", "rules", "store", "processing",
                      "parsing", "sender_auth", "metrics", "config"})
# DESIGN.md §1: which internal packages each package may import (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    "rules": frozenset(),
    "parsing": frozenset(),
    "sender_auth": frozenset({"parsing"}),
    # "store → nothing above it": it may use the pure bottom layers (store/snapshot.py builds
    # rules.DirectorySnapshot), not sender_auth, processing, smtp_gateway, api or blindcopy.
    "store": frozenset({"rules", "parsing"}),
    # metrics/ is a leaf of in-process counters that the edges and the workers update.
    "metrics": frozenset(),
    # config/ holds the one Settings value (DESIGN.md §8): a leaf the composition root builds
    # and the edges read, passed to them explicitly.
    "config": frozenset(),
    "processing": frozenset({"parsing", "sender_auth", "rules", "store", "metrics"}),
    "smtp_gateway": frozenset({"store", "metrics", "config"}),
    "api": frozenset({"processing", "store", "rules", "metrics", "config"}),
    "blindcopy": INTERNAL,
}


def imported_packages(source: str) -> set[str]:
    """Return the top-level packages of every absolute import in the source."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.partition(".")[0])
    return found


def import_violations(root: Path, package: str) -> list[str]:
    """Return 'path imports package' for every forbidden internal import in a package."""
    forbidden = INTERNAL - ALLOWED[package] - {package}
    return [
        f"{path.relative_to(root)} imports {name}"
        for path in sorted((root / package).rglob("*.py"))
        for name in sorted(imported_packages(path.read_text(encoding="utf-8")) & forbidden)
    ]


def test_every_internal_package_has_a_rule() -> None:
    assert set(ALLOWED) == INTERNAL


@pytest.mark.parametrize("package", sorted(INTERNAL))
def test_package_imports_follow_design(package: str) -> None:
    if not (ROOT / package).is_dir():
        pytest.skip(f"{package}/ does not exist in this tree yet")

    assert import_violations(ROOT, package) == [], (
        f"{package} may import only {sorted(ALLOWED[package]) or 'nothing internal'} "
        "(DESIGN.md §1)")


def test_checker_catches_nested_type_only_and_dotted_imports(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bad.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import facts\n"
        "import rules.facts\n"
        "if TYPE_CHECKING:\n"
        "    from store.models import Contact\n"
        "def load() -> None:\n"
        "    import parsing.message, json\n",
        encoding="utf-8")

    assert import_violations(tmp_path, "rules") == [
        "rules/bad.py imports parsing", "rules/bad.py imports store"]

"""No product module uses a library's private (underscore) names (issue 20), checked on the AST.

A library's private names change without notice in any release. Flagged, in every product
package:

- `x._name` on anything but `self` / `cls` (a library object, or another module's
  internals), `super()._name` included;
- `self._name` inside a class derived from a library class, unless that class defines the
  name itself (a method, or an assignment to `self._name`): the library's private state
  and hooks;
- `getattr` / `setattr` / `hasattr` / `delattr` with an underscore name;
- importing a module with an underscore component (`re._parser`).

`KNOWN` lists the uses still left, each with what keeps it; the test fails on any other,
and on a listed one that is gone (so the list only shrinks).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.unit.test_architecture import INTERNAL, ROOT

# (path, name): mail-parser-reply run piece-wise on its own regexes (parsing/reply_headers.py)
# needs the regexes' parse trees and the library's per-language pieces; run plainly the
# library takes 8-20x longer per preview (77 ms for a 10 KB body).
KNOWN = {
    ("parsing/regex_shapes.py", "re._constants"),
    ("parsing/regex_shapes.py", "re._parser"),
    ("parsing/reply_headers.py", "_get_language_regex"),
}
# Names a class may use on `self` whatever its bases: Python's own protocol names.
_OWN = ("__",)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith(_OWN)


def _library_names(tree: ast.Module) -> set[str]:
    """Return the names this module binds by importing from outside the product."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.partition(".")[0] not in INTERNAL \
                and node.module not in ("__future__", "typing", "typing_extensions"):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).partition(".")[0] for alias in node.names
                         if alias.name.partition(".")[0] not in INTERNAL)
    return names


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _uses_of_inherited(cls: ast.ClassDef) -> list[ast.Attribute]:
    """Return the `self._x` of a class for names it does not define itself."""
    own = {node.name for node in cls.body
           if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    selfs = [node for node in ast.walk(cls) if isinstance(node, ast.Attribute)
             and isinstance(node.value, ast.Name) and node.value.id == "self"]
    own.update(node.attr for node in selfs if isinstance(node.ctx, ast.Store))
    return [node for node in selfs if node.attr not in own]


def private_uses(source: str) -> list[tuple[int, str]]:
    """Return (line, name) of every private name of another's this source uses."""
    tree = ast.parse(source)
    library = _library_names(tree)
    found: list[tuple[int, str]] = []
    inherited: set[ast.AST] = set()  # `self._x` nodes of derived classes, for names not theirs
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(_root_name(base) in library
                                                  for base in node.bases):
            inherited.update(_uses_of_inherited(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not on_self or node in inherited:
                found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "setattr", "hasattr", "delattr") \
                and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                and isinstance(node.args[1].value, str) and _private(node.args[1].value):
            found.append((node.lineno, node.args[1].value))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names
                      if any(_private(part) for part in alias.name.split("."))]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and any(_private(part) for part in node.module.split(".")):
            found.append((node.lineno, node.module))
    return found


def product_uses() -> set[tuple[str, str]]:
    """Return (path, name) of every private-name use in the product packages."""
    return {
        (str(path.relative_to(ROOT)), name)
        for package in sorted(INTERNAL) if (ROOT / package).is_dir()
        for path in sorted((ROOT / package).rglob("*.py"))
        for _line, name in private_uses(path.read_text(encoding="utf-8"))
    }


def test_no_product_module_uses_a_private_name_of_another() -> None:
    uses = product_uses()
    assert uses - KNOWN == set(), "private names of a library (or of another module) used"
    assert KNOWN - uses == set(), "a known use is gone: take it off KNOWN"


def test_checker_finds_each_kind_of_private_use() -> None:
    source = (
        "import re._parser\n"
        "from aiosmtpd.smtp import SMTP\n"
        "class Gateway(SMTP):\n"
        "    def connection_lost(self, exc):\n"
        "        self._timeout_handle.cancel()\n"
        "        self._counted = False\n"
        "        super()._timeout_cb()\n"
        "        getattr(self, '_handler_coroutine', None)\n"
        "class Own:\n"
        "    def go(self, other):\n"
        "        self._mine = other._theirs\n"
    )
    assert sorted(private_uses(source)) == [
        (1, "re._parser"), (5, "_timeout_handle"), (7, "_timeout_cb"),
        (8, "_handler_coroutine"), (11, "_theirs")]

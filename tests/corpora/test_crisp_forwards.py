"""Crisp's email-forward-parser expectations (206 cases) against parse_inline_forward.

Each case is one level of forward, as in Crisp's own tests: the original's body may still
contain further forwards. Bodies are compared after trimming whitespace and byte-order
marks (JavaScript's trim() removes both). Crisp's expected dates are localized strings it
does not compare; every case that has one must give a date read into an instant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from parsing import Address, parse_inline_forward
from parsing.forwarded import original_date

REQUIRED_PASSES = 200
_TRIM = "\ufeff \n\t"


def _mailboxes(expected: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [((item["address"] or "").lower(), item["name"] or "") for item in expected]


def _pairs(addresses: tuple[Address, ...]) -> list[tuple[str, str]]:
    return [(address.address, address.display_name) for address in addresses]


def _mismatches(case: dict[str, Any], root: Path) -> list[str]:
    body = (root / case["body_file"]).read_text(encoding="utf-8")
    subject_file = case["subject_file"]
    subject = (root / subject_file).read_text(encoding="utf-8") if subject_file else ""
    found, expected = parse_inline_forward(body, subject), case["expected"]
    if (found is not None) != expected["forwarded"]:
        return ["forwarded"]
    if found is None:
        return []
    problems = [
        key
        for key in ("subject", "body")
        if key in expected and getattr(found, key).strip(_TRIM) != expected[key].strip(_TRIM)
    ]
    if "date" in expected and original_date(found.date, None) is None:
        problems.append("date")
    if "from" in expected:
        author = found.from_ or Address("")
        if (author.address, author.display_name) != _mailboxes([expected["from"]])[0]:
            problems.append("from")
    if "to" in expected and _pairs(found.to) != _mailboxes(expected["to"]):
        problems.append("to")
    prefix = _mailboxes(expected.get("to_prefix", []))
    if _pairs(found.to)[: len(prefix)] != prefix:
        problems.append("to_prefix")
    if "cc" in expected and _pairs(found.cc) != _mailboxes(expected["cc"]):
        problems.append("cc")
    if "message" in expected and found.note != (expected["message"] or ""):
        problems.append("message")
    return problems


def test_crisp_manifest_cases_pass(corpora: Path) -> None:
    root = corpora / "crisp-email-forward-parser"
    cases = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["cases"]
    failures = {case["body_file"]: _mismatches(case, root) for case in cases}
    failures = {name: problems for name, problems in failures.items() if problems}
    passed = len(cases) - len(failures)
    print(f"crisp forwards: {passed}/{len(cases)} pass")
    assert len(cases) == 206
    assert passed >= REQUIRED_PASSES, failures


def test_every_dated_case_gives_its_date(corpora: Path) -> None:
    root = corpora / "crisp-email-forward-parser"
    cases = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["cases"]
    dated = [case for case in cases if "date" in case["expected"]]
    unread = [case["body_file"] for case in dated if "date" in _mismatches(case, root)]
    print(f"crisp forwards: {len(dated) - len(unread)}/{len(dated)} dates read")
    assert len(dated) == 196
    assert unread == []

"""The rule table and its generated catalogue: docs/rules.md, names, modules, reasons."""

from __future__ import annotations

import re
from pathlib import Path

import rules
from rules import policy
from rules.catalog import REGENERATE, module_path, render_rules_markdown
from rules.evaluation import Rule
from rules.facts import LoggingMode, SenderAuthFacts
from rules.reasons import TEMPLATES, Reason
from tests.unit.rules.builders import (
    ACME_FWD,
    a_capture,
    a_log_capture,
    a_message,
    a_snapshot,
    a_sync_capture,
    a_user,
    decide_now,
)

ROOT = Path(__file__).resolve().parents[3]
RULES_DIR = ROOT / "rules"
TESTS_DIR = Path(__file__).resolve().parent
# Modules of the engine itself, not rules.
INFRASTRUCTURE = {"__init__", "facts", "decision", "reasons", "evaluation", "policy",
                  "engine", "catalog"}
# Documented exceptions to name/class/module triple consistency (DESIGN §4):
# - logging-mode's class is LoggingModeRule because LoggingMode is the facts enum of the
#   per-project setting, imported by logging_mode.py and exported from rules/__init__.py.
# - capture.py holds both SPEC §4.1 rules (DESIGN §1 layout: "capture.py  §4.1 who captured
#   it, candidate projects, bcc→forward promotion").
CLASS_EXCEPTIONS = {"logging-mode": "LoggingModeRule"}
MODULE_EXCEPTIONS = {"channel-promotion": "capture", "capturing-user": "capture"}


def kebab_to_class(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def test_docs_rules_md_is_up_to_date() -> None:
    document = ROOT / "docs" / "rules.md"
    current = document.read_text(encoding="utf-8") if document.exists() else ""

    assert current == render_rules_markdown(), (
        f"docs/rules.md is out of date with the rule table; regenerate it with `{REGENERATE}`")


def test_rule_names_are_unique_and_kebab_case() -> None:
    names = [rule.name for rule in policy.all_rules()]

    assert len(names) == len(set(names)), names
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", name) for name in names), names


def test_every_rule_module_is_in_the_table() -> None:
    modules = {path.stem for path in RULES_DIR.glob("*.py")} - INFRASTRUCTURE
    in_table = {module_path(rule).removeprefix("rules/").removesuffix(".py")
                for rule in policy.all_rules()}

    assert modules == in_table


def test_name_class_and_module_are_consistent() -> None:
    for rule in policy.all_rules():
        expected_class = CLASS_EXCEPTIONS.get(rule.name, kebab_to_class(rule.name))
        expected_module = MODULE_EXCEPTIONS.get(rule.name, rule.name.replace("-", "_"))

        assert type(rule).__name__ == expected_class, rule.name
        assert module_path(rule) == f"rules/{expected_module}.py", rule.name
        assert (TESTS_DIR / f"test_{expected_module}.py").exists(), rule.name


def test_logging_mode_class_name_exception_still_needed() -> None:
    assert rules.LoggingMode is LoggingMode
    assert "LoggingModeRule" not in rules.__all__


def test_rules_declare_metadata() -> None:
    for rule in policy.all_rules():
        assert rule.description.endswith("."), rule.name
        assert re.fullmatch(r"(4|9|1[0-4])(\.\d+)*", rule.spec), rule.name
        assert rule.reasons, rule.name


def test_every_reason_is_declared_by_exactly_one_rule() -> None:
    declared = [reason for rule in policy.all_rules() for reason in rule.reasons]

    assert sorted(declared) == sorted(Reason)


def test_every_reason_has_a_template_and_snake_case_code() -> None:
    assert set(TEMPLATES) == set(Reason)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", str(reason)) for reason in Reason)


def test_findings_give_only_reasons_their_rule_declares() -> None:
    by_name: dict[str, Rule] = {rule.name: rule for rule in policy.all_rules()}
    decisions = [
        decide_now(),
        decide_now(capture=a_capture(sender_auth=SenderAuthFacts())),
        decide_now(a_message(to=[ACME_FWD]), a_capture(envelope_recipients=[ACME_FWD])),
        decide_now(a_message(from_="bob@client.test", to=["alice@acme.test"]),
                   a_log_capture("u-dan"),
                   a_snapshot(users=[a_user(), a_user("u-dan", email="dan@acme.test",
                                                      project_ids=())])),
        decide_now(capture=a_sync_capture("mb-unknown")),
    ]

    for decision in decisions:
        for finding in decision.trace:
            assert finding.reason in by_name[finding.rule].reasons, str(finding)

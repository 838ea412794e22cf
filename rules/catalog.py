"""Render docs/rules.md from the rule table: every rule, its SPEC clause and its reasons.

`render_rules_markdown()` is pure. Regenerate the document with
`python -m rules.catalog > docs/rules.md`; a test fails when it is out of date.
"""

from __future__ import annotations

import sys

from rules import policy
from rules.decision import RULES_VERSION
from rules.evaluation import Rule

REGENERATE = "python -m rules.catalog > docs/rules.md"
_HEADER = ("Generated from the rule table in `rules/policy.py` (rules version {version}); "
           f"do not edit by hand. Regenerate with `{REGENERATE}`.")
_ORDER = ("Rules run in this order (SPEC §4): capture, message-level rules (the first fail "
          "stops the message in that project), the contact side, per-address rules for every "
          "contact-side address × candidate project, the project choice, attribution, and "
          "for each logged interaction its associations (SPEC §12: company, then deals). "
          "Each records a finding with a verdict (`pass`, `fail`, `skip`), a reason code and "
          "the sentence below with the concrete names filled in.")


def module_path(rule: Rule) -> str:
    """Return the repository path of the module that defines the rule's class."""
    return type(rule).__module__.replace(".", "/") + ".py"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _summary(rules: tuple[Rule, ...]) -> list[str]:
    lines = ["| # | rule | class | module | SPEC | description |",
             "| --- | --- | --- | --- | --- | --- |"]
    for number, rule in enumerate(rules, start=1):
        lines.append(f"| {number} | [`{rule.name}`](#{rule.name}) | `{type(rule).__name__}` | "
                     f"`{module_path(rule)}` | §{rule.spec} | {_cell(rule.description)} |")
    return lines


def _section(rule: Rule) -> list[str]:
    lines = ["", f"## {rule.name}", "",
             f"`{type(rule).__name__}` in `{module_path(rule)}` · SPEC §{rule.spec}", "",
             rule.description, "", "| reason | sentence |", "| --- | --- |"]
    lines += [f"| `{reason}` | {_cell(reason.template)} |" for reason in rule.reasons]
    return lines


def render_rules_markdown() -> str:
    """Return docs/rules.md: the ordered rule table and each rule's reason codes."""
    rules = policy.all_rules()
    lines = ["# Logging rules", "", _HEADER.format(version=RULES_VERSION), "", _ORDER, ""]
    lines += _summary(rules)
    for rule in rules:
        lines += _section(rule)
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write the rendered document to standard output."""
    sys.stdout.write(render_rules_markdown())


if __name__ == "__main__":
    main()

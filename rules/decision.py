"""Frozen outputs of the rules: findings, outcomes and the decision (serialisable to JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from rules.reasons import WARNINGS, Reason

RULES_VERSION = "2026.12.2"


class Verdict(StrEnum):
    """What a rule concluded."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


class Effect(StrEnum):
    """What a failing rule does to the message or address."""

    NONE = "none"
    NOT_LOGGED = "not_logged"
    QUARANTINED = "quarantined"
    PENDING = "pending"


class OutcomeStatus(StrEnum):
    """Where one (address, project) ended up."""

    LOGGED = "logged"
    PENDING = "pending"
    NOT_LOGGED = "not_logged"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's conclusion, with its reason and the sentence that explains it."""

    rule: str
    verdict: Verdict
    reason: Reason
    detail: str
    effect: Effect = Effect.NONE
    address: str | None = None
    project_id: str | None = None

    @classmethod
    def make(
        cls, rule: str, verdict: Verdict, reason: Reason, *, effect: Effect = Effect.NONE,
        address: str | None = None, project_id: str | None = None, **values: str,
    ) -> Finding:
        """Build a finding, rendering the reason's sentence from `values`."""
        if address is not None:
            values.setdefault("address", address)
        detail = reason.render(**values)
        return cls(rule, verdict, reason, detail, effect, address, project_id)

    def __str__(self) -> str:
        return f"{self.rule}: {self.verdict} ({self.reason}) {self.detail}"

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used in the API trace."""
        return {
            "rule": self.rule, "verdict": str(self.verdict), "reason": str(self.reason),
            "detail": self.detail, "effect": str(self.effect), "address": self.address,
            "project_id": self.project_id,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where one contact-side address ended up in one project, and why."""

    address: str
    project_id: str | None
    status: OutcomeStatus
    reason: Reason
    detail: str
    rule: str
    contact_id: str | None = None
    user_id: str | None = None
    interaction_type: str = "Email"
    create_contact: bool = False
    # What a logged interaction is also filed under (SPEC §12 associations).
    company_ids: tuple[str, ...] = ()
    deal_ids: tuple[str, ...] = ()

    def sort_key(self) -> tuple[str, str, str]:
        """Order outcomes deterministically."""
        return (self.address, self.project_id or "", self.contact_id or "")

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used in decisions."""
        return {
            "address": self.address, "project_id": self.project_id,
            "contact_id": self.contact_id, "status": str(self.status),
            "reason": str(self.reason), "detail": self.detail, "rule": self.rule,
            "user_id": self.user_id, "interaction_type": self.interaction_type,
            "create_contact": self.create_contact,
            "company_ids": list(self.company_ids), "deal_ids": list(self.deal_ids),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The full record of one message's evaluation: outcomes plus every finding."""

    channel: str
    message_id: str
    user_id: str | None
    outcomes: tuple[Outcome, ...]
    trace: tuple[Finding, ...]
    decided_at: datetime
    quarantine_reason: Reason | None = None
    logged_original: bool = False
    # Whether the logged forwarded original is proved by its own DKIM signature (SPEC §9);
    # None when the decision logs no original.
    original_verified: bool | None = None
    rules_version: str = field(default=RULES_VERSION)

    @property
    def is_quarantined(self) -> bool:
        """Tell whether sender authentication quarantined the message."""
        return self.quarantine_reason is not None

    @property
    def warnings(self) -> tuple[str, ...]:
        """Return the codes of the warnings in the trace (e.g. `message_id_reused`)."""
        return tuple(dict.fromkeys(str(f.reason) for f in self.trace if f.reason in WARNINGS))

    @property
    def is_pending(self) -> bool:
        """Tell whether some address waits for a thread assignment."""
        return any(o.status is OutcomeStatus.PENDING for o in self.outcomes)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON stored on the message and returned by the API."""
        return {
            "channel": self.channel, "message_id": self.message_id, "user_id": self.user_id,
            "outcomes": [o.to_json() for o in self.outcomes],
            "trace": [f.to_json() for f in self.trace],
            "quarantine_reason": str(self.quarantine_reason) if self.quarantine_reason else None,
            "logged_original": self.logged_original, "warnings": list(self.warnings),
            "original_verified": self.original_verified,
            "decided_at": self.decided_at.isoformat(), "rules_version": self.rules_version,
        }

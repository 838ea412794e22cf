"""The logging rules (SPEC §4): pure decision code; no I/O, no clock, no settings.

Imports nothing from blindcopy outside rules/. `decide()` is the public entry point.
"""

from rules.decision import RULES_VERSION, Decision, Effect, Finding, Outcome, OutcomeStatus, Verdict
from rules.engine import decide
from rules.facts import (
    Capture,
    CaptureLevel,
    Channel,
    CompanyView,
    ContactView,
    CreateContacts,
    DealAssociationMode,
    DealView,
    DirectorySnapshot,
    DkimProof,
    LoggingMode,
    MailboxView,
    MessageFacts,
    OriginalAuthFacts,
    OriginalProof,
    ProjectView,
    SenderAuthFacts,
    SenderAuthMode,
    ThreadView,
    UserView,
)
from rules.reasons import Reason

__all__ = [
    "RULES_VERSION", "Capture", "CaptureLevel", "Channel", "CompanyView", "ContactView",
    "CreateContacts", "DealAssociationMode", "DealView", "Decision",
    "DirectorySnapshot", "DkimProof", "Effect", "Finding", "LoggingMode", "MailboxView",
    "MessageFacts", "OriginalAuthFacts", "OriginalProof", "Outcome", "OutcomeStatus",
    "ProjectView", "Reason", "SenderAuthFacts",
    "SenderAuthMode", "ThreadView", "UserView", "Verdict", "decide",
]

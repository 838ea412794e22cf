"""The evaluation context shared by the rules, and the protocols each rule kind implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rules.decision import Finding
from rules.facts import (
    Capture,
    Channel,
    ContactView,
    DirectorySnapshot,
    MessageFacts,
    ProjectView,
    UserView,
)
from rules.reasons import Reason


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What the capture stage resolved: the channel, the logged message, the capturing user."""

    message: MessageFacts
    capture: Capture
    snapshot: DirectorySnapshot
    channel: Channel
    logged: MessageFacts
    user: UserView | None
    candidate_project_ids: tuple[str, ...]

    @property
    def sender_user(self) -> UserView | None:
        """Return the user who wrote the logged message, if a user did."""
        return self.snapshot.user_by_address(self.logged.author)

    @property
    def is_user_sent(self) -> bool:
        """Tell whether a user sent the logged message (a BCC always is)."""
        return self.channel is Channel.BCC or self.sender_user is not None

    @property
    def user_name(self) -> str:
        """Return the capturing user's name for sentences."""
        return self.user.name if self.user else "nobody"


class Rule(Protocol):
    """What every rule of the table declares: identity, documentation and its reasons."""

    name: str
    description: str
    spec: str
    reasons: tuple[Reason, ...]


class Gate(Rule, Protocol):
    """A message-level rule (SPEC §4.2); a fail stops the message in that project."""

    per_project: bool

    def check(self, ev: Evaluation, project: ProjectView | None) -> Finding:
        """Return the finding for the message (and project when per_project)."""


class AddressRule(Rule, Protocol):
    """A rule for one contact-side address in one candidate project (SPEC §4.3–4.4)."""

    def check(self, ev: Evaluation, address: str, project: ProjectView) -> Finding:
        """Return the finding for this address in this project."""


@dataclass(frozen=True, slots=True)
class Credit:
    """Who an interaction is credited to, and why."""

    user_id: str | None
    finding: Finding


@dataclass(frozen=True, slots=True)
class Association:
    """What an interaction is also filed under (company or deal ids), and why."""

    ids: tuple[str, ...]
    finding: Finding


class AssociationRule(Rule, Protocol):
    """A rule filing a logged interaction under more of the project's records (SPEC §12)."""

    def associate(self, ev: Evaluation, address: str, project: ProjectView,
                  contact: ContactView | None) -> Association:
        """Return what the interaction of `address` logged on `contact` is filed under."""


class AttributionRule(Rule, Protocol):
    """The attribution rule (SPEC §4.5)."""

    def credit(self, ev: Evaluation, project: ProjectView, contact: ContactView | None) -> Credit:
        """Return who the interaction for this contact is credited to."""

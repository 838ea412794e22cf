"""Mail with an ignored participant is never logged in the project (SPEC §4.2.4). Pure."""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import ProjectView, address_key
from rules.reasons import Reason


def is_domain_pattern(pattern: str) -> bool:
    """Tell whether an ignored entry is a domain ("client.test" or "@client.test")."""
    return "@" not in pattern.lstrip("@")


def matches_pattern(address: str, pattern: str) -> bool:
    """Tell whether an address matches an ignored address or a domain (with subdomains)."""
    pattern = address_key(pattern).lstrip("@")
    address = address_key(address)
    if "@" in pattern:
        return address == pattern
    domain = address.rpartition("@")[2]
    return domain == pattern or domain.endswith("." + pattern)


class IgnoredAddress:
    """Never log a message if any participant is ignored by the project or globally (SPEC §4.2.4)."""

    name = "ignored-address"
    description = "No participant (original participants too, for forwards) matches an ignored address or domain."
    spec = "4.2.4"
    reasons: tuple[Reason, ...] = (
        Reason.NO_IGNORED_PARTICIPANT, Reason.IGNORED_ADDRESS, Reason.IGNORED_DOMAIN,
    )
    per_project = True

    def check(self, ev: Evaluation, project: ProjectView | None) -> Finding:
        """Fail on the first participant that matches an ignored entry."""
        assert project is not None
        participants = dict.fromkeys(ev.logged.participants + ev.message.participants)
        patterns = project.ignored + ev.snapshot.global_ignored
        for address in participants:
            for pattern in patterns:
                if matches_pattern(address, pattern):
                    reason = (Reason.IGNORED_DOMAIN if is_domain_pattern(pattern)
                              else Reason.IGNORED_ADDRESS)
                    return Finding.make(self.name, Verdict.FAIL, reason, effect=Effect.NOT_LOGGED,
                                        address=address, project_id=project.id,
                                        project=project.name, pattern=pattern)
        return Finding.make(self.name, Verdict.PASS, Reason.NO_IGNORED_PARTICIPANT,
                            project_id=project.id, project=project.name)

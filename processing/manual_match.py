"""Match by hand: log an address of a decided message that no contact matched (SPEC §12).

`match_address` runs in one write transaction: it reads the message's newest decision (row
locked, so two matches of one address cannot both log it), asks the `manual-match` rule
whether the address may be matched, records the email on the contact exactly as recording
does (processing/record.py: the project's message and thread, the interaction, a created
contact), adds the address to a chosen contact, and appends the rule's finding to the
stored decision with the address's new outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsing import parse_message
from processing.message_facts import email_key, to_email_record, to_message_facts
from rules import OutcomeStatus, Verdict
from rules.manual_match import MatchRequest
from rules.policy import MANUAL_MATCH
from store.errors import Conflict, FieldError, Invalid, NotFound
from store.models import Contact, ContactAddress, Decision, Project, ReceivedMessage, User
from store.recording import EmailRecord, Recording
from store.snapshot import EmailKey, SnapshotRequest, build_snapshot


@dataclass(frozen=True, slots=True)
class Match:
    """A user's request: log `address` of a message on a contact (existing or to create).

    `project_ids`: the projects the user may see (None: an admin sees every project).
    """

    received_id: str
    address: str
    contact_id: str | None
    create_name: str | None
    project_id: str | None
    user_id: str | None
    project_ids: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class _Target:
    """Where the address is logged: its outcome's index and the contact."""

    index: int
    project: Project
    contact: Contact | None


def match_address(session: Session, match: Match, now: datetime) -> dict[str, Any]:
    """Log the address on the contact; return the message's decision as now stored."""
    received = session.get(ReceivedMessage, match.received_id)
    decision = _newest_decision(session, match.received_id)
    if received is None or decision is None:
        raise NotFound(f"Received message {match.received_id} does not exist.")
    body = dict(decision.body)
    outcomes: list[dict[str, Any]] = [dict(o) for o in body.get("outcomes", [])]
    target = _target(session, match, outcomes)
    outcome = outcomes[target.index]
    finding = MANUAL_MATCH.check(MatchRequest(
        address=outcome["address"], project_id=target.project.id,
        project_name=target.project.name, status=outcome["status"], reason=outcome["reason"],
        contact_name=target.contact.name if target.contact else (match.create_name or ""),
        created=target.contact is None, user_name=_user_name(session, match.user_id)))
    if finding.verdict is not Verdict.PASS:
        raise Conflict(finding.detail)
    outcome.update(_record(session, received, body, target, match, now),
                   status=str(OutcomeStatus.LOGGED), reason=str(finding.reason),
                   detail=finding.detail, rule=finding.rule)
    body.update(outcomes=outcomes, trace=[*body.get("trace", []), finding.to_json()])
    decision.body = body
    return body


def _newest_decision(session: Session, received_id: str) -> Decision | None:
    query = (select(Decision).where(Decision.received_message_id == received_id)
             .order_by(Decision.created_at.desc(), Decision.id.desc()).limit(1)
             .with_for_update())
    return session.scalars(query).first()


def _target(session: Session, match: Match, outcomes: list[dict[str, Any]]) -> _Target:
    """Find the address's outcome in the project of the contact (or the one asked for)."""
    address = match.address.lower()
    visible = {i: o for i, o in enumerate(outcomes)
               if o["address"].lower() == address and o.get("project_id")
               and (match.project_ids is None or o["project_id"] in match.project_ids)}
    if not visible:
        raise Invalid.field("address", f"{match.address} is not an address of message "
                            f"{match.received_id} in your projects.")
    contact = _chosen_contact(session, match) if match.contact_id else None
    project_id = contact.project_id if contact else (match.project_id
                                                     or _only_project(match, visible))
    index = next((i for i, o in visible.items() if o["project_id"] == project_id), None)
    if index is None:
        field = "contact_id" if contact else "project_id"
        raise Invalid.field(field, f"{match.address} has no outcome in project {project_id}.")
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"Project {project_id} does not exist any more.")
    return _Target(index, project, contact)


def _only_project(match: Match, visible: dict[int, dict[str, Any]]) -> str:
    """The project of a new contact when none is named: where the address is unmatched
    (or its only project), if that is one project."""
    unmatched = {o["project_id"] for o in visible.values() if o["status"] == "not_logged"}
    candidates = unmatched or {o["project_id"] for o in visible.values()}
    if len(candidates) != 1:
        raise Invalid.field("project_id", f"{match.address} has outcomes in several projects: "
                            "name the project of the new contact.")
    return str(next(iter(candidates)))


def _chosen_contact(session: Session, match: Match) -> Contact:
    contact = session.get(Contact, match.contact_id)
    if contact is None or (match.project_ids is not None
                           and contact.project_id not in match.project_ids):
        raise Invalid([FieldError("contact_id", f"Contact {match.contact_id} does not exist.")])
    return contact


def _user_name(session: Session, user_id: str | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.name if user else "An admin"


def _logged_email(received: ReceivedMessage,
                  body: dict[str, Any]) -> tuple[EmailRecord, EmailKey]:
    """What the decision logs of the message (the original, for a forward), parsed again."""
    parsed = parse_message(received.raw)
    facts = to_message_facts(parsed)
    if body.get("logged_original") and parsed.forwarded and facts.original:
        return (to_email_record(parsed.forwarded, facts.original,
                                bool(body.get("original_verified"))),
                email_key(parsed.forwarded))
    return to_email_record(parsed, facts), email_key(parsed)


def _record(session: Session, received: ReceivedMessage, body: dict[str, Any],
            target: _Target, match: Match, now: datetime) -> dict[str, Any]:
    """Record the email on the contact as recording does; return the outcome's new ids."""
    email, key = _logged_email(received, body)
    project_id = target.project.id
    snapshot = build_snapshot(session, SnapshotRequest(
        addresses=frozenset({match.address.lower()}), project_ids=(project_id,),
        emails=(key,)))
    project = snapshot.directory.project(project_id)
    assert project is not None
    recording = Recording(now)
    thread = project.thread_for(email.message_id).id
    message = recording.message(project_id, email, snapshot.stored_for(project_id,
                                                                       email.message_id),
                                thread, received.id, project.store_bodies)
    address = match.address.lower()
    if target.contact is None:
        contact_id = recording.contact(project_id, address, match.user_id, match.create_name)
    else:
        contact_id = target.contact.id
        if address not in {a.address for a in target.contact.addresses}:
            target.contact.addresses.append(ContactAddress(project_id=project_id,
                                                           address=address))
    credited = body.get("user_id") or match.user_id
    interaction = recording.interaction(project_id, contact_id, message, credited,
                                        project.interaction_type, body.get("channel", "log"))
    ids = recording.write(session)
    return {"contact_id": contact_id, "interaction_id": ids[interaction],
            "thread_id": message.thread_id, "user_id": credited,
            "interaction_type": project.interaction_type}

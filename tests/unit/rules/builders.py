"""Small builders for the rules' frozen inputs, with defaults that make a loggable BCC.

The default world: project Acme Homes (id "p-acme") with member Alice (alice@acme.test),
contact Bob (bob@client.test), and Alice BCC'ing Acme's project address on mail to Bob with
an aligned DKIM signature. Each test overrides only what its situation is about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from rules import decide
from rules.capture import CapturingUser, ChannelPromotion, candidate_projects, logged_message
from rules.decision import Decision, Finding, Outcome
from rules.evaluation import Evaluation
from rules.facts import (
    Capture,
    Channel,
    ContactView,
    CreateContacts,
    DirectorySnapshot,
    DkimProof,
    LoggingMode,
    MailboxView,
    MessageFacts,
    ProjectView,
    SenderAuthFacts,
    SenderAuthMode,
    ThreadView,
    UserView,
)

ACME = "p-acme"
BETA = "p-beta"
ACME_BCC = "acme-homes.k3f9q2xw7d@bcc.example.com"
ACME_FWD = "acme-homes.k3f9q2xw7d@fwd.example.com"
BETA_BCC = "beta-build.p8v2m4n6c1@bcc.example.com"
DECIDED_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DEFAULT_MESSAGE_ID = "<m1@acme.test>"
RECEIVED_AT = DECIDED_AT - timedelta(minutes=1)
REPLAY_WINDOW = timedelta(hours=48)
# acme.test's signature, made a minute before the message arrived, signing every field.
DKIM_PASS = SenderAuthFacts(
    dkim_proof=DkimProof("acme.test", RECEIVED_AT, REPLAY_WINDOW,
                         signed_at=RECEIVED_AT - timedelta(minutes=1)),
    summary="dkim=pass header.d=acme.test")


def a_message(
    *, from_: str | Iterable[str] = "alice@acme.test",
    to: Iterable[str] = ("bob@client.test",), cc: Iterable[str] = (), bcc: Iterable[str] = (),
    message_id: str = DEFAULT_MESSAGE_ID, subject: str = "Viewing on Saturday",
    in_reply_to: Iterable[str] = (), references: Iterable[str] = (),
    headers: dict[str, str] | Iterable[tuple[str, str]] = (),
    content_type: str = "text/plain", original: MessageFacts | None = None,
    date: datetime | None = None,
    fingerprint: str = "fp-m1",
) -> MessageFacts:
    """Return the facts of one email (addresses as the parser normalises them)."""
    pairs = headers.items() if isinstance(headers, dict) else headers
    return MessageFacts(
        message_id=message_id, from_=(from_,) if isinstance(from_, str) else tuple(from_),
        to=tuple(to), cc=tuple(cc), bcc=tuple(bcc), subject=subject, date=date,
        in_reply_to=tuple(in_reply_to), references=tuple(references),
        headers=tuple((k.lower(), v) for k, v in pairs), content_type=content_type,
        original=original, fingerprint=fingerprint,
    )


def a_user(
    id: str = "u-alice", *, name: str = "Alice", email: str = "alice@acme.test",
    aliases: Iterable[str] = (), mailboxes: Iterable[str] = (),
    project_ids: Iterable[str] = (ACME,), personal_email_access: bool = False,
) -> UserView:
    """Return a user (by default Alice, member of Acme Homes)."""
    return UserView(id, name, email, tuple(aliases), tuple(mailboxes), tuple(project_ids),
                    personal_email_access)


def a_project(
    id: str = ACME, *, name: str = "Acme Homes", member_ids: Iterable[str] = ("u-alice",),
    interaction_type: str = "Email", logging_mode: LoggingMode = LoggingMode.REPLIES_ONLY,
    sender_auth: SenderAuthMode = SenderAuthMode.ALIGNED,
    create_contacts: CreateContacts = CreateContacts.NEVER, ignored: Iterable[str] = (),
    never_log: Iterable[str] = (), logged_message_ids: Iterable[str] = (),
    thread_user_id: str | None = None, thread: ThreadView | None = None,
    held_for: str = DEFAULT_MESSAGE_ID,
) -> ProjectView:
    """Return a project (by default Acme Homes, with Alice as member).

    `logged_message_ids`, `thread_user_id` and `thread` describe what the project holds of
    the conversation of the message `held_for` (by default `<m1@acme.test>`).
    """
    held = replace(thread or ThreadView(), message_id=held_for,
                   logged_message_ids=frozenset(logged_message_ids),
                   credited_user_id=thread_user_id)
    return ProjectView(
        id, name, interaction_type, logging_mode, sender_auth, create_contacts,
        frozenset(member_ids), tuple(ignored), frozenset(never_log), (held,),
    )


def a_contact(
    id: str = "c-bob", *, project_id: str = ACME, name: str = "Bob",
    addresses: Iterable[str] = ("bob@client.test",), owner_id: str | None = None,
) -> ContactView:
    """Return a contact (by default Bob of Acme Homes)."""
    return ContactView(id, project_id, name, tuple(addresses), owner_id)


def a_mailbox(
    id: str = "mb-alice", *, user_id: str = "u-alice", address: str = "alice@acme.test",
    project_ids: Iterable[str] = (ACME,),
) -> MailboxView:
    """Return a connected mailbox (by default Alice's, synced to Acme Homes)."""
    return MailboxView(id, user_id, address, tuple(project_ids))


def a_snapshot(
    *, users: Iterable[UserView] | None = None, projects: Iterable[ProjectView] | None = None,
    contacts: Iterable[ContactView] | None = None, mailboxes: Iterable[MailboxView] = (),
    project_addresses: Iterable[str] = (ACME_BCC, ACME_FWD), global_ignored: Iterable[str] = (),
    thread: ThreadView | None = None,
) -> DirectorySnapshot:
    """Return a directory snapshot (by default Alice, Acme Homes and contact Bob).

    `thread`: the state of the default message's conversation in every project.
    """
    views = tuple(projects) if projects is not None else (a_project(),)
    if thread is not None:
        views = tuple(replace(p, threads=tuple(replace(thread, message_id=t.message_id,
                                                       logged_message_ids=t.logged_message_ids,
                                                       credited_user_id=t.credited_user_id)
                                               for t in p.threads)) for p in views)
    return DirectorySnapshot(
        users=tuple(users) if users is not None else (a_user(),),
        projects=views,
        contacts=tuple(contacts) if contacts is not None else (a_contact(),),
        mailboxes=tuple(mailboxes), project_addresses=frozenset(project_addresses),
        global_ignored=tuple(global_ignored),
    )


def a_capture(
    channel: Channel = Channel.BCC, *, project_ids: Iterable[str] = (ACME,),
    envelope_sender: str | None = "alice@acme.test",
    envelope_recipients: Iterable[str] = (ACME_BCC,), user_id: str | None = None,
    mailbox_id: str | None = None, sender_auth: SenderAuthFacts | None = DKIM_PASS,
) -> Capture:
    """Return a capture (by default a DKIM-verified BCC to Acme Homes' address)."""
    return Capture(channel, envelope_sender, tuple(envelope_recipients), user_id, mailbox_id,
                   tuple(project_ids), sender_auth)


def a_sync_capture(mailbox_id: str = "mb-alice") -> Capture:
    """Return a mailbox-sync capture (no envelope, no project ids)."""
    return a_capture(Channel.SYNC, project_ids=(), envelope_sender=None, envelope_recipients=(),
                     mailbox_id=mailbox_id, sender_auth=None)


def a_log_capture(user_id: str = "u-alice", project_ids: Iterable[str] = ()) -> Capture:
    """Return a Log-button capture by the authenticated user."""
    return a_capture(Channel.LOG, project_ids=project_ids, envelope_sender=None,
                     envelope_recipients=(), user_id=user_id, sender_auth=None)


def an_evaluation(
    message: MessageFacts | None = None, capture: Capture | None = None,
    snapshot: DirectorySnapshot | None = None,
) -> Evaluation:
    """Return the evaluation context the capture stage builds, for testing one rule."""
    message = message or a_message()
    capture = capture or a_capture()
    snapshot = snapshot or a_snapshot()
    channel, _ = ChannelPromotion().resolve(message, capture, snapshot)
    logged, _ = logged_message(message, channel)
    user, _ = CapturingUser().resolve(message, capture, channel, snapshot)
    candidates = candidate_projects(capture, channel, user, snapshot)
    return Evaluation(message, capture, snapshot, channel, logged, user, candidates)


def decide_now(
    message: MessageFacts | None = None, capture: Capture | None = None,
    snapshot: DirectorySnapshot | None = None,
) -> Decision:
    """Run decide() at a fixed time with the default world for omitted inputs."""
    return decide(message or a_message(), capture or a_capture(), snapshot or a_snapshot(),
                  DECIDED_AT)


def outcome(decision: Decision, address: str, project_id: str | None = ACME) -> Outcome:
    """Return the single outcome for (address, project)."""
    found = [o for o in decision.outcomes
             if o.address == address and o.project_id == project_id]
    assert len(found) == 1, f"expected one outcome for {address} in {project_id}: {found}"
    return found[0]


def findings(decision: Decision, rule: str) -> list[Finding]:
    """Return the trace findings of one rule, in order."""
    return [f for f in decision.trace if f.rule == rule]

"""Frozen inputs of the rules: the message, how it was captured, and a directory snapshot.

Pure data built by `processing` (from the parser, the sender verification and the store);
the rules read nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


def address_key(address: str) -> str:
    """Return the form addresses are compared in: case-insensitive (SPEC §1, §3, §4.3)."""
    return address.lower()


class Channel(StrEnum):
    """How a message reached blindcopy (SPEC vocabulary)."""

    BCC = "bcc"
    FORWARD = "forward"
    LOG = "log"
    SYNC = "sync"


class LoggingMode(StrEnum):
    """Per-project logging mode for channel sync (SPEC §4.4)."""

    REPLIES_ONLY = "replies_only"
    ALL = "all"


class SenderAuthMode(StrEnum):
    """Per-project sender authentication requirement (SPEC §2)."""

    ALIGNED = "aligned"
    DKIM = "dkim"
    NONE = "none"


class CreateContacts(StrEnum):
    """Per-project policy for addresses without a contact (SPEC §4.3)."""

    NEVER = "never"
    RECIPIENTS = "recipients"


class CaptureLevel(StrEnum):
    """Per-project: what is kept of a captured email (SPEC §13)."""

    FULL = "full"
    # Participants, date and subject; no text, preview or attachments.
    SUBJECT = "subject"
    # Participants and date only.
    METADATA = "metadata"


class DealAssociationMode(StrEnum):
    """Per-project choice of the open deals an interaction is filed under (SPEC §12)."""

    NONE = "none"
    OPEN_RECENT = "open_recent"
    ALL_OPEN = "all_open"


def domain_of(address: str) -> str:
    """Return an address's domain, lower-cased ('' when it has none)."""
    return address.rpartition("@")[2].lower() if "@" in address else ""


def domain_and_parents(domain: str) -> tuple[str, ...]:
    """Return the domain and each parent of two labels or more, most specific first.

    `mail.eu.acme.test` → (`mail.eu.acme.test`, `eu.acme.test`, `acme.test`).
    """
    labels = domain.split(".")
    return tuple(".".join(labels[i:]) for i in range(max(len(labels) - 1, 0)))


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What the rules need of one email; addresses are lower-cased keys."""

    message_id: str
    from_: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    # The Date, timezone-aware (None when missing or unreadable).
    date: datetime | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    # Header names lower-cased (Auto-Submitted, Precedence, List-Id, Content-Type, …).
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "text/plain"
    # The extracted original when this message is a forward.
    original: MessageFacts | None = None
    # What tells this email from another that reuses its Message-ID (SPEC §9).
    fingerprint: str = ""
    # The calendar invitation it carries (SPEC §12): "request" or "cancel" and its UID,
    # or "" when it carries none.
    meeting_method: str = ""
    meeting_uid: str = ""

    @property
    def author(self) -> str:
        """Return the first From address, or ''."""
        return self.from_[0] if self.from_ else ""

    @property
    def recipients(self) -> tuple[str, ...]:
        """Return To, Cc and Bcc addresses in order, without duplicates."""
        return tuple(dict.fromkeys(self.to + self.cc + self.bcc))

    @property
    def participants(self) -> tuple[str, ...]:
        """Return every From, To, Cc and Bcc address, without duplicates."""
        return tuple(dict.fromkeys(self.from_ + self.recipients))

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Return the ids this message replies to (In-Reply-To, then References)."""
        return tuple(dict.fromkeys(self.in_reply_to + self.references))

    def header(self, name: str) -> tuple[str, ...]:
        """Return every value of header `name` (lower-case name)."""
        return tuple(value for key, value in self.headers if key == name)


@dataclass(frozen=True, slots=True)
class DkimProof:
    """The aligned DKIM signature that verified, and what it takes to judge it (SPEC §9).

    A signature proves only the header fields it signs and says when it was made; the
    message's arrival time and the server's replay window come with it, so the rules
    judge its age without a clock or settings of their own.
    """

    domain: str
    received_at: datetime
    replay_window: timedelta
    # Display names of the shown fields (From, To, Cc, …) with an instance it does not sign.
    uncovered: tuple[str, ...] = ()
    # Its signature time (t=), if it has one.
    signed_at: datetime | None = None


class OriginalProof(StrEnum):
    """How a forwarded original's author is known (SPEC §9 original_verified)."""

    # Attached with its own DKIM signature, which verifies, aligns with its From and signs
    # every shown field: the only case that is original_verified.
    VERIFIED = "verified"
    # That signature verifies and aligns, but leaves a shown field unsigned.
    UNCOVERED = "uncovered"
    # A signature of its own fails to verify (and no aligned one verifies).
    INVALID = "invalid"
    # Only signatures of other domains than its From's verify.
    NOT_ALIGNED = "not_aligned"
    # Attached without a signature.
    UNSIGNED = "unsigned"
    # Attached, but its bytes as sent could not be told exactly, so nothing could be checked.
    NO_SOURCE = "no_source"
    # Quoted in the forward's text: it has no signature of its own.
    INLINE = "inline"


@dataclass(frozen=True, slots=True)
class OriginalAuthFacts:
    """What a forwarded original's own DKIM signatures prove (SPEC §9)."""

    proof: OriginalProof
    from_domain: str = ""
    # d= of its aligned signature that verified (verified, uncovered).
    domain: str = ""
    # Display names of the shown fields that signature leaves unsigned (uncovered).
    uncovered: tuple[str, ...] = ()
    # d= domains of its signatures that verified (aligned or not).
    pass_domains: tuple[str, ...] = ()
    # "d=domain: why" of its signatures that did not verify.
    failures: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        """Tell whether the original is proved by its own aligned signature."""
        return self.proof is OriginalProof.VERIFIED


@dataclass(frozen=True, slots=True)
class SenderAuthFacts:
    """The sender verification verdict of a bcc or forward message (SPEC §2, §9)."""

    # The aligned DKIM signature that verified, if any.
    dkim_proof: DkimProof | None = None
    spf_aligned: bool = False
    trusted_relay: bool = False
    released: bool = False
    summary: str = ""
    # Why nothing proved the sender (empty when verification did not run).
    from_domain: str = ""
    # "d=domain: why" for every DKIM signature that did not verify.
    dkim_failures: tuple[str, ...] = ()
    # Domains of DKIM signatures that verified (aligned or not).
    dkim_pass_domains: tuple[str, ...] = ()
    # The SPF verdict ("" when SPF was not evaluated) and the domain it is for.
    spf_result: str = ""
    spf_domain: str = ""
    # The forwarded original's own signatures, when the message carries an original.
    original: OriginalAuthFacts | None = None

    @property
    def dkim_aligned(self) -> bool:
        """Tell whether an aligned DKIM signature verified."""
        return self.dkim_proof is not None

    @property
    def proved_only_by_dkim(self) -> bool:
        """Tell whether DKIM alone proves the sender: no trusted relay, no aligned SPF pass.

        (Nor a release: an admin's word needs no signature.)
        """
        return self.dkim_aligned and not (self.released or self.trusted_relay
                                          or self.spf_aligned)


@dataclass(frozen=True, slots=True)
class Capture:
    """How the message was captured: channel, envelope and the capture context."""

    channel: Channel
    # None when unknown (API captures); "" is the null reverse-path of a bounce.
    envelope_sender: str | None = None
    envelope_recipients: tuple[str, ...] = ()
    user_id: str | None = None
    mailbox_id: str | None = None
    project_ids: tuple[str, ...] = ()
    sender_auth: SenderAuthFacts | None = None


@dataclass(frozen=True, slots=True)
class UserView:
    """A user as the rules see them."""

    id: str
    name: str
    email: str
    aliases: tuple[str, ...] = ()
    mailboxes: tuple[str, ...] = ()
    project_ids: tuple[str, ...] = ()
    personal_email_access: bool = False

    @property
    def addresses(self) -> frozenset[str]:
        """Return every address that stands for this user, as comparison keys."""
        return frozenset(map(address_key, (self.email, *self.aliases, *self.mailboxes)))


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact of one project whose address takes part in the message."""

    id: str
    project_id: str
    name: str
    addresses: tuple[str, ...]
    owner_id: str | None = None
    # The contact's company in the CRM (SPEC §12), if it names one.
    company_id: str | None = None


@dataclass(frozen=True, slots=True)
class CompanyView:
    """A company of one project: a contact's own, or one with a participant's domain."""

    id: str
    project_id: str
    name: str
    domains: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DealView:
    """An open deal of one project, with those of its contacts the message involves."""

    id: str
    project_id: str
    name: str
    updated_at: datetime
    contact_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ThreadView:
    """What one project already holds of the conversation of one email (SPEC §4.3–4.5, §9).

    Read for each email the rules may log (a forward's original as well as the forward), so
    the rules decide once whichever they log.
    """

    id: str | None = None
    status: str = "open"
    assigned_project_ids: tuple[str, ...] = ()
    # The email it was read for (its Message-ID).
    message_id: str = ""
    # Which of the email's In-Reply-To/References ids are already logged in the project.
    logged_message_ids: frozenset[str] = frozenset()
    # The user credited with the conversation's earlier interactions in the project.
    credited_user_id: str | None = None
    # Fingerprints of the emails the project holds under this Message-ID ("": recorded
    # before fingerprints were kept, taken for the same email).
    stored_fingerprints: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ProjectView:
    """A candidate project with its settings and the per-message facts the store looked up."""

    id: str
    name: str
    interaction_type: str = "Email"
    logging_mode: LoggingMode = LoggingMode.REPLIES_ONLY
    sender_auth: SenderAuthMode = SenderAuthMode.ALIGNED
    create_contacts: CreateContacts = CreateContacts.NEVER
    member_ids: frozenset[str] = frozenset()
    ignored: tuple[str, ...] = ()
    never_log: frozenset[str] = frozenset()
    # The conversation of each email the rules may log, as this project holds it.
    threads: tuple[ThreadView, ...] = ()
    # Whether the project keeps full message bodies: for recording; no rule reads it.
    store_bodies: bool = False
    deal_association: DealAssociationMode = DealAssociationMode.NONE
    # What the project keeps of a captured email: for recording; no rule reads it.
    capture_level: CaptureLevel = CaptureLevel.FULL

    def thread_for(self, message_id: str) -> ThreadView:
        """Return the conversation of the email `message_id` here (new if none is held)."""
        return next((t for t in self.threads if t.message_id == message_id),
                    ThreadView(message_id=message_id))


@dataclass(frozen=True, slots=True)
class MailboxView:
    """A connected mailbox and the projects it is synced to."""

    id: str
    user_id: str
    address: str
    project_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DirectorySnapshot:
    """The part of the directory that concerns one message (built with indexed look-ups)."""

    users: tuple[UserView, ...] = ()
    projects: tuple[ProjectView, ...] = ()
    contacts: tuple[ContactView, ...] = ()
    mailboxes: tuple[MailboxView, ...] = ()
    project_addresses: frozenset[str] = frozenset()
    global_ignored: tuple[str, ...] = ()
    # Participants erased on request (SPEC §13): (project id, or "" for every project,
    # address key).
    erased: frozenset[tuple[str, str]] = frozenset()
    # Users' personal never-log entries among the participants: (user id, address key).
    personal_never_log: frozenset[tuple[str, str]] = frozenset()
    # The contacts' companies, and the companies with a domain of a participant (SPEC §12).
    companies: tuple[CompanyView, ...] = ()
    # The open deals of the contacts found (SPEC §12).
    deals: tuple[DealView, ...] = ()

    def user_by_address(self, address: str) -> UserView | None:
        """Return the user an address stands for (account, alias or mailbox)."""
        key = address_key(address)
        return next((u for u in self.users if key in u.addresses), None)

    def user_by_id(self, user_id: str | None) -> UserView | None:
        """Return the user with this id, if in the snapshot."""
        return next((u for u in self.users if u.id == user_id), None)

    def project(self, project_id: str) -> ProjectView | None:
        """Return the project with this id, if in the snapshot."""
        return next((p for p in self.projects if p.id == project_id), None)

    def mailbox(self, mailbox_id: str | None) -> MailboxView | None:
        """Return the mailbox with this id, if in the snapshot."""
        return next((m for m in self.mailboxes if m.id == mailbox_id), None)

    def contacts_for(self, address: str, project_id: str) -> tuple[ContactView, ...]:
        """Return the contacts of a project that have this address (case-insensitive)."""
        key = address_key(address)
        return tuple(
            c for c in self.contacts
            if c.project_id == project_id and key in map(address_key, c.addresses)
        )

    def is_erased(self, address: str, project_id: str) -> bool:
        """Tell whether the address was erased from the project (or from every project)."""
        key = address_key(address)
        return (project_id, key) in self.erased or ("", key) in self.erased

    def is_personal_never_log(self, user_id: str, address: str) -> bool:
        """Tell whether the address is on the user's personal never-log list."""
        return (user_id, address_key(address)) in self.personal_never_log

    def company(self, company_id: str | None) -> CompanyView | None:
        """Return the company with this id, if in the snapshot."""
        return next((c for c in self.companies if c.id == company_id), None)

    def companies_with_domain(self, project_id: str, domain: str) -> tuple[CompanyView, ...]:
        """Return the project's companies that have exactly this domain, by id."""
        return tuple(sorted((c for c in self.companies
                             if c.project_id == project_id and domain in c.domains),
                            key=lambda c: c.id))

    def open_deals_of(self, contact_id: str) -> tuple[DealView, ...]:
        """Return the contact's open deals, most recently updated first."""
        return tuple(sorted((d for d in self.deals if contact_id in d.contact_ids),
                            key=lambda d: (d.updated_at, d.id), reverse=True))

    def is_project_address(self, address: str) -> bool:
        """Tell whether the address is a project address (local part case-insensitive)."""
        return address_key(address) in map(address_key, self.project_addresses)

    def is_user_or_project_address(self, address: str) -> bool:
        """Tell whether the address is internal: a user's or a project address."""
        return self.is_project_address(address) or self.user_by_address(address) is not None

"""Reason codes and their sentence templates: the explain vocabulary (API; never renamed).

A template is filled with `str.format` from the finding's named values (address, project,
user, …). Codes are stable snake_case; add new members, never rename or reuse one.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Every reason a rule may give; the value is the stable code."""

    # §4.1 capture
    CHANNEL_KEPT = "channel_kept"
    PROMOTED_TO_FORWARD = "promoted_to_forward"
    CAPTURED_BY_USER = "captured_by_user"
    CAPTURER_UNKNOWN = "capturer_unknown"
    NO_CANDIDATE_PROJECT = "no_candidate_project"
    FORWARD_WITHOUT_ORIGINAL = "forward_without_original"
    # §4.2.1 membership
    USER_IS_MEMBER = "user_is_member"
    SENDER_NOT_A_USER = "sender_not_a_user"
    USER_NOT_MEMBER = "user_not_member"
    # §4.2.2 sender authentication
    SENDER_AUTH_NOT_REQUIRED = "sender_auth_not_required"
    SENDER_AUTH_NOT_APPLICABLE = "sender_auth_not_applicable"
    SENDER_DKIM_ALIGNED = "sender_dkim_aligned"
    SENDER_SPF_ALIGNED = "sender_spf_aligned"
    SENDER_TRUSTED_RELAY = "sender_trusted_relay"
    SENDER_RELEASED = "sender_released"
    SENDER_NOT_AUTHENTICATED = "sender_not_authenticated"
    SENDER_DKIM_REQUIRED = "sender_dkim_required"
    SENDER_DKIM_INVALID = "sender_dkim_invalid"
    SENDER_DKIM_NOT_ALIGNED = "sender_dkim_not_aligned"
    SENDER_SPF_NOT_ALIGNED = "sender_spf_not_aligned"
    SENDER_NO_SIGNATURE = "sender_no_signature"
    # §9 what a DKIM-only proof must cover, and how old it may be
    SENDER_DKIM_UNSIGNED_HEADER = "sender_dkim_unsigned_header"
    SENDER_DKIM_REPLAYED = "sender_dkim_replayed"
    SENDER_DKIM_UNDATED = "sender_dkim_undated"
    # §9 how sure a forwarded original is
    ORIGINAL_VERIFIED = "original_verified"
    ORIGINAL_UNSIGNED_HEADER = "original_unsigned_header"
    ORIGINAL_DKIM_INVALID = "original_dkim_invalid"
    ORIGINAL_DKIM_NOT_ALIGNED = "original_dkim_not_aligned"
    ORIGINAL_UNSIGNED = "original_unsigned"
    ORIGINAL_NO_SOURCE = "original_no_source"
    ORIGINAL_INLINE = "original_inline"
    ORIGINAL_NOT_CHECKED = "original_not_checked"
    # §12 meetings
    MEETING_REQUEST = "meeting_request"
    MEETING_CANCEL = "meeting_cancel"
    # §4.2.3 auto-generated mail
    NOT_AUTO_GENERATED = "not_auto_generated"
    AUTO_SUBMITTED = "auto_submitted"
    BOUNCE = "bounce"
    BULK_PRECEDENCE = "bulk_precedence"
    MAILING_LIST = "mailing_list"
    # §4.2.4 ignored addresses
    NO_IGNORED_PARTICIPANT = "no_ignored_participant"
    IGNORED_ADDRESS = "ignored_address"
    IGNORED_DOMAIN = "ignored_domain"
    # §4.2.5 internal-only
    HAS_EXTERNAL_PARTICIPANT = "has_external_participant"
    INTERNAL_ONLY = "internal_only"
    # §9 message identity
    NEW_EMAIL = "new_email"
    SAME_EMAIL_AGAIN = "same_email_again"
    MESSAGE_ID_REUSED = "message_id_reused"
    # §4.3 contact side
    CONTACT_SIDE = "contact_side"
    NO_CONTACT_SIDE = "no_contact_side"
    # §4.3 never-log
    NOT_NEVER_LOG = "not_never_log"
    NEVER_LOG_ADDRESS = "never_log_address"
    # §13 privacy: erased addresses and users' personal never-log lists
    NOT_ERASED = "not_erased"
    ADDRESS_ERASED = "address_erased"
    NOT_PERSONAL_NEVER_LOG = "not_personal_never_log"
    PERSONAL_NEVER_LOG = "personal_never_log"
    # §4.4 logging mode
    MODE_NOT_APPLICABLE = "mode_not_applicable"
    REPLY_TO_LOGGED = "reply_to_logged"
    NOT_A_REPLY_TO_LOGGED = "not_a_reply_to_logged"
    USER_SENT_REPLIES_ONLY = "user_sent_replies_only"
    PERSONAL_EMAIL_ACCESS = "personal_email_access"
    NO_PERSONAL_EMAIL_ACCESS = "no_personal_email_access"
    # §4.3 contact matching
    CONTACT_MATCHED = "contact_matched"
    CONTACT_TO_CREATE = "contact_to_create"
    NO_CONTACT = "no_contact"
    # §4.3 project choice
    SINGLE_PROJECT = "single_project"
    ONLY_PROJECT_WITH_CONTACT = "only_project_with_contact"
    AMBIGUOUS_PROJECTS = "ambiguous_projects"
    THREAD_ASSIGNED_HERE = "thread_assigned_here"
    THREAD_ASSIGNED_ELSEWHERE = "thread_assigned_elsewhere"
    ONLY_PROJECT_LEFT = "only_project_left"
    CONTACT_IN_OTHER_PROJECT = "contact_in_other_project"
    AMBIGUOUS_NEW_CONTACT = "ambiguous_new_contact"
    # §4.5 attribution
    CREDIT_SENDER = "credit_sender"
    CREDIT_FORWARDER = "credit_forwarder"
    CREDIT_CALLER = "credit_caller"
    CREDIT_THREAD_USER = "credit_thread_user"
    CREDIT_ONLY_RECIPIENT = "credit_only_recipient"
    CREDIT_ONLY_ASSOCIATED_USER = "credit_only_associated_user"
    CREDIT_CONTACT_OWNER = "credit_contact_owner"
    NO_CREDIT = "no_credit"
    # §12 associations: what else an interaction is filed under
    COMPANY_OF_CONTACT = "company_of_contact"
    COMPANY_BY_DOMAIN = "company_by_domain"
    FREE_MAIL_DOMAIN = "free_mail_domain"
    NO_COMPANY = "no_company"
    DEAL_ASSOCIATION_OFF = "deal_association_off"
    DEALS_OPEN_RECENT = "deals_open_recent"
    DEALS_ALL_OPEN = "deals_all_open"
    NO_OPEN_DEALS = "no_open_deals"
    # §12 manual match (on a user's request, after the decision)
    MANUAL_MATCH = "manual_match"
    MANUAL_MATCH_CREATED = "manual_match_created"
    ADDRESS_NOT_UNMATCHED = "address_not_unmatched"

    @property
    def template(self) -> str:
        """Return the sentence template of this reason."""
        return TEMPLATES[self]

    def render(self, **values: str) -> str:
        """Return the sentence with the concrete names filled in."""
        return self.template.format_map(_Blank(values))


# Reasons of passing findings that a user should still hear about (a decision's warnings).
WARNINGS = frozenset({Reason.MESSAGE_ID_REUSED})


def spoken_list(names: tuple[str, ...]) -> str:
    """Return names as a sentence lists them: "To", "To and Cc", "To, Cc and Bcc"."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


TEMPLATES: dict[Reason, str] = {
    Reason.CHANNEL_KEPT: "The message arrived by channel {channel}.",
    Reason.PROMOTED_TO_FORWARD: "The BCC address was the only recipient and an original is "
    "attached, so the message is treated as a forward.",
    Reason.CAPTURED_BY_USER: "{address} is user {user}, who captured the message.",
    Reason.CAPTURER_UNKNOWN: "{address} is not a user of blindcopy.",
    Reason.NO_CANDIDATE_PROJECT: "No project is a candidate for this message.",
    Reason.FORWARD_WITHOUT_ORIGINAL: "No original message could be found in the forward; "
    "the forward itself is logged.",
    Reason.USER_IS_MEMBER: "{user} is a member of project {project}.",
    Reason.SENDER_NOT_A_USER: "{address} is not a user of project {project}.",
    Reason.USER_NOT_MEMBER: "{user} is not a member of project {project}.",
    Reason.SENDER_AUTH_NOT_REQUIRED: "Project {project} trusts the From header "
    "(sender_auth none).",
    Reason.SENDER_AUTH_NOT_APPLICABLE: "Channel {channel} is authenticated by the API, not "
    "by DKIM or SPF.",
    Reason.SENDER_DKIM_ALIGNED: "A DKIM signature aligned with the From domain verified.",
    Reason.SENDER_SPF_ALIGNED: "SPF passed for a domain aligned with the From domain.",
    Reason.SENDER_TRUSTED_RELAY: "The message came from a trusted relay.",
    Reason.SENDER_RELEASED: "An admin released the message from quarantine.",
    Reason.SENDER_NOT_AUTHENTICATED: "Neither an aligned DKIM signature nor an aligned SPF "
    "pass proves that {address} sent this ({auth}).",
    Reason.SENDER_DKIM_REQUIRED: "Project {project} requires an aligned DKIM signature and "
    "none verified ({auth}).",
    Reason.SENDER_DKIM_INVALID: "A DKIM signature on the message from {address} failed to "
    "verify ({failure}), so it may have been changed after signing.",
    Reason.SENDER_DKIM_NOT_ALIGNED: "The DKIM signature of {domains} verified, but it does not "
    "prove {address}: the From domain is {from_domain}.",
    Reason.SENDER_SPF_NOT_ALIGNED: "The message from {address} is not DKIM-signed, and SPF "
    "passed for {spf_domain}, not for the From domain {from_domain}.",
    Reason.SENDER_NO_SIGNATURE: "The message from {address} is not DKIM-signed and SPF did "
    "not pass for {from_domain} (spf={spf}).",
    Reason.SENDER_DKIM_UNSIGNED_HEADER: "The message from {address} is proved only by the "
    "DKIM signature of {domain}, which does not sign every {headers} header field in it: an "
    "unsigned field may have been added after signing.",
    Reason.SENDER_DKIM_REPLAYED: "The message from {address} is proved only by DKIM, and its "
    "{evidence} ({sent}) is more than {window} hours before it was received ({received}): it "
    "may be an old signed email sent again.",
    Reason.SENDER_DKIM_UNDATED: "The message from {address} is proved only by DKIM and has "
    "neither a signature time (t=) nor a readable Date, so nothing shows it was sent within "
    "{window} hours of being received ({received}): it may be an old signed email sent again.",
    Reason.ORIGINAL_VERIFIED: "The forwarded original from {address} is attached with its own "
    "DKIM signature of {domain}, which verifies, aligns with its From and signs every field "
    "shown.",
    Reason.ORIGINAL_UNSIGNED_HEADER: "The forwarded original from {address} is signed by "
    "{domain}, but not every {headers} header field in it is signed; it is logged as {user} "
    "forwarded it.",
    Reason.ORIGINAL_DKIM_INVALID: "A DKIM signature of the forwarded original from {address} "
    "fails to verify ({failure}); it is logged as {user} forwarded it.",
    Reason.ORIGINAL_DKIM_NOT_ALIGNED: "The forwarded original from {address} is signed by "
    "{domains}, not by its From domain {from_domain}; it is logged as {user} forwarded it.",
    Reason.ORIGINAL_UNSIGNED: "The forwarded original from {address} is attached without a "
    "DKIM signature; it is logged as {user} forwarded it.",
    Reason.ORIGINAL_NO_SOURCE: "The forwarded original from {address} is attached, but its "
    "bytes as sent could not be told exactly, so its signature could not be checked; it is "
    "logged as {user} forwarded it.",
    Reason.ORIGINAL_INLINE: "The forwarded original from {address} is quoted in the text of "
    "the forward, so it has no signature of its own; it is logged as {user} forwarded it.",
    Reason.ORIGINAL_NOT_CHECKED: "The forwarded original from {address} was not checked for a "
    "signature of its own; it is logged as {user} forwarded it.",
    Reason.MEETING_REQUEST: "The message invites to meeting {uid} (text/calendar REQUEST): "
    "it is logged as type {type}.",
    Reason.MEETING_CANCEL: "The message cancels meeting {uid} (text/calendar CANCEL): it is "
    "logged as type {type} and the meeting marked cancelled.",
    Reason.NOT_AUTO_GENERATED: "Nothing marks the message as auto-generated.",
    Reason.AUTO_SUBMITTED: "The message is auto-generated (Auto-Submitted: {value}).",
    Reason.BOUNCE: "The message is a bounce or delivery report.",
    Reason.BULK_PRECEDENCE: "The message is bulk mail (Precedence: {value}).",
    Reason.MAILING_LIST: "The message came through a mailing list ({value}).",
    Reason.NO_IGNORED_PARTICIPANT: "No participant is ignored in project {project}.",
    Reason.IGNORED_ADDRESS: "{address} is an ignored address in project {project}.",
    Reason.IGNORED_DOMAIN: "{address} matches the ignored domain {pattern} in project "
    "{project}.",
    Reason.HAS_EXTERNAL_PARTICIPANT: "{address} is neither a user nor a project address.",
    Reason.INTERNAL_ONLY: "Every participant is a user or a project address.",
    Reason.NEW_EMAIL: "Project {project} holds no email with Message-ID {message_id}.",
    Reason.SAME_EMAIL_AGAIN: "Project {project} already holds this email ({message_id}); "
    "this capture adds its channel.",
    Reason.MESSAGE_ID_REUSED: "Project {project} holds another email with Message-ID "
    "{message_id} (its sender, recipients, date, subject or text differ); this one is kept "
    "apart.",
    Reason.CONTACT_SIDE: "{address} is on the contact side of the message.",
    Reason.NO_CONTACT_SIDE: "No participant is on the contact side of the message.",
    Reason.NOT_NEVER_LOG: "{address} is not on the never-log list of project {project}.",
    Reason.NEVER_LOG_ADDRESS: "{address} is on the never-log list of project {project}.",
    Reason.NOT_ERASED: "{address} was not erased from project {project}.",
    # The sentence never names the address: an erased address is kept nowhere.
    Reason.ADDRESS_ERASED: "This address was erased from project {project} on request; it "
    "is never logged or created again.",
    Reason.NOT_PERSONAL_NEVER_LOG: "{address} is not on {user}'s personal never-log list.",
    Reason.PERSONAL_NEVER_LOG: "{address} is on {user}'s personal never-log list: their "
    "captures never log it.",
    Reason.MODE_NOT_APPLICABLE: "Channel {channel} is an explicit user action; the logging "
    "mode does not apply.",
    Reason.REPLY_TO_LOGGED: "The message replies to an email already logged in project "
    "{project}.",
    Reason.NOT_A_REPLY_TO_LOGGED: "Project {project} logs only replies to logged email, and "
    "this message from {address} replies to none.",
    Reason.USER_SENT_REPLIES_ONLY: "Project {project} logs only replies from contacts; mail "
    "a user sends is logged through BCC, forward or Log.",
    Reason.PERSONAL_EMAIL_ACCESS: "Project {project} logs all mail and {user} has personal "
    "email access.",
    Reason.NO_PERSONAL_EMAIL_ACCESS: "{user} does not have personal email access, so mailbox "
    "mail is not logged in project {project}.",
    Reason.CONTACT_MATCHED: "{address} is contact {contact} in project {project}.",
    Reason.CONTACT_TO_CREATE: "{address} is not a contact in project {project}; a contact "
    "will be created (create_contacts recipients).",
    Reason.NO_CONTACT: "{address} is not a contact in project {project}.",
    Reason.SINGLE_PROJECT: "Project {project} is the only candidate project.",
    Reason.ONLY_PROJECT_WITH_CONTACT: "{address} is a contact only in project {project} among "
    "the candidate projects.",
    Reason.AMBIGUOUS_PROJECTS: "{address} is a contact in several candidate projects "
    "({projects}); the thread is pending until a user assigns it.",
    Reason.THREAD_ASSIGNED_HERE: "The thread is assigned to project {project}.",
    Reason.THREAD_ASSIGNED_ELSEWHERE: "The thread is assigned to other projects than "
    "{project}.",
    Reason.ONLY_PROJECT_LEFT: "Project {project} is the only candidate project where {address} "
    "can be logged; the other candidate projects excluded it.",
    Reason.CONTACT_IN_OTHER_PROJECT: "{address} is a contact in project {other}, not in project "
    "{project}; no contact is created here.",
    Reason.AMBIGUOUS_NEW_CONTACT: "{address} is not a contact in any candidate project and "
    "could be created in several ({projects}); the thread is pending until a user assigns it.",
    Reason.CREDIT_SENDER: "Credited to {user}, who sent the email.",
    Reason.CREDIT_FORWARDER: "Credited to {user}, who forwarded the email.",
    Reason.CREDIT_CALLER: "Credited to {user}, who clicked Log.",
    Reason.CREDIT_THREAD_USER: "Credited to {user}, who is credited with this thread.",
    Reason.CREDIT_ONLY_RECIPIENT: "Credited to {user}, the only recipient.",
    Reason.CREDIT_ONLY_ASSOCIATED_USER: "Credited to {user}, the only recipient who is a user.",
    Reason.CREDIT_CONTACT_OWNER: "Several users received it; credited to {user}, the owner "
    "of contact {contact}.",
    Reason.NO_CREDIT: "No user could be credited.",
    Reason.COMPANY_OF_CONTACT: "Also filed under company {company}, the company of contact "
    "{contact} in project {project}.",
    Reason.COMPANY_BY_DOMAIN: "Also filed under company {company}, whose domain {domain} "
    "matches {address} in project {project}.",
    Reason.FREE_MAIL_DOMAIN: "{address} is at {domain}, a free-mail provider: no company of "
    "project {project} is matched by its domain.",
    Reason.NO_COMPANY: "Contact {contact} names no company and no company of project "
    "{project} has the domain of {address}.",
    Reason.DEAL_ASSOCIATION_OFF: "Project {project} files interactions under no deal "
    "(deal_association none).",
    Reason.DEALS_OPEN_RECENT: "Also filed under {deals}: the most recently updated open deals "
    "of contact {contact}, at most {limit} (deal_association open_recent).",
    Reason.DEALS_ALL_OPEN: "Also filed under {deals}: every open deal of contact {contact} "
    "(deal_association all_open).",
    Reason.NO_OPEN_DEALS: "Contact {contact} has no open deal in project {project}.",
    Reason.MANUAL_MATCH: "{user} matched {address} to contact {contact} in project {project}, "
    "so the email is logged there.",
    Reason.MANUAL_MATCH_CREATED: "{user} created contact {contact} for {address} in project "
    "{project}, so the email is logged there.",
    Reason.ADDRESS_NOT_UNMATCHED: "{address} is {status} in project {project} ({code}), not "
    "an address without a contact; only those can be matched by hand.",
}

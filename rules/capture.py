"""Who captured the message, by which channel, and the candidate projects (SPEC §4.1). Pure."""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.facts import Capture, Channel, DirectorySnapshot, MessageFacts, UserView
from rules.reasons import Reason


class ChannelPromotion:
    """A BCC whose only recipient is the project address and which carries an original is a forward (SPEC §4.1)."""

    name = "channel-promotion"
    description = "Treat a BCC as a forward when the project address is the only recipient and an original is attached."
    spec = "4.1"
    reasons: tuple[Reason, ...] = (
        Reason.CHANNEL_KEPT, Reason.PROMOTED_TO_FORWARD, Reason.FORWARD_WITHOUT_ORIGINAL,
    )

    def resolve(self, message: MessageFacts, capture: Capture,
                snapshot: DirectorySnapshot) -> tuple[Channel, Finding]:
        """Return the effective channel and the finding that explains it."""
        recipients = set(message.recipients) | set(capture.envelope_recipients)
        only_project_address = bool(recipients) and all(
            snapshot.is_project_address(r) for r in recipients)
        if capture.channel is Channel.BCC and only_project_address and message.original:
            return Channel.FORWARD, Finding.make(
                self.name, Verdict.PASS, Reason.PROMOTED_TO_FORWARD)
        return capture.channel, Finding.make(
            self.name, Verdict.PASS, Reason.CHANNEL_KEPT, channel=str(capture.channel))


class CapturingUser:
    """Identify the user who captured the message (SPEC §4.1 table)."""

    name = "capturing-user"
    description = "Find the capturing user: the From of a BCC or forward, the API caller, or the mailbox owner."
    spec = "4.1"
    reasons: tuple[Reason, ...] = (
        Reason.CAPTURED_BY_USER, Reason.CAPTURER_UNKNOWN, Reason.NO_CANDIDATE_PROJECT,
    )

    def resolve(self, message: MessageFacts, capture: Capture, channel: Channel,
                snapshot: DirectorySnapshot) -> tuple[UserView | None, Finding]:
        """Return the capturing user (or None) and the finding."""
        if channel in (Channel.BCC, Channel.FORWARD):
            address = message.author
            user = snapshot.user_by_address(address)
        elif channel is Channel.SYNC:
            mailbox = snapshot.mailbox(capture.mailbox_id)
            address = mailbox.address if mailbox else f"mailbox {capture.mailbox_id or '(none)'}"
            user = snapshot.user_by_id(mailbox.user_id) if mailbox else None
        else:
            user = snapshot.user_by_id(capture.user_id)
            address = user.email if user else f"user {capture.user_id or '(none)'}"
        if user is None:
            return None, Finding.make(self.name, Verdict.FAIL, Reason.CAPTURER_UNKNOWN,
                                      effect=Effect.NOT_LOGGED, address=address)
        return user, Finding.make(self.name, Verdict.PASS, Reason.CAPTURED_BY_USER,
                                  address=address, user=user.name)


def candidate_projects(capture: Capture, channel: Channel, user: UserView | None,
                       snapshot: DirectorySnapshot) -> tuple[str, ...]:
    """Return the candidate project ids of the capture (SPEC §4.1 table)."""
    if channel is Channel.SYNC:
        mailbox = snapshot.mailbox(capture.mailbox_id)
        return mailbox.project_ids if mailbox else ()
    if channel is Channel.LOG and not capture.project_ids and user is not None:
        return user.project_ids
    return capture.project_ids


def logged_message(message: MessageFacts, channel: Channel) -> tuple[MessageFacts, Finding | None]:
    """Return the message to log: the original for a forward when one was extracted."""
    if channel is not Channel.FORWARD:
        return message, None
    if message.original is None:
        return message, Finding.make(ChannelPromotion.name, Verdict.PASS,
                                     Reason.FORWARD_WITHOUT_ORIGINAL)
    return message.original, None

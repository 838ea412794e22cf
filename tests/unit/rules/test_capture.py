"""channel-promotion and capturing-user (SPEC §4.1): channel, capturing user, candidates."""

from __future__ import annotations

from rules.capture import CapturingUser, ChannelPromotion, candidate_projects, logged_message
from rules.decision import Effect, Verdict
from rules.facts import Channel
from rules.reasons import Reason
from tests.unit.rules.builders import (
    ACME,
    ACME_BCC,
    ACME_FWD,
    BETA,
    a_capture,
    a_log_capture,
    a_mailbox,
    a_message,
    a_snapshot,
    a_sync_capture,
    a_user,
)

PROMOTION = ChannelPromotion()
CAPTURING = CapturingUser()
ORIGINAL = a_message(from_="bob@client.test", to=["alice@acme.test"], message_id="<o@client>")


def test_bcc_to_contact_keeps_channel() -> None:
    channel, finding = PROMOTION.resolve(a_message(), a_capture(), a_snapshot())

    assert channel is Channel.BCC
    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.CHANNEL_KEPT
    assert finding.detail == "The message arrived by channel bcc."


def test_bcc_with_original_to_project_address_only_promotes_to_forward() -> None:
    message = a_message(to=[ACME_BCC], original=ORIGINAL)

    channel, finding = PROMOTION.resolve(message, a_capture(), a_snapshot())

    assert channel is Channel.FORWARD
    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.PROMOTED_TO_FORWARD
    assert finding.detail == ("The BCC address was the only recipient and an original is "
                              "attached, so the message is treated as a forward.")


def test_bcc_with_original_and_another_recipient_keeps_bcc() -> None:
    message = a_message(to=[ACME_BCC, "carol@acme.test"], original=ORIGINAL)

    channel, finding = PROMOTION.resolve(message, a_capture(), a_snapshot())

    assert channel is Channel.BCC
    assert finding.reason is Reason.CHANNEL_KEPT
    assert finding.detail == "The message arrived by channel bcc."


def test_bcc_to_project_address_without_original_keeps_bcc() -> None:
    channel, finding = PROMOTION.resolve(a_message(to=[ACME_BCC]), a_capture(), a_snapshot())

    assert channel is Channel.BCC
    assert finding.reason is Reason.CHANNEL_KEPT


def test_sync_with_original_keeps_sync() -> None:
    message = a_message(to=[ACME_BCC], original=ORIGINAL)

    channel, finding = PROMOTION.resolve(message, a_sync_capture(), a_snapshot())

    assert channel is Channel.SYNC
    assert finding.detail == "The message arrived by channel sync."


def test_forward_logs_original() -> None:
    message = a_message(to=[ACME_FWD], original=ORIGINAL)

    logged, note = logged_message(message, Channel.FORWARD)

    assert logged is ORIGINAL
    assert note is None


def test_forward_without_original_logs_forward_itself() -> None:
    message = a_message(to=[ACME_FWD])

    logged, note = logged_message(message, Channel.FORWARD)

    assert logged is message
    assert note is not None
    assert (note.rule, note.verdict, note.reason) == (
        "channel-promotion", Verdict.PASS, Reason.FORWARD_WITHOUT_ORIGINAL)
    assert note.detail == ("No original message could be found in the forward; the forward "
                           "itself is logged.")


def test_bcc_from_user_passes() -> None:
    user, finding = CAPTURING.resolve(a_message(), a_capture(), Channel.BCC, a_snapshot())

    assert user is not None and user.id == "u-alice"
    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.CAPTURED_BY_USER
    assert finding.detail == "alice@acme.test is user Alice, who captured the message."


def test_bcc_from_stranger_fails() -> None:
    message = a_message(from_="mallory@evil.test")

    user, finding = CAPTURING.resolve(message, a_capture(), Channel.BCC, a_snapshot())

    assert user is None
    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.CAPTURER_UNKNOWN
    assert finding.detail == "mallory@evil.test is not a user of blindcopy."
    assert finding.effect is Effect.NOT_LOGGED


def test_forward_captured_by_outer_from_passes() -> None:
    message = a_message(to=[ACME_FWD], original=ORIGINAL)

    user, finding = CAPTURING.resolve(message, a_capture(), Channel.FORWARD, a_snapshot())

    assert user is not None and user.id == "u-alice"
    assert finding.detail == "alice@acme.test is user Alice, who captured the message."


def test_sync_captured_by_mailbox_owner_passes() -> None:
    alice = a_user(mailboxes=["alice@gmail.test"])
    snapshot = a_snapshot(users=[alice], mailboxes=[a_mailbox(address="alice@gmail.test")])
    message = a_message(from_="bob@client.test", to=["alice@gmail.test"])

    user, finding = CAPTURING.resolve(message, a_sync_capture(), Channel.SYNC, snapshot)

    assert user is not None and user.id == "u-alice"
    assert finding.reason is Reason.CAPTURED_BY_USER
    assert finding.detail == "alice@gmail.test is user Alice, who captured the message."


def test_sync_from_unknown_mailbox_fails() -> None:
    user, finding = CAPTURING.resolve(a_message(), a_sync_capture("mb-gone"), Channel.SYNC,
                                      a_snapshot())

    assert user is None
    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.CAPTURER_UNKNOWN
    assert finding.detail == "mailbox mb-gone is not a user of blindcopy."


def test_log_captured_by_caller_passes() -> None:
    carol = a_user("u-carol", name="Carol", email="carol@acme.test")
    message = a_message(from_="bob@client.test", to=["alice@acme.test"])

    user, finding = CAPTURING.resolve(message, a_log_capture("u-carol"), Channel.LOG,
                                      a_snapshot(users=[a_user(), carol]))

    assert user is carol
    assert finding.detail == "carol@acme.test is user Carol, who captured the message."


def test_candidates_of_bcc_are_project_of_address() -> None:
    assert candidate_projects(a_capture(), Channel.BCC, a_user(), a_snapshot()) == (ACME,)


def test_candidates_of_sync_are_mailbox_projects() -> None:
    snapshot = a_snapshot(mailboxes=[a_mailbox(project_ids=[ACME, BETA])])

    assert candidate_projects(a_sync_capture(), Channel.SYNC, a_user(), snapshot) == (ACME, BETA)


def test_candidates_of_log_without_projects_are_user_projects() -> None:
    user = a_user(project_ids=[ACME, BETA])

    assert candidate_projects(a_log_capture(), Channel.LOG, user, a_snapshot()) == (ACME, BETA)


def test_candidates_of_log_with_projects_are_those_named() -> None:
    user = a_user(project_ids=[ACME, BETA])
    capture = a_log_capture(project_ids=[BETA])

    assert candidate_projects(capture, Channel.LOG, user, a_snapshot()) == (BETA,)

"""logging-mode (SPEC §4.4): replies_only or all, for channel sync only."""

from __future__ import annotations

from rules.decision import Effect, Verdict
from rules.evaluation import Evaluation
from rules.facts import LoggingMode, MessageFacts
from rules.logging_mode import LoggingModeRule
from rules.reasons import Reason
from tests.unit.rules.builders import (
    a_capture,
    a_log_capture,
    a_mailbox,
    a_message,
    a_project,
    a_snapshot,
    a_sync_capture,
    a_user,
    an_evaluation,
)

RULE = LoggingModeRule()
ALL = LoggingMode.ALL
FROM_BOB = a_message(from_="bob@client.test", to=["alice@acme.test"],
                     message_id="<r1@client.test>", in_reply_to=["<m1@acme.test>"])


def synced(message: MessageFacts | None = None,
           personal_email_access: bool = False) -> Evaluation:
    """Return an evaluation of mail synced from Alice's mailbox."""
    alice = a_user(personal_email_access=personal_email_access)
    return an_evaluation(message=message or a_message(), capture=a_sync_capture(),
                         snapshot=a_snapshot(users=[alice], mailboxes=[a_mailbox()]))


def test_reply_to_logged_mail_under_replies_only_passes() -> None:
    project = a_project(logged_message_ids=["<m1@acme.test>"], held_for=FROM_BOB.message_id)

    finding = RULE.check(synced(FROM_BOB), "bob@client.test", project)

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.REPLY_TO_LOGGED
    assert finding.detail == ("The message replies to an email already logged in project "
                              "Acme Homes.")


def test_reply_found_only_in_references_passes() -> None:
    message = a_message(from_="bob@client.test", to=["alice@acme.test"],
                        in_reply_to=["<other@client.test>"],
                        references=["<m1@acme.test>", "<other@client.test>"])

    finding = RULE.check(synced(message), "bob@client.test",
                         a_project(logged_message_ids=["<m1@acme.test>"]))

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.REPLY_TO_LOGGED


def test_new_mail_from_contact_under_replies_only_fails() -> None:
    message = a_message(from_="bob@client.test", to=["alice@acme.test"])

    finding = RULE.check(synced(message), "bob@client.test", a_project())

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.NOT_A_REPLY_TO_LOGGED
    assert finding.detail == ("Project Acme Homes logs only replies to logged email, and this "
                              "message from bob@client.test replies to none.")
    assert finding.effect is Effect.NOT_LOGGED


def test_reply_to_mail_logged_elsewhere_fails() -> None:
    finding = RULE.check(synced(FROM_BOB), "bob@client.test", a_project())

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.NOT_A_REPLY_TO_LOGGED


def test_user_sent_sync_mail_under_replies_only_fails() -> None:
    finding = RULE.check(synced(), "bob@client.test", a_project())

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.USER_SENT_REPLIES_ONLY
    assert finding.detail == ("Project Acme Homes logs only replies from contacts; mail a user "
                              "sends is logged through BCC, forward or Log.")


def test_all_with_personal_email_access_passes_both_directions() -> None:
    project = a_project(logging_mode=ALL)

    sent = RULE.check(synced(personal_email_access=True), "bob@client.test", project)
    received = RULE.check(synced(a_message(from_="bob@client.test", to=["alice@acme.test"]),
                                 personal_email_access=True), "bob@client.test", project)

    for finding in (sent, received):
        assert finding.verdict is Verdict.PASS
        assert finding.reason is Reason.PERSONAL_EMAIL_ACCESS
        assert finding.detail == ("Project Acme Homes logs all mail and Alice has personal "
                                  "email access.")


def test_all_without_personal_email_access_fails() -> None:
    finding = RULE.check(synced(), "bob@client.test", a_project(logging_mode=ALL))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.NO_PERSONAL_EMAIL_ACCESS
    assert finding.detail == ("Alice does not have personal email access, so mailbox mail is "
                              "not logged in project Acme Homes.")
    assert finding.effect is Effect.NOT_LOGGED


def test_bcc_skips() -> None:
    finding = RULE.check(an_evaluation(capture=a_capture()), "bob@client.test", a_project())

    assert finding.verdict is Verdict.SKIP
    assert finding.reason is Reason.MODE_NOT_APPLICABLE
    assert finding.detail == ("Channel bcc is an explicit user action; the logging mode does "
                              "not apply.")
    assert finding.effect is Effect.NONE


def test_log_button_on_new_contact_mail_skips() -> None:
    message = a_message(from_="bob@client.test", to=["alice@acme.test"])
    ev = an_evaluation(message=message, capture=a_log_capture())

    finding = RULE.check(ev, "bob@client.test", a_project())

    assert finding.verdict is Verdict.SKIP
    assert finding.reason is Reason.MODE_NOT_APPLICABLE
    assert finding.detail == ("Channel log is an explicit user action; the logging mode does "
                              "not apply.")

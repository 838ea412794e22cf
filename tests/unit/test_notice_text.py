"""Who gets a notice and what it says (SPEC §14), from decisions the real rules take."""

from __future__ import annotations

import dataclasses

from processing.notices import compose, deserves_notice
from rules import Channel, SenderAuthFacts
from tests.unit.rules.builders import (
    DKIM_PASS,
    a_capture,
    a_contact,
    a_log_capture,
    a_message,
    a_snapshot,
    decide_now,
)

CONSOLE = "https://console.example.test"


def test_proved_bcc_to_a_non_contact_deserves_a_notice_saying_why() -> None:
    decision = decide_now(capture=a_capture(), snapshot=a_snapshot(contacts=[]))

    assert deserves_notice(decision)
    text = compose(decision, {"received_id": "r-1"}, "Viewing on Saturday", "Alice", CONSOLE)
    assert text.subject == "Not logged: Viewing on Saturday"
    assert ("- bob@client.test: not logged. bob@client.test is not a contact in project "
            "Acme Homes.") in text.body
    assert f"{CONSOLE}/console/unmatched" in text.body
    assert f"{CONSOLE}/console/messages/r-1" in text.body


def test_logged_bcc_deserves_none() -> None:
    decision = decide_now(capture=a_capture(), snapshot=a_snapshot(contacts=[a_contact()]))

    assert not deserves_notice(decision)


def test_released_or_unproved_or_log_captures_deserve_none() -> None:
    released = dataclasses.replace(DKIM_PASS, released=True)
    for capture in (a_capture(sender_auth=released), a_capture(sender_auth=SenderAuthFacts()),
                    a_log_capture()):
        decision = decide_now(capture=capture, snapshot=a_snapshot(contacts=[]))
        assert not deserves_notice(decision), capture


def test_auto_generated_mail_gets_no_notice() -> None:
    message = a_message(headers={"Auto-Submitted": "auto-replied"})

    assert not deserves_notice(decide_now(message, a_capture(), a_snapshot(contacts=[])))


def test_message_stopped_by_a_rule_names_that_rule_sentence() -> None:
    decision = decide_now(a_message(to=["alice@acme.test"]), a_capture(),
                          a_snapshot(contacts=[]))
    assert decision.channel == Channel.BCC and not decision.outcomes

    text = compose(decision, {"received_id": "r-2"}, "", "Alice", CONSOLE)

    assert text.subject == "Not logged: (no subject)"
    assert "- Every participant is a user or a project address.\n" in text.body
    assert "/console/messages/r-2" in text.body

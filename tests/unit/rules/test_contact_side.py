"""contact-side (SPEC §4.3): recipients of mail a user sent, the sender of mail a user received."""

from __future__ import annotations

from rules.contact_side import ContactSide
from rules.decision import Verdict
from rules.reasons import Reason
from tests.unit.rules.builders import (
    ACME_BCC,
    a_mailbox,
    a_message,
    a_snapshot,
    a_sync_capture,
    a_user,
    an_evaluation,
)

RULE = ContactSide()
CAROL = a_user("u-carol", name="Carol", email="carol@acme.test")


def test_user_sent_mail_selects_external_recipients_passes() -> None:
    message = a_message(to=["bob@client.test", "carol@acme.test"], cc=["dan@client.test"],
                        bcc=[ACME_BCC])
    ev = an_evaluation(message=message, snapshot=a_snapshot(users=[a_user(), CAROL]))

    addresses, found = RULE.select(ev)

    assert addresses == ("bob@client.test", "dan@client.test")
    assert [f.verdict for f in found] == [Verdict.PASS, Verdict.PASS]
    assert [f.reason for f in found] == [Reason.CONTACT_SIDE, Reason.CONTACT_SIDE]
    assert [f.detail for f in found] == [
        "bob@client.test is on the contact side of the message.",
        "dan@client.test is on the contact side of the message.",
    ]


def test_received_mail_selects_only_sender_passes() -> None:
    message = a_message(from_="bob@client.test", to=["alice@acme.test", "carol@acme.test"],
                        cc=["dan@client.test"])
    ev = an_evaluation(message=message, capture=a_sync_capture(),
                       snapshot=a_snapshot(users=[a_user(), CAROL], mailboxes=[a_mailbox()]))

    addresses, found = RULE.select(ev)

    assert addresses == ("bob@client.test",)
    assert [(f.verdict, f.reason, f.detail) for f in found] == [
        (Verdict.PASS, Reason.CONTACT_SIDE,
         "bob@client.test is on the contact side of the message."),
    ]


def test_mail_among_users_has_no_contact_side_fails() -> None:
    ev = an_evaluation(message=a_message(to=["carol@acme.test"]),
                       snapshot=a_snapshot(users=[a_user(), CAROL]))

    addresses, found = RULE.select(ev)

    assert addresses == ()
    assert [(f.verdict, f.reason, f.detail) for f in found] == [
        (Verdict.FAIL, Reason.NO_CONTACT_SIDE,
         "No participant is on the contact side of the message."),
    ]


def test_forward_uses_original_participants_passes() -> None:
    original = a_message(from_="bob@client.test", to=["alice@acme.test"])
    ev = an_evaluation(message=a_message(to=[ACME_BCC], original=original))

    addresses, found = RULE.select(ev)

    assert addresses == ("bob@client.test",)
    assert found[0].detail == "bob@client.test is on the contact side of the message."

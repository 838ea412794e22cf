"""attribution (SPEC §4.5): which user each interaction is credited to."""

from __future__ import annotations

from rules.attribution import Attribution
from rules.decision import Verdict
from rules.evaluation import Credit
from rules.facts import ContactView
from rules.reasons import Reason
from tests.unit.rules.builders import (
    ACME,
    ACME_FWD,
    a_contact,
    a_log_capture,
    a_mailbox,
    a_message,
    a_project,
    a_snapshot,
    a_sync_capture,
    a_user,
    an_evaluation,
)

RULE = Attribution()
ALICE = a_user(mailboxes=["alice@gmail.test"])
CAROL = a_user("u-carol", name="Carol", email="carol@acme.test", aliases=["sales@acme.test"])
DAN = a_user("u-dan", name="Dan", email="dan@acme.test")
BOB = a_contact(owner_id="u-dan")
USERS = (ALICE, CAROL, DAN)


def from_bob(to: list[str], cc: tuple[str, ...] = (), contact: ContactView = BOB,
             project_thread_user: str | None = None) -> Credit:
    """Return the credit of mail Bob sent, synced from Alice's mailbox."""
    message = a_message(from_="bob@client.test", to=to, cc=cc)
    snapshot = a_snapshot(users=USERS, contacts=[contact], mailboxes=[a_mailbox()])
    ev = an_evaluation(message=message, capture=a_sync_capture(), snapshot=snapshot)
    return RULE.credit(ev, a_project(thread_user_id=project_thread_user), contact)


def test_mail_sent_by_user_credits_sender() -> None:
    credit = RULE.credit(an_evaluation(snapshot=a_snapshot(users=USERS)), a_project(), BOB)

    assert credit.user_id == "u-alice"
    assert credit.finding.verdict is Verdict.PASS
    assert credit.finding.reason is Reason.CREDIT_SENDER
    assert credit.finding.detail == "Credited to Alice, who sent the email."
    assert credit.finding.project_id == ACME


def test_forward_credits_forwarder() -> None:
    original = a_message(from_="bob@client.test", to=["carol@acme.test"])
    ev = an_evaluation(message=a_message(to=[ACME_FWD], original=original),
                       snapshot=a_snapshot(users=USERS))

    credit = RULE.credit(ev, a_project(), BOB)

    assert credit.user_id == "u-alice"
    assert credit.finding.reason is Reason.CREDIT_FORWARDER
    assert credit.finding.detail == "Credited to Alice, who forwarded the email."


def test_log_button_credits_caller() -> None:
    message = a_message(from_="bob@client.test", to=["alice@acme.test", "carol@acme.test"])
    ev = an_evaluation(message=message, capture=a_log_capture("u-carol"),
                       snapshot=a_snapshot(users=USERS))

    credit = RULE.credit(ev, a_project(), BOB)

    assert credit.user_id == "u-carol"
    assert credit.finding.reason is Reason.CREDIT_CALLER
    assert credit.finding.detail == "Credited to Carol, who clicked Log."


def test_contact_mail_in_logged_thread_credits_thread_user() -> None:
    credit = from_bob(["alice@acme.test", "carol@acme.test"], project_thread_user="u-carol")

    assert credit.user_id == "u-carol"
    assert credit.finding.reason is Reason.CREDIT_THREAD_USER
    assert credit.finding.detail == "Credited to Carol, who is credited with this thread."


def test_new_thread_to_one_recipient_credits_that_user() -> None:
    credit = from_bob(["alice@acme.test"])

    assert credit.user_id == "u-alice"
    assert credit.finding.reason is Reason.CREDIT_ONLY_RECIPIENT
    assert credit.finding.detail == "Credited to Alice, the only recipient."


def test_new_thread_with_one_user_among_recipients_credits_that_user() -> None:
    credit = from_bob(["alice@gmail.test"], cc=("eve@client.test", "frank@other.test"))

    assert credit.user_id == "u-alice"
    assert credit.finding.reason is Reason.CREDIT_ONLY_ASSOCIATED_USER
    assert credit.finding.detail == "Credited to Alice, the only recipient who is a user."


def test_new_thread_to_alias_and_outsider_credits_alias_owner() -> None:
    credit = from_bob(["sales@acme.test", "eve@client.test"])

    assert credit.user_id == "u-carol"
    assert credit.finding.reason is Reason.CREDIT_ONLY_ASSOCIATED_USER
    assert credit.finding.detail == "Credited to Carol, the only recipient who is a user."


def test_new_thread_to_several_users_credits_contact_owner() -> None:
    credit = from_bob(["alice@acme.test", "carol@acme.test"])

    assert credit.user_id == "u-dan"
    assert credit.finding.reason is Reason.CREDIT_CONTACT_OWNER
    assert credit.finding.detail == ("Several users received it; credited to Dan, the owner of "
                                     "contact Bob.")


def test_two_addresses_of_same_user_count_as_one_user() -> None:
    credit = from_bob(["alice@acme.test"], cc=("alice@gmail.test",))

    assert credit.user_id == "u-alice"
    assert credit.finding.reason is Reason.CREDIT_ONLY_ASSOCIATED_USER
    assert credit.finding.detail == "Credited to Alice, the only recipient who is a user."


def test_several_users_and_contact_without_owner_skips() -> None:
    credit = from_bob(["alice@acme.test", "carol@acme.test"], contact=a_contact())

    assert credit.user_id is None
    assert credit.finding.verdict is Verdict.SKIP
    assert credit.finding.reason is Reason.NO_CREDIT
    assert credit.finding.detail == "No user could be credited."

"""contact-match (SPEC §4.3): an address is logged on a matching contact, or one to create."""

from __future__ import annotations

from rules.contact_match import ContactMatch
from rules.decision import Effect, Verdict
from rules.facts import CreateContacts
from rules.reasons import Reason
from tests.unit.rules.builders import (
    BETA,
    a_contact,
    a_log_capture,
    a_mailbox,
    a_message,
    a_project,
    a_snapshot,
    a_sync_capture,
    an_evaluation,
)

RULE = ContactMatch()
RECIPIENTS = CreateContacts.RECIPIENTS


def test_address_of_contact_passes() -> None:
    finding = RULE.check(an_evaluation(), "bob@client.test", a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.CONTACT_MATCHED
    assert finding.detail == "bob@client.test is contact Bob in project Acme Homes."


def test_second_address_of_contact_passes() -> None:
    bob = a_contact(addresses=["bob@client.test", "bob@home.test"])
    ev = an_evaluation(message=a_message(to=["bob@home.test"]),
                       snapshot=a_snapshot(contacts=[bob]))

    finding = RULE.check(ev, "bob@home.test", a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.detail == "bob@home.test is contact Bob in project Acme Homes."


def test_contact_address_in_capitals_passes() -> None:
    bob = a_contact(addresses=["Bob@Client.TEST"])

    finding = RULE.check(an_evaluation(snapshot=a_snapshot(contacts=[bob])), "bob@client.test",
                         a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.CONTACT_MATCHED
    assert finding.detail == "bob@client.test is contact Bob in project Acme Homes."


def test_two_contacts_sharing_address_pass() -> None:
    contacts = [a_contact(), a_contact("c-bob2", name="Robert")]

    finding = RULE.check(an_evaluation(snapshot=a_snapshot(contacts=contacts)),
                         "bob@client.test", a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.detail == "bob@client.test is contact Bob, Robert in project Acme Homes."


def test_contact_of_other_project_fails() -> None:
    ev = an_evaluation(snapshot=a_snapshot(contacts=[a_contact(project_id=BETA)]))

    finding = RULE.check(ev, "bob@client.test", a_project())

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.NO_CONTACT
    assert finding.detail == "bob@client.test is not a contact in project Acme Homes."
    assert finding.effect is Effect.NOT_LOGGED


def test_unknown_recipient_with_create_contacts_passes() -> None:
    ev = an_evaluation(snapshot=a_snapshot(contacts=[]))

    finding = RULE.check(ev, "bob@client.test", a_project(create_contacts=RECIPIENTS))

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.CONTACT_TO_CREATE
    assert finding.detail == ("bob@client.test is not a contact in project Acme Homes; a contact "
                              "will be created (create_contacts recipients).")


def test_unknown_sender_on_log_with_create_contacts_fails() -> None:
    ev = an_evaluation(message=a_message(from_="bob@client.test", to=["alice@acme.test"]),
                       capture=a_log_capture(), snapshot=a_snapshot(contacts=[]))

    finding = RULE.check(ev, "bob@client.test", a_project(create_contacts=RECIPIENTS))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.NO_CONTACT
    assert finding.detail == "bob@client.test is not a contact in project Acme Homes."


def test_unknown_recipient_on_sync_with_create_contacts_fails() -> None:
    ev = an_evaluation(capture=a_sync_capture(),
                       snapshot=a_snapshot(contacts=[], mailboxes=[a_mailbox()]))

    finding = RULE.check(ev, "bob@client.test", a_project(create_contacts=RECIPIENTS))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.NO_CONTACT
    assert finding.detail == "bob@client.test is not a contact in project Acme Homes."

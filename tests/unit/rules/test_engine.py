"""decide(): whole decisions, including the SPEC §8 scenarios at the rules level."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rules.decision import Decision, OutcomeStatus, Verdict
from rules.facts import (
    Channel,
    ContactView,
    DirectorySnapshot,
    LoggingMode,
    MessageFacts,
    ProjectView,
    SenderAuthFacts,
    ThreadView,
)
from rules.reasons import Reason
from tests.unit.rules.builders import (
    ACME,
    ACME_BCC,
    BETA,
    BETA_BCC,
    a_capture,
    a_contact,
    a_log_capture,
    a_mailbox,
    a_message,
    a_project,
    a_snapshot,
    a_sync_capture,
    a_user,
    decide_now,
    findings,
    outcome,
)

LOGGED, PENDING, NOT_LOGGED = OutcomeStatus.LOGGED, OutcomeStatus.PENDING, OutcomeStatus.NOT_LOGGED
ALL = LoggingMode.ALL
ALICE = a_user(mailboxes=["alice@gmail.test"], project_ids=[ACME, BETA],
               personal_email_access=True)
CAROL = a_user("u-carol", name="Carol", email="carol@acme.test", project_ids=[ACME, BETA],
               personal_email_access=True)
DAN = a_user("u-dan", name="Dan", email="dan@acme.test", project_ids=())
MEMBERS = ("u-alice", "u-carol")
BOB = a_contact(owner_id="u-dan")
BEA = a_contact("c-bea", project_id=BETA, name="Bea", addresses=["bea@beta-client.test"])
BOB_IN_BETA = a_contact("c-bob-b", project_id=BETA, name="Bob B.")
TO_BOB_FROM_GMAIL = a_message(from_="alice@gmail.test", to=["bob@client.test"])


def acme(**settings: Any) -> ProjectView:
    """Return Acme Homes with Alice and Carol as members."""
    return a_project(member_ids=MEMBERS, interaction_type="Viewing email", **settings)


def beta(**settings: Any) -> ProjectView:
    """Return Beta Build with Alice and Carol as members."""
    return a_project(BETA, name="Beta Build", member_ids=MEMBERS, **settings)


def world(*, projects: Sequence[ProjectView] | None = None,
          contacts: Sequence[ContactView] = (BOB, BEA), mailbox_projects: Sequence[str] = (ACME,),
          thread: ThreadView | None = None, global_ignored: Sequence[str] = ()
          ) -> DirectorySnapshot:
    """Return the directory: Alice's Gmail mailbox synced to `mailbox_projects`."""
    return a_snapshot(
        users=[ALICE, CAROL, DAN],
        projects=projects if projects is not None else [acme(logging_mode=ALL),
                                                         beta(logging_mode=ALL)],
        contacts=contacts,
        mailboxes=[a_mailbox(address="alice@gmail.test", project_ids=mailbox_projects),
                   a_mailbox("mb-carol", user_id="u-carol", address="carol@acme.test",
                             project_ids=[BETA])],
        project_addresses=[ACME_BCC, BETA_BCC], global_ignored=global_ignored, thread=thread)


def synced(message: MessageFacts, snapshot: DirectorySnapshot,
           mailbox: str = "mb-alice") -> Decision:
    """Run decide() on mail synced from a mailbox (Alice's by default)."""
    return decide_now(message, a_sync_capture(mailbox), snapshot)


# SPEC §8 scenario 1: one (or two) mailbox(es) synced to one project; a user sends to a contact.
def test_s01_user_sends_to_contact_logged_with_interaction_type() -> None:
    decision = synced(TO_BOB_FROM_GMAIL, world())

    bob = outcome(decision, "bob@client.test")
    assert (bob.status, bob.contact_id, bob.user_id) == (LOGGED, "c-bob", "u-alice")
    assert bob.reason is Reason.SINGLE_PROJECT
    assert bob.detail == "Project Acme Homes is the only candidate project."
    assert bob.interaction_type == "Viewing email"
    assert [o.project_id for o in decision.outcomes] == [ACME]


def test_s01_second_mailbox_synced_to_same_project_logged() -> None:
    snapshot = world()
    snapshot = a_snapshot(users=snapshot.users, projects=snapshot.projects,
                          contacts=snapshot.contacts, project_addresses=[ACME_BCC],
                          mailboxes=[*snapshot.mailboxes,
                                     a_mailbox("mb-carol-acme", user_id="u-carol",
                                               address="carol@acme.test")])
    message = a_message(from_="carol@acme.test", to=["bob@client.test"])

    decision = synced(message, snapshot, "mb-carol-acme")

    bob = outcome(decision, "bob@client.test")
    assert (bob.status, bob.contact_id, bob.user_id) == (LOGGED, "c-bob", "u-carol")


# SPEC §8 scenario 2: a user sends to an address that is not a contact.
def test_s02_user_sends_to_non_contact_not_logged() -> None:
    decision = synced(a_message(from_="alice@gmail.test", to=["zoe@nowhere.test"]), world())

    zoe = outcome(decision, "zoe@nowhere.test")
    assert (zoe.status, zoe.reason, zoe.rule) == (NOT_LOGGED, Reason.NO_CONTACT, "contact-match")
    assert zoe.detail == "zoe@nowhere.test is not a contact in project Acme Homes."


# SPEC §8 scenario 3: one mailbox synced to projects 1 and 2; recipient a contact in 1 only.
def test_s03_contact_in_one_of_two_synced_projects_logged_there_only() -> None:
    decision = synced(TO_BOB_FROM_GMAIL, world(mailbox_projects=[ACME, BETA]))

    in_acme, in_beta = outcome(decision, "bob@client.test"), outcome(decision, "bob@client.test", BETA)
    assert (in_acme.status, in_acme.reason, in_acme.contact_id) == (
        LOGGED, Reason.ONLY_PROJECT_WITH_CONTACT, "c-bob")
    assert in_acme.detail == ("bob@client.test is a contact only in project Acme Homes among the "
                              "candidate projects.")
    assert (in_beta.status, in_beta.reason) == (NOT_LOGGED, Reason.NO_CONTACT)
    assert in_beta.detail == "bob@client.test is not a contact in project Beta Build."


# SPEC §8 scenario 4: the recipient is a contact in both → pending; assignment logs it.
def test_s04_contact_in_both_synced_projects_pending() -> None:
    decision = synced(TO_BOB_FROM_GMAIL, world(contacts=[BOB, BOB_IN_BETA],
                                               mailbox_projects=[ACME, BETA]))

    assert decision.is_pending
    assert [(o.project_id, o.contact_id, o.status, o.reason) for o in decision.outcomes] == [
        (ACME, "c-bob", PENDING, Reason.AMBIGUOUS_PROJECTS),
        (BETA, "c-bob-b", PENDING, Reason.AMBIGUOUS_PROJECTS),
    ]
    assert decision.outcomes[0].detail == (
        "bob@client.test is a contact in several candidate projects (Acme Homes, Beta Build); "
        "the thread is pending until a user assigns it.")
    assert findings(decision, "attribution") == []


def test_s04_thread_assigned_to_one_project_logged_there() -> None:
    thread = ThreadView("t-1", "assigned", (ACME,))
    decision = synced(TO_BOB_FROM_GMAIL, world(contacts=[BOB, BOB_IN_BETA],
                                               mailbox_projects=[ACME, BETA], thread=thread))

    in_acme, in_beta = outcome(decision, "bob@client.test"), outcome(decision, "bob@client.test", BETA)
    assert (in_acme.status, in_acme.reason, in_acme.detail) == (
        LOGGED, Reason.THREAD_ASSIGNED_HERE, "The thread is assigned to project Acme Homes.")
    assert (in_beta.status, in_beta.reason, in_beta.detail) == (
        NOT_LOGGED, Reason.THREAD_ASSIGNED_ELSEWHERE,
        "The thread is assigned to other projects than Beta Build.")
    assert not decision.is_pending


def test_s04_thread_assigned_to_both_projects_logged_in_both() -> None:
    thread = ThreadView("t-1", "assigned", (ACME, BETA))
    decision = synced(TO_BOB_FROM_GMAIL, world(contacts=[BOB, BOB_IN_BETA],
                                               mailbox_projects=[ACME, BETA], thread=thread))

    assert [(o.project_id, o.contact_id, o.status) for o in decision.outcomes] == [
        (ACME, "c-bob", LOGGED), (BETA, "c-bob-b", LOGGED)]


# SPEC §8 scenario 5: two mailboxes synced to project 1 and project 2 respectively.
def test_s05_mailbox_of_project_one_to_contact_of_project_one_logged() -> None:
    decision = synced(TO_BOB_FROM_GMAIL, world(mailbox_projects=[ACME]))

    assert [(o.project_id, o.status) for o in decision.outcomes] == [(ACME, LOGGED)]


def test_s05_mailbox_of_project_one_to_contact_of_project_two_not_logged() -> None:
    message = a_message(from_="alice@gmail.test", to=["bea@beta-client.test"])

    decision = synced(message, world(mailbox_projects=[ACME]))

    bea = outcome(decision, "bea@beta-client.test")
    assert (bea.status, bea.reason) == (NOT_LOGGED, Reason.NO_CONTACT)
    assert bea.detail == "bea@beta-client.test is not a contact in project Acme Homes."
    assert BETA not in {o.project_id for o in decision.outcomes}


# SPEC §8 scenario 6: any email to or from an ignored address or domain is never logged.
def test_s06_mail_to_ignored_subdomain_never_logged() -> None:
    snapshot = world(projects=[acme(logging_mode=ALL, ignored=["client.test"])])
    message = a_message(from_="alice@gmail.test", to=["bob@client.test"],
                        cc=["ann@eu.client.test"])

    decision = synced(message, snapshot)

    assert {(o.status, o.reason) for o in decision.outcomes} == {
        (NOT_LOGGED, Reason.IGNORED_DOMAIN)}
    assert outcome(decision, "ann@eu.client.test").detail == (
        "bob@client.test matches the ignored domain client.test in project Acme Homes.")


def test_s06_mail_from_globally_ignored_address_never_logged() -> None:
    message = a_message(from_="bob@client.test", to=["alice@gmail.test"])

    decision = synced(message, world(global_ignored=["bob@client.test"]))

    bob = outcome(decision, "bob@client.test")
    assert (bob.status, bob.reason, bob.rule) == (
        NOT_LOGGED, Reason.IGNORED_ADDRESS, "ignored-address")
    assert bob.detail == "bob@client.test is an ignored address in project Acme Homes."


# SPEC §8 scenario 7: no mailbox at all; a member BCCs the project address.
def test_s07_bcc_by_member_logged_and_credited_to_sender() -> None:
    decision = decide_now(snapshot=world(projects=[acme()]))

    bob = outcome(decision, "bob@client.test")
    assert (bob.status, bob.contact_id, bob.user_id) == (LOGGED, "c-bob", "u-alice")
    assert decision.channel == "bcc"
    (credit,) = findings(decision, "attribution")
    assert credit.detail == "Credited to Alice, who sent the email."
    (mode,) = findings(decision, "logging-mode")
    assert (mode.verdict, mode.reason) == (Verdict.SKIP, Reason.MODE_NOT_APPLICABLE)


def test_s07_bcc_without_proof_quarantined() -> None:
    capture = a_capture(sender_auth=SenderAuthFacts(summary="dkim=fail"))

    decision = decide_now(capture=capture, snapshot=world(projects=[acme()]))

    assert decision.is_quarantined
    assert decision.quarantine_reason is Reason.SENDER_NOT_AUTHENTICATED
    bob = outcome(decision, "bob@client.test")
    assert (bob.status, bob.rule) == (NOT_LOGGED, "sender-authenticated")
    assert bob.detail == ("Neither an aligned DKIM signature nor an aligned SPF pass proves that "
                          "alice@acme.test sent this (dkim=fail).")


def test_s07_bcc_by_non_member_not_logged() -> None:
    message = a_message(from_="dan@acme.test")

    decision = decide_now(message, a_capture(envelope_sender="dan@acme.test"),
                          world(projects=[acme()]))

    bob = outcome(decision, "bob@client.test")
    assert (bob.status, bob.reason, bob.rule) == (
        NOT_LOGGED, Reason.USER_NOT_MEMBER, "member-of-project")
    assert bob.detail == "Dan is not a member of project Acme Homes."
    assert findings(decision, "sender-authenticated") == []


# SPEC §8 scenario 8: Log from a contact's profile with an explicit project.
def test_s08_log_with_explicit_project_logged_there() -> None:
    message = a_message(from_="alice@gmail.test", to=["bob@client.test"])

    decision = decide_now(message, a_log_capture(project_ids=[ACME]),
                          world(contacts=[BOB, BOB_IN_BETA]))

    assert [(o.project_id, o.status, o.reason, o.user_id) for o in decision.outcomes] == [
        (ACME, LOGGED, Reason.SINGLE_PROJECT, "u-alice")]
    (credit,) = findings(decision, "attribution")
    assert credit.detail == "Credited to Alice, who clicked Log."


# SPEC §8 scenario 9: replies_only vs all.
REPLY = a_message(from_="bob@client.test", to=["alice@gmail.test"], message_id="<r1@client>",
                  in_reply_to=["<m1@acme.test>"])
NEW_FROM_BOB = a_message(from_="bob@client.test", to=["alice@gmail.test"],
                         message_id="<n1@client>")


def test_s09_replies_only_reply_to_logged_logged() -> None:
    snapshot = world(projects=[acme(logged_message_ids=["<m1@acme.test>"],
                                    thread_user_id="u-carol", held_for=REPLY.message_id)])

    decision = synced(REPLY, snapshot)

    bob = outcome(decision, "bob@client.test")
    assert (bob.status, bob.user_id) == (LOGGED, "u-carol")
    (mode,) = findings(decision, "logging-mode")
    assert (mode.verdict, mode.reason) == (Verdict.PASS, Reason.REPLY_TO_LOGGED)
    assert mode.detail == "The message replies to an email already logged in project Acme Homes."


def test_s09_replies_only_new_mail_from_contact_not_logged() -> None:
    decision = synced(NEW_FROM_BOB, world(projects=[acme()]))

    bob = outcome(decision, "bob@client.test")
    assert (bob.status, bob.reason, bob.rule) == (
        NOT_LOGGED, Reason.NOT_A_REPLY_TO_LOGGED, "logging-mode")
    assert bob.detail == ("Project Acme Homes logs only replies to logged email, and this "
                          "message from bob@client.test replies to none.")


def test_s09_replies_only_mail_user_sends_through_sync_not_logged() -> None:
    decision = synced(TO_BOB_FROM_GMAIL, world(projects=[acme()]))

    bob = outcome(decision, "bob@client.test")
    assert (bob.status, bob.reason) == (NOT_LOGGED, Reason.USER_SENT_REPLIES_ONLY)


def test_s09_all_logs_new_mail_and_reply_from_contact() -> None:
    for message in (REPLY, NEW_FROM_BOB):
        decision = synced(message, world())

        bob = outcome(decision, "bob@client.test")
        assert (bob.status, bob.contact_id) == (LOGGED, "c-bob")
        (mode,) = findings(decision, "logging-mode")
        assert mode.reason is Reason.PERSONAL_EMAIL_ACCESS


# SPEC §8 scenario 10: under all, a recipient who is not a contact is not logged.
def test_s10_all_recipient_not_contact_not_logged() -> None:
    message = a_message(from_="alice@gmail.test", to=["bob@client.test", "zoe@nowhere.test"])

    decision = synced(message, world())

    assert outcome(decision, "bob@client.test").status is LOGGED
    zoe = outcome(decision, "zoe@nowhere.test")
    assert (zoe.status, zoe.reason) == (NOT_LOGGED, Reason.NO_CONTACT)


# SPEC §8 scenario 11: never-log addresses; users without personal_email_access.
def test_s11_never_log_address_not_logged_others_logged() -> None:
    ceo = a_contact("c-ceo", name="CEO", addresses=["ceo@client.test"])
    snapshot = world(projects=[acme(logging_mode=ALL, never_log=["ceo@client.test"])],
                     contacts=[BOB, ceo])
    message = a_message(from_="alice@gmail.test", to=["bob@client.test"], cc=["ceo@client.test"])

    decision = synced(message, snapshot)

    assert outcome(decision, "bob@client.test").status is LOGGED
    ceo_outcome = outcome(decision, "ceo@client.test")
    assert (ceo_outcome.status, ceo_outcome.reason, ceo_outcome.rule) == (
        NOT_LOGGED, Reason.NEVER_LOG_ADDRESS, "never-log")
    assert ceo_outcome.detail == "ceo@client.test is on the never-log list of project Acme Homes."


def test_s11_user_without_personal_email_access_not_logged_under_all() -> None:
    snapshot = world()
    alice = a_user(mailboxes=["alice@gmail.test"], project_ids=[ACME, BETA])
    snapshot = a_snapshot(users=[alice, CAROL, DAN], projects=snapshot.projects,
                          contacts=snapshot.contacts, mailboxes=snapshot.mailboxes)

    decision = synced(TO_BOB_FROM_GMAIL, snapshot)

    bob = outcome(decision, "bob@client.test")
    assert (bob.status, bob.reason) == (NOT_LOGGED, Reason.NO_PERSONAL_EMAIL_ACCESS)
    assert bob.detail == ("Alice does not have personal email access, so mailbox mail is not "
                          "logged in project Acme Homes.")


# SPEC §8 scenario 12: attribution of a contact's new thread.
def credited(to: list[str], cc: tuple[str, ...] = ()) -> tuple[str | None, Reason]:
    decision = synced(a_message(from_="bob@client.test", to=to, cc=cc), world())
    bob = outcome(decision, "bob@client.test")
    assert bob.status is LOGGED
    (credit,) = findings(decision, "attribution")
    return bob.user_id, credit.reason


def test_s12_one_recipient_credited_to_that_user() -> None:
    assert credited(["alice@gmail.test"]) == ("u-alice", Reason.CREDIT_ONLY_RECIPIENT)


def test_s12_one_user_among_several_recipients_credited_to_that_user() -> None:
    assert credited(["alice@gmail.test"], cc=("eve@client.test",)) == (
        "u-alice", Reason.CREDIT_ONLY_ASSOCIATED_USER)


def test_s12_several_users_credited_to_contact_owner() -> None:
    assert credited(["alice@gmail.test", "carol@acme.test"]) == (
        "u-dan", Reason.CREDIT_CONTACT_OWNER)


# SPEC §8 scenario 13 (rules part): a forward is logged as its original, credited to the forwarder.
def test_s13_bcc_forward_of_original_logged_as_original() -> None:
    original = a_message(from_="bob@client.test", to=["carol@acme.test"],
                         message_id="<orig@client.test>")
    forward = a_message(to=[ACME_BCC], message_id="<fwd@acme.test>", original=original)

    decision = decide_now(forward, a_capture(), world(projects=[acme()]))

    assert decision.channel == "forward"
    assert decision.logged_original
    assert decision.message_id == "<orig@client.test>"
    bob = outcome(decision, "bob@client.test")
    assert (bob.status, bob.contact_id, bob.user_id) == (LOGGED, "c-bob", "u-alice")
    (credit,) = findings(decision, "attribution")
    assert credit.detail == "Credited to Alice, who forwarded the email."
    (promotion,) = findings(decision, "channel-promotion")
    assert promotion.reason is Reason.PROMOTED_TO_FORWARD


# SPEC §8 scenario 14: Log on a received email logs it; twice gives the same decision.
def test_s14_log_on_received_mail_logged_and_deterministic() -> None:
    message = a_message(from_="bob@client.test", to=["alice@acme.test"])
    capture = a_log_capture(project_ids=[ACME])

    first = decide_now(message, capture, world(projects=[acme()]))
    second = decide_now(message, capture, world(projects=[acme()]))

    bob = outcome(first, "bob@client.test")
    assert (bob.status, bob.contact_id, bob.user_id) == (LOGGED, "c-bob", "u-alice")
    assert first.to_json() == second.to_json()


def test_decide_deterministic_for_pending_multi_project_decision() -> None:
    def run() -> dict[str, Any]:
        message = a_message(from_="alice@gmail.test", to=["zoe@nowhere.test", "bob@client.test"],
                            cc=["bea@beta-client.test"])
        snapshot = world(contacts=[BOB, BOB_IN_BETA, BEA], mailbox_projects=[BETA, ACME])
        return synced(message, snapshot).to_json()

    first = run()
    assert first == run()
    assert [(o["address"], o["project_id"]) for o in first["outcomes"]] == [
        ("bea@beta-client.test", ACME), ("bea@beta-client.test", BETA),
        ("bob@client.test", ACME), ("bob@client.test", BETA),
        ("zoe@nowhere.test", ACME), ("zoe@nowhere.test", BETA)]


def test_trace_records_every_rule_in_table_order() -> None:
    decision = decide_now(snapshot=world(projects=[acme()]))

    assert [f.rule for f in decision.trace] == [
        "channel-promotion", "capturing-user", "member-of-project", "sender-authenticated",
        "auto-generated", "ignored-address", "internal-only", "message-identity",
        "contact-side", "address-erased", "personal-never-log", "never-log", "logging-mode",
        "contact-match", "project-choice", "attribution", "company-association",
        "deal-association"]
    assert str(decision.trace[5]) == (
        "ignored-address: pass (no_ignored_participant) No participant is ignored in project "
        "Acme Homes.")


def test_auto_generated_mail_stops_every_project() -> None:
    message = a_message(from_="bob@client.test", to=["alice@gmail.test"],
                        headers={"Auto-Submitted": "auto-replied"})

    decision = synced(message, world(contacts=[BOB, BOB_IN_BETA], mailbox_projects=[ACME, BETA]))

    assert {(o.project_id, o.status, o.reason) for o in decision.outcomes} == {
        (ACME, NOT_LOGGED, Reason.AUTO_SUBMITTED), (BETA, NOT_LOGGED, Reason.AUTO_SUBMITTED)}
    assert len(findings(decision, "auto-generated")) == 1


def test_internal_only_mail_has_no_outcomes() -> None:
    message = a_message(to=["carol@acme.test"])

    decision = decide_now(message, snapshot=world(projects=[acme()]))

    assert decision.outcomes == ()
    (internal,) = findings(decision, "internal-only")
    assert (internal.verdict, internal.reason) == (Verdict.FAIL, Reason.INTERNAL_ONLY)


def test_log_by_user_without_projects_not_logged_with_reason() -> None:
    message = a_message(from_="bob@client.test", to=["dan@acme.test"])

    decision = decide_now(message, a_log_capture("u-dan"), world(projects=[acme()]))

    (bob,) = decision.outcomes
    assert (bob.address, bob.project_id, bob.status, bob.reason, bob.rule) == (
        "bob@client.test", None, NOT_LOGGED, Reason.NO_CANDIDATE_PROJECT, "capturing-user")
    assert bob.detail == "No project is a candidate for this message."


def test_create_contacts_outcome_has_no_contact_and_is_flagged() -> None:
    from rules.facts import CreateContacts

    snapshot = world(projects=[acme(create_contacts=CreateContacts.RECIPIENTS)])
    decision = decide_now(a_message(to=["zoe@nowhere.test"]), snapshot=snapshot)

    zoe = outcome(decision, "zoe@nowhere.test")
    assert (zoe.status, zoe.contact_id, zoe.create_contact, zoe.user_id) == (
        LOGGED, None, True, "u-alice")
    assert Channel(decision.channel) is Channel.BCC


def test_log_naming_two_projects_contact_in_one_creatable_in_other_logged_where_contact() -> None:
    from rules.facts import CreateContacts

    snapshot = world(projects=[acme(create_contacts=CreateContacts.RECIPIENTS), beta()],
                     contacts=[BOB_IN_BETA])

    decision = decide_now(a_message(to=["bob@client.test"]),
                          a_log_capture(project_ids=[ACME, BETA]), snapshot)

    in_acme, in_beta = outcome(decision, "bob@client.test"), outcome(decision, "bob@client.test", BETA)
    assert (in_beta.status, in_beta.contact_id, in_beta.reason) == (
        LOGGED, "c-bob-b", Reason.ONLY_PROJECT_WITH_CONTACT)
    assert (in_acme.status, in_acme.reason, in_acme.create_contact) == (
        NOT_LOGGED, Reason.CONTACT_IN_OTHER_PROJECT, False)
    assert not decision.is_pending


def test_contact_in_both_projects_ignored_in_one_logged_in_other_with_honest_reason() -> None:
    snapshot = world(projects=[acme(ignored=["bob@client.test"]), beta()],
                     contacts=[BOB, BOB_IN_BETA])

    decision = decide_now(a_message(to=["bob@client.test"]),
                          a_log_capture(project_ids=[ACME, BETA]), snapshot)

    in_beta = outcome(decision, "bob@client.test", BETA)
    assert (in_beta.status, in_beta.reason) == (LOGGED, Reason.ONLY_PROJECT_LEFT)
    assert in_beta.detail == ("Project Beta Build is the only candidate project where "
                              "bob@client.test can be logged; the other candidate projects "
                              "excluded it.")
    assert outcome(decision, "bob@client.test").reason is Reason.IGNORED_ADDRESS

"""project-choice (SPEC §4.3): one project, the only project with the contact, or pending."""

from __future__ import annotations

from collections.abc import Iterable

from rules.decision import Effect, Verdict
from rules.evaluation import Evaluation
from rules.facts import ContactView, ThreadView
from rules.project_choice import ProjectChoice
from rules.reasons import Reason
from tests.unit.rules.builders import (
    ACME,
    BETA,
    a_contact,
    a_log_capture,
    a_project,
    a_snapshot,
    a_user,
    an_evaluation,
)

RULE = ProjectChoice()
ACME_HOMES = a_project()
BETA_BUILD = a_project(BETA, name="Beta Build")
BOTH = (ACME_HOMES, BETA_BUILD)
BOB_IN_BETA = a_contact("c-bob-b", project_id=BETA)
BOB_IN_BOTH = (a_contact(), BOB_IN_BETA)


def two_candidates(thread: ThreadView | None = None, *,
                   contacts: Iterable[ContactView] = BOB_IN_BOTH) -> Evaluation:
    """Return an evaluation of a Log click naming Acme Homes and Beta Build."""
    snapshot = a_snapshot(users=[a_user(project_ids=[ACME, BETA])], projects=BOTH,
                          contacts=contacts, thread=thread)
    return an_evaluation(capture=a_log_capture(project_ids=[ACME, BETA]), snapshot=snapshot)


def test_single_candidate_project_passes() -> None:
    (finding,) = RULE.choose(an_evaluation(), "bob@client.test", (ACME_HOMES,))

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.SINGLE_PROJECT
    assert finding.detail == "Project Acme Homes is the only candidate project."
    assert finding.project_id == ACME


def test_contact_in_only_one_of_two_candidates_passes() -> None:
    ev = two_candidates(contacts=[BOB_IN_BETA])

    (finding,) = RULE.choose(ev, "bob@client.test", (BETA_BUILD,))

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.ONLY_PROJECT_WITH_CONTACT
    assert finding.detail == ("bob@client.test is a contact only in project Beta Build among "
                              "the candidate projects.")
    assert finding.project_id == BETA


def test_contact_in_both_candidates_is_pending() -> None:
    findings = RULE.choose(two_candidates(), "bob@client.test", BOTH)

    assert [(f.project_id, f.verdict, f.reason, f.effect) for f in findings] == [
        (ACME, Verdict.FAIL, Reason.AMBIGUOUS_PROJECTS, Effect.PENDING),
        (BETA, Verdict.FAIL, Reason.AMBIGUOUS_PROJECTS, Effect.PENDING),
    ]
    assert {f.detail for f in findings} == {(
        "bob@client.test is a contact in several candidate projects (Acme Homes, Beta Build); "
        "the thread is pending until a user assigns it.")}


def test_thread_assigned_to_one_project_passes_there_and_fails_elsewhere() -> None:
    thread = ThreadView("t-1", "assigned", (ACME,))

    here, elsewhere = RULE.choose(two_candidates(thread), "bob@client.test", BOTH)

    assert (here.verdict, here.reason, here.detail) == (
        Verdict.PASS, Reason.THREAD_ASSIGNED_HERE, "The thread is assigned to project Acme Homes.")
    assert (elsewhere.verdict, elsewhere.reason, elsewhere.detail) == (
        Verdict.FAIL, Reason.THREAD_ASSIGNED_ELSEWHERE,
        "The thread is assigned to other projects than Beta Build.")
    assert elsewhere.effect is Effect.NOT_LOGGED


def test_thread_assigned_to_both_projects_passes_in_both() -> None:
    thread = ThreadView("t-1", "assigned", (ACME, BETA))

    findings = RULE.choose(two_candidates(thread), "bob@client.test", BOTH)

    assert [(f.verdict, f.reason, f.detail) for f in findings] == [
        (Verdict.PASS, Reason.THREAD_ASSIGNED_HERE,
         "The thread is assigned to project Acme Homes."),
        (Verdict.PASS, Reason.THREAD_ASSIGNED_HERE,
         "The thread is assigned to project Beta Build."),
    ]


def test_pending_thread_stays_pending() -> None:
    findings = RULE.choose(two_candidates(ThreadView("t-1", "pending")), "bob@client.test", BOTH)

    assert {(f.verdict, f.reason) for f in findings} == {
        (Verdict.FAIL, Reason.AMBIGUOUS_PROJECTS)}


def test_contact_in_both_but_excluded_from_one_passes_in_other() -> None:
    (finding,) = RULE.choose(two_candidates(), "bob@client.test", (BETA_BUILD,))

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.ONLY_PROJECT_LEFT
    assert finding.detail == ("Project Beta Build is the only candidate project where "
                              "bob@client.test can be logged; the other candidate projects "
                              "excluded it.")


def test_contact_in_one_project_and_creatable_in_other_passes_only_where_contact() -> None:
    ev = two_candidates(contacts=[BOB_IN_BETA])

    acme, beta = RULE.choose(ev, "bob@client.test", BOTH)

    assert (acme.verdict, acme.reason, acme.effect) == (
        Verdict.FAIL, Reason.CONTACT_IN_OTHER_PROJECT, Effect.NOT_LOGGED)
    assert acme.detail == ("bob@client.test is a contact in project Beta Build, not in project "
                           "Acme Homes; no contact is created here.")
    assert (beta.verdict, beta.reason) == (Verdict.PASS, Reason.ONLY_PROJECT_WITH_CONTACT)


def test_no_contact_and_creatable_in_both_is_pending() -> None:
    findings = RULE.choose(two_candidates(contacts=[]), "zoe@nowhere.test", BOTH)

    assert {(f.verdict, f.reason, f.effect) for f in findings} == {
        (Verdict.FAIL, Reason.AMBIGUOUS_NEW_CONTACT, Effect.PENDING)}
    assert findings[0].detail == (
        "zoe@nowhere.test is not a contact in any candidate project and could be created in "
        "several (Acme Homes, Beta Build); the thread is pending until a user assigns it.")


def test_no_contact_and_creatable_in_one_of_two_passes() -> None:
    (finding,) = RULE.choose(two_candidates(contacts=[]), "zoe@nowhere.test", (ACME_HOMES,))

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.ONLY_PROJECT_LEFT
    assert finding.detail == ("Project Acme Homes is the only candidate project where "
                              "zoe@nowhere.test can be logged; the other candidate projects "
                              "excluded it.")

"""member-of-project (SPEC §4.2.1): the capturing user must be a member of the project."""

from __future__ import annotations

from rules.decision import Effect, Verdict
from rules.member_of_project import MemberOfProject
from rules.reasons import Reason
from tests.unit.rules.builders import (
    ACME,
    a_mailbox,
    a_message,
    a_project,
    a_snapshot,
    a_sync_capture,
    a_user,
    an_evaluation,
)

RULE = MemberOfProject()


def test_member_bccs_project_passes() -> None:
    finding = RULE.check(an_evaluation(), a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.USER_IS_MEMBER
    assert finding.detail == "Alice is a member of project Acme Homes."
    assert finding.project_id == ACME


def test_user_who_is_not_member_fails() -> None:
    project = a_project(member_ids=("u-carol",))
    ev = an_evaluation(snapshot=a_snapshot(projects=[project]))

    finding = RULE.check(ev, project)

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.USER_NOT_MEMBER
    assert finding.detail == "Alice is not a member of project Acme Homes."
    assert finding.effect is Effect.NOT_LOGGED


def test_sender_who_is_not_a_user_fails() -> None:
    ev = an_evaluation(message=a_message(from_="mallory@evil.test"))

    finding = RULE.check(ev, a_project())

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.SENDER_NOT_A_USER
    assert finding.detail == "mallory@evil.test is not a user of project Acme Homes."
    assert finding.address == "mallory@evil.test"


def test_alias_of_member_passes() -> None:
    alice = a_user(aliases=("alice.smith@acme.test",))
    ev = an_evaluation(message=a_message(from_="alice.smith@acme.test"),
                       snapshot=a_snapshot(users=[alice]))

    finding = RULE.check(ev, a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.USER_IS_MEMBER
    assert finding.detail == "Alice is a member of project Acme Homes."


def test_connected_mailbox_address_of_member_passes() -> None:
    alice = a_user(mailboxes=("alice@gmail.test",))
    ev = an_evaluation(message=a_message(from_="alice@gmail.test"),
                       snapshot=a_snapshot(users=[alice]))

    finding = RULE.check(ev, a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.detail == "Alice is a member of project Acme Homes."


def test_mailbox_owner_not_member_of_synced_project_fails() -> None:
    project = a_project(member_ids=())
    ev = an_evaluation(capture=a_sync_capture(),
                       snapshot=a_snapshot(projects=[project], mailboxes=[a_mailbox()]))

    finding = RULE.check(ev, project)

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.USER_NOT_MEMBER
    assert finding.detail == "Alice is not a member of project Acme Homes."


def test_alias_stored_in_capitals_passes() -> None:
    alice = a_user(aliases=("Alice.Smith@Acme.test",))
    ev = an_evaluation(message=a_message(from_="alice.smith@acme.test"),
                       snapshot=a_snapshot(users=[alice]))

    finding = RULE.check(ev, a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.USER_IS_MEMBER
    assert finding.detail == "Alice is a member of project Acme Homes."

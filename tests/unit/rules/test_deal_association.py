"""deal-association (SPEC §12): none, the 5 most recently updated open deals, or all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from rules.deal_association import DealAssociation
from rules.decision import Verdict
from rules.evaluation import Association
from rules.facts import ContactView, DealAssociationMode, DealView
from rules.reasons import Reason
from tests.unit.rules.builders import (
    ACME,
    a_contact,
    a_project,
    a_snapshot,
    an_evaluation,
    decide_now,
    findings,
    outcome,
)

RULE = DealAssociation()
START = datetime(2026, 11, 1, tzinfo=UTC)
# Seven open deals of Bob, deal 6 updated last.
DEALS = tuple(DealView(f"d-{n}", ACME, f"Deal {n}", START + timedelta(days=n), ("c-bob",))
              for n in range(7))


def associate(mode: DealAssociationMode, contact: ContactView | None = None,
              deals: tuple[DealView, ...] = DEALS) -> Association:
    contact = contact or a_contact()
    snapshot = replace(a_snapshot(contacts=[contact]), deals=deals)
    project = replace(a_project(), deal_association=mode)
    return RULE.associate(an_evaluation(snapshot=snapshot), "bob@client.test", project, contact)


def test_none_files_under_no_deal() -> None:
    filed = associate(DealAssociationMode.NONE)

    assert filed.ids == ()
    assert (filed.finding.verdict, filed.finding.reason) == (Verdict.SKIP,
                                                              Reason.DEAL_ASSOCIATION_OFF)
    assert filed.finding.detail == ("Project Acme Homes files interactions under no deal "
                                    "(deal_association none).")


def test_open_recent_files_under_the_five_most_recently_updated() -> None:
    filed = associate(DealAssociationMode.OPEN_RECENT)

    assert filed.ids == ("d-6", "d-5", "d-4", "d-3", "d-2")
    assert filed.finding.reason is Reason.DEALS_OPEN_RECENT
    assert filed.finding.detail == (
        "Also filed under Deal 6, Deal 5, Deal 4, Deal 3, Deal 2: the most recently updated "
        "open deals of contact Bob, at most 5 (deal_association open_recent).")


def test_all_open_files_under_every_open_deal() -> None:
    filed = associate(DealAssociationMode.ALL_OPEN)

    assert filed.ids == tuple(f"d-{n}" for n in reversed(range(7)))
    assert filed.finding.reason is Reason.DEALS_ALL_OPEN


def test_another_contacts_deals_are_not_filed_under() -> None:
    filed = associate(DealAssociationMode.ALL_OPEN,
                      a_contact("c-carol", name="Carol", addresses=["bob@client.test"]))

    assert filed.ids == ()
    assert filed.finding.reason is Reason.NO_OPEN_DEALS
    assert filed.finding.detail == "Contact Carol has no open deal in project Acme Homes."


def test_a_contact_created_now_has_no_deal() -> None:
    snapshot = replace(a_snapshot(contacts=[]), deals=DEALS)
    project = replace(a_project(), deal_association=DealAssociationMode.ALL_OPEN)

    filed = RULE.associate(an_evaluation(snapshot=snapshot), "new@client.test", project, None)

    assert (filed.ids, filed.finding.reason) == ((), Reason.NO_OPEN_DEALS)


def test_the_decision_carries_the_deals_on_the_logged_outcome_and_its_finding() -> None:
    project = replace(a_project(), deal_association=DealAssociationMode.OPEN_RECENT)
    snapshot = replace(a_snapshot(projects=[project]), deals=DEALS[:2])

    decision = decide_now(snapshot=snapshot)

    assert outcome(decision, "bob@client.test").deal_ids == ("d-1", "d-0")
    assert [f.reason for f in findings(decision, "deal-association")] == [
        Reason.DEALS_OPEN_RECENT]

"""company-association (SPEC §12): the contact's company, else the company of its domain."""

from __future__ import annotations

from dataclasses import replace

from rules.company_association import CompanyAssociation
from rules.decision import Verdict
from rules.evaluation import Association
from rules.facts import CompanyView, ContactView
from rules.reasons import Reason
from tests.unit.rules.builders import (
    ACME,
    BETA,
    a_contact,
    a_project,
    a_snapshot,
    an_evaluation,
    decide_now,
    findings,
    outcome,
)

RULE = CompanyAssociation()
CLIENT = CompanyView("co-client", ACME, "Client Ltd", ("client.test",))
BUYERS = CompanyView("co-buyers", ACME, "Buyers Inc", ("buyers.test",))
GMAIL_CO = CompanyView("co-gmail", ACME, "Gmail fan club", ("gmail.com",))
ELSEWHERE = CompanyView("co-beta", BETA, "Client (Beta's)", ("client.test",))


def associate(address: str, contact: ContactView | None,
              *companies: CompanyView) -> Association:
    snapshot = replace(a_snapshot(contacts=[contact] if contact else []), companies=companies)
    return RULE.associate(an_evaluation(snapshot=snapshot), address, a_project(), contact)


def test_contact_naming_a_company_is_filed_under_it_first() -> None:
    bob = replace(a_contact(), company_id=BUYERS.id)

    filed = associate("bob@client.test", bob, CLIENT, BUYERS)

    assert filed.ids == (BUYERS.id,)
    assert (filed.finding.verdict, filed.finding.reason) == (Verdict.PASS,
                                                              Reason.COMPANY_OF_CONTACT)
    assert filed.finding.detail == ("Also filed under company Buyers Inc, the company of "
                                    "contact Bob in project Acme Homes.")


def test_address_domain_finds_the_company_with_that_domain() -> None:
    filed = associate("bob@client.test", a_contact(), CLIENT, ELSEWHERE)

    assert filed.ids == (CLIENT.id,)
    assert filed.finding.reason is Reason.COMPANY_BY_DOMAIN
    assert filed.finding.detail == ("Also filed under company Client Ltd, whose domain "
                                    "client.test matches bob@client.test in project Acme Homes.")


def test_subdomain_finds_the_company_of_its_parent_domain() -> None:
    filed = associate("bob@mail.eu.client.test", a_contact(addresses=["bob@mail.eu.client.test"]),
                      CLIENT)

    assert filed.ids == (CLIENT.id,)
    assert filed.finding.reason is Reason.COMPANY_BY_DOMAIN


def test_free_mail_domain_never_matches_a_company() -> None:
    filed = associate("bob@gmail.com", a_contact(addresses=["bob@gmail.com"]), GMAIL_CO)

    assert filed.ids == ()
    assert (filed.finding.verdict, filed.finding.reason) == (Verdict.SKIP,
                                                              Reason.FREE_MAIL_DOMAIN)
    assert filed.finding.detail == ("bob@gmail.com is at gmail.com, a free-mail provider: no "
                                    "company of project Acme Homes is matched by its domain.")


def test_free_mail_contact_naming_its_company_is_still_filed_under_it() -> None:
    bob = replace(a_contact(addresses=["bob@gmail.com"]), company_id=CLIENT.id)

    assert associate("bob@gmail.com", bob, CLIENT).ids == (CLIENT.id,)


def test_no_company_of_the_project_has_the_domain() -> None:
    filed = associate("bob@client.test", a_contact(), ELSEWHERE)

    assert filed.ids == ()
    assert filed.finding.reason is Reason.NO_COMPANY
    assert filed.finding.detail == ("Contact Bob names no company and no company of project "
                                    "Acme Homes has the domain of bob@client.test.")


def test_the_decision_carries_the_company_on_the_logged_outcome_and_its_finding() -> None:
    snapshot = replace(a_snapshot(), companies=(CLIENT,))

    decision = decide_now(snapshot=snapshot)

    assert outcome(decision, "bob@client.test").company_ids == (CLIENT.id,)
    [finding] = findings(decision, "company-association")
    assert finding.reason is Reason.COMPANY_BY_DOMAIN

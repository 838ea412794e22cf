"""manual-match: only an address left without a contact can be matched by hand (SPEC §12)."""

from __future__ import annotations

from rules.decision import Effect, Verdict
from rules.manual_match import ManualMatch, MatchRequest
from rules.reasons import Reason


def a_request(**fields: object) -> MatchRequest:
    values: dict[str, object] = {
        "address": "bob@client.test", "project_id": "p-acme", "project_name": "Acme Homes",
        "status": "not_logged", "reason": "no_contact", "contact_name": "Bob Buyer",
        "created": False, "user_name": "Alice"}
    values.update(fields)
    return MatchRequest(**values)  # type: ignore[arg-type]


def test_address_without_contact_matched_to_existing_contact_passes() -> None:
    finding = ManualMatch().check(a_request())

    assert (finding.verdict, finding.reason) == (Verdict.PASS, Reason.MANUAL_MATCH)
    assert finding.detail == ("Alice matched bob@client.test to contact Bob Buyer in project "
                              "Acme Homes, so the email is logged there.")
    assert (finding.address, finding.project_id) == ("bob@client.test", "p-acme")


def test_address_without_contact_given_new_contact_passes_as_created() -> None:
    finding = ManualMatch().check(a_request(created=True, contact_name="Bob New"))

    assert (finding.verdict, finding.reason) == (Verdict.PASS, Reason.MANUAL_MATCH_CREATED)
    assert finding.detail == ("Alice created contact Bob New for bob@client.test in project "
                              "Acme Homes, so the email is logged there.")


def test_logged_address_fails_as_not_unmatched() -> None:
    finding = ManualMatch().check(a_request(status="logged", reason="contact_matched"))

    assert (finding.verdict, finding.reason) == (Verdict.FAIL, Reason.ADDRESS_NOT_UNMATCHED)
    assert finding.effect is Effect.NONE
    assert finding.detail == ("bob@client.test is logged in project Acme Homes "
                              "(contact_matched), not an address without a contact; only "
                              "those can be matched by hand.")


def test_never_log_address_fails_as_not_unmatched() -> None:
    finding = ManualMatch().check(a_request(reason="never_log_address"))

    assert (finding.verdict, finding.reason) == (Verdict.FAIL, Reason.ADDRESS_NOT_UNMATCHED)

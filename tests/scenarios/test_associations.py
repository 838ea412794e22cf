"""SPEC §12: what an interaction is filed under, for each deal_association mode, end to end.

The world's project 1 has company Client Ltd (client.test) and contact Bob
(bob@client.test) with four deals: three open, updated on the 1st, 2nd and 3rd, and one
won. Each scenario captures one email through a real interface (SMTP, mailbox sync, Log),
after a dry run (POST /v1/explain) that must predict the same filings.
"""

from __future__ import annotations

from typing import Any

from blindcopy.runtime import Service
from tests.client import send_smtp
from tests.directory import a_mailbox, contacts, email
from tests.scenarios.conftest import World
from tests.scenarios.world import explain, log, processed, sync


async def _filed_world(world: World, mode: str) -> dict[str, str]:
    """Set the mode; add the company, Bob and his deals; return their ids by external id."""
    p1 = world.p1["id"]
    await world.api.patch(f"/v1/projects/{p1}", {"settings": {"deal_association": mode,
                                                              "logging_mode": "all"}})
    [company] = (await world.api.put(f"/v1/projects/{p1}/companies", [
        {"external_id": "client", "name": "Client Ltd", "domains": ["client.test"]}]))[
        "companies"]
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    result = await world.api.put(f"/v1/projects/{p1}/deals", [
        {"external_id": f"deal-{n}", "name": f"Deal {n}", "status": "open",
         "contact_external_ids": ["bob"], "updated_at": f"2026-11-0{n}T09:00:00Z"}
        for n in (1, 2, 3)] + [
        {"external_id": "won", "name": "Won", "status": "won",
         "contact_external_ids": ["bob"], "updated_at": "2026-11-09T09:00:00Z"}])
    return {"client": company["id"], **ids,
            **{d["external_id"]: d["id"] for d in result["deals"]}}


def filings(decision: dict[str, Any]) -> list[tuple[str, list[str], list[str]]]:
    """(address, company ids, deal ids) of every logged outcome."""
    return sorted((o["address"], o["company_ids"], o["deal_ids"])
                  for o in decision["outcomes"] if o["status"] == "logged")


def association_reasons(decision: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["rule"], f["reason"]) for f in decision["trace"]
            if f["rule"] in ("company-association", "deal-association")]


async def test_a01_none_files_under_the_company_only(world: World, service: Service) -> None:
    ids = await _filed_world(world, "none")
    raw = email("alice@acme.test", "bob@client.test", message_id="<a1@acme.test>")

    predicted = await explain(world.api, raw, "bcc", project_ids=[world.p1["id"]])
    await send_smtp(service.smtp_port, "alice@acme.test", [world.p1["addresses"]["bcc"]], raw)
    decision = await processed(world.api, "<a1@acme.test>")

    assert filings(predicted) == filings(decision) == [
        ("bob@client.test", [ids["client"]], [])]
    assert association_reasons(decision) == [("company-association", "company_by_domain"),
                                             ("deal-association", "deal_association_off")]


async def test_a02_open_recent_files_under_the_recent_open_deals(world: World) -> None:
    ids = await _filed_world(world, "open_recent")
    mailbox = await a_mailbox(world.api, world.alice["id"], "alice@gmail.test",
                              [world.p1["id"]])
    raw = email("alice@gmail.test", "bob@client.test", message_id="<a2@gmail.test>")

    predicted = await explain(world.api, raw, "sync", user_id=world.alice["id"])
    decision = await sync(world.api, mailbox["id"], raw)

    assert filings(predicted) == filings(decision) == [
        ("bob@client.test", [ids["client"]], [ids["deal-3"], ids["deal-2"], ids["deal-1"]])]
    assert association_reasons(decision)[1] == ("deal-association", "deals_open_recent")
    whole = await world.api.get(f"/v1/interactions/{decision['outcomes'][0]['interaction_id']}")
    assert [d["name"] for d in whole["deals"]] == ["Deal 3", "Deal 2", "Deal 1"]


async def test_a03_all_open_files_under_every_open_deal_never_a_won_one(world: World) -> None:
    ids = await _filed_world(world, "all_open")
    raw = email("bob@client.test", "alice@acme.test", "Question", message_id="<a3@client.test>")

    predicted = await explain(world.alice_api, raw, "log", project_ids=[world.p1["id"]])
    decision = await log(world.alice_api, raw, [world.p1["id"]])

    assert filings(predicted) == filings(decision) == [
        ("bob@client.test", [ids["client"]], [ids["deal-3"], ids["deal-2"], ids["deal-1"]])]
    assert association_reasons(decision)[1] == ("deal-association", "deals_all_open")
    won = await world.api.get(f"/v1/projects/{world.p1['id']}/deals/{ids['won']}/interactions")
    assert won["items"] == []

"""SPEC §12 end to end over real sockets: companies, deals, one interaction whole.

A BCC over SMTP and a Log over HTTP are filed under the contact's company (or the company of
its domain, never a free-mail provider's) and its open deals as deal_association says; the
company's and deal's timelines and GET /v1/interactions/{id} read them back.
"""

from __future__ import annotations

import base64
from email.message import EmailMessage
from typing import Any

from blindcopy.runtime import Service
from tests.client import ApiClient, eventually, send_smtp
from tests.directory import a_project, a_token, a_user, contacts, email

HTML = ('<p onclick="steal()">Here is the <b>offer</b>.<script>alert(1)</script>'
        '<a href="javascript:go()">x</a> <a href="https://acme.test/offer">the offer</a>'
        '<img src="cid:plan@acme.test"></p>')


def offer_email(to: str, message_id: str) -> bytes:
    """A multipart email from Alice: text, HTML with script, and a PDF attachment."""
    message = EmailMessage()
    message["From"] = "Alice Agent <alice@acme.test>"
    message["To"] = to
    message["Reply-To"] = "sales@acme.test"
    message["Subject"] = "The offer"
    message["Date"] = "Tue, 24 Nov 2026 10:00:00 +0000"
    message["Message-ID"] = message_id
    message["X-Mailer"] = "Not shown"
    message.set_content("Here is the offer.\n")
    message.add_alternative(HTML, subtype="html")
    message.add_attachment(b"%PDF-1.4 plan", maintype="application", subtype="pdf",
                           filename="plan.pdf")
    return message.as_bytes()


async def processed(api: ApiClient, message_id: str) -> dict[str, Any]:
    """Wait until the message is processed; return its stored decision."""
    async def probe() -> dict[str, Any] | None:
        items = (await api.get("/v1/messages", params={"message_id": message_id}))["items"]
        return items[0] if items and items[0]["status"] not in ("queued", "processing") else None
    message = await eventually(probe)
    result: dict[str, Any] = await api.get(f"/v1/messages/{message['id']}/decision")
    return result


def outcome_of(decision: dict[str, Any], address: str) -> dict[str, Any]:
    [found] = [o for o in decision["outcomes"] if o["address"] == address]
    return found


def findings(decision: dict[str, Any], rule: str) -> list[tuple[str, str, str]]:
    return [(f["address"], f["reason"], f["detail"]) for f in decision["trace"]
            if f["rule"] == rule]


async def deals(api: ApiClient, project_id: str, *entries: tuple[str, str, list[str], str]
                ) -> dict[str, str]:
    """Upsert deals (external_id, status, contact external ids, updated_at)."""
    result = await api.put(f"/v1/projects/{project_id}/deals", [
        {"external_id": e[0], "name": e[0].title(), "status": e[1],
         "contact_external_ids": e[2], "updated_at": e[3]} for e in entries])
    return {d["external_id"]: d["id"] for d in result["deals"]}


async def test_bcc_is_filed_under_company_and_recent_open_deals(
        service: Service, api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes", deal_association="open_recent")
    pid = project["id"]
    await a_user(api, "Alice", "alice@acme.test", projects=(pid,))
    companies = (await api.put(f"/v1/projects/{pid}/companies", [
        {"external_id": "client", "name": "Client Ltd", "domains": ["Client.test"]},
        {"external_id": "gmail", "name": "Gmail fans", "domains": ["gmail.com"]}]))["companies"]
    client_co = companies[0]["id"]
    ids = await contacts(api, pid, ("bob", "Bob", ["bob@eu.client.test"]),
                         ("gil", "Gil", ["gil@gmail.com"]))
    deal_ids = await deals(api, pid, *[
        (f"deal-{n}", "open", ["bob"], f"2026-11-0{n + 1}T10:00:00Z") for n in range(6)],
        ("won", "won", ["bob"], "2026-11-20T10:00:00+01:00"))

    await send_smtp(service.smtp_port, "alice@acme.test", [project["addresses"]["bcc"]],
                    offer_email("Bob <bob@eu.client.test>, gil@gmail.com", "<offer@acme.test>"))

    decision = await processed(api, "<offer@acme.test>")
    bob, gil = outcome_of(decision, "bob@eu.client.test"), outcome_of(decision, "gil@gmail.com")
    assert (bob["status"], bob["company_ids"]) == ("logged", [client_co])
    assert bob["deal_ids"] == [deal_ids[f"deal-{n}"] for n in (5, 4, 3, 2, 1)]
    assert (gil["company_ids"], gil["deal_ids"]) == ([], [])
    assert findings(decision, "company-association") == [
        ("bob@eu.client.test", "company_by_domain",
         ("Also filed under company Client Ltd, whose domain client.test matches "
          "bob@eu.client.test in project Acme Homes.")),
        ("gil@gmail.com", "free_mail_domain",
         ("gil@gmail.com is at gmail.com, a free-mail provider: no company of project "
          "Acme Homes is matched by its domain."))]
    assert [f[1] for f in findings(decision, "deal-association")] == [
        "deals_open_recent", "no_open_deals"]

    [filed] = (await api.get(f"/v1/projects/{pid}/companies/{client_co}/interactions"))["items"]
    assert (filed["id"], filed["contact_id"]) == (bob["interaction_id"], ids["bob"])
    assert filed["message"]["subject"] == "The offer"
    [on_deal] = (await api.get(
        f"/v1/projects/{pid}/deals/{deal_ids['deal-5']}/interactions"))["items"]
    assert on_deal["id"] == bob["interaction_id"]
    assert (await api.get(f"/v1/projects/{pid}/deals/{deal_ids['won']}/interactions"))[
        "items"] == []

    whole = await api.get(f"/v1/interactions/{bob['interaction_id']}")
    assert (whole["direction"], whole["original_verified"], whole["channels"]) == (
        "outbound", False, ["bcc"])
    assert [c["external_id"] for c in whole["companies"]] == ["client"]
    assert [d["external_id"] for d in whole["deals"]] == [f"deal-{n}" for n in (5, 4, 3, 2, 1)]
    html = whole["message"]["html"]
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html
    assert '<a href="https://acme.test/offer" rel="noopener noreferrer">the offer</a>' in html
    assert 'src="cid:plan@acme.test"' in html
    assert whole["message"]["text"].strip() == "Here is the offer."
    shown = {h["name"]: h["value"] for h in whole["message"]["headers"]}
    assert shown["reply-to"] == "sales@acme.test" and "x-mailer" not in shown
    assert shown["message-id"] == "<offer@acme.test>"
    [attachment] = whole["attachments"]
    assert (attachment["n"], attachment["filename"], attachment["content_type"],
            attachment["size"]) == (1, "plan.pdf", "application/pdf", 13)


async def test_logged_reply_is_filed_under_the_contacts_company_and_all_open_deals(
        service: Service, api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes", deal_association="all_open")
    pid = project["id"]
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(pid,))
    alice_api = api.as_user(await a_token(api, alice["id"]))
    [company] = (await api.put(f"/v1/projects/{pid}/companies", [
        {"external_id": "buyers", "name": "Buyers Inc", "domains": ["buyers.test"]}]))[
        "companies"]
    contact = (await api.put(f"/v1/projects/{pid}/contacts", [
        {"external_id": "gil", "name": "Gil", "emails": ["gil@gmail.com"],
         "company_external_id": "buyers"}]))["contacts"][0]
    deal_ids = await deals(api, pid, *[
        (f"deal-{n}", "open", ["gil"], f"2026-10-{10 + n}T09:00:00Z") for n in range(7)],
        ("lost", "lost", ["gil"], "2026-11-01T09:00:00Z"))
    raw = email("Gil <gil@gmail.com>", "alice@acme.test", "Re: The offer",
                message_id="<reply@gmail.com>")

    decision = await alice_api.post("/v1/log", {"raw": base64.b64encode(raw).decode(),
                                                "project_ids": [pid]})

    [outcome] = decision["outcomes"]
    assert (outcome["status"], outcome["contact_id"]) == ("logged", contact["id"])
    assert outcome["company_ids"] == [company["id"]]
    assert sorted(outcome["deal_ids"]) == sorted(v for k, v in deal_ids.items() if k != "lost")
    assert [f[1] for f in findings(decision, "company-association")] == ["company_of_contact"]
    whole = await alice_api.get(f"/v1/interactions/{outcome['interaction_id']}")
    assert whole["direction"] == "inbound"
    assert whole["message"]["html"] is None
    assert len(whole["deals"]) == 7
    page = await alice_api.get(f"/v1/projects/{pid}/companies/{company['id']}/interactions",
                               params={"limit": "1"})
    assert [i["id"] for i in page["items"]] == [outcome["interaction_id"]]
    assert page["next"] is None
    # Logged again: one interaction, its filings kept once.
    again = await alice_api.post("/v1/log", {"raw": base64.b64encode(raw).decode(),
                                             "project_ids": [pid]})
    assert again["outcomes"][0]["interaction_id"] == outcome["interaction_id"]
    assert len((await api.get(f"/v1/projects/{pid}/deals/{deal_ids['deal-0']}/interactions"))[
        "items"]) == 1
    # A second email: the company's timeline pages newest first.
    second = email("Gil <gil@gmail.com>", "alice@acme.test", "Re: Re: The offer",
                   message_id="<reply2@gmail.com>")
    newer = await alice_api.post("/v1/log", {"raw": base64.b64encode(second).decode(),
                                             "project_ids": [pid]})
    timeline = f"/v1/projects/{pid}/companies/{company['id']}/interactions"
    first = await alice_api.get(timeline, params={"limit": "1"})
    rest = await alice_api.get(timeline, params={"limit": "1", "cursor": first["next"]})
    assert [i["id"] for i in first["items"] + rest["items"]] == [
        newer["outcomes"][0]["interaction_id"], outcome["interaction_id"]]
    assert rest["next"] is None


async def test_direction_is_told_relative_to_the_projects_members(
        service: Service, api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes", create_contacts="recipients")
    pid = project["id"]
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(pid,))
    ben = await a_user(api, "Ben", "ben@acme.test", projects=(pid,))
    alice_api = api.as_user(await a_token(api, alice["id"]))
    raw = email("alice@acme.test", "bob@client.test", "Offer", cc="ben@acme.test",
                message_id="<memo@acme.test>")
    decision = await alice_api.post("/v1/log", {"raw": base64.b64encode(raw).decode(),
                                                "project_ids": [pid]})
    path = f"/v1/interactions/{decision['outcomes'][0]['interaction_id']}"
    assert (await alice_api.get(path))["direction"] == "outbound"
    # Once bob@client.test is Ben's alias, the same email went between members only.
    await api.patch(f"/v1/users/{ben['id']}", {"aliases": ["bob@client.test"]})
    assert (await alice_api.get(path))["direction"] == "internal"


async def test_a_contact_created_on_logging_is_filed_under_its_domains_company(
        service: Service, api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes", create_contacts="recipients")
    pid = project["id"]
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(pid,))
    alice_api = api.as_user(await a_token(api, alice["id"]))
    [company] = (await api.put(f"/v1/projects/{pid}/companies", [
        {"external_id": "client", "name": "Client", "domains": ["client.test"]}]))["companies"]
    raw = email("alice@acme.test", "bob@client.test", "Offer", message_id="<o2@acme.test>")

    decision = await alice_api.post("/v1/log", {"raw": base64.b64encode(raw).decode(),
                                                "project_ids": [pid]})

    [outcome] = decision["outcomes"]
    assert (outcome["status"], outcome["company_ids"]) == ("logged", [company["id"]])
    [filed] = (await api.get(f"/v1/projects/{pid}/companies/{company['id']}/interactions"))[
        "items"]
    assert filed["contact_id"] == outcome["contact_id"]


async def test_bad_company_and_deal_bodies_are_named_field_by_field(
        service: Service, api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes")
    other = await a_project(api, "Birch Realty")
    pid = project["id"]
    await contacts(api, pid, ("bob", "Bob", ["bob@client.test"]))
    status, body = await api.request("PUT", f"/v1/projects/{pid}/deals", json=[
        {"external_id": "d1", "status": "pending", "contact_external_ids": ["bob", "nobody"],
         "updated_at": "yesterday"},
        {"external_id": "d2", "status": "open", "contact_external_ids": ["nobody"],
         "company_external_id": "ghost", "updated_at": "2026-11-23T16:12:00"}])
    assert status == 422
    assert {e["field"] for e in body["errors"]} == {"[0].status", "[0].updated_at",
                                                    "[1].updated_at"}
    status, body = await api.request("PUT", f"/v1/projects/{pid}/deals", json=[
        {"external_id": "d2", "status": "open", "contact_external_ids": ["bob", "nobody"],
         "company_external_id": "ghost", "updated_at": "2026-11-23T16:12:00+01:00"}])
    assert status == 422
    assert [e["field"] for e in body["errors"]] == ["[0].contact_external_ids[1]",
                                                    "[0].company_external_id"]
    status, body = await api.request("PUT", f"/v1/projects/{pid}/contacts", json=[
        {"external_id": "bob", "emails": ["bob@client.test"], "company_external_id": "ghost"}])
    assert (status, body["errors"][0]["field"]) == (422, "[0].company_external_id")
    status, body = await api.request("PUT", f"/v1/projects/{pid}/companies", json=[
        {"external_id": "c", "domains": ["not a domain"]}, {"external_id": "c", "domains": []}])
    assert status == 422
    assert {e["field"] for e in body["errors"]} == {"[0].domains[0]", "[1].external_id"}
    # Another project's company is not found, whoever asks.
    [company] = (await api.put(f"/v1/projects/{other['id']}/companies", [
        {"external_id": "c", "name": "C", "domains": ["c.test"]}]))["companies"]
    status, body = await api.request(
        "GET", f"/v1/projects/{pid}/companies/{company['id']}/interactions")
    assert (status, body["status"]) == (404, 404)
    bob = await a_user(api, "Ben", "ben@acme.test", projects=(pid,))
    ben_api = api.as_user(await a_token(api, bob["id"]))
    status, _ = await ben_api.request(
        "GET", f"/v1/projects/{other['id']}/companies/{company['id']}/interactions")
    assert status == 404
    status, _ = await ben_api.request("GET", "/v1/interactions/nope")
    assert status == 404

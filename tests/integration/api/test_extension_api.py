"""The extension's API over a real socket (SPEC §11): CORS, scoped tokens, lookup.

Each test runs the whole service (its clock movable, so token expiry needs no waiting)
with `cors_origins` listing the extension's origin, on the test database (SQLite, or
PostgreSQL with BLINDCOPY_TEST_DATABASE_URL).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from blindcopy.runtime import Service, start_service
from config.settings import Settings
from tests.client import ApiClient
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project, a_user, contacts

EXTENSION = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
WEB_ADD_IN = "https://outlook.example.test"
STRANGER = "https://evil.example.test"
INSUFFICIENT_SCOPE = "https://blindcopy.dev/problems/insufficient_scope"


class MovableClock:
    """The service's clock, moved forward by the test."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclasses.dataclass
class World:
    """A running service, its clock, an admin client and the directory the tests share.

    Acme (Alice, Dave, contact Bob) and Globex (Gina, contacts Bob and Carol).
    """

    service: Service
    clock: MovableClock
    admin: ApiClient
    acme: str
    globex: str
    alice: str
    dave: str
    gina: str
    bob_in_acme: str
    bob_in_globex: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.service.http_port}"

    async def token(self, user_id: str, **body: Any) -> dict[str, Any]:
        issued: dict[str, Any] = await self.admin.post(f"/v1/users/{user_id}/tokens", body,
                                                       expect=201)
        return issued

    def as_token(self, token: str) -> ApiClient:
        return self.admin.as_user(token)


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    clock = MovableClock()
    service = await start_service(
        dataclasses.replace(settings, cors_origins=f"{EXTENSION}, {WEB_ADD_IN}"), clock=clock)
    try:
        async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as admin:
            acme = (await a_project(admin, "Acme Homes"))["id"]
            globex = (await a_project(admin, "Globex"))["id"]
            alice = (await a_user(admin, "Alice", "alice@acme.test", projects=(acme,)))["id"]
            dave = (await a_user(admin, "Dave", "dave@acme.test", projects=(acme,),
                                 aliases=["dave@home.test"]))["id"]
            gina = (await a_user(admin, "Gina", "gina@globex.test", projects=(globex,)))["id"]
            in_acme = await contacts(admin, acme, ("bob", "Bob Buyer", ["bob@client.test"]))
            in_globex = await contacts(admin, globex,
                                       ("bob", "Robert B.", ["bob@client.test"]),
                                       ("carol", "Carol", ["carol@client.test"]))
            yield World(service, clock, admin, acme, globex, alice, dave, gina,
                        in_acme["bob"], in_globex["bob"])
    finally:
        await service.stop()


def quote(number: int, sender: str = "alice@acme.test") -> dict[str, Any]:
    """The structured Log body of a quote from `sender` to Bob."""
    return {"message": {"from": sender, "to": ["bob@client.test"], "subject": f"Quote {number}",
                        "message_id": f"<quote-{number}@acme.test>", "text": "The quote."}}


async def raw_request(method: str, url: str, headers: dict[str, str]
                      ) -> tuple[int, dict[str, str], str]:
    """Send one request with exactly these headers; return status, headers and body."""
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, headers=headers) as response:
            return response.status, dict(response.headers), await response.text()


def cors_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower().startswith("access-control-")}


# CORS

async def test_a_listed_origins_preflight_is_answered_204_without_a_token(world: World) -> None:
    status, headers, body = await raw_request("OPTIONS", world.url + "/v1/log", {
        "Origin": EXTENSION, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert (status, body) == (204, "")
    assert headers["Access-Control-Allow-Origin"] == EXTENSION
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert int(headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in headers["Vary"]


async def test_a_preflight_to_any_api_route_from_the_other_listed_origin(world: World) -> None:
    status, headers, _ = await raw_request(
        "OPTIONS", world.url + f"/v1/projects/{world.acme}/contacts",
        {"Origin": WEB_ADD_IN, "Access-Control-Request-Method": "PUT"})
    assert status == 204 and headers["Access-Control-Allow-Origin"] == WEB_ADD_IN


async def test_another_origin_gets_no_cors_headers(world: World) -> None:
    status, headers, _ = await raw_request("OPTIONS", world.url + "/v1/log", {
        "Origin": STRANGER, "Access-Control-Request-Method": "POST"})
    assert status == 401 and cors_headers(headers) == {}
    status, headers, _ = await raw_request("GET", world.url + "/v1/projects", {
        "Origin": STRANGER, "Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert status == 200 and cors_headers(headers) == {}
    assert "Origin" in headers["Vary"]


async def test_answers_to_a_listed_origin_carry_allow_origin_errors_too(world: World) -> None:
    token = (await world.token(world.alice, scopes=["log"]))["token"]
    answers = {
        "ok": await raw_request("GET", world.url + "/v1/lookup?address=bob@client.test",
                                {"Origin": EXTENSION, "Authorization": f"Bearer {token}"}),
        "no token": await raw_request("GET", world.url + "/v1/projects",
                                      {"Origin": EXTENSION}),
        "scope": await raw_request("GET", world.url + "/v1/projects",
                                   {"Origin": EXTENSION, "Authorization": f"Bearer {token}"}),
    }
    assert {name: status for name, (status, _, _) in answers.items()} == {
        "ok": 200, "no token": 401, "scope": 403}
    for _, headers, _ in answers.values():
        assert headers["Access-Control-Allow-Origin"] == EXTENSION
        assert "WWW-Authenticate" in headers["Access-Control-Expose-Headers"]


async def test_without_cors_origins_no_origin_gets_cors_headers(service: Service) -> None:
    url = f"http://127.0.0.1:{service.http_port}"
    status, headers, _ = await raw_request("OPTIONS", url + "/v1/log", {
        "Origin": EXTENSION, "Access-Control-Request-Method": "POST"})
    assert status == 401 and cors_headers(headers) == {}


# Named, scoped, expiring tokens

async def test_a_token_is_issued_with_its_name_scopes_and_expiry(world: World) -> None:
    before = world.clock()
    issued = await world.token(world.alice, name="Chrome extension", scopes=["log"],
                               expires_in_seconds=900)
    assert issued["name"] == "Chrome extension" and issued["scopes"] == ["log"]
    expires_at = datetime.fromisoformat(issued["expires_at"])
    assert before + timedelta(seconds=899) <= expires_at <= world.clock() + timedelta(seconds=900)
    default = await world.token(world.alice)
    assert default["scopes"] == ["log", "read", "write"] and default["expires_at"] is None
    listed = (await world.admin.get(f"/v1/users/{world.alice}/tokens"))["items"]
    assert [(t["id"], t["name"], t["scopes"]) for t in listed] == [
        (issued["id"], "Chrome extension", ["log"]),
        (default["id"], None, ["log", "read", "write"])]
    assert not any("token" in t or "token_hash" in t for t in listed)


@pytest.mark.parametrize(("body", "field"), [
    ({"scopes": ["admin"]}, "scopes[0]"), ({"scopes": []}, "scopes"),
    ({"expires_in_seconds": 0}, "expires_in_seconds"),
    ({"expires_in_seconds": "60"}, "expires_in_seconds"), ({"name": ""}, "name"),
    ({"colour": "red"}, "colour")])
async def test_an_invalid_token_request_is_a_field_error(world: World, body: dict[str, Any],
                                                         field: str) -> None:
    status, problem = await world.admin.request("POST", f"/v1/users/{world.alice}/tokens",
                                                json=body)
    assert status == 422 and [e["field"] for e in problem["errors"]] == [field]


async def test_a_log_token_logs_looks_up_and_reads_only_its_own_captures(world: World) -> None:
    alice = world.as_token((await world.token(world.alice, scopes=["log"]))["token"])
    dave = world.as_token((await world.token(world.dave))["token"])
    mine = await alice.post("/v1/log", quote(1))
    theirs = await dave.post("/v1/log", quote(2, "dave@acme.test"))
    assert [o["status"] for o in mine["outcomes"]] == ["logged"]
    await alice.post("/v1/explain", {"raw": "RnJvbTogYUBiLmMNCg0KaGk=", "channel": "log"})
    await alice.get("/v1/lookup?address=bob@client.test")
    listed = (await alice.get("/v1/messages"))["items"]
    assert [m["id"] for m in listed] == [mine["received_id"]]
    await alice.get(f"/v1/messages/{mine['received_id']}/decision")
    await alice.get(f"/v1/messages/{theirs['received_id']}/decision", expect=404)
    # Dave's token has read: he sees both messages of his project.
    assert len((await dave.get("/v1/messages"))["items"]) == 2


@pytest.mark.parametrize(("scopes", "allowed"), [
    (["log"], {"log", "lookup", "messages"}),  # messages: its own captures
    (["read"], {"projects", "contacts", "lookup", "messages"}),
    (["write"], {"put contacts", "unlog", "rotate", "mint"}),
    (["read", "write"], {"projects", "contacts", "lookup", "messages", "put contacts",
                         "unlog", "rotate", "mint"}),
])
async def test_each_scope_allows_its_routes_and_refuses_the_others(
        world: World, scopes: list[str], allowed: set[str]) -> None:
    client = world.as_token((await world.token(world.alice, scopes=scopes))["token"])
    logged = await world.as_token((await world.token(world.alice))["token"]).post(
        "/v1/log", quote(3))
    interaction = logged["outcomes"][0]["interaction_id"]
    calls = {
        "log": ("POST", "/v1/log", {"json": quote(4)}),
        "lookup": ("GET", "/v1/lookup?address=bob@client.test", {}),
        "projects": ("GET", "/v1/projects", {}),
        "contacts": ("GET", f"/v1/projects/{world.acme}/contacts", {}),
        "messages": ("GET", "/v1/messages", {}),
        "put contacts": ("PUT", f"/v1/projects/{world.acme}/contacts",
                         {"json": [{"external_id": "eve", "emails": ["eve@client.test"]}]}),
        "unlog": ("DELETE", f"/v1/interactions/{interaction}", {}),
        "rotate": ("POST", f"/v1/projects/{world.acme}/addresses/rotate", {}),
        "mint": ("POST", f"/v1/users/{world.alice}/tokens", {"json": {"scopes": ["write"]}}),
    }
    outcome: dict[str, int] = {}
    for name, (method, path, options) in calls.items():
        status, body = await client.request(method, path, **options)
        outcome[name] = status
        if status == 403:
            assert body["type"] == INSUFFICIENT_SCOPE, body
    assert {name for name, status in outcome.items() if status < 300} == allowed, outcome
    assert {name for name, status in outcome.items() if status >= 300} == {
        name for name, status in outcome.items() if status == 403}


async def test_an_expired_token_is_refused_by_the_services_clock(world: World) -> None:
    token = (await world.token(world.alice, scopes=["log"], expires_in_seconds=60))["token"]
    client = world.as_token(token)
    world.clock.offset = timedelta(seconds=59)
    await client.get("/v1/lookup?address=bob@client.test")
    world.clock.offset = timedelta(seconds=61)
    status, problem = await client.request("GET", "/v1/lookup?address=bob@client.test")
    assert status == 401 and "expired" in problem["detail"]


async def test_a_revoked_token_stops_working_at_once(world: World) -> None:
    issued = await world.token(world.alice, name="laptop")
    client = world.as_token(issued["token"])
    await client.get("/v1/projects")
    await client.delete(f"/v1/tokens/{issued['id']}")
    status, _ = await client.request("GET", "/v1/projects")
    assert status == 401
    # The older route still revokes; another user's token id is not found.
    other = await world.token(world.alice)
    await world.admin.delete(f"/v1/users/{world.alice}/tokens/{other['id']}")
    assert (await world.as_token(other["token"]).request("GET", "/v1/projects"))[0] == 401
    ginas = await world.token(world.gina)
    dave = world.as_token((await world.token(world.dave))["token"])
    await dave.delete(f"/v1/tokens/{ginas['id']}", expect=404)
    await world.as_token(ginas["token"]).get("/v1/projects")


async def test_a_token_cannot_mint_one_that_does_more_or_lives_longer(world: World) -> None:
    short = world.as_token((await world.token(world.alice, scopes=["read", "write"],
                                              expires_in_seconds=600))["token"])
    path = f"/v1/users/{world.alice}/tokens"
    status, problem = await short.request("POST", path, json={"scopes": ["log"],
                                                              "expires_in_seconds": 60})
    assert status == 422 and problem["errors"][0]["field"] == "scopes"
    status, problem = await short.request("POST", path, json={"scopes": ["read"]})
    assert status == 422 and problem["errors"][0]["field"] == "expires_in_seconds"
    await short.post(path, {"scopes": ["read"], "expires_in_seconds": 300}, expect=201)


# Lookup

async def test_lookup_tells_only_what_the_callers_projects_hold(world: World) -> None:
    await world.admin.post(f"/v1/projects/{world.acme}/ignored", {"pattern": "spam.test"},
                           expect=201)
    await world.admin.post(f"/v1/projects/{world.globex}/ignored", {"pattern": "client.test"},
                           expect=201)
    await world.admin.post(f"/v1/projects/{world.acme}/never-log",
                           {"address": "lawyer@firm.test"}, expect=201)
    alice = world.as_token((await world.token(world.alice, scopes=["log"]))["token"])
    addresses = ["Bob@Client.test", "carol@client.test", "dave@home.test", "gina@globex.test",
                 "x@news.spam.test", "lawyer@firm.test"]
    query = "&".join(f"address={a}" for a in addresses)
    items = {i["address"]: i for i in (await alice.get(f"/v1/lookup?{query}"))["items"]}
    assert list(items) == [a.lower() for a in addresses]
    assert items["bob@client.test"]["contacts"] == [
        {"project_id": world.acme, "contact_id": world.bob_in_acme, "name": "Bob Buyer"}]
    assert items["carol@client.test"]["contacts"] == []  # a contact of Globex only
    assert not items["bob@client.test"]["ignored"]  # ignored by Globex only
    assert {a for a, i in items.items() if i["is_user"]} == {"dave@home.test"}
    assert {a for a, i in items.items() if i["ignored"]} == {"x@news.spam.test"}
    assert {a for a, i in items.items() if i["never_log"]} == {"lawyer@firm.test"}
    everything = await world.admin.get("/v1/lookup?address=bob@client.test")
    assert {c["project_id"] for c in everything["items"][0]["contacts"]} == {
        world.acme, world.globex}


@pytest.mark.parametrize("query", ["", "?address=not-an-address",
                                   "?" + "&".join(f"address=a{i}@b.test" for i in range(51))])
async def test_lookup_refuses_no_bad_or_too_many_addresses(world: World, query: str) -> None:
    status, problem = await world.admin.request("GET", "/v1/lookup" + query)
    assert status == 422 and problem["errors"], problem

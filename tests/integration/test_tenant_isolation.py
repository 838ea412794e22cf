"""SPEC §9: a project shows only what was captured for it, whatever Message-ID an email carries.

Two tenants, Alpha and Beta, each with a member and the contact bob@client.test. A member of
one captures (Log, then BCC over SMTP) mail carrying the Message-ID the other logged; every
route that shows message content is then read as each tenant and searched for the other's
words. Within one project, another email reusing a Message-ID is kept apart with a warning
on both decisions, while the same email captured again (BCC, Log, sync) stays one
interaction with three channels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from blindcopy.runtime import Service
from tests.client import ApiClient, eventually, send_smtp
from tests.directory import a_mailbox, a_project, a_token, a_user, contacts, email, timeline
from tests.scenarios.world import explain, log, processed, sync

SHARED_ID = "<board-minutes-2026@beta.test>"
BETA_WORDS = ("Acquisition of Gamma", "The price is 4.2 million")
ALPHA_WORDS = ("Alpha made this up", "A forged body")


@dataclass
class Tenant:
    """A project with one member (and the member's client) and the contact Bob."""

    project: dict[str, Any]
    member: dict[str, Any]
    api: ApiClient
    bob: str

    @property
    def id(self) -> str:
        return str(self.project["id"])

    @property
    def bcc(self) -> str:
        return str(self.project["addresses"]["bcc"])


async def _tenant(api: ApiClient, name: str, member_email: str) -> Tenant:
    project = await a_project(api, name, logging_mode="all")
    member = await a_user(api, name + " Member", member_email, projects=(project["id"],),
                          personal_email_access=True)
    ids = await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    return Tenant(project, member, api.as_user(await a_token(api, member["id"])), ids["bob"])


@pytest.fixture
async def tenants(api: ApiClient) -> tuple[Tenant, Tenant]:
    """Return (Alpha, Beta)."""
    return (await _tenant(api, "Alpha", "ann@alpha.test"),
            await _tenant(api, "Beta", "bea@beta.test"))


def _beta_mail(beta: Tenant) -> bytes:
    return email(beta.member["email"], "Bob <bob@client.test>", BETA_WORDS[0],
                 message_id=SHARED_ID, body=BETA_WORDS[1])


def _alpha_mail(alpha: Tenant) -> bytes:
    return email(alpha.member["email"], "Bob <bob@client.test>", ALPHA_WORDS[0],
                 message_id=SHARED_ID, body=ALPHA_WORDS[1])


async def _everything_shown_to(tenant: Tenant) -> str:
    """Every route that shows message content, read with the tenant's token, as one text."""
    shown: list[Any] = [await timeline(tenant.api, tenant.id, tenant.bob)]
    messages = (await tenant.api.get("/v1/messages"))["items"]
    shown += [messages] + [await tenant.api.get(f"/v1/messages/{m['id']}/decision")
                           for m in messages]
    for status in ("pending", "open", "assigned"):
        shown.append(await tenant.api.get("/v1/threads", params={"status": status}))
    return json.dumps(shown)


def _words(text: str, words: tuple[str, ...]) -> list[str]:
    return [word for word in words if word in text]


async def _bcc(service: Service, tenant: Tenant, raw: bytes) -> dict[str, Any]:
    await send_smtp(service.smtp_port, tenant.member["email"], [tenant.bcc], raw)
    return await eventually(lambda: _decision_of(tenant))


async def _decision_of(tenant: Tenant) -> dict[str, Any] | None:
    items = (await tenant.api.get("/v1/messages", params={"message_id": SHARED_ID}))["items"]
    bcc = [m for m in items if m["channel"] == "bcc" and m["status"] == "done"]
    return await tenant.api.get(f"/v1/messages/{bcc[0]['id']}/decision") if bcc else None


async def test_a_tenant_reusing_a_message_id_sees_only_its_own_capture(
        service: Service, tenants: tuple[Tenant, Tenant]) -> None:
    alpha, beta = tenants
    await log(beta.api, _beta_mail(beta))
    await _bcc(service, beta, _beta_mail(beta))

    alpha_logged = await log(alpha.api, _alpha_mail(alpha))
    await _bcc(service, alpha, _alpha_mail(alpha))

    [alpha_item] = await timeline(alpha.api, alpha.id, alpha.bob)
    assert (alpha_item["message"]["subject"], alpha_item["channels"]) == (
        ALPHA_WORDS[0], ["log", "bcc"])
    assert alpha_logged["warnings"] == []
    [beta_item] = await timeline(beta.api, beta.id, beta.bob)
    assert (beta_item["message"]["subject"], beta_item["channels"]) == (
        BETA_WORDS[0], ["log", "bcc"])
    assert BETA_WORDS[1] in beta_item["message"]["preview"]
    alpha_sees, beta_sees = await _everything_shown_to(alpha), await _everything_shown_to(beta)
    assert (_words(alpha_sees, BETA_WORDS), _words(beta_sees, ALPHA_WORDS)) == ([], [])
    assert _words(alpha_sees, ALPHA_WORDS) and _words(beta_sees, BETA_WORDS)


async def test_a_message_id_registered_first_by_another_tenant_changes_nothing(
        service: Service, tenants: tuple[Tenant, Tenant]) -> None:
    alpha, beta = tenants
    await _bcc(service, alpha, _alpha_mail(alpha))
    await log(alpha.api, _alpha_mail(alpha))

    beta_logged = await log(beta.api, _beta_mail(beta))

    [beta_item] = await timeline(beta.api, beta.id, beta.bob)
    assert beta_item["message"]["subject"] == BETA_WORDS[0]
    assert beta_logged["warnings"] == []
    assert _words(await _everything_shown_to(beta), ALPHA_WORDS) == []


async def test_explain_shows_nothing_of_another_tenant(
        service: Service, tenants: tuple[Tenant, Tenant]) -> None:
    alpha, beta = tenants
    await log(beta.api, _beta_mail(beta))

    dry_run = await explain(alpha.api, _alpha_mail(alpha), "log")

    assert _words(json.dumps(dry_run), BETA_WORDS) == []
    [identity] = [s for s in dry_run["trace"] if s["rule"] == "message-identity"]
    assert identity["reason"] == "new_email"


async def test_a_reply_joins_only_its_own_projects_thread(
        service: Service, tenants: tuple[Tenant, Tenant]) -> None:
    alpha, beta = tenants
    beta_first = await log(beta.api, _beta_mail(beta))
    reply = email(alpha.member["email"], "bob@client.test", "Re: " + BETA_WORDS[0],
                  message_id="<alpha-reply@alpha.test>",
                  headers=f"In-Reply-To: {SHARED_ID}\nReferences: {SHARED_ID}")

    alpha_reply = await log(alpha.api, reply)

    [beta_outcome] = beta_first["outcomes"]
    [alpha_outcome] = alpha_reply["outcomes"]
    assert alpha_outcome["status"] == "logged"
    assert alpha_outcome["thread_id"] != beta_outcome["thread_id"]
    beta_again = await log(beta.api, _beta_mail(beta))
    assert beta_again["outcomes"][0]["thread_id"] == beta_outcome["thread_id"]


async def test_another_email_reusing_a_message_id_is_kept_apart_with_a_warning(
        service: Service, tenants: tuple[Tenant, Tenant]) -> None:
    _alpha, beta = tenants
    first = await log(beta.api, _beta_mail(beta))
    other = email(beta.member["email"], "Bob <bob@client.test>", "Another email",
                  message_id=SHARED_ID, body="Nothing to do with the first.")

    second = await log(beta.api, other)

    assert second["warnings"] == ["message_id_reused"]
    [identity] = [s for s in second["trace"] if s["rule"] == "message-identity"]
    assert identity["reason"] == "message_id_reused"
    told = await beta.api.get(f"/v1/messages/{first['received_id']}/decision")
    assert told["warnings"] == ["message_id_reused"]
    items = await timeline(beta.api, beta.id, beta.bob)
    assert sorted(i["message"]["subject"] for i in items) == ["Acquisition of Gamma",
                                                              "Another email"]
    assert len({i["id"] for i in items}) == 2


async def test_the_same_email_captured_three_ways_is_one_interaction(
        service: Service, tenants: tuple[Tenant, Tenant]) -> None:
    _alpha, beta = tenants
    mailbox = await a_mailbox(beta.api, beta.member["id"], beta.member["email"], [beta.id])

    await _bcc(service, beta, _beta_mail(beta))
    logged = await log(beta.api, _beta_mail(beta))
    synced = await sync(beta.api, mailbox["id"], _beta_mail(beta))

    [item] = await timeline(beta.api, beta.id, beta.bob)
    assert sorted(item["channels"]) == ["bcc", "log", "sync"]
    assert {logged["outcomes"][0]["interaction_id"], synced["outcomes"][0]["interaction_id"]} \
        == {item["id"]}
    assert (logged["warnings"], synced["warnings"]) == ([], [])
    assert (await processed(beta.api, SHARED_ID))["warnings"] == []

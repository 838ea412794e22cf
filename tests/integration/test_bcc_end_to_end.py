"""Issue 2 end to end: BCC over a real SMTP socket is logged on the contact (HTTP API read-back)."""

from __future__ import annotations

import aiosmtplib
import pytest

from blindcopy.runtime import Service
from tests.client import ApiClient, eventually, send_smtp
from tests.directory import a_project, a_user, contacts, email, timeline

UNKNOWN_RECIPIENT = 550


async def _message_done(api: ApiClient, message_id: str) -> dict | None:
    items = (await api.get(f"/v1/messages?message_id={message_id}"))["items"]
    return items[0] if items and items[0]["status"] not in ("queued", "processing") else None


async def test_bcc_from_member_is_logged_on_contact(service: Service, api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    ids = await contacts(api, project["id"], ("bob", "Bob Buyer", ["Bob@Client.test"]))
    raw = email("Alice <alice@acme.test>", "Bob <bob@client.test>", "Offer",
                message_id="<offer-1@acme.test>")

    await send_smtp(service.smtp_port, "alice@acme.test", [project["addresses"]["bcc"]], raw)

    message = await eventually(lambda: _message_done(api, "<offer-1@acme.test>"))
    assert message["status"] == "done"
    [interaction] = await timeline(api, project["id"], ids["bob"])
    assert interaction["channels"] == ["bcc"]
    assert interaction["user_id"] == alice["id"]
    assert interaction["type"] == "Email"
    assert interaction["message"]["subject"] == "Offer"
    decision = await api.get(f"/v1/messages/{message['id']}/decision")
    [outcome] = decision["outcomes"]
    assert (outcome["address"], outcome["status"]) == ("bob@client.test", "logged")
    assert outcome["interaction_id"] == interaction["id"]


async def test_address_that_is_not_a_project_address_gets_550(service: Service,
                                                              api: ApiClient) -> None:
    await a_project(api, "Acme Homes")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await send_smtp(service.smtp_port, "alice@acme.test", ["someone@elsewhere.test"],
                        email("alice@acme.test", "bob@client.test"))
    [error] = refused.value.recipients
    assert error.code == UNKNOWN_RECIPIENT
    assert error.message.startswith("5.1.1")


async def test_unknown_sender_is_not_logged_and_decision_says_why(service: Service,
                                                                  api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes")
    await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    ids = await contacts(api, project["id"], ("bob", "Bob Buyer", ["bob@client.test"]))
    raw = email("Mallory <mallory@evil.test>", "bob@client.test", message_id="<x-1@evil.test>")

    await send_smtp(service.smtp_port, "mallory@evil.test", [project["addresses"]["bcc"]], raw)

    message = await eventually(lambda: _message_done(api, "<x-1@evil.test>"))
    decision = await api.get(f"/v1/messages/{message['id']}/decision")
    [outcome] = decision["outcomes"]
    assert outcome["status"] == "not_logged"
    assert outcome["reason"] == "sender_not_a_user"
    assert outcome["detail"] == "mallory@evil.test is not a user of project Acme Homes."
    rules = {(step["rule"], step["verdict"]) for step in decision["trace"]}
    assert ("member-of-project", "fail") in rules
    assert await timeline(api, project["id"], ids["bob"]) == []

"""postmaster@<mail_domain> takes mail (RFC 5321 4.5.1), kept for admins, never a capture.

The message is spooled like any other, with channel `postmaster` and status `done`: no
worker claims it (so no rule ever logs it anywhere), an admin finds it in GET /v1/messages
and reads it at GET /v1/messages/{id}/raw; a user sees neither.
"""

from __future__ import annotations

from typing import Any

import pytest

from blindcopy.runtime import Service
from tests.client import ApiClient, eventually
from tests.directory import a_project, a_token, a_user, contacts, email
from tests.hostility.raw_smtp import RawSmtp

MAIL_DOMAIN = "in.blindcopy.test"
OK = 250
UNKNOWN_RECIPIENT = 550
FORBIDDEN = 403


async def send(service: Service, recipients: list[str], data: bytes) -> str:
    """Send one message over a raw SMTP session; return the 250 reply's text."""
    async with await RawSmtp.connect(service.smtp_port) as client:
        assert (await client.greet()).code == OK
        reply = await client.transaction("alice@acme.test", recipients, data + b".\r\n")
        assert reply.code == OK, reply
        return reply.text


async def received_by_channel(api: ApiClient) -> dict[str, list[dict[str, Any]]]:
    """Return the admin's view of every received message, grouped by channel."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in (await api.get("/v1/messages"))["items"]:
        grouped.setdefault(item["channel"], []).append(item)
    return grouped


@pytest.mark.parametrize("recipient", [f"postmaster@{MAIL_DOMAIN}",
                                       f"PostMaster@{MAIL_DOMAIN.upper()}", "Postmaster"])
async def test_postmaster_mail_is_accepted_and_kept_for_admins_only(
        service: Service, api: ApiClient, recipient: str) -> None:
    project = await a_project(api, "Acme Homes")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    raw = email("bob@client.test", f"postmaster@{MAIL_DOMAIN}", "Your server refused me",
                message_id="<pm-1@client.test>")
    # Sent with a BCC of the same message to the project in one transaction: the BCC is
    # processed and logged, the postmaster copy is only kept.
    await send(service, [recipient, project["addresses"]["bcc"]], raw)

    async def processed() -> dict[str, list[dict[str, Any]]] | None:
        grouped = await received_by_channel(api)
        done = [m for m in grouped.get("bcc", []) if m["status"] == "done"]
        return grouped if done else None

    grouped = await eventually(processed, timeout=30)
    [kept] = grouped["postmaster"]
    assert (kept["status"], kept["outcomes"]) == ("done", [])
    decision = await api.get(f"/v1/messages/{kept['id']}/decision")
    assert (decision["outcomes"], decision["trace"]) == ([], [])
    assert await api.get_bytes(f"/v1/messages/{kept['id']}/raw") == (
        200, "message/rfc822", raw)

    alice_api = api.as_user(await a_token(api, alice["id"]))
    mine = (await alice_api.get("/v1/messages"))["items"]
    assert [m["channel"] for m in mine] == ["bcc"]
    status, _, _ = await alice_api.get_bytes(f"/v1/messages/{kept['id']}/raw")
    assert status == FORBIDDEN


async def test_postmaster_of_another_domain_is_still_refused(service: Service) -> None:
    async with await RawSmtp.connect(service.smtp_port) as client:
        assert (await client.greet()).code == OK
        assert (await client.command("MAIL FROM:<alice@acme.test>")).code == OK
        for address in ("postmaster@elsewhere.test", f"postmaster@sub.{MAIL_DOMAIN}",
                        f"postmaster+x@{MAIL_DOMAIN}"):
            reply = await client.command(f"RCPT TO:<{address}>")
            assert reply.code == UNKNOWN_RECIPIENT, (address, reply)

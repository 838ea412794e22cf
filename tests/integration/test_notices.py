"""Notices end to end (SPEC §14): BCC over SMTP, the workers, a real local relay (aiosmtpd).

The relay is aiosmtpd's threaded Controller on 127.0.0.1 (a stand-in for the outbound MTA,
not our gateway). Senders are proved by the trusted relay 127.0.0.0/8 under sender_auth
`aligned`; a project with sender_auth `none` trusts the From header, which proves nothing.
"""

from __future__ import annotations

import email
from collections.abc import AsyncIterator, Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from blindcopy.runtime import Service, start_service
from config.settings import Settings, load_settings
from store.models import Notice
from tests.client import ApiClient, eventually, free_port, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project, a_token, a_user, contacts
from tests.directory import email as an_email
from tests.dnsserver import LocalDnsServer, running_dns_server

CONSOLE = "https://console.example.test"


class Relay:
    """What the relay received: (MAIL FROM, RCPT TOs, parsed message) per transaction."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.received.append((envelope.mail_from or "", list(envelope.rcpt_tos),
                              email.message_from_bytes(content)))
        return "250 OK"


@pytest.fixture
def relay_port() -> int:
    return free_port()


@pytest.fixture
def dns() -> Iterator[LocalDnsServer]:
    with running_dns_server() as server:
        yield server


@pytest.fixture
def settings(database_url: str, dns: LocalDnsServer, relay_port: int) -> Settings:
    host, port = dns.address
    return load_settings(
        {}, database_url=database_url, smtp_port=0, http_port=0, admin_token=ADMIN_TOKEN,
        secret="test-secret", mail_domain="in.blindcopy.test", retry_base_seconds=0.05,
        dns_servers=f"{host}:{port}", dns_timeout=0.3, trusted_relays="127.0.0.0/8",
        notice_smtp=f"127.0.0.1:{relay_port}", notice_from="blindcopy@crm.example.test",
        console_url=CONSOLE, notice_retry_seconds=0.05)


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Service]:
    running = await start_service(settings)
    yield running
    await running.stop()


@pytest.fixture
def relay(relay_port: int) -> Iterator[tuple[Relay, Controller]]:
    handler = Relay()
    controller = Controller(handler, hostname="127.0.0.1", port=relay_port)
    yield handler, controller
    controller.stop(no_assert=True)


def _notices(service: Service) -> list[Notice]:
    with service.store.read() as session:
        return list(session.scalars(select(Notice).order_by(Notice.created_at)).all())


async def _done(api: ApiClient, message_id: str) -> dict[str, Any] | None:
    items = (await api.get("/v1/messages", params={"message_id": message_id}))["items"]
    return items[0] if items and items[0]["status"] not in ("queued", "processing") else None


async def _bcc(service: Service, api: ApiClient, project: dict[str, Any], sender: str,
               to: str, message_id: str, subject: str = "Offer") -> dict[str, Any]:
    raw = an_email(sender, to, subject, message_id=message_id)
    await send_smtp(service.smtp_port, sender, [project["addresses"]["bcc"]], raw)
    return await eventually(lambda: _done(api, message_id))


async def test_proved_member_is_told_once_what_was_not_logged(
    service: Service, api: ApiClient, relay: tuple[Relay, Controller]
) -> None:
    received, controller = relay
    controller.start()
    acme = await a_project(api, "Acme Homes", sender_auth="aligned")
    trusting = await a_project(api, "Trusting", sender_auth="none")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(acme["id"], trusting["id"]))
    quiet = await a_user(api, "Quentin", "quentin@acme.test", projects=(acme["id"],))
    await contacts(api, acme["id"], ("carol", "Carol", ["carol@client.test"]))

    missed = await _bcc(service, api, acme, "alice@acme.test", "bob@client.test", "<m-1@acme>")
    # Logged: nothing to tell. Unproved (the From header is trusted): never told.
    await _bcc(service, api, acme, "alice@acme.test", "carol@client.test", "<m-2@acme>")
    await _bcc(service, api, trusting, "alice@acme.test", "bob@client.test", "<m-3@acme>")
    # A user who turned notices off is not told; a user may change only that of their own.
    as_quentin = api.as_user(await a_token(api, quiet["id"]))
    assert (await as_quentin.patch(f"/v1/users/{quiet['id']}", {"notices": False}))[
        "notices"] is False
    await as_quentin.request("PATCH", f"/v1/users/{quiet['id']}", json={"role": "admin"},
                             expect=403)
    await _bcc(service, api, acme, "quentin@acme.test", "bob@client.test", "<m-4@acme>")

    [(mail_from, rcpt_tos, notice)] = await eventually(lambda: _sent(received, 1))
    assert (mail_from, rcpt_tos) == ("<>", ["alice@acme.test"])
    assert notice["Auto-Submitted"] == "auto-replied"
    assert notice["From"] == "blindcopy@crm.example.test"
    assert notice["Subject"] == "Not logged: Offer"
    assert notice["In-Reply-To"] == "<m-1@acme>"
    body = notice.get_payload(decode=True).decode()
    assert ("- bob@client.test: not logged. bob@client.test is not a contact in project "
            "Acme Homes.") in body
    assert f"{CONSOLE}/console/unmatched" in body
    assert f"{CONSOLE}/console/messages/{missed['id']}" in body
    [row] = await eventually(lambda: _settled(service))
    assert (row.received_message_id, row.status, row.attempts) == (missed["id"], "sent", 1)


async def test_pending_thread_notice_links_the_console(
    service: Service, api: ApiClient, relay: tuple[Relay, Controller]
) -> None:
    received, controller = relay
    controller.start()
    acme = await a_project(api, "Acme Homes", sender_auth="aligned")
    beta = await a_project(api, "Beta Homes", sender_auth="aligned")
    await a_user(api, "Alice", "alice@acme.test", projects=(acme["id"], beta["id"]))
    for project in (acme, beta):
        await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    raw = an_email("alice@acme.test", "bob@client.test", "Shared", message_id="<p-1@acme>")

    await send_smtp(service.smtp_port, "alice@acme.test",
                    [acme["addresses"]["bcc"], beta["addresses"]["bcc"]], raw)

    [(_from, _to, notice)] = await eventually(lambda: _sent(received, 1))
    assert notice["Subject"] == "Choose a project: Shared"
    body = notice.get_payload(decode=True).decode()
    assert "- bob@client.test: pending." in body
    assert f"{CONSOLE}/console/pending" in body


async def test_relay_down_then_up_sends_the_notice_once(
    service: Service, api: ApiClient, relay: tuple[Relay, Controller]
) -> None:
    received, controller = relay
    acme = await a_project(api, "Acme Homes", sender_auth="aligned")
    await a_user(api, "Alice", "alice@acme.test", projects=(acme["id"],))

    # The relay is down: the message is processed all the same, the notice waits.
    message = await _bcc(service, api, acme, "alice@acme.test", "bob@client.test",
                         "<d-1@acme>")
    assert message["status"] == "done"
    tried = await eventually(lambda: _tried_and_waiting(service))
    assert "unreachable" in (tried.last_error or "")

    controller.start()

    [(_from, rcpt_tos, notice)] = await eventually(lambda: _sent(received, 1))
    assert rcpt_tos == ["alice@acme.test"] and notice["Subject"] == "Not logged: Offer"
    [row] = await eventually(lambda: _settled(service))
    assert row.status == "sent" and row.attempts >= 2
    # Recording the message again (a replay) writes no second notice.
    await api.post(f"/v1/messages/{message['id']}/replay", expect=409)
    assert len(received.received) == 1


async def _sent(relay: Relay, count: int) -> list[tuple[str, list[str], Message]] | None:
    return relay.received if len(relay.received) >= count else None


async def _tried_and_waiting(service: Service) -> Notice | None:
    rows = _notices(service)
    return rows[0] if rows and rows[0].status == "pending" and rows[0].attempts >= 1 else None


async def _settled(service: Service) -> list[Notice] | None:
    """Return the notices once none is being sent (the relay has it before it is settled)."""
    rows = _notices(service)
    return rows if rows and all(r.status != "sending" for r in rows) else None

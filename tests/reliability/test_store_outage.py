"""Store failures at the SMTP edge: 451 4.3.0 (so the sender retries), nothing half-written,
and mail sent again once the store is back is spooled and processed (SPEC §1).

The PostgreSQL outage is made with a TCP proxy between the service and the database server
(the machine's server is never stopped); the commit failure with a test-only trigger.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import aiosmtplib
import pytest
from sqlalchemy import Engine, make_url

from blindcopy.runtime import Service, start_service
from config.settings import Settings, load_settings
from tests.client import ApiClient, eventually, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.database import POSTGRES_URL
from tests.directory import a_project, a_user, contacts, email, timeline
from tests.reliability.conftest import (
    TcpProxy,
    execute,
    interaction_rows,
    received_rows,
    status_counts,
)

ACCEPTED = 250
TRANSIENT = range(400, 500)
STORE_UNAVAILABLE = "4.3.0"

needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL.startswith("postgres"),
    reason="needs PostgreSQL reachable over TCP (set BLINDCOPY_TEST_DATABASE_URL)")


async def _acme(api: ApiClient) -> tuple[dict, str]:
    project = await a_project(api, "Acme Homes")
    await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    ids = await contacts(api, project["id"], ("bob", "Bob Buyer", ["bob@client.test"]))
    return project, ids["bob"]


async def _processed(api: ApiClient, message_id: str) -> list[dict] | None:
    items = (await api.get(f"/v1/messages?message_id={message_id}"))["items"]
    if items and all(i["status"] not in ("queued", "processing") for i in items):
        return items
    return None


def _assert_store_unavailable(error: aiosmtplib.SMTPResponseException) -> None:
    assert error.code in TRANSIENT, (error.code, error.message)
    assert error.message.startswith(STORE_UNAVAILABLE), error.message


@pytest.fixture
async def proxied_service(settings: Settings, tcp_proxy: type[TcpProxy]
                          ) -> AsyncIterator[tuple[Service, TcpProxy]]:
    """Run the service on the test schema through a proxy the test can cut."""
    url = make_url(settings.database_url)
    proxy = tcp_proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    service = await start_service(load_settings(
        {}, database_url=proxied, smtp_port=0, http_port=0, admin_token=ADMIN_TOKEN,
        secret="test-secret", mail_domain="in.blindcopy.test", retry_base_seconds=0.05,
        lease_seconds=2))
    yield service, proxy
    if proxy.server is None:
        await proxy.start()
    await service.stop()


@needs_postgres
async def test_postgresql_unreachable_answers_451_then_mail_sent_again_is_processed(
        proxied_service: tuple[Service, TcpProxy], engine: Engine) -> None:
    service, proxy = proxied_service
    base = f"http://127.0.0.1:{service.http_port}"
    async with ApiClient(base, ADMIN_TOKEN) as api:
        project, bob = await _acme(api)
        bcc = project["addresses"]["bcc"]
        raw = email("alice@acme.test", "bob@client.test", "Offer", message_id="<outage@acme.test>")
        before = email("alice@acme.test", "bob@client.test", "Before",
                       message_id="<before-outage@acme.test>")

        # RCPT is accepted while the store is up; it goes away before DATA.
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=service.smtp_port, start_tls=False,
                               timeout=10)
        await smtp.connect()
        await smtp.mail("alice@acme.test")
        assert (await smtp.rcpt(bcc)).code == ACCEPTED
        # A message accepted just before the outage is queued or being processed when it
        # starts; it must still end processed (retried, or reclaimed after its lease).
        await send_smtp(service.smtp_port, "alice@acme.test", [bcc], before)
        await proxy.cut()
        with pytest.raises(aiosmtplib.SMTPDataError) as at_data:
            await smtp.data(raw)
        _assert_store_unavailable(at_data.value)

        # While it is away, the recipient lookup cannot be made either: 451 4.3.0 at RCPT
        # (for the forwarding address, which the gateway has not found and kept before).
        await smtp.mail("alice@acme.test")
        with pytest.raises(aiosmtplib.SMTPRecipientRefused) as at_rcpt:
            await smtp.rcpt(project["addresses"]["forward"])
        _assert_store_unavailable(at_rcpt.value)
        await smtp.quit()
        status, _ = await api.request("GET", "/readyz")
        assert status == 503
        # The API says the same: 503 problem+json (a client retries), not a server error.
        for method, path, kwargs in (
                ("GET", "/v1/messages", {}),
                ("POST", "/v1/explain", {"json": {
                    "raw": base64.b64encode(raw).decode(), "channel": "bcc",
                    "project_ids": [project["id"]]}})):
            status, problem = await api.request(method, path, **kwargs)
            assert (status, problem["type"].rsplit("/", 1)[-1]) == (503, "unavailable"), (
                method, path, problem)
        # Long enough for the workers to run into the outage too.
        await asyncio.sleep(1.5)

        await proxy.start()
        # Only the message accepted before the outage is in the store.
        assert len(await received_rows(engine)) == 1, "a refused message was half-written"
        await eventually(lambda: api.request("GET", "/readyz"), timeout=10)
        _errors, reply = await send_smtp(service.smtp_port, "alice@acme.test", [bcc], raw)
        assert reply.startswith("2.0.0"), reply

        [message] = await eventually(lambda: _processed(api, "<outage@acme.test>"), timeout=15)
        assert message["status"] == "done"
        [earlier] = await eventually(lambda: _processed(api, "<before-outage@acme.test>"),
                                     timeout=15)
        assert earlier["status"] == "done"
        interactions = await timeline(api, project["id"], bob)
        assert sorted(i["message"]["subject"] for i in interactions) == ["Before", "Offer"]
        assert all(i["channels"] == ["bcc"] for i in interactions)


async def _refuse_forward_rows(engine: Engine) -> None:
    """Make the store refuse the spool's forward-channel row (and so the whole commit)."""
    if engine.dialect.name == "sqlite":
        await execute(engine, """
            CREATE TRIGGER refuse_spool BEFORE INSERT ON received_messages
            WHEN NEW.channel = 'forward'
            BEGIN SELECT RAISE(ABORT, 'spool refused by test trigger'); END""")
    else:
        await execute(engine, """
            CREATE FUNCTION refuse_spool() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'spool refused by test trigger'; END $$""", """
            CREATE TRIGGER refuse_spool BEFORE INSERT ON received_messages FOR EACH ROW
            WHEN (NEW.channel = 'forward') EXECUTE FUNCTION refuse_spool()""")


async def test_spool_commit_failure_answers_451_and_writes_nothing(
        service: Service, api: ApiClient, engine: Engine) -> None:
    project, bob = await _acme(api)
    addresses = [project["addresses"]["bcc"], project["addresses"]["forward"]]
    raw = email("alice@acme.test", "bob@client.test", "Offer", message_id="<commit@acme.test>")
    await _refuse_forward_rows(engine)

    # One DATA spools one row per channel in one transaction: the bcc row must not survive
    # the failure of the forward row.
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await send_smtp(service.smtp_port, "alice@acme.test", addresses, raw)
    _assert_store_unavailable(refused.value)
    assert await status_counts(engine) == {}

    await execute(engine, "DROP TRIGGER refuse_spool" + (
        "" if engine.dialect.name == "sqlite" else " ON received_messages"))
    _errors, reply = await send_smtp(service.smtp_port, "alice@acme.test", addresses, raw)
    assert reply.startswith("2.0.0"), reply
    # The received message id is known only once processed: wait for both rows in the store.
    async def both_processed() -> bool:
        return (await status_counts(engine)) == {"done": 2}

    await eventually(both_processed)
    items = (await api.get("/v1/messages?message_id=<commit@acme.test>"))["items"]
    assert sorted(i["channel"] for i in items) == ["bcc", "forward"]
    assert len([i for i in await interaction_rows(engine)
                if i["message_id"] == "<commit@acme.test>"]) <= 1
    [interaction] = await timeline(api, project["id"], bob)
    assert "bcc" in interaction["channels"]


async def test_refused_message_in_a_shared_commit_fails_alone(
        service: Service, api: ApiClient, engine: Engine) -> None:
    # Concurrent sessions share spool transactions (group commit): the store refusing one
    # message's row must answer 451 to that sender only, and spool every other message.
    project, _bob = await _acme(api)
    await _refuse_forward_rows(engine)

    async def send(number: int, address: str) -> object:
        raw = email("alice@acme.test", "bob@client.test", f"Offer {number}",
                    message_id=f"<group-{number}@acme.test>")
        try:
            return await send_smtp(service.smtp_port, "alice@acme.test", [address], raw)
        except aiosmtplib.SMTPDataError as refused:
            return refused

    bcc, forward = project["addresses"]["bcc"], project["addresses"]["forward"]
    results = await asyncio.gather(*(send(n, forward if n == 5 else bcc) for n in range(10)))

    refused = [r for r in results if isinstance(r, aiosmtplib.SMTPDataError)]
    assert len(refused) == 1 and results[5] is refused[0]
    _assert_store_unavailable(refused[0])
    rows = await received_rows(engine)
    assert len(rows) == 9

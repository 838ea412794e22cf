"""SMTP session rules from the RFCs: STARTTLS once (RFC 3207), bounded failed recipients.

A second STARTTLS inside TLS is a command out of sequence (503), not a new handshake. A
client guessing project addresses gets `max_failed_recipients` refusals; the next refused
RCPT is answered 421 and the connection closed, so one session cannot make the gateway look
up thousands of addresses.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from blindcopy.runtime import Service, start_service
from config.settings import Settings
from tests.client import ApiClient
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project
from tests.hostility.conftest import MAIL_DOMAIN
from tests.hostility.raw_smtp import RawSmtp
from tests.hostility.spool_rows import spooled
from tests.hostility.test_smtp_hostility import self_signed_certificate

SERVICE_READY = 220
OK = 250
SERVICE_NOT_AVAILABLE = 421
BAD_SEQUENCE = 503
UNKNOWN_RECIPIENT = 550
BAD_SEQUENCE_STATUS = "5.5.1"
CLOSING_STATUS = "4.7.0"
FAILED_RECIPIENTS = 3
SENDER = "alice@acme.test"
MESSAGE = b"From: alice@acme.test\r\nSubject: Hello\r\n\r\nHi.\r\n.\r\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Return the hostility settings with a small failed-recipient allowance."""
    return replace(settings, max_failed_recipients=FAILED_RECIPIENTS)


@pytest.fixture
async def tls_service(settings: Settings, tmp_path: Path) -> AsyncIterator[Service]:
    """Run the gateway with STARTTLS."""
    cert, key = self_signed_certificate(tmp_path)
    running = await start_service(replace(settings, tls_cert=cert, tls_key=key), workers=0)
    yield running
    await running.stop()


def client_tls() -> ssl.SSLContext:
    """Return a client TLS context that accepts the throwaway certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def test_second_starttls_inside_tls_gets_503_and_the_session_goes_on(
        tls_service: Service) -> None:
    project = await _a_project(tls_service)
    async with await RawSmtp.connect(tls_service.smtp_port) as client:
        assert (await client.greet()).code == OK
        assert (await client.command("STARTTLS")).code == SERVICE_READY
        await client.writer.start_tls(client_tls())
        ehlo = await client.command("EHLO client.test")
        assert "STARTTLS" not in ehlo.text
        reply = await client.command("STARTTLS")
        assert (reply.code, reply.enhanced) == (BAD_SEQUENCE, BAD_SEQUENCE_STATUS), reply
        reply = await client.transaction(SENDER, [project], MESSAGE)
        assert reply.code == OK, reply
    [row] = await spooled(tls_service)
    assert row.tls


async def _a_project(service: Service) -> str:
    """Create a project through the API; return its BCC address."""
    async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as api:
        return str((await a_project(api, "Acme Homes"))["addresses"]["bcc"])


async def test_failed_recipients_past_the_allowance_get_421_and_close(
        service: Service, project: dict[str, Any]) -> None:
    async with await RawSmtp.connect(service.smtp_port) as client:
        assert (await client.greet()).code == OK
        assert (await client.command(f"MAIL FROM:<{SENDER}>")).code == OK
        # Accepted recipients do not count; refused ones do, across transactions.
        assert (await client.command(f"RCPT TO:<{project['addresses']['bcc']}>")).code == OK
        for guess in range(FAILED_RECIPIENTS):
            reply = await client.command(f"RCPT TO:<guess-{guess}@{MAIL_DOMAIN}>")
            assert reply.code == UNKNOWN_RECIPIENT, reply
            assert (await client.command("RSET")).code == OK
            assert (await client.command(f"MAIL FROM:<{SENDER}>")).code == OK
        reply = await client.command(f"RCPT TO:<one-too-many@{MAIL_DOMAIN}>")
        assert (reply.code, reply.enhanced) == (SERVICE_NOT_AVAILABLE, CLOSING_STATUS), reply
        assert await client.closed_by_server()
    assert await spooled(service) == []


async def test_failed_recipients_are_counted_per_session(
        service: Service, project: dict[str, Any]) -> None:
    for _ in range(2):
        async with await RawSmtp.connect(service.smtp_port) as client:
            assert (await client.greet()).code == OK
            assert (await client.command(f"MAIL FROM:<{SENDER}>")).code == OK
            for guess in range(FAILED_RECIPIENTS):
                reply = await client.command(f"RCPT TO:<guess-{guess}@{MAIL_DOMAIN}>")
                assert reply.code == UNKNOWN_RECIPIENT, reply
            assert (await client.command(f"RCPT TO:<{project['addresses']['bcc']}>")).code == OK
            assert (await client.command("DATA")).code == 354
            await client.send(MESSAGE)
            assert (await client.reply()).code == OK
    assert len(await spooled(service)) == 2

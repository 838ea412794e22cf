"""SMTP session rules: bounded failed recipients.

A client guessing project addresses gets `max_failed_recipients` refusals; the next refused
RCPT is answered 421 and the connection closed, so one session cannot make the gateway look
up thousands of addresses.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from blindcopy.runtime import Service
from blindcopy.settings import Settings
from tests.hostility.conftest import MAIL_DOMAIN
from tests.hostility.raw_smtp import RawSmtp
from tests.hostility.spool_rows import spooled

OK = 250
SERVICE_NOT_AVAILABLE = 421
UNKNOWN_RECIPIENT = 550
CLOSING_STATUS = "4.7.0"
FAILED_RECIPIENTS = 3
SENDER = "alice@acme.test"
MESSAGE = b"From: alice@acme.test\r\nSubject: Hello\r\n\r\nHi.\r\n.\r\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Return the hostility settings with a small failed-recipient allowance."""
    return replace(settings, max_failed_recipients=FAILED_RECIPIENTS)


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

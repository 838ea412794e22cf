"""Envelope values the store cannot keep are refused at their command, on every backend.

PostgreSQL stores no NUL character and only valid UTF-8; SQLite took both, so the same
client got `250` from one backend and `451 4.3.0` on every retry from the other. A NUL or
invalid UTF-8 in HELO/EHLO, MAIL FROM or RCPT TO now gets a permanent 5xx with an enhanced
status code at that command, and the session goes on.
"""

from __future__ import annotations

from typing import Any

import pytest

from blindcopy.runtime import Service
from tests.hostility.raw_smtp import RawSmtp
from tests.hostility.spool_rows import spooled

OK = 250
SYNTAX_ERROR = 501
BAD_SEQUENCE = 503
MAILBOX_NAME_NOT_ALLOWED = 553
SYNTAX_ERROR_STATUS = "5.5.2"
BAD_SENDER_STATUS = "5.1.7"
BAD_RECIPIENT_STATUS = "5.1.3"
SENDER = b"alice@acme.test"
END = b"\r\n.\r\n"
MESSAGE = b"From: alice@acme.test\r\nTo: bob@client.test\r\nSubject: Hello\r\n\r\nHi.\r\n"
# Bytes no UTF-8 decoder accepts: a lone continuation byte, an over-long form, a surrogate.
ODD_BYTES = {"nul": b"\x00", "continuation": b"\x80", "overlong": b"\xc0\xaf",
             "surrogate": b"\xed\xa0\x80", "latin-1": b"\xe9"}


async def connected(service: Service) -> RawSmtp:
    """Connect and read the greeting."""
    client = await RawSmtp.connect(service.smtp_port)
    assert (await client.reply()).code == 220
    return client


async def completes_a_transaction(client: RawSmtp, bcc: str) -> None:
    """Run one good transaction on the same session and check it was accepted."""
    reply = await client.transaction(SENDER.decode(), [bcc], MESSAGE + END)
    assert reply.code == OK, reply


@pytest.mark.parametrize("verb", [b"HELO", b"EHLO"])
@pytest.mark.parametrize("odd", list(ODD_BYTES.values()), ids=list(ODD_BYTES))
async def test_odd_bytes_in_helo_get_501_and_the_client_may_greet_again(
        service: Service, project: dict[str, Any], verb: bytes, odd: bytes) -> None:
    async with await connected(service) as client:
        reply = await client.command(verb + b" client" + odd + b".test")
        assert (reply.code, reply.enhanced) == (SYNTAX_ERROR, SYNTAX_ERROR_STATUS), reply
        # The refused greeting named no client: a transaction must greet first.
        assert (await client.command(b"MAIL FROM:<" + SENDER + b">")).code == BAD_SEQUENCE
        assert (await client.command(b"EHLO client.test")).code == OK
        await completes_a_transaction(client, project["addresses"]["bcc"])
    [row] = await spooled(service)
    assert row.helo == "client.test"


@pytest.mark.parametrize("odd", list(ODD_BYTES.values()), ids=list(ODD_BYTES))
async def test_odd_bytes_in_mail_from_get_553_5_1_7(
        service: Service, project: dict[str, Any], odd: bytes) -> None:
    async with await connected(service) as client:
        assert (await client.command(b"EHLO client.test")).code == OK
        reply = await client.command(b"MAIL FROM:<ali" + odd + b"ce@acme.test>")
        assert (reply.code, reply.enhanced) == (MAILBOX_NAME_NOT_ALLOWED, BAD_SENDER_STATUS)
        await completes_a_transaction(client, project["addresses"]["bcc"])
    [row] = await spooled(service)
    assert row.mail_from == SENDER.decode()


@pytest.mark.parametrize("odd", list(ODD_BYTES.values()), ids=list(ODD_BYTES))
async def test_odd_bytes_in_rcpt_to_get_553_5_1_3(
        service: Service, project: dict[str, Any], odd: bytes) -> None:
    bcc = project["addresses"]["bcc"].encode()
    local, domain = bcc.split(b"@")
    async with await connected(service) as client:
        assert (await client.command(b"EHLO client.test")).code == OK
        assert (await client.command(b"MAIL FROM:<" + SENDER + b">")).code == OK
        reply = await client.command(b"RCPT TO:<" + local + odd + b"@" + domain + b">")
        assert (reply.code, reply.enhanced) == (MAILBOX_NAME_NOT_ALLOWED, BAD_RECIPIENT_STATUS)
        assert (await client.command(b"RSET")).code == OK
        await completes_a_transaction(client, bcc.decode())
    [row] = await spooled(service)
    assert row.rcpt_to == [bcc.decode()]


async def test_utf8_addresses_and_helo_are_still_accepted(
        service: Service, project: dict[str, Any]) -> None:
    # SMTPUTF8 (RFC 6531): valid UTF-8 is not odd input.
    async with await connected(service) as client:
        assert (await client.command("EHLO clïent.test".encode())).code == OK
        reply = await client.command("MAIL FROM:<ålice@acme.test> SMTPUTF8".encode())
        assert reply.code == OK, reply
        assert (await client.command(f"RCPT TO:<{project['addresses']['bcc']}>")).code == OK
        assert (await client.command("DATA")).code == 354
        await client.send(MESSAGE + END)
        assert (await client.reply()).code == OK
    [row] = await spooled(service)
    assert (row.helo, row.mail_from) == ("clïent.test", "ålice@acme.test")

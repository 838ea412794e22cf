"""Hostile SMTP clients against the running gateway, over raw loopback sockets (SPEC §1).

Smuggling never splits one DATA into two messages; every limit is answered with its code
and the session continues or closes cleanly; the gateway is never an open relay. The spool
is read directly: it is the ground truth of what a 250 committed.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from blindcopy.runtime import Service, start_service
from config.settings import Settings
from smtp_gateway.limits import ClientLimits
from tests.client import ApiClient, eventually
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project
from tests.hostility.conftest import LIMITS, MAIL_DOMAIN
from tests.hostility.raw_smtp import RawSmtp, Reply
from tests.hostility.spool_rows import spooled

# Reply codes (RFC 5321) and enhanced status codes (RFC 3463) the gateway must answer.
SERVICE_READY = 220
CLOSING = 221
OK = 250
START_MAIL_INPUT = 354
SERVICE_NOT_AVAILABLE = 421
RATE_LIMITED = 450
TOO_MANY_RECIPIENTS = 452
LINE_TOO_LONG = 500
BAD_SEQUENCE = 503
UNKNOWN_RECIPIENT = 550
EXCEEDED_STORAGE = 552
MAILBOX_NAME_NOT_ALLOWED = 553
TRANSACTION_FAILED = 554
NO_SUCH_MAILBOX = "5.1.1"
TOO_MANY_RECIPIENTS_STATUS = "4.5.3"
MESSAGE_TOO_BIG_STATUS = "5.3.4"
SYNTAX_ERROR_STATUS = "5.5.2"
MIME_TOO_DEEP_STATUS = "5.6.0"
RATE_LIMITED_STATUS = "4.7.1"
BAD_SENDER_SYNTAX_STATUS = "5.1.7"

SENDER = "alice@acme.test"
OTHER_SOURCE = "127.0.0.2"
END = b"\r\n.\r\n"


def a_message(subject: str = "Hello", body: str = "Hi there.", headers: str = "") -> bytes:
    """Return a small CRLF message without the terminating dot."""
    head = f"From: {SENDER}\r\nTo: bob@client.test\r\nSubject: {subject}\r\n{headers}"
    return (head + "\r\n" + body).encode()


async def session(service: Service, source: str = "127.0.0.1") -> RawSmtp:
    """Connect and EHLO."""
    client = await RawSmtp.connect(service.smtp_port, source)
    reply = await client.greet()
    assert reply.code == OK, reply
    return client


async def refused_data(client: RawSmtp, bcc: str, data: bytes) -> Reply:
    """Run a transaction whose DATA is expected to be refused; return the reply."""
    return await client.transaction(SENDER, [bcc], data + END)


# SMTP smuggling (SPEC §1): a DATA ends only at <CRLF>.<CRLF>; anything else is content.

SMUGGLING_ENDINGS = {
    "bare-lf": b"\n.\n",
    "bare-cr": b"\r.\r",
    "crlf-dot-lf": b"\r\n.\n",
    "lf-dot-crlf": b"\n.\r\n",
    "cr-dot-crlf": b"\r.\r\n",
    "crlf-dot-cr": b"\r\n.\r",
}


@pytest.mark.parametrize("smuggled_commands", [False, True], ids=["text", "mail-from"])
@pytest.mark.parametrize("ending", list(SMUGGLING_ENDINGS.values()),
                         ids=list(SMUGGLING_ENDINGS))
async def test_smuggled_end_of_data_never_makes_a_second_message(
        service: Service, project: dict[str, Any], ending: bytes,
        smuggled_commands: bool) -> None:
    bcc = project["addresses"]["bcc"]
    smuggled = b"after the fake end\r\n"
    if smuggled_commands:
        smuggled = (f"MAIL FROM:<mallory@evil.test>\r\nRCPT TO:<{bcc}>\r\nDATA\r\n"
                    "From: mallory@evil.test\r\nSubject: smuggled\r\n\r\nsmuggled body").encode()
    async with await session(service) as client:
        reply = await client.transaction(SENDER, [bcc],
                                         a_message("first") + ending + smuggled + END)
        assert reply.code == OK, reply
        # Had the gateway split the DATA, the smuggled commands' replies would come next.
        assert (await client.command("QUIT")).code == CLOSING

    [row] = await spooled(service)
    assert row.mail_from == SENDER
    assert row.rcpt_to == [bcc]
    assert b"Subject: first" in row.raw
    assert smuggled in row.raw


# Size, recipients, line length, header and MIME limits: each its own code, never a crash.

async def test_oversize_message_is_refused_with_552_and_session_continues(
        service: Service, project: dict[str, Any]) -> None:
    bcc = project["addresses"]["bcc"]
    line = "x" * 998 + "\r\n"
    body = line * (LIMITS["max_message_size"] // len(line) + 2)
    async with await session(service) as client:
        reply = await refused_data(client, bcc, a_message("big", body))
        assert (reply.code, reply.enhanced) == (EXCEEDED_STORAGE, MESSAGE_TOO_BIG_STATUS), reply
        reply = await client.transaction(SENDER, [bcc], a_message("small") + END)
        assert reply.code == OK, reply
    [row] = await spooled(service)
    assert b"Subject: small" in row.raw


async def test_declared_size_above_the_limit_is_refused_at_mail(service: Service) -> None:
    async with await session(service) as client:
        reply = await client.command(
            f"MAIL FROM:<{SENDER}> SIZE={LIMITS['max_message_size'] + 1}")
        assert reply.code == EXCEEDED_STORAGE, reply
    assert await spooled(service) == []


async def test_overlong_sender_gets_553_and_overlong_helo_is_cut(
        service: Service, project: dict[str, Any]) -> None:
    async with await session(service) as client:
        reply = await client.command(f"MAIL FROM:<{'s' * 330}@acme.test>")
        assert (reply.code, reply.enhanced) == (
            MAILBOX_NAME_NOT_ALLOWED, BAD_SENDER_SYNTAX_STATUS), reply
        assert (await client.command("EHLO " + "h" * 300 + ".test")).code == OK
        reply = await client.transaction(SENDER, [project["addresses"]["bcc"]],
                                         a_message("helo") + END)
        assert reply.code == OK, reply
    [row] = await spooled(service)
    assert len(row.helo) == 255


async def test_too_many_recipients_get_452_and_the_rest_is_spooled(
        service: Service, api: ApiClient) -> None:
    first = await a_project(api, "First")
    second = await a_project(api, "Second")
    accepted = [first["addresses"]["bcc"], first["addresses"]["forward"],
                second["addresses"]["bcc"]]
    assert len(accepted) == LIMITS["max_recipients"]
    extra = second["addresses"]["forward"]
    async with await session(service) as client:
        assert (await client.command(f"MAIL FROM:<{SENDER}>")).code == OK
        for address in accepted:
            assert (await client.command(f"RCPT TO:<{address}>")).code == OK
        reply = await client.command(f"RCPT TO:<{extra}>")
        assert (reply.code, reply.enhanced) == (TOO_MANY_RECIPIENTS, TOO_MANY_RECIPIENTS_STATUS)
        assert (await client.command("DATA")).code == START_MAIL_INPUT
        await client.send(a_message() + END)
        assert (await client.reply()).code == OK
    rows = await spooled(service)
    assert sorted(a for row in rows for a in row.rcpt_to) == sorted(accepted)


async def test_overlong_data_line_gets_500_and_session_continues(
        service: Service, project: dict[str, Any]) -> None:
    bcc = project["addresses"]["bcc"]
    long_line = "y" * (LIMITS["max_line_length"] * 3)
    async with await session(service) as client:
        reply = await refused_data(client, bcc, a_message("long", long_line))
        assert (reply.code, reply.enhanced) == (LINE_TOO_LONG, SYNTAX_ERROR_STATUS), reply
        reply = await client.transaction(SENDER, [bcc], a_message("short") + END)
        assert reply.code == OK, reply
    [row] = await spooled(service)
    assert b"Subject: short" in row.raw


async def test_overlong_command_line_gets_500_and_session_continues(
        service: Service, project: dict[str, Any]) -> None:
    async with await session(service) as client:
        reply = await client.command("NOOP " + "z" * (LIMITS["max_line_length"] * 3))
        assert reply.code == LINE_TOO_LONG, reply
        reply = await client.command(f"MAIL FROM:<{'a' * 600}@acme.test>")
        assert reply.code == LINE_TOO_LONG, reply
        reply = await client.transaction(SENDER, [project["addresses"]["bcc"]],
                                         a_message() + END)
        assert reply.code == OK, reply
    assert len(await spooled(service)) == 1


async def test_too_many_header_fields_get_552(service: Service,
                                              project: dict[str, Any]) -> None:
    headers = "".join(f"X-Filler-{i}: {i}\r\n" for i in range(LIMITS["max_header_count"] + 1))
    async with await session(service) as client:
        reply = await refused_data(client, project["addresses"]["bcc"],
                                   a_message(headers=headers))
    assert (reply.code, reply.enhanced) == (EXCEEDED_STORAGE, MESSAGE_TOO_BIG_STATUS)
    assert await spooled(service) == []


async def test_oversized_header_section_gets_552(service: Service,
                                                 project: dict[str, Any]) -> None:
    folded = "X-Long: start" + "\r\n " .join(
        ["w" * 900] * (LIMITS["max_header_bytes"] // 900 + 2)) + "\r\n"
    async with await session(service) as client:
        reply = await refused_data(client, project["addresses"]["bcc"],
                                   a_message(headers=folded))
    assert (reply.code, reply.enhanced) == (EXCEEDED_STORAGE, MESSAGE_TOO_BIG_STATUS)
    assert await spooled(service) == []


async def test_header_limits_count_only_the_header_section(
        service: Service, project: dict[str, Any]) -> None:
    # Headers end at the first empty line even with bare LF endings; a body full of
    # header-like lines (a quoted message, a log) is not part of the header section.
    header_like = "".join(f"Quoted-{i}: {i}\r\n" for i in range(LIMITS["max_header_count"] * 2))
    data = (f"From: {SENDER}\nSubject: bare lf headers\n\n" + header_like).encode()
    async with await session(service) as client:
        reply = await client.transaction(SENDER, [project["addresses"]["bcc"]], data + END)
    assert reply.code == OK, reply


def nested_multipart(depth: int) -> bytes:
    """Return a message whose innermost text part is inside `depth` multiparts."""
    head = f"From: {SENDER}\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    inner = "Content-Type: text/plain\r\n\r\ninnermost\r\n"
    for level in range(depth, 0, -1):
        boundary = f"level-{level}"
        inner = (f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
                 f"--{boundary}\r\n{inner}--{boundary}--\r\n")
    return (head + inner).encode()


def nested_rfc822(depth: int) -> bytes:
    """Return a message forwarding a message forwarding … (`depth` message/rfc822 levels)."""
    inner = f"From: {SENDER}\r\nSubject: innermost\r\n\r\ninnermost\r\n"
    for level in range(depth, 0, -1):
        inner = (f"From: {SENDER}\r\nSubject: level {level}\r\nMIME-Version: 1.0\r\n"
                 f"Content-Type: message/rfc822\r\n\r\n{inner}")
    return inner.encode()


def wide_multipart(parts: int) -> bytes:
    """Return a shallow message: one multipart/mixed holding `parts` multipart/alternatives."""
    body = ""
    for index in range(parts):
        body += (f'--outer\r\nContent-Type: multipart/alternative; boundary="alt-{index}"\r\n\r\n'
                 f"--alt-{index}\r\nContent-Type: text/plain\r\n\r\npart {index}\r\n"
                 f"--alt-{index}\r\nContent-Type: text/html\r\n\r\n<p>part {index}</p>\r\n"
                 f"--alt-{index}--\r\n")
    return (f'From: {SENDER}\r\nSubject: wide\r\nMIME-Version: 1.0\r\n'
            f'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n{body}--outer--\r\n').encode()


@pytest.mark.parametrize("build", [nested_multipart, nested_rfc822],
                         ids=["multipart", "message-rfc822"])
async def test_mime_nesting_deeper_than_the_limit_gets_554(
        service: Service, project: dict[str, Any], build: Any) -> None:
    bcc = project["addresses"]["bcc"]
    async with await session(service) as client:
        reply = await refused_data(client, bcc, build(LIMITS["max_mime_depth"] + 1))
        assert (reply.code, reply.enhanced) == (TRANSACTION_FAILED, MIME_TOO_DEEP_STATUS)
        reply = await client.transaction(SENDER, [bcc], build(LIMITS["max_mime_depth"]) + END)
        assert reply.code == OK, reply
    [row] = await spooled(service)
    assert row.raw.rstrip(b"\r\n") == build(LIMITS["max_mime_depth"]).rstrip(b"\r\n")


async def test_many_sibling_parts_are_not_deep_nesting(service: Service,
                                                       project: dict[str, Any]) -> None:
    data = wide_multipart(LIMITS["max_mime_depth"] * 3)
    async with await session(service) as client:
        reply = await client.transaction(SENDER, [project["addresses"]["bcc"]], data + END)
    assert reply.code == OK, reply


# Timeouts: an idle or slow client is told 421 and disconnected.

async def test_idle_client_gets_421_at_the_command_timeout(service: Service) -> None:
    async with await session(service) as client:
        await client.send(b"MAIL FROM:<slow")  # never finishes the line
        reply = await client.reply(timeout=LIMITS["command_timeout"] + 3)
        assert reply.code == SERVICE_NOT_AVAILABLE, reply
        assert await client.closed_by_server()


async def test_a_client_still_sending_is_not_idle(service: Service) -> None:
    # The idle timeout counts from the client's last bytes, not from its last command:
    # one command line taking longer than the timeout, in pieces, is answered.
    async with await session(service) as client:
        for piece in (b"N", b"O"):
            await client.send(piece)
            await asyncio.sleep(LIMITS["command_timeout"] * 0.6)
        assert (await client.command("OP")).code == OK


async def test_data_slower_than_the_data_timeout_gets_421_and_nothing_is_spooled(
        service: Service, project: dict[str, Any]) -> None:
    async with await session(service) as client:
        assert (await client.command(f"MAIL FROM:<{SENDER}>")).code == OK
        assert (await client.command(f"RCPT TO:<{project['addresses']['bcc']}>")).code == OK
        assert (await client.command("DATA")).code == START_MAIL_INPUT
        await client.send(a_message() + b"\r\n")
        # Each line comes well within the command timeout, but DATA as a whole is too slow.
        deadline = asyncio.get_running_loop().time() + LIMITS["data_timeout"] + 3
        reply = None
        while reply is None and asyncio.get_running_loop().time() < deadline:
            try:
                await client.send(b"still typing\r\n")
                reply = await client.reply(timeout=LIMITS["command_timeout"] / 3)
            except TimeoutError:
                continue
            except ConnectionError as error:
                raise AssertionError("closed without a 421 reply") from error
        assert reply is not None and reply.code == SERVICE_NOT_AVAILABLE, reply
        assert await client.closed_by_server()
    assert await spooled(service) == []


async def test_data_within_the_data_timeout_is_accepted_even_if_longer_than_a_command(
        service: Service, project: dict[str, Any]) -> None:
    assert LIMITS["data_timeout"] > LIMITS["command_timeout"]
    async with await session(service) as client:
        assert (await client.command(f"MAIL FROM:<{SENDER}>")).code == OK
        assert (await client.command(f"RCPT TO:<{project['addresses']['bcc']}>")).code == OK
        assert (await client.command("DATA")).code == START_MAIL_INPUT
        await client.send(a_message() + b"\r\n")
        for _ in range(4):
            await asyncio.sleep(LIMITS["command_timeout"] * 0.3)
            await client.send(b"a slow but steady line\r\n")
        await client.send(b".\r\n")
        assert (await client.reply()).code == OK
    assert len(await spooled(service)) == 1


# Per-IP connection and message-rate limits: one noisy client does not starve the others.

async def test_connection_flood_from_one_ip_gets_421_while_another_ip_is_served(
        service: Service, project: dict[str, Any]) -> None:
    bcc = project["addresses"]["bcc"]
    held = [await session(service) for _ in range(LIMITS["max_connections_per_ip"])]
    try:
        extra = await RawSmtp.connect(service.smtp_port)
        async with extra:
            reply = await extra.reply()
            assert reply.code == SERVICE_NOT_AVAILABLE, reply
            assert await extra.closed_by_server()
        async with await session(service, OTHER_SOURCE) as other:
            assert (await other.transaction(SENDER, [bcc], a_message() + END)).code == OK
    finally:
        for client in held:
            await client.close()

    async def served_again() -> bool:
        async with await RawSmtp.connect(service.smtp_port) as client:
            return (await client.reply()).code == SERVICE_READY

    assert await eventually(served_again, timeout=5)
    [row] = await spooled(service)
    assert row.client_ip == OTHER_SOURCE


async def test_message_rate_from_one_ip_gets_450_while_another_ip_keeps_going(
        service: Service, project: dict[str, Any]) -> None:
    bcc = project["addresses"]["bcc"]
    async with await session(service) as noisy:
        for index in range(LIMITS["max_messages_per_minute"]):
            reply = await noisy.transaction(SENDER, [bcc], a_message(f"n{index}") + END)
            assert reply.code == OK, reply
        reply = await noisy.command(f"MAIL FROM:<{SENDER}>")
        assert (reply.code, reply.enhanced) == (RATE_LIMITED, RATE_LIMITED_STATUS)
        async with await session(service, OTHER_SOURCE) as other:
            reply = await other.transaction(SENDER, [bcc], a_message("other") + END)
            assert reply.code == OK, reply
        # The refused client may still talk; it is only asked to slow down.
        assert (await noisy.command("NOOP")).code == OK
    rows = await spooled(service)
    assert [r.client_ip for r in rows].count("127.0.0.1") == LIMITS["max_messages_per_minute"]
    assert [r.client_ip for r in rows].count(OTHER_SOURCE) == 1


# No open relay: only project addresses are accepted, whatever the address tricks.

def relay_attempts(bcc: str) -> list[str]:
    """Return recipient addresses that must all be refused 550 5.1.1."""
    local = bcc.split("@")[0]
    return [
        "victim@elsewhere.test",
        f"{local}@elsewhere.test",
        f"{local}@sub.{MAIL_DOMAIN}",
        f"unknown@{MAIL_DOMAIN}",
        f"{local}x@{MAIL_DOMAIN}",
        "postmaster@elsewhere.test",
        f"@{MAIL_DOMAIN}:victim@elsewhere.test",
        f"@{MAIL_DOMAIN},@relay.test:victim@elsewhere.test",
        f"victim%elsewhere.test@{MAIL_DOMAIN}",
        f"{local}%elsewhere.test@{MAIL_DOMAIN}",
        f"elsewhere.test!victim@{MAIL_DOMAIN}",
        f'"victim@elsewhere.test"@{MAIL_DOMAIN}',
        f'"{local}@elsewhere.test"@{MAIL_DOMAIN}',
        f'"victim%elsewhere.test"@{MAIL_DOMAIN}',
        "victim@[127.0.0.1]",
        f"{local}@[127.0.0.1]",
    ]


async def test_no_open_relay_every_non_project_address_gets_550_and_nothing_is_spooled(
        service: Service, project: dict[str, Any]) -> None:
    bcc = project["addresses"]["bcc"]
    answers: dict[str, tuple[int, str]] = {}
    async with await session(service) as client:
        assert (await client.command(f"MAIL FROM:<{SENDER}>")).code == OK
        for address in relay_attempts(bcc):
            reply = await client.command(f"RCPT TO:<{address}>")
            answers[address] = (reply.code, reply.enhanced)
        assert (await client.command("DATA")).code == BAD_SEQUENCE
    assert answers == {a: (UNKNOWN_RECIPIENT, NO_SUCH_MAILBOX) for a in answers}
    assert await spooled(service) == []


async def test_project_address_local_part_is_matched_case_insensitively(
        service: Service, project: dict[str, Any]) -> None:
    local, domain = project["addresses"]["bcc"].split("@")
    async with await session(service) as client:
        reply = await client.transaction(SENDER, [f"{local.upper()}@{domain.upper()}"],
                                         a_message() + END)
    assert reply.code == OK, reply
    assert len(await spooled(service)) == 1


# Behind a load balancer (PROXY protocol) and after STARTTLS the per-IP limits still count
# the real client, once per connection.

def proxy_header(client_ip: str) -> bytes:
    """Return a PROXY protocol v1 header announcing `client_ip`."""
    return f"PROXY TCP4 {client_ip} 127.0.0.1 40000 25\r\n".encode()


@pytest.fixture
async def proxied_service(settings: Settings) -> AsyncIterator[Service]:
    """Run the gateway expecting the PROXY protocol from a load balancer."""
    running = await start_service(replace(settings, proxy_protocol=True), workers=0)
    yield running
    await running.stop()


async def proxied_session(service: Service, client_ip: str) -> RawSmtp:
    """Connect through the 'balancer' (127.0.0.1) on behalf of `client_ip` and EHLO."""
    client = await RawSmtp.connect(service.smtp_port)
    await client.send(proxy_header(client_ip))
    assert (await client.greet()).code == OK
    return client


async def test_proxied_clients_are_served_and_limited_by_their_own_address(
        proxied_service: Service) -> None:
    async with ApiClient(f"http://127.0.0.1:{proxied_service.http_port}", ADMIN_TOKEN) as api:
        bcc = (await a_project(api, "Acme Homes"))["addresses"]["bcc"]
    noisy = "203.0.113.7"
    held = [await proxied_session(proxied_service, noisy)
            for _ in range(LIMITS["max_connections_per_ip"])]
    try:
        async with await RawSmtp.connect(proxied_service.smtp_port) as extra:
            await extra.send(proxy_header(noisy))
            reply = await extra.reply()
            assert reply.code == SERVICE_NOT_AVAILABLE, reply
            assert await extra.closed_by_server()
        # Every client comes from the balancer's address; the others are not starved.
        async with await proxied_session(proxied_service, "203.0.113.8") as other:
            assert (await other.transaction(SENDER, [bcc], a_message() + END)).code == OK
    finally:
        for client in held:
            await client.close()
    [row] = await spooled(proxied_service)
    assert row.client_ip == "203.0.113.8"


def self_signed_certificate(directory: Path) -> tuple[str, str]:
    """Write a throwaway certificate and key for localhost; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
async def tls_service(settings: Settings, tmp_path: Path) -> AsyncIterator[Service]:
    """Run the gateway with STARTTLS."""
    cert, key = self_signed_certificate(tmp_path)
    running = await start_service(replace(settings, tls_cert=cert, tls_key=key), workers=0)
    yield running
    await running.stop()


async def test_starttls_sessions_do_not_use_up_the_connection_limit(
        tls_service: Service) -> None:
    client_tls = ssl.create_default_context()
    client_tls.check_hostname = False
    client_tls.verify_mode = ssl.CERT_NONE
    for _ in range(LIMITS["max_connections_per_ip"] + 2):
        async with await session(tls_service) as client:
            assert (await client.command("STARTTLS")).code == SERVICE_READY
            await client.writer.start_tls(client_tls)
            assert (await client.command("EHLO client.test")).code == OK
            assert (await client.command("QUIT")).code == CLOSING

    async def served() -> bool:
        async with await RawSmtp.connect(tls_service.smtp_port) as client:
            return (await client.reply()).code == SERVICE_READY

    assert await eventually(served, timeout=5)


def test_rate_limit_state_does_not_grow_with_every_address_ever_seen() -> None:
    # A sender rotating through addresses must not make the gateway remember each forever.
    now = [0.0]
    limits = ClientLimits(max_connections=1, max_messages_per_minute=1, clock=lambda: now[0])
    for index in range(10_000):
        assert limits.allow_message(f"2001:db8::{index:x}")
    assert limits.tracked_clients == 10_000
    now[0] += 61
    assert limits.allow_message("2001:db8::ffff:1")
    assert limits.tracked_clients == 1
    assert not limits.allow_message("2001:db8::ffff:1")

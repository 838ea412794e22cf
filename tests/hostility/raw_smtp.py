"""A raw SMTP client over asyncio streams: sends exactly the bytes a test gives it.

smtplib and aiosmtplib normalise line endings and dot-stuff the data, which is exactly what
a hostile client does not do; this client writes bytes as given and reads replies.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Self

REPLY_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Reply:
    """One (possibly multi-line) SMTP reply."""

    code: int
    text: str

    @property
    def enhanced(self) -> str:
        """Return the RFC 3463 enhanced status code at the start of the text, or ""."""
        first = self.text.split(" ", 1)[0]
        return first if first[:1].isdigit() and first.count(".") == 2 else ""


class RawConnection:
    """One TCP connection that sends exactly the bytes it is given (SMTP or HTTP)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def closed_by_server(self, timeout: float = REPLY_TIMEOUT) -> bool:
        """Return True once the server has closed the connection (EOF or reset)."""
        try:
            rest = await asyncio.wait_for(self.reader.read(), timeout)
        except ConnectionError:
            return True
        return rest == b""

    async def close(self) -> None:
        """Close our side without waiting for the server to agree."""
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass


class RawSmtp(RawConnection):
    """One SMTP connection to the gateway, optionally from a chosen loopback source address."""

    @classmethod
    async def connect(cls, port: int, source: str = "127.0.0.1",
                      host: str = "127.0.0.1") -> RawSmtp:
        """Open a connection from `source` (any 127/8 address works on loopback)."""
        reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0),
                                                       limit=1024 * 1024)
        return cls(reader, writer)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def reply(self, timeout: float = REPLY_TIMEOUT) -> Reply:
        """Read one reply; raise ConnectionError if the server closed the connection first."""
        lines: list[str] = []
        while True:
            line = await asyncio.wait_for(self.reader.readline(), timeout)
            if not line:
                raise ConnectionError("server closed the connection: " + " | ".join(lines))
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(text[4:])
            if text[3:4] != "-":
                return Reply(int(text[:3]), "\n".join(lines))

    async def send(self, data: bytes) -> None:
        """Write raw bytes."""
        self.writer.write(data)
        await self.writer.drain()

    async def command(self, line: str | bytes) -> Reply:
        """Send one command line (CRLF added) and return the reply."""
        raw = line.encode() if isinstance(line, str) else line
        await self.send(raw + b"\r\n")
        return await self.reply()

    async def greet(self) -> Reply:
        """Read the greeting and say EHLO; return the EHLO reply."""
        greeting = await self.reply()
        assert greeting.code == 220, greeting
        return await self.command("EHLO client.test")

    async def transaction(self, mail_from: str, rcpt_to: list[str], data: bytes) -> Reply:
        """MAIL, RCPT(s), DATA and the raw `data` bytes (which must end the DATA itself)."""
        reply = await self.command(f"MAIL FROM:<{mail_from}>")
        assert reply.code == 250, reply
        for address in rcpt_to:
            reply = await self.command(f"RCPT TO:<{address}>")
            assert reply.code == 250, (address, reply)
        reply = await self.command("DATA")
        assert reply.code == 354, reply
        await self.send(data)
        return await self.reply()


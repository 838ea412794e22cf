"""The ceiling: an aiosmtpd server that accepts every message and discards it.

Same library, same event loop style as blindcopy's gateway (loop.create_server), no store,
no parsing. Usage: python bench/bare_smtp_server.py PORT
"""

from __future__ import annotations

import asyncio
import sys

from aiosmtpd.smtp import SMTP, Envelope, Session


class DiscardingHandler:
    """Answer 250 to every DATA and keep nothing."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 2.0.0 OK: discarded"


async def serve(port: int) -> None:
    """Listen on 127.0.0.1:port until killed."""
    loop = asyncio.get_running_loop()
    handler = DiscardingHandler()
    server = await loop.create_server(
        lambda: SMTP(handler, data_size_limit=25 * 1024 * 1024, enable_SMTPUTF8=True,
                     hostname="bare.test", loop=loop),
        host="127.0.0.1", port=port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))

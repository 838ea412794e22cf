"""The aiosmtpd handler: project addresses at RCPT, durable spooling before 250 at DATA.

No parsing and no rules here: DATA writes raw bytes and envelope (in a transaction shared
with the messages of other sessions that arrive meanwhile, `store.spool_writer`) and answers
250 only after that commit; any store failure answers 451 so the sender retries.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from aiosmtpd.proxy_protocol import ProxyData
from aiosmtpd.smtp import SMTP, Envelope, Session

from metrics import Metrics
from smtp_gateway import replies
from smtp_gateway.limits import ClientLimits, check_message_shape
from smtp_gateway.postmaster import (
    POSTMASTER,
    has_postmaster_copy,
    is_postmaster,
    write_with_postmaster_copy,
)
from smtp_gateway.recipients import Recipient, RecipientCache
from store.database import Store
from store.models import ReceivedMessage, utcnow
from store.project_addresses import FORWARD, find_receiving_address
from store.spool_writer import SpoolWriter

log = logging.getLogger("blindcopy.smtp")
# RFC 5321 4.5.3.1.3 allows 256 octets of reverse-path; the spool keeps 320. A HELO name is
# only informative, so an over-long one is cut to the spool's 255 rather than refused.
MAX_REVERSE_PATH = 320
MAX_HELO = 255
# aiosmtpd decodes command arguments as UTF-8 with surrogateescape: each byte that is not
# UTF-8 arrives as a lone surrogate, which no database encoding can store.
_NOT_UTF8 = re.compile("[\ud800-\udfff]")


def is_storable(value: str) -> bool:
    """Tell whether the store can keep an envelope value: no NUL, nothing that was not UTF-8.

    PostgreSQL refuses both (SQLite refuses the second); refused at the command, the client
    gets a permanent answer instead of 451 on every retry.
    """
    return "\x00" not in value and _NOT_UTF8.search(value) is None


@dataclass(frozen=True)
class GatewayLimits:
    """Limits the handler enforces itself (aiosmtpd enforces size and line length)."""

    max_recipients: int
    max_failed_recipients: int
    max_header_count: int
    max_header_bytes: int
    max_mime_depth: int


class AdmittingServer(Protocol):
    """The SMTP protocol as `handle_PROXY` sees it (smtp_gateway.server.GatewaySMTP)."""

    def admit(self, ip: str) -> str | None:
        """Count the connection against `ip`; return the 421 when there are too many."""

    async def push(self, status: str) -> None:
        """Send a reply."""


def _client_ip(session: Session) -> str:
    proxy = getattr(session, "proxy_data", None)
    if proxy is not None and getattr(proxy, "src_addr", None):
        return str(proxy.src_addr)
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) else str(peer or "")


class SpoolingHandler:
    """Accept mail for project addresses and spool it durably."""

    def __init__(self, store: Store, limits: GatewayLimits,
                 client_limits: ClientLimits, on_spooled: Any = None,
                 metrics: Metrics | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 recipients: RecipientCache | None = None, mail_domain: str = "") -> None:
        self.store = store
        # Its postmaster takes mail too (RFC 5321 4.5.1).
        self.mail_domain = mail_domain
        # Project addresses found at RCPT, kept a few seconds (none kept by default).
        self.recipients = recipients or RecipientCache(timedelta(0))
        # Messages of concurrent sessions are committed together (each 250 after its commit).
        self.spool_writer = SpoolWriter(store)
        # The clock decides whether a rotated-out address is still in its grace period.
        self.clock = clock
        self.limits = limits
        self.client_limits = client_limits
        self.on_spooled = on_spooled
        self.metrics = metrics or Metrics()

    async def handle_PROXY(self, server: AdmittingServer, session: Session,
                           envelope: Envelope, proxy_data: ProxyData) -> bool:
        """Admit a proxied connection by the client address the balancer reports.

        aiosmtpd closes every proxied connection this hook does not accept; one over the
        per-IP limit is told 421 first.
        """
        source = proxy_data.src_addr
        peer = session.peer
        ip = str(source) if source else str(peer[0]) if isinstance(peer, tuple) else ""
        refusal = server.admit(ip)
        if refusal is not None:
            await server.push(refusal)
            return False
        return True

    async def handle_HELO(self, server: SMTP, session: Session, envelope: Envelope,
                          hostname: str) -> str:
        """Refuse a host name the store cannot keep; otherwise greet as aiosmtpd does."""
        if not is_storable(hostname):
            session.host_name = None
            return replies.BAD_HELO_SYNTAX
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope,
                          hostname: str, responses: list[str]) -> list[str]:
        """Refuse a host name the store cannot keep; otherwise answer aiosmtpd's EHLO lines."""
        if not is_storable(hostname):
            # A refused greeting names no client: MAIL needs a new HELO or EHLO.
            session.host_name = None
            return [replies.BAD_HELO_SYNTAX]
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        """Refuse an over-long or unstorable reverse-path; apply the per-client rate."""
        if len(address) > MAX_REVERSE_PATH:
            return replies.SENDER_TOO_LONG
        if not is_storable(address):
            return replies.BAD_SENDER_SYNTAX
        if not self.client_limits.allow_message(_client_ip(session)):
            return replies.RATE_LIMITED
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        # Project address lookups of this transaction: address → (project id, kind).
        envelope.project_targets = {}  # type: ignore[attr-defined]
        return replies.SENDER_OK

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        """Accept only active (or in-grace) project addresses; limit the recipients."""
        if len(envelope.rcpt_tos) >= self.limits.max_recipients:
            return replies.TOO_MANY_RECIPIENTS
        if not is_storable(address):
            return self._refused(session, replies.BAD_RECIPIENT_SYNTAX)
        if is_postmaster(address, self.mail_domain):
            return self._accepted(envelope, address, rcpt_options, ("", POSTMASTER))
        try:
            target = await self._recipient(address.lower())
        except Exception:
            log.exception("recipient lookup failed")
            return replies.RECIPIENT_CHECK_UNAVAILABLE
        if target is None:
            return self._refused(session, replies.UNKNOWN_RECIPIENT)
        return self._accepted(envelope, address, rcpt_options, (target.project_id, target.kind))

    @staticmethod
    def _accepted(envelope: Envelope, address: str, rcpt_options: list[str],
                  target: tuple[str, str]) -> str:
        """Add a recipient with its (project id, address kind) to the transaction."""
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        envelope.project_targets[address.lower()] = target  # type: ignore[attr-defined]
        return replies.RECIPIENT_OK

    def _refused(self, session: Session, reply: str) -> str:
        """Count a refused recipient of the session; past the allowance, close (421).

        Each refusal may have cost a store look-up: a session guessing addresses gets
        `max_failed_recipients` answers, then the gateway stops talking to it.
        """
        failed = getattr(session, "failed_recipients", 0) + 1
        session.failed_recipients = failed  # type: ignore[attr-defined]
        if failed > self.limits.max_failed_recipients:
            return replies.TOO_MANY_FAILED_RECIPIENTS
        return reply

    async def _recipient(self, address: str) -> Recipient | None:
        """The project address that accepts mail at `address` now (kept, or looked up)."""
        now = self.clock()
        kept = self.recipients.get(address, now)
        if kept is not None:
            return kept
        row = await self.store.run_read(find_receiving_address, address, now)
        if row is None:
            return None
        found = Recipient(row.project_id, row.kind, row.active, row.grace_until)
        self.recipients.put(address, found, now)
        return found

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Spool the message (one row per channel) and answer 250 only after the commit."""
        data = envelope.original_content or b""
        refusal = check_message_shape(data, self.limits.max_header_count,
                                      self.limits.max_header_bytes, self.limits.max_mime_depth)
        if refusal:
            return refusal
        rows = self._received_rows(session, envelope, data)
        if not rows:
            return replies.NO_VALID_RECIPIENTS
        try:
            if has_postmaster_copy(rows):
                await write_with_postmaster_copy(self.store, rows)
            else:
                await self.spool_writer.write(rows)
        except Exception:
            log.exception("spooling failed")
            return replies.SPOOL_UNAVAILABLE
        for row in rows:
            self.metrics.count_received(row.channel)
        log.info("message spooled", extra={"received_ids": [r.id for r in rows],
                                           "client_ip": _client_ip(session)})
        if self.on_spooled is not None:
            self.on_spooled()
        return replies.ACCEPTED.format(id=",".join(r.id for r in rows))

    def _received_rows(self, session: Session, envelope: Envelope,
                       data: bytes) -> list[ReceivedMessage]:
        targets: dict[str, tuple[str, str]] = getattr(envelope, "project_targets", {})
        by_channel: dict[str, list[str]] = {}
        for address in envelope.rcpt_tos:
            _project_id, kind = targets[address.lower()]
            channel = kind if kind == POSTMASTER else "forward" if kind == FORWARD else "bcc"
            by_channel.setdefault(channel, []).append(address)
        return [
            ReceivedMessage(
                channel=channel, raw=data, mail_from=envelope.mail_from or "",
                rcpt_to=addresses, client_ip=_client_ip(session),
                helo=str(session.host_name or "")[:MAX_HELO], tls=session.ssl is not None,
                project_ids=sorted({targets[a.lower()][0] for a in addresses} - {""}),
            )
            for channel, addresses in sorted(by_channel.items())
        ]

    async def handle_exception(self, error: Exception) -> str:
        """Log the traceback and answer 451 without the exception's text."""
        log.error("SMTP session error", exc_info=error)
        return replies.INTERNAL_ERROR

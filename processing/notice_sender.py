"""Send the notices outbox through the outbound relay, in a thread beside the workers.

A thread of its own, so a slow or absent relay never holds up a worker's claims. Each round
claims a bounded batch (committed as `sending` before the relay is contacted: a notice is
sent at most once), sends it over one SMTP connection, and settles each notice: sent; tried
again with doubling backoff when the relay could not take it (it is down, or answered 4xx);
failed when the relay refused it (5xx) or its attempts are used up; interrupted when the
connection broke while the relay had the message (it may have been delivered).
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid

from sqlalchemy.orm import Session

from processing.context import utc_now
from store.database import Store
from store.models import Notice
from store.queries import notices as outbox

log = logging.getLogger("blindcopy.notices")
BATCH = 20
POLL_SECONDS = 1.0
SMTP_TIMEOUT_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Relay:
    """Where and as whom notices are sent, and how often they are tried."""

    host: str
    port: int
    sender: str
    retry_seconds: float = 30.0
    attempts: int = 8

    @classmethod
    def parse(cls, address: str, sender: str, retry_seconds: float, attempts: int) -> Relay:
        """Build a relay from `host:port` (validated by the settings)."""
        host, _, port = address.rpartition(":")
        return cls(host, int(port), sender, retry_seconds, attempts)


class Undelivered(Exception):
    """The relay did not take the notice; `final` when trying again cannot help."""

    def __init__(self, text: str, *, final: bool = False, uncertain: bool = False) -> None:
        super().__init__(text)
        self.final = final
        self.uncertain = uncertain


def to_email(notice: Notice, sender: str, now: datetime) -> EmailMessage:
    """Return the notice as an email: an automatic reply to the captured message."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = notice.to_address
    message["Subject"] = notice.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=notice.id, domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-replied"
    if notice.in_reply_to.startswith("<"):
        message["In-Reply-To"] = notice.in_reply_to
        message["References"] = notice.in_reply_to
    message.set_content(notice.body)
    return message


def _send_one(client: smtplib.SMTP, message: EmailMessage) -> None:
    """Send one message on an open connection; raise Undelivered saying how sure it is."""
    try:
        # The null reverse path: nothing answers a notice (RFC 3834 §3.3).
        client.mail("<>")
        code, reply = client.rcpt(str(message["To"]))
        if code >= 300:
            client.rset()
            raise Undelivered(f"{code} {reply.decode(errors='replace')}", final=code >= 500)
    except smtplib.SMTPResponseException as error:
        raise Undelivered(f"{error.smtp_code} {error.smtp_error!r}",
                          final=error.smtp_code >= 500) from error
    except (OSError, smtplib.SMTPException) as error:
        raise Undelivered(f"{type(error).__name__}: {error}") from error
    try:
        # Lines end in CRLF on the wire (smtplib sends bytes as they are).
        code, reply = client.data(message.as_bytes(policy=SMTP_POLICY))
    except smtplib.SMTPResponseException as error:
        raise Undelivered(f"{error.smtp_code} {error.smtp_error!r}",
                          final=error.smtp_code >= 500) from error
    except (OSError, smtplib.SMTPException) as error:
        # The relay may have the whole message: it is not sent again.
        raise Undelivered(f"{type(error).__name__}: {error}", uncertain=True) from error
    if code != 250:
        raise Undelivered(f"{code} {reply.decode(errors='replace')}", final=code >= 500)


def send_due_notices(store: Store, relay: Relay, now: datetime, limit: int = BATCH) -> int:
    """Claim due notices, send them and settle each; return how many were claimed."""
    # Idle rounds only read: no write lock (SQLite has one for the whole store) every second.
    with store.read() as session:
        if not outbox.has_due_work(session, now):
            return 0
    with store.write() as session:
        outbox.keep_interrupted(session, now)
        claimed = outbox.claim_notices(session, now, timedelta(seconds=5 * SMTP_TIMEOUT_SECONDS
                                                               * limit), limit)
        # Written (`sending`) before any is handed to the relay; read after the commit.
        session.flush()
        session.expunge_all()
    if not claimed:
        return 0
    results = _deliver(claimed, relay, now)
    with store.write() as session:
        for notice, error in zip(claimed, results, strict=True):
            _settle(session, notice, error, relay, now)
    return len(claimed)


def _deliver(notices: list[Notice], relay: Relay, now: datetime) -> list[Undelivered | None]:
    """Send the notices on one connection; return each one's failure (None: sent)."""
    try:
        client = smtplib.SMTP(relay.host, relay.port, timeout=SMTP_TIMEOUT_SECONDS)
        client.ehlo_or_helo_if_needed()
    except (OSError, smtplib.SMTPException) as error:
        down = Undelivered(f"relay {relay.host}:{relay.port} unreachable: {error}")
        return [down] * len(notices)
    results: list[Undelivered | None] = []
    try:
        for notice in notices:
            try:
                _send_one(client, to_email(notice, relay.sender, now))
                results.append(None)
            except Undelivered as error:
                results.append(error)
                if error.uncertain:
                    break
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    # After a broken connection, the rest were not handed over: tried again.
    broken = Undelivered("the connection to the relay broke before it was sent")
    return results + [broken] * (len(notices) - len(results))


def _settle(session: Session, notice: Notice, error: Undelivered | None, relay: Relay,
            now: datetime) -> None:
    if error is None:
        outbox.mark_sent(session, notice.id, now)
        log.info("notice sent", extra={"notice_id": notice.id, "user_id": notice.user_id})
        return
    if error.uncertain:
        outbox.mark_unsent(session, notice.id, str(error), None, outbox.INTERRUPTED)
    elif error.final or notice.attempts >= relay.attempts:
        outbox.mark_unsent(session, notice.id, str(error), None)
    else:
        delay = min(relay.retry_seconds * 2 ** (notice.attempts - 1), MAX_BACKOFF_SECONDS)
        outbox.mark_unsent(session, notice.id, str(error), now + timedelta(seconds=delay))
    log.warning("notice not sent", extra={"notice_id": notice.id, "error": str(error),
                                          "attempts": notice.attempts})


class NoticeSender:
    """Send due notices in a thread until stopped; a failing round never ends the thread."""

    def __init__(self, store: Store, relay: Relay,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.relay = relay
        self.clock = clock
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="blindcopy-notices", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                claimed = send_due_notices(self.store, self.relay, self.clock())
            except Exception:  # the store is down: the next round tries again
                log.warning("notices round failed", exc_info=True)
                claimed = 0
            if claimed < BATCH:
                self.stop_event.wait(POLL_SECONDS)

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the round under way, waiting up to `timeout` seconds."""
        self.stop_event.set()
        self.thread.join(timeout)

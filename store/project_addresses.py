"""Project addresses: derive unguessable addresses from the server secret, look them up, rotate.

An address is `<slug>.<token>@<domain>` (BCC) or `<slug>.fwd.<token>@<domain>` (forwarding),
where the token is an HMAC of the project id, kind and generation under the server secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, or_, select
from sqlalchemy.orm import Session

from store.models import Project, ProjectAddress, table_of

BCC = "bcc"
FORWARD = "forward"
KINDS = (BCC, FORWARD)
_TOKEN_CHARS = 10


def derive_address(project: Project, kind: str, secret: str, domain: str) -> str:
    """Return the address of `project` for `kind` at its current generation."""
    message = f"{project.id}:{kind}:{project.address_generation}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    token = base64.b32encode(digest).decode().lower()[:_TOKEN_CHARS]
    infix = ".fwd" if kind == FORWARD else ""
    return f"{project.slug}{infix}.{token}@{domain.lower()}"


def issue_addresses(project: Project, secret: str, domain: str) -> None:
    """Add the active BCC and forwarding addresses of the project's current generation."""
    for kind in KINDS:
        project.addresses.append(
            ProjectAddress(kind=kind, address=derive_address(project, kind, secret, domain))
        )


def rotate_addresses(project: Project, secret: str, domain: str, now: datetime,
                     grace: timedelta) -> None:
    """Retire the active addresses (working until now + grace) and issue new ones."""
    for address in project.addresses:
        if address.active:
            address.active = False
            address.grace_until = now + grace
    project.address_generation += 1
    issue_addresses(project, secret, domain)


def active_addresses(project: Project) -> dict[str, str]:
    """Return {"bcc": …, "forward": …} for the project's active addresses."""
    return {a.kind: a.address for a in project.addresses if a.active}


_ADDRESSES = table_of(ProjectAddress)
# Every RCPT TO runs it: built once, on the table's columns (a plain Core statement).
_RECEIVING = select(_ADDRESSES.c.project_id, _ADDRESSES.c.kind, _ADDRESSES.c.active,
                    _ADDRESSES.c.grace_until).where(
    _ADDRESSES.c.address == bindparam("address"),
    or_(_ADDRESSES.c.active.is_(True), _ADDRESSES.c.grace_until > bindparam("now")))


def find_receiving_address(
    session: Session, address: str, now: datetime
) -> Row[str, str, bool, datetime | None] | None:
    """Return (project_id, kind, active, grace_until) of the project address that accepts
    mail at `address` now.

    Active addresses accept mail, and retired ones until their grace period ends.
    """
    return (session.execute(_RECEIVING, {"address": address.lower(), "now": now})
            ).one_or_none()

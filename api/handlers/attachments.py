"""Attachment downloads: the bytes of an attachment of an interaction (SPEC §12).

Served only through an interaction of one of the caller's projects whose message lists
the attachment (another project's interaction answers 404, like one that does not exist),
as a download: `Content-Disposition: attachment` with the filename encoded per RFC 6266
and RFC 5987, and headers that keep a browser from rendering or sniffing the bytes.
"""

from __future__ import annotations

import re
from email.utils import encode_rfc2231

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import visible_project
from api.request_context import caller, in_unit_of_work
from store.errors import Invalid, NotFound
from store.models import Message
from store.queries.content import StoredAttachment, attachment_of
from store.queries.interactions import get_interaction

# type/subtype as RFC 6838 allows; anything else is served as bytes.
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_MEDIA_TYPE = re.compile(f"{_NAME}/{_NAME}")
# What may stand in the quoted ASCII fallback filename: printable ASCII but quote and
# backslash (and path separators, which no filename should carry to a disk).
_UNSAFE_IN_FALLBACK = re.compile(r'[^\x20-\x7e]|["\\/:]')
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
MAX_FILENAME_CHARS = 255


def download_filename(filename: str, n: int) -> str:
    """Return the name to save the attachment as: its last path part, without controls."""
    name = _CONTROLS.sub("", filename).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:MAX_FILENAME_CHARS] if name.strip(".") else f"attachment-{n}"


def content_disposition(filename: str) -> str:
    """Return `attachment; filename="…"` with an ASCII fallback, and `filename*` (RFC 5987)
    when the name is not plain ASCII (RFC 6266 §4.3)."""
    fallback = _UNSAFE_IN_FALLBACK.sub("_", filename)
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*={encode_rfc2231(filename, 'utf-8')}"


def _number(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise Invalid.field("n", "must be an attachment number, from 1")
    return int(text)


async def get_attachment(request: web.Request) -> web.Response:
    """GET /v1/interactions/{id}/attachments/{n}: the attachment's bytes, as a download."""
    who, interaction_id = caller(request), request.match_info["id"]
    n = _number(request.match_info["n"])

    def read(session: Session) -> StoredAttachment:
        interaction = get_interaction(session, interaction_id)
        try:
            visible_project(session, who, interaction.project_id)
        except NotFound:
            raise NotFound(f"Interaction {interaction_id} does not exist.") from None
        if interaction.unlogged_at is not None:
            raise NotFound(f"Interaction {interaction_id} was unlogged.")
        message = session.get(Message, interaction.message_ref)
        assert message is not None  # the interaction's foreign key
        return attachment_of(session, message, n, f"interaction {interaction_id}")

    attachment = await in_unit_of_work(request, read)
    media_type = attachment.content_type.lower()
    if not _MEDIA_TYPE.fullmatch(media_type):
        media_type = "application/octet-stream"
    return web.Response(body=attachment.content, content_type=media_type, headers={
        "Content-Disposition": content_disposition(download_filename(attachment.filename, n)),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    })

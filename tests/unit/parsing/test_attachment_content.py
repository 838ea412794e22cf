"""Attachments keep their decoded bytes, decoded once, whatever the base64 looks like."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage

from parsing import parse_message


def test_attachment_bytes_are_kept_decoded_with_their_hash() -> None:
    message = EmailMessage()
    message["From"] = "carol@client.test"
    message.set_content("See attached.")
    message.add_attachment(bytes(range(256)) * 10, maintype="application", subtype="pdf",
                           filename="a.pdf")
    broken = message.as_bytes().replace(b"AAECAwQF", b"AAECAwQ", 1)  # bad padding

    for raw in (message.as_bytes(), broken):
        [attachment] = parse_message(raw).attachments
        assert attachment.size == len(attachment.content) > 0
        assert attachment.sha256 == hashlib.sha256(attachment.content).hexdigest()
    [intact] = parse_message(message.as_bytes()).attachments
    assert intact.content == bytes(range(256)) * 10


def test_an_inline_original_keeps_the_attachments_forwarded_with_it() -> None:
    message = EmailMessage()
    message["From"] = "alice@acme.test"
    message["To"] = "forward@in.blindcopy.test"
    message["Subject"] = "Fwd: Offer"
    message.set_content("FYI\n\n---------- Forwarded message ---------\n"
                        "From: Bob Buyer <bob@client.test>\nDate: Tue, Nov 24, 2026 at 10:00 AM\n"
                        "Subject: Offer\nTo: Alice <alice@acme.test>\n\nThe offer is attached.\n")
    message.add_attachment(b"%PDF offer", maintype="application", subtype="pdf",
                           filename="offer.pdf")

    parsed = parse_message(message.as_bytes())

    assert parsed.forwarded is not None
    assert [(a.filename, a.content) for a in parsed.forwarded.attachments] == [
        ("offer.pdf", b"%PDF offer")]

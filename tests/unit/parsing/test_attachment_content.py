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

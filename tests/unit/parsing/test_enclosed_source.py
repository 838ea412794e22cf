"""An attached original's exact bytes, over which its own DKIM signature is checked (SPEC §9)."""

from __future__ import annotations

import base64
from email.message import Message
from email.parser import BytesParser

from parsing_builders import a_message

from parsing import ForwardKind, parse_message
from parsing.enclosed_source import enclosed_source
from parsing.header_policy import MIME_POLICY
from parsing.parts import walk_parts

# Written the way a signer leaves it: a header folded at 60 columns, one without a space
# after its colon, 8-bit text, blank lines at the end. Serialising it again changes bytes.
ORIGINAL = (
    b"DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=client.test; s=sel;\r\n"
    b"\th=from:to:subject; bh=AAAA; b=BBBB\r\n"
    b"From: Carol Client <carol@client.test>\r\n"
    b"To: Alice Agent <alice@acme.test>\r\n"
    b"Subject:Quote for the roof, which is a subject long enough to be folded again by a writer\r\n"
    b"Message-ID: <original@client.test>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"H\xc3\xa9llo Alice, the price is below.\r\n"
    b"--OUTER followed by words is no delimiter line\r\n"
    b"\r\n\r\n"
)


def forwarding(enclosed: bytes, *, boundary: bytes = b"OUTER", headers: bytes = b"",
               content_type: bytes = b"message/rfc822", newline: bytes = b"\r\n") -> bytes:
    """Return a forward carrying `enclosed` as its second part, with a preamble and epilogue."""
    lines = [
        b"From: Alice Agent <alice@acme.test>", b"To: fwd.k3f9@fwd.example.com",
        b"Subject: Fwd: Quote", b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="' + boundary + b'"', b"",
        b"This is a multi-part message.", b"--" + boundary, b"Content-Type: text/plain", b"",
        b"See the original.", b"--" + boundary, b"Content-Type: " + content_type,
    ]
    lines += [h for h in headers.split(b"\n") if h]
    head = newline.join(lines) + newline + newline
    tail = newline + b"--" + boundary + b"--" + newline + b"epilogue" + newline
    return head + enclosed + tail


def test_attached_original_keeps_the_bytes_it_was_sent_in() -> None:
    raw = forwarding(ORIGINAL)

    original = parse_message(raw).forwarded

    assert original is not None
    assert original.forwarded_as is ForwardKind.ATTACHMENT
    assert original.source == ORIGINAL
    assert original.subject.startswith("Quote for the roof")
    # What the email package writes back is not what was signed.
    enclosed = _attached_part(raw).get_payload(0)
    assert isinstance(enclosed, Message) and enclosed.as_bytes() != ORIGINAL


def test_lf_line_endings_are_kept_as_sent() -> None:
    enclosed = ORIGINAL.replace(b"\r\n", b"\n")

    original = parse_message(forwarding(enclosed, newline=b"\n")).forwarded

    assert original is not None and original.source == enclosed


def test_nested_attached_forwards_give_the_innermost_originals_bytes() -> None:
    middle = forwarding(ORIGINAL, boundary=b"MIDDLE")

    original = parse_message(forwarding(middle)).forwarded

    assert original is not None
    assert (original.message_id, original.source) == ("<original@client.test>", ORIGINAL)


def test_base64_enclosed_message_gives_the_decoded_bytes() -> None:
    encoded = base64.encodebytes(ORIGINAL).replace(b"\n", b"\r\n").rstrip()
    raw = forwarding(encoded, headers=b"Content-Transfer-Encoding: base64")

    original = parse_message(raw).forwarded

    assert original is not None and original.source == ORIGINAL


def test_eml_file_gives_the_decoded_bytes() -> None:
    outer = a_message(subject="Fwd: x", text="see")
    outer.add_attachment(ORIGINAL, maintype="application", subtype="octet-stream",
                         filename="quote.eml")

    original = parse_message(outer.as_bytes()).forwarded

    assert original is not None
    assert (original.forwarded_as, original.source) == (ForwardKind.ATTACHMENT, ORIGINAL)


def test_inline_original_has_no_bytes_of_its_own() -> None:
    text = ("FYI\n\n---------- Forwarded message ---------\nFrom: Carol <carol@client.test>\n"
            "Date: Thu, 6 April 2023 at 16:17\nSubject: Quote\nTo: Alice <alice@acme.test>\n\n"
            "Can you send me the quote?\n")

    original = parse_message(a_message(subject="Fwd: Quote", text=text).as_bytes()).forwarded

    assert original is not None
    assert (original.forwarded_as, original.source) == (ForwardKind.INLINE, b"")


def test_a_message_that_forwards_nothing_is_no_original() -> None:
    parsed = parse_message(ORIGINAL)

    assert (parsed.forwarded_as, parsed.source, parsed.forwarded) == (None, b"", None)


def test_bytes_that_do_not_read_as_the_parsed_original_are_withheld() -> None:
    raw = forwarding(ORIGINAL)
    msg = BytesParser(policy=MIME_POLICY).parsebytes(raw)
    part = walk_parts(msg).attached_messages[0]
    changed = raw.replace(b"To: Alice Agent <alice@acme.test>", b"To: Mallory <m@evil.test>")

    assert enclosed_source(raw, msg, part) == ORIGINAL
    assert enclosed_source(changed, msg, part) is None


def test_parts_counted_differently_withhold_the_bytes() -> None:
    raw = forwarding(ORIGINAL)
    msg = BytesParser(policy=MIME_POLICY).parsebytes(raw)
    part = walk_parts(msg).attached_messages[0]
    # One more delimiter line than the email package read: the parts are not the same.
    extra = raw.replace(b"See the original.", b"See the original.\r\n--OUTER\r\n")

    assert enclosed_source(extra, msg, part) is None


def _attached_part(raw: bytes) -> Message:
    msg = BytesParser(policy=MIME_POLICY).parsebytes(raw)
    return walk_parts(msg).attached_messages[0]

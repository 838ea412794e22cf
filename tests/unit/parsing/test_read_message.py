"""`read_message` reads a message exactly as the standard library's whole parse does.

It skips the feed parser's line-by-line walk of a single-part body; every other shape goes
through the whole parse. Compared on hand-picked shapes and on seeded random edits of a
message (stray CR, LF, colons, spaces, non-ASCII bytes), which move where the header
section ends.
"""

from __future__ import annotations

import random
from email.message import Message
from email.parser import BytesParser

import pytest

from parsing.header_policy import MIME_POLICY
from parsing.mime import read_message

SHAPES = [
    b"Subject: hi\r\nFrom: a@b.test\r\n\r\nline one\r\nline two\r\n",
    b"Subject: hi\n\nbare LF body\n\n\nwith empty lines\n",
    b"Subject: hi\r\n\r\n",
    b"X-A: 1\r\nnot a header\r\nY: 2\r\n\r\nbody\r\n",
    b"Subject: hi\r\r\nbody\n\nmore",
    b"Subject: hi\n\xff\xfe: x\n\nbody \xe9\r\n",
    b"From sender@x Tue Nov 24 10:00:00 2026\nSubject: a\n\nb",
    b"\n\nbody",
    b"Subject: a\n folded\n\tagain\n\nbody\n",
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n--x\r\n\xc3\xa9\r\n",
    b"Content-Type: message/rfc822\n\nSubject: inner\n\nbody",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
    b"part\r\n--b--\r\n",
    b"Subject: only headers, no empty line\r\n",
    b"Subject: cr only\rline\r\rbody\r",
]


def shape(message: Message) -> tuple[object, ...]:
    """What a reader of the message sees: headers, defects, type, payload bytes."""
    payload = (message.get_payload(decode=True) if not message.is_multipart()
               else [shape(part) for part in message.get_payload()])
    return (list(message.raw_items()), [type(d).__name__ for d in message.defects],
            message.get_content_type(), message.get_unixfrom(), payload)


def random_edits(seed: int) -> bytes:
    rng = random.Random(seed)
    data = bytearray(SHAPES[0] + b"third line\r\n")
    for _ in range(rng.randrange(1, 5)):
        at = rng.randrange(len(data) + 1)
        data[at:at] = bytes([rng.choice(b"\r\n :\xff-a\t")])
    return bytes(data)


@pytest.mark.parametrize("raw", SHAPES + [random_edits(seed) for seed in range(400)])
def test_read_message_equals_the_whole_parse(raw: bytes) -> None:
    assert shape(read_message(raw)) == shape(BytesParser(policy=MIME_POLICY).parsebytes(raw))

"""The fingerprint's white-space collapsing equals `" ".join(text.split())` (SPEC §9).

A stored fingerprint is compared with every later capture's, so the fast path must give
the same text as the plain one for every input: seeded random strings over every white
space character (ASCII and not), runs of them, and none.
"""

from __future__ import annotations

import random
import sys

import pytest

from processing.message_facts import collapse_spaces

SPACES = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
ALPHABET = SPACES + list("ab.é\u3000")


def random_text(seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(40)))


@pytest.mark.parametrize("text", ["", " ", "a", "  a \r\n\r\n b\t\x1c c  ", " " * 1000 + "x",
                                  "La De Da.\r\n" * 100]
                         + [random_text(seed) for seed in range(300)]
                         + [random_text(seed).encode("ascii", "ignore").decode()
                            for seed in range(300)])
def test_collapse_spaces_equals_split_and_join(text: str) -> None:
    assert collapse_spaces(text) == " ".join(text.split())

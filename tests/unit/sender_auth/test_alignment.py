"""Relaxed alignment by organizational domain, from the bundled Public Suffix List."""

from __future__ import annotations

import pytest

from sender_auth.alignment import is_aligned, organizational_domain


@pytest.mark.parametrize(("domain", "expected"), [
    ("acme.test", "acme.test"),
    ("Mail.ACME.test.", "acme.test"),
    ("a.b.example.co.uk", "example.co.uk"),
    ("co.uk", "co.uk"),
    ("alice.github.io", "alice.github.io"),
    ("bücher.de", "xn--bcher-kva.de"),
])
def test_organizational_domain(domain: str, expected: str) -> None:
    assert organizational_domain(domain) == expected


@pytest.mark.parametrize(("authenticated", "from_domain", "aligned"), [
    ("acme.test", "acme.test", True),
    ("mail.acme.test", "acme.test", True),
    ("acme.test", "eu.acme.test", True),
    ("evil.test", "acme.test", False),
    ("acme.test.evil.test", "acme.test", False),
    ("example.co.uk", "other.co.uk", False),
    ("alice.github.io", "mallory.github.io", False),
    ("", "acme.test", False),
])
def test_is_aligned(authenticated: str, from_domain: str, aligned: bool) -> None:
    assert is_aligned(authenticated, from_domain) is aligned

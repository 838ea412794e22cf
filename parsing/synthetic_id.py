"""Stable synthetic Message-IDs for messages that carry none (SPEC §3, threading).

A hash of sender, date, subject and body, so re-deliveries of the same message map to
the same id. Pure: no I/O, no clock, no randomness.
"""

from __future__ import annotations

import hashlib


def synthetic_message_id(sender: str, date: str, subject: str, body: str) -> str:
    """Return a stable id for a message without Message-ID (SPEC §3 threading)."""
    digest = hashlib.sha256(f"{sender}\x00{date}\x00{subject}\x00{body}".encode()).hexdigest()
    return f"<{digest[:32]}@synthetic.blindcopy>"

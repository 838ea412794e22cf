"""Private interactions (SPEC §13): what is shown of an email whose content is hidden.

A private interaction shows its subject, text and attachments only to its user (the one it is
credited to) and to admins; anyone else sees that an email occurred: who took part and when.
Pure: the API decides who may see (api/redaction.py); events of a private interaction carry
the hidden form (store/events.py).
"""

from __future__ import annotations

from typing import Any

# What everyone who sees the interaction sees of a private email: that it occurred.
SHOWN_OF_PRIVATE = frozenset({"from", "to", "cc", "date"})


def redacted_message(message: dict[str, Any]) -> dict[str, Any]:
    """Return the message with only its participants and date; every other field (subject,
    preview, text, html, headers, attachments …) emptied, keeping its type; `private: true`."""
    return {**{key: value if key in SHOWN_OF_PRIVATE else _emptied(value)
               for key, value in message.items()}, "private": True}


def _emptied(value: Any) -> Any:
    """Return the empty value of the value's JSON type (null for numbers and booleans)."""
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {}
    return None

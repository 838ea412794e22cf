"""Private interactions (SPEC §13): what a viewer who may not see an email's content sees.

A private interaction shows its subject, text and attachments only to its user (the one it
is credited to) and to admins; anyone else sees that an email occurred: who took part and
when. Every route that shows an email's content calls these functions: the contact timeline,
the pending threads, and GET /v1/interactions/{id}.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from api.caller import Caller

# What everyone who sees the interaction sees of a private email: that it occurred.
SHOWN_OF_PRIVATE = frozenset({"from", "to", "cc", "date"})


def may_see_content(caller: Caller, private: bool, user_id: str | None) -> bool:
    """Tell whether the caller may see the content of an interaction."""
    return not private or caller.is_admin or (
        caller.user_id is not None and caller.user_id == user_id)


def shown_message(caller: Caller, private: bool, user_id: str | None,
                  message: dict[str, Any]) -> dict[str, Any]:
    """Return the message of an interaction as the caller may see it.

    For a viewer who may not see a private interaction's content, only the participants and
    the date are kept; every other field the message has (subject, preview, text, html,
    headers, attachments …) is emptied, keeping its type, and `private: true` is added.
    """
    if may_see_content(caller, private, user_id):
        return message
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


def hides_thread(caller: Caller, private_users: Iterable[str | None]) -> bool:
    """Tell whether a thread's subject is hidden from the caller: some private interaction
    of it (credited to these users) is not theirs to see."""
    return any(not may_see_content(caller, True, user_id) for user_id in private_users)

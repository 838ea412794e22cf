"""Private interactions (SPEC §13): who may see an email's content.

A private interaction shows its subject, text and attachments only to its user (the one it is
credited to) and to admins; anyone else sees that an email occurred. Every route that shows
an email's content asks `may_see_content` and shows `store.redaction.redacted_message`
otherwise (`shown_message` does both): the contact timeline, the thread listings (via
`hides_thread`), GET /v1/interactions/{id} and the events feed (`hide_private_events`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from api.caller import Caller
from store.redaction import redacted_message


def may_see_content(caller: Caller, private: bool, user_id: str | None) -> bool:
    """Tell whether the caller may see the content of an interaction."""
    return not private or caller.is_admin or (
        caller.user_id is not None and caller.user_id == user_id)


def shown_message(caller: Caller, private: bool, user_id: str | None,
                  message: dict[str, Any]) -> dict[str, Any]:
    """Return the message of an interaction as the caller may see it."""
    if may_see_content(caller, private, user_id):
        return message
    return redacted_message(message)


def hide_private_events(caller: Caller, items: list[dict[str, Any]],
                        private: dict[str, str | None]) -> list[dict[str, Any]]:
    """Return feed items with the content of the private interactions (id → credited user)
    the caller may not see hidden, in events written before they were made private too."""
    def shown(item: dict[str, Any]) -> dict[str, Any]:
        data = item["data"]
        if not (item["type"].startswith("interaction.") and data.get("id") in private
                and isinstance(data.get("message"), dict)
                and not may_see_content(caller, True, private[data["id"]])):
            return item
        return {**item, "data": {**data, "private": True,
                                 "message": redacted_message(data["message"])}}
    return [shown(item) for item in items]


def hides_thread(caller: Caller, private_users: Iterable[str | None]) -> bool:
    """Tell whether a thread's subject is hidden from the caller: some private interaction
    of it (credited to these users) is not theirs to see."""
    return any(not may_see_content(caller, True, user_id) for user_id in private_users)

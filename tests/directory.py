"""Build a directory through the real HTTP API: projects, users, members, contacts, tokens."""

from __future__ import annotations

from typing import Any

from tests.client import ApiClient


async def a_project(api: ApiClient, name: str, **settings: Any) -> dict[str, Any]:
    """Create a project; sender_auth defaults to none here unless a test sets it."""
    settings.setdefault("sender_auth", "none")
    result: dict[str, Any] = await api.post("/v1/projects", {"name": name, "settings": settings},
                                            expect=201)
    return result


async def a_user(api: ApiClient, name: str, email: str, *, projects: tuple[str, ...] = (),
                 **fields: Any) -> dict[str, Any]:
    """Create a user and make them a member of `projects`."""
    user: dict[str, Any] = await api.post("/v1/users", {"name": name, "email": email, **fields},
                                          expect=201)
    for project_id in projects:
        await api.request("PUT", f"/v1/projects/{project_id}/members/{user['id']}", expect=204)
    return user


async def contacts(api: ApiClient, project_id: str,
                   *entries: tuple[str, str, list[str]] | tuple[str, str, list[str], str]
                   ) -> dict[str, str]:
    """Upsert contacts (external_id, name, emails[, owner_id]); return external_id → id."""
    body = [{"external_id": e[0], "name": e[1], "emails": e[2],
             **({"owner_id": e[3]} if len(e) > 3 else {})} for e in entries]
    result = await api.put(f"/v1/projects/{project_id}/contacts", body)
    return {c["external_id"]: c["id"] for c in result["contacts"]}


async def a_token(api: ApiClient, user_id: str) -> str:
    """Issue a token for a user."""
    result = await api.post(f"/v1/users/{user_id}/tokens", expect=201)
    return str(result["token"])


async def a_mailbox(api: ApiClient, user_id: str, address: str,
                    project_ids: list[str]) -> dict[str, Any]:
    """Connect a mailbox synced to projects."""
    result: dict[str, Any] = await api.post(
        "/v1/mailboxes", {"user_id": user_id, "address": address, "project_ids": project_ids},
        expect=201)
    return result


async def timeline(api: ApiClient, project_id: str, contact_id: str) -> list[dict[str, Any]]:
    """Return the contact's interactions (first page)."""
    result = await api.get(f"/v1/projects/{project_id}/contacts/{contact_id}/interactions")
    items: list[dict[str, Any]] = result["items"]
    return items


def email(from_: str, to: str, subject: str = "Hello", *, message_id: str = "",
          cc: str = "", headers: str = "", body: str = "Hi there.",
          date: str = "Tue, 24 Nov 2026 10:00:00 +0000") -> bytes:
    """Return a small RFC 5322 message."""
    lines = [f"From: {from_}", f"To: {to}", f"Subject: {subject}", f"Date: {date}"]
    lines += [f"Cc: {cc}"] if cc else []
    lines += [f"Message-ID: {message_id}"] if message_id else []
    lines += [h for h in headers.split("\n") if h]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()

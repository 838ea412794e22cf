"""Scenario helpers: capture a message through the real interfaces and read decisions back."""

from __future__ import annotations

import base64
from typing import Any

from tests.client import ApiClient, eventually

Summary = list[tuple[str, str | None, str, str]]


def summary(decision: dict[str, Any]) -> Summary:
    """Return the outcomes as sorted (address, project_id, status, reason) tuples."""
    return sorted((o["address"], o["project_id"], o["status"], o["reason"])
                  for o in decision["outcomes"])


def reasons_in_trace(decision: dict[str, Any]) -> set[str]:
    """Return every reason code in the decision's rule trace."""
    return {step["reason"] for step in decision["trace"]}


async def sync(api: ApiClient, mailbox_id: str, raw: bytes) -> dict[str, Any]:
    """Ingest a message synced from a mailbox; return its decision."""
    result: dict[str, Any] = await api.post(
        f"/v1/mailboxes/{mailbox_id}/messages", data=raw,
        headers={"Content-Type": "message/rfc822"}, json=None)
    return result


async def log(api: ApiClient, raw: bytes, project_ids: list[str] | None = None,
              user_id: str | None = None) -> dict[str, Any]:
    """Click Log on a raw message; return its decision."""
    body: dict[str, Any] = {"raw": base64.b64encode(raw).decode()}
    if project_ids:
        body["project_ids"] = project_ids
    if user_id:
        body["user_id"] = user_id
    result: dict[str, Any] = await api.post("/v1/log", body)
    return result


async def explain(api: ApiClient, raw: bytes, channel: str, *, user_id: str | None = None,
                  project_ids: list[str] | None = None) -> dict[str, Any]:
    """Dry-run a message; return the decision (nothing recorded)."""
    body: dict[str, Any] = {"raw": base64.b64encode(raw).decode(), "channel": channel}
    if user_id:
        body["user_id"] = user_id
    if project_ids:
        body["project_ids"] = project_ids
    result: dict[str, Any] = await api.post("/v1/explain", body)
    return result


async def processed(api: ApiClient, message_id: str) -> dict[str, Any]:
    """Wait until the received message with this Message-ID is processed; return its decision."""
    async def probe() -> dict[str, Any] | None:
        items = (await api.get("/v1/messages", params={"message_id": message_id}))["items"]
        done = [i for i in items if i["status"] not in ("queued", "processing")]
        return done[0] if done else None
    message = await eventually(probe)
    decision: dict[str, Any] = await api.get(f"/v1/messages/{message['id']}/decision")
    return decision

"""Helpers of the API tests: the processing stand-in, an admin-side builder, problem checks.

`FakeProcessingPortForApiTests` stands in for the processing layer ONLY until the real
one exists on main; it records calls and answers canned decisions. It is replaced by
end-to-end tests when the branches are merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PROBLEM = "application/problem+json"
Client = TestClient[web.Request, web.Application]


@dataclass
class FakeProcessingPortForApiTests:
    """A stand-in ProcessingPort recording each call; replace with the real one on merge."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def _decision(self, name: str, **arguments: Any) -> dict[str, Any]:
        self.calls.append((name, arguments))
        return {"message_id": "<fake@test>", "received_id": "fake", "status": "done",
                "outcomes": [], "trace": [{"rule": name, "verdict": "pass", "detail": "fake"}]}

    async def log_message(self, raw: bytes, *, user_id: str | None,
                          project_ids: list[str]) -> dict[str, Any]:
        return self._decision("log_message", raw=raw, user_id=user_id, project_ids=project_ids)

    async def log_structured(self, message: dict[str, Any], *, user_id: str | None,
                             project_ids: list[str]) -> dict[str, Any]:
        return self._decision("log_structured", message=message, user_id=user_id,
                              project_ids=project_ids)

    async def ingest_mailbox_message(self, raw: bytes, *, mailbox_id: str) -> dict[str, Any]:
        return self._decision("ingest_mailbox_message", raw=raw, mailbox_id=mailbox_id)

    async def explain(self, raw: bytes, *, channel: str, user_id: str | None,
                      project_ids: list[str]) -> dict[str, Any]:
        return self._decision("explain", raw=raw, channel=channel, user_id=user_id,
                              project_ids=project_ids)

    async def assign_thread(self, thread_id: str, project_ids: list[str], *,
                            user_id: str | None) -> dict[str, Any]:
        return self._decision("assign_thread", thread_id=thread_id, project_ids=project_ids,
                              user_id=user_id)

    async def release_quarantined(self, received_id: str) -> dict[str, Any]:
        return self._decision("release_quarantined", received_id=received_id)


@dataclass
class Directory:
    """Creates projects, users and tokens through the API, as an admin would."""

    client: Client

    async def project(self, name: str = "Acme Homes", **extra: Any) -> dict[str, Any]:
        response = await self.client.post("/v1/projects", json={"name": name, **extra},
                                          headers=ADMIN)
        assert response.status == 201, await response.text()
        return dict(await response.json())

    async def user(self, email: str, **extra: Any) -> dict[str, Any]:
        response = await self.client.post("/v1/users", json={"name": email.split("@")[0],
                                                             "email": email, **extra},
                                          headers=ADMIN)
        assert response.status == 201, await response.text()
        return dict(await response.json())

    async def token(self, user_id: str) -> dict[str, str]:
        response = await self.client.post(f"/v1/users/{user_id}/tokens", headers=ADMIN)
        assert response.status == 201, await response.text()
        return {"Authorization": f"Bearer {(await response.json())['token']}"}

    async def member(self, project_id: str, user_id: str) -> None:
        response = await self.client.put(f"/v1/projects/{project_id}/members/{user_id}",
                                         headers=ADMIN)
        assert response.status == 204, await response.text()

    async def member_with_token(self, project_id: str, email: str) -> tuple[str, dict[str, str]]:
        user = await self.user(email)
        await self.member(project_id, user["id"])
        return user["id"], await self.token(user["id"])


async def problem_of(response: Any, status: int) -> dict[str, Any]:
    """Assert the response is a problem document with `status` and return it."""
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    body = dict(await response.json())
    assert body["status"] == status
    assert body["type"].startswith("https://blindcopy.dev/problems/")
    return body

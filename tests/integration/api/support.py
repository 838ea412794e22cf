"""Helpers of the API tests: an admin-side builder, timeline reads, problem checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PROBLEM = "application/problem+json"
Client = TestClient[web.Request, web.Application]


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

    async def contact(self, project_id: str, external_id: str, *emails: str) -> str:
        """Upsert one contact with these addresses in the project; return its id."""
        response = await self.client.put(f"/v1/projects/{project_id}/contacts", headers=ADMIN,
                                         json=[{"external_id": external_id,
                                                "name": external_id, "emails": list(emails)}])
        assert response.status == 200, await response.text()
        [contact] = (await response.json())["contacts"]
        return str(contact["id"])

    async def mailbox(self, user_id: str, address: str, project_ids: list[str]) -> str:
        """Connect a mailbox of the user synced to the projects; return its id."""
        response = await self.client.post("/v1/mailboxes", headers=ADMIN, json={
            "user_id": user_id, "address": address, "project_ids": project_ids})
        assert response.status == 201, await response.text()
        return str((await response.json())["id"])

    async def timeline(self, project_id: str, contact_id: str) -> list[dict[str, Any]]:
        """Return the contact's interactions, newest first (first page)."""
        response = await self.client.get(
            f"/v1/projects/{project_id}/contacts/{contact_id}/interactions", headers=ADMIN)
        assert response.status == 200, await response.text()
        return list((await response.json())["items"])

    async def messages(self) -> list[dict[str, Any]]:
        """Return every received message (first page), newest first."""
        response = await self.client.get("/v1/messages", headers=ADMIN)
        assert response.status == 200, await response.text()
        return list((await response.json())["items"])


async def problem_of(response: Any, status: int) -> dict[str, Any]:
    """Assert the response is a problem document with `status` and return it."""
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    body = dict(await response.json())
    assert body["status"] == status
    assert body["type"].startswith("https://blindcopy.dev/problems/")
    return body

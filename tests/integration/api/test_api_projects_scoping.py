"""A user token on a project they are not a member of gets 404 on every project route."""

from __future__ import annotations

import pytest

from tests.integration.api.support import Client, Directory, problem_of

PROJECT_ROUTES = [
    ("GET", "/v1/projects/{pid}", None),
    ("PATCH", "/v1/projects/{pid}", {"name": "Mine now"}),
    ("POST", "/v1/projects/{pid}/addresses/rotate", None),
    ("PUT", "/v1/projects/{pid}/contacts", [{"external_id": "c1", "emails": ["c@x.test"]}]),
    ("GET", "/v1/projects/{pid}/contacts", None),
    ("GET", "/v1/projects/{pid}/contacts/anything/interactions", None),
    ("POST", "/v1/projects/{pid}/ignored", {"pattern": "spam.test"}),
    ("GET", "/v1/projects/{pid}/ignored", None),
    ("DELETE", "/v1/projects/{pid}/ignored/anything", None),
    ("POST", "/v1/projects/{pid}/never-log", {"address": "ceo@client.test"}),
    ("GET", "/v1/projects/{pid}/never-log", None),
    ("DELETE", "/v1/projects/{pid}/never-log/anything", None),
]


@pytest.mark.parametrize(("method", "path", "body"), PROJECT_ROUTES)
async def test_other_project_is_404(
    client: Client, directory: Directory, method: str, path: str, body: object
) -> None:
    mine = await directory.project("Mine")
    theirs = await directory.project("Theirs")
    _, token = await directory.member_with_token(mine["id"], "alice@acme.test")
    response = await client.request(method, path.format(pid=theirs["id"]), json=body,
                                    headers=token)
    await problem_of(response, 404)


async def test_member_sees_and_changes_own_project(client: Client, directory: Directory) -> None:
    mine = await directory.project("Mine")
    await directory.project("Theirs")
    _, token = await directory.member_with_token(mine["id"], "alice@acme.test")
    listed = await (await client.get("/v1/projects", headers=token)).json()
    assert [p["id"] for p in listed["items"]] == [mine["id"]]
    response = await client.patch(f"/v1/projects/{mine['id']}", headers=token,
                                  json={"settings": {"create_contacts": "recipients"}})
    assert response.status == 200

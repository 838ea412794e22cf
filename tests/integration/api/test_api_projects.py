"""Projects over HTTP: create, list, read, change settings, rotate addresses, members."""

from __future__ import annotations

from tests.integration.api.support import ADMIN, Client, Directory, problem_of


async def test_create_project_returns_settings_and_addresses(client: Client) -> None:
    response = await client.post("/v1/projects", json={"name": "Acme Homes"}, headers=ADMIN)
    assert response.status == 201
    body = await response.json()
    assert body["name"] == "Acme Homes" and body["slug"] == "acme-homes"
    assert body["settings"] == {"interaction_type": "Email", "logging_mode": "replies_only",
                                "sender_auth": "aligned", "create_contacts": "never",
                                "store_bodies": True, "capture_level": "full",
                                "deal_association": "none"}
    assert body["addresses"]["bcc"].startswith("acme-homes.")
    assert body["addresses"]["bcc"].endswith("@in.blindcopy.test")
    assert body["addresses"]["forward"].startswith("acme-homes.fwd.")
    assert isinstance(body["id"], str)


async def test_create_project_with_slug_and_settings(client: Client) -> None:
    settings = {"interaction_type": "Mail", "logging_mode": "all", "sender_auth": "none",
                "create_contacts": "recipients", "store_bodies": False,
                "capture_level": "subject", "deal_association": "all_open"}
    response = await client.post("/v1/projects", headers=ADMIN,
                                 json={"name": "X", "slug": "xy-1", "settings": settings})
    body = await response.json()
    assert response.status == 201 and body["slug"] == "xy-1" and body["settings"] == settings


async def test_same_name_twice_gets_distinct_slugs(directory: Directory) -> None:
    first, second = await directory.project("Acme"), await directory.project("Acme")
    assert (first["slug"], second["slug"]) == ("acme", "acme-2")


async def test_explicit_slug_taken_is_a_conflict(client: Client, directory: Directory) -> None:
    await directory.project("Acme")
    response = await client.post("/v1/projects", json={"name": "B", "slug": "acme"},
                                 headers=ADMIN)
    await problem_of(response, 409)


async def test_invalid_project_lists_every_field_error(client: Client) -> None:
    body = {"slug": "Bad Slug!", "settings": {"logging_mode": "sometimes", "store_bodies": "yes",
                                             "colour": "red"}, "extra": 1}
    problem = await problem_of(await client.post("/v1/projects", json=body, headers=ADMIN), 422)
    assert problem["type"] == "https://blindcopy.dev/problems/invalid-request"
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"name", "slug", "settings.logging_mode", "settings.store_bodies",
                      "settings.colour", "extra"}


async def test_malformed_json_is_a_400_problem(client: Client) -> None:
    response = await client.post("/v1/projects", data=b"{nope", headers=ADMIN)
    await problem_of(response, 400)
    response = await client.post("/v1/projects", data=b'{"name": "\xff"}', headers=ADMIN)
    await problem_of(response, 400)


async def test_list_get_and_patch_project(client: Client, directory: Directory) -> None:
    project = await directory.project()
    listed = await (await client.get("/v1/projects", headers=ADMIN)).json()
    assert [p["id"] for p in listed["items"]] == [project["id"]]
    path = f"/v1/projects/{project['id']}"
    assert (await (await client.get(path, headers=ADMIN)).json()) == project
    response = await client.patch(path, headers=ADMIN, json={
        "name": "Acme Estates", "settings": {"logging_mode": "all"}})
    body = await response.json()
    assert response.status == 200 and body["name"] == "Acme Estates"
    assert body["settings"]["logging_mode"] == "all"
    assert body["settings"]["sender_auth"] == "aligned"


async def test_patch_project_validates_settings(client: Client, directory: Directory) -> None:
    project = await directory.project()
    response = await client.patch(f"/v1/projects/{project['id']}", headers=ADMIN,
                                  json={"settings": {"sender_auth": "maybe"}})
    problem = await problem_of(response, 422)
    assert problem["errors"] == [{"field": "settings.sender_auth",
                                  "message": "must be one of aligned, dkim, none"}]


async def test_rotate_issues_new_addresses(client: Client, directory: Directory) -> None:
    project = await directory.project()
    response = await client.post(f"/v1/projects/{project['id']}/addresses/rotate", headers=ADMIN)
    body = await response.json()
    assert response.status == 200
    assert set(body["addresses"]) == {"bcc", "forward"}
    assert body["addresses"]["bcc"] != project["addresses"]["bcc"]


async def test_unknown_project_is_404(client: Client) -> None:
    await problem_of(await client.get("/v1/projects/nope", headers=ADMIN), 404)


async def test_members_put_and_delete(client: Client, directory: Directory) -> None:
    project = await directory.project()
    user = await directory.user("alice@acme.test")
    token = await directory.token(user["id"])
    path = f"/v1/projects/{project['id']}/members/{user['id']}"
    assert (await client.put(path, headers=ADMIN)).status == 204
    assert (await client.put(path, headers=ADMIN)).status == 204
    assert (await client.get(f"/v1/projects/{project['id']}", headers=token)).status == 200
    assert (await client.delete(path, headers=ADMIN)).status == 204
    await problem_of(await client.get(f"/v1/projects/{project['id']}", headers=token), 404)


async def test_member_of_unknown_user_is_404(client: Client, directory: Directory) -> None:
    project = await directory.project()
    response = await client.put(f"/v1/projects/{project['id']}/members/nobody", headers=ADMIN)
    await problem_of(response, 404)

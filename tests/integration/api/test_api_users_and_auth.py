"""Users, tokens and authentication over HTTP."""

from __future__ import annotations

from sqlalchemy import select

from store.database import Store
from store.models import ApiToken
from tests.integration.api.support import ADMIN, Client, Directory, problem_of


async def test_create_user_with_aliases(client: Client) -> None:
    response = await client.post("/v1/users", headers=ADMIN, json={
        "name": "Alice", "email": "Alice@Acme.test", "aliases": ["al@acme.test"],
        "role": "user", "personal_email_access": True})
    body = await response.json()
    assert response.status == 201
    assert body["email"] == "alice@acme.test" and body["aliases"] == ["al@acme.test"]
    assert body["personal_email_access"] is True and body["role"] == "user"


async def test_invalid_user_lists_field_errors(client: Client) -> None:
    response = await client.post("/v1/users", headers=ADMIN, json={
        "email": "not-an-address", "aliases": ["ok@acme.test", "bad"], "role": "boss"})
    problem = await problem_of(response, 422)
    assert {e["field"] for e in problem["errors"]} == {"name", "email", "aliases[1]", "role"}


async def test_duplicate_address_is_a_conflict(client: Client, directory: Directory) -> None:
    await directory.user("alice@acme.test")
    response = await client.post("/v1/users", headers=ADMIN, json={
        "name": "B", "email": "bob@acme.test", "aliases": ["alice@acme.test"]})
    await problem_of(response, 409)


async def test_list_get_and_patch_user(client: Client, directory: Directory) -> None:
    user = await directory.user("alice@acme.test")
    listed = await (await client.get("/v1/users", headers=ADMIN)).json()
    assert [u["id"] for u in listed["items"]] == [user["id"]]
    path = f"/v1/users/{user['id']}"
    assert (await (await client.get(path, headers=ADMIN)).json()) == user
    response = await client.patch(path, headers=ADMIN, json={
        "aliases": ["a@acme.test"], "personal_email_access": True, "role": "admin"})
    body = await response.json()
    assert body["aliases"] == ["a@acme.test"] and body["role"] == "admin"
    assert body["personal_email_access"] is True


async def test_token_is_stored_hashed_and_works(
    client: Client, directory: Directory, store: Store
) -> None:
    user = await directory.user("alice@acme.test")
    response = await client.post(f"/v1/users/{user['id']}/tokens", headers=ADMIN)
    token = (await response.json())["token"]
    with store.read() as session:
        rows = session.scalars(select(ApiToken)).all()
    assert len(rows) == 1 and token not in rows[0].token_hash and len(rows[0].token_hash) == 64
    me = await client.get(f"/v1/users/{user['id']}", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 200


async def test_tokens_list_and_revoke(client: Client, directory: Directory) -> None:
    user = await directory.user("alice@acme.test")
    token = await directory.token(user["id"])
    listed = await (await client.get(f"/v1/users/{user['id']}/tokens", headers=token)).json()
    assert len(listed["items"]) == 1 and "token" not in listed["items"][0]
    path = f"/v1/users/{user['id']}/tokens/{listed['items'][0]['id']}"
    assert (await client.delete(path, headers=ADMIN)).status == 204
    await problem_of(await client.get("/v1/projects", headers=token), 401)


async def test_no_token_is_401(client: Client) -> None:
    response = await client.get("/v1/projects")
    problem = await problem_of(response, 401)
    assert problem["type"] == "https://blindcopy.dev/problems/unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_bad_token_is_401(client: Client) -> None:
    await problem_of(await client.get("/v1/projects",
                                      headers={"Authorization": "Bearer nope"}), 401)
    await problem_of(await client.get("/v1/projects",
                                      headers={"Authorization": "Basic abc"}), 401)


async def test_user_cannot_use_admin_resources(client: Client, directory: Directory) -> None:
    project = await directory.project()
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    bob = await directory.user("bob@acme.test")
    forbidden = [
        client.post("/v1/projects", json={"name": "Mine"}, headers=token),
        client.post("/v1/users", json={"name": "x", "email": "x@acme.test"}, headers=token),
        client.patch(f"/v1/users/{alice}", json={"role": "admin"}, headers=token),
        client.get(f"/v1/users/{bob['id']}", headers=token),
        client.post(f"/v1/users/{bob['id']}/tokens", headers=token),
        client.put(f"/v1/projects/{project['id']}/members/{bob['id']}", headers=token),
        client.delete(f"/v1/projects/{project['id']}/members/{alice}", headers=token),
        client.get("/v1/quarantine", headers=token),
        client.post("/v1/quarantine/x/release", headers=token),
        client.delete("/v1/quarantine/x", headers=token),
    ]
    for request in forbidden:
        await problem_of(await request, 403)


async def test_user_manages_own_tokens_and_sees_only_self(
    client: Client, directory: Directory
) -> None:
    await directory.user("bob@acme.test")
    alice = await directory.user("alice@acme.test")
    token = await directory.token(alice["id"])
    assert (await client.post(f"/v1/users/{alice['id']}/tokens", headers=token)).status == 201
    listed = await (await client.get("/v1/users", headers=token)).json()
    assert [u["id"] for u in listed["items"]] == [alice["id"]]


async def test_admin_role_user_is_an_admin(client: Client, directory: Directory) -> None:
    root = await directory.user("root@acme.test", role="admin")
    token = await directory.token(root["id"])
    response = await client.post("/v1/projects", json={"name": "P"}, headers=token)
    assert response.status == 201

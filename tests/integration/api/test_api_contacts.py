"""Contacts, ignored and never-log addresses, and timelines over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.database import Store
from store.models import ContactAddress, Interaction, Message, Thread
from tests.integration.api.support import ADMIN, Client, Directory, problem_of


async def _put(client: Client, project_id: str, contacts: Any,
               headers: dict[str, str] = ADMIN) -> Any:
    return await client.put(f"/v1/projects/{project_id}/contacts", json=contacts,
                            headers=headers)


async def test_bulk_upsert_creates_then_updates(
    client: Client, directory: Directory, store: Store
) -> None:
    project = await directory.project()
    owner = await directory.user("alice@acme.test")
    first = await _put(client, project["id"], [
        {"external_id": "c1", "name": "Bob", "emails": ["Bob@Client.test"],
         "owner_id": owner["id"]},
        {"external_id": "c2", "name": "Carol", "emails": ["carol@client.test"]},
    ])
    body = await first.json()
    assert first.status == 200 and (body["created"], body["updated"]) == (2, 0)
    assert [c["external_id"] for c in body["contacts"]] == ["c1", "c2"]
    second = await (await _put(client, project["id"], [
        {"external_id": "c1", "name": "Bob B", "emails": ["bob@client.test", "b2@client.test"]},
    ])).json()
    assert (second["created"], second["updated"]) == (0, 1)
    assert second["contacts"][0]["id"] == body["contacts"][0]["id"]
    with store.read() as session:
        rows = session.scalars(select(ContactAddress).order_by(ContactAddress.address))
        addresses = [(r.address, r.project_id) for r in rows]
    assert addresses == [("b2@client.test", project["id"]), ("bob@client.test", project["id"]),
                         ("carol@client.test", project["id"])]


async def test_upsert_validation(client: Client, directory: Directory) -> None:
    project = await directory.project()
    response = await _put(client, project["id"], [
        {"external_id": "c1", "emails": ["nope"]},
        {"emails": ["a@b.test"]},
        {"external_id": "c3", "emails": ["c@b.test"]},
        {"external_id": "c3", "emails": ["d@b.test"]},
    ])
    problem = await problem_of(response, 422)
    assert {e["field"] for e in problem["errors"]} == {"[0].emails[0]", "[1].external_id",
                                                      "[3].external_id"}
    await problem_of(await _put(client, project["id"], {"external_id": "x"}), 422)
    unknown_owner = [{"external_id": "c", "emails": ["c@b.test"], "owner_id": "ghost"}]
    problem = await problem_of(await _put(client, project["id"], unknown_owner), 422)
    assert problem["errors"][0]["field"] == "[0].owner_id"


async def test_upsert_list_size_limit(client: Client, directory: Directory) -> None:
    project = await directory.project()
    contacts = [{"external_id": str(i), "emails": [f"c{i}@b.test"]} for i in range(1001)]
    problem = await problem_of(await _put(client, project["id"], contacts), 422)
    assert problem["errors"][0]["field"] == "body"


async def test_list_contacts_by_email_and_cursor(client: Client, directory: Directory) -> None:
    project = await directory.project()
    await _put(client, project["id"], [
        {"external_id": str(i), "name": f"C{i}", "emails": [f"c{i}@b.test"]} for i in range(5)])
    path = f"/v1/projects/{project['id']}/contacts"
    seen: list[str] = []
    cursor = ""
    while True:
        page = await (await client.get(path, params={"limit": "2", "cursor": cursor},
                                       headers=ADMIN)).json()
        seen += [c["external_id"] for c in page["items"]]
        if page["next"] is None:
            break
        cursor = page["next"]
    assert sorted(seen) == ["0", "1", "2", "3", "4"] and len(seen) == 5
    found = await (await client.get(path, params={"email": "C3@B.test"}, headers=ADMIN)).json()
    assert [c["external_id"] for c in found["items"]] == ["3"]
    assert found["items"][0]["emails"] == ["c3@b.test"] and found["next"] is None
    await problem_of(await client.get(path, params={"cursor": "garbage"}, headers=ADMIN), 422)
    await problem_of(await client.get(path, params={"limit": "0"}, headers=ADMIN), 422)


async def test_ignored_entries(client: Client, directory: Directory) -> None:
    project = await directory.project()
    path = f"/v1/projects/{project['id']}/ignored"
    domain = await client.post(path, json={"pattern": "Spam.test"}, headers=ADMIN)
    address = await client.post(path, json={"pattern": "Noreply@Shop.test"}, headers=ADMIN)
    assert (domain.status, address.status) == (201, 201)
    assert (await address.json())["pattern"] == "noreply@shop.test"
    await problem_of(await client.post(path, json={"pattern": "spam.test"}, headers=ADMIN), 409)
    await problem_of(await client.post(path, json={"pattern": "not a domain"}, headers=ADMIN),
                     422)
    listed = await (await client.get(path, headers=ADMIN)).json()
    assert [e["pattern"] for e in listed["items"]] == ["spam.test", "noreply@shop.test"]
    entry_id = listed["items"][0]["id"]
    assert (await client.delete(f"{path}/{entry_id}", headers=ADMIN)).status == 204
    await problem_of(await client.delete(f"{path}/{entry_id}", headers=ADMIN), 404)


async def test_never_log_entries(client: Client, directory: Directory) -> None:
    project = await directory.project()
    path = f"/v1/projects/{project['id']}/never-log"
    response = await client.post(path, json={"address": "CEO@client.test"}, headers=ADMIN)
    entry = await response.json()
    assert response.status == 201 and entry["address"] == "ceo@client.test"
    await problem_of(await client.post(path, json={"address": "ceo@client.test"},
                                       headers=ADMIN), 409)
    await problem_of(await client.post(path, json={}, headers=ADMIN), 422)
    listed = await (await client.get(path, headers=ADMIN)).json()
    assert [e["id"] for e in listed["items"]] == [entry["id"]]
    assert (await client.delete(f"{path}/{entry['id']}", headers=ADMIN)).status == 204


def _log_interactions(session: Session, project_id: str, contact_id: str,
                      count: int) -> list[str]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids: list[str] = []
    thread = Thread(project_id=project_id, root_id="<m0@x>", subject="Hello")
    session.add(thread)
    session.flush()
    for i in range(count):
        message = Message(project_id=project_id, message_id=f"<m{i}@x>", thread_id=thread.id,
                          subject=f"S{i}", from_address="bob@client.test",
                          to=["alice@acme.test"], date=start, preview="hi",
                          attachments=[{"name": "a.pdf", "size": 3, "content": "x"}])
        session.add(message)
        session.flush()
        interaction = Interaction(project_id=project_id, contact_id=contact_id,
                                  message_ref=message.id, thread_id=thread.id,
                                  channels=["bcc"], logged_at=start + timedelta(hours=i))
        session.add(interaction)
        session.flush()
        ids.append(interaction.id)
    return ids


async def test_timeline_newest_first_and_unlog(
    client: Client, directory: Directory, store: Store
) -> None:
    project = await directory.project()
    put = await (await _put(client, project["id"], [
        {"external_id": "c1", "emails": ["bob@client.test"]}])).json()
    contact_id = put["contacts"][0]["id"]
    ids = await store.run_write(_log_interactions, project["id"], contact_id, 3)
    path = f"/v1/projects/{project['id']}/contacts/{contact_id}/interactions"
    first = await (await client.get(path, params={"limit": "2"}, headers=ADMIN)).json()
    assert [i["id"] for i in first["items"]] == [ids[2], ids[1]]
    item = first["items"][0]
    assert item["type"] == "Email" and item["channels"] == ["bcc"]
    assert item["message"] == {"subject": "S2", "from": "bob@client.test",
                               "to": ["alice@acme.test"], "cc": [],
                               "date": "2026-01-01T00:00:00+00:00", "preview": "hi",
                               "attachments": [{"name": "a.pdf", "size": 3}]}
    second = await (await client.get(path, params={"cursor": first["next"]},
                                     headers=ADMIN)).json()
    assert [i["id"] for i in second["items"]] == [ids[0]] and second["next"] is None
    assert (await client.delete(f"/v1/interactions/{ids[2]}", headers=ADMIN)).status == 204
    after = await (await client.get(path, headers=ADMIN)).json()
    assert [i["id"] for i in after["items"]] == [ids[1], ids[0]]
    unlogged = await store.run_read(lambda session: session.get(Interaction, ids[2]))
    assert unlogged is not None and unlogged.unlogged_at is not None
    assert unlogged.unlogged_by == "admin"


async def test_unlog_other_project_interaction_is_404(
    client: Client, directory: Directory, store: Store
) -> None:
    theirs = await directory.project("Theirs")
    mine = await directory.project("Mine")
    user_id, token = await directory.member_with_token(mine["id"], "alice@acme.test")
    put = await (await _put(client, theirs["id"], [
        {"external_id": "c1", "emails": ["bob@client.test"]}])).json()
    [interaction_id] = await store.run_write(_log_interactions, theirs["id"],
                                             put["contacts"][0]["id"], 1)
    await problem_of(await client.delete(f"/v1/interactions/{interaction_id}", headers=token),
                     404)
    await directory.member(theirs["id"], user_id)
    response = await client.delete(f"/v1/interactions/{interaction_id}", headers=token)
    assert response.status == 204
    unlogged = await store.run_read(lambda session: session.get(Interaction, interaction_id))
    assert unlogged is not None and unlogged.unlogged_by == user_id


async def test_timeline_of_contact_in_other_project_is_404(
    client: Client, directory: Directory
) -> None:
    first, second = await directory.project("A"), await directory.project("B")
    put = await (await _put(client, first["id"], [
        {"external_id": "c1", "emails": ["bob@client.test"]}])).json()
    path = f"/v1/projects/{second['id']}/contacts/{put['contacts'][0]['id']}/interactions"
    await problem_of(await client.get(path, headers=ADMIN), 404)

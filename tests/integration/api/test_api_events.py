"""The events feed over HTTP (SPEC §10): each change's event, in commit order, per project."""

from __future__ import annotations

from typing import Any

from tests.client import eventually
from tests.integration.api.support import ADMIN, Client, Directory, problem_of

RFC822 = {"Content-Type": "message/rfc822"}


def _raw(subject: str, to: str = "bob@client.test", sender: str = "alice@acme.test") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
            f"Message-ID: <{subject.lower().replace(' ', '-')}@acme.test>\r\n\r\nHello\r\n"
            ).encode()


async def _feed(client: Client, headers: dict[str, str], **params: str
                ) -> tuple[list[dict[str, Any]], str | None]:
    response = await client.get("/v1/events", params=params, headers=headers)
    assert response.status == 200, await response.text()
    body = await response.json()
    return list(body["items"]), body["next"]


async def _all_events(client: Client, headers: dict[str, str], count: int = 0, **params: str
                      ) -> list[dict[str, Any]]:
    """Read the whole feed, waiting until it holds `count` events.

    On PostgreSQL the feed shows an event once every older transaction has ended (other
    tests' included), which may be a moment after its own committed.
    """
    async def read() -> list[dict[str, Any]] | None:
        events = await _read_feed(client, headers, **params)
        return events if len(events) >= count else None

    return await eventually(read) if count else await _read_feed(client, headers, **params)


async def _read_feed(client: Client, headers: dict[str, str], **params: str
                     ) -> list[dict[str, Any]]:
    """Read the whole feed two events at a time, following `next`."""
    events: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page, after = await _feed(client, headers, limit="2",
                                  **params, **({"after": after} if after else {}))
        if not page:
            return events
        events += page


async def _log(client: Client, token: dict[str, str], project_id: str, raw: bytes
               ) -> dict[str, Any]:
    response = await client.post("/v1/log", data=raw, params={"project_id": project_id},
                                 headers={**token, **RFC822})
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def test_logging_and_unlogging_are_told_in_order_to_the_projects_members(
        client: Client, directory: Directory) -> None:
    acme = await directory.project("Acme", settings={"logging_mode": "all"})
    other = await directory.project("Other")
    alice, token = await directory.member_with_token(acme["id"], "alice@acme.test")
    _olga, olga_token = await directory.member_with_token(other["id"], "olga@other.test")
    bob = await directory.contact(acme["id"], "bob", "bob@client.test")
    await client.patch(f"/v1/users/{alice}", headers=ADMIN, json={"personal_email_access": True})
    mailbox = await directory.mailbox(alice, "alice@acme.test", [acme["id"]])

    decision = await _log(client, token, acme["id"], _raw("Offer"))
    [outcome] = decision["outcomes"]
    synced = await client.post(f"/v1/mailboxes/{mailbox}/messages", data=_raw("Offer"),
                               headers={**ADMIN, **RFC822})
    assert synced.status == 200, await synced.text()
    await client.delete(f"/v1/interactions/{outcome['interaction_id']}", headers=token)

    events = await _all_events(client, token, 3)
    assert [(e["type"], e["project_id"], e["data"]["id"]) for e in events] == [
        ("interaction.logged", acme["id"], outcome["interaction_id"]),
        ("interaction.updated", acme["id"], outcome["interaction_id"]),
        ("interaction.unlogged", acme["id"], outcome["interaction_id"])]
    logged, updated, unlogged = (e["data"] for e in events)
    assert (logged["channels"], updated["channels"]) == (["log"], ["log", "sync"])
    assert (logged["contact_id"], logged["user_id"], logged["message"]["subject"]) == (
        bob, alice, "Offer")
    assert logged["unlogged_at"] is None and unlogged["unlogged_at"] is not None
    assert len({e["id"] for e in events}) == 3
    assert all(e["id"].startswith("evt_") for e in events)
    assert updated["message"]["from"] == "alice@acme.test"

    # Another project's member sees none of it, and may not ask for it.
    assert await _all_events(client, olga_token) == []
    await problem_of(await client.get("/v1/events", params={"project_id": acme["id"]},
                                      headers=olga_token), 422)
    # The admin sees the same, filtered by type.
    assert [e["id"] for e in await _all_events(client, ADMIN, type="interaction.updated")
            ] == [events[1]["id"]]


async def test_the_cursor_stays_put_until_something_new_commits(
        client: Client, directory: Directory) -> None:
    acme = await directory.project("Acme")
    _alice, token = await directory.member_with_token(acme["id"], "alice@acme.test")
    await directory.contact(acme["id"], "bob", "bob@client.test")
    await _log(client, token, acme["id"], _raw("First"))
    await _all_events(client, token, 1)
    [first], after = await _feed(client, token)
    assert after is not None

    assert await _feed(client, token, after=after) == ([], after)

    await _log(client, token, acme["id"], _raw("Second"))
    await _all_events(client, token, 2)
    [second], _next = await _feed(client, token, after=after)
    assert second["data"]["message"]["subject"] == "Second"
    assert second["id"] != first["id"]


async def test_a_created_contact_is_told_before_its_interaction(
        client: Client, directory: Directory) -> None:
    acme = await directory.project("Acme", settings={"create_contacts": "recipients"})
    _alice, token = await directory.member_with_token(acme["id"], "alice@acme.test")

    await _log(client, token, acme["id"], _raw("Hello", to="new@client.test"))

    created, logged = await _all_events(client, token, 2)
    assert (created["type"], logged["type"]) == ("contact.created", "interaction.logged")
    assert created["data"]["emails"] == ["new@client.test"]
    assert created["data"]["project_id"] == acme["id"]
    assert logged["data"]["contact_id"] == created["data"]["id"]


async def test_pending_and_assigned_threads_are_told_in_each_project(
        client: Client, directory: Directory) -> None:
    one, two = await directory.project("One"), await directory.project("Two")
    alice, token = await directory.member_with_token(one["id"], "alice@acme.test")
    _only_two, two_token = await directory.member_with_token(two["id"], "tom@acme.test")
    await directory.member(two["id"], alice)
    await client.patch(f"/v1/users/{alice}", headers=ADMIN, json={"personal_email_access": True})
    for project in (one, two):
        await client.patch(f"/v1/projects/{project['id']}", headers=ADMIN,
                           json={"settings": {"logging_mode": "all"}})
        await directory.contact(project["id"], "bob", "bob@client.test")
    mailbox = await directory.mailbox(alice, "alice@acme.test", [one["id"], two["id"]])
    synced = await client.post(f"/v1/mailboxes/{mailbox}/messages", data=_raw("Choice"),
                               headers={**ADMIN, **RFC822})
    assert synced.status == 200, await synced.text()

    pending = await _all_events(client, token, 2, type="thread.pending")
    assert sorted(e["project_id"] for e in pending) == sorted([one["id"], two["id"]])
    assert all(e["data"]["status"] == "pending" for e in pending)
    # A member of Two alone sees Two's thread, and only Two among its candidates.
    [seen] = await _all_events(client, two_token, type="thread.pending")
    assert seen["data"]["candidate_project_ids"] == [two["id"]]

    thread = next(e["data"]["id"] for e in pending if e["project_id"] == one["id"])
    assigned = await client.post(f"/v1/threads/{thread}/assign", headers=token,
                                 json={"project_ids": [one["id"]]})
    assert assigned.status == 200, await assigned.text()

    told = await _all_events(client, token, 2, type="thread.assigned")
    assert sorted(e["project_id"] for e in told) == sorted([one["id"], two["id"]])
    assert all(e["data"]["assigned_project_ids"] == [one["id"]] for e in told)
    logged = await _all_events(client, token, 1, type="interaction.logged")
    assert [e["project_id"] for e in logged] == [one["id"]]


async def test_bad_feed_parameters_are_refused(client: Client, directory: Directory) -> None:
    for params in ({"after": "nonsense"}, {"type": "interaction.exploded"}, {"limit": "0"},
                   {"project_id": "nope"}):
        await problem_of(await client.get("/v1/events", params=params, headers=ADMIN), 422)

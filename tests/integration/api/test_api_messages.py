"""Received messages, decisions, pending threads and quarantine over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.models import Decision, ReceivedMessage, Thread
from tests.integration.api.support import (
    ADMIN,
    Client,
    Directory,
    FakeProcessingPortForApiTests,
    problem_of,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


async def _receive(sessionmaker: async_sessionmaker[AsyncSession], **fields: Any) -> str:
    fields.setdefault("channel", "bcc")
    async with sessionmaker.begin() as session:
        received = ReceivedMessage(raw=b"Subject: x\r\n\r\nx", **fields)
        session.add(received)
        await session.flush()
        return received.id


async def _decide(sessionmaker: async_sessionmaker[AsyncSession], received_id: str,
                  project_id: str, at: datetime) -> dict[str, Any]:
    body = {"message_id": "<1@x>", "received_id": received_id, "status": "done",
            "outcomes": [{"address": "bob@client.test", "project_id": project_id,
                          "contact_id": None, "status": "not_logged",
                          "reason": "no_contact_profile"}],
            "trace": [{"rule": "contact-match", "verdict": "fail", "detail": "no contact"}]}
    async with sessionmaker.begin() as session:
        session.add(Decision(received_message_id=received_id, rules_version="1", body=body,
                             created_at=at))
    return body


async def test_messages_and_decision_for_admin(
    client: Client, directory: Directory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    project = await directory.project()
    older = await _receive(sessionmaker, message_id="<1@x>", status="done", received_at=START)
    newer = await _receive(sessionmaker, message_id="<2@x>", received_at=START + timedelta(1))
    await _decide(sessionmaker, older, project["id"], START)
    body = await _decide(sessionmaker, older, project["id"], START + timedelta(hours=1))
    listed = await (await client.get("/v1/messages", headers=ADMIN)).json()
    assert [m["id"] for m in listed["items"]] == [newer, older]
    assert listed["items"][1]["outcomes"] == body["outcomes"]
    assert listed["items"][0] | {"received_at": None} == {
        "id": newer, "message_id": "<2@x>", "channel": "bcc", "status": "queued",
        "received_at": None, "authentication_results": None, "last_error": None,
        "outcomes": []}
    by_id = await (await client.get("/v1/messages", params={"message_id": "<1@x>"},
                                    headers=ADMIN)).json()
    assert [m["id"] for m in by_id["items"]] == [older]
    by_status = await (await client.get("/v1/messages", params={"status": "queued"},
                                        headers=ADMIN)).json()
    assert [m["id"] for m in by_status["items"]] == [newer]
    paged = await (await client.get("/v1/messages", params={"limit": "1"}, headers=ADMIN)).json()
    rest = await (await client.get("/v1/messages", params={"cursor": paged["next"]},
                                   headers=ADMIN)).json()
    assert [m["id"] for m in paged["items"] + rest["items"]] == [newer, older]
    await problem_of(await client.get("/v1/messages", params={"status": "lost"},
                                      headers=ADMIN), 422)
    decision = await (await client.get(f"/v1/messages/{older}/decision", headers=ADMIN)).json()
    assert decision["trace"] == body["trace"] and decision["outcomes"] == body["outcomes"]
    assert decision["status"] == "done" and decision["received_id"] == older
    empty = await (await client.get(f"/v1/messages/{newer}/decision", headers=ADMIN)).json()
    assert (empty["outcomes"], empty["trace"], empty["status"]) == ([], [], "queued")


async def test_user_sees_only_messages_touching_them(
    client: Client, directory: Directory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    mine, theirs = await directory.project("Mine"), await directory.project("Theirs")
    alice, token = await directory.member_with_token(mine["id"], "alice@acme.test")
    captured = await _receive(sessionmaker, channel="log", user_id=alice, received_at=START)
    named = await _receive(sessionmaker, channel="log", project_ids=[mine["id"]],
                           received_at=START + timedelta(1))
    decided = await _receive(sessionmaker, received_at=START + timedelta(2))
    await _decide(sessionmaker, decided, mine["id"], START)
    addressed = await _receive(sessionmaker, rcpt_to=[mine["addresses"]["bcc"].upper()],
                               received_at=START + timedelta(3))
    hidden = await _receive(sessionmaker, rcpt_to=[theirs["addresses"]["bcc"]],
                            project_ids=[theirs["id"]], received_at=START + timedelta(4))
    await _decide(sessionmaker, hidden, theirs["id"], START)
    listed = await (await client.get("/v1/messages", headers=token)).json()
    assert [m["id"] for m in listed["items"]] == [addressed, decided, named, captured]
    await problem_of(await client.get(f"/v1/messages/{hidden}/decision", headers=token), 404)
    ok = await client.get(f"/v1/messages/{decided}/decision", headers=token)
    assert ok.status == 200


async def _thread(sessionmaker: async_sessionmaker[AsyncSession], project_ids: list[str],
                  status: str = "pending") -> str:
    async with sessionmaker.begin() as session:
        thread = Thread(subject="Offer", status=status, participants=["bob@client.test"],
                        candidate_project_ids=project_ids)
        session.add(thread)
        await session.flush()
        return thread.id


async def test_pending_threads_and_assign(
    client: Client, directory: Directory, sessionmaker: async_sessionmaker[AsyncSession],
    fake_processing: FakeProcessingPortForApiTests,
) -> None:
    one, two = await directory.project("One"), await directory.project("Two")
    other = await directory.project("Other")
    alice, token = await directory.member_with_token(one["id"], "alice@acme.test")
    await directory.member(two["id"], alice)
    shared = await _thread(sessionmaker, [one["id"], two["id"]])
    foreign = await _thread(sessionmaker, [other["id"]])
    await _thread(sessionmaker, [one["id"]], status="assigned")
    mine = await (await client.get("/v1/threads", params={"status": "pending"},
                                   headers=token)).json()
    assert mine["items"] == [{"id": shared, "subject": "Offer", "status": "pending",
                              "participants": ["bob@client.test"],
                              "candidate_project_ids": [one["id"], two["id"]]}]
    every = await (await client.get("/v1/threads", headers=ADMIN)).json()
    assert {t["id"] for t in every["items"]} == {shared, foreign}
    response = await client.post(f"/v1/threads/{shared}/assign", headers=token,
                                 json={"project_ids": [one["id"]]})
    assert response.status == 200
    assert fake_processing.calls == [("assign_thread", {
        "thread_id": shared, "project_ids": [one["id"]], "user_id": alice})]
    await problem_of(await client.post(f"/v1/threads/{foreign}/assign", headers=token,
                                       json={"project_ids": [one["id"]]}), 404)
    await problem_of(await client.post(f"/v1/threads/{shared}/assign", headers=token,
                                       json={"project_ids": []}), 422)
    await problem_of(await client.post(f"/v1/threads/{shared}/assign", headers=token,
                                       json={"project_ids": [other["id"]]}), 422)
    await problem_of(await client.get("/v1/threads", params={"status": "x"}, headers=token), 422)


async def test_quarantine_list_release_delete(
    client: Client, sessionmaker: async_sessionmaker[AsyncSession],
    fake_processing: FakeProcessingPortForApiTests,
) -> None:
    held = await _receive(sessionmaker, status="quarantined", mail_from="eve@forged.test",
                          quarantine_reason="dmarc_fail", message_id="<q@x>",
                          authentication_results="blindcopy; dkim=fail; spf=fail")
    other = await _receive(sessionmaker, status="quarantined", received_at=START)
    done = await _receive(sessionmaker, status="done")
    listed = await (await client.get("/v1/quarantine", headers=ADMIN)).json()
    assert [q["id"] for q in listed["items"]] == [held, other]
    assert listed["items"][0] | {"received_at": None} == {
        "id": held, "message_id": "<q@x>", "mail_from": "eve@forged.test",
        "quarantine_reason": "dmarc_fail", "received_at": None,
        "authentication_results": "blindcopy; dkim=fail; spf=fail"}
    assert (await client.post(f"/v1/quarantine/{held}/release", headers=ADMIN)).status == 200
    assert fake_processing.calls == [("release_quarantined", {"received_id": held})]
    assert (await client.delete(f"/v1/quarantine/{other}", headers=ADMIN)).status == 204
    async with sessionmaker() as session:
        assert await session.get(ReceivedMessage, other) is None
    await problem_of(await client.delete(f"/v1/quarantine/{other}", headers=ADMIN), 404)
    await problem_of(await client.post("/v1/quarantine/nope/release", headers=ADMIN), 404)
    await problem_of(await client.post(f"/v1/quarantine/{done}/release", headers=ADMIN), 409)

"""Received messages, decisions, pending threads and quarantine over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from processing.context import ProcessingContext
from processing.worker import drain
from store import spool
from store.database import Store
from store.models import Decision, ReceivedMessage
from tests.dnsserver import LocalDnsServer
from tests.integration.api.support import ADMIN, Client, Directory, problem_of

START = datetime(2026, 1, 1, tzinfo=UTC)


def _receive(store: Store, **fields: Any) -> str:
    fields.setdefault("channel", "bcc")
    with store.write() as session:
        received = ReceivedMessage(raw=b"Subject: x\r\n\r\nx", **fields)
        session.add(received)
        session.flush()
        return received.id


def _decide(store: Store, received_id: str, project_id: str,
            at: datetime) -> dict[str, Any]:
    body = {"message_id": "<1@x>", "received_id": received_id, "status": "done",
            "outcomes": [{"address": "bob@client.test", "project_id": project_id,
                          "contact_id": None, "status": "not_logged",
                          "reason": "no_contact_profile"}],
            "trace": [{"rule": "contact-match", "verdict": "fail", "detail": "no contact"}]}
    with store.write() as session:
        session.add(Decision(received_message_id=received_id, rules_version="1", body=body,
                             created_at=at))
    return body


async def test_messages_and_decision_for_admin(
    client: Client, directory: Directory, store: Store
) -> None:
    project = await directory.project()
    older = _receive(store, message_id="<1@x>", status="done", received_at=START)
    newer = _receive(store, message_id="<2@x>", received_at=START + timedelta(1))
    _decide(store, older, project["id"], START)
    body = _decide(store, older, project["id"], START + timedelta(hours=1))
    listed = await (await client.get("/v1/messages", headers=ADMIN)).json()
    assert [m["id"] for m in listed["items"]] == [newer, older]
    assert listed["items"][1]["outcomes"] == body["outcomes"]
    assert listed["items"][0] | {"received_at": None} == {
        "id": newer, "message_id": "<2@x>", "channel": "bcc", "status": "queued",
        "received_at": None, "authentication_results": None, "attempts": 0, "last_error": None,
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
    client: Client, directory: Directory, store: Store
) -> None:
    mine, theirs = await directory.project("Mine"), await directory.project("Theirs")
    alice, token = await directory.member_with_token(mine["id"], "alice@acme.test")
    captured = _receive(store, channel="log", user_id=alice, received_at=START)
    named = _receive(store, channel="log", project_ids=[mine["id"]],
                           received_at=START + timedelta(1))
    decided = _receive(store, received_at=START + timedelta(2))
    _decide(store, decided, mine["id"], START)
    addressed = _receive(store, rcpt_to=[mine["addresses"]["bcc"].upper()],
                               received_at=START + timedelta(3))
    hidden = _receive(store, rcpt_to=[theirs["addresses"]["bcc"]],
                            project_ids=[theirs["id"]], received_at=START + timedelta(4))
    _decide(store, hidden, theirs["id"], START)
    listed = await (await client.get("/v1/messages", headers=token)).json()
    assert [m["id"] for m in listed["items"]] == [addressed, decided, named, captured]
    await problem_of(await client.get(f"/v1/messages/{hidden}/decision", headers=token), 404)
    ok = await client.get(f"/v1/messages/{decided}/decision", headers=token)
    assert ok.status == 200


async def _pending_thread(client: Client, directory: Directory, project_ids: list[str],
                          user_id: str, subject: str) -> dict[str, str]:
    """Make a real pending thread: synced mail to a contact of every project; return the
    conversation's thread in each project (SPEC §9: a thread per project), by project id.

    The user (with personal email access) syncs a mailbox to all of `project_ids`, whose
    logging mode is `all` and where bob@client.test is a contact, so the rules cannot choose.
    """
    for project_id in project_ids:
        response = await client.patch(f"/v1/projects/{project_id}", headers=ADMIN,
                                      json={"settings": {"logging_mode": "all"}})
        assert response.status == 200, await response.text()
        await directory.contact(project_id, "bob", "bob@client.test")
    user = await (await client.get(f"/v1/users/{user_id}", headers=ADMIN)).json()
    mailbox = await directory.mailbox(user_id, user["email"], project_ids)
    raw = (f"From: {user['email']}\r\nTo: bob@client.test\r\nSubject: {subject}\r\n"
           f"Message-ID: <{subject.lower()}@acme.test>\r\n\r\nHello\r\n").encode()
    response = await client.post(f"/v1/mailboxes/{mailbox}/messages", data=raw,
                                 headers={**ADMIN, "Content-Type": "message/rfc822"})
    assert response.status == 200, await response.text()
    decision = await response.json()
    assert decision["status"] == "done"
    assert {(o["project_id"], o["status"], o["reason"]) for o in decision["outcomes"]} == {
        (p, "pending", "ambiguous_projects") for p in project_ids}
    threads = {o["project_id"]: str(o["thread_id"]) for o in decision["outcomes"]}
    assert len(set(threads.values())) == len(project_ids)
    # The decision names the thread of its first project.
    assert decision["thread_id"] == threads[min(project_ids)]
    return threads


async def _contact_id(client: Client, project_id: str, email: str) -> str:
    response = await client.get(f"/v1/projects/{project_id}/contacts",
                                params={"email": email}, headers=ADMIN)
    [contact] = (await response.json())["items"]
    return str(contact["id"])


async def test_pending_threads_and_assign(client: Client, directory: Directory) -> None:
    one, two = await directory.project("One"), await directory.project("Two")
    other_a, other_b = await directory.project("Other A"), await directory.project("Other B")
    alice, token = await directory.member_with_token(one["id"], "alice@acme.test")
    await directory.member(two["id"], alice)
    await client.patch(f"/v1/users/{alice}", headers=ADMIN,
                       json={"personal_email_access": True})
    ben = await directory.user("ben@acme.test", personal_email_access=True)
    for project in (other_a, other_b):
        await directory.member(project["id"], ben["id"])
    threads = await _pending_thread(client, directory, [one["id"], two["id"]], alice, "Offer")
    shared = threads[min(one["id"], two["id"])]
    foreign = min((await _pending_thread(client, directory, [other_a["id"], other_b["id"]],
                                         ben["id"], "Elsewhere")).items())[1]
    bob_one = await _contact_id(client, one["id"], "bob@client.test")
    bob_two = await _contact_id(client, two["id"], "bob@client.test")
    assert await directory.timeline(one["id"], bob_one) == []

    mine = await (await client.get("/v1/threads", params={"status": "pending"},
                                   headers=token)).json()
    # The conversation has a thread in each project (SPEC §9), listed once: in the
    # caller's first project, whose thread the decision names.
    assert [t | {"candidate_project_ids": sorted(t["candidate_project_ids"])}
            for t in mine["items"]] == [{
        "id": shared, "project_id": min(one["id"], two["id"]), "subject": "Offer",
        "status": "pending", "participants": ["alice@acme.test", "bob@client.test"],
        "candidate_project_ids": sorted([one["id"], two["id"]])}]
    every = await (await client.get("/v1/threads", headers=ADMIN)).json()
    assert {t["id"] for t in every["items"]} == {shared, foreign}
    await problem_of(await client.post(f"/v1/threads/{foreign}/assign", headers=token,
                                       json={"project_ids": [one["id"]]}), 404)
    await problem_of(await client.post("/v1/threads/nope/assign", headers=token,
                                       json={"project_ids": [one["id"]]}), 404)
    await problem_of(await client.post(f"/v1/threads/{shared}/assign", headers=token,
                                       json={"project_ids": []}), 422)
    wrong = await problem_of(await client.post(f"/v1/threads/{shared}/assign", headers=token,
                                               json={"project_ids": [other_a["id"]]}), 422)
    assert wrong["errors"][0]["field"] == "project_ids[0]"
    third = await directory.project("Three")
    await directory.member(third["id"], alice)
    stranger = await problem_of(await client.post(
        f"/v1/threads/{shared}/assign", headers=token,
        json={"project_ids": [one["id"], third["id"]]}), 422)
    message = f"Project {third['id']} is not a candidate project of thread {shared}."
    assert [(e["field"], e["message"]) for e in stranger["errors"]] == [
        ("project_ids[1]", message)]
    still = await (await client.get("/v1/threads", params={"status": "pending"},
                                    headers=token)).json()
    assert [t["id"] for t in still["items"]] == [shared]
    await problem_of(await client.get("/v1/threads", params={"status": "x"}, headers=token), 422)

    response = await client.post(f"/v1/threads/{shared}/assign", headers=token,
                                 json={"project_ids": [one["id"]]})

    assert response.status == 200, await response.text()
    assigned = await response.json()
    # Logged in project One: the decision names One's thread of the conversation.
    assert (assigned["status"], assigned["thread_id"]) == ("done", threads[one["id"]])
    assert sorted((o["project_id"], o["status"], o["reason"])
                  for o in assigned["outcomes"]) == sorted([
        (one["id"], "logged", "thread_assigned_here"),
        (two["id"], "not_logged", "thread_assigned_elsewhere")])
    [logged] = [o for o in assigned["outcomes"] if o["status"] == "logged"]
    assert logged["thread_id"] == threads[one["id"]]
    [interaction] = await directory.timeline(one["id"], bob_one)
    assert (interaction["id"], interaction["channels"], interaction["user_id"]) == (
        logged["interaction_id"], ["sync"], alice)
    assert await directory.timeline(two["id"], bob_two) == []
    pending = await (await client.get("/v1/threads", params={"status": "pending"},
                                      headers=token)).json()
    assert pending["items"] == []
    done = await (await client.get("/v1/threads", params={"status": "assigned"},
                                   headers=token)).json()
    assert [(t["id"], t["status"]) for t in done["items"]] == [(shared, "assigned")]
    [received] = [m for m in await directory.messages() if m["message_id"] == "<offer@acme.test>"]
    decision = await (await client.get(f"/v1/messages/{received['id']}/decision",
                                       headers=ADMIN)).json()
    assert decision["outcomes"] == assigned["outcomes"]


BCC = (b"From: Alice <alice@acme.test>\r\nTo: bob@client.test\r\nSubject: Offer\r\n"
       b"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <%s@acme.test>\r\n\r\nHi\r\n")


def _spool_bcc(store: Store, project: dict[str, Any], local: str,
               received_at: datetime) -> str:
    """Spool an unsigned BCC as the SMTP gateway does (from a client off any relay)."""
    with store.write() as session:
        received = spool.enqueue(session, ReceivedMessage(
            channel="bcc", raw=BCC % local.encode(), mail_from="alice@acme.test",
            rcpt_to=[project["addresses"]["bcc"]], project_ids=[project["id"]],
            client_ip="192.0.2.1", helo="mail.acme.test", received_at=received_at))
        session.flush()
        return received.id


async def test_quarantine_list_release_delete(
    client: Client, directory: Directory, store: Store,
    context: ProcessingContext, dns: LocalDnsServer,
) -> None:
    project = await directory.project()
    assert project["settings"]["sender_auth"] == "aligned"
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    bob = await directory.contact(project["id"], "bob", "bob@client.test")
    held = _spool_bcc(store, project, "q1", datetime.now(UTC))
    other = _spool_bcc(store, project, "q2", START)

    assert await store.run(drain, store, context) == 2

    assert ("acme.test", "TXT") in dns.queries
    await problem_of(await client.get("/v1/quarantine", headers=token), 403)
    listed = await (await client.get("/v1/quarantine", headers=ADMIN)).json()
    assert [q["id"] for q in listed["items"]] == [held, other]
    first = listed["items"][0]
    assert {k: first[k] for k in ("id", "message_id", "mail_from", "quarantine_reason")} == {
        "id": held, "message_id": "<q1@acme.test>", "mail_from": "alice@acme.test",
        "quarantine_reason": "sender_no_signature"}
    assert first["authentication_results"].startswith("blindcopy;")
    assert "spf=none" in first["authentication_results"]
    assert await directory.timeline(project["id"], bob) == []
    await problem_of(await client.post(f"/v1/quarantine/{held}/release", headers=token), 403)

    response = await client.post(f"/v1/quarantine/{held}/release", headers=ADMIN)

    assert response.status == 200, await response.text()
    released = await response.json()
    assert (released["status"], released["received_id"], released["quarantine_reason"]) == (
        "done", held, None)
    assert ("sender-authenticated", "pass", "sender_released") in {
        (s["rule"], s["verdict"], s["reason"]) for s in released["trace"]}
    [outcome] = released["outcomes"]
    assert (outcome["contact_id"], outcome["status"], outcome["user_id"]) == (
        bob, "logged", alice)
    [interaction] = await directory.timeline(project["id"], bob)
    assert (interaction["id"], interaction["channels"]) == (outcome["interaction_id"], ["bcc"])
    decision = await (await client.get(f"/v1/messages/{held}/decision", headers=ADMIN)).json()
    assert (decision["status"], decision["outcomes"]) == ("done", released["outcomes"])
    await problem_of(await client.post(f"/v1/quarantine/{held}/release", headers=ADMIN), 409)

    assert (await client.delete(f"/v1/quarantine/{other}", headers=ADMIN)).status == 204
    with store.read() as session:
        assert session.get(ReceivedMessage, other) is None
    await problem_of(await client.delete(f"/v1/quarantine/{other}", headers=ADMIN), 404)
    await problem_of(await client.post("/v1/quarantine/nope/release", headers=ADMIN), 404)
    assert (await (await client.get("/v1/quarantine", headers=ADMIN)).json())["items"] == []

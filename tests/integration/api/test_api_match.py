"""Matching an unmatched address by hand (SPEC §12) and replaying a failed message, over HTTP."""

from __future__ import annotations

from typing import Any

from store import spool
from store.database import Store
from store.models import ReceivedMessage
from tests.integration.api.support import ADMIN, Client, Directory, problem_of

RFC822 = {"Content-Type": "message/rfc822"}


def _raw(to: str, message_id: str, subject: str = "Quote") -> bytes:
    return (f"From: alice@acme.test\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: {message_id}\r\n\r\n"
            "Here is the quote.\r\n").encode()


async def _log(client: Client, token: dict[str, str], project_id: str,
               raw: bytes) -> dict[str, Any]:
    response = await client.post("/v1/log", data=raw, params={"project_id": project_id},
                                 headers={**token, **RFC822})
    assert response.status == 200, await response.text()
    return dict(await response.json())


def _outcome(decision: dict[str, Any], address: str) -> dict[str, Any]:
    return next(o for o in decision["outcomes"] if o["address"] == address)


async def test_match_creates_contact_and_logs_the_address(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    logged = await _log(client, token, project["id"],
                        _raw("Bob <bob@client.test>", "<quote-1@acme.test>"))
    assert _outcome(logged, "bob@client.test")["reason"] == "no_contact"

    response = await client.post(f"/v1/messages/{logged['received_id']}/match", headers=token,
                                 json={"address": "Bob@Client.test",
                                       "create": {"name": "Bob Buyer"}})

    assert response.status == 200, await response.text()
    decision = await response.json()
    outcome = _outcome(decision, "bob@client.test")
    assert (outcome["status"], outcome["reason"], outcome["rule"], outcome["user_id"]) == (
        "logged", "manual_match_created", "manual-match", alice)
    assert outcome["detail"] == ("alice created contact Bob Buyer for bob@client.test in "
                                 "project Acme Homes, so the email is logged there.")
    finding = decision["trace"][-1]
    assert (finding["rule"], finding["verdict"], finding["reason"]) == (
        "manual-match", "pass", "manual_match_created")
    stored = await (await client.get(f"/v1/messages/{logged['received_id']}/decision",
                                     headers=token)).json()
    assert stored["trace"][-1] == finding and _outcome(stored, "bob@client.test") == outcome
    [interaction] = await directory.timeline(project["id"], outcome["contact_id"])
    assert interaction["id"] == outcome["interaction_id"]
    assert (interaction["message"]["subject"], interaction["channels"]) == ("Quote", ["log"])
    contacts = await (await client.get(f"/v1/projects/{project['id']}/contacts",
                                       params={"email": "bob@client.test"},
                                       headers=token)).json()
    assert [c["name"] for c in contacts["items"]] == ["Bob Buyer"]

    again = await client.post(f"/v1/messages/{logged['received_id']}/match", headers=token,
                              json={"address": "bob@client.test",
                                    "create": {"name": "Bob Twice"}})
    problem = await problem_of(again, 409)
    assert "bob@client.test is logged in project Acme Homes" in problem["detail"]


async def test_match_to_an_existing_contact_adds_the_address(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    _alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    carol = await directory.contact(project["id"], "carol", "carol@client.test")
    logged = await _log(client, token, project["id"],
                        _raw("carol.private@home.test", "<quote-2@acme.test>"))

    response = await client.post(f"/v1/messages/{logged['received_id']}/match", headers=token,
                                 json={"address": "carol.private@home.test",
                                       "contact_id": carol})

    assert response.status == 200, await response.text()
    outcome = _outcome(await response.json(), "carol.private@home.test")
    assert (outcome["status"], outcome["reason"], outcome["contact_id"]) == (
        "logged", "manual_match", carol)
    [interaction] = await directory.timeline(project["id"], carol)
    assert interaction["id"] == outcome["interaction_id"]
    # Later mail from that address matches the contact by itself.
    later = await _log(client, token, project["id"],
                       _raw("carol.private@home.test", "<quote-3@acme.test>", "Again"))
    assert _outcome(later, "carol.private@home.test")["reason"] == "single_project"


async def test_match_refuses_what_is_not_unmatched_or_not_the_callers(
    client: Client, directory: Directory
) -> None:
    project, other = await directory.project(), await directory.project("Other Co")
    _alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    _dan, dan_token = await directory.member_with_token(other["id"], "dan@other.test")
    bob = await directory.contact(project["id"], "bob", "bob@client.test")
    stranger = await directory.contact(other["id"], "erin", "erin@client.test")
    logged = await _log(client, token, project["id"],
                        _raw("bob@client.test, zoe@client.test", "<quote-4@acme.test>"))
    path = f"/v1/messages/{logged['received_id']}/match"

    # Another project's user does not see the message at all.
    await problem_of(await client.post(path, headers=dan_token, json={
        "address": "zoe@client.test", "create": {"name": "Zoe"}}), 404)
    await problem_of(await client.post("/v1/messages/nope/match", headers=token, json={
        "address": "zoe@client.test", "create": {"name": "Zoe"}}), 404)
    # Bob was logged: there is nothing to match.
    await problem_of(await client.post(path, headers=token, json={
        "address": "bob@client.test", "contact_id": bob}), 409)
    # Not an address of the message; a contact of a project the caller does not see.
    invalid = await problem_of(await client.post(path, headers=token, json={
        "address": "nobody@client.test", "create": {"name": "Nobody"}}), 422)
    assert invalid["errors"][0]["field"] == "address"
    invalid = await problem_of(await client.post(path, headers=token, json={
        "address": "zoe@client.test", "contact_id": stranger}), 422)
    assert invalid["errors"][0]["field"] == "contact_id"
    # Neither or both of contact_id and create.
    for body in ({"address": "zoe@client.test"},
                 {"address": "zoe@client.test", "contact_id": bob, "create": {"name": "Z"}},
                 {"address": "zoe@client.test", "create": {}}, ["zoe@client.test"]):
        await problem_of(await client.post(path, headers=token, json=body), 422)
    # The refusals changed nothing: Zoe is still unmatched, and can be matched.
    response = await client.post(path, headers=token, json={
        "address": "zoe@client.test", "create": {"name": "Zoe"}})
    assert _outcome(await response.json(), "zoe@client.test")["status"] == "logged"


async def test_admin_replays_a_failed_message(
    client: Client, directory: Directory, store: Store
) -> None:
    project = await directory.project()
    _alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    with store.write() as session:
        failed = ReceivedMessage(raw=_raw("bob@client.test", "<f-1@acme.test>"), channel="log",
                                 status=spool.FAILED, attempts=5, last_error="boom",
                                 project_ids=[project["id"]])
        done = ReceivedMessage(raw=b"Subject: x\r\n\r\nx", channel="log", status=spool.DONE)
        session.add_all([failed, done])
        session.flush()
        failed_id, done_id = failed.id, done.id

    await problem_of(await client.post(f"/v1/messages/{failed_id}/replay", headers=token), 403)
    await problem_of(await client.post(f"/v1/messages/{done_id}/replay", headers=ADMIN), 409)
    await problem_of(await client.post("/v1/messages/nope/replay", headers=ADMIN), 404)
    response = await client.post(f"/v1/messages/{failed_id}/replay", headers=ADMIN)

    assert response.status == 202, await response.text()
    assert await response.json() == {"id": failed_id, "status": "queued"}
    with store.read() as session:
        requeued = session.get(ReceivedMessage, failed_id)
        assert requeued is not None
        assert (requeued.status, requeued.attempts) == ("queued", 0)

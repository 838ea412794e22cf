"""Mailboxes and mailbox sync ingestion over HTTP."""

from __future__ import annotations

from tests.integration.api.support import ADMIN, Client, Directory, problem_of

RAW = (b"From: bob@client.test\r\nTo: alice@acme.test\r\nSubject: Hi\r\n"
       b"Message-ID: <sync-1@client.test>\r\n\r\nHello\r\n")
RFC822 = {"Content-Type": "message/rfc822"}


async def test_create_patch_list_get_mailbox(client: Client, directory: Directory) -> None:
    first, second = await directory.project("One"), await directory.project("Two")
    user = await directory.user("alice@acme.test")
    response = await client.post("/v1/mailboxes", headers=ADMIN, json={
        "user_id": user["id"], "address": "Alice@Acme.test", "project_ids": [first["id"]]})
    mailbox = await response.json()
    assert response.status == 201
    assert (mailbox["address"], mailbox["project_ids"]) == ("alice@acme.test", [first["id"]])
    path = f"/v1/mailboxes/{mailbox['id']}"
    patched = await (await client.patch(path, headers=ADMIN, json={
        "project_ids": [first["id"], second["id"]]})).json()
    assert patched["project_ids"] == sorted([first["id"], second["id"]])
    assert (await (await client.get(path, headers=ADMIN)).json()) == patched
    listed = await (await client.get("/v1/mailboxes", headers=ADMIN)).json()
    assert [m["id"] for m in listed["items"]] == [mailbox["id"]]


async def test_mailbox_validation_and_conflicts(client: Client, directory: Directory) -> None:
    user = await directory.user("alice@acme.test")
    await directory.user("bob@acme.test")
    problem = await problem_of(await client.post("/v1/mailboxes", headers=ADMIN, json={
        "user_id": user["id"], "address": "x", "project_ids": ["nope"]}), 422)
    assert {e["field"] for e in problem["errors"]} == {"address"}
    problem = await problem_of(await client.post("/v1/mailboxes", headers=ADMIN, json={
        "user_id": user["id"], "address": "a@acme.test", "project_ids": ["nope"]}), 422)
    assert problem["errors"][0]["field"] == "project_ids[0]"
    await problem_of(await client.post("/v1/mailboxes", headers=ADMIN, json={
        "user_id": user["id"], "address": "bob@acme.test", "project_ids": []}), 409)


async def test_user_manages_only_own_mailboxes(client: Client, directory: Directory) -> None:
    mine, theirs = await directory.project("Mine"), await directory.project("Theirs")
    alice, token = await directory.member_with_token(mine["id"], "alice@acme.test")
    bob = await directory.user("bob@acme.test")
    own = await client.post("/v1/mailboxes", headers=token, json={
        "user_id": alice, "address": "alice@gmail.test", "project_ids": [mine["id"]]})
    assert own.status == 201
    await problem_of(await client.post("/v1/mailboxes", headers=token, json={
        "user_id": alice, "address": "a2@gmail.test", "project_ids": [theirs["id"]]}), 422)
    await problem_of(await client.post("/v1/mailboxes", headers=token, json={
        "user_id": bob["id"], "address": "b@gmail.test", "project_ids": []}), 403)
    other = await (await client.post("/v1/mailboxes", headers=ADMIN, json={
        "user_id": bob["id"], "address": "b@gmail.test", "project_ids": []})).json()
    await problem_of(await client.get(f"/v1/mailboxes/{other['id']}", headers=token), 404)
    await problem_of(await client.post(f"/v1/mailboxes/{other['id']}/messages", data=RAW,
                                       headers=token), 404)
    listed = await (await client.get("/v1/mailboxes", headers=token)).json()
    assert [m["id"] for m in listed["items"]] == [(await own.json())["id"]]


async def test_ingest_mailbox_message_logs_on_channel_sync(
    client: Client, directory: Directory
) -> None:
    project = await directory.project(settings={"logging_mode": "all"})
    user = await directory.user("alice@acme.test", personal_email_access=True)
    await directory.member(project["id"], user["id"])
    bob = await directory.contact(project["id"], "bob", "bob@client.test")
    mailbox = await directory.mailbox(user["id"], "alice@acme.test", [project["id"]])

    response = await client.post(f"/v1/mailboxes/{mailbox}/messages", data=RAW,
                                 headers={**ADMIN, **RFC822})

    assert response.status == 200, await response.text()
    decision = await response.json()
    assert (decision["status"], decision["channel"], decision["message_id"]) == (
        "done", "sync", "<sync-1@client.test>")
    [outcome] = decision["outcomes"]
    assert (outcome["address"], outcome["project_id"], outcome["contact_id"],
            outcome["status"], outcome["user_id"]) == (
        "bob@client.test", project["id"], bob, "logged", user["id"])
    assert "personal_email_access" in {step["reason"] for step in decision["trace"]}
    [interaction] = await directory.timeline(project["id"], bob)
    assert (interaction["id"], interaction["channels"], interaction["user_id"]) == (
        outcome["interaction_id"], ["sync"], user["id"])
    [received] = await directory.messages()
    assert (received["id"], received["channel"], received["status"]) == (
        decision["received_id"], "sync", "done")


async def test_ingest_follows_the_projects_logging_mode(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    assert project["settings"]["logging_mode"] != "all"
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    bob = await directory.contact(project["id"], "bob", "bob@client.test")
    mailbox = await directory.mailbox(alice, "alice@acme.test", [project["id"]])

    response = await client.post(f"/v1/mailboxes/{mailbox}/messages", data=RAW,
                                 headers={**token, **RFC822})

    assert response.status == 200, await response.text()
    decision = await response.json()
    [outcome] = decision["outcomes"]
    assert (decision["status"], outcome["status"], outcome["reason"]) == (
        "done", "not_logged", "not_a_reply_to_logged")
    assert await directory.timeline(project["id"], bob) == []


async def test_ingest_of_an_empty_body_is_422(client: Client, directory: Directory) -> None:
    user = await directory.user("alice@acme.test")
    mailbox = await directory.mailbox(user["id"], "alice@acme.test", [])
    problem = await problem_of(await client.post(f"/v1/mailboxes/{mailbox}/messages",
                                                 data=b"\r\n", headers={**ADMIN, **RFC822}), 422)
    assert problem["errors"][0]["field"] == "body"
    assert await directory.messages() == []


async def test_ingest_into_an_unknown_mailbox_is_404(client: Client) -> None:
    await problem_of(await client.post("/v1/mailboxes/nope/messages", data=RAW,
                                       headers={**ADMIN, **RFC822}), 404)


async def test_synced_reply_carrying_a_forward_is_a_reply_to_logged_mail(
    client: Client, directory: Directory
) -> None:
    # Gmail keeps a forward in its conversation (In-Reply-To the logged offer). Channel sync
    # logs the forwarding message itself, so its own thread decides replies_only, not the
    # forwarded original's.
    project = await directory.project()
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    bob = await directory.contact(project["id"], "bob", "bob@client.test")
    mailbox = await directory.mailbox(alice, "alice@acme.test", [project["id"]])
    offer = (b"From: alice@acme.test\r\nTo: bob@client.test\r\nSubject: Offer\r\n"
             b"Message-ID: <offer-1@acme.test>\r\n\r\nOur offer.\r\n")
    logged = await client.post(f"/v1/log?project_id={project['id']}", data=offer,
                               headers={**token, **RFC822})
    assert [o["status"] for o in (await logged.json())["outcomes"]] == ["logged"]
    forward = (b"From: bob@client.test\r\nTo: alice@acme.test\r\nSubject: Fwd: Re: Offer\r\n"
               b"Message-ID: <fwd-1@client.test>\r\nIn-Reply-To: <offer-1@acme.test>\r\n"
               b"References: <offer-1@acme.test>\r\n\r\nSee what Carol says.\r\n\r\n"
               b"---------- Forwarded message ---------\r\n"
               b"From: Carol <carol@client.test>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n"
               b"Subject: Re: Offer\r\nTo: Bob <bob@client.test>\r\n\r\nLooks good.\r\n")

    response = await client.post(f"/v1/mailboxes/{mailbox}/messages", data=forward,
                                 headers={**token, **RFC822})

    assert response.status == 200, await response.text()
    decision = await response.json()
    assert (decision["message_id"], decision["logged_original"]) == (
        "<fwd-1@client.test>", False)
    outcomes = {o["address"]: (o["status"], o["reason"]) for o in decision["outcomes"]}
    assert outcomes["bob@client.test"][0] == "logged", outcomes
    assert "reply_to_logged" in {step["reason"] for step in decision["trace"]}
    subjects = [i["message"]["subject"] for i in await directory.timeline(project["id"], bob)]
    assert subjects == ["Fwd: Re: Offer", "Offer"]

"""SPEC §8: the fourteen scenarios end to end (SMTP or HTTP in → worker → decision and timeline).

Each test also checks that POST /v1/explain, run before the real capture, predicts the same
outcomes and reasons as the real run.
"""

from __future__ import annotations

from blindcopy.runtime import Service
from tests.client import eventually, send_smtp
from tests.directory import a_mailbox, a_project, contacts, email, timeline
from tests.scenarios.conftest import World
from tests.scenarios.world import explain, log, processed, reasons_in_trace, summary, sync


async def _set_mode(world: World, project: dict, mode: str) -> None:
    await world.api.patch(f"/v1/projects/{project['id']}", {"settings": {"logging_mode": mode}})


async def _sync_checked(world: World, mailbox: dict, raw: bytes) -> dict:
    """Sync a message after a dry run; the dry run must predict the same outcomes and credit."""
    predicted = await explain(world.api, raw, "sync", user_id=mailbox["user_id"])
    decision = await sync(world.api, mailbox["id"], raw)
    assert summary(predicted) == summary(decision)
    assert [o["user_id"] for o in predicted["outcomes"]] == [
        o["user_id"] for o in decision["outcomes"]]
    return decision


async def test_s01_user_sends_to_contact_from_synced_mailbox_is_logged(world: World) -> None:
    p1 = world.p1["id"]
    await _set_mode(world, world.p1, "all")
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    mailbox = await a_mailbox(world.api, world.alice["id"], "alice@gmail.test", [p1])
    second = await a_mailbox(world.api, world.ben["id"], "ben@gmail.test", [p1])

    decision = await _sync_checked(world, mailbox, email(
        "alice@gmail.test", "bob@client.test", message_id="<s1a@gmail.test>"))
    await _sync_checked(world, second, email(
        "ben@gmail.test", "bob@client.test", message_id="<s1b@gmail.test>"))

    assert summary(decision) == [("bob@client.test", p1, "logged", "single_project")]
    items = await timeline(world.api, p1, ids["bob"])
    assert [(i["type"], i["channels"]) for i in items] == [("Email (Acme)", ["sync"])] * 2
    assert {i["user_id"] for i in items} == {world.alice["id"], world.ben["id"]}


async def test_s02_recipient_not_a_contact_is_not_logged_but_stored(world: World) -> None:
    p1 = world.p1["id"]
    await _set_mode(world, world.p1, "all")
    mailbox = await a_mailbox(world.api, world.alice["id"], "alice@gmail.test", [p1])

    decision = await _sync_checked(world, mailbox, email(
        "alice@gmail.test", "stranger@else.test", message_id="<s2@gmail.test>"))

    assert summary(decision) == [("stranger@else.test", p1, "not_logged", "no_contact")]
    [stored] = (await world.api.get("/v1/messages", params={"message_id": "<s2@gmail.test>"}))[
        "items"]
    assert stored["status"] == "done"


async def test_s03_contact_in_one_of_two_synced_projects_is_logged_there(world: World) -> None:
    p1, p2 = world.p1["id"], world.p2["id"]
    for project in (world.p1, world.p2):
        await _set_mode(world, project, "all")
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    mailbox = await a_mailbox(world.api, world.alice["id"], "alice@gmail.test", [p1, p2])

    decision = await _sync_checked(world, mailbox, email(
        "alice@gmail.test", "bob@client.test", message_id="<s3@gmail.test>"))

    assert summary(decision) == sorted([
        ("bob@client.test", p1, "logged", "only_project_with_contact"),
        ("bob@client.test", p2, "not_logged", "no_contact")])
    assert len(await timeline(world.api, p1, ids["bob"])) == 1


async def test_s04_contact_in_both_projects_is_pending_until_assigned(world: World) -> None:
    p1, p2 = world.p1["id"], world.p2["id"]
    for project in (world.p1, world.p2):
        await _set_mode(world, project, "all")
    ids1 = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    ids2 = await contacts(world.api, p2, ("bob2", "Bob", ["bob@client.test"]))
    mailbox = await a_mailbox(world.api, world.alice["id"], "alice@gmail.test", [p1, p2])

    decision = await _sync_checked(world, mailbox, email(
        "alice@gmail.test", "bob@client.test", "Viewing", message_id="<s4@gmail.test>"))

    assert {o["status"] for o in decision["outcomes"]} == {"pending"}
    assert {o["reason"] for o in decision["outcomes"]} == {"ambiguous_projects"}
    [thread] = (await world.alice_api.get("/v1/threads", params={"status": "pending"}))["items"]
    assert thread["subject"] == "Viewing"
    assert sorted(thread["candidate_project_ids"]) == sorted([p1, p2])
    assert await timeline(world.api, p1, ids1["bob"]) == []

    assigned = await world.alice_api.post(f"/v1/threads/{thread['id']}/assign",
                                          {"project_ids": [p1]})

    assert summary(assigned) == sorted([
        ("bob@client.test", p1, "logged", "thread_assigned_here"),
        ("bob@client.test", p2, "not_logged", "thread_assigned_elsewhere")])
    assert len(await timeline(world.api, p1, ids1["bob"])) == 1
    assert await timeline(world.api, p2, ids2["bob2"]) == []
    reply = await sync(world.api, mailbox["id"], email(
        "alice@gmail.test", "bob@client.test", "Re: Viewing", message_id="<s4b@gmail.test>",
        headers="In-Reply-To: <s4@gmail.test>"))
    assert ("bob@client.test", p1, "logged", "thread_assigned_here") in summary(reply)
    assert (await world.alice_api.get("/v1/threads", params={"status": "pending"}))[
        "items"] == []


async def test_s04b_assigning_to_both_projects_logs_in_both(world: World) -> None:
    p1, p2 = world.p1["id"], world.p2["id"]
    for project in (world.p1, world.p2):
        await _set_mode(world, project, "all")
    await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    await contacts(world.api, p2, ("bob2", "Bob", ["bob@client.test"]))
    mailbox = await a_mailbox(world.api, world.alice["id"], "alice@gmail.test", [p1, p2])
    await sync(world.api, mailbox["id"], email("alice@gmail.test", "bob@client.test",
                                               message_id="<s4c@gmail.test>"))
    [thread] = (await world.api.get("/v1/threads", params={"status": "pending"}))["items"]

    assigned = await world.api.post(f"/v1/threads/{thread['id']}/assign",
                                    {"project_ids": [p1, p2]})

    assert {o["status"] for o in assigned["outcomes"]} == {"logged"}
    assert {o["project_id"] for o in assigned["outcomes"]} == {p1, p2}


async def test_s05_each_mailbox_logs_only_into_its_own_project(world: World) -> None:
    p1, p2 = world.p1["id"], world.p2["id"]
    for project in (world.p1, world.p2):
        await _set_mode(world, project, "all")
    ids1 = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    await contacts(world.api, p2, ("dora", "Dora", ["dora@other.test"]))
    mailbox1 = await a_mailbox(world.api, world.alice["id"], "alice@gmail.test", [p1])
    await a_mailbox(world.api, world.alice["id"], "alice@work2.test", [p2])

    to_p1 = await _sync_checked(world, mailbox1, email(
        "alice@gmail.test", "bob@client.test", message_id="<s5a@gmail.test>"))
    to_p2_contact = await _sync_checked(world, mailbox1, email(
        "alice@gmail.test", "dora@other.test", message_id="<s5b@gmail.test>"))

    assert summary(to_p1) == [("bob@client.test", p1, "logged", "single_project")]
    assert summary(to_p2_contact) == [("dora@other.test", p1, "not_logged", "no_contact")]
    assert len(await timeline(world.api, p1, ids1["bob"])) == 1


async def test_s06_ignored_address_or_domain_is_never_logged(world: World,
                                                              service: Service) -> None:
    p1 = world.p1["id"]
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]),
                         ("eve", "Eve", ["eve@mail.competitor.test"]))
    await world.api.post(f"/v1/projects/{p1}/ignored", {"pattern": "competitor.test"}, expect=201)
    raw = email("alice@acme.test", "bob@client.test", cc="eve@mail.competitor.test",
                message_id="<s6@acme.test>")

    predicted = await explain(world.api, raw, "bcc", project_ids=[p1])
    await send_smtp(service.smtp_port, "alice@acme.test", [world.p1["addresses"]["bcc"]], raw)
    decision = await processed(world.api, "<s6@acme.test>")

    assert summary(predicted) == summary(decision)
    assert {(o["status"], o["reason"]) for o in decision["outcomes"]} == {
        ("not_logged", "ignored_domain")}
    assert "eve@mail.competitor.test matches the ignored domain competitor.test" in \
        decision["outcomes"][0]["detail"]
    assert await timeline(world.api, p1, ids["bob"]) == []


async def test_s07_bcc_by_member_without_any_mailbox_is_logged(world: World,
                                                               service: Service) -> None:
    p1 = world.p1["id"]
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    raw = email("Alice <a.agent@acme.test>", "bob@client.test", message_id="<s7@acme.test>")

    predicted = await explain(world.api, raw, "bcc", project_ids=[p1])
    await send_smtp(service.smtp_port, "a.agent@acme.test", [world.p1["addresses"]["bcc"]], raw)
    decision = await processed(world.api, "<s7@acme.test>")

    assert summary(predicted) == summary(decision) == [
        ("bob@client.test", p1, "logged", "single_project")]
    [item] = await timeline(world.api, p1, ids["bob"])
    assert (item["channels"], item["user_id"]) == (["bcc"], world.alice["id"])


async def test_s08_log_from_contact_profile_logs_in_that_project(world: World) -> None:
    p1, p2 = world.p1["id"], world.p2["id"]
    ids1 = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    ids2 = await contacts(world.api, p2, ("bob2", "Bob", ["bob@client.test"]))
    raw = email("alice@acme.test", "bob@client.test", message_id="<s8@acme.test>")

    predicted = await explain(world.alice_api, raw, "log", project_ids=[p2])
    decision = await log(world.alice_api, raw, [p2])

    assert summary(predicted) == summary(decision) == [
        ("bob@client.test", p2, "logged", "single_project")]
    assert "credit_caller" in reasons_in_trace(decision)
    assert await timeline(world.api, p1, ids1["bob"]) == []
    [item] = await timeline(world.api, p2, ids2["bob2"])
    assert item["channels"] == ["log"]


async def test_s09_replies_only_logs_replies_to_logged_mail(world: World,
                                                            service: Service) -> None:
    p1 = world.p1["id"]
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    mailbox = await a_mailbox(world.api, world.alice["id"], "alice@acme.test", [p1])
    first = email("alice@acme.test", "bob@client.test", "Offer", message_id="<s9@acme.test>")
    await send_smtp(service.smtp_port, "alice@acme.test", [world.p1["addresses"]["bcc"]], first)
    await processed(world.api, "<s9@acme.test>")

    reply = await _sync_checked(world, mailbox, email(
        "bob@client.test", "alice@acme.test", "Re: Offer", message_id="<s9r@client.test>",
        headers="In-Reply-To: <s9@acme.test>\nReferences: <s9@acme.test>"))
    new = await _sync_checked(world, mailbox, email(
        "bob@client.test", "alice@acme.test", "Question", message_id="<s9n@client.test>"))
    sent = await _sync_checked(world, mailbox, email(
        "alice@acme.test", "bob@client.test", "Sent", message_id="<s9s@acme.test>"))

    assert summary(reply) == [("bob@client.test", p1, "logged", "single_project")]
    assert "reply_to_logged" in reasons_in_trace(reply)
    assert "credit_thread_user" in reasons_in_trace(reply)
    assert summary(new) == [("bob@client.test", p1, "not_logged", "not_a_reply_to_logged")]
    assert summary(sent) == [("bob@client.test", p1, "not_logged", "user_sent_replies_only")]
    assert len(await timeline(world.api, p1, ids["bob"])) == 2


async def test_s09b_all_mode_logs_new_mail_and_mail_users_send(world: World) -> None:
    p1 = world.p1["id"]
    await _set_mode(world, world.p1, "all")
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    mailbox = await a_mailbox(world.api, world.alice["id"], "alice@acme.test", [p1])

    new = await _sync_checked(world, mailbox, email(
        "bob@client.test", "alice@acme.test", "Question", message_id="<s9an@client.test>"))
    sent = await _sync_checked(world, mailbox, email(
        "alice@acme.test", "bob@client.test", "Answer", message_id="<s9as@acme.test>"))

    assert summary(new) == summary(sent) == [("bob@client.test", p1, "logged", "single_project")]
    assert len(await timeline(world.api, p1, ids["bob"])) == 2


async def test_s10_all_mode_does_not_log_recipients_who_are_not_contacts(world: World) -> None:
    p1 = world.p1["id"]
    await _set_mode(world, world.p1, "all")
    await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    mailbox = await a_mailbox(world.api, world.alice["id"], "alice@acme.test", [p1])

    decision = await _sync_checked(world, mailbox, email(
        "alice@acme.test", "bob@client.test, nobody@client.test", message_id="<s10@acme.test>"))

    assert summary(decision) == [("bob@client.test", p1, "logged", "single_project"),
                                 ("nobody@client.test", p1, "not_logged", "no_contact")]


async def test_s11_never_log_and_personal_email_access(world: World) -> None:
    p1 = world.p1["id"]
    await _set_mode(world, world.p1, "all")
    await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]),
                   ("hr", "HR", ["hr@client.test"]))
    await world.api.post(f"/v1/projects/{p1}/never-log", {"address": "hr@client.test"},
                         expect=201)
    alice_box = await a_mailbox(world.api, world.alice["id"], "alice@acme.test", [p1])
    cleo_box = await a_mailbox(world.api, world.cleo["id"], "cleo@acme.test", [p1])

    mixed = await _sync_checked(world, alice_box, email(
        "alice@acme.test", "bob@client.test, hr@client.test", message_id="<s11@acme.test>"))
    no_access = await _sync_checked(world, cleo_box, email(
        "cleo@acme.test", "bob@client.test", message_id="<s11c@acme.test>"))

    assert summary(mixed) == [("bob@client.test", p1, "logged", "single_project"),
                              ("hr@client.test", p1, "not_logged", "never_log_address")]
    assert summary(no_access) == [
        ("bob@client.test", p1, "not_logged", "no_personal_email_access")]


async def test_s12_attribution_of_a_contacts_new_thread(world: World) -> None:
    p1 = world.p1["id"]
    await _set_mode(world, world.p1, "all")
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"], world.cleo["id"]))
    alice_box = await a_mailbox(world.api, world.alice["id"], "alice@acme.test", [p1])

    one = await _sync_checked(world, alice_box, email(
        "bob@client.test", "alice@acme.test", message_id="<s12a@client.test>"))
    one_user = await _sync_checked(world, alice_box, email(
        "bob@client.test", "alice@acme.test, friend@client.test",
        message_id="<s12b@client.test>"))
    several = await _sync_checked(world, alice_box, email(
        "bob@client.test", "alice@acme.test, ben@acme.test", message_id="<s12c@client.test>"))

    credited = {(d["outcomes"][0]["user_id"], step["reason"])
                for d in (one, one_user, several) for step in d["trace"]
                if step["rule"] == "attribution"}
    assert credited == {(world.alice["id"], "credit_only_recipient"),
                        (world.alice["id"], "credit_only_associated_user"),
                        (world.cleo["id"], "credit_contact_owner")}
    assert len(await timeline(world.api, p1, ids["bob"])) == 3


async def test_s13_forwarded_missed_email_logs_the_original(world: World,
                                                           service: Service) -> None:
    p1 = world.p1["id"]
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    original = email("Bob <bob@client.test>", "Alice <alice@acme.test>", "Budget",
                     message_id="<orig-13@client.test>", body="Our budget is 500k.")
    forward = (b"From: Alice <alice@acme.test>\r\nTo: " + world.p1["addresses"]["forward"].encode()
               + b"\r\nSubject: Fwd: Budget\r\nMessage-ID: <fwd-13@acme.test>\r\n"
               b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
               b"--B\r\nContent-Type: text/plain\r\n\r\nFYI\r\n--B\r\n"
               b"Content-Type: message/rfc822\r\n\r\n" + original + b"\r\n--B--\r\n")

    await send_smtp(service.smtp_port, "alice@acme.test", [world.p1["addresses"]["forward"]],
                    forward)
    decision = await processed(world.api, "<orig-13@client.test>")

    assert summary(decision) == [("bob@client.test", p1, "logged", "single_project")]
    assert "credit_forwarder" in reasons_in_trace(decision)
    [item] = await timeline(world.api, p1, ids["bob"])
    assert item["user_id"] == world.alice["id"]
    assert item["channels"] == ["forward"]
    assert item["message"]["from"] == "bob@client.test"
    assert item["message"]["subject"] == "Budget"
    assert item["message"]["date"].startswith("2026-11-24T10:00:00")


async def test_s14_log_on_received_email_is_retroactive_and_idempotent(world: World) -> None:
    p1 = world.p1["id"]
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    raw = email("bob@client.test", "alice@acme.test", "Old question",
                message_id="<s14@client.test>")

    predicted = await explain(world.alice_api, raw, "log", project_ids=[p1])
    first = await log(world.alice_api, raw, [p1])
    second = await log(world.alice_api, raw, [p1])

    assert summary(predicted) == summary(first)

    assert summary(first) == summary(second) == [
        ("bob@client.test", p1, "logged", "single_project")]
    assert first["outcomes"][0]["interaction_id"] == second["outcomes"][0]["interaction_id"]
    [item] = await timeline(world.api, p1, ids["bob"])
    assert (item["channels"], item["user_id"]) == (["log"], world.alice["id"])


async def test_second_capture_adds_its_channel_and_unlog_is_recorded(world: World,
                                                                     service: Service) -> None:
    p1 = world.p1["id"]
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    raw = email("alice@acme.test", "bob@client.test", message_id="<twice@acme.test>")
    await send_smtp(service.smtp_port, "alice@acme.test", [world.p1["addresses"]["bcc"]], raw)
    await processed(world.api, "<twice@acme.test>")

    await log(world.alice_api, raw, [p1])

    [item] = await timeline(world.api, p1, ids["bob"])
    assert item["channels"] == ["bcc", "log"]
    await world.alice_api.delete(f"/v1/interactions/{item['id']}")
    assert await timeline(world.api, p1, ids["bob"]) == []


async def test_project_with_forward_domain_is_unaffected_by_other_project(world: World) -> None:
    other = await a_project(world.api, "Cedar")
    assert other["addresses"]["bcc"] != world.p1["addresses"]["bcc"]


async def test_s13b_inline_gmail_forward_logs_the_original(world: World,
                                                           service: Service) -> None:
    p1 = world.p1["id"]
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    body = ("FYI, see below.\r\n\r\n---------- Forwarded message ---------\r\n"
            "From: Bob Buyer <bob@client.test>\r\nDate: Tue, Nov 24, 2026 at 10:00 AM\r\n"
            "Subject: Budget\r\nTo: Alice <alice@acme.test>\r\n\r\nOur budget is 500k.\r\n")
    forward = email("Alice <alice@acme.test>", world.p1["addresses"]["forward"], "Fwd: Budget",
                    message_id="<fwd-13b@acme.test>", body=body)

    await send_smtp(service.smtp_port, "alice@acme.test", [world.p1["addresses"]["forward"]],
                    forward)

    [item] = await eventually(lambda: timeline(world.api, p1, ids["bob"]))
    assert (item["user_id"], item["channels"]) == (world.alice["id"], ["forward"])
    assert (item["message"]["from"], item["message"]["subject"]) == ("bob@client.test", "Budget")
    assert item["message"]["to"] == ["alice@acme.test"]
    assert "Our budget is 500k." in item["message"]["preview"]


async def test_s04c_reassigning_a_thread_adds_the_new_project(world: World) -> None:
    p1, p2 = world.p1["id"], world.p2["id"]
    for project in (world.p1, world.p2):
        await _set_mode(world, project, "all")
    await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    ids2 = await contacts(world.api, p2, ("bob2", "Bob", ["bob@client.test"]))
    mailbox = await a_mailbox(world.api, world.alice["id"], "alice@gmail.test", [p1, p2])
    await sync(world.api, mailbox["id"], email("alice@gmail.test", "bob@client.test",
                                               message_id="<s4d@gmail.test>"))
    [thread] = (await world.api.get("/v1/threads", params={"status": "pending"}))["items"]
    await world.api.post(f"/v1/threads/{thread['id']}/assign", {"project_ids": [p1]})

    again = await world.api.post(f"/v1/threads/{thread['id']}/assign",
                                 {"project_ids": [p1, p2]})

    assert ("bob@client.test", p2, "logged", "thread_assigned_here") in summary(again)
    assert len(await timeline(world.api, p2, ids2["bob2"])) == 1
    await world.api.request("POST", f"/v1/threads/{thread['id']}/assign",
                            json={"project_ids": [p1, p2]}, expect=409)


async def test_s06b_globally_ignored_domain_is_never_logged_in_any_project(
        world: World) -> None:
    p1, p2 = world.p1["id"], world.p2["id"]
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    entry = await world.api.post("/v1/ignored", {"pattern": "client.test"}, expect=201)
    await world.alice_api.request("POST", "/v1/ignored", json={"pattern": "x.test"}, expect=403)
    raw = email("alice@acme.test", "bob@client.test", message_id="<s6b@acme.test>")

    decision = await log(world.alice_api, raw, [p1, p2])

    assert {(o["status"], o["reason"]) for o in decision["outcomes"]} == {
        ("not_logged", "ignored_domain")}
    assert await timeline(world.api, p1, ids["bob"]) == []
    await world.api.delete(f"/v1/ignored/{entry['id']}")
    assert (await world.api.get("/v1/ignored"))["items"] == []


async def test_s14b_structured_log_without_message_id_is_idempotent(world: World) -> None:
    p1 = world.p1["id"]
    ids = await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"]))
    body = {"message": {"from": "bob@client.test", "to": ["alice@acme.test"],
                        "subject": "Call me", "date": "2026-11-24T10:00:00+00:00",
                        "text": "Call me tomorrow."}, "project_ids": [p1]}

    first = await world.alice_api.post("/v1/log", body)
    second = await world.alice_api.post("/v1/log", body)

    assert first["message_id"] == second["message_id"]
    assert first["outcomes"][0]["interaction_id"] == second["outcomes"][0]["interaction_id"]
    assert len(await timeline(world.api, p1, ids["bob"])) == 1

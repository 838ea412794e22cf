"""Personal never-log lists (SPEC §13): a user's captures never log those addresses."""

from __future__ import annotations

from blindcopy.runtime import Service
from tests.client import ApiClient, send_smtp
from tests.directory import a_project, a_token, a_user, contacts, email
from tests.integration.privacy.support import processed
from tests.scenarios.world import log, summary


async def test_the_users_own_list_stops_their_captures_only(service: Service,
                                                            api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    carol = await a_user(api, "Carol", "carol@acme.test", projects=(project["id"],))
    await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]),
                   ("dan", "Dan", ["dan@client.test"]))
    alice_api = api.as_user(await a_token(api, alice["id"]))
    carol_api = api.as_user(await a_token(api, carol["id"]))
    pid = project["id"]

    entry = await alice_api.post(f"/v1/users/{alice['id']}/never-log",
                                 {"address": "Bob@Client.test"}, expect=201)
    assert (entry["address"], entry["user_id"]) == ("bob@client.test", alice["id"])

    # Over SMTP: Alice's BCC logs Dan, not Bob.
    raw = email("alice@acme.test", "bob@client.test", message_id="<p-1@acme.test>",
                cc="dan@client.test")
    await send_smtp(service.smtp_port, "alice@acme.test", [project["addresses"]["bcc"]], raw)
    received = await processed(api, "<p-1@acme.test>")
    decision = await api.get(f"/v1/messages/{received['id']}/decision")
    assert summary(decision) == [
        ("bob@client.test", pid, "not_logged", "personal_never_log"),
        ("dan@client.test", pid, "logged", "single_project")]
    # Carol's list is her own: her capture of mail to Bob logs it.
    carol_decision = await log(carol_api, email("carol@acme.test", "bob@client.test",
                                                message_id="<p-2@acme.test>"), [pid])
    assert summary(carol_decision) == [("bob@client.test", pid, "logged", "single_project")]

    listed = await alice_api.get(f"/v1/users/{alice['id']}/never-log")
    assert [e["id"] for e in listed["items"]] == [entry["id"]]
    await alice_api.delete(f"/v1/users/{alice['id']}/never-log/{entry['id']}")
    again = await log(alice_api, email("alice@acme.test", "bob@client.test",
                                       message_id="<p-3@acme.test>"), [pid])
    assert summary(again) == [("bob@client.test", pid, "logged", "single_project")]


async def test_lists_are_the_users_own_and_checked(service: Service, api: ApiClient) -> None:
    alice = await a_user(api, "Alice", "alice@acme.test")
    carol = await a_user(api, "Carol", "carol@acme.test")
    carol_api = api.as_user(await a_token(api, carol["id"]))
    path = f"/v1/users/{alice['id']}/never-log"
    entry = await api.post(path, {"address": "bob@client.test"}, expect=201)

    assert (await carol_api.get(path, expect=403))["status"] == 403
    assert (await carol_api.post(path, {"address": "x@client.test"}, expect=403))["status"] == 403
    await carol_api.delete(f"{path}/{entry['id']}", expect=403)
    await api.delete(f"/v1/users/{carol['id']}/never-log/{entry['id']}", expect=404)
    assert (await api.post(path, {"address": "BOB@client.test"}, expect=409))["status"] == 409
    invalid = await api.post(path, {"address": "not an address"}, expect=422)
    assert [e["field"] for e in invalid["errors"]] == ["address"]
    await api.get("/v1/users/nobody/never-log", expect=404)

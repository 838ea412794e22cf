"""Private interactions (SPEC §13): content only for their user and admins."""

from __future__ import annotations

import json
from typing import Any

from blindcopy.runtime import Service
from tests.client import ApiClient
from tests.directory import a_project, a_token, a_user, contacts
from tests.integration.privacy.support import email_with_attachment, events_of
from tests.scenarios.world import log

SUBJECT, BODY = "Divorce settlement draft", "Strictly between us: the figure is 2M."


async def _logged_privately(api: ApiClient) -> dict[str, Any]:
    project = await a_project(api, "Acme Homes")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    carol = await a_user(api, "Carol", "carol@acme.test", projects=(project["id"],))
    ids = await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    alice_api = api.as_user(await a_token(api, alice["id"]))
    carol_api = api.as_user(await a_token(api, carol["id"]))
    raw = email_with_attachment("alice@acme.test", "bob@client.test", SUBJECT, BODY,
                                "<private-1@acme.test>")
    decision = await log(alice_api, raw, [project["id"]])
    [outcome] = decision["outcomes"]
    changed = await alice_api.patch(f"/v1/interactions/{outcome['interaction_id']}",
                                    {"private": True})
    return {"project": project, "contact": ids["bob"], "alice": alice_api, "carol": carol_api,
            "interaction": changed, "received_id": decision["received_id"]}


def _timeline_path(world: dict[str, Any]) -> str:
    return f"/v1/projects/{world['project']['id']}/contacts/{world['contact']}/interactions"


async def test_others_see_only_that_a_private_email_occurred(service: Service,
                                                             api: ApiClient) -> None:
    world = await _logged_privately(api)
    assert world["interaction"]["private"] is True
    [updated] = await events_of(api, 1, type="interaction.updated")
    assert updated["data"]["id"] == world["interaction"]["id"]
    assert updated["data"]["private"] is True
    assert updated["data"]["message"]["subject"] == "" and "2M" not in json.dumps(updated)

    [seen] = (await world["carol"].get(_timeline_path(world)))["items"]
    assert seen["private"] is True
    shown = seen["message"]
    assert shown["private"] is True
    assert (shown["from"], shown["to"], shown["date"]) == (
        "alice@acme.test", ["bob@client.test"], "2026-11-24T10:00:00+00:00")
    assert (shown["subject"], shown["preview"], shown["attachments"]) == ("", "", [])
    for owner in (world["alice"], api):
        [full] = (await owner.get(_timeline_path(world)))["items"]
        assert full["message"]["subject"] == SUBJECT
        assert "private" not in full["message"] and full["message"]["attachments"]


async def test_no_route_shows_the_private_content_to_another_member(service: Service,
                                                                    api: ApiClient) -> None:
    world = await _logged_privately(api)
    carol: ApiClient = world["carol"]

    answers = [await carol.get(_timeline_path(world)),
               await carol.get(f"/v1/interactions/{world['interaction']['id']}"),
               await carol.get("/v1/messages"),
               await carol.get(f"/v1/messages/{world['received_id']}/decision"),
               await carol.get("/v1/threads", params={"status": "open"})]

    text = json.dumps(answers)
    assert SUBJECT not in text and "2M" not in text and "offer.pdf" not in text
    # The interaction.logged event was written before it was private: the feed hides it now.
    [logged] = await events_of(carol, 1, type="interaction.logged")
    assert logged["data"]["private"] is True and logged["data"]["message"]["subject"] == ""
    assert SUBJECT not in json.dumps(logged) and "offer.pdf" not in json.dumps(logged)
    [own] = await events_of(world["alice"], 1, type="interaction.logged")
    assert own["data"]["message"]["subject"] == SUBJECT
    [thread] = answers[4]["items"]
    assert answers[1]["private"] is True and answers[1]["message"]["to"] == ["bob@client.test"]
    whole = await world["alice"].get(f"/v1/interactions/{world['interaction']['id']}")
    assert whole["message"]["subject"] == SUBJECT and whole["attachments"]
    assert thread["private"] is True and thread["subject"] == ""
    [own_thread] = (await world["alice"].get("/v1/threads", params={"status": "open"}))["items"]
    assert own_thread["subject"] == SUBJECT


async def test_only_its_user_or_an_admin_changes_privacy(service: Service,
                                                        api: ApiClient) -> None:
    world = await _logged_privately(api)
    path = f"/v1/interactions/{world['interaction']['id']}"
    outsider = await a_user(api, "Olga", "olga@other.test")
    olga = api.as_user(await a_token(api, outsider["id"]))

    forbidden = await world["carol"].patch(path, {"private": False}, expect=403)
    hidden = await olga.patch(path, {"private": False}, expect=404)
    invalid = await world["alice"].patch(path, {"private": "yes"}, expect=422)
    missing = await world["alice"].patch(path, {}, expect=422)
    public = await api.patch(path, {"private": False})

    assert forbidden["status"] == 403 and hidden["status"] == 404
    assert [e["field"] for e in invalid["errors"]] == ["private"]
    assert [e["field"] for e in missing["errors"]] == ["private"]
    assert public["private"] is False
    [seen] = (await world["carol"].get(_timeline_path(world)))["items"]
    assert seen["message"]["subject"] == SUBJECT

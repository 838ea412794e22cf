"""Odd but real input is logged the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import base64

from tests.client import ApiClient
from tests.directory import a_project, a_token, a_user, contacts, timeline


async def test_message_with_nul_characters_is_logged(api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    ids = await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    alice_api = api.as_user(await a_token(api, alice["id"]))
    raw = (b"From: Alice\x00 <alice@acme.test>\r\nTo: bob@client.test\r\nSubject: Of\x00fer\r\n"
           b"Message-ID: <nul-1@acme.test>\r\n\r\nPrice\x00 list\r\n")

    decision = await alice_api.post("/v1/log", {"raw": base64.b64encode(raw).decode(),
                                                "project_ids": [project["id"]]})

    assert [o["status"] for o in decision["outcomes"]] == ["logged"]
    [item] = await timeline(api, project["id"], ids["bob"])
    assert (item["message"]["subject"], item["message"]["preview"]) == ("Offer", "Price list")

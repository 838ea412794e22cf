"""capture_level (SPEC §13): what a project does not capture is never written anywhere."""

from __future__ import annotations

import json

from blindcopy.runtime import Service
from tests.client import ApiClient, send_smtp
from tests.directory import a_project, a_user, contacts, timeline
from tests.integration.privacy.support import (
    email_with_attachment,
    processed,
    raw_bytes,
    stored_message,
    thread_subject,
)

SUBJECT, BODY = "Offer for 12 Elm Street", "The confidential offer is 500k."


async def test_metadata_project_keeps_participants_and_date_only(service: Service,
                                                                 api: ApiClient) -> None:
    project = await a_project(api, "Quiet", capture_level="metadata")
    await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    ids = await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    raw = email_with_attachment("alice@acme.test", "bob@client.test", SUBJECT, BODY,
                                "<meta-1@acme.test>")

    await send_smtp(service.smtp_port, "alice@acme.test", [project["addresses"]["bcc"]], raw)
    received = await processed(api, "<meta-1@acme.test>")

    [interaction] = await timeline(api, project["id"], ids["bob"])
    shown = interaction["message"]
    assert (shown["from"], shown["to"], shown["date"]) == (
        "alice@acme.test", ["bob@client.test"], "2026-11-24T10:00:00+00:00")
    assert (shown["subject"], shown["preview"], shown["attachments"]) == ("", "", [])
    row = await stored_message(service, project["id"], "<meta-1@acme.test>")
    assert (row.subject, row.preview, row.text, row.attachments) == ("", "", None, [])
    assert await thread_subject(service, row.thread_id) == ""
    assert await raw_bytes(service, received["id"]) == b""
    decision = await api.get(f"/v1/messages/{received['id']}/decision")
    assert SUBJECT not in json.dumps(decision) and "500k" not in json.dumps(decision)


async def test_each_project_keeps_what_its_level_allows(service: Service,
                                                        api: ApiClient) -> None:
    full = await a_project(api, "Full")
    subject = await a_project(api, "Subject only", capture_level="subject")
    await a_user(api, "Alice", "alice@acme.test", projects=(full["id"], subject["id"]))
    for project in (full, subject):
        await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    raw = email_with_attachment("alice@acme.test", "bob@client.test", SUBJECT, BODY,
                                "<both-1@acme.test>")

    await send_smtp(service.smtp_port, "alice@acme.test",
                    [full["addresses"]["bcc"], subject["addresses"]["bcc"]], raw)
    received = await processed(api, "<both-1@acme.test>")

    kept = await stored_message(service, full["id"], "<both-1@acme.test>")
    assert kept.subject == SUBJECT and BODY in (kept.text or "") and kept.attachments
    reduced = await stored_message(service, subject["id"], "<both-1@acme.test>")
    assert (reduced.subject, reduced.preview, reduced.text, reduced.attachments) == (
        SUBJECT, "", None, [])
    # A project of the capture captures in full: the raw bytes are kept for it.
    assert BODY.encode() in await raw_bytes(service, received["id"])


async def test_subject_level_over_the_log_button(service: Service, api: ApiClient) -> None:
    project = await a_project(api, "Subject only", capture_level="subject")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    token = (await api.post(f"/v1/users/{alice['id']}/tokens", expect=201))["token"]
    raw = email_with_attachment("alice@acme.test", "bob@client.test", SUBJECT, BODY,
                                "<log-1@acme.test>")

    decision = await api.as_user(token).post(
        "/v1/log", data=raw, headers={"Content-Type": "message/rfc822"}, json=None)

    assert decision["outcomes"][0]["status"] == "logged"
    row = await stored_message(service, project["id"], "<log-1@acme.test>")
    assert (row.subject, row.preview, row.text, row.attachments) == (SUBJECT, "", None, [])
    received = await processed(api, "<log-1@acme.test>")
    assert await raw_bytes(service, received["id"]) == b""

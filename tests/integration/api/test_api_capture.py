"""The Log button and the dry run over HTTP, through the real processing layer and store."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from aiohttp import web
from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.app import create_app
from config.settings import Settings
from processing.service import ProcessingService
from store.database import Store
from store.models import Interaction
from tests.integration.api.support import ADMIN, Client, Directory, problem_of

RAW = (b"From: alice@acme.test\r\nTo: bob@client.test\r\nSubject: Hi\r\n"
       b"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <hi-1@acme.test>\r\n\r\nHello\r\n")
RFC822 = {"Content-Type": "message/rfc822"}


def _only_outcome(decision: dict[str, Any]) -> dict[str, Any]:
    [outcome] = decision["outcomes"]
    return dict(outcome)


def _reasons(decision: dict[str, Any]) -> set[str]:
    return {step["reason"] for step in decision["trace"]}


def _interaction_count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Interaction)).scalar_one())


async def test_log_raw_body_as_caller_logs_on_the_contact_once(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    bob = await directory.contact(project["id"], "bob", "Bob@Client.test")

    response = await client.post("/v1/log", data=RAW, params={"project_id": project["id"]},
                                 headers={**token, **RFC822})

    assert response.status == 200, await response.text()
    decision = await response.json()
    assert (decision["status"], decision["channel"], decision["message_id"],
            decision["user_id"]) == ("done", "log", "<hi-1@acme.test>", alice)
    outcome = _only_outcome(decision)
    assert (outcome["address"], outcome["project_id"], outcome["contact_id"],
            outcome["status"], outcome["reason"], outcome["user_id"]) == (
        "bob@client.test", project["id"], bob, "logged", "single_project", alice)
    assert "credit_caller" in _reasons(decision)
    [interaction] = await directory.timeline(project["id"], bob)
    assert interaction["id"] == outcome["interaction_id"]
    assert (interaction["channels"], interaction["user_id"], interaction["type"]) == (
        ["log"], alice, "Email")
    assert interaction["message"]["subject"] == "Hi"
    [received] = await directory.messages()
    assert (received["id"], received["channel"], received["status"]) == (
        decision["received_id"], "log", "done")

    again = await client.post("/v1/log", data=RAW, params={"project_id": project["id"]},
                              headers={**token, **RFC822})

    assert again.status == 200, await again.text()
    repeated = _only_outcome(await again.json())
    assert (repeated["status"], repeated["interaction_id"]) == ("logged",
                                                                outcome["interaction_id"])
    assert [i["id"] for i in await directory.timeline(project["id"], bob)] == [
        outcome["interaction_id"]]


async def test_log_json_base64_uses_the_callers_projects(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    bob = await directory.contact(project["id"], "bob", "bob@client.test")

    response = await client.post("/v1/log", headers=token, json={
        "raw": base64.b64encode(RAW).decode()})

    assert response.status == 200, await response.text()
    decision = await response.json()
    assert (decision["status"], decision["message_id"]) == ("done", "<hi-1@acme.test>")
    outcome = _only_outcome(decision)
    assert (outcome["project_id"], outcome["contact_id"], outcome["status"]) == (
        project["id"], bob, "logged")
    [interaction] = await directory.timeline(project["id"], bob)
    assert (interaction["id"], interaction["user_id"]) == (outcome["interaction_id"], alice)


async def test_log_structured_message_is_logged_with_its_message_id(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    other = await directory.project("Other")
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    await directory.member(other["id"], alice)
    bob = await directory.contact(project["id"], "bob", "bob@client.test")
    message = {"from": "alice@acme.test", "to": ["bob@client.test"], "subject": "Viewing",
               "text": "Saturday at ten?", "message_id": "<1@acme.test>",
               "date": "2026-11-24T10:00:00+00:00"}

    response = await client.post("/v1/log", headers=token, json={
        "message": message, "project_ids": [project["id"]]})

    assert response.status == 200, await response.text()
    decision = await response.json()
    assert (decision["status"], decision["message_id"]) == ("done", "<1@acme.test>")
    outcome = _only_outcome(decision)
    assert (outcome["project_id"], outcome["contact_id"], outcome["status"]) == (
        project["id"], bob, "logged")
    [interaction] = await directory.timeline(project["id"], bob)
    assert interaction["id"] == outcome["interaction_id"]
    assert (interaction["message"]["subject"], interaction["message"]["from"],
            interaction["message"]["to"]) == ("Viewing", "alice@acme.test",
                                              ["bob@client.test"])
    assert interaction["message"]["date"].startswith("2026-11-24T10:00:00")
    [received] = await directory.messages()
    assert (received["message_id"], received["channel"]) == ("<1@acme.test>", "log")


async def test_log_structured_fields_that_cannot_be_headers_are_422(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    _, token = await directory.member_with_token(project["id"], "alice@acme.test")
    base = {"from": "alice@acme.test", "to": ["bob@client.test"]}
    for field, value in (("date", "2026-13-45T00:00"), ("date", "next Tuesday"),
                         ("subject", "Hi\r\nBcc: eve@evil.test"), ("to", ["bob@"]),
                         ("message_id", "<two words@acme.test>")):
        problem = await problem_of(await client.post("/v1/log", headers=token, json={
            "message": {**base, field: value}}), 422)
        assert [e["field"] for e in problem["errors"]] == [f"message.{field}"], value
    assert await directory.messages() == []


async def test_log_structured_message_id_without_brackets_is_kept(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    _, token = await directory.member_with_token(project["id"], "alice@acme.test")
    await directory.contact(project["id"], "bob", "bob@client.test")

    response = await client.post("/v1/log", headers=token, json={"message": {
        "from": "alice@acme.test", "to": ["bob@client.test"], "message_id": "2@acme.test",
        "date": "Tue, 24 Nov 2026 10:00:00 +0000"}})

    assert response.status == 200, await response.text()
    decision = await response.json()
    assert (decision["message_id"], _only_outcome(decision)["status"]) == (
        "<2@acme.test>", "logged")


async def test_log_of_a_stranger_is_stored_but_not_logged(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    _, token = await directory.member_with_token(project["id"], "alice@acme.test")

    response = await client.post("/v1/log", data=RAW, headers={**token, **RFC822})

    assert response.status == 200, await response.text()
    decision = await response.json()
    outcome = _only_outcome(decision)
    assert (decision["status"], outcome["address"], outcome["status"], outcome["reason"]) == (
        "done", "bob@client.test", "not_logged", "no_contact")
    assert "interaction_id" not in outcome


async def test_log_sees_membership_changes_at_the_next_request(
        client: Client, directory: Directory) -> None:
    # Authentication reads the caller's projects with the token, for that request only.
    project = await directory.project()
    other = await directory.project("Other")
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    log_in = {"data": RAW, "headers": {**token, **RFC822}}
    await problem_of(await client.post("/v1/log", params={"project_id": other["id"]},
                                       **log_in), 422)
    await directory.member(other["id"], alice)
    response = await client.post("/v1/log", params={"project_id": other["id"]}, **log_in)
    assert response.status == 200, await response.text()
    removed = await client.delete(f"/v1/projects/{project['id']}/members/{alice}",
                                  headers=ADMIN)
    assert removed.status == 204, await removed.text()
    gone = await problem_of(await client.post("/v1/log", params={"project_id": project["id"]},
                                              **log_in), 422)
    assert gone["errors"][0]["message"] == f"Project {project['id']} does not exist."
    await directory.member(project["id"], alice)
    await client.delete(f"/v1/projects/{other['id']}/members/{alice}", headers=ADMIN)
    await client.delete(f"/v1/projects/{project['id']}/members/{alice}", headers=ADMIN)
    # A member of no project still authenticates; naming a project is then refused.
    response = await client.post("/v1/log", **log_in)
    assert response.status == 200, await response.text()
    await problem_of(await client.post("/v1/log", params={"project_id": project["id"]},
                                       **log_in), 422)


async def test_log_validation(client: Client, directory: Directory) -> None:
    project = await directory.project()
    other = await directory.project("Other")
    _, token = await directory.member_with_token(project["id"], "alice@acme.test")
    both = await problem_of(await client.post("/v1/log", headers=token, json={
        "raw": "aGk=", "message": {}}), 422)
    assert both["errors"][0]["field"] == "raw"
    await problem_of(await client.post("/v1/log", headers=token, json={"raw": "***"}), 422)
    bad_message = await problem_of(await client.post("/v1/log", headers=token, json={
        "message": {"to": "not-a-list", "subject": 3, "colour": "red"}}), 422)
    assert {e["field"] for e in bad_message["errors"]} == {"message.to", "message.subject",
                                                          "message.colour"}
    other_project = await problem_of(await client.post("/v1/log", headers=token, json={
        "raw": "aGk=", "project_ids": [other["id"]]}), 422)
    assert other_project["errors"][0]["field"] == "project_ids[0]"
    assert other_project["errors"][0]["message"] == f"Project {other['id']} does not exist."
    other_query = await problem_of(await client.post(
        "/v1/log", data=RAW, params={"project_id": other["id"]},
        headers={**token, **RFC822}), 422)
    assert other_query["errors"][0]["field"] == "project_ids[0]"
    await problem_of(await client.post("/v1/log", data=b"", headers={**token, **RFC822}), 422)
    await problem_of(await client.post("/v1/log", data=b"x", headers={
        **token, "Content-Type": "text/csv"}), 415)
    assert await directory.messages() == []


async def test_log_user_id_rules(
    client: Client, directory: Directory, store: Store
) -> None:
    project = await directory.project()
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    bob = await directory.user("bob@acme.test")
    contact = await directory.contact(project["id"], "bob", "bob@client.test")
    encoded = base64.b64encode(RAW).decode()
    missing = await problem_of(await client.post("/v1/log", headers=ADMIN,
                                                 json={"raw": encoded}), 422)
    assert missing["errors"][0]["field"] == "user_id"
    await problem_of(await client.post("/v1/log", headers=token, json={
        "raw": encoded, "user_id": bob["id"]}), 403)
    await problem_of(await client.post("/v1/log", headers=ADMIN, json={
        "raw": encoded, "user_id": "ghost"}), 422)
    assert await directory.messages() == []
    assert await store.run_read(_interaction_count) == 0

    response = await client.post("/v1/log", headers=ADMIN, json={"raw": encoded,
                                                                 "user_id": alice})

    assert response.status == 200, await response.text()
    decision = await response.json()
    assert decision["user_id"] == alice
    outcome = _only_outcome(decision)
    assert (outcome["status"], outcome["user_id"]) == ("logged", alice)
    [interaction] = await directory.timeline(project["id"], contact)
    assert interaction["user_id"] == alice


async def test_log_for_a_user_outside_the_project_is_not_logged(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    outsider = await directory.user("alice@acme.test")
    await directory.contact(project["id"], "bob", "bob@client.test")

    response = await client.post("/v1/log", headers=ADMIN, json={
        "raw": base64.b64encode(RAW).decode(), "user_id": outsider["id"],
        "project_ids": [project["id"]]})

    assert response.status == 200, await response.text()
    outcome = _only_outcome(await response.json())
    assert (outcome["project_id"], outcome["status"], outcome["reason"]) == (
        project["id"], "not_logged", "user_not_member")


async def test_explain_decides_and_records_nothing(
    client: Client, directory: Directory, store: Store
) -> None:
    project = await directory.project(settings={"sender_auth": "none"})
    alice, _ = await directory.member_with_token(project["id"], "alice@acme.test")
    bob = await directory.contact(project["id"], "bob", "bob@client.test")

    response = await client.post("/v1/explain", headers=ADMIN, json={
        "raw": base64.b64encode(RAW).decode(), "channel": "bcc",
        "project_ids": [project["id"]]})

    assert response.status == 200, await response.text()
    decision = await response.json()
    assert (decision["status"], decision["received_id"], decision["channel"],
            decision["message_id"], decision["quarantine_reason"]) == (
        "explained", None, "bcc", "<hi-1@acme.test>", None)
    outcome = _only_outcome(decision)
    assert (outcome["address"], outcome["contact_id"], outcome["status"],
            outcome["user_id"]) == ("bob@client.test", bob, "logged", alice)
    assert "interaction_id" not in outcome
    assert {"captured_by_user", "sender_auth_not_required", "contact_matched"} <= _reasons(
        decision)
    assert await directory.messages() == []
    assert await directory.timeline(project["id"], bob) == []
    assert await store.run_read(_interaction_count) == 0
    problem = await problem_of(await client.post("/v1/explain", headers=ADMIN,
                                                 json={"channel": "fax"}), 422)
    assert {e["field"] for e in problem["errors"]} == {"raw", "channel"}


async def test_explain_of_an_unsigned_bcc_to_an_aligned_project_is_quarantine(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    assert project["settings"]["sender_auth"] == "aligned"
    await directory.member_with_token(project["id"], "alice@acme.test")
    await directory.contact(project["id"], "bob", "bob@client.test")

    response = await client.post("/v1/explain", headers=ADMIN, json={
        "raw": base64.b64encode(RAW).decode(), "channel": "bcc",
        "project_ids": [project["id"]]})

    assert response.status == 200, await response.text()
    decision = await response.json()
    assert (decision["status"], decision["quarantine_reason"]) == (
        "explained", "sender_not_authenticated")
    assert ("sender-authenticated", "fail", "sender_not_authenticated") in {
        (s["rule"], s["verdict"], s["reason"]) for s in decision["trace"]}
    assert await directory.messages() == []


async def test_explain_as_a_user_on_another_project_is_422(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    other = await directory.project("Other")
    _, token = await directory.member_with_token(project["id"], "alice@acme.test")
    problem = await problem_of(await client.post("/v1/explain", headers=token, json={
        "raw": base64.b64encode(RAW).decode(), "channel": "log",
        "project_ids": [other["id"]]}), 422)
    assert problem["errors"][0]["field"] == "project_ids[0]"


async def test_explain_of_a_log_or_sync_needs_a_user(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    alice, _ = await directory.member_with_token(project["id"], "alice@acme.test")
    await directory.contact(project["id"], "bob", "bob@client.test")
    encoded = base64.b64encode(RAW).decode()
    for channel in ("log", "sync"):
        problem = await problem_of(await client.post("/v1/explain", headers=ADMIN, json={
            "raw": encoded, "channel": channel}), 422)
        assert problem["errors"][0]["field"] == "user_id"

    response = await client.post("/v1/explain", headers=ADMIN, json={
        "raw": encoded, "channel": "log", "user_id": alice})

    assert response.status == 200, await response.text()
    outcome = _only_outcome(await response.json())
    assert (outcome["project_id"], outcome["status"], outcome["user_id"]) == (
        project["id"], "logged", alice)
    assert await directory.messages() == []


async def test_capture_without_processing_is_503(
    aiohttp_client: AiohttpClient, settings: Settings,
    store: Store,
) -> None:
    app: web.Application = create_app(settings, store, None)
    client = await aiohttp_client(app)
    user = await (await client.post("/v1/users", headers=ADMIN, json={
        "name": "A", "email": "a@acme.test"})).json()
    response = await client.post("/v1/log", headers=ADMIN, json={
        "raw": base64.b64encode(RAW).decode(), "user_id": user["id"]})
    await problem_of(response, 503)


async def test_oversized_body_is_413(
    aiohttp_client: AiohttpClient, api_settings: Settings,
    store: Store, processing_service: ProcessingService,
) -> None:
    small = dataclasses.replace(api_settings, http_max_body=1024)
    client = await aiohttp_client(create_app(small, store, processing_service))
    response = await client.post("/v1/log", data=b"x" * 4096,
                                 headers={**ADMIN, **RFC822})
    problem = await problem_of(response, 413)
    assert problem["type"] == "https://blindcopy.dev/problems/payload-too-large"
    response = await client.post("/v1/projects", json={"name": "x" * 4096}, headers=ADMIN)
    await problem_of(response, 413)
    listed = await client.get("/v1/messages", headers=ADMIN)
    assert (await listed.json())["items"] == []


async def test_log_and_explain_read_a_body_without_content_type_as_json(
    client: Client, directory: Directory
) -> None:
    # One rule for both capture routes: no Content-Type is JSON, another type is 415.
    project = await directory.project(settings={"sender_auth": "none"})
    _, token = await directory.member_with_token(project["id"], "alice@acme.test")
    await directory.contact(project["id"], "bob", "bob@client.test")
    encoded = base64.b64encode(RAW).decode()
    untyped = {"skip_auto_headers": ["Content-Type"], "headers": token}
    for path, body in (("/v1/explain", {"raw": encoded, "channel": "log"}),
                       ("/v1/log", {"raw": encoded, "project_ids": [project["id"]]})):
        response = await client.post(path, data=json.dumps(body).encode(), **untyped)
        assert response.status == 200, (path, await response.text())
        assert [o["status"] for o in (await response.json())["outcomes"]] == ["logged"], path
        form = await problem_of(await client.post(path, data=json.dumps(body), headers={
            **token, "Content-Type": "application/x-www-form-urlencoded"}), 415)
        assert "Send " in form["detail"] and "application/json" in form["detail"]
    await problem_of(await client.post("/v1/explain", data=RAW, headers={**token, **RFC822}),
                     415)

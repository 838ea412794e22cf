"""The Log button and the dry run over HTTP (processing through the stand-in port)."""

from __future__ import annotations

import base64
import dataclasses

from aiohttp import web
from pytest_aiohttp import AiohttpClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from blindcopy.settings import Settings
from tests.integration.api.support import (
    ADMIN,
    Client,
    Directory,
    FakeProcessingPortForApiTests,
    problem_of,
)

RAW = b"From: alice@acme.test\r\nTo: bob@client.test\r\nSubject: Hi\r\n\r\nHello\r\n"
RFC822 = {"Content-Type": "message/rfc822"}


async def test_log_raw_body_as_caller(
    client: Client, directory: Directory, fake_processing: FakeProcessingPortForApiTests
) -> None:
    project = await directory.project()
    user_id, token = await directory.member_with_token(project["id"], "alice@acme.test")
    response = await client.post("/v1/log", data=RAW, params={"project_id": project["id"]},
                                 headers={**token, **RFC822})
    assert response.status == 200
    assert fake_processing.calls == [("log_message", {
        "raw": RAW, "user_id": user_id, "project_ids": [project["id"]]})]


async def test_log_json_base64_and_structured(
    client: Client, directory: Directory, fake_processing: FakeProcessingPortForApiTests
) -> None:
    project = await directory.project()
    user_id, token = await directory.member_with_token(project["id"], "alice@acme.test")
    raw = await client.post("/v1/log", headers=token, json={
        "raw": base64.b64encode(RAW).decode()})
    message = {"from": "alice@acme.test", "to": ["bob@client.test"], "subject": "Hi",
               "text": "Hello", "message_id": "<1@acme.test>"}
    structured = await client.post("/v1/log", headers=token, json={
        "message": message, "project_ids": [project["id"]]})
    assert (raw.status, structured.status) == (200, 200)
    assert fake_processing.calls == [
        ("log_message", {"raw": RAW, "user_id": user_id, "project_ids": []}),
        ("log_structured", {"message": message, "user_id": user_id,
                            "project_ids": [project["id"]]}),
    ]


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
    await problem_of(await client.post("/v1/log", data=b"", headers={**token, **RFC822}), 422)
    await problem_of(await client.post("/v1/log", data=b"x", headers={
        **token, "Content-Type": "text/csv"}), 415)


async def test_log_user_id_rules(
    client: Client, directory: Directory, fake_processing: FakeProcessingPortForApiTests
) -> None:
    project = await directory.project()
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    bob = await directory.user("bob@acme.test")
    encoded = base64.b64encode(RAW).decode()
    missing = await problem_of(await client.post("/v1/log", headers=ADMIN,
                                                 json={"raw": encoded}), 422)
    assert missing["errors"][0]["field"] == "user_id"
    await problem_of(await client.post("/v1/log", headers=token, json={
        "raw": encoded, "user_id": bob["id"]}), 403)
    await problem_of(await client.post("/v1/log", headers=ADMIN, json={
        "raw": encoded, "user_id": "ghost"}), 422)
    response = await client.post("/v1/log", headers=ADMIN, json={"raw": encoded,
                                                                 "user_id": alice})
    assert response.status == 200 and fake_processing.calls[-1][1]["user_id"] == alice


async def test_explain(
    client: Client, directory: Directory, fake_processing: FakeProcessingPortForApiTests
) -> None:
    project = await directory.project()
    response = await client.post("/v1/explain", headers=ADMIN, json={
        "raw": base64.b64encode(RAW).decode(), "channel": "bcc",
        "project_ids": [project["id"]]})
    assert response.status == 200
    assert fake_processing.calls == [("explain", {"raw": RAW, "channel": "bcc", "user_id": None,
                                                  "project_ids": [project["id"]]})]
    problem = await problem_of(await client.post("/v1/explain", headers=ADMIN,
                                                 json={"channel": "fax"}), 422)
    assert {e["field"] for e in problem["errors"]} == {"raw", "channel"}


async def test_capture_without_processing_is_503(
    aiohttp_client: AiohttpClient, settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    app: web.Application = create_app(settings, sessionmaker, None)
    client = await aiohttp_client(app)
    user = await (await client.post("/v1/users", headers=ADMIN, json={
        "name": "A", "email": "a@acme.test"})).json()
    response = await client.post("/v1/log", headers=ADMIN, json={
        "raw": base64.b64encode(RAW).decode(), "user_id": user["id"]})
    await problem_of(response, 503)


async def test_oversized_body_is_413(
    aiohttp_client: AiohttpClient, settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    small = dataclasses.replace(settings, http_max_body=1024)
    client = await aiohttp_client(
        create_app(small, sessionmaker, FakeProcessingPortForApiTests()))
    response = await client.post("/v1/log", data=b"x" * 4096,
                                 headers={**ADMIN, **RFC822})
    problem = await problem_of(response, 413)
    assert problem["type"] == "https://blindcopy.dev/problems/payload-too-large"
    response = await client.post("/v1/projects", json={"name": "x" * 4096}, headers=ADMIN)
    await problem_of(response, 413)

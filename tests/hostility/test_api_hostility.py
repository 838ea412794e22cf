"""Hostile API clients against the running service over a real socket (SPEC §5).

Schemathesis fuzzes every operation of /v1/openapi.json and finds no 5xx (nor an answer the
document does not describe); a user's token cannot read or change another project's data
through any route of the router; oversized bodies get 413 problem+json; tokens are stored
only as SHA-256 hashes.

The service runs on the test's event loop; schemathesis and Hypothesis are synchronous, so
they run in a worker thread (a blocking call on the loop would stall the server).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from sqlalchemy import select

from api.auth import PUBLIC_PATHS
from api.openapi import build_document
from api.routes import ROUTES
from blindcopy.runtime import Service, start_service
from config.settings import Settings, load_settings
from store.models import ApiToken
from tests.client import ApiClient
from tests.conftest import ADMIN_TOKEN
from tests.database import fresh_database_url
from tests.hostility.api_world import (
    World,
    base64_message,
    build_world,
    project_b_state,
    raw_message,
)
from tests.hostility.conftest import LIMITS, MAIL_DOMAIN

pytestmark = pytest.mark.asyncio(loop_scope="module")

FORBIDDEN = 403
NOT_FOUND = 404
PAYLOAD_TOO_LARGE = 413
INVALID = 422
PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_TOO_LARGE = "https://blindcopy.dev/problems/payload-too-large"
# Fuzzing budget: examples per generation mode (valid and invalid data) per operation.
EXAMPLES_PER_MODE = 15
DOCUMENT = build_document()
OPERATIONS = [(method.upper(), path) for path, item in DOCUMENT["paths"].items()
              for method in item]
PROTECTED_ROUTES = [(r.method, r.path) for r in ROUTES if r.path not in PUBLIC_PATHS]
A_MISSING_ID = "0" * 32


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def module_settings(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    """Return settings on one fresh database for this module (SQLite or PostgreSQL)."""
    with fresh_database_url(tmp_path_factory.mktemp("api-hostility")) as url:
        yield load_settings({}, database_url=url, smtp_port=0, http_port=0,
                            admin_token=ADMIN_TOKEN, secret="test-secret",
                            mail_domain=MAIL_DOMAIN, workers=0, **LIMITS,
                            # Fuzzed webhook URLs are not resolved (no DNS off loopback),
                            # and without workers nothing is delivered to them.
                            webhook_allow_private=True)


async def _running_world(settings: Settings) -> tuple[Service, ApiClient, World]:
    service = await start_service(settings, smtp=False, workers=0)
    admin = await ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN).__aenter__()
    return service, admin, await build_world(service, admin)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(module_settings: Settings) -> AsyncIterator[tuple[Service, ApiClient, World]]:
    """Run the API (no SMTP, no workers) with projects A and B for the access tests."""
    service, admin, built = await _running_world(module_settings)
    yield service, admin, built
    await admin.__aexit__(None, None, None)
    await service.stop()


# A user's token and another project's data: every route of the router.

def _b_path_value(path: str, name: str, world: World) -> str:
    """Return project B's resource for a path parameter (a new route must be added here)."""
    if path.startswith("/v1/projects/{pid}/companies/{cid}"):
        return world.project_b if name == "pid" else world.b_company
    if path.startswith("/v1/webhooks/"):  # admin-only: any id is refused the same way
        return A_MISSING_ID
    by_name = {"pid": world.project_b, "uid": world.bob, "cid": world.b_contact,
               "tid": world.bob_token_id, "did": world.b_deal}
    if name in by_name:
        return by_name[name]
    by_prefix = {"/v1/projects/{pid}/ignored/": world.b_ignored,
                 "/v1/users/{uid}/never-log/": world.b_personal_never_log,
                 "/v1/projects/{pid}/never-log/": world.b_never_log,
                 "/v1/mailboxes/": world.b_mailbox, "/v1/interactions/": world.b_interaction,
                 "/v1/messages/": world.b_received, "/v1/threads/": world.b_thread,
                 "/v1/quarantine/": world.b_received, "/v1/ignored/": world.global_ignored,
                 "/v1/tokens/": world.bob_token_id}
    for prefix, value in by_prefix.items():
        if path.startswith(prefix):
            return value
    raise AssertionError(f"{path}: say which of project B's resources {{{name}}} names")


# Valid bodies (by OpenAPI request schema) aimed at project B, so that a refusal comes from
# access control and not from validation.
BODIES: dict[str, Callable[[World], Any]] = {
    "ProjectCreate": lambda w: {"name": "Hijack"},
    "ProjectPatch": lambda w: {"name": "Hijacked", "settings": {"logging_mode": "all"}},
    "UserCreate": lambda w: {"name": "Eve", "email": "eve@evil.test", "role": "admin"},
    "UserPatch": lambda w: {"role": "admin", "email": "eve@evil.test"},
    "MailboxCreate": lambda w: {"user_id": w.alice, "address": "alice@mail.a.test",
                                "project_ids": [w.project_b]},
    "MailboxPatch": lambda w: {"user_id": w.alice, "project_ids": [w.project_b]},
    "ContactUpsert": lambda w: [{"external_id": "carol", "name": "Hijacked",
                                 "emails": ["eve@evil.test"]}],
    "CompanyUpsert": lambda w: [{"external_id": "client", "name": "Hijacked",
                                 "domains": ["evil.test"]}],
    "DealUpsert": lambda w: [{"external_id": "deal", "name": "Hijacked", "status": "lost",
                              "contact_external_ids": ["carol"],
                              "updated_at": "2026-11-24T00:00:00Z"}],
    "IgnoredCreate": lambda w: {"pattern": "client.test"},
    "NeverLogCreate": lambda w: {"address": "carol@client.test"},
    "LogRequest": lambda w: {"raw": base64_message(), "project_ids": [w.project_b]},
    "ExplainRequest": lambda w: {"raw": base64_message(), "channel": "log",
                                 "project_ids": [w.project_b]},
    "Assignment": lambda w: {"project_ids": [w.project_b]},
    "InteractionPatch": lambda w: {"private": True},
    "ErasureRequest": lambda w: {"address": "carol@client.test", "project_id": w.project_b},
    "WebhookCreate": lambda w: {"url": "http://127.0.0.1:9/hook",
                                "project_ids": [w.project_b]},
    "TokenCreate": lambda w: {"name": "hijack", "scopes": ["read"]},
    "Match": lambda w: {"address": "carol@client.test", "contact_id": w.b_contact},
}
# Queries a route needs to get past validation, aimed at project B.
QUERIES: dict[str, str] = {"/v1/lookup": "?address=carol@client.test&address=bob@b.test"}


def _b_url(path: str, world: World) -> str:
    """Return the route's path with project B's resources in it."""
    return re.sub(r"\{(\w+)\}", lambda m: _b_path_value(path, m.group(1), world), path)


def _request_for(method: str, path: str, world: World) -> tuple[str, dict[str, Any]]:
    """Return the URL and request options of an attack on project B through this route."""
    url = _b_url(path, world) + QUERIES.get(path, "")
    operation = DOCUMENT["paths"][path][method.lower()]
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        schema = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert schema in BODIES, f"{method} {path}: add a valid {schema} body to BODIES"
        return url, {"json": BODIES[schema](world)}
    if content:
        return url, {"data": raw_message("<alice-try@a.test>"),
                     "headers": {"Content-Type": "message/rfc822"}}
    return url, {}


def _with_missing_ids(value: Any, world: World) -> Any:
    """Return `value` (URL, JSON body, options) naming missing ids instead of project B's."""
    if isinstance(value, str):
        for real in world.b_ids():
            value = value.replace(real, A_MISSING_ID)
        return value
    if isinstance(value, dict):
        return {key: _with_missing_ids(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_missing_ids(item, world) for item in value]
    return value


@pytest.mark.parametrize(("method", "path"), PROTECTED_ROUTES,
                         ids=[f"{m} {p}" for m, p in PROTECTED_ROUTES])
async def test_user_token_cannot_reach_another_projects_data(
        world: tuple[Service, ApiClient, World], method: str, path: str) -> None:
    _service, admin, w = world
    alice = admin.as_user(w.alice_token)
    before = await project_b_state(admin, w)
    url, options = _request_for(method, path, w)

    status, body = await alice.request(method, url, **options)

    if method == "GET" and "{" not in path:
        # A collection: Alice may list, but nothing of project B may show.
        assert status in (200, FORBIDDEN), (status, body)
        leaked = [value for value in w.b_ids() if value in repr(body)]
        assert leaked == [], f"{method} {path} shows project B's {leaked}"
    else:
        # Refused exactly like something that does not exist (or admin-only), so ids of
        # other projects neither work nor leak.
        assert status in (FORBIDDEN, NOT_FOUND, INVALID), (status, body)
        missing_status, missing_body = await alice.request(
            method, _with_missing_ids(url, w), **_with_missing_ids(options, w))
        assert (status, body["type"]) == (missing_status, missing_body["type"])
    assert await project_b_state(admin, w) == before


async def test_every_route_is_attacked() -> None:
    # The parametrization comes from the router itself; the document must list the same
    # operations so the attacks above know each route's body.
    assert sorted(PROTECTED_ROUTES) == sorted(
        (m, p) for m, p in OPERATIONS if p not in PUBLIC_PATHS)


# Oversized bodies: 413 problem+json on every operation that takes a body.

BODY_OPERATIONS = [(m, p) for m, p in OPERATIONS
                   if "requestBody" in DOCUMENT["paths"][p][m.lower()]]


async def test_oversized_bodies_get_413_problem_json(
        world: tuple[Service, ApiClient, World]) -> None:
    _service, admin, w = world
    too_big = b"x" * (LIMITS["http_max_body"] + 1024)
    answers = {}
    for method, path in BODY_OPERATIONS:
        url = _b_url(path, w)
        content = DOCUMENT["paths"][path][method.lower()]["requestBody"]["content"]
        content_type = "application/json" if "application/json" in content else "message/rfc822"
        assert admin._session is not None
        async with admin._session.request(
                method, admin.base_url + url, data=too_big,
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                         "Content-Type": content_type}) as response:
            body = await response.json(content_type=None)
            answers[f"{method} {path}"] = (response.status, response.content_type,
                                           body.get("type"))
    expected = (PAYLOAD_TOO_LARGE, PROBLEM_JSON, PROBLEM_TYPE_TOO_LARGE)
    assert answers == {operation: expected for operation in answers}


# Malformed input found by fuzzing, pinned: a client's mistake is 4xx, never 500.

JSON_BODY_OPERATIONS = [(m, p) for m, p in BODY_OPERATIONS if "application/json"
                        in DOCUMENT["paths"][p][m.lower()]["requestBody"]["content"]]
PAGED_OPERATIONS = [(m, p) for m, p in OPERATIONS if any(
    q["name"] == "limit" for q in DOCUMENT["paths"][p][m.lower()]["parameters"])]


async def test_non_utf8_json_bodies_and_non_ascii_digits_are_client_errors(
        world: tuple[Service, ApiClient, World]) -> None:
    _service, admin, w = world
    answers = {}
    for method, path in JSON_BODY_OPERATIONS:
        status, _ = await admin.request(method, _b_url(path, w), data=b"\xff\xfe{",
                                        headers={"Content-Type": "application/json"})
        answers[f"{method} {path}"] = status
    for method, path in PAGED_OPERATIONS:
        status, _ = await admin.request(method, _b_url(path, w) + "?limit=%C2%B2")
        answers[f"{method} {path}?limit=²"] = status
    assert {k: v for k, v in answers.items() if not 400 <= v < 500} == {}


# Tokens at rest: only a SHA-256 hash, which is not itself a credential.

async def test_tokens_are_stored_only_as_sha256_hashes(
        world: tuple[Service, ApiClient, World], module_settings: Settings) -> None:
    service, admin, w = world
    issued = await admin.post(f"/v1/users/{w.alice}/tokens", expect=201)
    token = issued["token"]
    row = await service.store.run_read(lambda session: session.execute(
        select(ApiToken).where(ApiToken.id == issued["id"])).scalar_one())
    stored = [str(getattr(row, column.key)) for column in ApiToken.__table__.columns]
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not any(token in value for value in stored)
    if module_settings.database_url.startswith("sqlite:///"):
        database = Path(module_settings.database_url.removeprefix("sqlite:///"))
        for path in database.parent.glob(database.name + "*"):  # the file, -wal, -journal
            assert token.encode() not in path.read_bytes(), path
    await admin.as_user(token).get("/v1/users")
    status, _ = await admin.as_user(row.token_hash).request("GET", "/v1/users")
    assert status == 401


# Schemathesis over the live document: no 5xx, and every answer is one the document gives.

@schemathesis.serializer("message/rfc822")
def _rfc822(_context: Any, value: Any) -> bytes:
    # Valid data is a string; invalid data may be any JSON value: send it as its JSON text.
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


FUZZ_CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
               checks.response_schema_conformance]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def fuzz_target(tmp_path_factory: pytest.TempPathFactory
                      ) -> AsyncIterator[tuple[str, World, Any]]:
    """Run a second service (its own database) for fuzzing; return URL, world and schema."""
    with fresh_database_url(tmp_path_factory.mktemp("api-fuzz")) as url:
        settings = load_settings({}, database_url=url, smtp_port=0, http_port=0,
                                 admin_token=ADMIN_TOKEN, secret="test-secret",
                                 mail_domain=MAIL_DOMAIN, workers=0, **LIMITS)
        service, admin, built = await _running_world(settings)
        base_url = f"http://127.0.0.1:{service.http_port}"
        schema = await asyncio.to_thread(schemathesis.openapi.from_url,
                                         base_url + "/v1/openapi.json")
        yield base_url, built, schema
        await admin.__aexit__(None, None, None)
        await service.stop()


def _fuzz(schema: Any, method: str, path: str, base_url: str, world: World) -> None:
    operation = schema[path][method]
    names = re.findall(r"\{(\w+)\}", path)
    strategies = []
    for mode in GenerationMode:
        strategies.append(operation.as_strategy(mode))
        if names:
            # Real ids too, so that requests get past "not found" into the handlers.
            real = {name: _b_path_value(path, name, world) for name in names}
            strategies.append(operation.as_strategy(mode, path_parameters=real))

    @given(case=st.one_of(strategies))
    @hypothesis_settings(max_examples=EXAMPLES_PER_MODE * len(GenerationMode), deadline=None,
                         derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        response = case.call(base_url=base_url, timeout=10,
                             headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        case.validate_response(response, checks=FUZZ_CHECKS)

    check()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
async def test_fuzzed_requests_get_no_server_error_and_documented_answers(
        fuzz_target: tuple[str, World, Any], method: str, path: str) -> None:
    base_url, world, schema = fuzz_target
    await asyncio.to_thread(_fuzz, schema, method, path, base_url, world)


"""JSON nested far deeper than any request needs is a 400 problem, never a server error.

The JSON reader recurses once per level; 100,000 levels used to raise RecursionError out of
it, answered 500. Every route that takes a JSON body is tried, and the page cursor (JSON
in base64, read from the query) too.
"""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from api.routes import ROUTES
from config.settings import Settings
from tests.client import ApiClient

MALFORMED = "https://blindcopy.dev/problems/malformed-request"
LEVELS = 100_000
A_MISSING_ID = "0" * 32
JSON_ROUTES = [(route.method, route.path) for route in ROUTES
               if route.method in ("POST", "PUT", "PATCH")]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Return the hostility settings with room for 100,000 levels (200 KB) in a body."""
    return replace(settings, http_max_body=1024 * 1024)


def nested_lists(levels: int) -> bytes:
    """Return `[[[…]]]` nested `levels` deep."""
    return b"[" * levels + b"]" * levels


def nested_objects(levels: int) -> bytes:
    """Return `{"a": {"a": …}}` nested `levels` deep."""
    return b'{"a":' * levels + b"1" + b"}" * levels


def _path(template: str) -> str:
    for name in ("{pid}", "{uid}", "{cid}", "{id}", "{tid}"):
        template = template.replace(name, A_MISSING_ID)
    return template


@pytest.mark.parametrize("build", [nested_lists, nested_objects], ids=["lists", "objects"])
@pytest.mark.parametrize("route", [("POST", "/v1/projects"), ("POST", "/v1/log"),
                                   ("POST", "/v1/explain"), ("POST", "/v1/users"),
                                   ("POST", "/v1/mailboxes")], ids=lambda r: r[1])
async def test_deeply_nested_json_body_is_a_400_problem(
        api: ApiClient, route: tuple[str, str], build: object) -> None:
    method, path = route
    assert callable(build)
    status, body = await api.request(method, path, data=build(LEVELS),
                                     headers={"Content-Type": "application/json"})
    assert (status, body["type"]) == (400, MALFORMED), body
    assert body["detail"] == "The request body is not valid JSON."


@pytest.mark.parametrize("route", JSON_ROUTES, ids=[f"{m} {p}" for m, p in JSON_ROUTES])
async def test_no_route_answers_deep_json_with_a_server_error(
        api: ApiClient, route: tuple[str, str]) -> None:
    method, path = route
    status, body = await api.request(method, _path(path), data=nested_lists(LEVELS),
                                     headers={"Content-Type": "application/json"})
    # A route that looks its resource up first may say 404 (or 409, 422) before it reads
    # the body; none may fail.
    assert status < 500, (method, path, status, body)


async def test_deeply_nested_page_cursor_is_a_422_field_error(api: ApiClient) -> None:
    # The query line is bounded (8 KB), which still holds thousands of levels.
    cursor = base64.urlsafe_b64encode(nested_lists(3_000)).decode().rstrip("=")
    status, body = await api.request("GET", f"/v1/messages?cursor={cursor}")
    assert status == 422, body
    assert body["errors"] == [{"field": "cursor",
                               "message": "is not a cursor this API returned"}]

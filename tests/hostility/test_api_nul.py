"""NUL characters (which PostgreSQL cannot store or compare) are refused as bad input."""

from __future__ import annotations

import pytest

from tests.client import ApiClient


@pytest.mark.parametrize("path", ["/v1/projects/%00", "/v1/messages?message_id=%00",
                                  "/v1/projects?cursor=a%00b"])
async def test_nul_characters_in_path_or_query_are_a_400_problem(api: ApiClient,
                                                                 path: str) -> None:
    status, body = await api.request("GET", path)
    assert (status, body["type"]) == (400, "https://blindcopy.dev/problems/malformed-request")


async def test_nul_characters_in_body_strings_are_field_errors(api: ApiClient) -> None:
    status, body = await api.request("POST", "/v1/projects", json={"name": "Acme\u0000"})
    assert status == 422
    assert body["errors"] == [{"field": "name", "message": "must not contain NUL characters"}]

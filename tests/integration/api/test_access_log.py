"""The API's access log (one JSON line a request, never the token) and its latency by route."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from blindcopy.logs import JsonFormatter
from tests.conftest import ADMIN_TOKEN
from tests.integration.api.support import ADMIN, Client, Directory

ACCESS_LOGGER = "blindcopy.access"


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """Return the access log records as the service writes them (JSON objects)."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records
            if record.name == ACCESS_LOGGER]


async def test_each_request_is_logged_with_route_status_caller_and_no_token(
        client: Client, directory: Directory, caplog: pytest.LogCaptureFixture) -> None:
    project = await directory.project()
    user_id, token = await directory.member_with_token(project["id"], "alice@acme.test")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        answered = await client.get(f"/v1/projects/{project['id']}", headers=token)
        refused = await client.get("/v1/projects", headers={"Authorization": "Bearer nope"})
        admin = await client.get("/v1/users", headers={**ADMIN, "X-Request-Id": "lb-42"})
        missing = await client.get("/no/such/path", headers=ADMIN)
    assert [answered.status, refused.status, admin.status, missing.status] == [200, 401, 200,
                                                                                 404]
    lines = access_lines(caplog)
    assert [(line["method"], line["route"], line["status"], line["caller_id"])
            for line in lines] == [("GET", "/v1/projects/{pid}", 200, user_id),
                                   ("GET", "/v1/projects", 401, None),
                                   ("GET", "/v1/users", 200, "admin"),
                                   ("GET", "unmatched", 404, "admin")]
    assert all(line["message"] == "request" and line["level"] == "info" for line in lines)
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    # Each answer names its request id; a proxy's well-formed one is kept.
    assert [line["request_id"] for line in lines] == [
        response.headers["X-Request-Id"] for response in (answered, refused, admin, missing)]
    assert lines[2]["request_id"] == "lb-42"
    assert len({line["request_id"] for line in lines}) == 4
    written = "\n".join(json.dumps(line) for line in lines)
    assert token["Authorization"].split()[1] not in written and ADMIN_TOKEN not in written
    assert "nope" not in written


async def test_a_request_id_that_is_not_a_short_token_is_replaced(
        client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        response = await client.get("/healthz", headers={"X-Request-Id": "a b\"{}" * 20})
    [line] = access_lines(caplog)
    assert response.headers["X-Request-Id"] == line["request_id"]
    assert len(str(line["request_id"])) == 32 and str(line["request_id"]).isalnum()


async def test_metrics_show_api_latency_by_route_and_the_build(
        client: Client, directory: Directory) -> None:
    project = await directory.project()
    for _ in range(3):
        assert (await client.get(f"/v1/projects/{project['id']}", headers=ADMIN)).status == 200
    body = await (await client.get("/metrics", headers=ADMIN)).text()
    found = {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
             for family in text_string_to_metric_families(body) for sample in family.samples}
    count = "blindcopy_http_request_duration_seconds_count"
    assert found[(count, (("method", "GET"), ("route", "/v1/projects/{pid}")))] == 3
    assert found[(count, (("method", "POST"), ("route", "/v1/projects")))] == 1
    [(labels, value)] = [(dict(labels), value) for (name, labels), value in found.items()
                         if name == "blindcopy_build_info"]
    assert value == 1 and labels["version"] and labels["python"].startswith("3.")

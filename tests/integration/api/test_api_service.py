"""Health, readiness, the OpenAPI document and error answers of the service as a whole."""

from __future__ import annotations

from pathlib import Path

from pytest_aiohttp import AiohttpClient

from api.app import create_app
from api.openapi import OPERATIONS
from config.settings import Settings
from store.database import Store, create_engine
from store.schema import migrate
from tests.integration.api.support import ADMIN, Client, problem_of


async def test_healthz_and_readyz(client: Client) -> None:
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/readyz")).status == 200


async def test_readyz_without_store_is_503(aiohttp_client: AiohttpClient, settings: Settings,
                                           tmp_path: object) -> None:
    store = Store(create_engine("postgresql://nobody@127.0.0.1:1/none"))
    client = await aiohttp_client(create_app(settings, store))
    await problem_of(await client.get("/readyz"), 503)
    assert (await client.get("/healthz")).status == 200
    store.close()


async def test_openapi_matches_routes(client: Client) -> None:
    response = await client.get("/v1/openapi.json")
    document = await response.json()
    assert response.status == 200 and document["openapi"].startswith("3.1")
    documented = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item}
    app = client.app
    assert app is not None
    # The console's pages are HTML, not API operations.
    routed = {(route.method, route.resource.canonical) for route in app.router.routes()
              if route.resource is not None
              and not route.resource.canonical.startswith("/console")}
    assert documented == routed == set(OPERATIONS)


async def test_openapi_references_resolve(client: Client) -> None:
    document = await (await client.get("/v1/openapi.json")).json()
    text = str(document)
    schemas = document["components"]["schemas"]
    for name in {part.split("'")[0] for part in text.split("#/components/schemas/")[1:]}:
        assert name in schemas, name


async def test_unknown_route_and_method_are_problems(client: Client) -> None:
    await problem_of(await client.get("/v1/nothing", headers=ADMIN), 404)
    response = await client.delete("/v1/projects", headers=ADMIN)
    await problem_of(response, 405)
    assert "POST" in response.headers["Allow"]


async def test_unreachable_store_is_a_503_problem_without_internals(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    store = Store(create_engine("postgresql://nobody@127.0.0.1:1/none"))
    client = await aiohttp_client(create_app(settings, store))
    response = await client.get("/v1/projects", headers=ADMIN)
    problem = await problem_of(response, 503)
    assert problem["detail"] == "The store is unavailable; try again shortly."
    assert "Traceback" not in await response.text() and "127.0.0.1" not in await response.text()
    store.close()


async def test_unexpected_error_is_a_500_problem_without_internals(
    aiohttp_client: AiohttpClient, settings: Settings, tmp_path: Path
) -> None:
    # A row the code cannot read (a timestamp that is not one) is a server error, not an
    # outage: retrying would fail the same way.
    engine = create_engine(f"sqlite:///{tmp_path / 'broken.db'}")
    migrate(engine)
    store = Store(engine)
    client = await aiohttp_client(create_app(settings, store))
    await client.post("/v1/projects", headers=ADMIN, json={"name": "Acme Homes"})
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE projects SET created_at = 'not a date'")
    response = await client.get("/v1/projects", headers=ADMIN)
    problem = await problem_of(response, 500)
    assert problem["detail"] == "The server could not answer this request."
    assert "Traceback" not in await response.text() and "not a date" not in await response.text()
    store.close()

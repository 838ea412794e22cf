"""The console's sessions over HTTP: sign in, cookie flags, CSRF, origin, sign out, revocation."""

from __future__ import annotations

import dataclasses
import re

from aiohttp import ClientSession, CookieJar
from pytest_aiohttp import AiohttpClient

from api.app import create_app
from config.settings import Settings
from processing.service import ProcessingService
from store.database import Store
from tests.integration.api.support import ADMIN, Client, Directory

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _signed_in(client: Client, token: str) -> tuple[ClientSession, str]:
    """Sign in with a browser-like session of our own; return it and its page's CSRF token."""
    browser = ClientSession(cookie_jar=CookieJar(unsafe=True))
    base = str(client.make_url("/console/sign-in"))
    async with browser.post(base, data={"token": token}, allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/console/pending"
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console/" in cookie
        assert "Secure" not in cookie  # plain HTTP here
    async with browser.get(client.make_url("/console/pending")) as response:
        assert response.status == 200
        page = await response.text()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match is not None
    return browser, match.group(1)


async def test_sign_in_refuses_a_wrong_token_and_pages_need_a_session(client: Client) -> None:
    response = await client.post("/console/sign-in", data={"token": "bc_nope"})
    assert response.status == 401
    assert "That API token is not valid." in await response.text()
    assert "Set-Cookie" not in response.headers
    response = await client.get("/console/pending", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/console/sign-in")
    page = await (await client.get("/console/sign-in")).text()
    assert '<label for="token">API token</label>' in page and ">Sign in</button>" in page


async def test_forms_need_the_sessions_csrf_token_and_this_origin(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    _alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    browser, csrf = await _signed_in(client, token["Authorization"].split()[1])
    sign_out = client.make_url("/console/sign-out")
    try:
        async with browser.post(sign_out, data={}, allow_redirects=False) as response:
            assert response.status == 403
            assert "This form has expired" in await response.text()
        async with browser.post(sign_out, data={"csrf": csrf}, allow_redirects=False,
                                headers={"Origin": "https://evil.test"}) as response:
            assert response.status == 403
        async with browser.post(sign_out, data={"csrf": csrf},
                                allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (303, "/console/sign-in")
        # Signed out: the same cookie, had it been kept, opens nothing any more.
        async with browser.get(client.make_url("/console/pending"),
                               allow_redirects=False) as response:
            assert response.status == 303
    finally:
        await browser.close()


async def test_a_revoked_token_ends_its_console_sessions(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    browser, _csrf = await _signed_in(client, token["Authorization"].split()[1])
    try:
        tokens = await (await client.get(f"/v1/users/{alice}/tokens", headers=ADMIN)).json()
        for item in tokens["items"]:
            revoked = await client.delete(f"/v1/users/{alice}/tokens/{item['id']}",
                                          headers=ADMIN)
            assert revoked.status == 204
        async with browser.get(client.make_url("/console/pending"),
                               allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (303, "/console/sign-in")
    finally:
        await browser.close()


async def test_pages_are_not_cached_and_load_nothing_from_elsewhere(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    _alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    browser, _csrf = await _signed_in(client, token["Authorization"].split()[1])
    try:
        async with browser.get(client.make_url("/console/unmatched")) as response:
            assert response.headers["Cache-Control"] == "no-store"
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
            assert "<script" not in await response.text()
        async with browser.get(client.make_url("/console/static/console.css")) as response:
            assert response.status == 200 and response.content_type == "text/css"
    finally:
        await browser.close()


async def test_cookie_is_secure_when_the_console_is_reached_over_https(
    aiohttp_client: AiohttpClient, api_settings: Settings, store: Store,
    processing_service: ProcessingService,
) -> None:
    settings = dataclasses.replace(api_settings, console_url="https://crm-mail.example.test")
    client = await aiohttp_client(create_app(settings, store, processing_service))
    response = await client.post("/console/sign-in", data={"token": api_settings.admin_token},
                                 allow_redirects=False)
    assert response.status == 303
    assert "Secure" in response.headers["Set-Cookie"]


async def test_pages_need_the_read_scope_and_forms_the_write_scope(
    client: Client, directory: Directory
) -> None:
    project = await directory.project()
    alice, _token = await directory.member_with_token(project["id"], "alice@acme.test")
    tokens = {}
    for scopes in (["log"], ["read"]):
        response = await client.post(f"/v1/users/{alice}/tokens", headers=ADMIN,
                                     json={"scopes": scopes})
        assert response.status == 201
        tokens[scopes[0]] = (await response.json())["token"]
    # A `log` token (the extension's) opens a session but no page.
    browser = ClientSession(cookie_jar=CookieJar(unsafe=True))
    try:
        async with browser.post(client.make_url("/console/sign-in"),
                                data={"token": tokens["log"]}) as response:
            assert response.status == 403
            assert "it needs read" in await response.text()
    finally:
        await browser.close()
    # A `read` token reads the pages, but its forms change nothing.
    browser, csrf = await _signed_in(client, tokens["read"])
    try:
        async with browser.post(client.make_url(f"/console/messages/{'0' * 32}/match"),
                                data={"csrf": csrf, "address": "bob@client.test"},
                                allow_redirects=False) as response:
            assert response.status == 403
            assert "it needs write" in await response.text()
    finally:
        await browser.close()

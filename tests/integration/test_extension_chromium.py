"""The reference extension (clients/extension) in real Chromium against a running blindcopy.

Debian's chromium, driven by Playwright (never a downloaded browser), loads the unpacked
extension. Its id is fixed by the manifest's `key`, so the service's `cors_origins` can
list `chrome-extension://<id>` before the browser starts. The extension holds no host
permission: its calls are ordinary cross-origin requests that work because the server's
CORS answers allow them, which the last test shows by taking the origin off the list.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from blindcopy.runtime import Service, start_service
from config.settings import Settings
from tests.client import ApiClient
from tests.directory import a_project, a_user, contacts

async_api = pytest.importorskip(
    "playwright.async_api", reason="the playwright package is not installed (pip install -e .[test])")
# Waits for what the page shows, not timings: long enough for a loaded CI machine.
async_api.expect.set_options(timeout=30_000)

CHROMIUM = Path("/usr/bin/chromium")
EXTENSION_DIR = Path(__file__).resolve().parents[2] / "clients" / "extension"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not installed (apt-get install chromium)")
# Flags for a headless Chromium as root in a container, quiet and offline.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]
MESSAGE = """From: Alice <alice@acme.test>
To: "Bob Buyer" <bob@client.test>, carol@elsewhere.test
Subject: The quote you asked for
Date: Tue, 24 Nov 2026 10:00:00 +0000
Message-ID: <quote-ext-1@acme.test>

Here is the quote.
"""


def extension_id(manifest: dict[str, Any]) -> str:
    """Return the id Chromium gives an extension: from the SHA-256 of its public key."""
    digest = hashlib.sha256(base64.b64decode(manifest["key"])).hexdigest()[:32]
    return "".join(chr(ord("a") + int(char, 16)) for char in digest)


EXTENSION_ID = extension_id(json.loads((EXTENSION_DIR / "manifest.json").read_text()))
ORIGIN = f"chrome-extension://{EXTENSION_ID}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings, with the extension's origin allowed."""
    return dataclasses.replace(settings, cors_origins=ORIGIN)


@pytest.fixture
async def alice_token(api: ApiClient) -> str:
    """Project Acme with member Alice and contact Bob; Alice's short-lived `log` token."""
    acme = (await a_project(api, "Acme Homes"))["id"]
    alice = (await a_user(api, "Alice", "alice@acme.test", projects=(acme,)))["id"]
    await contacts(api, acme, ("bob", "Bob Buyer", ["bob@client.test"]))
    issued = await api.post(f"/v1/users/{alice}/tokens",
                            {"name": "Chromium test", "scopes": ["log"],
                             "expires_in_seconds": 900}, expect=201)
    return str(issued["token"])


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Any]:
    """A persistent Chromium profile with the unpacked extension loaded."""
    unpacked = tmp_path / "extension"
    shutil.copytree(EXTENSION_DIR, unpacked)
    async with async_api.async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=False,
            args=[*CHROMIUM_ARGS, f"--disable-extensions-except={unpacked}",
                  f"--load-extension={unpacked}"],
            ignore_default_args=["--disable-extensions"])
        try:
            yield context
        finally:
            await context.close()


async def configure(context: Any, server: str, token: str) -> None:
    """Fill and save the extension's options page."""
    page = await context.new_page()
    await page.goto(f"{ORIGIN}/options.html")
    await page.fill("#server", server)
    await page.fill("#token", token)
    await page.click("#save")
    await async_api.expect(page.locator("#saved")).to_have_text("Saved.")
    await page.close()


async def test_the_extension_looks_up_and_logs_a_pasted_message(
        service: Service, alice_token: str, browser: Any) -> None:
    await configure(browser, f"http://127.0.0.1:{service.http_port}/", alice_token)
    page = await browser.new_page()
    await page.goto(f"{ORIGIN}/popup.html")
    await page.fill("#raw", MESSAGE)

    await page.click("#lookup")
    addresses = page.locator("#addresses tbody tr")
    await async_api.expect(addresses).to_have_count(3)
    await async_api.expect(addresses.filter(has_text="bob@client.test")).to_contain_text(
        "contact Bob Buyer")
    await async_api.expect(addresses.filter(has_text="alice@acme.test")).to_contain_text(
        "a user of your projects")

    await page.click("#log")
    await async_api.expect(page.locator("#status")).to_have_text("Logged on 1 contact.")
    outcomes = page.locator("#decision tbody tr")
    bob = outcomes.filter(has_text="bob@client.test")
    await async_api.expect(bob).to_have_class("logged")
    await async_api.expect(bob).to_contain_text("logged")
    carol = outcomes.filter(has_text="carol@elsewhere.test")
    await async_api.expect(carol).to_have_class("not_logged")
    # The reason sentence the server wrote, shown as it is.
    decisions = await ApiClient(f"http://127.0.0.1:{service.http_port}", alice_token
                                ).__aenter__()
    try:
        [listed] = (await decisions.get("/v1/messages"))["items"]
    finally:
        await decisions.__aexit__(None, None, None)
    sentence = next(o["detail"] for o in listed["outcomes"]
                    if o["address"] == "carol@elsewhere.test")
    await async_api.expect(carol).to_contain_text(sentence)


async def test_the_extension_logs_a_chosen_eml_file_as_its_bytes(
        service: Service, api: ApiClient, alice_token: str, browser: Any,
        tmp_path: Path) -> None:
    eml = tmp_path / "quote.eml"
    # Latin-1 in the body: the file's bytes go to the server as they are.
    eml.write_bytes(MESSAGE.replace("\n", "\r\n").replace(
        "quote-ext-1", "quote-ext-2").encode() + "Merci, à bientôt\r\n".encode("latin-1"))
    await configure(browser, f"http://127.0.0.1:{service.http_port}", alice_token)
    page = await browser.new_page()
    await page.goto(f"{ORIGIN}/popup.html")
    await page.set_input_files("#file", str(eml))
    # Choosing a file looks its addresses up at once.
    await async_api.expect(page.locator("#addresses tbody tr")).to_have_count(3)
    await page.click("#log")
    await async_api.expect(page.locator("#status")).to_have_text("Logged on 1 contact.")
    await async_api.expect(page.locator("#decision tbody tr.logged")).to_contain_text(
        "bob@client.test")
    [received] = (await api.get("/v1/messages"))["items"]
    assert (await api.get_bytes(f"/v1/messages/{received['id']}/raw"))[2] == eml.read_bytes()


async def test_a_token_without_the_log_scope_is_told_why(
        service: Service, api: ApiClient, browser: Any) -> None:
    acme = (await a_project(api, "Acme Homes"))["id"]
    alice = (await a_user(api, "Alice", "alice@acme.test", projects=(acme,)))["id"]
    reader = await api.post(f"/v1/users/{alice}/tokens", {"scopes": ["read"]}, expect=201)
    await configure(browser, f"http://127.0.0.1:{service.http_port}", reader["token"])
    page = await browser.new_page()
    await page.goto(f"{ORIGIN}/popup.html")
    await page.fill("#raw", MESSAGE)
    await page.click("#log")
    await async_api.expect(page.locator("#status")).to_contain_text("403")
    await async_api.expect(page.locator("#status")).to_contain_text("needs log")


async def test_without_the_origin_on_the_list_the_browser_blocks_the_call(
        settings: Settings, alice_token: str, browser: Any) -> None:
    unlisted: Service = await start_service(dataclasses.replace(settings, cors_origins=""),
                                            smtp=False, workers=0)
    try:
        await configure(browser, f"http://127.0.0.1:{unlisted.http_port}", alice_token)
        page = await browser.new_page()
        await page.goto(f"{ORIGIN}/popup.html")
        await page.fill("#raw", MESSAGE)
        await page.click("#lookup")
        await async_api.expect(page.locator("#status")).to_contain_text(
            f"BLINDCOPY_CORS_ORIGINS lists {ORIGIN}")
    finally:
        await unlisted.stop()

"""The console in real Chromium (SPEC §14): Debian's /usr/bin/chromium driven by Playwright.

The whole service runs (SMTP, API, workers) on loopback; the directory and the mail are made
through the real API and SMTP. Nothing is downloaded: Playwright launches the system
Chromium (never `playwright install`). The test skips, saying why, only when that Chromium
or the playwright package is absent.

With BLINDCOPY_SCREENSHOTS=<folder> it also saves a PNG of each page there (that is how
docs/console/*.png are made: bench/console_screenshots.sh).
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from blindcopy.runtime import Service, start_service
from config.settings import Settings, load_settings
from store import spool
from store.models import ReceivedMessage
from tests.client import ApiClient, eventually, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project, a_token, a_user, contacts
from tests.directory import email as an_email
from tests.dnsserver import LocalDnsServer, running_dns_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
PHONE = {"width": 375, "height": 740}
SCREENSHOTS = os.environ.get("BLINDCOPY_SCREENSHOTS")

playwright_api = pytest.importorskip(
    "playwright.async_api", reason="the playwright package is not installed")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium",
                allow_module_level=True)


@pytest.fixture
def dns() -> Iterator[LocalDnsServer]:
    with running_dns_server() as server:
        yield server


@pytest.fixture
def settings(database_url: str, dns: LocalDnsServer) -> Settings:
    """The service proves no sender of ours: a BCC to a sender_auth aligned project is held."""
    host, port = dns.address
    return load_settings(
        {}, database_url=database_url, smtp_port=0, http_port=0, admin_token=ADMIN_TOKEN,
        secret="test-secret", mail_domain="in.blindcopy.test", retry_base_seconds=0.05,
        dns_servers=f"{host}:{port}", dns_timeout=0.3)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                    args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def _log(api: ApiClient, project_ids: list[str], to: str, subject: str,
               message_id: str) -> dict[str, Any]:
    raw = an_email("Alice <alice@acme.test>", to, subject, message_id=message_id,
                   body="Following up on the viewing of 12 Elm Street.")
    body = {"raw": base64.b64encode(raw).decode(), "project_ids": project_ids}
    result: dict[str, Any] = await api.post("/v1/log", body)
    return result


async def _world(service: Service, api: ApiClient) -> dict[str, Any]:
    """Acme (sender_auth aligned) and Beta share contact Bob; Dan works only in Other."""
    acme = await a_project(api, "Acme Homes", sender_auth="aligned")
    beta = await a_project(api, "Beta Homes")
    other = await a_project(api, "Other Co")
    alice = await a_user(api, "Alice Agent", "alice@acme.test",
                         projects=(acme["id"], beta["id"]))
    dan = await a_user(api, "Dan", "dan@other.test", projects=(other["id"],))
    for project in (acme, beta):
        await contacts(api, project["id"], ("bob", "Bob Buyer", ["bob@client.test"]))
    ids = await contacts(api, acme["id"], ("carol", "Carol Client", ["carol@client.test"]))
    as_alice = api.as_user(await a_token(api, alice["id"]))
    pending = await _log(as_alice, [acme["id"], beta["id"]], "Bob <bob@client.test>",
                         "Viewing on Saturday", "<viewing-1@acme.test>")
    unmatched = await _log(as_alice, [acme["id"]], "zoe@client.test", "Your offer",
                           "<offer-1@acme.test>")
    # Not proved (no DKIM, no SPF, no trusted relay): held in quarantine.
    await send_smtp(service.smtp_port, "alice@acme.test", [acme["addresses"]["bcc"]],
                    an_email("Alice <alice@acme.test>", "carol@client.test", "Contract draft",
                             message_id="<contract-1@acme.test>"))
    held = await eventually(lambda: _listed(api, "quarantined"))
    with service.store.write() as session:
        session.add(ReceivedMessage(
            raw=an_email("alice@acme.test", "bob@client.test", "Stuck", message_id="<s@x>"),
            channel="log", status=spool.FAILED, attempts=5, user_id=alice["id"],
            project_ids=[acme["id"]], last_error="OperationalError: the store went away"))
    return {"acme": acme, "alice_token": as_alice.token, "carol": ids["carol"],
            "dan_token": await a_token(api, dan["id"]), "pending": pending,
            "unmatched": unmatched, "held": held}


async def _listed(api: ApiClient, status: str) -> dict[str, Any] | None:
    items = (await api.get("/v1/messages", params={"status": status}))["items"]
    return items[0] if items else None


async def _sign_in(page: Any, base: str, token: str) -> None:
    """Sign in with the keyboard only: the token field has focus, Enter submits."""
    await page.goto(f"{base}/console/")
    await page.get_by_label("API token").wait_for()
    await page.keyboard.type(token)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{base}/console/pending")


async def _sign_out(page: Any) -> None:
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_label("API token").wait_for()


async def _fits_phone(page: Any, name: str) -> None:
    """No horizontal scroll at 375 px; optionally keep a screenshot for the docs."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} scrolls sideways: {width} px"
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


async def test_console_in_chromium(service: Service, api: ApiClient, browser: Any) -> None:
    world = await _world(service, api)
    base = f"http://127.0.0.1:{service.http_port}"
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()

    # Sign in with the API token; the cookie is HttpOnly and SameSite=Strict.
    await page.goto(f"{base}/console/")
    await _fits_phone(page, "sign-in")
    await _sign_in(page, base, world["alice_token"])
    [cookie] = await context.cookies()
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Strict", False)

    # Pending threads: assign the thread to Acme Homes and see Bob logged there.
    await page.get_by_role("heading", name="Viewing on Saturday").wait_for()
    assert "bob@client.test" in await page.inner_text("main")
    await _fits_phone(page, "pending")
    # By keyboard: Tab moves between the buttons (by project name); Enter presses one.
    await page.get_by_role("button", name="Assign to Beta Homes").focus()
    await page.keyboard.press("Shift+Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Assign to Acme Homes"
    await page.keyboard.press("Enter")
    await page.get_by_role("status").wait_for()
    assert "1 address(es) logged" in await page.get_by_role("status").inner_text()
    assert "logged" in await page.locator(".badge.logged").first.inner_text()

    # Unmatched: create a contact for zoe@client.test; the decision shows manual-match.
    await page.get_by_role("link", name="Unmatched").click()
    await page.get_by_role("heading", name="zoe@client.test").wait_for()
    await _fits_phone(page, "unmatched")
    await page.get_by_label("New contact's name").fill("Zoe Buyer")
    await page.get_by_role("button", name="Create contact").click()
    await page.get_by_text("manual-match").wait_for()
    text = await page.inner_text("main")
    assert ("Alice Agent created contact Zoe Buyer for zoe@client.test in project Acme Homes, "
            "so the email is logged there.") in text
    # A decision a salesperson reads: every rule, its verdict and its sentence.
    for sentence in ("Alice Agent is a member of project Acme Homes.",
                     "zoe@client.test is not a contact in project Acme Homes."):
        assert sentence in text
    await _fits_phone(page, "decision")
    await page.get_by_role("link", name="Timeline of this contact").click()
    await page.get_by_role("heading", name="Your offer").wait_for()
    await _fits_phone(page, "timeline")
    # Not an admin: no quarantine.
    await page.goto(f"{base}/console/quarantine")
    assert "Only an admin" in await page.inner_text("main")
    await _sign_out(page)

    # An admin releases the quarantined message; replays the failed one.
    await _sign_in(page, base, ADMIN_TOKEN)
    await page.get_by_role("link", name="Quarantine").click()
    await page.get_by_role("heading", name="Contract draft").wait_for()
    await _fits_phone(page, "quarantine")
    await page.get_by_role("button", name="Release").click()
    await page.get_by_role("status").wait_for()
    assert "Released" in await page.get_by_role("status").inner_text()
    assert "An admin released the message from quarantine." in await page.inner_text("main")
    assert "carol@client.test" in await page.inner_text("main")
    await page.get_by_role("link", name="Failed").click()
    await page.get_by_role("heading", name="Stuck").wait_for()
    await _fits_phone(page, "failed")
    await page.get_by_role("button", name="Replay").click()
    await page.get_by_role("status").wait_for()
    await _sign_out(page)

    # Dan, of another project, sees none of it, exactly as through the API.
    await _sign_in(page, base, world["dan_token"])
    assert "No pending thread" in await page.inner_text("main")
    await page.get_by_role("link", name="Unmatched").click()
    assert "No unmatched address" in await page.inner_text("main")
    for path in (f"/console/messages/{world['unmatched']['received_id']}",
                 f"/console/projects/{world['acme']['id']}/contacts/{world['carol']}"):
        response = await page.goto(base + path)
        assert response.status == 404
        assert "Zoe" not in await page.inner_text("main")
    await context.close()

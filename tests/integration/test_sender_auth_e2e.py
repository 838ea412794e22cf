"""Issue 4 end to end: sender verification over real SMTP, real HTTP and a real local DNS server.

The `settings` fixture is overridden here so that the service resolves DKIM keys and SPF
records through a LocalDnsServer on 127.0.0.1 and trusts no relay: the test client's own
127.0.0.1 has to prove itself like any other sender.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from sqlalchemy import event, func, select

from blindcopy.runtime import Service, build_context, start_service
from config.settings import Settings, load_settings
from processing.claim import process_claim
from processing.worker import run_worker
from store.database import create_engine
from store.models import Project, ReceivedMessage, ReceivedRaw
from store.project_addresses import BCC, derive_address
from tests.client import ApiClient, eventually, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.database import fresh_database_url
from tests.directory import a_project, a_token, a_user, contacts, email, timeline
from tests.dnsserver import LocalDnsServer, running_dns_server
from tests.unit.sender_auth.dkim_keys import publish, rsa_key, sign

UNKNOWN_RECIPIENT = 550
FORBIDDEN = 403
CONFLICT = 409
NOT_FOUND = 404
PROBLEM_CONFLICT = "https://blindcopy.dev/problems/conflict"
SPF_ALLOWS_LOOPBACK = "v=spf1 ip4:127.0.0.1 -all"


@pytest.fixture
def dns() -> Iterator[LocalDnsServer]:
    """Run a DNS server publishing the DKIM keys of acme.test and evil.test (no SPF yet)."""
    with running_dns_server() as server:
        publish(server, rsa_key("acme"), "acme.test")
        publish(server, rsa_key("evil"), "evil.test")
        yield server


def dns_settings(database_url: str, dns: LocalDnsServer, **overrides: Any) -> Settings:
    """Return test settings resolving through `dns`, with short DNS and retry delays."""
    host, port = dns.address
    values: dict[str, Any] = {
        "database_url": database_url, "smtp_port": 0, "http_port": 0,
        "admin_token": ADMIN_TOKEN, "secret": "test-secret", "mail_domain": "in.blindcopy.test",
        "dns_servers": f"{host}:{port}", "dns_timeout": 0.3, "retry_base_seconds": 0.05,
        "trusted_relays": ""}
    return load_settings({}, **{**values, **overrides})


@pytest.fixture
def settings(database_url: str, dns: LocalDnsServer) -> Settings:
    """Override the shared settings: the local DNS server and no trusted relays."""
    return dns_settings(database_url, dns)


class MovableClock:
    """A clock the test moves forward (processing and SMTP address look-ups read it)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@asynccontextmanager
async def running(settings: Settings, **options: Any) -> AsyncIterator[tuple[Service, ApiClient]]:
    """Run a service with `settings` (and start_service options) and an admin client."""
    service = await start_service(settings, **options)
    try:
        async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as api:
            yield service, api
    finally:
        await service.stop()


async def acme(api: ApiClient, sender_auth: str = "aligned") -> dict[str, Any]:
    """Create project Acme Homes, member Alice (with an alias on another domain), contact Bob."""
    project = await a_project(api, "Acme Homes", sender_auth=sender_auth)
    alice = await a_user(api, "Alice", "alice@acme.test", aliases=["alice@alice-home.test"],
                         projects=(project["id"],))
    ids = await contacts(api, project["id"], ("bob", "Bob Buyer", ["bob@client.test"]))
    return {"project": project, "alice": alice, "bob": ids["bob"],
            "bcc": project["addresses"]["bcc"]}


def quote(number: int, from_: str = "Alice <alice@acme.test>",
          body: str = "Here is the quote.") -> bytes:
    """Return Alice's message to Bob with Message-ID <quote-N@acme.test>, dated now.

    Dated now: a BCC copy proved only by DKIM must arrive within the replay window.
    """
    return email(from_, "Bob <bob@client.test>", f"Quote {number}",
                 message_id=f"<quote-{number}@acme.test>", body=body,
                 date=format_datetime(datetime.now(UTC)))


async def settled(api: ApiClient, message_id: str) -> dict[str, Any]:
    """Wait until the message is processed; return its GET /v1/messages item."""
    async def probe() -> dict[str, Any] | None:
        items = (await api.get(f"/v1/messages?message_id={message_id}"))["items"]
        done = items and items[0]["status"] not in ("queued", "processing")
        return items[0] if done else None
    return await eventually(probe)


async def sender_finding(api: ApiClient, received_id: str) -> dict[str, Any]:
    """Return the sender-authenticated step of a stored decision."""
    decision = await api.get(f"/v1/messages/{received_id}/decision")
    [step] = [s for s in decision["trace"] if s["rule"] == "sender-authenticated"]
    return step


async def test_dkim_signed_bcc_from_member_is_logged(service: Service, api: ApiClient) -> None:
    d = await acme(api)
    raw = sign(quote(1), rsa_key("acme"), "acme.test")

    await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]], raw)

    message = await settled(api, "<quote-1@acme.test>")
    assert message["status"] == "done"
    assert message["authentication_results"] == (
        "blindcopy; dkim=pass header.d=acme.test header.s=sel; "
        "spf=none smtp.mailfrom=acme.test; dmarc=pass header.from=acme.test")
    step = await sender_finding(api, message["id"])
    assert (step["verdict"], step["reason"]) == ("pass", "sender_dkim_aligned")
    [interaction] = await timeline(api, d["project"]["id"], d["bob"])
    assert (interaction["channels"], interaction["user_id"]) == (["bcc"], d["alice"]["id"])


def _changed_body(number: int) -> bytes:
    signed = sign(quote(number), rsa_key("acme"), "acme.test")
    return signed.replace(b"Here is the quote.", b"Here is the NEW quote: pay to IBAN X.")


def _from_rewritten(number: int) -> bytes:
    signed = sign(quote(number), rsa_key("acme"), "acme.test")
    return signed.replace(b"From: Alice <alice@acme.test>", b"From: Alice <alice@alice-home.test>")


QUARANTINE_CASES = [
    # (number, envelope sender, raw, reason code, a fragment of the rendered detail)
    (2, "alice@acme.test", _changed_body(2), "sender_dkim_invalid",
     "failed to verify (acme.test: body hash mismatch)"),
    (3, "alice@acme.test", _from_rewritten(3), "sender_dkim_invalid",
     "failed to verify (acme.test: signature or key did not verify)"),
    (4, "alice@alice-home.test",
     sign(quote(4, from_="Alice <alice@alice-home.test>"), rsa_key("acme"), "acme.test"),
     "sender_dkim_not_aligned",
     ("The DKIM signature of acme.test verified, but it does not prove alice@alice-home.test: "
      "the From domain is alice-home.test.")),
    (5, "alice@acme.test", quote(5), "sender_no_signature",
     "not DKIM-signed and SPF did not pass for acme.test (spf=none)"),
    (6, "mallory@evil.test", sign(quote(6), rsa_key("evil"), "evil.test"),
     "sender_dkim_not_aligned",
     ("The DKIM signature of evil.test verified, but it does not prove alice@acme.test: "
      "the From domain is acme.test.")),
    (7, "mallory@evil.test", quote(7), "sender_spf_not_aligned",
     "SPF passed for evil.test, not for the From domain acme.test"),
]


async def test_unproven_senders_are_quarantined_with_distinct_reasons(
        service: Service, api: ApiClient, dns: LocalDnsServer) -> None:
    d = await acme(api)
    dns.add_txt("evil.test", SPF_ALLOWS_LOOPBACK)

    for number, mail_from, raw, _, _ in QUARANTINE_CASES:
        await send_smtp(service.smtp_port, mail_from, [d["bcc"]], raw)

    messages = {number: await settled(api, f"<quote-{number}@acme.test>")
                for number, *_ in QUARANTINE_CASES}
    quarantine = {item["id"]: item for item in (await api.get("/v1/quarantine"))["items"]}
    assert set(quarantine) == {m["id"] for m in messages.values()}
    for number, mail_from, _, code, detail in QUARANTINE_CASES:
        message = messages[number]
        assert message["status"] == "quarantined", number
        listed = quarantine[message["id"]]
        assert (listed["quarantine_reason"], listed["mail_from"]) == (code, mail_from)
        assert listed["authentication_results"] == message["authentication_results"]
        assert message["authentication_results"].startswith("blindcopy; ")
        step = await sender_finding(api, message["id"])
        assert (step["verdict"], step["reason"], step["effect"]) == ("fail", code, "quarantined")
        assert detail in step["detail"], (number, step["detail"])
    assert await timeline(api, d["project"]["id"], d["bob"]) == []


async def test_spf_pass_from_allowed_ip_is_logged_under_aligned(
        service: Service, api: ApiClient, dns: LocalDnsServer) -> None:
    d = await acme(api)
    dns.add_txt("acme.test", SPF_ALLOWS_LOOPBACK)

    await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]], quote(8))

    message = await settled(api, "<quote-8@acme.test>")
    assert message["status"] == "done"
    assert "spf=pass smtp.mailfrom=acme.test" in message["authentication_results"]
    step = await sender_finding(api, message["id"])
    assert (step["verdict"], step["reason"]) == ("pass", "sender_spf_aligned")
    assert len(await timeline(api, d["project"]["id"], d["bob"])) == 1


async def test_spf_only_pass_is_quarantined_under_dkim(
        service: Service, api: ApiClient, dns: LocalDnsServer) -> None:
    d = await acme(api, sender_auth="dkim")
    dns.add_txt("acme.test", SPF_ALLOWS_LOOPBACK)

    await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]], quote(9))

    message = await settled(api, "<quote-9@acme.test>")
    assert message["status"] == "quarantined"
    step = await sender_finding(api, message["id"])
    assert (step["verdict"], step["reason"]) == ("fail", "sender_dkim_required")
    [listed] = (await api.get("/v1/quarantine"))["items"]
    assert listed["quarantine_reason"] == "sender_dkim_required"


async def test_dns_timeout_is_retried_not_judged(
        service: Service, api: ApiClient, dns: LocalDnsServer) -> None:
    d = await acme(api)
    dns.mode = "drop"

    await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]],
                    sign(quote(10), rsa_key("acme"), "acme.test"))

    async def retried() -> dict[str, Any] | None:
        [item] = (await api.get("/v1/messages"))["items"]
        return item if item["status"] == "queued" and item["last_error"] else None
    # Each attempt waits for the resolver's timeouts (0.3 s) before it is retried.
    waiting = await eventually(retried, timeout=15.0)
    assert "DNS" in waiting["last_error"]
    assert (await api.get("/v1/quarantine"))["items"] == []
    decision = await api.get(f"/v1/messages/{waiting['id']}/decision")
    assert decision["trace"] == []

    dns.mode = "answer"
    message = await settled(api, "<quote-10@acme.test>")
    assert (message["id"], message["status"]) == (waiting["id"], "done")
    assert len(await timeline(api, d["project"]["id"], d["bob"])) == 1


async def test_stopping_worker_finishes_its_claim_and_gives_back_what_it_could_not_verify(
        database_url: str, dns: LocalDnsServer) -> None:
    # Verification waits on a DNS server that never answers: the worker is asked to stop
    # while its claim's senders are being verified. It finishes the claim first (a stopping
    # worker never leaves a claim to its lease): the messages it could not verify are
    # queued again at once, their DNS failure kept, nothing judged.
    settings = dns_settings(database_url, dns, dns_timeout=3.0, claim_batch=3)
    async with running(settings, workers=0) as (service, api):
        d = await acme(api)
        for number in (1, 2, 3):
            await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]],
                            sign(quote(number), rsa_key("acme"), "acme.test"))
        dns.mode = "drop"
        ctx = build_context(settings)
        stop = threading.Event()
        worker = asyncio.create_task(asyncio.to_thread(
            run_worker, service.store, ctx, "stopping", stop))
        await eventually(lambda: _true_if(bool(dns.queries)), timeout=10.0)

        stop.set()
        await asyncio.wait_for(worker, 30)
        ctx.background.close()

        rows = await service.store.run_read(lambda session: session.execute(select(
            ReceivedMessage.status, ReceivedMessage.attempts, ReceivedMessage.claimed_by,
            ReceivedMessage.lease_until, ReceivedMessage.last_error)).all())
        assert sorted(row[:4] for row in rows) == [("queued", 1, "stopping", None)] * 3
        assert all("DNS" in str(row.last_error) for row in rows), rows
        assert (await api.get("/v1/quarantine"))["items"] == []


async def test_a_stopping_service_gives_back_the_claim_its_worker_cannot_finish(
        database_url: str, dns: LocalDnsServer) -> None:
    # The worker's message waits on a DNS server that never answers. Stopped with a grace
    # period, the worker gets what is left of it (at least WORKER_FINISH_SECONDS) to finish,
    # then its claim is given back at once instead of after the lease.
    settings = dns_settings(database_url, dns, dns_timeout=30.0)
    async with running(settings, workers=1) as (service, api):
        d = await acme(api)
        dns.mode = "drop"
        await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]],
                        sign(quote(1), rsa_key("acme"), "acme.test"))
        await eventually(lambda: _true_if(bool(dns.queries)), timeout=10.0)
        await service.stop(grace_seconds=0.5)
        engine = create_engine(settings.database_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(select(
                    ReceivedMessage.status, ReceivedMessage.attempts,
                    ReceivedMessage.claimed_by, ReceivedMessage.lease_until)).all()
        finally:
            engine.dispose()
    assert [tuple(row) for row in rows] == [("queued", 0, None, None)]


async def test_a_claims_senders_are_verified_together(
        database_url: str, dns: LocalDnsServer) -> None:
    # Each message of a claim is signed with its own selector; the DNS server never
    # answers. Verified one after another, only the first key would be asked for until
    # its look-up timed out; verified together, every key is asked for at once.
    settings = dns_settings(database_url, dns, dns_timeout=8.0)
    async with running(settings, workers=0) as (service, api):
        d = await acme(api)
        selectors = ("one", "two", "three")
        for number, selector in enumerate(selectors, start=1):
            await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]],
                            sign(quote(number), rsa_key("acme"), "acme.test", selector))
        dns.mode = "drop"
        ctx = build_context(settings)
        claiming = asyncio.create_task(asyncio.to_thread(
            process_claim, service.store, ctx, "together", 3))
        keys = {f"{selector}._domainkey.acme.test" for selector in selectors}

        async def all_asked() -> bool | None:
            return True if keys <= {name for name, _type in dns.queries} else None

        # Sooner than one look-up's timeout: one after another, the second key would be
        # asked only once the first look-up had timed out.
        await eventually(all_asked, timeout=6.0)
        assert await asyncio.wait_for(claiming, 30) == 3
        ctx.background.close()


async def _true_if(condition: bool) -> bool | None:
    return True if condition else None


async def test_trusted_relay_counts_as_authenticated(database_url: str,
                                                     dns: LocalDnsServer) -> None:
    settings = dns_settings(database_url, dns, trusted_relays="127.0.0.0/8")
    async with running(settings) as (service, api):
        d = await acme(api)

        await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]], quote(11))

        message = await settled(api, "<quote-11@acme.test>")
        assert message["status"] == "done"
        assert message["authentication_results"] == "blindcopy; none (trusted relay 127.0.0.1)"
        step = await sender_finding(api, message["id"])
        assert (step["verdict"], step["reason"]) == ("pass", "sender_trusted_relay")
        assert len(await timeline(api, d["project"]["id"], d["bob"])) == 1
    assert dns.queries == []


async def test_quarantine_is_admin_only(service: Service, api: ApiClient) -> None:
    d = await acme(api)
    await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]], quote(12))
    message = await settled(api, "<quote-12@acme.test>")
    user = api.as_user(await a_token(api, d["alice"]["id"]))

    for method, path in (("GET", "/v1/quarantine"),
                         ("POST", f"/v1/quarantine/{message['id']}/release"),
                         ("DELETE", f"/v1/quarantine/{message['id']}")):
        status, body = await user.request(method, path)
        assert status == FORBIDDEN, (method, path, body)
    assert [i["id"] for i in (await api.get("/v1/quarantine"))["items"]] == [message["id"]]


async def test_release_processes_as_passed_and_keeps_the_verdict(service: Service,
                                                                  api: ApiClient) -> None:
    d = await acme(api)
    await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]], quote(13))
    quarantined = await settled(api, "<quote-13@acme.test>")
    verdict = quarantined["authentication_results"]
    assert "dkim=none" in verdict

    decision = await api.post(f"/v1/quarantine/{quarantined['id']}/release")

    assert decision["status"] == "done"
    [outcome] = decision["outcomes"]
    assert (outcome["address"], outcome["status"]) == ("bob@client.test", "logged")
    [step] = [s for s in decision["trace"] if s["rule"] == "sender-authenticated"]
    assert (step["verdict"], step["reason"]) == ("pass", "sender_released")
    [interaction] = await timeline(api, d["project"]["id"], d["bob"])
    assert interaction["id"] == outcome["interaction_id"]
    [message] = (await api.get("/v1/messages?message_id=<quote-13@acme.test>"))["items"]
    assert (message["status"], message["authentication_results"]) == ("done", verdict)
    assert (await api.get("/v1/quarantine"))["items"] == []

    status, problem = await api.request("POST", f"/v1/quarantine/{quarantined['id']}/release")
    assert status == CONFLICT
    assert problem["type"] == PROBLEM_CONFLICT
    assert "not quarantined" in problem["detail"]
    status, _ = await api.request("POST", "/v1/quarantine/no-such-message/release")
    assert status == NOT_FOUND


async def test_delete_removes_a_quarantined_message(service: Service, api: ApiClient) -> None:
    d = await acme(api)
    await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]], quote(14))
    message = await settled(api, "<quote-14@acme.test>")

    await api.delete(f"/v1/quarantine/{message['id']}", expect=204)

    assert (await api.get("/v1/quarantine"))["items"] == []
    assert (await api.get("/v1/messages"))["items"] == []
    await api.get(f"/v1/messages/{message['id']}/decision", expect=NOT_FOUND)
    await api.delete(f"/v1/quarantine/{message['id']}", expect=NOT_FOUND)
    assert await timeline(api, d["project"]["id"], d["bob"]) == []
    # Its bytes go with it (they live in a table of their own).
    kept = await service.store.run_read(
        lambda session: session.scalar(select(func.count()).select_from(ReceivedRaw)))
    assert kept == 0


async def test_rotated_address_works_during_grace_then_gets_550(database_url: str,
                                                                dns: LocalDnsServer) -> None:
    clock = MovableClock()
    settings = dns_settings(database_url, dns, address_grace_days=30)
    async with running(settings, clock=clock) as (service, api):
        d = await acme(api, sender_auth="none")
        old = d["project"]["addresses"]

        rotated = await api.post(f"/v1/projects/{d['project']['id']}/addresses/rotate")

        new = rotated["addresses"]
        assert set(new) == {"bcc", "forward"}
        assert new["bcc"] != old["bcc"] and new["forward"] != old["forward"]
        project = await api.get(f"/v1/projects/{d['project']['id']}")
        assert project["addresses"] == new
        clock.offset = timedelta(days=29)
        await send_smtp(service.smtp_port, "alice@acme.test", [old["bcc"].upper()], quote(15))
        await send_smtp(service.smtp_port, "alice@acme.test", [new["bcc"]], quote(16))
        for number in (15, 16):
            assert (await settled(api, f"<quote-{number}@acme.test>"))["status"] == "done"
        assert len(await timeline(api, d["project"]["id"], d["bob"])) == 2

        clock.offset = timedelta(days=31)
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await send_smtp(service.smtp_port, "alice@acme.test", [old["bcc"]], quote(17))
        [error] = refused.value.recipients
        assert error.code == UNKNOWN_RECIPIENT
        await send_smtp(service.smtp_port, "alice@acme.test", [new["bcc"]], quote(18))
        assert (await settled(api, "<quote-18@acme.test>"))["status"] == "done"


async def test_grace_period_starts_at_the_services_clock(database_url: str,
                                                        dns: LocalDnsServer) -> None:
    # Rotated when the service's clock says day 10: the old address works until day 40.
    clock = MovableClock()
    settings = dns_settings(database_url, dns, address_grace_days=30)
    async with running(settings, clock=clock) as (service, api):
        d = await acme(api, sender_auth="none")
        old = d["project"]["addresses"]
        clock.offset = timedelta(days=10)
        await api.post(f"/v1/projects/{d['project']['id']}/addresses/rotate")

        clock.offset = timedelta(days=39)
        await send_smtp(service.smtp_port, "alice@acme.test", [old["bcc"]], quote(19))
        assert (await settled(api, "<quote-19@acme.test>"))["status"] == "done"
        clock.offset = timedelta(days=41)
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await send_smtp(service.smtp_port, "alice@acme.test", [old["bcc"]], quote(20))


async def test_a_found_address_is_kept_and_refused_once_its_grace_ends(
        database_url: str, dns: LocalDnsServer) -> None:
    # Kept for days here, longer than the test: being kept never makes an address accept
    # mail after its grace ends.
    clock = MovableClock()
    settings = dns_settings(database_url, dns, address_grace_days=30,
                            recipient_cache_seconds=10 * 86400)
    async with running(settings, clock=clock, workers=0) as (service, api):
        d = await acme(api, sender_auth="none")
        old = d["project"]["addresses"]["bcc"]
        look_ups: list[str] = []
        event.listen(service.store.engine, "before_cursor_execute",
                     lambda *args: look_ups.append(args[2]) if "project_addresses" in args[2]
                     else None)
        for number in (21, 22, 23):
            await send_smtp(service.smtp_port, "alice@acme.test", [old], quote(number))
        assert len(look_ups) == 1

        await api.post(f"/v1/projects/{d['project']['id']}/addresses/rotate")
        clock.offset = timedelta(days=29)
        await send_smtp(service.smtp_port, "alice@acme.test", [old], quote(24))
        clock.offset = timedelta(days=30, seconds=1)
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await send_smtp(service.smtp_port, "alice@acme.test", [old], quote(25))
        assert [e.code for e in refused.value.recipients] == [UNKNOWN_RECIPIENT]


async def test_an_address_is_kept_no_longer_than_the_grace(
        database_url: str, dns: LocalDnsServer) -> None:
    # A grace of a few seconds, shorter than the time an address is kept: rotated right
    # after the gateway found it, it is refused once those seconds have passed.
    clock = MovableClock()
    settings = dns_settings(database_url, dns, address_grace_days=5 / 86400,
                            recipient_cache_seconds=3600)
    async with running(settings, clock=clock, workers=0) as (service, api):
        d = await acme(api, sender_auth="none")
        old = d["project"]["addresses"]["bcc"]
        await send_smtp(service.smtp_port, "alice@acme.test", [old], quote(26))
        await api.post(f"/v1/projects/{d['project']['id']}/addresses/rotate")
        clock.offset = timedelta(seconds=6)
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await send_smtp(service.smtp_port, "alice@acme.test", [old], quote(27))


def _token(address: str, slug: str) -> str:
    local = address.partition("@")[0]
    assert local.startswith(slug + ".")
    return local.rpartition(".")[2]


def test_addresses_derive_from_the_secret_not_the_slug() -> None:
    project = Project(id="0f3c2a", slug="acme-homes", address_generation=1)
    one = derive_address(project, BCC, "secret-one", "in.blindcopy.test")
    again = derive_address(project, BCC, "secret-one", "in.blindcopy.test")
    other = derive_address(project, BCC, "secret-two", "in.blindcopy.test")
    assert one == again
    assert one != other
    tokens = {_token(one, "acme-homes"), _token(other, "acme-homes")}
    assert all(re.fullmatch(r"[a-z2-7]{10}", t) for t in tokens)
    assert not any(t in "acme-homes" or "acme" in t for t in tokens)


async def test_services_with_different_secrets_issue_different_addresses(
        tmp_path: Path, database_url: str, dns: LocalDnsServer) -> None:
    addresses = []
    (tmp_path / "second").mkdir()
    with fresh_database_url(tmp_path / "second") as second_url:
        for url, secret in ((database_url, "secret-one"), (second_url, "secret-two")):
            async with running(dns_settings(url, dns, secret=secret)) as (_, api):
                created = await api.post("/v1/projects", {"name": "Acme Homes",
                                                          "slug": "acme-homes"}, expect=201)
                addresses.append(created["addresses"])
    one, two = addresses
    assert one["bcc"] != two["bcc"] and one["forward"] != two["forward"]
    assert _token(one["bcc"], "acme-homes") != _token(two["bcc"], "acme-homes")
    assert _token(one["bcc"], "acme-homes") != _token(one["forward"], "acme-homes.fwd")

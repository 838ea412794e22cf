"""Issue 18.2 end to end: DKIM proves only what it covers, and only for a while (SPEC §9).

An outsider, Mallory, holds mail that Alice (a member of Acme Homes, sender_auth aligned)
signed with acme.test's key over h=from:to:subject:date:message-id. Mallory sends it from
her own domain, whose SPF passes for the test client (so SPF passes, not aligned), to Acme's
BCC address over SMTP, after adding an unsigned Cc, Bcc or a second To above the signed one,
or unchanged days later. Each must be quarantined with its reason; Alice's own fresh BCC
still logs, and mail proved by an aligned SPF pass is not held to these checks. Keys and
SPF records are served by the tests' local DNS server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from blindcopy.runtime import Service
from config.settings import Settings
from tests.client import ApiClient, send_smtp
from tests.directory import a_project, a_user, contacts, email, timeline
from tests.dnsserver import LocalDnsServer, running_dns_server
from tests.integration.test_sender_auth_e2e import dns_settings, sender_finding, settled
from tests.unit.sender_auth.dkim_keys import publish, rsa_key, sign

SPF_ALLOWS_LOOPBACK = "v=spf1 ip4:127.0.0.1 -all"
VICTOR = "Victor Victim <victim@client.test>"
DAYS_AGO = datetime.now(UTC) - timedelta(days=3)


@pytest.fixture
def dns() -> Iterator[LocalDnsServer]:
    """Publish acme.test's DKIM key, and SPF letting the test client send for evil.test."""
    with running_dns_server() as server:
        publish(server, rsa_key("acme"), "acme.test")
        server.add_txt("evil.test", SPF_ALLOWS_LOOPBACK)
        yield server


@pytest.fixture
def settings(database_url: str, dns: LocalDnsServer) -> Settings:
    """The local DNS server, no trusted relays, the default replay window (48 hours)."""
    return dns_settings(database_url, dns)


async def acme(api: ApiClient) -> dict[str, Any]:
    """Create Acme Homes (sender_auth aligned), member Alice and contacts Bob and Victor."""
    project = await a_project(api, "Acme Homes", sender_auth="aligned")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    ids = await contacts(api, project["id"], ("bob", "Bob Buyer", ["bob@client.test"]),
                         ("victor", "Victor Victim", ["victim@client.test"]))
    return {"project": project["id"], "alice": alice["id"], "bob": ids["bob"],
            "victor": ids["victor"], "bcc": project["addresses"]["bcc"]}


def alices_mail(name: str, to: str, *, sent: datetime | None = None) -> bytes:
    """Return Alice's mail to `to`, dated and signed by acme.test at `sent` (now)."""
    sent = sent or datetime.now(UTC)
    raw = email("Alice <alice@acme.test>", to, f"Quote {name}", message_id=f"<{name}@acme.test>",
                body="Here is the quote.", date=format_datetime(sent))
    return sign(raw, rsa_key("acme"), "acme.test", signed_at=sent)


def with_field_above(raw: bytes, field: str) -> bytes:
    """Return `raw` with an unsigned header field added at the top (above the signed ones)."""
    return f"{field}\r\n".encode() + raw


def with_field_below(raw: bytes, field: str) -> bytes:
    """Return `raw` with an unsigned header field added after the signed Subject."""
    return raw.replace(b"\r\nDate: ", f"\r\n{field}\r\nDate: ".encode(), 1)


ATTACKS = [
    # (name, the message Mallory sends, reason code, a fragment of the rendered detail)
    ("added-cc", with_field_below(alices_mail("added-cc", "Mallory <mallory@evil.test>"),
                                  f"Cc: {VICTOR}"),
     "sender_dkim_unsigned_header", "which does not sign every Cc header field in it"),
    ("second-to", with_field_above(alices_mail("second-to", "Mallory <mallory@evil.test>"),
                                   f"To: {VICTOR}"),
     "sender_dkim_unsigned_header", "which does not sign every To header field in it"),
    ("added-bcc", with_field_below(alices_mail("added-bcc", "Mallory <mallory@evil.test>"),
                                   f"Bcc: {VICTOR}"),
     "sender_dkim_unsigned_header", "which does not sign every Bcc header field in it"),
    ("replayed", alices_mail("replayed", VICTOR, sent=DAYS_AGO),
     "sender_dkim_replayed",
     f"its signature time (t=) ({DAYS_AGO:%Y-%m-%d %H:%M} UTC) is more than 48 hours before"),
]


async def test_dkim_replays_with_added_headers_are_quarantined_fresh_bcc_logs(
        service: Service, api: ApiClient) -> None:
    d = await acme(api)

    for _, raw, _, _ in ATTACKS:
        await send_smtp(service.smtp_port, "mallory@evil.test", [d["bcc"]], raw)
    await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]],
                    alices_mail("fresh", VICTOR))

    messages = {name: await settled(api, f"<{name}@acme.test>") for name, *_ in ATTACKS}
    quarantine = {item["id"]: item for item in (await api.get("/v1/quarantine"))["items"]}
    for name, _, code, detail in ATTACKS:
        message = messages[name]
        assert message["status"] == "quarantined", name
        assert "dkim=pass header.d=acme.test" in message["authentication_results"], name
        assert "spf=pass smtp.mailfrom=evil.test" in message["authentication_results"], name
        assert quarantine[message["id"]]["quarantine_reason"] == code, name
        step = await sender_finding(api, message["id"])
        assert (step["verdict"], step["reason"], step["effect"]) == (
            "fail", code, "quarantined"), name
        assert detail in step["detail"], (name, step["detail"])
    fresh = await settled(api, "<fresh@acme.test>")
    assert fresh["status"] == "done"
    assert (await sender_finding(api, fresh["id"]))["reason"] == "sender_dkim_aligned"
    [logged] = await timeline(api, d["project"], d["victor"])
    assert (logged["message"]["subject"], logged["user_id"]) == ("Quote fresh", d["alice"])
    assert await timeline(api, d["project"], d["bob"]) == []


async def test_aligned_spf_pass_is_not_held_to_coverage_or_age(
        service: Service, api: ApiClient, dns: LocalDnsServer) -> None:
    # Sent by acme.test's own server (SPF passes, aligned): an unsigned Cc, or an old
    # signature, says nothing against a sender SPF proves.
    d = await acme(api)
    dns.add_txt("acme.test", SPF_ALLOWS_LOOPBACK)
    raw = with_field_below(alices_mail("spf-aligned", "Bob <bob@client.test>", sent=DAYS_AGO),
                           f"Cc: {VICTOR}")

    await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]], raw)

    message = await settled(api, "<spf-aligned@acme.test>")
    assert message["status"] == "done"
    assert (await sender_finding(api, message["id"]))["reason"] == "sender_dkim_aligned"
    assert len(await timeline(api, d["project"], d["victor"])) == 1
    assert len(await timeline(api, d["project"], d["bob"])) == 1


async def test_a_header_dkimpy_cannot_read_is_judged_not_failed(
        service: Service, api: ApiClient) -> None:
    # A first header line starting with white space made dkimpy raise IndexError: the
    # message was retried and kept as failed. It has no readable signature: quarantined.
    d = await acme(api)
    raw = b" stray continuation\r\n" + alices_mail("stray", VICTOR)

    await send_smtp(service.smtp_port, "alice@acme.test", [d["bcc"]], raw)

    message = await settled(api, "<stray@acme.test>")
    assert message["status"] == "quarantined"
    assert message["authentication_results"].startswith("blindcopy; dkim=none; ")
    step = await sender_finding(api, message["id"])
    assert (step["verdict"], step["reason"]) == ("fail", "sender_no_signature")

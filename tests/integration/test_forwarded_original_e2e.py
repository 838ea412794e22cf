"""Issue 18.2 end to end: a forwarded original says how sure it is (SPEC §9 original_verified).

Alice (a member, her forwards signed by acme.test) forwards Carol's mail to Acme's forwarding
address over SMTP. An original attached as message/rfc822 whose own DKIM signature (by
client.test, Carol's domain) verifies and aligns is original_verified; one attached unsigned,
one whose signature leaves an added Cc unsigned, and one quoted inline are not. All four are
logged on Carol: the forwarder is a proved member. Keys come from the local DNS server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest

from blindcopy.runtime import Service
from config.settings import Settings
from tests.client import ApiClient, eventually, send_smtp
from tests.directory import a_project, a_user, contacts, email, timeline
from tests.dnsserver import LocalDnsServer, running_dns_server
from tests.integration.test_sender_auth_e2e import dns_settings
from tests.unit.sender_auth.dkim_keys import publish, rsa_key, sign

NOW = format_datetime(datetime.now(UTC))
INLINE_FORWARD = """FYI, see below.

---------- Forwarded message ---------
From: Carol Client <carol@client.test>
Date: {date}
Subject: Quote inline
To: Alice <alice@acme.test>

Can you send me the quote?
"""


@pytest.fixture
def dns() -> Iterator[LocalDnsServer]:
    """Publish the DKIM keys of acme.test (Alice's) and client.test (Carol's)."""
    with running_dns_server() as server:
        publish(server, rsa_key("acme"), "acme.test")
        publish(server, rsa_key("client"), "client.test")
        yield server


@pytest.fixture
def settings(database_url: str, dns: LocalDnsServer) -> Settings:
    """The local DNS server and no trusted relays."""
    return dns_settings(database_url, dns)


def carols_mail(name: str) -> bytes:
    """Return Carol's mail to Alice (unsigned), Message-ID <name@client.test>."""
    return email("Carol Client <carol@client.test>", "Alice <alice@acme.test>",
                 f"Quote {name}", message_id=f"<{name}@client.test>",
                 body="Can you send me the quote?", date=NOW)


def signed_by_carol(name: str) -> bytes:
    return sign(carols_mail(name), rsa_key("client"), "client.test")


def alices_forward(name: str, to: str, *, attached: bytes = b"", text: str = "FYI") -> bytes:
    """Return Alice's forward (signed by acme.test), attaching `attached` as sent, if any."""
    head = (f"From: Alice <alice@acme.test>\r\nTo: {to}\r\nSubject: Fwd: Quote {name}\r\n"
            f"Date: {NOW}\r\nMessage-ID: <fwd-{name}@acme.test>\r\nMIME-Version: 1.0\r\n")
    if not attached:
        body = text.replace("\n", "\r\n").encode()
        raw = (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n").encode() + body
    else:
        raw = (head + 'Content-Type: multipart/mixed; boundary="fwd"\r\n\r\n--fwd\r\n'
               "Content-Type: text/plain\r\n\r\nSee the attached mail.\r\n--fwd\r\n"
               "Content-Type: message/rfc822\r\n\r\n").encode() + attached + b"\r\n--fwd--\r\n"
    return sign(raw, rsa_key("acme"), "acme.test")


async def acme(api: ApiClient) -> dict[str, Any]:
    """Create Acme Homes (sender_auth aligned), member Alice and contact Carol."""
    project = await a_project(api, "Acme Homes", sender_auth="aligned")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    ids = await contacts(api, project["id"], ("carol", "Carol Client", ["carol@client.test"]))
    return {"project": project["id"], "alice": alice["id"], "carol": ids["carol"],
            "forward": project["addresses"]["forward"]}


async def decisions(api: ApiClient, count: int) -> dict[str, dict[str, Any]]:
    """Wait for `count` processed messages; return their decisions by logged Message-ID."""
    async def probe() -> list[dict[str, Any]] | None:
        items = (await api.get("/v1/messages"))["items"]
        done = [item for item in items if item["status"] not in ("queued", "processing")]
        return done if len(done) == count else None
    return {item["message_id"]: await api.get(f"/v1/messages/{item['id']}/decision")
            for item in await eventually(probe)}


def original_finding(decision: dict[str, Any]) -> tuple[str, str, str]:
    [step] = [s for s in decision["trace"] if s["rule"] == "original-verified"]
    return step["verdict"], step["reason"], step["detail"]


async def test_forwarded_originals_say_whether_their_own_signature_proves_them(
        service: Service, api: ApiClient) -> None:
    d = await acme(api)
    added_cc = b"Cc: Dan <dan@client.test>\r\n" + signed_by_carol("cc-added")
    forwards = [
        alices_forward("signed", d["forward"], attached=signed_by_carol("signed")),
        alices_forward("unsigned", d["forward"], attached=carols_mail("unsigned")),
        alices_forward("cc-added", d["forward"], attached=added_cc),
        alices_forward("inline", d["forward"], text=INLINE_FORWARD.format(date=NOW)),
    ]

    for raw in forwards:
        await send_smtp(service.smtp_port, "alice@acme.test", [d["forward"]], raw)

    found = await decisions(api, len(forwards))
    [inline_id] = [key for key in found if key.endswith("@synthetic.blindcopy>")]
    expected = {
        "<signed@client.test>": (True, "pass", "original_verified",
                                 "own DKIM signature of client.test, which verifies"),
        "<unsigned@client.test>": (False, "fail", "original_unsigned",
                                   "is attached without a DKIM signature"),
        "<cc-added@client.test>": (False, "fail", "original_unsigned_header",
                                   "not every Cc header field in it is signed"),
        inline_id: (False, "fail", "original_inline", "is quoted in the text of the forward"),
    }
    for message_id, (verified, verdict, reason, detail) in expected.items():
        decision = found[message_id]
        assert (decision["status"], decision["original_verified"]) == ("done", verified)
        assert [o["status"] for o in decision["outcomes"] if o["address"] == "carol@client.test"
                ] == ["logged"], message_id
        step = original_finding(decision)
        assert step[:2] == (verdict, reason), message_id
        assert detail in step[2], (message_id, step[2])
        assert verified or step[2].endswith("it is logged as Alice forwarded it."), step[2]
    interactions = await timeline(api, d["project"], d["carol"])
    assert {i["user_id"] for i in interactions} == {d["alice"]}
    assert len(interactions) == len(forwards)

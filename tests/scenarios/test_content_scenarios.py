"""SPEC §12 end to end: attachments, meetings and forwarded dates in every locale.

Mail comes in over SMTP (BCC and forwarding addresses) or the Log button; what is logged is
read back through the API, attachments downloaded over HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import hashlib
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from sqlalchemy import func, select

from blindcopy.runtime import Service
from config.settings import Settings
from store.models import AttachmentContent
from tests.client import ApiClient, eventually, send_smtp
from tests.directory import a_project, a_token, a_user, contacts, email, timeline
from tests.scenarios.conftest import World
from tests.scenarios.world import log, processed

MAX_ATTACHMENT_BYTES = 64 * 1024
OFFER = b"%PDF-1.4 the offer " * 60  # about 1 KB
PLAN = bytes(range(256)) * 400  # 100 KB: above MAX_ATTACHMENT_BYTES


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a small max_attachment_bytes, to see both sides of it."""
    return dataclasses.replace(settings, max_attachment_bytes=MAX_ATTACHMENT_BYTES)


def with_attachments(message_id: str, *files: tuple[str, str, bytes],
                     to: str = "bob@client.test") -> bytes:
    """Return Alice's email to `to` carrying the files (name, media type, bytes)."""
    message = EmailMessage()
    message["From"] = "Alice <alice@acme.test>"
    message["To"] = to
    message["Subject"] = "The documents"
    message["Date"] = "Tue, 24 Nov 2026 10:00:00 +0100"
    message["Message-ID"] = message_id
    message.set_content("Please find the documents attached.")
    for name, media_type, data in files:
        maintype, subtype = media_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


async def download(api: ApiClient, interaction_id: str, n: int | str
                   ) -> tuple[int, dict[str, str], bytes]:
    """GET an attachment; return (status, headers, body)."""
    async with aiohttp.ClientSession() as session, session.get(
            f"{api.base_url}/v1/interactions/{interaction_id}/attachments/{n}",
            headers={"Authorization": f"Bearer {api.token}"}) as response:
        return response.status, dict(response.headers), await response.read()


async def stored_contents(service: Service) -> int:
    count = await service.store.run_read(lambda session: session.execute(
        select(func.count()).select_from(AttachmentContent)).scalar_one())
    return int(count)


async def test_attachments_are_stored_once_and_served_only_to_their_project(
        world: World, service: Service) -> None:
    p1, p2 = world.p1["id"], world.p2["id"]
    bob_in_p1 = (await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"])))["bob"]
    await contacts(world.api, p2, ("bob", "Bob", ["bob@client.test"]))
    raw = with_attachments("<docs@acme.test>", ("Angebot für Bob.pdf", "application/pdf", OFFER),
                           ("copy.pdf", "application/pdf", OFFER),
                           ("plan.bin", "application/octet-stream", PLAN))

    await send_smtp(service.smtp_port, "alice@acme.test", [world.p1["addresses"]["bcc"]], raw)
    await processed(world.api, "<docs@acme.test>")
    await log(world.alice_api, raw, [p2])  # the same email logged in the other project too

    [item] = await timeline(world.api, p1, bob_in_p1)
    listed = item["message"]["attachments"]
    assert [(a["n"], a["filename"], a["size"], a["stored"]) for a in listed] == [
        (1, "Angebot für Bob.pdf", len(OFFER), True), (2, "copy.pdf", len(OFFER), True),
        (3, "plan.bin", len(PLAN), False)]
    assert "max_attachment_bytes" in listed[2]["not_stored"]
    assert listed[0]["sha256"] == hashlib.sha256(OFFER).hexdigest()
    # One content, stored once whatever number of attachments and projects carry it.
    assert await stored_contents(service) == 1

    status, headers, body = await download(world.alice_api, item["id"], 1)
    assert (status, body) == (200, OFFER)
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"Angebot f_r Bob.pdf\"; "
        f"filename*=utf-8''{quote('Angebot für Bob.pdf', safe='')}")
    assert headers["X-Content-Type-Options"] == "nosniff"

    status, _, body = await download(world.alice_api, item["id"], 3)
    assert status == 404 and b"max_attachment_bytes" in body
    assert (await download(world.alice_api, item["id"], 4))[0] == 404
    assert (await download(world.alice_api, item["id"], "first"))[0] == 422

    # A user of the other project only: the interaction does not exist for them.
    dora = await a_user(world.api, "Dora", "dora@acme.test", projects=(p2,))
    dora_api = world.api.as_user(await a_token(world.api, dora["id"]))
    status, headers, body = await download(dora_api, item["id"], 1)
    assert status == 404 and headers["Content-Type"].startswith("application/problem+json")
    assert OFFER not in body

    # Unlogged, it is no longer served.
    await world.alice_api.delete(f"/v1/interactions/{item['id']}")
    assert (await download(world.alice_api, item["id"], 1))[0] == 404


async def test_a_project_that_keeps_no_bodies_keeps_no_attachment_bytes(
        world: World, service: Service) -> None:
    private = await a_project(world.api, "Private", store_bodies=False)
    await world.api.request("PUT", f"/v1/projects/{private['id']}/members/{world.alice['id']}",
                            expect=204)
    bob = (await contacts(world.api, private["id"], ("bob", "Bob", ["bob@client.test"])))["bob"]

    await log(world.alice_api, with_attachments("<private@acme.test>",
                                                ("offer.pdf", "application/pdf", OFFER)),
              [private["id"]])

    [item] = await timeline(world.api, private["id"], bob)
    [listed] = item["message"]["attachments"]
    assert (listed["stored"], listed["not_stored"]) == (
        False, "the project does not store bodies (store_bodies is false)")
    assert (await download(world.alice_api, item["id"], 1))[0] == 404
    assert await stored_contents(service) == 0


VTIMEZONE = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""


def invitation(method: str, sequence: int, start: str, message_id: str) -> bytes:
    """Return Alice's Outlook-style invitation to Bob (text/calendar in the alternative)."""
    calendar = "\r\n".join([
        "BEGIN:VCALENDAR", f"METHOD:{method}", "PRODID:Microsoft Exchange Server 2010",
        "VERSION:2.0", *VTIMEZONE.splitlines(), "BEGIN:VEVENT",
        "ORGANIZER;CN=Alice:mailto:alice@acme.test",
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;CN=Bob:mailto:bob@client.test",
        "UID:040000008200E00074C5B7101A82E008", "SUMMARY:Roof quote review",
        f"DTSTART;TZID=W. Europe Standard Time:{start}",
        "DTEND;TZID=W. Europe Standard Time:20261130T170000", f"SEQUENCE:{sequence}",
        "LOCATION:Site office", "END:VEVENT", "END:VCALENDAR", ""])
    message = EmailMessage()
    message["From"] = "Alice <alice@acme.test>"
    message["To"] = "Bob <bob@client.test>"
    message["Subject"] = "Roof quote review" if method == "REQUEST" else "Canceled: Roof quote"
    message["Date"] = "Tue, 24 Nov 2026 10:00:00 +0100"
    message["Message-ID"] = message_id
    message.set_content("Let us meet about the roof.")
    message.add_alternative(calendar, subtype="calendar", params={"method": method})
    return message.as_bytes()


async def bcc(world: World, service: Service, raw: bytes, message_id: str) -> dict[str, Any]:
    await send_smtp(service.smtp_port, "alice@acme.test", [world.p1["addresses"]["bcc"]], raw)
    return await processed(world.api, message_id)


async def test_a_meeting_is_requested_updated_and_cancelled(world: World,
                                                           service: Service) -> None:
    p1, p2 = world.p1["id"], world.p2["id"]
    bob = (await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"])))["bob"]
    bob_in_p2 = (await contacts(world.api, p2, ("bob", "Bob", ["bob@client.test"])))["bob"]
    # The invitation (its UID) logged in the other project too: a meeting of its own there.
    await log(world.alice_api, invitation("REQUEST", 0, "20261130T150000",
                                          "<invite-p2@acme.test>"), [p2])

    decision = await bcc(world, service, invitation("REQUEST", 0, "20261130T150000",
                                                    "<invite-0@acme.test>"),
                         "<invite-0@acme.test>")
    assert [o["interaction_type"] for o in decision["outcomes"]] == ["Meeting"]
    assert "meeting_request" in {step["reason"] for step in decision["trace"]}
    [item] = await timeline(world.api, p1, bob)
    meeting = item["meeting"]
    assert item["type"] == "Meeting"
    assert {k: meeting[k] for k in ("uid", "sequence", "status", "start", "end", "timezone",
                                    "location", "organizer", "summary")} == {
        "uid": "040000008200E00074C5B7101A82E008", "sequence": 0, "status": "confirmed",
        # 15:00 in the invitation's own VTIMEZONE: +01:00 in November.
        "start": "2026-11-30T15:00:00+01:00", "end": "2026-11-30T17:00:00+01:00",
        "timezone": "W. Europe Standard Time", "location": "Site office",
        "organizer": "alice@acme.test", "summary": "Roof quote review"}
    assert [(a["address"], a["name"], a["status"]) for a in meeting["attendees"]] == [
        ("bob@client.test", "Bob", "needs-action")]

    # Moved to 16:00 (SEQUENCE 1): the same meeting, updated.
    await bcc(world, service, invitation("REQUEST", 1, "20261130T160000", "<invite-1@acme.test>"),
              "<invite-1@acme.test>")
    # An older invitation arriving late changes nothing.
    await bcc(world, service, invitation("REQUEST", 0, "20261130T150000", "<invite-0b@acme.test>"),
              "<invite-0b@acme.test>")
    items = await timeline(world.api, p1, bob)
    assert len(items) == 3
    assert {(i["meeting"]["sequence"], i["meeting"]["start"]) for i in items} == {
        (1, "2026-11-30T16:00:00+01:00")}

    await bcc(world, service, invitation("CANCEL", 2, "20261130T160000", "<cancel@acme.test>"),
              "<cancel@acme.test>")
    items = await timeline(world.api, p1, bob)
    assert [i["type"] for i in items] == ["Meeting"] * 4
    assert {(i["meeting"]["status"], i["meeting"]["sequence"]) for i in items} == {
        ("cancelled", 2)}
    # Nothing captured for project 2 changed its meeting (SPEC §9).
    [other] = await timeline(world.api, p2, bob_in_p2)
    assert (other["type"], other["meeting"]["status"], other["meeting"]["start"]) == (
        "Meeting", "confirmed", "2026-11-30T15:00:00+01:00")


FORWARDS = {
    # Outlook (German), Gmail (French), Outlook (Spanish): no zone, so the forward's own
    # (its Date says +0100); Apple Mail says GMT+1 itself.
    "de": ("WG: Angebot", ("Von: Bob Buyer <bob@client.test>\r\n"
           "Gesendet: Montag, 23. November 2026 16:12\r\nAn: Alice <alice@acme.test>\r\n"
           "Betreff: Angebot\r\n"), "2026-11-23T15:12:00+00:00"),
    "fr": ("TR: Offre", ("---------- Forwarded message ---------\r\n"
           "De : Bob Buyer <bob@client.test>\r\nDate : lun. 23 nov. 2026 à 16:12\r\n"
           "Subject: Offre\r\nTo: Alice <alice@acme.test>\r\n"), "2026-11-23T15:12:00+00:00"),
    "es": ("RV: Oferta", ("De: Bob Buyer <bob@client.test>\r\n"
           "Enviado: lunes, 23 de noviembre de 2026 16:12\r\nPara: Alice <alice@acme.test>\r\n"
           "Asunto: Oferta\r\n"), "2026-11-23T15:12:00+00:00"),
    "apple": ("Fwd: Offer", ("Begin forwarded message:\r\n\r\n"
              "From: Bob Buyer <bob@client.test>\r\nSubject: Offer\r\n"
              "Date: November 23, 2026 at 4:12:09 PM GMT+1\r\nTo: Alice <alice@acme.test>\r\n"),
              "2026-11-23T15:12:09+00:00"),
}


@pytest.mark.parametrize("locale", sorted(FORWARDS))
async def test_a_forwarded_date_is_read_in_its_locale_and_zone(world: World, service: Service,
                                                               locale: str) -> None:
    p1 = world.p1["id"]
    bob = (await contacts(world.api, p1, ("bob", "Bob", ["bob@client.test"])))["bob"]
    subject, header_block, instant = FORWARDS[locale]
    forward = email("Alice <alice@acme.test>", world.p1["addresses"]["forward"], subject,
                    message_id=f"<fwd-{locale}@acme.test>",
                    date="Tue, 24 Nov 2026 10:00:00 +0100",
                    body=f"FYI\r\n\r\n{header_block}\r\nOur budget is 500k.\r\n")

    await send_smtp(service.smtp_port, "alice@acme.test", [world.p1["addresses"]["forward"]],
                    forward)

    [item] = await eventually(lambda: timeline(world.api, p1, bob))
    assert item["message"]["from"] == "bob@client.test"
    assert item["message"]["date"] == instant

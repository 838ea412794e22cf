"""Erasure on request (SPEC §13): after it, the address is nowhere in the store.

The proof is a search of the whole database for the address: every column of every table
(as text, any case; bytes as bytes), and on SQLite the database file's own bytes after a
checkpoint and VACUUM; on PostgreSQL after VACUUM. A later capture of the address is
not logged, creates no contact, and leaves the address nowhere either.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, LargeBinary, MetaData, String, cast, func, select, text

from blindcopy.runtime import Service, start_service
from config.settings import Settings
from tests.client import ApiClient, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project, a_token, a_user, contacts, email, timeline
from tests.integration.privacy.support import email_with_attachment, events_of, processed
from tests.scenarios.world import log, summary

ERASED = "bob@client.test"


@pytest.fixture
async def running(settings: Settings) -> AsyncIterator[Service]:
    """The whole service; the test stops it itself to look at the database file."""
    service = await start_service(settings)
    try:
        yield service
    finally:
        if service.smtp_server is not None and service.smtp_server.is_serving():
            await service.stop()


def mentions(engine: Engine, needle: str) -> list[str]:
    """Return "table.column" of every value in the database that holds `needle` (any case)."""
    tables = MetaData()
    tables.reflect(engine)
    found = []
    with engine.connect() as db:
        for table in tables.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, LargeBinary):
                    values = db.scalars(select(column).where(column.is_not(None))).all()
                    hits = sum(needle.encode() in bytes(v).lower() for v in values)
                else:
                    hits = db.scalar(select(func.count()).where(func.lower(
                        cast(column, String)).contains(needle, autoescape=True))) or 0
                found += [f"{table.name}.{column.name}"] * bool(hits)
    return found


def vacuumed_file_bytes(engine: Engine) -> bytes:
    """Checkpoint and VACUUM the SQLite file (no other connection open); return its bytes."""
    path = Path(str(engine.url.database))
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in ("PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM",
                          "PRAGMA wal_checkpoint(TRUNCATE)"):
            connection.execute(statement).fetchall()
    finally:
        connection.close()
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def vacuum_postgresql(engine: Engine) -> None:
    """VACUUM every table of the test's schema (outside a transaction)."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        for table in tables.sorted_tables:
            db.execute(text(f'VACUUM "{table.name}"'))


async def _history_of_bob(service: Service, api: ApiClient) -> dict[str, Any]:
    """Bob's emails in two projects and one where he is no contact, lists naming him."""
    acme = await a_project(api, "Acme Homes", create_contacts="recipients")
    beta = await a_project(api, "Beta Build")
    gamma = await a_project(api, "Gamma")
    alice = await a_user(api, "Alice", "alice@acme.test",
                         projects=(acme["id"], beta["id"], gamma["id"]))
    carol = await a_user(api, "Carol", "carol@acme.test", projects=(acme["id"],))
    acme_ids = await contacts(api, acme["id"], ("bob", "Bob", ["Bob@Client.test"]),
                              ("dan", "Dan", ["dan@client.test"]))
    await contacts(api, beta["id"], ("bob", "Bob", [ERASED, "bob.home@else.test"]))
    await api.post(f"/v1/projects/{acme['id']}/never-log", {"address": "x@client.test"},
                   expect=201)
    await api.post(f"/v1/projects/{gamma['id']}/never-log", {"address": ERASED}, expect=201)
    await api.post(f"/v1/users/{carol['id']}/never-log", {"address": ERASED}, expect=201)
    alice_api = api.as_user(await a_token(api, alice["id"]))
    # Over SMTP: Alice to Bob, Dan in copy, with an attachment (logged on both in Acme).
    raw = email_with_attachment("Alice <alice@acme.test>", "Bob <Bob@Client.test>",
                                "Offer for Bob", "Bob, see bob@client.test's terms.",
                                "<offer@acme.test>")
    raw = raw.replace(b"To: Bob", b"Cc: dan@client.test\r\nTo: Bob", 1)
    await send_smtp(service.smtp_port, "alice@acme.test", [acme["addresses"]["bcc"]], raw)
    await processed(api, "<offer@acme.test>")
    # Bob writes to Alice, logged in Beta; and mail to him in Gamma logs nothing.
    await log(alice_api, email("Bob <bob@client.test>", "alice@acme.test", "Re: offer",
                               message_id="<reply@client.test>"), [beta["id"]])
    await log(alice_api, email("alice@acme.test", ERASED, message_id="<gamma@acme.test>"),
              [gamma["id"]])
    return {"acme": acme, "beta_id": beta["id"], "dan": acme_ids["dan"], "alice": alice_api}


async def test_after_an_erasure_the_address_is_nowhere_in_the_store(
        running: Service, settings: Settings) -> None:
    async with ApiClient(f"http://127.0.0.1:{running.http_port}", ADMIN_TOKEN) as api:
        world = await _history_of_bob(running, api)
        engine = running.store.engine
        assert mentions(engine, ERASED)

        counts = await api.post("/v1/erasures", {"address": "BOB@client.test"})

        assert counts == {"interactions": 2, "messages": 2, "raws": 3, "attachments": 1}
        [kept] = await timeline(api, world["acme"]["id"], world["dan"])
        assert kept["message"]["cc"] == ["dan@client.test"]
        assert kept["message"]["subject"] == "" and kept["message"]["attachments"] == []
        assert kept["message"]["to"][0].startswith("erased:")
        # Captured again: not logged, no contact created (create_contacts is on in Acme).
        again = await log(world["alice"], email("alice@acme.test", "Bob@client.test",
                                                message_id="<later@acme.test>"),
                          [world["acme"]["id"]])
        [(address, _project, status, reason)] = summary(again)
        assert (address.startswith("erased:"), status, reason) == (
            True, "not_logged", "address_erased")
        found = (await api.get(f"/v1/projects/{world['acme']['id']}/contacts",
                               params={"email": ERASED}))["items"]
        assert found == []
        metrics = await (await api._session.get(  # type: ignore[union-attr]
            f"{api.base_url}/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        ).text()
        assert 'blindcopy_erased_total{kind="interactions"} 2.0' in metrics
        events = await events_of(api, 2, type="contact.erased")
        assert sorted(e["project_id"] for e in events) == sorted(
            [world["acme"]["id"], world["beta_id"]])

    assert mentions(engine, ERASED) == []
    await running.stop()
    if engine.dialect.name == "sqlite":
        assert ERASED.encode() not in vacuumed_file_bytes(engine).lower()
    else:
        vacuum_postgresql(engine)
        assert mentions(engine, ERASED) == []


async def test_erasure_is_for_admins_and_checks_its_input(service: Service,
                                                           api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    alice_api = api.as_user(await a_token(api, alice["id"]))

    assert (await alice_api.post("/v1/erasures", {"address": ERASED}, expect=403))[
        "status"] == 403
    invalid = await api.post("/v1/erasures", {"address": "nobody", "project_id": 5},
                             expect=422)
    assert sorted(e["field"] for e in invalid["errors"]) == ["address", "project_id"]
    unknown = await api.post("/v1/erasures", {"address": ERASED, "project_id": "nope"},
                             expect=422)
    assert [e["field"] for e in unknown["errors"]] == ["project_id"]
    conflict = await api.post("/v1/erasures", {"address": "Alice@acme.test"}, expect=409)
    assert conflict["status"] == 409


async def test_erasure_from_one_project_leaves_the_others(service: Service,
                                                          api: ApiClient) -> None:
    acme = await a_project(api, "Acme Homes")
    beta = await a_project(api, "Beta Build")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(acme["id"], beta["id"]))
    alice_api = api.as_user(await a_token(api, alice["id"]))
    ids = {p["id"]: await contacts(api, p["id"], ("bob", "Bob", [ERASED])) for p in (acme, beta)}
    for project in (acme, beta):
        await log(alice_api, email("alice@acme.test", ERASED,
                                   message_id=f"<m-{project['slug']}@acme.test>"),
                  [project["id"]])

    counts = await api.post("/v1/erasures", {"address": ERASED, "project_id": acme["id"]})

    assert (counts["interactions"], counts["messages"]) == (1, 1)
    assert len(await timeline(api, beta["id"], ids[beta["id"]]["bob"])) == 1
    acme_again = await log(alice_api, email("alice@acme.test", ERASED,
                                            message_id="<again@acme.test>"), [acme["id"]])
    beta_again = await log(alice_api, email("alice@acme.test", ERASED,
                                            message_id="<again@acme.test>"), [beta["id"]])
    assert [o["reason"] for o in acme_again["outcomes"]] == ["address_erased"]
    assert [o["status"] for o in beta_again["outcomes"]] == ["logged"]

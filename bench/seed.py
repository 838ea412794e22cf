"""Seed a benchmark directory: a project and a member through the API, contacts in bulk.

Contacts go straight into the store with SQLAlchemy core `executemany` (tens of thousands of
rows per second), because creating 100,000 or 1,000,000 contacts through the HTTP API would
measure the API, not the pipeline. Contact 0 is bob@client.test; contact i is
contact{i}@client{i % 1000}.test. History (logged emails: thread, message, interaction)
goes in the same way: email i was logged on contact i % contacts, Message-ID
<history-{i}@acme.test>, in the project's own thread and message rows (SPEC §9), recorded
without a fingerprint (as migration 0008 leaves older rows).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from sqlalchemy import Engine, insert

from store.models import (
    Company,
    CompanyDomain,
    Contact,
    ContactAddress,
    Deal,
    DealContact,
    Interaction,
    Message,
    Thread,
)

CHUNK = 10_000
MEMBER = "alice@acme.test"


@dataclass(frozen=True)
class Directory:
    """What a benchmark needs to send mail and call the API as the member."""

    project_id: str
    bcc: str
    user_id: str
    user_token: str


def contact_address(index: int) -> str:
    """Return the address of seeded contact `index`."""
    return "bob@client.test" if index == 0 else f"contact{index}@client{index % 1000}.test"


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seed_members(base_url: str, admin_token: str) -> Directory:
    """Create a project (sender_auth none), a member and the member's token via the API."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with aiohttp.ClientSession(base_url, headers=headers) as http:
        async def call(method: str, path: str, body: object = None) -> dict:
            async with http.request(method, path, json=body) as response:
                assert response.status < 300, (path, response.status, await response.text())
                return await response.json() if response.status != 204 else {}
        project = await call("POST", "/v1/projects", {
            "name": "Bench Homes", "slug": f"bench-{uuid.uuid4().hex[:6]}",
            "settings": {"sender_auth": "none"}})
        user = await call("POST", "/v1/users", {"name": "Alice", "email": MEMBER})
        await call("PUT", f"/v1/projects/{project['id']}/members/{user['id']}")
        token = await call("POST", f"/v1/users/{user['id']}/tokens")
    return Directory(project["id"], project["addresses"]["bcc"], user["id"], token["token"])


def history_message_id(index: int) -> str:
    """Return the Message-ID of seeded logged email `index`."""
    return f"<history-{index}@acme.test>"


def _contact_id(run: str, index: int) -> str:
    return f"{run}{index:024d}"


def company_domain(index: int) -> str:
    """Return the domain of seeded company `index`: the first 1,000 are the contacts'
    (company 0 is bob@client.test's)."""
    if index == 0:
        return "client.test"
    return f"client{index}.test" if index < 1000 else f"company{index}.test"


def _company_id(run: str, index: int) -> str:
    return f"co{run}{index:022d}"


def seed_companies(engine: Engine, project_id: str, count: int, run: str) -> float:
    """Insert `count` companies with one domain each (`company_domain`); return the seconds."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    for first in range(0, count, CHUNK):
        companies, domains = [], []
        for index in range(first, min(first + CHUNK, count)):
            company_id = _company_id(run, index)
            companies.append({"id": company_id, "project_id": project_id,
                              "external_id": f"company-{index}", "name": f"Company {index}",
                              "created_at": now, "updated_at": now})
            domains.append({"id": company_id, "company_id": company_id,
                            "project_id": project_id, "domain": company_domain(index)})
        with engine.begin() as connection:
            connection.execute(insert(Company), companies)
            connection.execute(insert(CompanyDomain), domains)
    return time.perf_counter() - started


def seed_deals(engine: Engine, project_id: str, count: int, contacts: int, run: str) -> float:
    """Insert `count` deals, deal i on contact i % contacts (seeded with `run`); return the
    seconds. Every fifth round over the contacts is closed (won or lost), the others open, so
    every contact has open deals; their updated_at times differ."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    for first in range(0, count, CHUNK):
        deals, links = [], []
        for index in range(first, min(first + CHUNK, count)):
            deal_id = f"d{run}{index:023d}"
            round_ = index // contacts
            status = "open" if round_ % 5 != 4 else ("won" if round_ % 10 == 4 else "lost")
            updated = datetime(2026, 1, 1, tzinfo=UTC).replace(
                minute=index % 60, hour=(index // 60) % 24)
            deals.append({"id": deal_id, "project_id": project_id, "external_id": f"deal-{index}",
                          "name": f"Deal {index}", "status": status, "updated_at": updated,
                          "created_at": now})
            links.append({"id": deal_id, "deal_id": deal_id,
                          "contact_id": _contact_id(run, index % contacts),
                          "project_id": project_id, "status": status, "updated_at": updated})
        with engine.begin() as connection:
            connection.execute(insert(Deal), deals)
            connection.execute(insert(DealContact), links)
    return time.perf_counter() - started


def seed_contacts(engine: Engine, project_id: str, count: int,
                        owner_id: str | None = None, run: str | None = None,
                        companies: int = 0) -> float:
    """Insert `count` contacts with one address each; return the seconds it took.

    `run` prefixes their ids (random unless given; `seed_history` needs the same one).
    With `companies` (seeded before with the same run), every odd contact names company
    i % companies as its own.
    """
    started = time.perf_counter()
    now = datetime.now(UTC)
    run = run or os.urandom(4).hex()
    for first in range(0, count, CHUNK):
        contacts, addresses = [], []
        for index in range(first, min(first + CHUNK, count)):
            contact_id = _contact_id(run, index)
            company = (_company_id(run, index % companies)
                       if companies and index % 2 else None)
            contacts.append({"id": contact_id, "project_id": project_id,
                             "external_id": f"bench-{index}", "name": f"Contact {index}",
                             "owner_id": owner_id, "created_at": now, "updated_at": now,
                             "company_id": company})
            addresses.append({"id": contact_id, "contact_id": contact_id,
                              "project_id": project_id, "address": contact_address(index)})
        with engine.begin() as connection:
            connection.execute(insert(Contact), contacts)
            connection.execute(insert(ContactAddress), addresses)
    return time.perf_counter() - started


def seed_history(engine: Engine, project_id: str, count: int, contacts: int,
                 run: str) -> float:
    """Insert `count` logged emails, each its own thread, on the contacts seeded with `run`.

    Return the seconds it took.
    """
    started = time.perf_counter()
    now = datetime.now(UTC)
    for first in range(0, count, CHUNK):
        threads, messages, interactions = [], [], []
        for index in range(first, min(first + CHUNK, count)):
            row_id = f"h{run}{index:023d}"
            threads.append({"id": row_id, "project_id": project_id,
                            "root_id": history_message_id(index), "subject": "Offer",
                            "created_at": now})
            messages.append({"id": row_id, "project_id": project_id,
                             "message_id": history_message_id(index), "thread_id": row_id,
                             "subject": "Offer", "from_address": MEMBER, "from_name": "Alice",
                             "created_at": now})
            interactions.append({"id": row_id, "project_id": project_id,
                                 "contact_id": _contact_id(run, index % contacts),
                                 "message_ref": row_id, "thread_id": row_id,
                                 "channels": ["bcc"], "logged_at": now})
        with engine.begin() as connection:
            connection.execute(insert(Thread), threads)
            connection.execute(insert(Message), messages)
            connection.execute(insert(Interaction), interactions)
    return time.perf_counter() - started

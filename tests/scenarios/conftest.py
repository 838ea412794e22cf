"""A small CRM directory shared by the SPEC §8 scenarios, built through the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.client import ApiClient
from tests.directory import a_project, a_token, a_user


@dataclass
class World:
    """Two projects, three users; each scenario adds its contacts and mailboxes."""

    api: ApiClient
    p1: dict[str, Any]
    p2: dict[str, Any]
    alice: dict[str, Any]
    ben: dict[str, Any]
    cleo: dict[str, Any]
    alice_api: ApiClient


@pytest.fixture
async def world(api: ApiClient) -> World:
    """Return the shared directory: Alice and Ben in both projects, Cleo in project 1."""
    p1 = await a_project(api, "Acme Homes", interaction_type="Email (Acme)")
    p2 = await a_project(api, "Birch Realty")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(p1["id"], p2["id"]),
                         aliases=["a.agent@acme.test"], personal_email_access=True)
    ben = await a_user(api, "Ben", "ben@acme.test", projects=(p1["id"], p2["id"]),
                       personal_email_access=True)
    cleo = await a_user(api, "Cleo", "cleo@acme.test", projects=(p1["id"],))
    alice_api = api.as_user(await a_token(api, alice["id"]))
    return World(api, p1, p2, alice, ben, cleo, alice_api)

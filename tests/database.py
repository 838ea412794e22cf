"""Test databases: a fresh SQLite file per test, or a fresh PostgreSQL schema per test.

PostgreSQL is used when BLINDCOPY_TEST_DATABASE_URL is set; each test gets its own schema
(selected through the connection's search_path) so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

POSTGRES_URL = os.environ.get("BLINDCOPY_TEST_DATABASE_URL", "")


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}search_path={schema}"


@contextmanager
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty database that is removed afterwards."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'blindcopy-test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield _with_search_path(POSTGRES_URL, schema)
        finally:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

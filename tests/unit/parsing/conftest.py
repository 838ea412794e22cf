"""Fixtures for the parser's unit tests: the shared corpora."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPORA = Path(__file__).parents[3] / ".." / "shared" / "corpora"


@pytest.fixture(scope="session")
def corpora() -> Path:
    """Return the shared corpora folder, or skip the test when it is not there."""
    if not CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {CORPORA}")
    return CORPORA

"""Locate the shared test corpora (../shared/corpora from the repo root); skip when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPORA = Path(__file__).parents[2] / ".." / "shared" / "corpora"


@pytest.fixture(scope="session")
def corpora() -> Path:
    """Return the corpora folder, or skip the test when it is not there."""
    if not CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {CORPORA}")
    return CORPORA

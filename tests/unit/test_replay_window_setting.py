"""dkim_replay_window_hours: declared once, validated, and handed to processing (SPEC §9)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from blindcopy.runtime import build_context
from config.settings import SettingsError, load_settings


def test_the_window_reaches_processing_from_the_environment() -> None:
    settings = load_settings({"BLINDCOPY_DKIM_REPLAY_WINDOW_HOURS": "6.5"})

    assert build_context(settings).dkim_replay_window == timedelta(hours=6.5)


def test_the_default_window_is_48_hours() -> None:
    assert build_context(load_settings({})).dkim_replay_window == timedelta(hours=48)


@pytest.mark.parametrize("hours", ["0", "-1"])
def test_a_window_that_is_not_positive_is_refused(hours: str) -> None:
    with pytest.raises(SettingsError, match="dkim_replay_window_hours: must be positive"):
        load_settings({"BLINDCOPY_DKIM_REPLAY_WINDOW_HOURS": hours})

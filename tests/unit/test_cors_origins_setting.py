"""`cors_origins` takes exact origins only (SPEC §11): no path, no wildcard."""

from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings, origin_list


def test_listed_origins_are_read_one_by_one() -> None:
    settings = load_settings({"BLINDCOPY_CORS_ORIGINS": (
        "chrome-extension://okjhmphbdacpejcpohadbdmabkkokmho, https://addin.example.com:8443,"
        "moz-extension://5f1c6a2e-2b7c-4f7e-9d0a-1b2c3d4e5f60")})
    assert origin_list(settings.cors_origins) == [
        "chrome-extension://okjhmphbdacpejcpohadbdmabkkokmho",
        "https://addin.example.com:8443", "moz-extension://5f1c6a2e-2b7c-4f7e-9d0a-1b2c3d4e5f60"]


@pytest.mark.parametrize("origin", ["*", "https://addin.example.com/", "addin.example.com",
                                    "https://addin.example.com/path", "null"])
def test_what_is_not_an_origin_is_refused_at_start(origin: str) -> None:
    with pytest.raises(SettingsError, match="cors_origins"):
        load_settings({"BLINDCOPY_CORS_ORIGINS": origin})

"""The notice and console settings are validated at start-up with the others."""

from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings, public_console_url


def test_notice_relay_needs_host_port_and_a_from_address() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"BLINDCOPY_NOTICE_SMTP": "relay.example.test"})
    assert str(refused.value).splitlines() == [
        "notice_smtp: 'relay.example.test' is not host:port",
        "notice_from: an address is required with notice_smtp"]


def test_console_url_must_be_http_and_defaults_to_the_api_address() -> None:
    with pytest.raises(SettingsError, match="console_url: must start with http"):
        load_settings({"BLINDCOPY_CONSOLE_URL": "crm.example.test"})
    settings = load_settings({"BLINDCOPY_NOTICE_SMTP": "127.0.0.1:25",
                              "BLINDCOPY_NOTICE_FROM": "blindcopy@crm.example.test"})
    assert public_console_url(settings) == "http://127.0.0.1:8080"
    assert public_console_url(load_settings(
        {"BLINDCOPY_CONSOLE_URL": "https://crm.example.test/"})) == "https://crm.example.test"

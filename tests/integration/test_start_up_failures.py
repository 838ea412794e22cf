"""Start-up failures are one line naming the setting and what to do, with a non-zero exit.

`blindcopy serve` runs as a subprocess of this checkout; everything else it writes before
failing is a JSON log line (a traceback would not be).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.client import free_port

ROOT = Path(__file__).resolve().parents[2]


def serve(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run `blindcopy serve` with these settings (and a secret unless given); wait for it."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("BLINDCOPY_")}
    env.update({"PYTHONPATH": str(ROOT), "BLINDCOPY_SECRET": "test-secret",
                "BLINDCOPY_ADMIN_TOKEN": "test-admin-token",
                "BLINDCOPY_DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
                "BLINDCOPY_SMTP_PORT": "0", "BLINDCOPY_HTTP_PORT": "0"})
    env.update({f"BLINDCOPY_{name.upper()}": value for name, value in settings.items()})
    return subprocess.run([sys.executable, "-m", "blindcopy.cli", "serve", *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60, check=False)


def the_failure(result: subprocess.CompletedProcess[str]) -> str:
    """Assert the process failed with exactly one line that is not a JSON log line."""
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if not _is_json(line)]
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def _is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


@pytest.mark.parametrize("interface", ["smtp", "http"])
def test_a_port_in_use_names_the_port_and_its_setting(tmp_path: Path, interface: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = the_failure(serve(tmp_path, **{f"{interface}_port": str(port)}))
    assert line.startswith(f"blindcopy: cannot listen for {interface.upper()} on 127.0.0.1:{port}")
    assert f"the port is in use; stop what listens there or set BLINDCOPY_{interface.upper()}" \
           f"_PORT to a free port" in line


def test_an_address_of_another_machine_names_the_host_setting(tmp_path: Path) -> None:
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine.
    line = the_failure(serve(tmp_path, smtp_host="192.0.2.7"))
    assert "cannot listen for SMTP on 192.0.2.7:0" in line
    assert "set BLINDCOPY_SMTP_HOST to one of this machine's addresses" in line


def test_a_database_that_does_not_answer_names_the_url_without_its_password(
        tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    line = the_failure(serve(tmp_path, database_url=f"postgresql://bob:hunter2@127.0.0.1:{port}/x"))
    assert line.startswith(f"blindcopy: cannot open the database BLINDCOPY_DATABASE_URL="
                           f"postgresql://bob:***@127.0.0.1:{port}/x: ")
    assert "hunter2" not in line
    assert line.endswith("check the URL and that the database server runs and that this user "
                         "may use it")


def test_a_sqlite_file_in_a_missing_folder_says_to_check_the_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'blindcopy.db'}"
    line = the_failure(serve(tmp_path, database_url=url))
    assert f"cannot open the database BLINDCOPY_DATABASE_URL={url}: the folder " \
           f"{tmp_path / 'no-such-folder'} does not exist; create it, or set " \
           f"BLINDCOPY_DATABASE_URL to a file in a folder this user may write" in line


def test_a_url_of_an_unknown_driver_says_what_to_write(tmp_path: Path) -> None:
    line = the_failure(serve(tmp_path, database_url="postgresql+nosuchdriver://db/blindcopy"))
    assert "BLINDCOPY_DATABASE_URL=postgresql+nosuchdriver://db/blindcopy is not a database " \
           "URL blindcopy can use" in line
    assert "write sqlite:///path/to/file.db or postgresql://" in line


def test_a_missing_tls_certificate_names_both_files(tmp_path: Path) -> None:
    line = the_failure(serve(tmp_path, tls_cert=str(tmp_path / "cert.pem"),
                             tls_key=str(tmp_path / "key.pem")))
    assert f"cannot load the TLS certificate BLINDCOPY_TLS_CERT={tmp_path / 'cert.pem'} with " \
           f"BLINDCOPY_TLS_KEY={tmp_path / 'key.pem'}: " in line


def test_the_development_secret_is_refused_outside_the_demo(tmp_path: Path) -> None:
    line = the_failure(serve(tmp_path, secret="insecure-development-secret"))
    assert line.startswith("blindcopy: BLINDCOPY_SECRET is the built-in development secret")
    assert "set it to a long random value" in line
    assert not (tmp_path / "start.db").exists()  # refused before anything was opened


def test_a_bad_setting_value_is_still_reported_by_name(tmp_path: Path) -> None:
    result = serve(tmp_path, smtp_port="seventy")
    assert result.returncode == 2
    assert result.stderr == ("blindcopy: invalid settings:\n"
                             "smtp_port: expected int, got 'seventy'\n")

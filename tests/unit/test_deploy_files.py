"""Deployment files agree with the code: settings docs, example TOML, compose, systemd, Dockerfile.

Static checks only; no container or service is started. Checks that need an external tool
(hadolint, a Docker engine, systemd-analyze) skip with a reason when the tool is missing.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from config.settings import DOCS, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
EXAMPLE_TOML = DEPLOY / "blindcopy.example.toml"
CONFIGURATION_MD = ROOT / "docs" / "configuration.md"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
SYSTEMD = DEPLOY / "systemd"
SETTING_NAMES = [field.name for field in fields(Settings)]
COMPOSE_SECRETS = {
    "POSTGRES_PASSWORD": "compose-test-password",
    "BLINDCOPY_SECRET": "compose-test-secret",
    "BLINDCOPY_ADMIN_TOKEN": "compose-test-token",
    "BLINDCOPY_MAIL_DOMAIN": "bcc.example.test",
}


def toml_literal(value: object) -> str:
    """Render a default value the way the docs and the example TOML show it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- Settings documentation -----------------------------------------------------------------


def configuration_rows() -> dict[str, str]:
    """Return the settings table of docs/configuration.md as {setting name: table row}.

    Only the service's settings: the per-project settings' table comes after them.
    """
    rows = {}
    service_settings = CONFIGURATION_MD.read_text().split("\n## Project settings")[0]
    for line in service_settings.splitlines():
        match = re.match(r"\|\s*`([a-z_]+)`\s*\|", line)
        if match:
            rows[match.group(1)] = line
    return rows


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_configuration_md_documents_setting_env_default_and_meaning(name: str) -> None:
    row = configuration_rows().get(name)
    assert row is not None, f"docs/configuration.md has no row for {name}"
    cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
    assert cells[1] == f"`BLINDCOPY_{name.upper()}`"
    assert cells[2].startswith(f"`{toml_literal(getattr(Settings(), name))}`")
    assert DOCS[name].replace("|", "\\|") in row


def test_configuration_md_lists_only_real_settings() -> None:
    assert set(configuration_rows()) <= set(SETTING_NAMES)


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_example_toml_shows_setting_with_its_doc(name: str) -> None:
    text = EXAMPLE_TOML.read_text()
    assert re.search(rf"^(# )?{name} = ", text, re.MULTILINE), f"{name} missing"
    assert f"# {DOCS[name]}\n" in text
    assert f"# Environment: BLINDCOPY_{name.upper()}\n" in text


def test_example_toml_loads_and_changes_nothing() -> None:
    assert load_settings({}, toml_path=str(EXAMPLE_TOML)) == Settings()


def test_example_toml_commented_settings_show_their_defaults(tmp_path: Path) -> None:
    commented = re.compile(rf"^# ((?:{'|'.join(SETTING_NAMES)}) = .*)$", re.MULTILINE)
    uncommented = commented.sub(r"\1", EXAMPLE_TOML.read_text())
    assert uncommented != EXAMPLE_TOML.read_text(), "expected secrets to be commented out"
    path = tmp_path / "all.toml"
    path.write_text(uncommented)
    assert set(tomllib.loads(uncommented)) == set(SETTING_NAMES)
    assert load_settings({}, toml_path=str(path)) == Settings()


# --- compose ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is in the test extras")
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def test_compose_has_expected_services(compose: dict[str, Any]) -> None:
    assert {"db", "migrate", "blindcopy", "worker"} <= set(compose["services"])
    assert "pgdata" in compose["volumes"]


def test_compose_commands_run_blindcopy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["command"] == ["blindcopy", "migrate"]
    assert services["blindcopy"]["command"] == ["blindcopy", "serve"]
    assert services["worker"]["command"] == ["blindcopy", "worker"]
    assert services["migrate"]["restart"] == "no"


def test_compose_db_is_postgres_16_with_healthcheck_and_volume(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(volume.startswith("pgdata:") for volume in db["volumes"])


def test_compose_blindcopy_has_healthz_healthcheck(compose: dict[str, Any]) -> None:
    check = " ".join(compose["services"]["blindcopy"]["healthcheck"]["test"])
    assert "urllib" in check and "/healthz" in check


@pytest.mark.parametrize("service", ["blindcopy", "worker"])
def test_compose_service_waits_for_healthy_db_and_migrate(
    compose: dict[str, Any], service: str
) -> None:
    depends_on = compose["services"][service]["depends_on"]
    assert depends_on["db"]["condition"] == "service_healthy"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert compose["services"]["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", ["migrate", "blindcopy", "worker"])
def test_compose_requires_secrets_and_uses_postgres(compose: dict[str, Any], service: str) -> None:
    environment = compose["services"][service]["environment"]
    assert environment["BLINDCOPY_DATABASE_URL"].startswith("postgresql://")
    assert environment["BLINDCOPY_DATABASE_URL"].endswith("@db:5432/blindcopy")
    for name in ("BLINDCOPY_SECRET", "BLINDCOPY_ADMIN_TOKEN"):
        assert environment[name].startswith("${" + name + ":?")


def require_docker_engine() -> None:
    """Skip the test unless a Docker engine answers here."""
    if shutil.which("docker") is None:
        pytest.skip("no docker client on this machine")
    info = subprocess.run(["docker", "info"], check=False, capture_output=True, timeout=30)
    if info.returncode != 0:
        pytest.skip("docker client present but no Docker engine answers (docker info failed)")


def test_compose_config_with_docker_engine() -> None:
    require_docker_engine()
    plugin = subprocess.run(
        ["docker", "compose", "version"], check=False, capture_output=True, timeout=30
    )
    if plugin.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        check=False, capture_output=True, text=True, timeout=60,
        env={**os.environ, **COMPOSE_SECRETS},
    )
    assert result.returncode == 0, result.stderr


def stop_seconds(value: str) -> float:
    """Return a compose or systemd duration ("35s", "1m30s", "35") in seconds."""
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*(min|m|s)?", value):
        total += float(number) * (60 if unit in ("m", "min") else 1)
    return total


@pytest.mark.parametrize("service", ["blindcopy", "worker"])
def test_stop_timeouts_match_and_cover_the_graceful_stop(
        compose: dict[str, Any], service: str) -> None:
    # Stopping drains for shutdown_grace_seconds, then workers get up to
    # WORKER_FINISH_SECONDS to finish their batch; a kill before that cuts sessions.
    from blindcopy.runtime import WORKER_FINISH_SECONDS

    compose_stop = stop_seconds(compose["services"][service]["stop_grace_period"])
    unit = "blindcopy.service" if service == "blindcopy" else "blindcopy-worker@.service"
    systemd_stop = stop_seconds(read_unit(unit)["Service"]["TimeoutStopSec"])
    assert compose_stop == systemd_stop
    assert compose_stop > Settings().shutdown_grace_seconds + WORKER_FINISH_SECONDS


# --- systemd ----------------------------------------------------------------------------------

UNITS = {
    "blindcopy.service": "serve",
    "blindcopy-worker@.service": "worker",
    "blindcopy-migrate.service": "migrate",
}
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "ReadWritePaths": "/var/lib/blindcopy",
}


def read_unit(name: str) -> configparser.ConfigParser:
    """Parse a unit file (repeated keys allowed, as systemd does; no % interpolation)."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((SYSTEMD / name).read_text(), source=name)
    return parser


@pytest.mark.parametrize(("unit", "command"), UNITS.items())
def test_systemd_unit_runs_blindcopy_hardened(unit: str, command: str) -> None:
    parser = read_unit(unit)
    service = parser["Service"]
    executable, subcommand, *_ = service["ExecStart"].split()
    assert executable.endswith("/blindcopy") and subcommand == command
    assert service["User"] == "blindcopy"
    assert service["EnvironmentFile"] == "/etc/blindcopy/env"
    for key, value in HARDENING.items():
        assert service[key] == value, key
    assert parser["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_serve_can_bind_port_25() -> None:
    service = read_unit("blindcopy.service")["Service"]
    assert service["AmbientCapabilities"] == "CAP_NET_BIND_SERVICE"
    assert service["CapabilityBoundingSet"] == "CAP_NET_BIND_SERVICE"


@pytest.mark.parametrize("unit", ["blindcopy.service", "blindcopy-worker@.service"])
def test_systemd_units_require_migrate_first(unit: str) -> None:
    section = read_unit(unit)["Unit"]
    assert "blindcopy-migrate.service" in section["Requires"].split()
    assert "blindcopy-migrate.service" in section["After"].split()


@pytest.mark.parametrize("unit", ["blindcopy.service", "blindcopy-worker@.service"])
def test_systemd_units_set_the_open_file_limit(unit: str) -> None:
    # One value sets soft and hard alike: nothing left for the process to raise itself.
    assert read_unit(unit)["Service"]["LimitNOFILE"] == "65536"


def test_compose_sets_the_open_file_limit(compose: dict[str, Any]) -> None:
    for name in ("blindcopy", "worker"):
        assert compose["services"][name]["ulimits"]["nofile"] == {"soft": 65536, "hard": 65536}


def test_systemd_migrate_is_oneshot() -> None:
    parser = read_unit("blindcopy-migrate.service")
    assert parser["Service"]["Type"] == "oneshot"
    assert "blindcopy.service" in parser["Unit"]["Before"].split()


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    for unit in UNITS:
        shutil.copy(SYSTEMD / unit, tmp_path / unit)
    names = [str(tmp_path / unit.replace("@.", "@1.")) for unit in UNITS]
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names],
        check=False, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    # The blindcopy executable is not installed under /opt here; anything else is a problem.
    problems = [
        line for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "/opt/blindcopy/bin/blindcopy is not executable" not in line
    ]
    assert not problems, "\n".join(problems)


# --- Dockerfile -------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """Return (INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        logical.append(current)
        current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def final_stage() -> list[tuple[str, str]]:
    """Return the instructions of the last build stage."""
    instructions = dockerfile_instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def test_dockerfile_uses_python_311_slim() -> None:
    images = [args.split()[0] for word, args in dockerfile_instructions() if word == "FROM"]
    assert images and all(image == "python:3.11-slim" for image in images)


def test_dockerfile_runs_as_non_root_user() -> None:
    users = [args.split(":")[0] for word, args in final_stage() if word == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_dockerfile_exposes_smtp_and_http() -> None:
    exposed = {port for word, args in final_stage() if word == "EXPOSE" for port in args.split()}
    assert {"2525", "8080"} <= exposed


def test_dockerfile_healthcheck_uses_urllib_on_healthz() -> None:
    checks = [args for word, args in final_stage() if word == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "urllib" in checks[0] and "/healthz" in checks[0] and "curl" not in checks[0]


def test_dockerfile_default_command_is_serve() -> None:
    commands = [args for word, args in final_stage() if word == "CMD"]
    assert commands == ['["blindcopy", "serve"]']


def test_dockerfile_copies_every_package_and_dockerignore_lets_it_through() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {name.split(".")[0] for name in found}
    # Sources of every COPY from the build context (not --from another stage).
    copied = {
        source
        for word, args in dockerfile_instructions()
        if word == "COPY" and not args.startswith("--from")
        for source in args.split()[:-1]
    }
    needed = packages | {"pyproject.toml", project["project"]["readme"]}
    assert needed <= copied, needed - copied
    allowed = {
        line[1:] for line in DOCKERIGNORE.read_text().splitlines() if line.startswith("!")
    }
    assert needed <= allowed, needed - allowed


def test_image_builds_and_runs_help_with_docker_engine(tmp_path: Path) -> None:
    require_docker_engine()
    tag = f"blindcopy-test:{os.getpid()}"
    built = subprocess.run(["docker", "build", "-f", str(DOCKERFILE), "-t", tag, str(ROOT)],
                           check=False, capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    try:
        helped = subprocess.run(["docker", "run", "--rm", "--read-only", tag, "blindcopy",
                                 "--help"], check=False, capture_output=True, text=True,
                                timeout=300)
        assert (helped.returncode, helped.stderr) == (0, "")
        assert helped.stdout.startswith("usage: blindcopy")
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], check=False, capture_output=True,
                       timeout=120)


def test_hadolint() -> None:
    # The test extra installs it beside this interpreter (found even without an activated venv).
    hadolint = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint is not installed")
    result = subprocess.run(
        [hadolint, str(DOCKERFILE)], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""The built wheel, installed (not editable) in a fresh virtual environment, runs the demo.

The tests' own editable install imports the packages from the checkout, so a package the
wheel leaves out goes unnoticed there (store.queries once did). Here the wheel is built from
the checkout's files, installed by pip into a new venv with its dependencies, and run from a
folder outside the checkout: `blindcopy --help`, `--version`, then `blindcopy serve --demo`,
which must log a BCC sent to the project address it prints, print nothing but JSON log lines
before its banner, and exit 0 on SIGTERM.

The tests share one venv and run in the order written: the first starts it on a read-only
install, the second is its first start with a writable one (where flanker builds and saves its
parser tables), the others run it after that.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from tests.client import eventually, send_smtp
from tests.directory import email

ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT = 600
BANNER_FIRST = "blindcopy demo ready"
BANNER_LAST = "  contacts"
IGNORED = shutil.ignore_patterns(".venv*", "build", "dist", "*.egg-info", "__pycache__", "*.db*",
                                 ".*_cache", ".hypothesis")


@dataclass(frozen=True)
class Installed:
    """A venv with the wheel installed, and a folder outside the checkout to run it in."""

    venv: Path
    workdir: Path

    @property
    def blindcopy(self) -> str:
        return str(self.venv / "bin" / "blindcopy")

    @property
    def site_packages(self) -> Path:
        [found] = self.venv.glob("lib/python3*/site-packages")
        return found


def _checkout_files(target: Path) -> None:
    """Copy the files a fresh clone has (tracked or new, never ignored ones) to `target`."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    if listed.returncode != 0:  # not a git checkout: everything but caches and venvs
        shutil.copytree(ROOT, target, ignore=IGNORED)
        return
    for name in listed.stdout.splitlines():
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _install_step(*args: str | Path, cwd: Path) -> None:
    done = subprocess.run([str(arg) for arg in args], cwd=cwd, capture_output=True, text=True,
                          timeout=INSTALL_TIMEOUT, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel from a copy of the checkout and install it in a fresh venv."""
    base = tmp_path_factory.mktemp("wheel")
    _checkout_files(base / "src")
    _install_step(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "dist",
                  base / "src", cwd=base)
    [wheel] = (base / "dist").glob("blindcopy-*.whl")
    _install_step(sys.executable, "-m", "venv", base / "venv", cwd=base)
    _install_step(base / "venv" / "bin" / "pip", "install", "-q", wheel, cwd=base)
    (base / "run").mkdir()
    return Installed(base / "venv", base / "run")


def clean_env(**settings: str) -> dict[str, str]:
    """Return this environment without blindcopy settings or a Python path, plus `settings`."""
    kept = {name: value for name, value in os.environ.items()
            if not name.startswith(("BLINDCOPY_", "PYTHON"))}
    return {**kept, **{f"BLINDCOPY_{name.upper()}": value for name, value in settings.items()}}


def run_installed(installed: Installed, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `blindcopy` with `args` outside the checkout."""
    return subprocess.run([installed.blindcopy, *args], cwd=installed.workdir, env=clean_env(),
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_wheel_takes_every_package_of_the_checkout() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {str(init.parent.relative_to(ROOT)).replace("/", ".")
                for init in ROOT.glob("*/**/__init__.py")
                if init.relative_to(ROOT).parts[0] not in ("tests", "bench")
                and not init.relative_to(ROOT).parts[0].startswith(".")}
    # setuptools keeps the packages a pattern matches (fnmatchcase), as here.
    taken = {name for name in packages
             if any(fnmatch.fnmatchcase(name, pattern) for pattern in included)}
    assert taken == packages


def test_help_on_a_read_only_install_prints_only_the_help(installed: Installed) -> None:
    # A systemd unit (ProtectSystem=strict) or a read-only container: nothing can be saved in
    # the installed packages' folders. A private read-only mount shows the same to one process.
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("unshare -m is not permitted here (needs root or user namespaces)")
    site = str(installed.site_packages)
    script = (f'mount --bind "{site}" "{site}" && mount -o remount,bind,ro "{site}" && '
              f'touch "{site}/probe" 2>/dev/null && exit 97; exec "$@"')
    result = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", installed.blindcopy,
                             "--help"], cwd=installed.workdir, env=clean_env(),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 97, "the bind mount was not read-only"
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("usage: blindcopy")


def test_help_and_version_print_only_what_was_asked(installed: Installed) -> None:
    helped = run_installed(installed, "--help")
    assert (helped.returncode, helped.stderr) == (0, "")
    assert helped.stdout.startswith("usage: blindcopy")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    shown = run_installed(installed, "--version")
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout.startswith(f"blindcopy {version} ")


@dataclass
class Output:
    """The lines a process wrote (standard output and error, in the order written)."""

    lines: list[str] = field(default_factory=list)

    def banner(self) -> dict[str, str] | None:
        """Return the banner's fields once it is complete, else None."""
        if not any(line.startswith(BANNER_LAST) for line in self.lines):
            return None
        first = self.lines.index(BANNER_FIRST)
        fields = {}
        for line in self.lines[first + 1:]:
            name, _, value = line.strip().partition(" ")
            fields[name] = value.strip()
            if line.startswith(BANNER_LAST):
                return fields
        return None

    def before_banner(self) -> list[str]:
        return self.lines[:self.lines.index(BANNER_FIRST)]


async def _collect(stream: asyncio.StreamReader, output: Output) -> None:
    while line := await stream.readline():
        output.lines.append(line.decode(errors="replace").rstrip("\n"))


@pytest.fixture
async def demo(installed: Installed, database_url: str
               ) -> AsyncIterator[tuple[asyncio.subprocess.Process, Output]]:
    """Start the installed `blindcopy serve --demo` on the test database, ports picked free."""
    process = await asyncio.create_subprocess_exec(
        installed.blindcopy, "serve", "--demo", cwd=installed.workdir,
        env=clean_env(database_url=database_url, smtp_port="0", http_port="0"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output = Output()
    assert process.stdout is not None
    reader = asyncio.create_task(_collect(process.stdout, output))
    try:
        yield process, output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await reader


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


async def _logged_decision(api: str, token: str) -> dict[str, object] | None:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{api}/v1/messages") as response:
            items = (await response.json())["items"]
        if not items or items[0]["status"] != "done":
            return None
        async with http.get(f"{api}/v1/messages/{items[0]['id']}/decision") as response:
            return dict(await response.json())


async def test_serve_demo_logs_a_bcc_and_stops_on_sigterm(
        demo: tuple[asyncio.subprocess.Process, Output]) -> None:
    process, output = demo
    try:
        banner = await eventually(lambda: _banner_shown(output), timeout=60)
    except AssertionError:
        raise AssertionError("\n".join(output.lines[-40:])) from None
    noise = [line for line in output.before_banner() if not _is_json_object(line)]
    assert noise == []
    api, (_host, smtp_port) = banner["API"], banner["SMTP"].rsplit(":", 1)
    await send_smtp(int(smtp_port), "alice@acme.test", [banner["BCC"]],
                    email("alice@acme.test", "bob@client.test", "Offer"))
    decision = await eventually(lambda: _logged_decision(api, banner["token"]), timeout=30)
    assert [(o["address"], o["status"]) for o in decision["outcomes"]] == [  # type: ignore[attr-defined]
        ("bob@client.test", "logged")]
    # The banner's admin token and project id answer as the README's examples use them.
    async with aiohttp.ClientSession() as http, http.get(
            f"{api}/v1/projects/{banner['project']}",
            headers={"Authorization": f"Bearer {banner['admin']}"}) as response:
        assert response.status == 200
        assert (await response.json())["name"] == "Acme Homes"
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 60) == 0


async def _banner_shown(output: Output) -> dict[str, str] | None:
    return output.banner()


def test_the_wheel_ships_the_consoles_templates_and_style(installed: Installed) -> None:
    console = installed.site_packages / "api" / "console"
    templates = {path.name for path in (console / "templates").glob("*.html")}
    shipped = {path.name for path in (ROOT / "api" / "console" / "templates").glob("*.html")}
    assert templates == shipped and "base.html" in templates
    assert (console / "static" / "console.css").is_file()

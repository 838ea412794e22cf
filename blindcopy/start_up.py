"""Start-up failures told in one line: the setting, its value or port, and what to do.

What stops blindcopy from starting is the operator's to fix (a port in use, a database URL
that does not open, a certificate that does not load, an unsafe default), so it is raised as
a `StartUpError` worded for them, which the command line prints as one line on standard
error before exiting non-zero: never a traceback. Failures after start-up are not this
module's; they are logged where they happen.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from config.settings import DEVELOPMENT_SECRET, Settings

log = logging.getLogger("blindcopy")
_SECRET_HOW = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
# What to do about a port that cannot be listened on, by the reason the system gave.
_LISTEN_ADVICE = {
    errno.EADDRINUSE: ("the port is in use",
                       "stop what listens there or set {port} to a free port"),
    errno.EACCES: ("permission denied",
                   "use a port above 1023, or give the service CAP_NET_BIND_SERVICE"),
    errno.EADDRNOTAVAIL: ("this machine has no such address",
                          "set {host} to one of this machine's addresses"),
}


class StartUpError(Exception):
    """A reason blindcopy cannot start, in one sentence for the operator."""


def env_name(setting: str) -> str:
    """Return the environment variable of a setting."""
    return f"BLINDCOPY_{setting.upper()}"


def check_serving_settings(settings: Settings, demo: bool) -> None:
    """Refuse the development secret outside the demo; warn when no admin token is set."""
    if demo:
        return
    if settings.secret == DEVELOPMENT_SECRET:
        raise StartUpError(
            f"{env_name('secret')} is the built-in development secret, from which anyone "
            f"can derive every project address: set it to a long random value ({_SECRET_HOW}),"
            f" or run `blindcopy serve --demo` to try blindcopy")
    if not settings.admin_token:
        log.warning(f"no admin token: nobody can create projects or users through the API; "
                    f"set {env_name('admin_token')} to a long random value")


def check_tls(settings: Settings) -> None:
    """Load the TLS certificate and key once, so a bad one is a start-up failure."""
    if not settings.tls_cert:
        return
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
            settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as error:
        raise StartUpError(
            f"cannot load the TLS certificate {env_name('tls_cert')}={settings.tls_cert} with "
            f"{env_name('tls_key')}={settings.tls_key}: {_reason(error)}; give a PEM "
            f"certificate chain and its private key that the service can read") from None


@contextmanager
def listening(what: str, host_setting: str, port_setting: str, host: str, port: int
              ) -> Iterator[None]:
    """Turn a failure to listen on `host`:`port` into a StartUpError naming its settings."""
    try:
        yield
    except OSError as error:
        host_env, port_env = env_name(host_setting), env_name(port_setting)
        if isinstance(error, socket.gaierror):
            reason, advice = "the host name does not resolve", f"set {host_env} to an address"
        else:
            reason, advice = _LISTEN_ADVICE.get(_errno(error), (_reason(error), (
                "check {host} and {port}")))
        advice = advice.format(host=host_env, port=port_env)
        raise StartUpError(f"cannot listen for {what} on {host}:{port} ({host_env}, {port_env}):"
                           f" {reason}; {advice}") from None


def _errno(error: OSError) -> int:
    # Python 3.13's create_server drops the errno of an address the machine lacks
    # (EADDRNOTAVAIL) and says it could bind on none of the host's addresses.
    if error.errno is None and str(error).startswith("could not bind on any address"):
        return errno.EADDRNOTAVAIL
    return error.errno or 0


def shown_url(url: str) -> str:
    """Return a database URL as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


@contextmanager
def opening_store(database_url: str) -> Iterator[None]:
    """Turn a failure to open or migrate the store into a StartUpError naming the URL."""
    where = f"{env_name('database_url')}={shown_url(database_url)}"
    _check_sqlite_folder(database_url, where)
    try:
        yield
    except (ArgumentError, NoSuchModuleError) as error:
        raise StartUpError(f"{where} is not a database URL blindcopy can use ({_reason(error)})"
                           f"; write sqlite:///path/to/file.db or "
                           f"postgresql://user:password@host:5432/name") from None
    except CommandError as error:
        raise StartUpError(f"cannot migrate the database {where}: {_reason(error)}; a newer "
                           f"blindcopy migrated it: run that version") from None
    except (DBAPIError, OSError, TimeoutError) as error:
        advice = ("that its folder exists and that this user may write there"
                  if database_url.startswith("sqlite") else
                  "that the database server runs and that this user may use it")
        raise StartUpError(f"cannot open the database {where}: {_reason(error)}; check the URL "
                           f"and {advice}") from None


def _check_sqlite_folder(database_url: str, where: str) -> None:
    """Refuse an SQLite file whose folder is missing or not writable, before opening it.

    SQLite would only say "unable to open database file" (and aiosqlite's thread, stopped
    as the process exits, can then print a stray line).
    """
    try:
        path = make_url(database_url).database if database_url.startswith("sqlite") else None
    except ArgumentError:
        return  # reported by opening_store
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    folder = Path(path).absolute().parent
    if not folder.is_dir():
        problem = f"the folder {folder} does not exist"
    elif not os.access(folder, os.W_OK | os.X_OK):
        problem = f"this user may not write in the folder {folder}"
    else:
        return
    raise StartUpError(f"cannot open the database {where}: {problem}; create it, or set "
                       f"{env_name('database_url')} to a file in a folder this user may write")


def _reason(error: BaseException) -> str:
    """Return the first line of what the library or the system said, without SQL."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__

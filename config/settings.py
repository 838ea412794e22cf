"""Settings: defaults ← TOML file ← BLINDCOPY_* environment, validated at start-up.

Every setting is declared once in `FIELDS` with its documentation; `load_settings` reports
all errors at once. The resulting frozen `Settings` is passed explicitly to every part.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

# The default secret: fine for the demo, refused by `blindcopy serve` otherwise.
DEVELOPMENT_SECRET = "insecure-development-secret"


class SettingsError(ValueError):
    """Raised with every invalid setting listed, one per line."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Validated configuration of one blindcopy process."""

    database_url: str = "sqlite:///./blindcopy.db"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    metrics_port: int = 0
    mail_domain: str = "bcc.blindcopy.test"
    secret: str = DEVELOPMENT_SECRET
    admin_token: str = ""
    dns_servers: str = ""
    dns_timeout: float = 3.0
    trusted_relays: str = ""
    dkim_replay_window_hours: float = 48.0
    tls_cert: str = ""
    tls_key: str = ""
    proxy_protocol: bool = False
    max_message_size: int = 25 * 1024 * 1024
    max_recipients: int = 50
    max_line_length: int = 10_000
    max_header_count: int = 1_000
    max_header_bytes: int = 256 * 1024
    max_mime_depth: int = 30
    max_connections: int = 1_000
    max_connections_per_ip: int = 20
    max_failed_recipients: int = 20
    max_messages_per_minute: int = 600
    command_timeout: float = 300.0
    data_timeout: float = 300.0
    workers: int = 2
    worker_processes: int = 0
    serve_processes: int = 1
    reuse_port: bool = False
    max_attempts: int = 5
    retry_base_seconds: float = 2.0
    lease_seconds: float = 300.0
    claim_batch: int = 16
    claim_bytes: int = 16 * 1024 * 1024
    max_attachment_bytes: int = 25 * 1024 * 1024
    address_grace_days: float = 30.0
    recipient_cache_seconds: float = 10.0
    http_max_body: int = 30 * 1024 * 1024
    http_header_timeout: float = 20.0
    http_body_timeout: float = 120.0
    http_max_connections: int = 1_000
    http_max_connections_per_ip: int = 100
    max_concurrent_captures: int = 4
    authserv_id: str = "blindcopy"
    metrics_public: bool = False
    shutdown_grace_seconds: float = 25.0
    cors_origins: str = ""
    raw_retention_days: float = 30.0
    unlogged_retention_days: float = 30.0
    event_retention_days: float = 30.0
    retention_batch: int = 500
    retention_interval_seconds: float = 60.0
    webhook_allow_private: bool = False
    notice_smtp: str = ""
    notice_from: str = ""
    console_url: str = ""
    notice_retry_seconds: float = 30.0
    notice_attempts: int = 8


DOCS: dict[str, str] = {
    "database_url": "SQLAlchemy URL: sqlite:///path (default ./blindcopy.db) or postgresql://…",
    "smtp_host": "Address the SMTP gateway listens on.",
    "smtp_port": "Port of the SMTP gateway (0 picks a free one).",
    "http_host": "Address the HTTP API listens on.",
    "http_port": "Port of the HTTP API (0 picks a free one).",
    "metrics_port": "Port where a process without the API (`blindcopy worker`), or one of "
                    "several sharing the API's port, serves GET /healthz, /readyz and "
                    "/metrics on http_host (0: none); the processes `serve` starts use "
                    "metrics_port + 1, + 2, … (worker processes first).",
    "mail_domain": "Domain of the project addresses (the MX that points at blindcopy).",
    "secret": "Server secret from which unguessable project address tokens are derived.",
    "admin_token": "Bootstrap bearer token with the admin role (empty: none).",
    "dns_servers": "DNS servers for sender verification, host:port,… (empty: system).",
    "dns_timeout": "Seconds before a DNS query counts as a temporary failure.",
    "trusted_relays": "CIDRs whose mail counts as authenticated, comma-separated.",
    "dkim_replay_window_hours": ("Hours a BCC or forward proved only by DKIM may take to arrive: "
                                 "one whose signature time (t=) or Date is older when received "
                                 "is quarantined (sender_dkim_replayed)."),
    "tls_cert": "PEM certificate for STARTTLS (with tls_key).",
    "tls_key": "PEM private key for STARTTLS.",
    "proxy_protocol": "Expect the PROXY protocol header from a load balancer.",
    "max_message_size": "Largest message in bytes (552 above it).",
    "max_recipients": "Recipients per message (452 above it).",
    "max_line_length": "Longest line in bytes inside DATA.",
    "max_header_count": "Most header fields in one message.",
    "max_header_bytes": "Largest header section in bytes.",
    "max_mime_depth": "Deepest MIME nesting accepted.",
    "max_connections": "Concurrent SMTP connections in this process, all clients together "
                       "(421 above it); lowered at start to fit the open-file limit.",
    "max_connections_per_ip": "Concurrent SMTP connections per client IP (421 above it).",
    "max_messages_per_minute": "Messages per client IP per minute (450 above it).",
    "max_failed_recipients": "Refused RCPTs one SMTP session may make; the next refused one "
                             "is answered 421 and the connection closed.",
    "command_timeout": "Seconds an SMTP client may send nothing before it is answered 421 "
                       "and disconnected.",
    "data_timeout": "Seconds an SMTP client may take from DATA to the end of its message "
                    "(then 421).",
    "workers": "Processing workers in this process (0: none, e.g. a gateway-only process).",
    "worker_processes": "Extra `blindcopy worker` processes `serve` starts and stops with itself "
                        "(0: in-process workers only).",
    "serve_processes": "Processes `serve` runs its SMTP gateway and API in (Linux): the first "
                       "also runs the workers; the others share its ports (reuse_port).",
    "reuse_port": "Bind the SMTP and API ports with SO_REUSEPORT, so that several processes "
                  "share them and the kernel spreads connections (set by serve_processes).",
    "max_attempts": "Processing attempts before a message is kept as failed.",
    "retry_base_seconds": "First retry delay; doubles on each attempt.",
    "lease_seconds": "How long a claimed message stays claimed before another worker may retry it.",
    "claim_batch": ("Messages a worker claims at once, each with its own lease, and records in "
                    "one transaction (1: one at a time)."),
    "claim_bytes": ("Raw bytes a worker claims at once at most (the oldest due message is "
                    "claimed whatever its size): what a worker holds in memory."),
    "max_attachment_bytes": ("Largest attachment whose bytes are stored (once per content, "
                             "sha256) and served by GET /v1/interactions/{id}/attachments/{n}; "
                             "a larger one keeps only its metadata, marked stored: false."),
    "address_grace_days": "Days a rotated-out project address keeps working.",
    "recipient_cache_seconds": ("Seconds the SMTP gateway keeps a project address it found at "
                                "RCPT, at most the grace period (0: look up every RCPT)."),
    "http_max_body": "Largest HTTP request body in bytes (413 above it).",
    "http_header_timeout": "Seconds an API client has to send a request's line and headers, "
                           "from the connection's start or its first byte after a response "
                           "(408 and closed after it).",
    "http_body_timeout": "Seconds an API client has to send a request's body once its "
                         "headers are in (408 and closed after it).",
    "http_max_connections": "Concurrent API connections in this process, all clients "
                            "together (503 above it); lowered at start to fit the open-file "
                            "limit.",
    "http_max_connections_per_ip": "Concurrent API connections per client IP (503 above it; "
                                   "0: no per-address cap, e.g. behind a reverse proxy).",
    "max_concurrent_captures": "Log/sync captures processed at once; as many again wait, "
                               "more are refused with 503 and Retry-After.",
    "authserv_id": "authserv-id written into Authentication-Results.",
    "metrics_public": "Serve GET /metrics without a token (else an admin token is needed).",
    "raw_retention_days": "Days the raw bytes of a processed message are kept (those of a "
                          "message that is quarantined, failed or pending an assignment are "
                          "kept until it is processed again).",
    "unlogged_retention_days": "Days a received message that logged nothing (not logged, "
                               "quarantined) is kept, with its decision.",
    "event_retention_days": "Days an event stays in the outbox (GET /v1/events); older ones "
                            "are deleted with their webhook deliveries.",
    "retention_batch": "Rows one retention step removes in one transaction, between two "
                       "claims of the first worker.",
    "retention_interval_seconds": "Seconds between retention passes once a pass found "
                                  "nothing more to remove.",
    "shutdown_grace_seconds": "On SIGTERM, seconds SMTP sessions in DATA and API requests "
                              "under way get to finish (new commands are answered 421).",
    "cors_origins": "Origins browsers may call the API from, exact and comma-separated "
                    "(e.g. chrome-extension://<id>,https://outlook.office.com; empty: none).",
    "webhook_allow_private": "Let webhooks reach loopback, private, link-local (cloud "
                             "metadata) and other non-global addresses; refused with 422 "
                             "otherwise, and checked again at every delivery (tests, the demo).",
    "notice_smtp": "Outbound relay (host:port) the workers send notices through: an email to "
                   "a proved member whose BCC or forward logged nothing or ended pending "
                   "(empty: no notices).",
    "notice_from": "From address of notices (required with notice_smtp).",
    "console_url": "Public base URL of the console, for the links in notices, e.g. "
                   "https://blindcopy.example.com (empty: http://http_host:http_port).",
    "notice_retry_seconds": "First delay before a notice the relay did not take is tried "
                            "again; doubles on each attempt, at most an hour.",
    "notice_attempts": "Attempts to send a notice before it is kept as failed.",
}

_ENV_PREFIX = "BLINDCOPY_"
# A serialised origin (RFC 6454): scheme, host and optional port; no path, no wildcard.
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[a-z0-9.\-\[\]:]+")


def origin_list(value: str) -> list[str]:
    """Return the origins of a comma-separated `cors_origins` value."""
    return [origin.strip() for origin in value.split(",") if origin.strip()]


def _convert(name: str, kind: Any, raw: Any) -> Any:
    if kind in ("bool", bool):
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("1", "true", "yes", "on"):
            return True
        if str(raw).lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"{name}: expected true or false, got {raw!r}")
    converter: Callable[[Any], Any] = {"int": int, "float": float, "str": str}.get(
        str(kind), str
    )
    try:
        return converter(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected {kind}, got {raw!r}") from None


def _validate(settings: Settings) -> list[str]:
    errors: list[str] = []
    for name in ("smtp_port", "http_port", "metrics_port"):
        if not 0 <= getattr(settings, name) <= 65535:
            errors.append(f"{name}: must be between 0 and 65535")
    for field in fields(settings):
        value = getattr(settings, field.name)
        if field.name.startswith("max_") and value <= 0:
            errors.append(f"{field.name}: must be positive")
    for name in ("http_header_timeout", "http_body_timeout"):
        if getattr(settings, name) <= 0:
            errors.append(f"{name}: must be positive")
    for name in ("workers", "worker_processes", "http_max_connections_per_ip"):
        if getattr(settings, name) < 0:
            errors.append(f"{name}: must not be negative")
    for name in ("raw_retention_days", "unlogged_retention_days", "event_retention_days"):
        if getattr(settings, name) <= 0:
            errors.append(f"{name}: must be positive")
    if settings.retention_batch < 1:
        errors.append("retention_batch: must be at least 1")
    if settings.retention_interval_seconds < 0:
        errors.append("retention_interval_seconds: must not be negative")
    if settings.shutdown_grace_seconds < 0:
        errors.append("shutdown_grace_seconds: must not be negative")
    for name in ("claim_batch", "claim_bytes", "serve_processes", "http_max_connections"):
        if getattr(settings, name) < 1:
            errors.append(f"{name}: must be at least 1")
    if settings.dkim_replay_window_hours <= 0:
        errors.append("dkim_replay_window_hours: must be positive")
    for cidr in filter(None, (c.strip() for c in settings.trusted_relays.split(","))):
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            errors.append(f"trusted_relays: {cidr!r} is not a CIDR")
    if bool(settings.tls_cert) != bool(settings.tls_key):
        errors.append("tls_cert and tls_key: set both or neither")
    errors += [f"cors_origins: {origin!r} is not an origin (scheme://host[:port])"
               for origin in origin_list(settings.cors_origins)
               if not _ORIGIN.fullmatch(origin)]
    errors += _notice_errors(settings)
    if not settings.database_url.startswith(("sqlite", "postgres")):
        errors.append("database_url: only sqlite:// and postgresql:// are supported")
    return errors


def _notice_errors(settings: Settings) -> list[str]:
    errors: list[str] = []
    if settings.notice_smtp:
        host, _, port = settings.notice_smtp.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) <= 65535:
            errors.append(f"notice_smtp: {settings.notice_smtp!r} is not host:port")
        if "@" not in settings.notice_from:
            errors.append("notice_from: an address is required with notice_smtp")
    if settings.console_url and not settings.console_url.startswith(("http://", "https://")):
        errors.append("console_url: must start with http:// or https://")
    if settings.notice_retry_seconds <= 0:
        errors.append("notice_retry_seconds: must be positive")
    if settings.notice_attempts < 1:
        errors.append("notice_attempts: must be at least 1")
    return errors


def public_console_url(settings: Settings) -> str:
    """Return the console's base URL as links show it (no trailing slash)."""
    return (settings.console_url
            or f"http://{settings.http_host}:{settings.http_port}").rstrip("/")


def load_settings(
    environ: Mapping[str, str], toml_path: str | None = None, **overrides: Any
) -> Settings:
    """Build Settings from defaults, a TOML file, the environment and overrides; validate."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    if toml_path:
        try:
            values.update(tomllib.loads(Path(toml_path).read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            errors.append(f"config file {toml_path}: {exc}")
    known = {field.name: field.type for field in fields(Settings)}
    errors += [f"{key}: unknown setting" for key in values if key not in known]
    for name in known:
        env_value = environ.get(_ENV_PREFIX + name.upper())
        if env_value is not None:
            values[name] = env_value
    values.update({k: v for k, v in overrides.items() if v is not None})
    converted: dict[str, Any] = {}
    for name, raw in values.items():
        if name in known:
            try:
                converted[name] = _convert(name, known[name], raw)
            except ValueError as exc:
                errors.append(str(exc))
    settings = Settings(**converted)
    errors += _validate(settings)
    if errors:
        raise SettingsError("\n".join(errors))
    return settings

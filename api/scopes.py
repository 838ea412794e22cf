"""What a token's scopes allow, decided in one place from the method and the route.

The rule (SPEC §11): a GET (or HEAD) needs `read`, any other method `write`; the capture
routes in `LOG_ROUTES` need `log` (a GET among them is also open to `read`). A `log` token
may also read the messages it captured and their decisions (`OWN_CAPTURE_ROUTES`); the
access layer narrows what such a caller sees to its own captures. A new route follows the
rule without being listed anywhere; only an exception to it belongs here.
"""

from __future__ import annotations

from enum import StrEnum

from aiohttp import hdrs, web

from store.errors import InsufficientScope


class Scope(StrEnum):
    """What a token may do."""

    LOG = "log"
    READ = "read"
    WRITE = "write"


ALL_SCOPES = frozenset(Scope)
LOG_ROUTES = frozenset({"/v1/log", "/v1/explain", "/v1/lookup"})
OWN_CAPTURE_ROUTES = frozenset({"/v1/messages", "/v1/messages/{id}/decision"})
READING_METHODS = frozenset({hdrs.METH_GET, hdrs.METH_HEAD})


def route_template(request: web.Request) -> str:
    """Return the path template the request matched, or its path when none did."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


def accepted_scopes(method: str, route: str) -> frozenset[Scope]:
    """Return the scopes any one of which lets a token call `method` on `route`."""
    reading = method in READING_METHODS
    if route in LOG_ROUTES:
        return frozenset({Scope.LOG, Scope.READ}) if reading else frozenset({Scope.LOG})
    if not reading:
        return frozenset({Scope.WRITE})
    if route in OWN_CAPTURE_ROUTES:
        return frozenset({Scope.READ, Scope.LOG})
    return frozenset({Scope.READ})


def require_scope(scopes: frozenset[str], request: web.Request) -> None:
    """Raise InsufficientScope unless a token with `scopes` may make this request."""
    accepted = accepted_scopes(request.method, route_template(request))
    if scopes.isdisjoint(accepted):
        names = tuple(sorted(accepted))
        raise InsufficientScope(
            f"This token's scopes ({' '.join(sorted(scopes))}) do not "
            f"allow {request.method} {route_template(request)}; it needs "
            f"{' or '.join(names)}.", names)


def reads_only_own_captures(scopes: frozenset[str]) -> bool:
    """Tell whether a token with `scopes` sees only the messages it captured (`log` only)."""
    return Scope.READ not in scopes

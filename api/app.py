"""The application factory: one aiohttp app with typed state, middlewares and routes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from api.access_log import access_log_middleware
from api.admission import admission_middleware
from api.auth import auth_middleware
from api.connection_guard import (
    CONNECTION_GUARD,
    ConnectionGuard,
    ConnectionLimits,
    request_phase_middleware,
)
from api.cors import configure_cors, preflight_middleware
from api.keys import CLOCK, METRICS, PROCESSING, SETTINGS, STORE
from api.ports import ProcessingPort
from api.problems import problem_middleware
from api.routes import add_routes
from api.slow_requests import body_deadline_middleware
from config.settings import Settings
from metrics import Metrics
from store.database import Store
from store.models import utcnow


def create_app(
    settings: Settings,
    store: Store,
    processing: ProcessingPort | None = None,
    metrics: Metrics | None = None,
    clock: Callable[[], datetime] = utcnow,
    paths: frozenset[str] | None = None,
) -> web.Application:
    """Build the API app; without a processing port the capture routes answer 503.

    `paths` keeps only those routes: a process without the API (`blindcopy worker`) serves
    `HEALTH_PATHS` — /metrics answering as the API's does, to an admin token or to anyone
    with metrics_public.
    """
    app = web.Application(
        client_max_size=settings.http_max_body,
        middlewares=[access_log_middleware, request_phase_middleware, preflight_middleware,
                     problem_middleware, admission_middleware, auth_middleware,
                     body_deadline_middleware],
    )
    configure_cors(app, settings.cors_origins)
    app[CONNECTION_GUARD] = ConnectionGuard(ConnectionLimits(
        settings.http_max_connections, settings.http_max_connections_per_ip,
        settings.http_header_timeout))
    app[SETTINGS] = settings
    app[STORE] = store
    app[PROCESSING] = processing
    app[METRICS] = metrics or Metrics()
    app[CLOCK] = clock
    add_routes(app, paths)
    return app


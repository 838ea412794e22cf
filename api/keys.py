"""Typed keys for every piece of application and request state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from api.caller import Caller
from api.ports import ProcessingPort
from config.settings import Settings
from metrics import Metrics
from store.database import Store

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
PROCESSING: web.AppKey[ProcessingPort | None] = web.AppKey("processing")
METRICS = web.AppKey("metrics", Metrics)
# The service's clock (the one processing and the SMTP gateway read): address grace periods.
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
CALLER = web.RequestKey("caller", Caller)

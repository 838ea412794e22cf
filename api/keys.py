"""Typed keys for every piece of application and request state."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.caller import Caller
from api.ports import ProcessingPort
from blindcopy.settings import Settings
from metrics import Metrics

SETTINGS = web.AppKey("settings", Settings)
SESSIONMAKER = web.AppKey("sessionmaker", async_sessionmaker[AsyncSession])
PROCESSING: web.AppKey[ProcessingPort | None] = web.AppKey("processing")
METRICS = web.AppKey("metrics", Metrics)
CALLER = web.RequestKey("caller", Caller)

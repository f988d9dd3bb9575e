"""The FastAPI application factory.

``create_app(settings)`` wires the collector, consent, audit, privacy, health and metrics routers,
the JSON error handlers, CORS for the browser routes of the tracking API and the request metrics.
Its lifespan opens the landing log at :func:`cdp.landing.landing_root` (a free lane per process)
and closes it on shutdown; pass ``landing=`` to use one the caller owns (and closes). The
process's lakehouse and consent store are on ``app.state`` (one store per process: a statement
posted to it is in force for its next decision).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api import audit, collector, consent, health, metrics, privacy
from api._metrics import Metrics, MetricsMiddleware
from api._segment import CollectorOptions, WriteKeys, is_collector_path
from api.auth import ApiKeys
from api.errors import install_error_handlers
from cdp import __version__
from cdp.config import Settings
from cdp.landing import LandingLog, landing_root
from consent.store import ConsentStore
from storage import Lakehouse

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


class _CollectorCors:
    """CORS for the tracking API only: browsers on any site may send events (echoed Origin,
    credentials allowed, any request header); the rest of the API gets no CORS headers."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._cors = CORSMiddleware(
            app,
            allow_origin_regex=r".+",
            allow_credentials=True,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["*"],
            max_age=86400,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_collector_path(scope["path"]):
            await self._cors(scope, receive, send)
        else:
            await self._app(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    landing: LandingLog | None = None,
    options: CollectorOptions | None = None,
) -> FastAPI:
    """The API application for ``settings``.

    ``landing``: an open landing log to use (the caller closes it); by default the lifespan
    opens one under ``landing_root(settings)`` and closes it. ``options``: collector limits.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = landing is None
        log = landing
        if log is None:
            log = await asyncio.to_thread(LandingLog, landing_root(settings))
        app.state.landing = log
        try:
            yield
        finally:
            app.state.landing = None
            if own:
                await asyncio.to_thread(log.close)

    write_keys = WriteKeys(settings)
    if not write_keys:
        logger.warning(
            "no write keys configured (sources with format: segment): the collector "
            "will answer 401 to every request"
        )
    app = FastAPI(
        title="cdp",
        version=__version__,
        summary="Customer data platform: Segment-compatible collector and query API",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.landing = landing
    app.state.write_keys = write_keys
    app.state.api_keys = ApiKeys.from_settings(settings)
    app.state.collector_options = options or CollectorOptions()
    app.state.metrics = Metrics()
    app.state.lakehouse = Lakehouse.from_settings(settings)
    # One store per process: a statement posted here is in force for its next decision.
    app.state.consent_store = ConsentStore(app.state.lakehouse, settings)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(collector.router)
    app.include_router(consent.router)
    app.include_router(audit.router)
    app.include_router(privacy.router)
    app.add_middleware(_CollectorCors)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app

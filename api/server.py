"""Serving the API with uvicorn (``cdp serve``), or ``python -m api.server``.

One worker serves the app in this process, with a landing log opened before the socket is
bound. With ``workers > 1`` uvicorn starts that many worker processes, each building the app
from the same configuration file (its path passed in the environment; settings built in code
are passed as JSON instead) and opening its own landing lane
(``lane-000``, ``lane-001``...). Access logs are off: they would record client IP addresses.
SIGINT/SIGTERM finish the requests in flight, then close the landing log.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any, Final

import orjson
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from cdp.config import Settings, load_config
from cdp.landing import LandingLog, landing_root

__all__ = ["main", "serve", "worker_app"]

logger = logging.getLogger(__name__)

_SETTINGS_ENV: Final = "CDP_SERVE_SETTINGS"


def _uvicorn_options(host: str, port: int, log_level: str) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": False,  # access lines carry client IPs
        "server_header": False,
        "lifespan": "on",
        "backlog": 2048,
        "timeout_graceful_shutdown": 10,
    }


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "info",
) -> None:
    """Serve the API and collector until interrupted (SIGINT/SIGTERM shut down gracefully)."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    options = _uvicorn_options(host, port, log_level)
    if workers == 1:
        # opened before the socket is bound, so a bad landing root fails with one clear line
        landing = LandingLog(landing_root(settings))
        try:
            app = create_app(settings, landing=landing)
            uvicorn.Server(uvicorn.Config(app, **options)).run()
        finally:
            landing.close()
        return
    # Prefer the file: the environment of a process is readable by its user, and the settings
    # hold secrets (privacy.hash_key, interpolated storage options).
    handoff: dict[str, Any] = (
        {"path": str(settings.path)}
        if settings.path
        else {"settings": settings.model_dump(mode="json"), "base_dir": str(settings.base_dir)}
    )
    os.environ[_SETTINGS_ENV] = orjson.dumps(handoff).decode()
    uvicorn.run("api.server:worker_app", factory=True, workers=workers, **options)


def worker_app() -> FastAPI:
    """The app of one worker process of :func:`serve` (settings from the environment)."""
    data = orjson.loads(os.environ[_SETTINGS_ENV])
    if "path" in data:
        return create_app(load_config(data["path"]))
    settings = Settings.model_validate(data["settings"]).with_base_dir(Path(data["base_dir"]))
    return create_app(settings)


def main(argv: list[str] | None = None) -> None:
    """``python -m api.server [--config cdp.yaml] [--host H] [--port P] [--workers N]``."""
    parser = argparse.ArgumentParser(prog="python -m api.server", description=__doc__)
    parser.add_argument("--config", default=None, help="cdp.yaml (default: $CDP_CONFIG)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    serve(
        load_config(args.config),
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()

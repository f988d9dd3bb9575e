"""Helpers of the API tests: the configuration, write keys, landed entries, live servers."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from cdp.landing import LandingEntry, list_lanes, read_lane

with warnings.catch_warnings():  # starlette's notice about httpx; the tests use httpx on purpose
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

__all__ = [
    "APP_KEY",
    "CONFIG",
    "CONFIG_YAML",
    "WEB_KEY",
    "WEB_KEY_2",
    "LiveServer",
    "TestClient",
    "basic",
    "free_port",
    "landed",
    "start_server_process",
]

ROOT = Path(__file__).resolve().parents[2]

WEB_KEY = "wk-web-0123456789"
WEB_KEY_2 = "wk-web-second"
APP_KEY = "wk-app-abcdef"

CONFIG = {
    "lakehouse": "./lakehouse",
    "sources": {
        "web": {"kind": "web", "format": "segment", "write_keys": [WEB_KEY, WEB_KEY_2]},
        "app": {"kind": "web", "format": "segment", "write_keys": [APP_KEY]},
        "crm": {"kind": "crm", "format": "csv", "record_id": "Id", "fields": {"email": "Email"}},
    },
}
CONFIG_YAML = f"""
lakehouse: ./lakehouse
sources:
  web: {{kind: web, format: segment, write_keys: [{WEB_KEY}, {WEB_KEY_2}]}}
  app: {{kind: web, format: segment, write_keys: [{APP_KEY}]}}
"""


def basic(key: str) -> dict[str, str]:
    """The Authorization header of a write key, as the Segment SDKs send it."""
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def landed(root: Path) -> list[LandingEntry]:
    """Every entry of every lane under ``root``, lane by lane."""
    return [
        entry
        for lane in list_lanes(root)
        for _, entry in read_lane(root, lane, limit=10**9, max_bytes=None)
    ]


class LiveServer:
    """The app served by uvicorn on a loopback socket in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(512)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(20)
        self._sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server_process(
    workdir: Path, *, workers: int = 1, port: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m api.server`` on ``workdir/cdp.yaml`` (landing in ``workdir/landing``)."""
    config = workdir / "cdp.yaml"
    if not config.exists():
        config.write_text(CONFIG_YAML, encoding="utf-8")
    port = port or free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api.server",
            "--config",
            str(config),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.05)

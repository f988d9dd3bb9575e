"""Fixtures of the API tests: settings with two web sources, the app, clients, live servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from collector_helpers import CONFIG, LiveServer, TestClient
from fastapi import FastAPI

from api.app import create_app
from cdp.config import Settings, parse_config
from cdp.landing import landing_root


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return parse_config(CONFIG, base_dir=tmp_path)


@pytest.fixture
def root(settings: Settings) -> Path:
    return landing_root(settings)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def live(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server

"""API keys and roles (api/auth.py): 401 without a known Bearer key, 403 for a role without the
right, admin admitted everywhere, keys never stored or echoed, over a live server on loopback."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from collector_helpers import CONFIG, LiveServer
from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel

from api.app import create_app
from api.auth import AdminDep, ApiKeys, DpoDep, Principal, require_roles
from cdp.config import ApiKey, parse_config

KEYS = {
    "collector": "k-collector-0123456789",
    "marketing": "k-marketing-0123456789",
    "ai_service": "k-ai-0123456789",
    "dpo": "k-dpo-0123456789",
    "admin": "k-admin-0123456789",
}


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class _Who(BaseModel):
    name: str
    role: str


_MarketingDep = Annotated[Principal, Depends(require_roles("marketing", "ai_service"))]


def _router() -> APIRouter:
    router = APIRouter(prefix="/v1/test")

    @router.get("/dpo", response_model=_Who)
    def dpo_route(principal: DpoDep) -> Any:
        return {"name": principal.name, "role": principal.role}

    @router.get("/admin", response_model=_Who)
    def admin_route(principal: AdminDep) -> Any:
        return {"name": principal.name, "role": principal.role}

    @router.get("/marketing", response_model=_Who)
    def marketing_route(principal: _MarketingDep) -> Any:
        return {"name": principal.name, "role": principal.role}

    return router


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    config = dict(CONFIG)
    config["api_keys"] = [
        {"name": f"{role}-key", "role": role, "sha256": _digest(key)} for role, key in KEYS.items()
    ]
    app: FastAPI = create_app(parse_config(config, base_dir=tmp_path))
    app.include_router(_router())
    with LiveServer(app) as live:
        yield live


ADMITTED = {
    "dpo": {"dpo", "admin"},
    "admin": {"admin"},
    "marketing": {"marketing", "ai_service", "admin"},
}


@pytest.mark.parametrize("route", sorted(ADMITTED))
@pytest.mark.parametrize("role", sorted(KEYS))
def test_every_route_and_role_pair(server: LiveServer, route: str, role: str) -> None:
    r = httpx.get(
        f"{server.url}/v1/test/{route}", headers={"Authorization": f"Bearer {KEYS[role]}"}
    )
    if role in ADMITTED[route]:
        assert r.status_code == 200, r.text
        assert r.json() == {"name": f"{role}-key", "role": role}
    else:
        assert r.status_code == 403
        body = r.json()
        assert body["code"] == "forbidden"
        assert KEYS[role] not in r.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": f"Bearer {KEYS['dpo']}x"},
        {"Authorization": f"Basic {KEYS['dpo']}"},
        {"Authorization": KEYS["dpo"]},
        {"X-Api-Key": KEYS["dpo"]},
    ],
)
def test_missing_or_unknown_key_is_401(server: LiveServer, headers: dict[str, str]) -> None:
    r = httpx.get(f"{server.url}/v1/test/dpo", headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["code"] == "unauthorized"
    assert KEYS["dpo"] not in r.text


def test_scheme_is_case_insensitive(server: LiveServer) -> None:
    r = httpx.get(f"{server.url}/v1/test/dpo", headers={"Authorization": f"bearer {KEYS['dpo']}"})
    assert r.status_code == 200


def test_collector_write_key_is_not_an_api_key(server: LiveServer) -> None:
    write_key = CONFIG["sources"]["web"]["write_keys"][0]
    r = httpx.get(f"{server.url}/v1/test/dpo", headers={"Authorization": f"Bearer {write_key}"})
    assert r.status_code == 401


def test_lookup_compares_digests_and_keeps_no_key() -> None:
    keys = ApiKeys([ApiKey(name="a", role="dpo", sha256=_digest("secret-a"))])
    assert keys.lookup("secret-a") == Principal("a", "dpo")
    assert keys.lookup("secret-b") is None
    assert keys.lookup("") is None
    assert keys.lookup(None) is None
    assert "secret-a" not in repr(vars(keys))


def test_unknown_role_in_a_route_declaration_fails_fast() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        require_roles("superuser")  # type: ignore[arg-type]

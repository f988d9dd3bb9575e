"""Privacy routes over a live server on loopback: roles, erasure report, export, 404/400."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from collector_helpers import LiveServer
from consent_api_helpers import KEYS, ROLES, auth, consent_app

from storage import Lakehouse

NOW = datetime.now(UTC) - timedelta(hours=1)


class Env:
    def __init__(self, server: LiveServer, lakehouse: Lakehouse) -> None:
        self.lakehouse = lakehouse
        self.client = httpx.Client(base_url=server.url, timeout=120)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    base: Path = tmp_path_factory.mktemp("privacy-api")
    app, lakehouse = consent_app(base)
    with LiveServer(app) as server:
        e = Env(server, lakehouse)
        for who in ("export", "erase-me", "roles-admin", "roles-dpo"):
            r = e.client.post(
                "/v1/consent",
                json={
                    "subject": f"email:{who}@example.com",
                    "purpose": "email_marketing",
                    "status": "granted",
                    "captured_at": NOW.isoformat(),
                    "source": "api",
                },
                headers=auth("dpo"),
            )
            assert r.status_code == 200, r.text
        yield e
        e.client.close()


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_route_and_role_pair(env: Env, role: str | None) -> None:
    headers = auth(role) if role else {}
    who = f"roles-{role}" if role in ("dpo", "admin") else "nobody"
    export = env.client.get("/v1/privacy/export/email:export@example.com", headers=headers)
    erasure = env.client.post(
        "/v1/privacy/erasure",
        json={"identifier": f"email:{who}@example.com", "retention": "deferred"},
        headers=headers,
    )
    for r in (export, erasure):
        if role is None:
            assert r.status_code == 401
        elif role in ("dpo", "admin"):
            assert r.status_code == 200, r.text
        else:
            assert r.status_code == 403 and KEYS[role] not in r.text


def test_erasure_reports_and_the_gate_denies_afterwards(env: Env) -> None:
    subject = "email:erase-me@example.com"
    q = {"subject": subject, "purpose": "email_marketing"}
    assert env.client.get("/v1/consent/decision", params=q, headers=auth("dpo")).json()["allowed"]
    r = env.client.post(
        "/v1/privacy/erasure",
        json={"identifier": subject, "request_id": "req-1"},
        headers=auth("dpo"),
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["request_id"] == "req-1" and report["requested_by"] == "dpo-key"
    assert "erase-me" not in r.text  # the report holds no personal data
    d = env.client.get("/v1/consent/decision", params=q, headers=auth("dpo")).json()
    assert (d["allowed"], d["reasons"]) == (False, ["ERASED"])


def test_export_and_errors(env: Env) -> None:
    r = env.client.get("/v1/privacy/export/email:export@example.com", headers=auth("dpo"))
    assert r.status_code == 200 and r.json()["consent_history"]
    missing = env.client.get("/v1/privacy/export/email:ghost@example.com", headers=auth("dpo"))
    assert missing.status_code == 404 and "ghost" not in missing.text
    bad = env.client.get("/v1/privacy/export/nocolon", headers=auth("dpo"))
    assert bad.status_code == 400 and "nocolon" not in bad.text
    body = env.client.post("/v1/privacy/erasure", json={"identifier": "x"}, headers=auth("dpo"))
    assert body.status_code == 400

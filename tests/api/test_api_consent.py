"""Consent and audit routes over a live server on loopback: roles, read-your-write, history,
decisions at a past time, activations and lineage, violations, and input fuzzing (no 5xx)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from collector_helpers import LiveServer
from consent_api_helpers import KEYS, ROLES, auth, consent_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent import ActivationLog
from storage import Lakehouse

JANE = "email:jane@example.com"
CAPTURED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _statement(status: str, captured: datetime, subject: str = JANE, **extra: Any) -> dict:
    return {
        "subject": subject,
        "purpose": "email_marketing",
        "status": status,
        "captured_at": captured.isoformat(),
        "source": "preference_center",
        "notice_version": "newsletter-v3",
        **extra,
    }


class Env:
    def __init__(self, server: LiveServer, lakehouse: Lakehouse) -> None:
        self.server = server
        self.lakehouse = lakehouse
        self.client = httpx.Client(base_url=server.url, timeout=30)
        self.activation_id = ""

    def get(self, path: str, role: str | None = "dpo", **params: Any) -> httpx.Response:
        return self.client.get(path, params=params or None, headers=auth(role) if role else {})

    def post(self, path: str, body: Any, role: str | None = "dpo") -> httpx.Response:
        return self.client.post(path, json=body, headers=auth(role) if role else {})


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    base: Path = tmp_path_factory.mktemp("consent-api")
    app, lakehouse = consent_app(base)
    lakehouse.upsert(
        "identity_map", [{"source": "crm", "source_record_id": "42", "customer_id": "c42"}]
    )
    with LiveServer(app) as server:
        e = Env(server, lakehouse)
        store = app.state.consent_store
        store.record([_statement("granted", CAPTURED, subject="crm:42")])
        [e.activation_id] = ActivationLog(lakehouse).record(
            [store.decide("crm:42", "email_marketing", destination="newsletter")],
            activation_type="profile_read",
        )
        yield e
        e.client.close()


def _routes(env: Env) -> list[tuple[str, str, Any]]:
    return [
        ("POST", "/v1/consent", _statement("granted", CAPTURED, subject="email:roles@example.com")),
        ("GET", f"/v1/consent/{JANE}", None),
        ("GET", f"/v1/consent/{JANE}/history", None),
        ("GET", f"/v1/consent/decision?subject={JANE}&purpose=email_marketing", None),
        ("GET", "/v1/audit/activations?subject=crm:42", None),
        ("GET", f"/v1/audit/activations/{env.activation_id}", None),
        ("GET", "/v1/audit/violations", None),
    ]


@pytest.mark.parametrize("route", range(7))
@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_route_and_role_pair(env: Env, route: int, role: str | None) -> None:
    method, path, body = _routes(env)[route]
    headers = auth(role) if role else {}
    r = env.client.request(method, path, json=body, headers=headers)
    if role is None:
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    elif role in ("dpo", "admin"):
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        assert KEYS[role] not in r.text


def test_a_withdrawal_is_in_force_for_the_very_next_decision(env: Env) -> None:
    subject = "email:ryw@example.com"
    decision = {"subject": subject, "purpose": "email_marketing"}
    assert env.get("/v1/consent/decision", **decision).json()["reasons"] == ["NO_CONSENT"]
    now = datetime.now(UTC) - timedelta(seconds=30)  # said in the last minute, in order
    for n in range(5):
        grant = env.post(
            "/v1/consent", _statement("granted", now + timedelta(seconds=2 * n), subject=subject)
        )
        assert grant.status_code == 200 and grant.json()["decision"]["allowed"]
        withdrawal = env.post(
            "/v1/consent",
            _statement("withdrawn", now + timedelta(seconds=2 * n + 1), subject=subject),
        )
        consent_id = withdrawal.json()["consent_id"]
        d = env.get("/v1/consent/decision", **decision).json()
        assert (d["allowed"], d["reasons"], d["evidence"]) == (False, ["WITHDRAWN"], [consent_id])
    current = env.get(f"/v1/consent/{subject}").json()
    assert current["decisions"]["email_marketing"]["allowed"] is False
    assert current["decisions"]["analytics"]["reasons"] == ["LEGITIMATE_INTEREST"]


def test_history_and_a_decision_at_a_past_time(env: Env) -> None:
    subject = "email:past@example.com"
    [g, w] = [
        env.post(
            "/v1/consent", _statement(s, CAPTURED + timedelta(hours=h), subject=subject)
        ).json()["consent_id"]
        for s, h in (("granted", 0), ("withdrawn", 2))
    ]
    history = env.get(f"/v1/consent/{subject}/history").json()
    assert [s["consent_id"] for s in history["statements"]] == [g, w]
    assert {"captured_at", "recorded_at", "expires_at"} <= set(history["statements"][0])
    assert "past@example.com" not in str(history["statements"])  # subjects are keyed hashes
    q = {"subject": subject, "purpose": "email_marketing"}
    past = env.get("/v1/consent/decision", at=(CAPTURED + timedelta(hours=1)).isoformat(), **q)
    assert (past.json()["allowed"], past.json()["evidence"]) == (True, [g])
    assert env.get("/v1/consent/decision", **q).json()["evidence"] == [w]
    before = env.get("/v1/consent/decision", at=(CAPTURED - timedelta(hours=1)).isoformat(), **q)
    assert before.json()["reasons"] == ["NO_CONSENT"]


def test_audit_routes_after_logged_activations(env: Env) -> None:
    rows = env.get("/v1/audit/activations", subject="crm:42").json()
    assert [r["activation_id"] for r in rows] == [env.activation_id]
    assert rows[0]["allowed"] is True and rows[0]["customer_id"] == "c42"
    lineage = env.get(f"/v1/audit/activations/{env.activation_id}").json()
    assert lineage["consistent"] is True
    assert lineage["replayed"]["allowed"] is True
    assert [e["consent_id"] for e in lineage["evidence"]] == rows[0]["evidence_ids"]
    assert lineage["versions"]["consent_ledger"] == rows[0]["ledger_version"]
    missing = env.get("/v1/audit/activations/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    violations = env.get("/v1/audit/violations").json()
    assert violations["checked"] >= 1
    assert violations["engine_faults"] == [] and violations["late_withdrawals"] == []
    future = env.get("/v1/audit/violations", since="2100-01-01T00:00:00Z").json()
    assert future["checked"] == 0


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/consent/nocolon", "identifier"),
        ("/v1/consent/email:not-an-address/history", "identifier"),
        ("/v1/consent/decision?subject=phone:12&purpose=email_marketing", "subject"),
        (f"/v1/consent/decision?subject={JANE}&purpose=email_marketing&at=yesterday", "at"),
        ("/v1/audit/violations?since=soon", "since"),
        ("/v1/audit/activations?subject=%3Abad", "subject"),
    ],
)
def test_bad_identifiers_and_times_are_400_without_the_value(
    env: Env, path: str, field: str
) -> None:
    r = env.client.get(path, headers=auth("dpo"))
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "bad_request" and body["message"].startswith(field)
    for value in ("nocolon", "not-an-address", "yesterday", "soon", "phone:12"):
        assert value not in body["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"status": "maybe"},
        {"subject": "email:@@"},
        {"purpose": "not_in_catalogue"},
        {"captured_at": "last tuesday"},
        {"expires_at": "2000-01-01T00:00:00Z"},
        {"source": ""},
        {"unknown_field": 1},
    ],
)
def test_bad_statements_are_400_and_write_nothing(env: Env, change: dict[str, Any]) -> None:
    before = env.lakehouse.count("consent_ledger")
    body = {**_statement("granted", CAPTURED, subject="email:bad@example.com"), **change}
    r = env.post("/v1/consent", body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "bad_request"
    for value in ("maybe", "last tuesday", "not_in_catalogue"):
        assert value not in r.json()["message"]
    assert env.lakehouse.count("consent_ledger") == before


_text = st.text(st.characters(codec="utf-8"), max_size=40)
_value = st.one_of(st.none(), st.integers(), st.booleans(), _text, st.lists(_text, max_size=2))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.one_of(
        st.dictionaries(
            st.sampled_from(
                [
                    "subject",
                    "purpose",
                    "status",
                    "captured_at",
                    "source",
                    "expires_at",
                    "notice_version",
                    "channel",
                    "evidence",
                    "x",
                ]
            ),
            _value,
        ),
        st.fixed_dictionaries(
            {
                "subject": st.one_of(_text.map(lambda t: "email:" + t), _text),
                "purpose": st.sampled_from(["email_marketing", "analytics", "nope"]),
                "status": st.sampled_from(["granted", "withdrawn", "objected", "x"]),
                "captured_at": st.one_of(_text, st.datetimes().map(lambda d: d.isoformat())),
                "source": _text,
            }
        ),
        _value,
    ),
    identifier=_text,
    when=_text,
)
def test_fuzzed_consent_inputs_never_give_a_5xx(
    env: Env, body: Any, identifier: str, when: str
) -> None:
    r = env.post("/v1/consent", body)
    assert r.status_code in (200, 400), r.text
    quoted = urllib.parse.quote(identifier, safe="")
    for path in (f"/v1/consent/{quoted}", f"/v1/consent/{quoted}/history"):
        r = env.client.get(path, headers=auth("dpo"))
        assert r.status_code in (200, 400, 404), (path, r.text)
    r = env.get("/v1/consent/decision", subject=identifier, purpose="email_marketing", at=when)
    assert r.status_code in (200, 400), r.text


def test_the_openapi_schema_documents_the_400_that_invalid_requests_get(env: Env) -> None:
    """FastAPI would advertise ``422 HTTPValidationError``; the API answers 400 with an
    ``ErrorBody``: the served schema says so, for every route that validates its input."""
    schema = env.client.get("/openapi.json").json()
    documented = {
        (method.upper(), path): operation["responses"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }
    assert not [key for key, responses in documented.items() if "422" in responses]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    bad = documented[("GET", "/v1/consent/decision")]["400"]
    assert bad["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    answer = env.get("/v1/consent/decision", subject=JANE)  # no purpose: invalid
    assert answer.status_code == 400
    assert set(answer.json()) == set(schema["components"]["schemas"]["ErrorBody"]["properties"])

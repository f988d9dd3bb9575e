"""The Segment-compatible collector, route by route (TestClient; real sockets elsewhere)."""

from __future__ import annotations

import asyncio
import gzip
import hmac
import json
import os
import threading
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from collector_helpers import APP_KEY, WEB_KEY, WEB_KEY_2, TestClient, basic, landed
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from api import _segment
from api._segment import CollectorOptions, WriteKeys, basic_auth_key
from api.app import create_app
from api.deps import get_landing
from cdp.config import Settings
from cdp.landing import LandingEntry, LandingFullError, LandingLog, LandingPosition, read_lane

ROUTES = {
    "identify": ("identify", {"userId": "u1", "traits": {"plan": "pro"}}),
    "track": ("track", {"userId": "u1", "event": "Order Completed"}),
    "page": ("page", {"anonymousId": "a1", "name": "Home"}),
    "screen": ("screen", {"userId": "u1", "name": "Settings"}),
    "group": ("group", {"userId": "u1", "groupId": "g1"}),
    "alias": ("alias", {"userId": "u1", "previousId": "a1"}),
    "i": ("identify", {"userId": "u1"}),
    "t": ("track", {"userId": "u1", "event": "Clicked"}),
    "p": ("page", {"anonymousId": "a1"}),
    "s": ("screen", {"anonymousId": "a1"}),
    "g": ("group", {"userId": "u1", "groupId": "g1"}),
    "a": ("alias", {"userId": "u1", "previousId": "a1"}),
    "batch": ("batch", {"batch": [{"type": "track", "userId": "u1", "event": "E"}]}),
    "b": ("batch", {"batch": [{"type": "page", "anonymousId": "a1"}]}),
    "import": ("batch", {"batch": [{"type": "identify", "userId": "u1"}]}),
}


def _only(root: Path) -> LandingEntry:
    entries = landed(root)
    assert len(entries) == 1, entries
    return entries[0]


# --- routes and authentication -------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_every_route_lands_the_body_byte_for_byte(
    client: TestClient, root: Path, path: str
) -> None:
    route, doc = ROUTES[path]
    body = orjson.dumps(doc)
    before = datetime.now(UTC)
    response = client.post(
        f"/v1/{path}", content=body, headers={**basic(WEB_KEY), "Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"success": True}
    entry = _only(root)
    assert entry.route == route
    assert entry.source == "web"
    assert entry.payload == body
    assert entry.content_type == "application/json"
    assert entry.meta == {"auth": "basic", "write_key_source": "web", "path": f"/v1/{path}"}
    assert before <= entry.received_at <= datetime.now(UTC)
    assert len(entry.entry_id) == 32


def test_write_key_in_a_text_plain_body_as_analytics_js_sends_it(
    client: TestClient, root: Path
) -> None:
    body = orjson.dumps(
        {"type": "track", "event": "Viewed", "anonymousId": "a", "writeKey": APP_KEY}
    )
    response = client.post(
        "/v1/t", content=body, headers={"Content-Type": "text/plain;charset=UTF-8"}
    )
    assert response.status_code == 200
    entry = _only(root)
    assert (entry.source, entry.route, entry.payload) == ("app", "track", body)
    assert entry.content_type == "text/plain;charset=UTF-8"
    assert entry.meta["auth"] == "body"
    assert entry.meta["write_key_source"] == "app"


def test_write_key_of_a_batch_item(client: TestClient, root: Path) -> None:
    body = orjson.dumps({"batch": [{"type": "page", "anonymousId": "a"}, {"writeKey": WEB_KEY_2}]})
    assert client.post("/v1/b", content=body).status_code == 200
    assert _only(root).source == "web"


def test_basic_auth_wins_over_the_body(client: TestClient, root: Path) -> None:
    body = orjson.dumps({"userId": "u", "event": "e", "writeKey": "not-a-key"})
    assert client.post("/v1/track", content=body, headers=basic(APP_KEY)).status_code == 200
    assert _only(root).source == "app"
    body = orjson.dumps({"userId": "u", "event": "e", "writeKey": APP_KEY})
    response = client.post("/v1/track", content=body, headers=basic("unknown"))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        pytest.param({}, {"userId": "u", "event": "e"}, id="no-key"),
        pytest.param(basic("wrong-key"), {"userId": "u", "event": "e"}, id="unknown-basic"),
        pytest.param({}, {"userId": "u", "event": "e", "writeKey": "nope"}, id="unknown-body"),
        pytest.param({"Authorization": "Basic !!!"}, {"writeKey": WEB_KEY}, id="bad-base64"),
        pytest.param({"Authorization": f"Bearer {WEB_KEY}"}, {}, id="bearer-is-not-a-write-key"),
        pytest.param({}, {"writeKey": 42, "userId": "u"}, id="key-not-a-string"),
    ],
)
def test_unknown_or_missing_write_key_is_401_and_not_landed(
    client: TestClient, root: Path, headers: dict[str, str], body: dict[str, Any]
) -> None:
    response = client.post("/v1/track", content=orjson.dumps(body), headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert set(response.json()) == {"code", "message"}
    assert landed(root) == []


def test_the_query_write_key_is_only_for_beacons(client: TestClient, root: Path) -> None:
    body = orjson.dumps({"batch": [{"type": "track", "event": "e", "anonymousId": "a"}]})
    assert client.post(f"/beacon/v1/batch?writeKey={WEB_KEY}", content=body).status_code == 200
    entry = _only(root)
    assert (entry.route, entry.meta["auth"]) == ("batch", "query")
    assert client.post(f"/v1/batch?writeKey={WEB_KEY}", content=body).status_code == 401


def test_write_keys_compare_against_every_key(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = WriteKeys(settings)
    calls: list[int] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(_segment.hmac, "compare_digest", counting)
    assert keys.source_for(WEB_KEY) == "web"  # the first configured key
    assert len(calls) == len(keys) == 3
    assert keys.source_for(APP_KEY) == "app"
    assert keys.source_for("x" * 500) is None
    assert keys.source_for(None) is None and keys.source_for("") is None
    assert len(calls) == 9


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Basic d2sta2V5Og==", "wk-key"),  # "wk-key:"
        ("basic d2sta2V5Og==", "wk-key"),
        ("Basic OndrLWtleQ==", "wk-key"),  # ":wk-key"
        ("Basic d2sta2V5", "wk-key"),  # "wk-key" without the colon
        ("Basic", None),
        ("Basic ###", None),
        ("Token abc", None),
        ("Basic //4=", None),  # not UTF-8
        (None, None),
    ],
)
def test_basic_auth_key(header: str | None, key: str | None) -> None:
    assert basic_auth_key(header) == key


# --- bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "GZIP"])
def test_gzip_bodies_land_decoded(client: TestClient, root: Path, encoding: str) -> None:
    body = orjson.dumps({"batch": [{"type": "track", "userId": "u", "event": "e"}] * 50})
    response = client.post(
        "/v1/batch",
        content=gzip.compress(body),
        headers={**basic(WEB_KEY), "Content-Encoding": encoding},
    )
    assert response.status_code == 200
    entry = _only(root)
    assert entry.payload == body
    assert entry.meta["content_encoding"] == encoding.lower()


def test_deflate_and_multi_member_gzip(client: TestClient, root: Path) -> None:
    body = orjson.dumps({"batch": [{"type": "track", "userId": "u", "event": "e"}]})
    headers = {**basic(WEB_KEY), "Content-Encoding": "deflate"}
    assert client.post("/v1/batch", content=zlib.compress(body), headers=headers).status_code == 200
    two = gzip.compress(body[:10]) + gzip.compress(body[10:])
    headers = {**basic(WEB_KEY), "Content-Encoding": "gzip"}
    assert client.post("/v1/batch", content=two, headers=headers).status_code == 200
    assert [e.payload for e in landed(root)] == [body, body]


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "text/plain;charset=UTF-8", None]
)
def test_json_and_text_plain_bodies(
    client: TestClient, root: Path, content_type: str | None
) -> None:
    headers = basic(WEB_KEY)
    if content_type:
        headers["Content-Type"] = content_type
    assert client.post("/v1/p", content=b'{"anonymousId":"a"}', headers=headers).status_code == 200
    assert _only(root).content_type == (content_type or "")


def _rejected(root: Path) -> LandingEntry:
    entry = _only(root)
    assert entry.route == "rejected"
    assert entry.source == "web"
    return entry


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(b'{"userId": "u", "event": ', "bad_json", id="truncated-json"),
        pytest.param(b"", "bad_json", id="empty"),
        pytest.param(b'{"userId": "\xff\xfe"}', "bad_json", id="invalid-utf8"),
        pytest.param(b"\xef\xbb\xbf{}", "bad_json", id="utf8-bom"),
        pytest.param(b"NaN", "bad_json", id="nan"),
        pytest.param(b"[1, 2]", "schema", id="array"),
        pytest.param(b'"text"', "schema", id="string"),
        pytest.param(b"null", "schema", id="null"),
    ],
)
def test_broken_bodies_are_400_and_landed_as_rejected(
    client: TestClient, root: Path, body: bytes, code: str
) -> None:
    response = client.post("/v1/track", content=body, headers=basic(WEB_KEY))
    assert response.status_code == 400
    assert response.json()["code"] == code
    entry = _rejected(root)
    assert entry.payload == body
    assert entry.meta["error_type"] == code
    assert entry.meta["route"] == "track"
    assert entry.meta["error"] == response.json()["message"]


def test_broken_json_with_a_body_write_key_is_still_attributed(
    client: TestClient, root: Path
) -> None:
    body = b'{"writeKey": "' + APP_KEY.encode() + b'", "event": "x", '
    response = client.post("/v1/t", content=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    entry = _only(root)
    assert (entry.route, entry.source, entry.payload) == ("rejected", "app", body)


def test_broken_json_without_any_key_is_401(client: TestClient, root: Path) -> None:
    assert client.post("/v1/t", content=b'{"event": "x", ').status_code == 401
    assert landed(root) == []


def test_a_batch_that_is_not_a_list_is_rejected(client: TestClient, root: Path) -> None:
    response = client.post("/v1/batch", content=b'{"batch": {"a": 1}}', headers=basic(WEB_KEY))
    assert (response.status_code, response.json()["code"]) == (400, "schema")
    assert _rejected(root).meta["error_type"] == "schema"


def test_an_oversize_single_event_is_a_request_reject(client: TestClient, root: Path) -> None:
    body = orjson.dumps({"userId": "u", "event": "e", "properties": {"x": "y" * 33_000}})
    response = client.post("/v1/track", content=body, headers=basic(WEB_KEY))
    assert (response.status_code, response.json()["code"]) == (400, "oversize")
    entry = _rejected(root)
    assert entry.payload == body  # kept whole: under the request cap
    assert "truncated" not in entry.meta


def test_an_event_of_exactly_32_kb_is_accepted(client: TestClient, root: Path) -> None:
    head = b'{"userId":"u","event":"e","properties":{"x":"'
    body = head + b"y" * (32 * 1024 - len(head) - 4) + b'"}}'
    body += b" " * (32 * 1024 - len(body))
    assert len(body) == 32 * 1024
    assert client.post("/v1/track", content=body, headers=basic(WEB_KEY)).status_code == 200


def test_an_oversize_item_inside_a_batch_is_landed(client: TestClient, root: Path) -> None:
    big = {"type": "track", "userId": "u", "event": "e", "properties": {"x": "y" * 40_000}}
    body = orjson.dumps({"batch": [big, {"type": "track", "userId": "u", "event": "ok"}]})
    assert client.post("/v1/batch", content=body, headers=basic(WEB_KEY)).status_code == 200
    entry = _only(root)
    assert (entry.route, entry.payload) == ("batch", body)


def test_batch_item_limit(client: TestClient, root: Path) -> None:
    ok = orjson.dumps({"batch": [{}] * 2500})
    assert client.post("/v1/batch", content=ok, headers=basic(WEB_KEY)).status_code == 200
    over = orjson.dumps({"batch": [{}] * 2501})
    response = client.post("/v1/batch", content=over, headers=basic(WEB_KEY))
    assert (response.status_code, response.json()["code"]) == (400, "oversize")
    first, second = landed(root)
    assert first.route == "batch"
    assert (second.route, second.meta["error_type"], second.payload) == (
        "rejected",
        "oversize",
        over,
    )


def test_a_body_over_500_kb_is_rejected_and_its_head_landed(client: TestClient, root: Path) -> None:
    item = {"type": "track", "userId": "u", "event": "e", "properties": {"x": "y" * 1000}}
    body = orjson.dumps({"batch": [item] * 520})
    assert len(body) > 500 * 1024
    response = client.post("/v1/batch", content=body, headers=basic(WEB_KEY))
    assert (response.status_code, response.json()["code"]) == (400, "oversize")
    entry = _rejected(root)
    assert entry.payload == body[: 500 * 1024]
    assert entry.meta["truncated"] == "1"
    assert entry.meta["error_type"] == "oversize"


def test_a_body_of_exactly_500_kb_is_accepted(client: TestClient) -> None:
    body = orjson.dumps({"batch": [{"x": "y" * 1000}] * 400})
    body = body[:-1] + b" " * (500 * 1024 - len(body)) + b"}"
    assert len(body) == 500 * 1024
    assert client.post("/v1/batch", content=body, headers=basic(WEB_KEY)).status_code == 200


def test_a_gzip_bomb_is_cut_at_the_cap(client: TestClient, root: Path) -> None:
    bomb = gzip.compress(b'{"batch": [' + b" " * (50 << 20) + b"]}")
    assert len(bomb) < 100_000
    response = client.post(
        "/v1/batch", content=bomb, headers={**basic(WEB_KEY), "Content-Encoding": "gzip"}
    )
    assert (response.status_code, response.json()["code"]) == (400, "oversize")
    assert len(_rejected(root).payload) == 500 * 1024


@pytest.mark.parametrize(
    ("encoding", "body", "status"),
    [
        ("gzip", b"not gzip at all", 400),
        ("gzip", gzip.compress(b'{"userId": "u"}')[:-6], 400),
        ("br", b"\x8b\x02\x80{}\x03", 415),
    ],
)
def test_undecodable_bodies(
    client: TestClient, root: Path, encoding: str, body: bytes, status: int
) -> None:
    headers = {**basic(WEB_KEY), "Content-Encoding": encoding}
    response = client.post("/v1/identify", content=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, "bad_format")
    assert _rejected(root).meta["error_type"] == "bad_format"


# --- headers, CORS, settings -----------------------------------------------------------------


def test_global_privacy_control_is_captured(client: TestClient, root: Path) -> None:
    body = b'{"anonymousId": "a"}'
    client.post("/v1/page", content=body, headers={**basic(WEB_KEY), "Sec-GPC": "1"})
    client.post("/v1/page", content=body, headers={**basic(WEB_KEY), "Sec-GPC": "0"})
    client.post("/v1/page", content=body, headers=basic(WEB_KEY))
    assert [e.meta.get("gpc") for e in landed(root)] == ["1", None, None]


def test_no_client_address_or_user_agent_is_landed(client: TestClient, root: Path) -> None:
    headers = {
        **basic(WEB_KEY),
        "User-Agent": "Mozilla/5.0 secret-agent",
        "X-Forwarded-For": "203.0.113.9",
    }
    client.post("/v1/page", content=b'{"anonymousId": "a"}', headers=headers)
    entry = _only(root)
    flat = repr(entry.meta)
    assert "secret-agent" not in flat and "203.0.113.9" not in flat and "testclient" not in flat


def test_cors_preflight_and_headers_for_browsers(client: TestClient) -> None:
    origin = "https://shop.example.ch"
    preflight = client.options(
        "/v1/t",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization,anonymousid",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed and "authorization" in allowed
    assert "POST" in preflight.headers["access-control-allow-methods"]

    body = orjson.dumps({"anonymousId": "a", "event": "e", "writeKey": WEB_KEY})
    response = client.post("/v1/t", content=body, headers={"Origin": origin})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    denied = client.post("/v1/t", content=b"{}", headers={"Origin": origin})
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == origin  # the browser may read why


def test_cors_is_limited_to_the_tracking_api(client: TestClient) -> None:
    response = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_project_settings_for_analytics_js(client: TestClient) -> None:
    response = client.get(f"/v1/projects/{WEB_KEY}/settings", headers={"Host": "cdp.example:8443"})
    assert response.status_code == 200
    data = response.json()
    segment_io = data["integrations"]["Segment.io"]
    assert segment_io["apiKey"] == WEB_KEY
    assert segment_io["apiHost"] == "cdp.example:8443/v1"
    assert segment_io["protocol"] == "http"
    assert data["plan"]["track"]["__default"]["enabled"] is True
    assert data["metrics"]["sampleRate"] == 0
    preflight = client.options(
        f"/v1/projects/{WEB_KEY}/settings",
        headers={"Origin": "https://a.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers["access-control-allow-origin"] == "https://a.example"


def test_project_settings_of_an_unknown_key_is_404(client: TestClient) -> None:
    response = client.get("/v1/projects/nope/settings")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "unknown write key"}


# --- backpressure and failures ---------------------------------------------------------------


class _Busy(LandingLog):
    def pending_bytes(self) -> int:
        return self.max_pending_bytes


class _Slow(LandingLog):
    async def append(self, entry: LandingEntry) -> LandingPosition:
        await asyncio.sleep(1)
        return await super().append(entry)


class _Full(LandingLog):
    async def append(self, entry: LandingEntry) -> LandingPosition:
        raise LandingFullError("full")


@pytest.mark.parametrize("kind", [_Busy, _Slow, _Full])
def test_backpressure_is_503_with_retry_after(
    settings: Settings, tmp_path: Path, kind: type[LandingLog]
) -> None:
    app = create_app(settings, options=CollectorOptions(append_timeout=0.05))
    fake = kind(tmp_path / "other")
    app.dependency_overrides[get_landing] = lambda: fake
    try:
        with TestClient(app) as client:
            body = orjson.dumps({"batch": [{"type": "track", "userId": "u", "event": "e"}]})
            response = client.post("/v1/batch", content=body, headers=basic(WEB_KEY))
            assert response.status_code == 503
            assert response.headers["retry-after"] == "1"
            assert response.json()["code"] == "overloaded"
    finally:
        fake.close()


def test_tiny_pending_limit_gives_503(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    log = LandingLog(tmp_path / "tiny", max_pending_bytes=100, max_batch_delay=0)
    real_fsync = os.fsync

    def blocked(fd: int) -> None:
        release.wait(10)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", blocked)
    holder = threading.Thread(
        target=log.append_sync,
        args=(LandingEntry.create(source="web", route="track", payload=b"x" * 200),),
    )
    holder.start()
    try:
        while not log.pending_bytes():
            release.wait(0.01)
        with TestClient(create_app(settings, landing=log)) as client:
            response = client.post("/v1/t", content=b"{}", headers=basic(WEB_KEY))
            assert (response.status_code, response.headers["retry-after"]) == (503, "1")
        release.set()
        holder.join()
        with TestClient(create_app(settings, landing=log)) as client:
            assert client.post("/v1/t", content=b"{}", headers=basic(WEB_KEY)).status_code == 200
    finally:
        release.set()
        holder.join()
        log.close()


def test_a_failed_landing_log_is_503_and_unhealthy(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = LandingLog(tmp_path / "failing")
    try:
        with TestClient(create_app(settings, landing=log)) as client:

            def broken(fd: int) -> None:
                raise OSError(5, "Input/output error")

            monkeypatch.setattr(os, "fsync", broken)
            response = client.post("/v1/t", content=b"{}", headers=basic(WEB_KEY))
            assert response.status_code == 503
            health = client.get("/healthz")
            assert (health.status_code, health.json()["status"]) == (503, "unavailable")
    finally:
        monkeypatch.undo()
        log.close()


# --- ops and error shapes ------------------------------------------------------------------------


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["lane"] == "lane-000"


def test_metrics_in_prometheus_text(client: TestClient) -> None:
    body = orjson.dumps({"batch": [{"type": "track", "userId": "u", "event": "e"}] * 3})
    client.post("/v1/batch", content=body, headers=basic(WEB_KEY))
    client.post("/v1/t", content=b"[]", headers=basic(WEB_KEY))
    client.post("/v1/t", content=b"{}")
    text = client.get("/metrics").text
    assert 'cdp_collector_requests_total{route="batch",method="POST",status="200"} 1' in text
    assert 'cdp_collector_requests_total{route="track",method="POST",status="400"} 1' in text
    assert 'cdp_collector_requests_total{route="track",method="POST",status="401"} 1' in text
    assert 'cdp_collector_events_total{route="batch"} 3' in text
    assert 'cdp_collector_rejected_total{error_type="schema"} 1' in text
    assert f"cdp_collector_landed_bytes_total {len(body)}" in text
    assert 'cdp_collector_append_seconds_bucket{le="+Inf"} 2' in text
    assert 'cdp_landing_entries_total{lane="lane-000"} 2' in text
    assert 'cdp_landing_fsyncs_total{lane="lane-000"}' in text
    for line in text.splitlines():
        assert line.startswith("#") or len(line.split()) == 2


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "not_found"),
        ("GET", "/v1/track", 405, "method_not_allowed"),
        ("PUT", "/v1/batch", 405, "method_not_allowed"),
    ],
)
def test_errors_are_json(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_a_caller_owned_landing_log_is_left_open(settings: Settings, tmp_path: Path) -> None:
    log = LandingLog(tmp_path / "mine")
    with TestClient(create_app(settings, landing=log)) as client:
        assert client.post("/v1/t", content=b"{}", headers=basic(WEB_KEY)).status_code == 200
    assert not log.closed
    log.append_sync(LandingEntry.create(source="web", route="track", payload=b"{}"))
    log.close()
    assert len(read_lane(tmp_path / "mine", "lane-000")) == 2


def test_the_app_owned_landing_log_is_closed_on_shutdown(app: FastAPI, root: Path) -> None:
    with TestClient(app) as client:
        client.post("/v1/t", content=b"{}", headers=basic(WEB_KEY))
    # the lane is free again
    with LandingLog(root) as log:
        assert log.lane == "lane-000"


_ROUTE_PATHS = ["/v1/batch", "/v1/t", "/v1/identify", "/v1/b", "/beacon/v1/batch"]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=5) | st.dictionaries(st.text(max_size=8), c, max_size=5),
    max_leaves=20,
)


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    value = draw(_JSON)
    if isinstance(value, dict) and draw(st.booleans()):
        value["writeKey"] = draw(st.sampled_from([WEB_KEY, "nope", 3]))
    if isinstance(value, dict) and draw(st.booleans()):
        value["batch"] = draw(st.lists(_JSON, max_size=4))
    return json.dumps(value).encode()


@given(
    path=st.sampled_from(_ROUTE_PATHS),
    body=st.one_of(st.binary(max_size=300), _bodies()),
    auth=st.sampled_from([None, WEB_KEY, "bad"]),
    encoding=st.sampled_from([None, "gzip", "identity", "zstd"]),
    compress=st.booleans(),
)
@hsettings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_fuzzed_requests_never_give_a_5xx(
    client: TestClient,
    path: str,
    body: bytes,
    auth: str | None,
    encoding: str | None,
    compress: bool,
) -> None:
    headers = basic(auth) if auth else {}
    if encoding:
        headers["Content-Encoding"] = encoding
        if encoding == "gzip" and compress:
            body = gzip.compress(body)
    response = client.post(path, content=body, headers=headers)
    assert response.status_code in (200, 400, 401, 415)
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) in ({"success"}, {"code", "message"})

"""The collector on real loopback sockets: httpx, the Segment Python SDK, kill -9, workers."""

from __future__ import annotations

import gzip
import os
import signal
import threading
import time
import uuid
from pathlib import Path

import httpx
import orjson
import pytest
from collector_helpers import (
    APP_KEY,
    WEB_KEY,
    LiveServer,
    basic,
    landed,
    start_server_process,
)

from cdp.landing import list_lanes
from cdp.models.messages import split_batch

pytestmark = pytest.mark.integration


def _track(message_id: str) -> dict[str, object]:
    return {"type": "track", "userId": "u1", "event": "Order Completed", "messageId": message_id}


def test_live_routes_gzip_and_auth(live: LiveServer, root: Path) -> None:
    body = orjson.dumps({"batch": [_track("m1"), _track("m2")]})
    with httpx.Client(base_url=live.url) as http:
        ok = http.post(
            "/v1/batch",
            content=gzip.compress(body),
            headers={**basic(WEB_KEY), "Content-Encoding": "gzip"},
        )
        assert (ok.status_code, ok.json()) == (200, {"success": True})
        text = orjson.dumps({"type": "page", "anonymousId": "a", "writeKey": APP_KEY})
        browser = http.post(
            "/v1/p",
            content=text,
            headers={
                "Content-Type": "text/plain",
                "Origin": "https://shop.example",
                "Sec-GPC": "1",
            },
        )
        assert browser.status_code == 200
        assert browser.headers["access-control-allow-origin"] == "https://shop.example"
        assert http.post("/v1/t", content=b"{}", headers=basic("nope")).status_code == 401
        assert http.get("/healthz").json()["status"] == "ok"
        settings = http.get(f"/v1/projects/{WEB_KEY}/settings").json()
        assert settings["integrations"]["Segment.io"]["apiHost"] == f"127.0.0.1:{live.port}/v1"
    first, second = landed(root)
    assert (first.route, first.payload, first.source) == ("batch", body, "web")
    assert (second.route, second.payload, second.source) == ("page", text, "app")
    assert second.meta["gpc"] == "1"


def test_concurrent_clients_are_all_landed(live: LiveServer, root: Path) -> None:
    sent: list[bytes] = []
    lock = threading.Lock()
    failures: list[int] = []

    def client(index: int) -> None:
        with httpx.Client(base_url=live.url, headers=basic(WEB_KEY)) as http:
            for i in range(25):
                body = orjson.dumps({"batch": [_track(f"{index}-{i}-{k}") for k in range(20)]})
                response = http.post("/v1/batch", content=body)
                if response.status_code != 200:
                    failures.append(response.status_code)
                with lock:
                    sent.append(body)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sorted(e.payload for e in landed(root)) == sorted(sent)


@pytest.mark.parametrize("use_gzip", [False, True])
def test_the_segment_python_sdk_lands_unchanged(
    live: LiveServer, root: Path, use_gzip: bool
) -> None:
    analytics = pytest.importorskip("segment.analytics")
    errors: list[Exception] = []
    sync = analytics.Client(WEB_KEY, host=live.url, sync_mode=True, gzip=use_gzip, max_retries=0)
    ids = [
        sync.identify("user-1", {"email": "jane@example.com", "firstName": "Jane"})[1]["messageId"],
        sync.track("user-1", "Order Completed", {"revenue": 42.5})[1]["messageId"],
        sync.page("user-1", "Docs", "Home", {"path": "/docs"})[1]["messageId"],
        sync.screen("user-1", "App", "Settings")[1]["messageId"],
        sync.group("user-1", "acme", {"name": "Acme"})[1]["messageId"],
        sync.alias("anon-1", "user-1")[1]["messageId"],
    ]
    queued = analytics.Client(
        WEB_KEY,
        host=live.url,
        gzip=use_gzip,
        upload_interval=0.05,
        on_error=lambda e, batch: errors.append(e),
    )
    for n in range(150):
        ids.append(queued.track(anonymous_id=f"anon-{n}", event="Viewed")[1]["messageId"])
    queued.flush()
    queued.shutdown()
    assert errors == []

    entries = landed(root)
    assert {e.route for e in entries} == {"batch"}
    assert all(e.meta["auth"] == "basic" and e.source == "web" for e in entries)
    landed_ids: list[str] = []
    for entry in entries:
        messages, failed = split_batch(orjson.loads(entry.payload))
        assert failed == []  # the dataflow's parser takes every message the SDK sent
        landed_ids.extend(m.message_id or "" for m in messages)
    assert sorted(landed_ids) == sorted(ids)
    assert {m.type for e in entries for m in split_batch(orjson.loads(e.payload))[0]} == {
        "identify",
        "track",
        "page",
        "screen",
        "group",
        "alias",
    }


@pytest.mark.slow
def test_every_acknowledged_request_survives_kill_9(tmp_path: Path) -> None:
    proc, url = start_server_process(tmp_path)
    acked: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()
    stop = threading.Event()

    def client(index: int) -> None:
        with httpx.Client(base_url=url, headers=basic(WEB_KEY), timeout=10) as http:
            while not stop.is_set():
                ids = [uuid.uuid4().hex for _ in range(10)]
                body = orjson.dumps({"batch": [_track(i) for i in ids]})
                try:
                    response = http.post("/v1/batch", content=body)
                except httpx.TransportError:
                    return  # the server is gone: this request was never acknowledged
                if response.status_code == 200:
                    with lock:
                        acked.extend(ids)
                        if len(acked) >= 200 * 10:
                            enough.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    try:
        assert enough.wait(60), "the server acknowledged too little"
        with lock:  # SIGKILL right after a 200, while other requests are in flight
            os.kill(proc.pid, signal.SIGKILL)
            acknowledged = set(acked)
    finally:
        stop.set()
        for t in threads:
            t.join(20)
        proc.kill()
        proc.wait(10)
    root = tmp_path / "landing"
    found = {
        item["messageId"] for entry in landed(root) for item in orjson.loads(entry.payload)["batch"]
    }
    missing = acknowledged - found
    assert not missing, f"{len(missing)} acknowledged messages lost"

    # a restarted server repairs the lane's tail and goes on
    proc, url = start_server_process(tmp_path)
    try:
        response = httpx.post(
            f"{url}/v1/batch",
            content=orjson.dumps({"batch": [_track("after")]}),
            headers=basic(WEB_KEY),
        )
        assert response.status_code == 200
    finally:
        proc.terminate()
        proc.wait(20)
    assert landed(root)[-1].payload == orjson.dumps({"batch": [_track("after")]})


@pytest.mark.slow
def test_each_worker_process_gets_its_own_lane(tmp_path: Path) -> None:
    proc, url = start_server_process(tmp_path, workers=2)
    root = tmp_path / "landing"
    try:
        deadline = time.monotonic() + 30
        while len(list_lanes(root)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list_lanes(root) == ["lane-000", "lane-001"]
        for n in range(40):
            body = orjson.dumps({"batch": [_track(f"w{n}")]})
            response = httpx.post(f"{url}/v1/batch", content=body, headers=basic(WEB_KEY))
            assert response.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0
    assert len(landed(root)) == 40

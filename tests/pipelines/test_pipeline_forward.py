"""Streaming forwarding: web events reach a webhook only when the gate allows the purpose."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
from pipeline_helpers import streaming, wait_for

from cdp.config import Settings, parse_config
from cdp.landing import LandingEntry, LandingLog, landing_root
from storage import Lakehouse


class _Receiver:
    """A real HTTP server on loopback that records what it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(orjson.loads(self.rfile.read(length)))
                receiver.headers.append(dict(self.headers))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e for body in self.bodies for e in body["events"]]


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    found = _Receiver()
    found.thread.start()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


def _forwarding(settings: Settings, url: str, *, forward: bool = True) -> Settings:
    data = settings.model_dump(mode="json")
    data["destinations"]["ads_hook"] = {
        "kind": "webhook",
        "url": url,
        "purpose": "advertising",
        "forward": forward,
        "headers": {"X-Token": "t"},
    }
    return parse_config(data, base_dir=settings.base_dir)


def _track(message_id: str, user: str, **context: Any) -> bytes:
    return orjson.dumps(
        {
            "type": "track",
            "event": "Product Viewed",
            "messageId": message_id,
            "userId": user,
            "timestamp": "2026-04-01T10:00:00.000Z",
            "context": context,
        }
    )


def _land(log: LandingLog, body: bytes) -> None:
    log.append_sync(LandingEntry.create(source="web", route="track", payload=body))


def test_only_consenting_people_are_forwarded_and_every_decision_is_logged(
    settings: Settings, receiver: _Receiver
) -> None:
    settings = _forwarding(settings, receiver.url)
    lake = Lakehouse.from_settings(settings)
    granted = {"consent": {"categoryPreferences": {"Advertising": True}}}
    denied = {"consent": {"categoryPreferences": {"Advertising": False}}}
    with LandingLog(landing_root(settings)) as log, streaming(settings):
        # consent first (the gate reads the ledger): u1 grants, u2 refuses, u3 says nothing
        _land(log, _track("c1", "u1", **granted))
        _land(log, _track("c2", "u2", **denied))
        wait_for(lambda: lake.count("consent_ledger") >= 2)
        for i in range(3):
            for user in ("u1", "u2", "u3"):
                _land(log, _track(f"e-{user}-{i}", user))
        wait_for(lambda: len({e["event_id"] for e in receiver.events} & {"e-u1-2"}) == 1)
        wait_for(lambda: lake.count("activation_log") >= 9)
    forwarded = {e["event_id"] for e in receiver.events}
    assert {"e-u1-0", "e-u1-1", "e-u1-2"} <= forwarded
    assert not any(e.startswith(("e-u2", "e-u3")) for e in forwarded)  # default deny
    assert all(h.get("X-Token") == "t" and h.get("Idempotency-Key") for h in receiver.headers)
    log_rows = lake.read("activation_log").filter(
        lake.read("activation_log")["activation_type"] == "stream_forward"
    )
    decisions = [(r["subject"], r["allowed"], r["reason"]) for r in log_rows.iter_rows(named=True)]
    assert decisions.count(("user_id:u1", True, "CONSENT_GRANTED")) >= 3
    assert decisions.count(("user_id:u2", False, "DENIED")) >= 3
    assert decisions.count(("user_id:u3", False, "NO_CONSENT")) >= 3
    assert log_rows["activation_id"].n_unique() == log_rows.height
    assert set(log_rows["destination"]) == {"ads_hook"}


def test_nothing_is_forwarded_without_forward_true(settings: Settings, receiver: _Receiver) -> None:
    settings = _forwarding(settings, receiver.url, forward=False)
    lake = Lakehouse.from_settings(settings)
    granted = {"consent": {"categoryPreferences": {"Advertising": True}}}
    with LandingLog(landing_root(settings)) as log, streaming(settings):
        _land(log, _track("c1", "u1", **granted))
        _land(log, _track("e1", "u1"))
        wait_for(lambda: lake.count("events") >= 2)
    assert receiver.bodies == []
    assert lake.count("activation_log") == 0

"""Streaming destinations: web events forwarded to a webhook when the gate allows (Bytewax wiring).

For every destination with ``forward: true`` (``kind: webhook``), ``cdp stream`` adds to its
dataflow:

* :class:`EventsTailSource` - follows the ``events`` Delta table commit by commit and emits the
  rows each append added (compactions and deletes add no new events and are skipped); its state
  is the last table version handled, so a restart resumes after it;
* a sink that runs :class:`consent.forward.StreamForwarder` on each batch: a gate decision per
  event for the destination's purpose, logged to ``activation_log``, and an HTTP POST of the
  allowed events as JSON (``{"destination", "events": [...]}``) with an ``Idempotency-Key``
  header per batch. Nothing is forwarded by default: without consent in force the gate denies.

A batch whose POST fails raises: the flow stops and, on restart, resumes at the same version
(at-least-once delivery; the activation log is exactly-once per batch).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
import orjson
import pyarrow.parquet as pq
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from typing_extensions import override

from cdp.config import Settings
from consent.activation import ActivationLog
from consent.forward import StreamForwarder
from consent.store import ConsentStore
from storage import Lakehouse

__all__ = ["EventsTailSource", "ForwardSink", "forwarding_destinations", "http_sender"]

logger = logging.getLogger(__name__)

_COLUMNS: Final = (
    "event_id",
    "source",
    "event_type",
    "event_name",
    "occurred_at",
    "user_id",
    "anonymous_id",
    "properties",
    "context",
)
_APPEND_OPERATIONS: Final = frozenset({"WRITE", "CREATE OR REPLACE TABLE"})

#: A batch: (destination, table version, events of that version)
Batch = tuple[str, int, list[dict[str, Any]]]


def forwarding_destinations(settings: Settings) -> list[str]:
    """Names of the destinations ``cdp stream`` forwards web events to."""
    return sorted(n for n, d in settings.destinations.items() if d.kind == "webhook" and d.forward)


class _TailPartition(StatefulSourcePartition[Batch, int]):
    def __init__(
        self,
        lakehouse: Lakehouse,
        destination: str,
        resume: int | None,
        poll: timedelta,
        stop: threading.Event | None,
    ) -> None:
        self._lakehouse = lakehouse
        self._destination = destination
        self._poll = poll
        self._stop = stop
        self._version = resume if resume is not None else self._start()
        self._files: set[str] | None = None
        self._next_awake: datetime | None = None

    def _start(self) -> int:
        # a new forwarder starts with the events that arrive from now on
        return self._lakehouse.version("events") if self._lakehouse.exists("events") else -1

    def _table_files(self, version: int) -> set[str]:
        if version < 0:
            return set()
        return set(self._lakehouse.table("events", version=version).file_uris())

    @override
    def next_batch(self) -> list[Batch]:
        if self._stop is not None and self._stop.is_set():
            raise StopIteration
        self._next_awake = datetime.now(UTC) + self._poll
        if not self._lakehouse.exists("events"):
            return []
        latest = self._lakehouse.version("events")
        if latest <= self._version:
            return []
        version = self._version + 1  # one commit per batch: the version is the batch key
        if self._files is None:
            self._files = self._table_files(self._version)
        current = self._table_files(version)
        added = current - self._files
        self._files = current
        self._version = version
        operation = self._lakehouse.operation("events", version, latest=latest)
        if operation not in _APPEND_OPERATIONS or not added:
            return []
        rows: list[dict[str, Any]] = []
        for uri in sorted(added):
            table = pq.read_table(uri.removeprefix("file://"), columns=list(_COLUMNS))
            rows.extend(table.to_pylist())
        self._next_awake = None  # more versions may be waiting
        return [(self._destination, version, rows)]

    @override
    def next_awake(self) -> datetime | None:
        return self._next_awake

    @override
    def snapshot(self) -> int:
        return self._version


class EventsTailSource(FixedPartitionedSource[Batch, int]):
    """Appends to ``events``, one batch per commit, for one destination (see the module doc)."""

    def __init__(
        self,
        lakehouse: Lakehouse,
        destination: str,
        *,
        poll: timedelta = timedelta(milliseconds=200),
        stop: threading.Event | None = None,
    ) -> None:
        self._lakehouse = lakehouse
        self._destination = destination
        self._poll = poll
        self._stop = stop

    @override
    def list_parts(self) -> list[str]:
        return [f"events-for-{self._destination}"]

    @override
    def build_part(self, step_id: str, for_key: str, resume_state: int | None) -> _TailPartition:
        return _TailPartition(
            self._lakehouse, self._destination, resume_state, self._poll, self._stop
        )


def http_sender(settings: Settings, *, timeout: float = 10.0) -> Any:
    """``send(destination, events)`` posting JSON to the destination's ``url`` with its headers."""
    clients: dict[str, httpx.Client] = {}

    def send(destination: str, events: list[dict[str, Any]]) -> None:
        config = settings.destinations[destination]
        assert config.url is not None
        client = clients.get(destination)
        if client is None:
            client = clients[destination] = httpx.Client(timeout=timeout)
        body = orjson.dumps({"destination": destination, "events": events}, default=str)
        key = events[0]["event_id"] + ":" + str(len(events))
        headers = {
            **config.headers,
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        response = client.post(config.url, content=body, headers=headers)
        response.raise_for_status()

    return send


class _ForwardPartition(StatelessSinkPartition[Batch]):
    def __init__(self, forwarders: dict[str, StreamForwarder]) -> None:
        self._forwarders = forwarders

    @override
    def write_batch(self, items: list[Batch]) -> None:
        for destination, version, events in items:
            self._forwarders[destination].forward(events, batch_key=f"v{version}")


class ForwardSink(DynamicSink[Batch]):
    """Runs the forwarders on the batches of the tail sources."""

    def __init__(self, forwarders: dict[str, StreamForwarder]) -> None:
        self._forwarders = forwarders

    @override
    def build(self, step_id: str, worker_index: int, worker_count: int) -> _ForwardPartition:
        return _ForwardPartition(self._forwarders)


def build_forwarders(
    settings: Settings, lakehouse: Lakehouse, *, send: Any | None = None
) -> dict[str, StreamForwarder]:
    """One :class:`StreamForwarder` per forwarding destination (one shared consent store)."""
    names = forwarding_destinations(settings)
    if not names:
        return {}
    store = ConsentStore(lakehouse, settings)
    log = ActivationLog(lakehouse)
    sender = send or http_sender(settings)
    web = frozenset(n for n, s in settings.sources.items() if s.kind == "web")
    return {
        name: StreamForwarder(
            store,
            log,
            destination=name,
            purpose=settings.destinations[name].purpose,
            send=sender,
            sources=web,
        )
        for name in names
    }

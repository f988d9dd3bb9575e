"""Stream assignment: records that arrive between full resolutions get a customer at once.

The stream (``cdp stream``) commits ``identity_records`` every epoch; between two full
resolutions (``cdp identity resolve``) those records would have no ``identity_map`` row. This
module gives them one through a long-lived :class:`identity.IncrementalResolver`:

* :func:`assign_new_records` - the domain step: each live record the resolver does not know yet
  is assigned (an existing customer, or a new one with the stable id a full run would give it)
  and becomes an ``identity_map`` row; known records and deletes are left to the full run.
* :class:`StreamAssigner` - owns the resolver over a lakehouse: it is built after the first full
  resolution (before it there is no model and no map to match against: nothing is assigned, and
  the reason is logged once), rebuilt when a full resolution saves a new ``identity_models``
  version or records are deleted (:meth:`StreamAssigner.invalidate`: an erasure must not stay
  in memory), and at every (re)build the live records with no map row (arrived since that
  resolution, or while the stream was down) are assigned first. Rows are written with an upsert
  keyed by ``(source, source_record_id)`` and ``newer_by="resolved_at"``: a replay rewrites the
  same rows (the rebuilt resolver knows what was written and returns the same ids), and a row
  written by a later full resolution is never overwritten by an older stream assignment.

The full resolution stays the source of truth: it re-clusters everything and keeps the ids
(``identity_map`` is its ``previous``). An incremental assignment only joins one customer or
starts one, so it never merges two customers: it writes no ``identity_merges`` rows (the full
run records merges and splits when it re-clusters).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl
import pyarrow as pa

from identity.errors import IdentityError
from identity.incremental import IncrementalResolver
from identity.service import (
    active_overrides,
    alias_pairs,
    latest_model,
    live_records,
    web_traits,
)
from identity.settings import ResolveSettings
from identity.web import with_accumulated_traits
from storage import TABLES, Lakehouse, StorageError, TableMissingError

__all__ = ["AssignmentStats", "StreamAssigner", "assign_new_records", "latency_percentiles"]

logger = logging.getLogger(__name__)

#: ``run_id`` of the ``identity_map`` rows written by the stream.
STREAM_RUN_ID: Final = "stream"
_RECORD_COLUMNS: Final = tuple(TABLES["identity_records"].schema.names)
_MAP_SCHEMA: Final = TABLES["identity_map"].schema
_KEEP_LATENCIES: Final = 100_000


@dataclass
class AssignmentStats:
    """Counts and per-record assignment latencies (seconds) of a :class:`StreamAssigner`."""

    assigned: int = 0
    joined: int = 0
    new: int = 0
    known: int = 0
    deleted: int = 0
    failed: int = 0
    skipped_batches: int = 0
    builds: int = 0
    latencies: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Counts and latency percentiles in milliseconds (no personal data)."""
        return {
            "assigned": self.assigned,
            "joined": self.joined,
            "new": self.new,
            "known": self.known,
            "deleted": self.deleted,
            "failed": self.failed,
            "skipped_batches": self.skipped_batches,
            "builds": self.builds,
            **latency_percentiles(self.latencies),
        }


def latency_percentiles(seconds: Iterable[float]) -> dict[str, float | None]:
    """``p50_ms``, ``p99_ms`` and ``max_ms`` of latencies given in seconds (None: none)."""
    ms = sorted(s * 1000.0 for s in seconds)
    if not ms:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "p50_ms": round(ms[len(ms) // 2], 3),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3),
        "max_ms": round(ms[-1], 3),
    }


def _key(row: Mapping[str, Any]) -> str:
    return f"{row['source']}:{row['source_record_id']}"


def assign_new_records(
    resolver: IncrementalResolver,
    records: Iterable[Mapping[str, Any]],
    *,
    run_id: str = STREAM_RUN_ID,
    now: datetime | None = None,
    stats: AssignmentStats | None = None,
) -> pl.DataFrame:
    """Assign the ``identity_records`` rows the resolver does not know yet; their
    ``identity_map`` rows.

    Deleted records and records already known to the resolver (mapped by a full run or an
    earlier assignment; a changed known record waits for the next full run, which re-clusters
    it) are skipped. A record the resolver rejects (:class:`IdentityError`) is counted as
    ``failed`` and skipped. Latencies and counts go to ``stats`` when given.
    """
    stats = stats if stats is not None else AssignmentStats()
    at = now or datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for record in records:
        if record.get("deleted"):
            stats.deleted += 1
            continue
        key = _key(record)
        if resolver.customer_of(key) is not None:
            stats.known += 1
            continue
        values = {c: record.get(c) for c in _RECORD_COLUMNS}
        started = time.perf_counter()
        try:
            found = resolver.assign(values)
        except IdentityError as e:
            stats.failed += 1
            logger.warning("a record could not be assigned in the stream: %s", e)
            continue
        stats.latencies.append(time.perf_counter() - started)
        if len(stats.latencies) > _KEEP_LATENCIES:
            del stats.latencies[: _KEEP_LATENCIES // 2]
        stats.assigned += 1
        if found.new:
            stats.new += 1
        else:
            stats.joined += 1
        rows.append(
            {
                "source": record["source"],
                "source_record_id": record["source_record_id"],
                "customer_id": found.customer_id,
                "match_probability": found.match_probability,
                "run_id": run_id,
                "resolved_at": at,
            }
        )
    out = pl.from_arrow(pa.Table.from_pylist(rows, schema=_MAP_SCHEMA))
    assert isinstance(out, pl.DataFrame)
    return out


def _unmapped(records: pl.DataFrame, identity_map: pl.DataFrame | None) -> pl.DataFrame:
    if identity_map is None or identity_map.height == 0:
        return records
    keys = identity_map.select("source", "source_record_id")
    return records.join(keys, on=["source", "source_record_id"], how="anti")


class StreamAssigner:
    """The long-lived resolver of the stream and its ``identity_map`` writes (module doc)."""

    def __init__(
        self,
        lakehouse: Lakehouse,
        *,
        settings: ResolveSettings | None = None,
        run_id: str = STREAM_RUN_ID,
    ) -> None:
        self._lakehouse = lakehouse
        self._settings = settings or ResolveSettings()
        self._run_id = run_id
        self.resolver: IncrementalResolver | None = None
        self.stats = AssignmentStats()
        self._models_version: int | None = None
        self._waiting_logged = False

    def _models_table_version(self) -> int | None:
        if not self._lakehouse.exists("identity_models"):
            return None
        return self._lakehouse.version("identity_models")

    def refresh(self) -> bool:
        """(Re)build the resolver when a full resolution saved a new model since the last
        build, and assign the live records with no map row; True when it (re)built."""
        version = self._models_table_version()
        if version is not None and version == self._models_version and self.resolver is not None:
            return False
        stored = latest_model(self._lakehouse)
        if stored is None:
            if not self._waiting_logged:
                logger.info(
                    "stream identity assignment waits for the first full resolution "
                    "(`cdp identity resolve`): no identity model yet"
                )
                self._waiting_logged = True
            self.resolver = None
            return False
        started = time.perf_counter()
        # as IncrementalResolver.from_lakehouse: every identify's traits (identity.web)
        records = with_accumulated_traits(
            live_records(self._lakehouse), web_traits(self._lakehouse)
        )
        try:
            identity_map: pl.DataFrame | None = self._lakehouse.read("identity_map")
        except TableMissingError:
            identity_map = None
        pending = _unmapped(records, identity_map)
        mapped = records.join(pending, on=["source", "source_record_id"], how="anti")
        self.resolver = IncrementalResolver(
            mapped,
            identity_map,
            stored.model_json,
            settings=self._settings,
            overrides=active_overrides(self._lakehouse),
            aliases=alias_pairs(self._lakehouse),
        )
        self._models_version = version
        self.stats.builds += 1
        logger.info(
            "stream identity resolver built on model version %d in %.2fs; %d record(s) to catch up",
            stored.version,
            time.perf_counter() - started,
            pending.height,
        )
        if pending.height:
            self._write(pending.sort("updated_at", nulls_last=False).iter_rows(named=True))
        return True

    def invalidate(self) -> None:
        """Forget the resolver (records were deleted, e.g. an erasure): the next
        :meth:`process` rebuilds it from the lakehouse."""
        self.resolver, self._models_version = None, None

    def process(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Refresh when needed, assign the new records, write their map rows; how many.

        Never raises for a model it cannot use or a failed write: it logs, forgets the
        resolver and returns 0; the next call rebuilds, and the build assigns every live
        record still without a map row (so a failed batch is caught up, not lost).
        """
        try:
            self.refresh()
            if self.resolver is None:
                return 0
            return self._write(records)
        except (IdentityError, StorageError) as e:
            self.stats.skipped_batches += 1
            self.invalidate()
            logger.warning(
                "stream identity assignment skipped a batch (%s); it is retried at the next "
                "build: %s",
                type(e).__name__,
                e,
            )
            return 0

    def _write(self, records: Iterable[Mapping[str, Any]]) -> int:
        assert self.resolver is not None
        rows = assign_new_records(self.resolver, records, run_id=self._run_id, stats=self.stats)
        if rows.height:
            self._lakehouse.upsert("identity_map", rows, newer_by="resolved_at")
            logger.debug("stream identity assignment: %d map row(s) written", rows.height)
        return rows.height

"""Tuning knobs of the ingest core and dataflows (:class:`IngestOptions`).

The defaults suit the embedded deployment (one machine, local Delta); every value can be changed
without touching the configuration file, e.g. ``IngestOptions(chunk_rows=5_000)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from cdp.ingest.errors import IngestError

__all__ = ["IngestOptions"]


@dataclass(frozen=True, kw_only=True)
class IngestOptions:
    """How the ingest reads, batches, dedupes and commits.

    * ``chunk_rows`` / ``chunk_bytes``: inputs per item a file source emits (one item is processed
      in one call; bigger chunks amortize per-item overhead, smaller ones bound memory).
    * ``flush_rows``: a sink partition commits (in the background) what waits once its previous
      commit is done and a fifth of this many inputs wait, and at every epoch end; with this
      many waiting it waits for the commit in flight.
    * ``epoch_interval``: Bytewax epoch length of the streams; the sinks commit at each epoch end,
      so this bounds how stale the tables are and how much a restart replays.
      ``batch_epoch_interval`` is the same for file ingest (fewer, larger commits).
    * ``poll_interval``: how often streaming sources look for new input when idle.
    * ``max_message_bytes``: largest web message (Segment: 32 KB); ``max_record_bytes``: largest
      CSV/JSON-lines record. Bigger inputs are quarantined as ``oversize``.
    * ``keep_raw``: write every input to ``raw_events`` as it came.
    * ``columnar``: process chunks of JSON-lines web files with the columnar fast path
      (:mod:`cdp.ingest.columnar`; same outcomes as the per-line path, which it falls back to).
    * ``dedupe_max_ids``: event ids the in-memory dedupe index holds before it forgets the least
      recently used days (it reloads a day from the ``events`` table when needed again).
    * ``compact_every``: commits to a table after which the stream compacts its small files.
    * ``compact_files``: after a file ingest, a table it wrote is compacted once one of its
      partitions holds this many small files (under 32 MB; each run adds a few per partition,
      a month-partitioned ``events`` one per month and commit). The default, 50, makes
      compaction rare and worth it (as Delta's auto-compaction); 0 never compacts.
    * ``landing_batch``: most landing entries read per poll of one lane.
    * ``sink_partitions``: partitions of the Delta sink. One (the default) makes one writer for
      the whole flow, so the event-id dedupe is exact even across processes; more spread the
      commits over workers (dedupe then exact within a process).
    * ``drop_settle``: a dropped file is read once it has not changed for this long.
    * ``landing_truncate_interval``: how often consumed landing segments are deleted.
    * ``parse_processes``: helper processes that turn the chunks of a file ingest into outcomes
      beside the dataflow (:mod:`pipelines._pool`); 0 processes them in the dataflow itself.
      Worth it for big files on a machine with a core to spare: each helper costs a second or
      so to start. ``helper_start``: what the file sources do meanwhile: process their chunks in
      the dataflow (``"process"``, the default) or wait for the helpers (``"wait"``).
    * ``range_bytes``: a JSON-lines file is read as byte ranges of this size, each its own
      partition and stream, so that the processes of a cluster share a big file. Every stream
      commits on its own (one Delta commit per table and stream), so ranges cost commits: keep
      them large. Part of the streams' identity: keep it fixed for a lakehouse.
    """

    chunk_rows: int = 10_000
    chunk_bytes: int = 32 << 20
    flush_rows: int = 250_000
    epoch_interval: timedelta = field(default_factory=lambda: timedelta(seconds=1))
    batch_epoch_interval: timedelta = field(default_factory=lambda: timedelta(seconds=30))
    poll_interval: timedelta = field(default_factory=lambda: timedelta(milliseconds=200))
    max_message_bytes: int = 32 * 1024
    max_record_bytes: int = 1 << 20
    keep_raw: bool = True
    columnar: bool = True
    dedupe_max_ids: int = 2_000_000
    compact_every: int = 100
    compact_files: int = 50
    landing_batch: int = 5_000
    sink_partitions: int = 1
    #: partitions of the consent engine's sink (statements keyed by subject, pipelines.consent)
    consent_partitions: int = 2
    drop_settle: timedelta = field(default_factory=lambda: timedelta(seconds=1))
    landing_truncate_interval: timedelta = field(default_factory=lambda: timedelta(seconds=5))
    range_bytes: int = 1 << 30
    parse_processes: int = 0
    helper_start: Literal["process", "wait"] = "process"

    def __post_init__(self) -> None:
        for name in ("parse_processes", "compact_files"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise IngestError(f"IngestOptions.{name} must be a non-negative integer")
        if self.helper_start not in ("process", "wait"):
            raise IngestError('IngestOptions.helper_start must be "process" or "wait"')
        for name in (
            "chunk_rows",
            "chunk_bytes",
            "flush_rows",
            "max_message_bytes",
            "max_record_bytes",
            "dedupe_max_ids",
            "compact_every",
            "landing_batch",
            "sink_partitions",
            "consent_partitions",
            "range_bytes",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise IngestError(f"IngestOptions.{name} must be a positive integer")
        for name in ("epoch_interval", "batch_epoch_interval", "poll_interval"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise IngestError(f"IngestOptions.{name} must be a positive timedelta")

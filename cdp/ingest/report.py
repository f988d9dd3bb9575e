"""Counting what an ingest did: :class:`IngestStats` (live, thread-safe) and :class:`IngestReport`.

The counts reconcile: ``inputs == events + quarantined + duplicates + skipped`` where

* ``events``: inputs written to ``events``;
* ``quarantined``: inputs written to ``quarantine`` (by ``error_type``);
* ``duplicates``: inputs whose event id was already known (same chunk, an earlier batch, the
  table) - not a rejection, so not quarantined, and not written again;
* ``skipped``: inputs already committed by an earlier run of the same flow (exactly-once replay).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["IngestReport", "IngestStats"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run read and wrote (see the module documentation)."""

    flow_id: str
    inputs: int
    events: int
    duplicates: int
    skipped: int
    quarantined: dict[str, int]
    rows: dict[str, int]
    commits: int
    elapsed: float
    files: int = 0
    #: CPU seconds of the run: every thread of the ingesting process and its helper processes
    #: (``parse_processes``) or cluster processes; 0 where not measured
    cpu: float = 0.0
    #: data files rewritten per table by the compaction after the run
    #: (``IngestOptions.compact_files``), and its seconds (not in ``elapsed``)
    compacted: dict[str, int] = field(default_factory=dict)
    compaction: float = 0.0

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    @property
    def reconciled(self) -> bool:
        """``inputs == events + quarantined + duplicates + skipped``."""
        return self.inputs == self.events + self.quarantined_total + self.duplicates + self.skipped

    @property
    def events_per_second(self) -> float:
        return self.inputs / self.elapsed if self.elapsed > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values (for ``cdp ingest --json`` and benchmarks)."""
        return {
            "flow_id": self.flow_id,
            "inputs": self.inputs,
            "events": self.events,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "quarantined": dict(self.quarantined),
            "rows": dict(self.rows),
            "commits": self.commits,
            "files": self.files,
            "elapsed_s": round(self.elapsed, 3),
            "cpu_s": round(self.cpu, 3),
            "compacted": dict(self.compacted),
            "compaction_s": round(self.compaction, 3),
            "inputs_per_s": round(self.events_per_second, 1),
            "reconciled": self.reconciled,
        }


@dataclass
class IngestStats:
    """Counters the sinks update as they commit (shared by the sink partitions of a flow)."""

    inputs: int = 0
    events: int = 0
    duplicates: int = 0
    skipped: int = 0
    commits: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(
        self,
        *,
        inputs: int,
        events: int,
        duplicates: int,
        skipped: int,
        quarantined: Counter[str],
        rows: dict[str, int],
        commits: int,
    ) -> None:
        """Add the counts of one committed micro-batch."""
        with self._lock:
            self.inputs += inputs
            self.events += events
            self.duplicates += duplicates
            self.skipped += skipped
            self.commits += commits
            self.quarantined.update(quarantined)
            self.rows.update(rows)

    def report(
        self, *, flow_id: str, elapsed: float, files: int = 0, cpu: float = 0.0
    ) -> IngestReport:
        """A frozen report of the counts so far."""
        with self._lock:
            return IngestReport(
                flow_id=flow_id,
                inputs=self.inputs,
                events=self.events,
                duplicates=self.duplicates,
                skipped=self.skipped,
                quarantined=dict(sorted(self.quarantined.items())),
                rows=dict(sorted(self.rows.items())),
                commits=self.commits,
                elapsed=elapsed,
                files=files,
                cpu=cpu,
            )

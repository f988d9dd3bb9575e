"""The event-id index that keeps duplicates out of ``events``.

:class:`EventIndex` remembers the event ids already written (or being written) per event date.
A date is loaded from the ``events`` table the first time an event of that date (or of the day
before or after: a retried message may straddle midnight) is checked, so duplicates are caught
across micro-batches, streams and restarts; ids claimed in this run are added as they are
written. When more than ``max_ids`` ids are held, the least recently used dates are forgotten
(and reloaded from the table if needed again).

Claims are thread-safe: several sink partitions of one process share one index, and the first
to claim an id wins. A writer that fails to commit :meth:`releases <EventIndex.release>` its
claims.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta

__all__ = ["EventIndex", "IdLoader"]

logger = logging.getLogger(__name__)

#: Loads ``(event date, event id)`` of the events stored for some event dates.
IdLoader = Callable[[Sequence[date]], Iterable[tuple[date, str]]]
_DAY = timedelta(days=1)


class EventIndex:
    """Known event ids by event date (see the module documentation)."""

    def __init__(self, loader: IdLoader | None = None, *, max_ids: int = 2_000_000) -> None:
        self._loader = loader
        self._max_ids = max_ids
        self._lock = threading.Lock()
        self._ids: set[str] = set()
        self._dates: OrderedDict[date, list[str]] = OrderedDict()  # loaded dates, LRU order
        self.loaded_dates = 0

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def claim(self, event_ids: Sequence[str], dates: Sequence[date]) -> list[bool]:
        """Which of ``event_ids`` are new (now claimed); repeats in the input count once."""
        with self._lock:
            self._ensure(dates)
            ids = self._ids
            by_date = self._dates
            fresh: list[bool] = []
            for event_id, day in zip(event_ids, dates, strict=True):
                if event_id in ids:
                    fresh.append(False)
                    continue
                ids.add(event_id)
                bucket = by_date.get(day)
                if bucket is None:
                    bucket = by_date[day] = []
                bucket.append(event_id)
                fresh.append(True)
            self._evict(set(dates))
            return fresh

    def release(self, event_ids: Iterable[str]) -> None:
        """Forget claims whose write failed (the ids may come again)."""
        with self._lock:
            for event_id in event_ids:
                self._ids.discard(event_id)

    def _ensure(self, dates: Sequence[date]) -> None:
        wanted: set[date] = set()
        for day in set(dates):
            wanted.update((day - _DAY, day, day + _DAY))
        missing = sorted(d for d in wanted if d not in self._dates)
        for day in wanted:
            if day in self._dates:
                self._dates.move_to_end(day)
        if not missing:
            return
        for day in missing:
            self._dates[day] = []
        if self._loader is not None:
            fallback = self._dates[missing[0]]
            for day, event_id in self._loader(missing):
                if event_id not in self._ids:
                    self._ids.add(event_id)
                    self._dates.get(day, fallback).append(event_id)
        self.loaded_dates += len(missing)

    def _evict(self, keep: set[date]) -> None:
        if len(self._ids) <= self._max_ids:
            return
        for day in list(self._dates):
            if len(self._ids) <= self._max_ids:
                break
            if day in keep:
                continue
            for event_id in self._dates.pop(day):
                self._ids.discard(event_id)
        logger.info("dedupe index over %d ids: forgot the least recently used days", self._max_ids)

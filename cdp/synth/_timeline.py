"""The generation window and the instants records, events and statements happen at."""

from __future__ import annotations

import random

from cdp.synth._clock import epoch_s
from cdp.synth._options import GenerateOptions

__all__ = ["Timeline"]

_DAY = 86_400
_YEAR = 365 * _DAY


class Timeline:
    """Epoch seconds of the window [start, end] (end inclusive, to the last second of the day)."""

    def __init__(self, options: GenerateOptions) -> None:
        self.start = epoch_s(options.start)
        self.end = epoch_s(options.end) + _DAY - 1
        self.span = self.end - self.start

    def at(self, rng: random.Random, lo: int | None = None, hi: int | None = None) -> int:
        """A moment in [lo, hi] (default: the window), at a plausible time of day."""
        lo = self.start if lo is None else lo
        hi = self.end if hi is None else hi
        if hi <= lo:
            return lo
        t = rng.randint(lo, hi)
        if hi - lo > _DAY:  # move night-time moments into the day (07:00-23:00 UTC)
            day, sec = divmod(t, _DAY)
            if sec < 7 * 3600:
                t = day * _DAY + 7 * 3600 + rng.randrange(16 * 3600)
                t = min(max(t, lo), hi)
        return t

    def created(self, rng: random.Random, years_back: int) -> int:
        """When a master-data record was created: often years before the window."""
        return self.at(rng, self.start - years_back * _YEAR, self.end - _DAY)

    def modified(self, rng: random.Random, created: int) -> int:
        """Last change: inside the window, not before creation."""
        return self.at(rng, max(created, self.start), self.end)

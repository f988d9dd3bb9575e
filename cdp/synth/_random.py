"""Seeded randomness helpers: independent named streams, weighted picks, uuids.

Everything random in the generator comes from ``random.Random`` instances derived here from the
seed, never from ``hash()`` or from iterating sets, so output is identical across processes.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

__all__ = ["Weighted", "geometric", "stream", "uuid4", "zipf"]

T = TypeVar("T")


def stream(seed: int, name: str) -> random.Random:
    """An independent random stream for one concern (``"people"``, ``"crm"``, ...).

    String seeds are hashed with SHA-512 by ``random`` itself, so this does not depend on
    ``PYTHONHASHSEED``; separate streams keep e.g. the CRM data unchanged when only the number
    of web events changes.
    """
    return random.Random(f"cdp.synth/{seed}/{name}")


class Weighted(Generic[T]):
    """A fixed weighted choice: ``pick`` is one ``random()`` call and a bisection."""

    __slots__ = ("_cum", "_total", "items")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if not items or len(items) != len(weights):
            raise ValueError("Weighted needs as many weights as items, and at least one")
        self.items: tuple[T, ...] = tuple(items)
        self._cum = list(accumulate(float(w) for w in weights))
        self._total = self._cum[-1]
        if self._total <= 0:
            raise ValueError("Weighted needs a positive total weight")

    def pick(self, rng: random.Random) -> T:
        i = bisect_right(self._cum, rng.random() * self._total)
        return self.items[min(i, len(self.items) - 1)]

    def __len__(self) -> int:
        return len(self.items)


def zipf(items: Sequence[T], s: float = 1.0, offset: float = 2.0) -> Weighted[T]:
    """Rank-frequency weights ``1 / (rank + offset) ** s``: the first items are the common ones."""
    return Weighted(items, [1.0 / (i + offset) ** s for i in range(len(items))])


def geometric(rng: random.Random, mean: float) -> int:
    """A count >= 1 with the given mean (geometric distribution; mean <= 1 gives 1)."""
    if mean <= 1.0:
        return 1
    p = 1.0 / mean
    return 1 + int(math.log(1.0 - rng.random()) / math.log(1.0 - p))


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID string drawn from ``rng`` (deterministic, unlike ``uuid.uuid4``)."""
    b = rng.getrandbits(128)
    b = (b & ~(0xF << 76)) | (0x4 << 76)
    b = (b & ~(0x3 << 62)) | (0x2 << 62)
    h = f"{b:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

"""Record identifiers as the source systems mint them: unique by construction, no lookups."""

from __future__ import annotations

import random

__all__ = ["SalesforceIds", "SapCustomerNumbers", "Scrambled", "salesforce_suffix"]

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _base62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_BASE62[r])
    return "".join(reversed(out))


def salesforce_suffix(id15: str) -> str:
    """The 3-character case-safe checksum that turns a 15-character id into the 18-character one."""
    out = []
    for block in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, ch in enumerate(block) if "A" <= ch <= "Z")
        out.append(_SUFFIX[bits])
    return "".join(out)


class SalesforceIds:
    """``003`` (Contact) + pod + ``0`` + a 9-digit base-62 counter + checksum: 18 characters."""

    def __init__(self, rng: random.Random, prefix: str = "003") -> None:
        self.rng = rng
        self.prefix = prefix + rng.choice("0123456789") + rng.choice(_BASE62[10:36]) + "0"
        self.counter = rng.randrange(62**6, 62**7)

    def next(self) -> str:
        self.counter += self.rng.randint(1, 97)
        id15 = self.prefix + _base62(self.counter, 9)
        return id15 + salesforce_suffix(id15)


class SapCustomerNumbers:
    """KNA1-KUNNR: 10 digits, zero-padded, ascending with the gaps number ranges leave."""

    def __init__(self, rng: random.Random, start: int = 100_000) -> None:
        self.rng = rng
        self.counter = start + rng.randrange(1000)

    def next(self) -> str:
        self.counter += 1 if self.rng.random() < 0.8 else self.rng.randint(2, 9)
        return f"{self.counter:010d}"


class Scrambled:
    """``prefix`` + a random-looking base-36 code that is a bijection of a counter (unique)."""

    _BITS = 40
    _MASK = (1 << 40) - 1

    def __init__(self, rng: random.Random, prefix: str, width: int = 8) -> None:
        self.prefix = prefix
        self.width = width
        self.mult = rng.getrandbits(self._BITS) | 1
        self.add = rng.getrandbits(self._BITS)
        self.counter = 0

    def next(self) -> str:
        self.counter += 1
        x = (self.counter * self.mult + self.add) & self._MASK
        x ^= x >> 19
        x = (x * 0x9E3779B97F4A7C15) & self._MASK  # odd multiplier: still a bijection
        digits = []
        for _ in range(self.width):  # 36**8 > 2**40: distinct numbers give distinct codes
            x, r = divmod(x, 36)
            digits.append(_BASE36[r])
        return self.prefix + "".join(reversed(digits))

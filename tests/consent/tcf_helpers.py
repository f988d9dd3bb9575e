"""A small TC string encoder for the tests (written from the IAB core-segment layout)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime

__all__ = ["encode_tc_string"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Writer:
    def __init__(self) -> None:
        self.bits: list[str] = []

    def int(self, value: int, width: int) -> None:
        assert 0 <= value < (1 << width), (value, width)
        self.bits.append(format(value, f"0{width}b"))

    def flag(self, value: bool) -> None:
        self.bits.append("1" if value else "0")

    def ids(self, ids: Iterable[int], width: int) -> None:
        chosen = set(ids)
        self.bits.append("".join("1" if i + 1 in chosen else "0" for i in range(width)))

    def letters(self, text: str) -> None:
        for ch in text:
            self.int(ord(ch) - ord("A"), 6)

    def time(self, at: datetime) -> None:
        self.int(int((at - _EPOCH).total_seconds() * 10), 36)

    def ranges(self, ids: Iterable[int]) -> None:
        runs: list[tuple[int, int]] = []
        for i in sorted(set(ids)):
            if runs and runs[-1][1] == i - 1:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))
        self.int(len(runs), 12)
        for start, end in runs:
            self.flag(start != end)
            self.int(start, 16)
            if start != end:
                self.int(end, 16)

    def vendors(self, ids: Iterable[int], *, ranges: bool) -> None:
        chosen = sorted(set(ids))
        max_id = chosen[-1] if chosen else 0
        self.int(max_id, 16)
        self.flag(ranges)
        if ranges:
            self.ranges(chosen)
        else:
            self.ids(chosen, max_id)

    def encode(self) -> str:
        bits = "".join(self.bits)
        bits += "0" * (-len(bits) % 8)
        data = int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""
        return base64.urlsafe_b64encode(data).decode().rstrip("=")


def encode_tc_string(
    *,
    created: datetime = datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    updated: datetime | None = None,
    cmp_id: int = 7,
    cmp_version: int = 1,
    consent_screen: int = 1,
    language: str = "EN",
    vendor_list_version: int = 48,
    policy_version: int = 4,
    service_specific: bool = True,
    non_standard_texts: bool = False,
    special_features: Iterable[int] = (),
    purposes: Iterable[int] = (),
    purposes_li: Iterable[int] = (),
    purpose_one_treatment: bool = False,
    publisher_cc: str = "DE",
    vendors: Iterable[int] = (),
    vendors_li: Iterable[int] = (),
    ranges: bool = False,
    restrictions: Iterable[tuple[int, int, Iterable[int]]] = (),
    version: int = 2,
    extra_segments: Iterable[str] = (),
) -> str:
    """A TC string with these values (``restrictions``: (purpose, type, vendor ids))."""
    w = _Writer()
    w.int(version, 6)
    w.time(created)
    w.time(updated or created)
    w.int(cmp_id, 12)
    w.int(cmp_version, 12)
    w.int(consent_screen, 6)
    w.letters(language)
    w.int(vendor_list_version, 12)
    w.int(policy_version, 6)
    w.flag(service_specific)
    w.flag(non_standard_texts)
    w.ids(special_features, 12)
    w.ids(purposes, 24)
    w.ids(purposes_li, 24)
    w.flag(purpose_one_treatment)
    w.letters(publisher_cc)
    w.vendors(vendors, ranges=ranges)
    w.vendors(vendors_li, ranges=ranges)
    items = list(restrictions)
    w.int(len(items), 12)
    for purpose, kind, ids in items:
        w.int(purpose, 6)
        w.int(kind, 2)
        w.ranges(ids)
    return ".".join([w.encode(), *extra_segments])

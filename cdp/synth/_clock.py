"""Fast timestamp formatting for the formats the sources use (all UTC).

Times are plain integers (epoch seconds or milliseconds); ``datetime`` objects per record would
be the slowest part of the generator.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache

__all__ = [
    "day_of",
    "epoch_ms",
    "epoch_s",
    "iso_date",
    "iso_ms_z",
    "iso_s_z",
    "salesforce",
    "yyyymmdd",
]

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=65_536)
def _day(days: int) -> str:
    return date.fromordinal(_EPOCH_ORDINAL + days).isoformat()


def epoch_s(d: date) -> int:
    """Seconds at midnight UTC of ``d``."""
    return int(datetime.combine(d, time(), tzinfo=UTC).timestamp())


def epoch_ms(d: date) -> int:
    return epoch_s(d) * 1000


def day_of(seconds: int) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + seconds // 86_400)


_HMS: list[str] = []  # "THH:MM:SS" for every second of a day, built on first use (~6 MB)
_MILLIS = tuple(f".{m:03d}Z" for m in range(1000))


def _hms_table() -> list[str]:
    if not _HMS:
        _HMS.extend(
            f"T{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        )
    return _HMS


def _hms(rest: int) -> str:
    return (_HMS or _hms_table())[rest][1:]


def iso_ms_z(ms: int) -> str:
    """``2026-03-04T10:11:12.345Z`` (Segment)."""
    days, rest = divmod(ms, 86_400_000)
    return _day(days) + (_HMS or _hms_table())[rest // 1000] + _MILLIS[rest % 1000]


def iso_s_z(seconds: int) -> str:
    """``2026-03-04T10:11:12Z`` (consent statements)."""
    days, rest = divmod(seconds, 86_400)
    return f"{_day(days)}T{_hms(rest)}Z"


def salesforce(seconds: int) -> str:
    """``2026-10-01T12:34:56.000+0000`` (Salesforce exports)."""
    days, rest = divmod(seconds, 86_400)
    return f"{_day(days)}T{_hms(rest)}.000+0000"


def iso_date(seconds: int) -> str:
    return _day(seconds // 86_400)


def yyyymmdd(seconds: int) -> str:
    """``20261001`` (SAP)."""
    return _day(seconds // 86_400).replace("-", "")

"""Canonical JSON for the JSON-string columns (sorted keys, compact), tolerant of odd values."""

from __future__ import annotations

from typing import Final

import orjson

__all__ = ["canonical_json"]

_OPTIONS: Final = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_INT64: Final = (-(2**63), 2**64 - 1)


def _default(value: object) -> object:
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _sanitize(value: object) -> object:
    """Replace what orjson refuses even with a default (integers beyond 64 bits) by text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if _INT64[0] <= value <= _INT64[1] else str(value)
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): _sanitize(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_sanitize(v) for v in value]
    return value


def canonical_json(value: object) -> str:
    """Compact JSON with sorted keys; dates as ISO, sets as lists, unknown objects as text."""
    try:
        return orjson.dumps(value, option=_OPTIONS, default=_default).decode()
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a cycle, ...
        return orjson.dumps(_sanitize(value), option=_OPTIONS, default=_default).decode()

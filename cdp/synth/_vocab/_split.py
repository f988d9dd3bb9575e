"""Parsing helper for the vocabulary tables (kept as compact text, parsed once at import)."""

from __future__ import annotations

__all__ = ["split_list"]


def split_list(text: str) -> tuple[str, ...]:
    """Comma-separated entries (newlines are commas too): stripped, de-duplicated, in order."""
    out: dict[str, None] = {}
    for line in text.strip().splitlines():
        for item in line.split(","):
            if item.strip():
                out.setdefault(item.strip())
    return tuple(out)

"""Writing identity test data into a lakehouse."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl

from storage import Lakehouse

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def write_records(lh: Lakehouse, records: pl.DataFrame) -> None:
    """Upsert ``identity_records`` rows (as ingest does)."""
    lh.upsert("identity_records", records)


def write_aliases(lh: Lakehouse, aliases: pl.DataFrame) -> None:
    """Segment ``alias`` events for ``(previous_id, user_id)`` pairs, as ingest writes them."""
    rows = [
        {
            "event_id": f"alias-{i}",
            "source": "web",
            "event_type": "alias",
            "occurred_at": AT,
            "received_at": AT,
            "user_id": user,
            "properties": json.dumps({"previousId": previous}),
        }
        for i, (previous, user) in enumerate(aliases.iter_rows())
    ]
    if rows:
        lh.append("events", rows)


def map_of(lh: Lakehouse) -> dict[str, str]:
    """``source:record_id`` -> customer id of the current ``identity_map``."""
    m = lh.read("identity_map")
    return {
        f"{s}:{r}": str(c)
        for s, r, c in m.select("source", "source_record_id", "customer_id").iter_rows()
    }

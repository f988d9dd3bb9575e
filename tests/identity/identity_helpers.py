"""Record builders for the identity tests."""

from __future__ import annotations

from typing import Any

import polars as pl

from cdp.models import IdentityFields
from identity import Resolution
from identity._testing import records_frame


def person(source: str, record_id: str, **raw: Any) -> dict[str, Any]:
    """One ``identity_records`` row from raw canonical field values (normalized like ingest)."""
    fields, _ = IdentityFields.from_raw(raw)
    return {
        "source": source,
        "source_record_id": record_id,
        "deleted": False,
        **fields.to_row(),
        "attributes": "{}",
    }


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    return records_frame(list(rows))


def customer_of(res: Resolution, source: str, record_id: str) -> str:
    m = res.identity_map.filter(
        (pl.col("source") == source) & (pl.col("source_record_id") == record_id)
    )
    assert m.height == 1
    return str(m.get_column("customer_id").item())

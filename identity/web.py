"""Web identity evidence from the event stream: the identity graph and accumulated traits.

``identity_records`` holds one row per web identity (``userId``, else ``anonymousId``) with the
traits of its *latest* ``identify``. A real CDP knows more from ``events``:

* :func:`identity_edges` - the identity graph: an ``anonymousId`` seen with a ``userId`` in one
  message (a login on a device ties the device's earlier browsing to the account), and Segment
  ``alias`` (``properties.previousId`` -> ``userId``). An ``anonymousId`` tied to two or more
  user ids is a shared device (a family tablet): evidence of a shared screen, not of one
  person. :func:`identity.resolve` drops every edge of such an id (precision first), counting
  these edges together with the ``anonymous_id`` column of the records, so the edges are
  returned whole (:func:`shared_anonymous_ids` names the shared ones).
* :func:`accumulated_traits` - the identity fields of every ``identify`` a web identity sent,
  merged the way Segment merges a user's traits: each trait keeps its latest non-empty value,
  so an ``identify`` with no traits (or only an e-mail) does not erase the name sent before.
* :func:`with_accumulated_traits` - ``identity_records`` rows with their empty identity fields
  filled from those traits (the record's own values win).

Input frames are shaped like the ``events`` table (``source``, ``event_type``, ``user_id``,
``anonymous_id``, ``occurred_at``, ``properties`` and ``traits`` as JSON); CRM/ERP record
events (``event_type`` ``record``) are ignored.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import orjson
import polars as pl

from cdp.models import IDENTITY_COLUMNS, IdentityFields, identity_from_traits
from storage import TABLES

__all__ = [
    "EDGE_SCHEMA",
    "accumulated_traits",
    "identity_edges",
    "shared_anonymous_ids",
    "with_accumulated_traits",
]

logger = logging.getLogger(__name__)

#: Columns of :func:`identity_edges` (the ``aliases`` argument of :func:`identity.resolve`).
EDGE_SCHEMA: Final = {"previous_id": pl.String, "user_id": pl.String}
_EMPTY: Final[tuple[object, ...]] = (None, "", {}, [])


def _lazy(events: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    lf = events.lazy() if isinstance(events, pl.DataFrame) else events
    text = ("source", "event_type", "user_id", "anonymous_id", "properties", "traits")
    return lf.with_columns(pl.col(c).cast(pl.String) for c in text).filter(
        pl.col("event_type") != "record"
    )


def shared_anonymous_ids(edges: pl.DataFrame) -> pl.Series:
    """``previous_id`` values tied to two or more distinct user ids (shared devices)."""
    return (
        edges.filter(pl.col("previous_id") != pl.col("user_id"))
        .group_by("previous_id")
        .agg(pl.col("user_id").n_unique().alias("_n"))
        .filter(pl.col("_n") >= 2)
        .get_column("previous_id")
    )


def identity_edges(events: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """``(previous_id, user_id)``: ids seen in one message, and aliases (see the module docs)."""
    lf = _lazy(events)
    seen = lf.filter(pl.col("user_id").is_not_null() & pl.col("anonymous_id").is_not_null()).select(
        pl.col("anonymous_id").alias("previous_id"), "user_id"
    )
    alias = lf.filter(pl.col("event_type") == "alias").select(
        pl.col("properties").str.json_path_match("$.previousId").alias("previous_id"), "user_id"
    )
    edges = (
        pl.concat([seen, alias])
        .drop_nulls()
        .filter(pl.col("previous_id") != pl.col("user_id"))
        .unique()
        .sort("previous_id", "user_id")
        .collect()
        .cast(EDGE_SCHEMA)  # type: ignore[arg-type]
    )
    shared = shared_anonymous_ids(edges)
    if shared.len():
        logger.info("%d shared anonymous id(s) (two or more users)", shared.len())
    return edges


def _merge(traits: list[str]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for text in traits:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            merged.update({k: v for k, v in value.items() if v not in _EMPTY})
    return merged


def accumulated_traits(events: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """``source, source_record_id`` and the identity columns of each web identity's traits."""
    table = pl.from_arrow(TABLES["identity_records"].schema.empty_table())
    assert isinstance(table, pl.DataFrame)
    schema = {c: table.schema[c] for c in ("source", "source_record_id", *IDENTITY_COLUMNS)}
    identifies = (
        _lazy(events)
        .filter((pl.col("event_type") == "identify") & pl.col("traits").is_not_null())
        .filter(~pl.col("traits").is_in(["{}", "null"]))
        .select(
            "source",
            pl.coalesce("user_id", "anonymous_id").alias("source_record_id"),
            "occurred_at",
            "traits",
        )
        .drop_nulls("source_record_id")
        .sort("occurred_at", nulls_last=False, maintain_order=True)
        .group_by("source", "source_record_id", maintain_order=True)
        .agg(pl.col("traits"))
        .collect()
    )
    rows: list[dict[str, Any]] = []
    for source, key, traits in identifies.iter_rows():
        merged = _merge(traits)
        if not merged:
            continue
        fields, _issues = IdentityFields.from_raw(identity_from_traits(merged))
        rows.append({"source": source, "source_record_id": key, **fields.to_row()})
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(
        {c: [row.get(c) for row in rows] for c in schema},
        schema=schema,
    )


def with_accumulated_traits(records: pl.DataFrame, traits: pl.DataFrame) -> pl.DataFrame:
    """``records`` with empty identity columns filled from :func:`accumulated_traits`."""
    if traits.height == 0 or records.height == 0:
        return records
    keys = ["source", "source_record_id"]
    columns = [c for c in IDENTITY_COLUMNS if c in records.columns and c in traits.columns]
    extra = traits.select(
        *keys, *[pl.col(c).cast(records.schema[c]).alias(f"_acc_{c}") for c in columns]
    ).unique(keys, keep="last")
    joined = records.join(extra, on=keys, how="left", maintain_order="left")
    return joined.with_columns([pl.coalesce(c, f"_acc_{c}").alias(c) for c in columns]).select(
        records.columns
    )

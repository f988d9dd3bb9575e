"""The derived current consent per subject and purpose: the rows of ``consent_state``.

Of a subject's statements (``consent_ledger`` rows of one ``subject_hash``) the winner of each
purpose is the one rule 6 of ``docs/consent-rules.md`` puts first: the latest ``captured_at``;
at the same instant the stronger status (objected > withdrawn > denied > expired > granted);
then the smallest ``consent_id``. :func:`precedence` writes that order as one string that sorts
the same way, so the ``consent_state`` table can be upserted with "newer precedence wins" by any
writer, in any order and any number of times, and still hold the winner: the table itself is
the state, and :func:`state_table` only has to pick the best of the statements at hand.

This is the per-subject view the consent stream maintains; decisions stay with
:mod:`consent.gate` (which also applies identity, expiry, legal basis and erasure).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import polars as pl
import pyarrow as pa

from consent.gate import _PRIORITY

__all__ = ["STATE_COLUMNS", "precedence", "state_row", "state_table"]

logger = logging.getLogger(__name__)

#: Columns of a ``consent_state`` row (storage/catalog.py).
STATE_COLUMNS: Final[tuple[str, ...]] = (
    "subject_hash",
    "subject_type",
    "customer_id",
    "purpose",
    "channel",
    "status",
    "captured_at",
    "expires_at",
    "recorded_at",
    "consent_id",
    "source",
    "method",
    "precedence",
    "updated_at",
)
_HEX_COMPLEMENT: Final = str.maketrans("0123456789abcdef", "fedcba9876543210")


def precedence(row: Mapping[str, Any]) -> str:
    """Rule-6 order of a statement as a string: a greater string wins.

    ``captured_at`` in microseconds since the epoch (zero-padded), the status rank, then the
    complement of the ``consent_id`` digits (the smallest id wins a full tie).
    """
    captured: datetime = row["captured_at"]
    micros = int(captured.timestamp()) * 1_000_000 + captured.microsecond
    return _order(micros, row["status"], row["consent_id"])


def _order(micros: int, status: str, consent_id: object) -> str:
    rank = _PRIORITY.get(status, -1) + 1
    tie = str(consent_id).lower().replace("-", "").translate(_HEX_COMPLEMENT)
    return f"{micros + (1 << 62):020d}.{rank}.{tie}"


def state_row(row: Mapping[str, Any], *, updated_at: datetime) -> dict[str, Any]:
    """The ``consent_state`` row of a winning ledger row."""
    out = {c: row.get(c) for c in STATE_COLUMNS}
    out["precedence"] = precedence(row)
    out["updated_at"] = updated_at
    return out


def state_table(rows: pa.Table, *, updated_at: datetime) -> pa.Table:
    """The ``consent_state`` rows of ledger ``rows`` (the catalogue's columns; more are ignored):
    per ``(subject_hash, purpose)`` the row of the greatest :func:`precedence` - of equal ones the
    last - as :func:`state_row` makes it, in the order of ``rows``, computed in columns.

    Statements repeated, replayed or arriving out of order change nothing: what a row wins
    here it still has to win against the stored one (the upsert's ``newer_by="precedence"``).
    """
    frame = pl.DataFrame(
        {
            name: rows[name]
            for name in ("subject_hash", "purpose", "captured_at", "status", "consent_id")
        }
    ).select(
        "subject_hash",
        "purpose",
        _precedence_expr(
            pl.col("captured_at").dt.epoch("us"), pl.col("status"), pl.col("consent_id")
        ).alias("order"),
    )
    best = (
        frame.with_row_index("n")
        .group_by("subject_hash", "purpose")
        .agg(pl.col("n").sort_by("order", "n").last())
        .get_column("n")
        .sort()
    )
    every = best.len() == rows.num_rows
    picked = rows if every else rows.take(best.to_arrow())
    orders = frame.get_column("order")
    if not every:
        orders = orders.gather(best)
    now = pa.scalar(updated_at, pa.timestamp("us", "UTC"))
    columns = [c for c in STATE_COLUMNS if c not in ("precedence", "updated_at")]
    return (
        picked.select(columns)
        .append_column("precedence", orders.to_arrow().cast(pa.string()))
        .append_column("updated_at", pa.repeat(now, picked.num_rows))
    )


#: :func:`_order`'s status rank and the hex digits' complements, for :func:`_precedence_expr`
_RANKS: Final = {status: rank + 1 for status, rank in _PRIORITY.items()}
_HEX: Final = list("0123456789abcdef")
_COMPLEMENTS: Final = list("fedcba9876543210")
_US: Final = 1_000_000


def _precedence_expr(captured_us: pl.Expr, status: pl.Expr, consent_id: pl.Expr) -> pl.Expr:
    """:func:`precedence` in columns (the same strings), of ``captured_at`` in microseconds
    since the epoch."""
    # the same count as precedence(): whole seconds truncated toward zero, plus the
    # (non-negative) microsecond of the datetime; Polars' ``//`` and ``%`` are Python's
    seconds = pl.when(captured_us >= 0).then(captured_us // _US).otherwise(-(-captured_us // _US))
    micros = seconds * _US + captured_us % _US
    rank = status.replace_strict(_RANKS, default=0, return_dtype=pl.Int64)
    tie = (
        consent_id.cast(pl.String)
        .fill_null("None")  # str(None), as _order
        .str.to_lowercase()
        .str.replace_all("-", "", literal=True)
        .str.replace_many(_HEX, _COMPLEMENTS)
    )
    return pl.concat_str(
        [(micros + (1 << 62)).cast(pl.String).str.zfill(20), rank.cast(pl.String), tie],
        separator=".",
    )

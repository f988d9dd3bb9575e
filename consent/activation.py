"""The activation log: every gate decision made for an activation, as proof (DESIGN §8).

:class:`ActivationLog` appends decisions (from :meth:`ConsentStore.decide
<consent.store.ConsentStore.decide>` or the frame of :meth:`ConsentStore.decide_many
<consent.store.ConsentStore.decide_many>`) to ``activation_log`` with the evidence ids and the
table versions used. Given a ``run_id`` the write is exactly-once: the ``activation_id`` s are
derived from the run, the customer, the purpose and the destination (UUID5), and the append is
an application transaction (``activation:<run_id>``, version ``batch``), so a retried sync logs
nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal, get_args

import orjson
import polars as pl

from consent.gate import ConsentError, Decision
from storage import Lakehouse

__all__ = ["ACTIVATION_NAMESPACE", "ActivationLog", "ActivationType", "activation_id_for"]

logger = logging.getLogger(__name__)

ActivationType = Literal["segment_sync", "stream_forward", "profile_read", "api_decision"]
_TYPES: Final[tuple[str, ...]] = get_args(ActivationType)
#: Namespace of the activation ids derived from a run.
ACTIVATION_NAMESPACE: Final = uuid.UUID("5f0c7a52-8f1e-5d6b-b0a4-3a9d2e61c7f4")
_TABLE = "activation_log"
_SEP = "\x1f"


def activation_id_for(
    run_id: str, who: str, purpose: str, destination: str | None, segment: str | None
) -> str:
    """The deterministic ``activation_id`` of one decision of run ``run_id``."""
    parts = (run_id, who, purpose, destination or "", segment or "")
    return str(uuid.uuid5(ACTIVATION_NAMESPACE, _SEP.join(parts)))


def _customer(subject: str | None) -> str | None:
    if subject is not None and subject.startswith("customer_id:"):
        return subject.partition(":")[2]
    return None


class ActivationLog:
    """Appends gate decisions to ``activation_log``."""

    def __init__(self, lakehouse: Lakehouse) -> None:
        self._lakehouse = lakehouse

    def record(
        self,
        decisions: Sequence[Decision] | pl.DataFrame,
        *,
        activation_type: ActivationType,
        destination: str | None = None,
        segment: str | None = None,
        run_id: str | None = None,
        batch: int = 0,
    ) -> list[str]:
        """Append one row per decision; returns the ``activation_id`` s in input order.

        ``decisions`` are :class:`~consent.gate.Decision` objects or a frame as returned by
        ``ConsentStore.decide_many`` (``customer_id, allowed, reason_codes, evidence_ids,
        purpose, decided_at`` and optionally ``destination``, ``ledger_version``,
        ``identity_version``, ``table_versions``). ``destination`` fills rows that name none.
        With ``run_id`` the ids are deterministic and the append is done once per
        ``(run_id, batch)`` (call with increasing ``batch`` numbers for several chunks of one
        run); without it every call appends new rows.
        """
        if activation_type not in _TYPES:
            raise ConsentError(f"unknown activation_type {activation_type!r}")
        if isinstance(decisions, pl.DataFrame):
            rows = _rows_from_frame(decisions, destination)
        else:
            rows = [_row_from_decision(d, destination) for d in decisions]
        ids: list[str] = []
        for row in rows:
            who = row["customer_id"] or row["subject"] or ""
            if run_id is not None:
                aid = activation_id_for(run_id, who, row["purpose"], row["destination"], segment)
            else:
                aid = str(uuid.uuid4())
            row.update(activation_id=aid, activation_type=activation_type, segment=segment)
            ids.append(aid)
        if not rows:
            return ids
        if run_id is not None:
            result = self._lakehouse.append(
                _TABLE, rows, app_id=f"activation:{run_id}", txn_version=batch
            )
        else:
            result = self._lakehouse.append(_TABLE, rows)
        logger.info(
            "activation log: %d decisions (%s)%s",
            len(rows),
            activation_type,
            " already logged" if result.skipped else "",
        )
        return ids


def _versions_json(versions: dict[str, int]) -> str:
    return orjson.dumps(versions, option=orjson.OPT_SORT_KEYS).decode()


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _row_from_decision(d: Decision, destination: str | None) -> dict[str, Any]:
    return {
        "customer_id": d.customer_id or _customer(d.subject),
        "subject": d.subject,
        "purpose": d.purpose,
        "destination": d.destination or destination,
        "allowed": d.allowed,
        "reason": d.reason_codes[0] if d.reason_codes else "UNKNOWN",
        "reason_codes": list(d.reason_codes),
        "evidence_ids": list(d.evidence_ids),
        "ledger_version": d.versions.get("consent_ledger"),
        "identity_version": d.versions.get("identity_map"),
        "table_versions": _versions_json(d.versions),
        "decided_at": _utc(d.decided_at),
    }


def _rows_from_frame(frame: pl.DataFrame, destination: str | None) -> list[dict[str, Any]]:
    needed = {"customer_id", "allowed", "reason_codes", "evidence_ids", "purpose", "decided_at"}
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise ConsentError(f"decision frame lacks columns: {', '.join(missing)}")
    out: list[dict[str, Any]] = []
    optional = ("destination", "ledger_version", "identity_version", "table_versions")
    for r in frame.iter_rows(named=True):
        codes = list(r["reason_codes"] or [])
        customer = r["customer_id"]
        out.append(
            {
                "customer_id": customer,
                "subject": None if customer is None else f"customer_id:{customer}",
                "purpose": r["purpose"],
                "destination": r.get("destination") or destination,
                "allowed": bool(r["allowed"]),
                "reason": codes[0] if codes else "UNKNOWN",
                "reason_codes": codes,
                "evidence_ids": list(r["evidence_ids"] or []),
                **{k: r.get(k) for k in optional[1:]},
                "decided_at": _utc(r["decided_at"]),
            }
        )
    return out

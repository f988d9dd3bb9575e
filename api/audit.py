"""Audit routes (DESIGN §10), for the ``dpo`` and ``admin`` roles.

- ``GET /v1/audit/activations?subject=…``: the logged activations of a subject's customer.
- ``GET /v1/audit/activations/{activation_id}``: its lineage (row, evidence, versions, replay);
  404 for an unknown id.
- ``GET /v1/audit/violations?since=…``: allowed activations contradicted by the consent in
  force at their time: engine faults, and late-arriving withdrawals apart.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.auth import DpoDep
from api.consent import DecisionOut, LedgerRow, decision_out, ledger_rows
from api.deps import AuditDep, bad_input, check_identifier, optional_time
from api.errors import ApiError, ErrorBody
from cdp.errors import CdpError
from consent.audit import ActivationNotFoundError

__all__ = ["ActivationOut", "LineageOut", "ViolationOut", "ViolationsOut", "router"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/audit", tags=["audit"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid identifier or time"},
    401: {"model": ErrorBody, "description": "No known API key"},
    403: {"model": ErrorBody, "description": "The key's role is not dpo or admin"},
    503: {"model": ErrorBody, "description": "The consent state cannot be read"},
}


class ActivationOut(BaseModel):
    """One row of ``activation_log``."""

    activation_id: str
    activation_type: str
    customer_id: str | None
    subject: str | None
    purpose: str
    destination: str | None
    segment: str | None
    allowed: bool
    reason_codes: list[str]
    evidence_ids: list[str]
    ledger_version: int | None
    identity_version: int | None
    decided_at: datetime


class LineageOut(BaseModel):
    """An activation, its evidence, the versions it read and its decision replayed."""

    activation: ActivationOut
    evidence: list[LedgerRow]
    versions: dict[str, int]
    #: Replayed as of ``decided_at`` with what was known then.
    replayed: DecisionOut
    #: Replayed as of ``decided_at`` with everything known now.
    replayed_now: DecisionOut
    #: Whether the replay (known then) gives the logged answer.
    consistent: bool


class ViolationOut(BaseModel):
    """An allowed activation and the replayed decision that contradicts it."""

    activation_id: str
    activation_type: str | None
    customer_id: str | None
    purpose: str
    destination: str | None
    decided_at: datetime
    reason_codes: list[str]
    evidence_ids: list[str]
    replay_reason_codes: list[str]
    replay_evidence_ids: list[str]


class ViolationsOut(BaseModel):
    """Engine faults (must be empty) and late-arriving withdrawals, reported apart."""

    since: datetime | None
    checked: int
    engine_faults: list[ViolationOut]
    late_withdrawals: list[ViolationOut]


def _activation(row: dict[str, Any]) -> ActivationOut:
    fields = ActivationOut.model_fields
    values = {f: row.get(f) for f in fields}
    values["reason_codes"] = list(values["reason_codes"] or [])
    values["evidence_ids"] = list(values["evidence_ids"] or [])
    return ActivationOut(**values)


def _violations(frame: pl.DataFrame) -> list[ViolationOut]:
    fields = list(ViolationOut.model_fields)
    return [ViolationOut(**{f: r.get(f) for f in fields}) for r in frame.iter_rows(named=True)]


@router.get("/activations", response_model=list[ActivationOut], responses=_ERRORS)
def list_activations(
    principal: DpoDep,
    audit: AuditDep,
    subject: str,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> list[ActivationOut]:
    """The subject's customer's logged activations (old merged ids included), latest first."""
    subject_ = check_identifier(subject, field="subject")
    try:
        rows = audit.activations(subject_, limit=limit)
    except CdpError as e:
        raise bad_input(e) from None
    return [_activation(r) for r in rows.iter_rows(named=True)]


@router.get(
    "/activations/{activation_id}",
    response_model=LineageOut,
    responses={**_ERRORS, 404: {"model": ErrorBody, "description": "Unknown activation id"}},
)
def get_lineage(principal: DpoDep, audit: AuditDep, activation_id: str) -> LineageOut:
    """The activation's lineage; 404 for an unknown id."""
    try:
        lineage = audit.activation_lineage(activation_id)
    except ActivationNotFoundError:
        raise ApiError(404, "not_found", "no activation has that id") from None
    except CdpError as e:
        raise bad_input(e) from None
    return LineageOut(
        activation=_activation(lineage.activation),
        evidence=ledger_rows(lineage.evidence),
        versions=lineage.versions,
        replayed=decision_out(lineage.replayed),
        replayed_now=decision_out(lineage.replayed_now),
        consistent=lineage.consistent,
    )


@router.get("/violations", response_model=ViolationsOut, responses=_ERRORS)
def get_violations(principal: DpoDep, audit: AuditDep, since: str | None = None) -> ViolationsOut:
    """Allowed activations since ``since`` that contradict the consent in force then."""
    since_ = optional_time(since, field="since")
    try:
        found = audit.violations(since_)
    except CdpError as e:
        raise bad_input(e) from None
    return ViolationsOut(
        since=found.since,
        checked=found.checked,
        engine_faults=_violations(found.engine_faults),
        late_withdrawals=_violations(found.late_withdrawals),
    )

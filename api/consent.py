"""Consent routes (DESIGN §10), for the ``dpo`` and ``admin`` roles.

- ``POST /v1/consent``: record one statement; it is in force for the very next decision of
  this process (read-your-write through the process's :class:`~consent.store.ConsentStore`).
- ``GET /v1/consent/decision?subject=…&purpose=…&at=…&known_at=…``: the gate's decision.
- ``GET /v1/consent/{identifier}``: the current decision for every purpose of the catalogue.
- ``GET /v1/consent/{identifier}/history``: every ledger row of the identifier's customer.

Identifiers are ``type:value`` and resolve through the identity map to the customer. Invalid
identifiers, bodies and times are answered 400 ``{"code", "message"}`` naming the field, never
the value; an unreadable consent state 503.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import polars as pl
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth import DpoDep
from api.deps import AuditDep, ConsentStoreDep, bad_input, check_identifier, optional_time
from api.errors import ApiError, ErrorBody
from cdp.errors import CdpError
from cdp.models.consent import ConsentMethod, ConsentStatus
from consent.gate import Decision

__all__ = [
    "ConsentRecorded",
    "ConsentStatementIn",
    "CurrentConsent",
    "DecisionOut",
    "LedgerRow",
    "SubjectHistoryOut",
    "decision_out",
    "ledger_rows",
    "router",
]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/consent", tags=["consent"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid identifier, body or time"},
    401: {"model": ErrorBody, "description": "No known API key"},
    403: {"model": ErrorBody, "description": "The key's role is not dpo or admin"},
    503: {"model": ErrorBody, "description": "The consent state cannot be read"},
}


class ConsentStatementIn(BaseModel):
    """A consent statement (validated again, fully, by the consent store)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    subject: str = Field(examples=["email:jane@example.com"], max_length=1024)
    purpose: str = Field(examples=["email_marketing"], max_length=128)
    status: ConsentStatus
    captured_at: str = Field(examples=["2026-11-20T10:00:00Z"], max_length=64)
    source: str = Field(examples=["preference_center"], max_length=256)
    notice_version: str | None = Field(default=None, max_length=256)
    expires_at: str | None = Field(default=None, max_length=64)
    method: ConsentMethod = "api"
    legal_basis: str | None = Field(default=None, max_length=64)
    jurisdiction: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=64)
    evidence: dict[str, Any] | str | None = None


class DecisionOut(BaseModel):
    """One gate decision."""

    subject: str
    purpose: str
    allowed: bool
    reasons: list[str]
    evidence: list[str]
    versions: dict[str, int]
    customer_id: str | None
    at: datetime


class ConsentRecorded(BaseModel):
    """A recorded statement and the decision now in force for its subject and purpose."""

    consent_id: str
    decision: DecisionOut


class CurrentConsent(BaseModel):
    """The current decision for every purpose of the catalogue."""

    subject: str
    customer_id: str | None
    decisions: dict[str, DecisionOut]


class LedgerRow(BaseModel):
    """One consent statement of the ledger (the subject as its type and keyed hash)."""

    consent_id: str
    subject_type: str
    subject_hash: str
    customer_id: str | None
    purpose: str
    channel: str | None
    status: str
    legal_basis: str | None
    jurisdiction: str | None
    captured_at: datetime
    expires_at: datetime | None
    recorded_at: datetime
    source: str
    method: str | None
    notice_version: str | None
    evidence: str | None


class SubjectHistoryOut(BaseModel):
    """Every ledger row of a subject's customer, bitemporal, with the identity state used."""

    subject: str
    customer_id: str | None
    identifiers: int
    merged_from: list[str]
    versions: dict[str, int]
    statements: list[LedgerRow]


def decision_out(d: Decision) -> DecisionOut:
    """The response body of a :class:`~consent.gate.Decision`."""
    return DecisionOut(
        subject=d.subject,
        purpose=d.purpose,
        allowed=d.allowed,
        reasons=list(d.reason_codes),
        evidence=list(d.evidence_ids),
        versions=dict(d.versions),
        customer_id=d.customer_id,
        at=d.decided_at,
    )


def ledger_rows(frame: pl.DataFrame) -> list[LedgerRow]:
    """Ledger rows as response items."""
    fields = list(LedgerRow.model_fields)
    present = [c for c in fields if c in frame.columns]
    return [
        LedgerRow(**{f: row.get(f) for f in fields})
        for row in frame.select(present).iter_rows(named=True)
    ]


@router.post("", response_model=ConsentRecorded, responses=_ERRORS)
def record_consent(
    body: ConsentStatementIn, principal: DpoDep, store: ConsentStoreDep
) -> ConsentRecorded:
    """Record one statement; it is in force for the very next decision."""
    statement = body.model_dump(exclude_none=True)
    try:
        [consent_id] = store.record([statement])
        decision = store.decide(statement["subject"], body.purpose)
    except CdpError as e:
        raise bad_input(e) from None
    logger.info("consent statement recorded by key %r (%s)", principal.name, body.status)
    return ConsentRecorded(consent_id=consent_id, decision=decision_out(decision))


@router.get("/decision", response_model=DecisionOut, responses=_ERRORS)
def get_decision(
    principal: DpoDep,
    store: ConsentStoreDep,
    subject: str,
    purpose: str,
    at: str | None = None,
    known_at: str | None = None,
) -> DecisionOut:
    """The gate's decision for ``subject`` and ``purpose`` at ``at`` (default now), with the
    ledger as recorded at ``known_at`` when given."""
    subject_ = check_identifier(subject, field="subject")
    at_ = optional_time(at, field="at")
    known = optional_time(known_at, field="known_at")
    try:
        decision = store.decide(subject_, purpose, at=at_, as_of=known)
    except CdpError as e:
        raise bad_input(e) from None
    return decision_out(decision)


@router.get("/{identifier:path}/history", response_model=SubjectHistoryOut, responses=_ERRORS)
def get_history(principal: DpoDep, audit: AuditDep, identifier: str) -> SubjectHistoryOut:
    """Every ledger row of every identifier of the customer, sorted by ``captured_at``."""
    subject = check_identifier(identifier)
    try:
        history = audit.subject_history(subject)
    except CdpError as e:
        raise bad_input(e) from None
    return SubjectHistoryOut(
        subject=subject,
        customer_id=history.customer_id,
        identifiers=history.identifiers,
        merged_from=list(history.merged_from),
        versions=history.versions,
        statements=ledger_rows(history.rows),
    )


@router.get("/{identifier:path}", response_model=CurrentConsent, responses=_ERRORS)
def get_current(principal: DpoDep, store: ConsentStoreDep, identifier: str) -> CurrentConsent:
    """The decision in force now for every purpose of the catalogue."""
    subject = check_identifier(identifier)
    try:
        decisions = store.current(subject)
    except CdpError as e:
        raise bad_input(e) from None
    if not decisions:
        raise ApiError(503, "unavailable", "no purposes are configured")
    customer = next(iter(decisions.values())).customer_id
    return CurrentConsent(
        subject=subject,
        customer_id=customer,
        decisions={p: decision_out(d) for p, d in decisions.items()},
    )

"""Builders of consent ledger rows and states for the consent tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from cdp.config import PrivacySettings, Purpose
from cdp.models.consent import parse_identifier
from consent.gate import DEFAULT_MAX_STALENESS, ConsentState, build_state
from consent.reference import ReferenceModel

T0 = datetime(2026, 1, 1, tzinfo=UTC)
#: States built by the tests are complete up to here, so no decision before it is stale.
FRESH = T0 + timedelta(days=30)
PRIVACY = PrivacySettings()
_TS = pl.Datetime("us", "UTC")
SCHEMA: dict[str, Any] = {
    "consent_id": pl.String,
    "subject_type": pl.String,
    "subject_hash": pl.String,
    "subject_value": pl.String,
    "customer_id": pl.String,
    "purpose": pl.String,
    "channel": pl.String,
    "status": pl.String,
    "captured_at": _TS,
    "expires_at": _TS,
    "recorded_at": _TS,
}


def t(minutes: float) -> datetime:
    """``T0`` plus some minutes."""
    return T0 + timedelta(minutes=minutes)


def stmt(
    consent_id: str,
    subject: str,
    purpose: str,
    status: str,
    captured: float,
    *,
    recorded: float | None = None,
    expires: float | None = None,
    channel: str | None = "email",
    customer_id: str | None = None,
) -> dict[str, Any]:
    """One ledger row (times in minutes after ``T0``)."""
    kind, value = parse_identifier(subject)
    return {
        "consent_id": consent_id,
        "subject_type": kind,
        "subject_hash": PRIVACY.hash_identifier(f"{kind}:{value}"),
        "subject_value": value,
        "customer_id": customer_id,
        "purpose": purpose,
        "channel": channel,
        "status": status,
        "captured_at": t(captured),
        "expires_at": None if expires is None else t(expires),
        "recorded_at": t(captured if recorded is None else recorded),
    }


def suppressed(*identifiers: str) -> list[str]:
    """Suppression hashes of ``type:value`` identifiers."""
    return [PRIVACY.hash_identifier("{}:{}".format(*parse_identifier(i))) for i in identifiers]


def make(
    rows: Iterable[Mapping[str, Any]],
    purposes: Mapping[str, Purpose],
    *,
    identities: Mapping[str, Iterable[str]] | None = None,
    erased: Iterable[str] = (),
    fresh_at: datetime = FRESH,
    max_staleness: timedelta = DEFAULT_MAX_STALENESS,
) -> tuple[ConsentState, ReferenceModel]:
    """The gate's state and the reference model over the same inputs."""
    rows = list(rows)
    identities = {c: list(i) for c, i in (identities or {}).items()}
    frame = pl.DataFrame(rows, schema=SCHEMA)
    state = build_state(
        frame,
        purposes,
        identities=identities,
        suppressed=suppressed(*erased),
        privacy=PRIVACY,
        fresh_at=fresh_at,
        max_staleness=max_staleness,
        versions={"consent_ledger": 3, "identity_map": 7},
    )
    model = ReferenceModel(
        rows,
        purposes,
        identities=identities,
        suppressed=suppressed(*erased),
        privacy=PRIVACY,
        fresh_at=fresh_at,
        max_staleness=max_staleness,
    )
    return state, model

"""Helpers of the consent store and activation log tests (real Delta tables)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cdp.config import Settings
from consent.store import ConsentStore
from storage import Lakehouse

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def at(minutes: float) -> datetime:
    """``T0`` plus some minutes."""
    return T0 + timedelta(minutes=minutes)


def statement(
    subject: str, purpose: str, status: str, minutes: float, **extra: Any
) -> dict[str, Any]:
    """A consent statement as the API receives it."""
    return {
        "subject": subject,
        "purpose": purpose,
        "status": status,
        "captured_at": at(minutes).isoformat(),
        "source": "preference_center",
        **extra,
    }


def make_store(
    lakehouse: Lakehouse, settings: Settings, clock: Clock, **kwargs: Any
) -> ConsentStore:
    """A store that checks the tables on every call unless told otherwise."""
    kwargs.setdefault("check_interval", timedelta(0))
    return ConsentStore(lakehouse, settings, clock=clock, **kwargs)


def map_identity(lakehouse: Lakehouse, *pairs: tuple[str, str, str]) -> None:
    """Upsert ``(source, source_record_id, customer_id)`` rows into ``identity_map``."""
    lakehouse.upsert(
        "identity_map",
        [{"source": s, "source_record_id": r, "customer_id": c} for s, r, c in pairs],
    )

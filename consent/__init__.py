"""Consent engine (domain): the bitemporal ledger and the one default-deny gate.

Framework-free functions over Arrow/Polars data: the gate (:mod:`consent.gate`), the store that
keeps its state current over the lakehouse (:mod:`consent.store`) and the activation log
(:mod:`consent.activation`).
"""

from __future__ import annotations

from consent.activation import ActivationLog, ActivationType
from consent.audit import ConsentAudit
from consent.gate import (
    ConsentError,
    ConsentState,
    Decision,
    build_state,
    decide,
    decide_many,
    extend_state,
)
from consent.store import ConsentStore

__all__ = [
    "ActivationLog",
    "ActivationType",
    "ConsentAudit",
    "ConsentError",
    "ConsentState",
    "ConsentStore",
    "Decision",
    "build_state",
    "decide",
    "decide_many",
    "extend_state",
]

"""Consent engine (domain): the bitemporal ledger and the one default-deny gate.

Framework-free functions over Arrow/Polars data; built by the consent issue.
"""

from __future__ import annotations

from consent.gate import ConsentError, ConsentState, Decision, build_state, decide, decide_many

__all__ = ["ConsentError", "ConsentState", "Decision", "build_state", "decide", "decide_many"]

"""Consent statements as inputs: a source of ``kind: consent`` (preference centre exports,
statements landed by the API, a Kafka topic of statements).

Each input is one statement object (a JSON line, a CSV row, a Kafka message) in the fields of
:class:`cdp.models.ConsentStatement`: ``subject`` (``type:value``), ``purpose``, ``status``,
``captured_at``, and optionally ``expires_at``, ``source``, ``method``, ``notice_version``,
``legal_basis``, ``jurisdiction``, ``channel``, ``evidence``. A valid statement gives one
``consent_ledger`` row (the channel defaults to the purpose's channel) and one ``events`` row
(``event_type`` ``record``, ``event_name`` ``Consent Statement``, ``event_id`` the statement's
``consent_id``, so the same statement again is a duplicate); an invalid one, or one for a
purpose outside the catalogue, is quarantined (``bad_consent`` for the purpose, else the
model's typed error). ``source`` defaults to the source's name.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from cdp.ingest.consent import ConsentRows
from cdp.ingest.outcome import OutcomeBuilder, Rejection
from cdp.ingest.records import JsonObjectProcessor
from cdp.models import InvalidInputError, parse_consent_statement
from cdp.models._json import canonical_json

if TYPE_CHECKING:
    from cdp.config import Settings, SourceConfig
    from cdp.ingest.options import IngestOptions

__all__ = ["STATEMENT_EVENT", "StatementProcessor"]

logger = logging.getLogger(__name__)

#: ``event_name`` of the events row of a consent statement input.
STATEMENT_EVENT: Final = "Consent Statement"
_EMPTY_JSON: Final = "{}"
_CSV_EMPTY: Final = frozenset({""})


class StatementProcessor(JsonObjectProcessor):
    """Rows of the inputs of one ``kind: consent`` source (see the module documentation)."""

    what = "statement"

    def __init__(
        self, settings: Settings, source: SourceConfig, consent: ConsentRows, options: IngestOptions
    ) -> None:
        self.config = source
        self.source = source.name
        self.options = options
        self.consent = consent
        self._purposes = settings.purposes

    def add_row(
        self,
        builder: OutcomeBuilder,
        row: Mapping[str, Any],
        *,
        payload: bytes,
        seq: int,
        ref: str,
        received_at: datetime,
        changes: bool = True,
    ) -> None:
        """One statement object (CSV cells that are empty count as absent)."""
        obj = {k: v for k, v in row.items() if not (isinstance(v, str) and v in _CSV_EMPTY)}
        obj.setdefault("source", self.source)
        try:
            statement = parse_consent_statement(obj)
        except InvalidInputError as e:
            rejection = Rejection.from_error(e)
            self.reject(
                builder, rejection, payload=payload, seq=seq, ref=ref, received_at=received_at
            )
            return
        purpose = self._purposes.get(statement.purpose)
        if purpose is None:
            rejection = Rejection("bad_consent", "purpose: not in the purpose catalogue", "purpose")
            self.reject(
                builder, rejection, payload=payload, seq=seq, ref=ref, received_at=received_at
            )
            return
        builder.cover(seq)
        ledger = self.consent.row_from_statement(statement, recorded_at=builder.ingested_at)
        if ledger["channel"] is None:
            ledger["channel"] = purpose.channel
        occurred = statement.captured_at
        properties = {
            "purpose": statement.purpose,
            "status": statement.status,
            "method": statement.method,
            "notice_version": statement.notice_version,
            "consent_id": ledger["consent_id"],
        }
        event = (
            ledger["consent_id"],
            self.source,
            "record",
            STATEMENT_EVENT,
            occurred,
            occurred.date(),
            received_at,
            None,
            statement.subject,
            None,
            None,
            None,
            canonical_json(properties),
            _EMPTY_JSON,
            _EMPTY_JSON,
        )
        if not builder.add_event(event, seq):
            return  # the same statement again in this chunk: a duplicate
        builder.add_consent(ledger, event_id=ledger["consent_id"], seq=seq)

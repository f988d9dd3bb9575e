"""The catalogue of every lakehouse table: name, Arrow schema, partitioning and key.

This is the contract of DESIGN §4 in code. Other packages refer to tables by these names and
write rows with these columns; :class:`storage.Lakehouse` creates the tables from here and casts
every write to the table's schema, so a wrong column fails loudly instead of drifting the table.

Conventions: every timestamp is ``timestamp[us, UTC]``; free-form JSON (event properties, traits,
per-comparison weights) is a JSON string column (lossless, readable with ``str.json_decode``);
partition columns are derived from a timestamp of the row (see ``TableSpec.derived``): the day
where a table receives many rows a day, the month (``YYYY-MM``) where rows spread over years
(``events``, whose archives span years, and ``quarantine``): a daily partition of a backfill
holds a few hundred rows, and every commit would write one small file per day it touches.

Personal data and the Delta log: every add action in ``_delta_log`` carries per-column min/max
statistics, and the log outlives ``vacuum``. A column that may hold personal data is listed in
``TableSpec.personal``; tables are created with ``delta.dataSkippingStatsColumns`` set to the
other columns (:attr:`TableSpec.stats_columns`), so no personal value is copied into the log
(erasure, ``consent/privacy.py``, relies on it and verifies it by scanning every file).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

__all__ = ["TABLES", "ColumnOptions", "TableSpec", "table_spec"]

_TS = pa.timestamp("us", tz="UTC")
_S = pa.string()


def _f(name: str, type_: pa.DataType, *, required: bool = False) -> pa.Field:
    return pa.field(name, type_, nullable=not required)


@dataclass(frozen=True)
class ColumnOptions:
    """How the Parquet files of a table store one column."""

    #: dictionary-encoded (worth it where values repeat)
    dictionary: bool = True
    #: min/max statistics in the file's footer
    statistics: bool = True


@dataclass(frozen=True)
class TableSpec:
    """One table of the lakehouse."""

    name: str
    description: str
    schema: pa.Schema
    #: Columns that identify a row (upserts merge on them; dedup keys for appends).
    key: tuple[str, ...]
    partition_by: tuple[str, ...] = ()
    #: Column -> the timestamp column it is derived from when a writer omits it: a ``date32``
    #: column gets the UTC date, a string column the UTC month ``YYYY-MM``.
    derived: dict[str, str] = field(default_factory=dict)
    #: Columns that may hold personal data: never given Delta statistics (see the module doc).
    personal: tuple[str, ...] = ()
    #: Columns whose values are mostly distinct (ids, instants, payloads, free-form JSON):
    #: written without a Parquet dictionary, which for them only costs time (see
    #: :attr:`column_options`).
    distinct: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    @property
    def stats_columns(self) -> list[str]:
        """Columns Delta keeps min/max statistics for: every column not in ``personal``."""
        return [n for n in self.schema.names if n not in self.personal]

    @property
    def properties(self) -> dict[str, str]:
        """Delta table properties the table is created with."""
        if not self.personal:
            return {}
        return {"delta.dataSkippingStatsColumns": ",".join(self.stats_columns)}

    @property
    def column_options(self) -> dict[str, ColumnOptions]:
        """How the Parquet files store the columns that differ from the default (a dictionary
        and min/max statistics): no dictionary for the :attr:`distinct` columns (a writer tries
        one on every column until it outgrows its page: in a rewrite of ``events`` a third of
        the CPU, for nothing), no statistics for the :attr:`personal` ones (no copy
        of personal values in the files' footers; min/max of free-form JSON or random ids
        skip nothing)."""
        return {
            name: ColumnOptions(
                dictionary=name not in self.distinct, statistics=name not in self.personal
            )
            for name in self.schema.names
            if name in self.distinct or name in self.personal
        }

    @property
    def required(self) -> list[str]:
        """Columns that must not be null."""
        return [f.name for f in self.schema if not f.nullable]


_IDENTITY_FIELDS = [
    _f("first_name", _S),
    _f("last_name", _S),
    _f("full_name", _S),
    _f("email", _S),
    _f("phone", _S),
    _f("birth_date", pa.date32()),
    _f("street", _S),
    _f("postcode", _S),
    _f("city", _S),
    _f("country", _S),
    _f("company", _S),
]

_IDENTITY_NAMES = tuple(f.name for f in _IDENTITY_FIELDS)

_SPECS = [
    TableSpec(
        "raw_events",
        "Every payload as received, before parsing (bytes kept as they came).",
        pa.schema(
            [
                _f("raw_id", _S, required=True),
                _f("source", _S, required=True),
                _f("received_at", _TS, required=True),
                _f("content_type", _S),
                _f("payload", pa.binary(), required=True),
                _f("ingest_batch", _S),
                _f("received_date", pa.date32(), required=True),
            ]
        ),
        key=("raw_id",),
        partition_by=("received_date",),
        derived={"received_date": "received_at"},
        personal=("payload",),
        distinct=("raw_id", "payload"),
    ),
    TableSpec(
        "events",
        "One unified event (web messages and CRM/ERP record changes); event_id is unique.",
        pa.schema(
            [
                _f("event_id", _S, required=True),
                _f("source", _S, required=True),
                _f("event_type", _S, required=True),
                _f("event_name", _S),
                _f("occurred_at", _TS, required=True),
                _f("received_at", _TS, required=True),
                _f("sent_at", _TS),
                _f("source_record_id", _S),
                _f("user_id", _S),
                _f("anonymous_id", _S),
                _f("message_id", _S),
                _f("properties", _S),
                _f("traits", _S),
                _f("context", _S),
                _f("ingested_at", _TS),
                _f("event_date", pa.date32(), required=True),
                _f("event_month", _S, required=True),
            ]
        ),
        key=("event_id",),
        partition_by=("event_month",),
        derived={"event_date": "occurred_at", "event_month": "occurred_at"},
        personal=("source_record_id", "user_id", "anonymous_id", "properties", "traits", "context"),
        distinct=(
            "event_id",
            "occurred_at",
            "received_at",
            "sent_at",
            "source_record_id",
            "anonymous_id",
            "message_id",
            "properties",
            "context",
        ),
    ),
    TableSpec(
        "quarantine",
        "Typed dead letters: every rejected input with its reason; nothing is dropped.",
        pa.schema(
            [
                _f("quarantine_id", _S, required=True),
                _f("source", _S, required=True),
                _f("received_at", _TS, required=True),
                _f("payload", pa.binary()),
                _f("error_type", _S, required=True),
                _f("error", _S, required=True),
                _f("field", _S),
                _f("stage", _S),
                _f("record_ref", _S),
                _f("ingest_batch", _S),
                _f("received_date", pa.date32(), required=True),
                _f("received_month", _S, required=True),
            ]
        ),
        key=("quarantine_id",),
        partition_by=("received_month",),
        derived={"received_date": "received_at", "received_month": "received_at"},
        personal=("payload",),
        distinct=("quarantine_id", "payload"),
    ),
    TableSpec(
        "identity_records",
        "Latest version of each source identity, with canonical display fields and match keys.",
        pa.schema(
            [
                _f("source", _S, required=True),
                _f("source_record_id", _S, required=True),
                _f("updated_at", _TS),
                _f("deleted", pa.bool_(), required=True),
                *_IDENTITY_FIELDS,
                _f("first_name_key", _S),
                _f("last_name_key", _S),
                _f("email_key", _S),
                _f("street_key", _S),
                _f("postcode_key", _S),
                _f("city_key", _S),
                _f("user_id", _S),
                _f("anonymous_id", _S),
                _f("attributes", _S),
                _f("ingested_at", _TS),
            ]
        ),
        key=("source", "source_record_id"),
        partition_by=("source",),
        personal=(
            "source_record_id",
            *_IDENTITY_NAMES,
            "first_name_key",
            "last_name_key",
            "email_key",
            "street_key",
            "postcode_key",
            "city_key",
            "user_id",
            "anonymous_id",
            "attributes",
        ),
    ),
    TableSpec(
        "identity_map",
        "Which customer each source identity belongs to.",
        pa.schema(
            [
                _f("source", _S, required=True),
                _f("source_record_id", _S, required=True),
                _f("customer_id", _S, required=True),
                _f("match_probability", pa.float64()),
                _f("run_id", _S),
                _f("resolved_at", _TS),
            ]
        ),
        key=("source", "source_record_id"),
        personal=("source_record_id",),
    ),
    TableSpec(
        "identity_links",
        "Scored record pairs kept as evidence, with per-comparison match weights (JSON).",
        pa.schema(
            [
                _f("left_source", _S, required=True),
                _f("left_record_id", _S, required=True),
                _f("right_source", _S, required=True),
                _f("right_record_id", _S, required=True),
                _f("match_probability", pa.float64(), required=True),
                _f("match_weight", pa.float64()),
                _f("weights", _S),
                _f("evidence", _S),
                _f("decision", _S),
                _f("veto_reason", _S),
                _f("run_id", _S),
                _f("created_at", _TS),
            ]
        ),
        key=("left_source", "left_record_id", "right_source", "right_record_id"),
        personal=("left_record_id", "right_record_id", "weights", "evidence"),
    ),
    TableSpec(
        "identity_merges",
        "History of customer id changes (merges, splits, overrides); old ids keep resolving.",
        pa.schema(
            [
                _f("old_customer_id", _S, required=True),
                _f("new_customer_id", _S, required=True),
                _f("reason", _S, required=True),
                _f("kind", _S),
                _f("run_id", _S),
                _f("at", _TS, required=True),
            ]
        ),
        key=("old_customer_id", "new_customer_id", "at"),
    ),
    TableSpec(
        "consent_ledger",
        "Append-only, bitemporal consent statements (captured_at = valid time, "
        "recorded_at = system time).",
        pa.schema(
            [
                _f("consent_id", _S, required=True),
                _f("idempotency_key", _S, required=True),
                _f("subject_type", _S, required=True),
                _f("subject_hash", _S, required=True),
                _f("subject_value", _S),
                _f("customer_id", _S),
                _f("purpose", _S, required=True),
                _f("channel", _S),
                _f("status", _S, required=True),
                _f("legal_basis", _S),
                _f("jurisdiction", _S),
                _f("captured_at", _TS, required=True),
                _f("expires_at", _TS),
                _f("recorded_at", _TS, required=True),
                _f("source", _S, required=True),
                _f("method", _S),
                _f("notice_version", _S),
                _f("evidence", _S),
                _f("evidence_hash", _S),
                _f("supersedes", _S),
            ]
        ),
        key=("idempotency_key",),
        personal=("subject_value", "evidence"),
    ),
    TableSpec(
        "consent_state",
        "Current consent per subject and purpose, derived from consent_ledger by the consent "
        "stream (docs/consent-rules.md rule 6 applied to one subject's statements); upserted.",
        pa.schema(
            [
                _f("subject_hash", _S, required=True),
                _f("subject_type", _S),
                _f("customer_id", _S),
                _f("purpose", _S, required=True),
                _f("channel", _S),
                _f("status", _S, required=True),
                _f("captured_at", _TS, required=True),
                _f("expires_at", _TS),
                _f("recorded_at", _TS),
                _f("consent_id", _S, required=True),
                _f("source", _S),
                _f("method", _S),
                #: rule-6 order as one sortable string (captured_at, status rank, consent_id)
                _f("precedence", _S, required=True),
                _f("updated_at", _TS, required=True),
            ]
        ),
        key=("subject_hash", "purpose"),
    ),
    TableSpec(
        "profiles",
        "One unified customer: golden traits with provenance, identifiers, computed traits.",
        pa.schema(
            [
                _f("customer_id", _S, required=True),
                *_IDENTITY_FIELDS,
                _f("identifiers", pa.list_(_S)),
                _f("sources", pa.list_(_S)),
                _f("traits", _S),
                _f("provenance", _S),
                _f("first_seen", _TS),
                _f("last_seen", _TS),
                _f("order_count", pa.int64()),
                _f("order_value", pa.float64()),
                _f("event_count_30d", pa.int64()),
                _f("identity_version", pa.int64()),
                _f("updated_at", _TS, required=True),
            ]
        ),
        key=("customer_id",),
        personal=(*_IDENTITY_NAMES, "identifiers", "traits", "provenance"),
    ),
    TableSpec(
        "segment_membership",
        "Who was in which segment when (entered_at/exited_at history).",
        pa.schema(
            [
                _f("segment", _S, required=True),
                _f("customer_id", _S, required=True),
                _f("entered_at", _TS, required=True),
                _f("exited_at", _TS),
                _f("build_id", _S),
            ]
        ),
        key=("segment", "customer_id", "entered_at"),
        partition_by=("segment",),
    ),
    TableSpec(
        "activation_log",
        "Every consent-gate decision for an activation, with the evidence and versions used.",
        pa.schema(
            [
                _f("activation_id", _S, required=True),
                _f("activation_type", _S, required=True),
                _f("customer_id", _S),
                _f("subject", _S),
                _f("purpose", _S, required=True),
                _f("destination", _S),
                _f("segment", _S),
                _f("allowed", pa.bool_(), required=True),
                _f("reason", _S, required=True),
                _f("reason_codes", pa.list_(_S)),
                _f("evidence_ids", pa.list_(_S)),
                _f("ledger_version", pa.int64()),
                _f("identity_version", pa.int64()),
                _f("table_versions", _S),
                _f("decided_at", _TS, required=True),
                _f("decided_date", pa.date32(), required=True),
            ]
        ),
        key=("activation_id",),
        partition_by=("decided_date",),
        derived={"decided_date": "decided_at"},
        personal=("subject",),
    ),
    TableSpec(
        "suppression",
        "Erased identifiers (keyed hash only): re-ingest of them is blocked.",
        pa.schema(
            [
                _f("identifier_hash", _S, required=True),
                _f("identifier_type", _S),
                _f("erased_at", _TS, required=True),
                _f("request_id", _S),
            ]
        ),
        key=("identifier_hash",),
    ),
    TableSpec(
        "identity_models",
        "Every identity model used by a resolution run (Splink settings and parameters, JSON).",
        pa.schema(
            [
                _f("model_id", _S, required=True),
                _f("version", pa.int64(), required=True),
                _f("created_at", _TS, required=True),
                _f("trained_on_records", pa.int64()),
                _f("model_json", _S, required=True),
                _f("settings_json", _S),
                _f("run_id", _S),
            ]
        ),
        key=("version",),
        personal=("model_json", "settings_json"),
    ),
    TableSpec(
        "identity_overrides",
        "A person's identity decisions (merge, never_merge, split) between source records.",
        pa.schema(
            [
                _f("override_id", _S, required=True),
                _f("kind", _S, required=True),
                _f("left_key", _S, required=True),
                _f("right_key", _S),
                _f("reason", _S, required=True),
                _f("created_by", _S, required=True),
                _f("created_at", _TS, required=True),
                _f("active", pa.bool_(), required=True),
            ]
        ),
        key=("override_id",),
        personal=("left_key", "right_key", "reason", "created_by"),
    ),
    TableSpec(
        "erasure_requests",
        "Deletion reports of erasures (GDPR Art. 17): hashes, counts and times, no personal data.",
        pa.schema(
            [
                _f("request_id", _S, required=True),
                _f("requested_by", _S, required=True),
                _f("identifier_type", _S, required=True),
                _f("identifier_hash", _S, required=True),
                _f("status", _S, required=True),
                _f("retention", _S, required=True),
                _f("customer_ids", pa.list_(_S)),
                _f("identifier_hashes", pa.list_(_S)),
                _f("rows_deleted", _S),
                _f("rows_redacted", _S),
                _f("files_vacuumed", pa.int64()),
                _f("history_truncated", pa.list_(_S)),
                _f("verified", pa.bool_()),
                _f("findings", _S),
                _f("table_versions", _S),
                _f("started_at", _TS, required=True),
                _f("finished_at", _TS, required=True),
            ]
        ),
        key=("request_id",),
        personal=("requested_by",),
    ),
]

#: Every table of the lakehouse by name.
TABLES: dict[str, TableSpec] = {spec.name: spec for spec in _SPECS}


def table_spec(name: str) -> TableSpec:
    """The spec of table ``name``; ``KeyError`` naming the known tables otherwise."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; tables: {', '.join(TABLES)}") from None

"""A faithful stand-in for ingest: generated files -> ``identity_records`` rows (tests, bench).

Not the ingest pipeline. It maps CRM/ERP CSV rows with :func:`cdp.models.map_record` and web
messages with :func:`cdp.models.parse_message` + :func:`cdp.models.identity_from_traits` +
:meth:`cdp.models.IdentityFields.from_raw`, the way the pipeline does, and returns:

* ``records``: one row per source identity, the columns of the ``identity_records`` table. For
  the web the key is ``userId`` when a message has one, else ``anonymousId``; the identity
  fields are the latest ``identify`` traits of that key. An identity seen only in ``track`` or
  ``page`` messages is kept (with empty fields) when an alias or a message with both ids ties
  it to a user; anonymous browsing that never identifies carries no identity evidence and is
  left out (it joins a customer when the stream sees it identify).
  Only ``identify`` and ``alias`` messages are validated with ``parse_message`` (the others
  only contribute their ids; this keeps millions of lines fast).
* ``events``: the ``events`` rows identity resolution reads (``source, event_type, user_id,
  anonymous_id, occurred_at, properties, traits``): every ``identify`` and ``alias``, and one
  row per distinct pair of ids of the other messages.
* ``aliases``: :func:`identity.web.identity_edges` of those events (an anonymous id seen with
  a user id in one message, Segment aliases; shared devices left out).
* ``records`` carry :func:`identity.web.accumulated_traits` of those events, as
  :func:`identity.service.resolve_lakehouse` reads them (:func:`load_generated` with
  ``accumulate=False`` gives the latest ``identify`` only, as ``identity_records`` stores it).
* ``truth``: ``ground_truth.csv`` as a frame.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from cdp.config import Settings
from cdp.models import (
    IDENTITY_RECORD_COLUMNS,
    IdentityFields,
    InvalidInputError,
    identity_from_traits,
    map_record,
    parse_message,
    parse_timestamp,
)
from identity.web import accumulated_traits, identity_edges, with_accumulated_traits
from storage import TABLES

__all__ = ["GeneratedData", "load_generated", "records_frame"]

logger = logging.getLogger(__name__)

_RECORD_SPEC = TABLES["identity_records"]


@dataclass(frozen=True)
class GeneratedData:
    """Identity records, alias pairs and the ground truth of one generated folder."""

    records: pl.DataFrame
    aliases: pl.DataFrame
    truth: pl.DataFrame
    events: pl.DataFrame


def records_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """``identity_records``-shaped frame (every column, table types) from row dicts."""
    schema = pl.from_arrow(_RECORD_SPEC.schema.empty_table()).schema  # type: ignore[union-attr]
    cols = {name: [row.get(name) for row in rows] for name in schema}
    return pl.DataFrame(cols, schema=schema)


def _csv_rows(files: list[Path]) -> Iterator[dict[str, str]]:
    for file in files:
        with file.open(encoding="utf-8", newline="") as fh:
            yield from csv.DictReader(fh)


def _source_rows(root: Path, settings: Settings, source: str, pattern: str) -> list[dict[str, Any]]:
    config = settings.source(source)
    rows: list[dict[str, Any]] = []
    rejected = 0
    for raw in _csv_rows(sorted(root.glob(pattern))):
        try:
            rows.append(map_record(raw, config).to_identity_row())
        except InvalidInputError:
            rejected += 1
    if rejected:
        logger.info("source %s: %d row(s) rejected", source, rejected)
    return rows


def _ts(value: object) -> datetime | None:
    try:
        return parse_timestamp(value) if value else None
    except InvalidInputError:
        return None


_EVENT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "source": pl.String,
    "event_type": pl.String,
    "user_id": pl.String,
    "anonymous_id": pl.String,
    "occurred_at": pl.Datetime("us", "UTC"),
    "properties": pl.String,
    "traits": pl.String,
}


def _web_rows(root: Path) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    latest: dict[str, tuple[datetime | None, Mapping[str, Any] | None]] = {}
    ids: dict[str, tuple[str | None, str | None]] = {}
    aliases: set[tuple[str, str]] = set()
    events: list[tuple[Any, ...]] = []
    for file in sorted(root.glob("web/*.jsonl")):
        with file.open("rb") as fh:
            for line in fh:
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if not isinstance(obj, dict):
                    continue
                kind = obj.get("type")
                user = str(obj["userId"]) if obj.get("userId") else None
                anon = str(obj["anonymousId"]) if obj.get("anonymousId") else None
                traits: object = None
                if kind in ("identify", "alias"):
                    try:
                        msg = parse_message(obj)
                    except InvalidInputError:
                        continue
                    user, anon = msg.user_id, msg.anonymous_id
                    traits = getattr(msg, "traits", None)
                    at_msg = _ts(obj.get("timestamp") or obj.get("receivedAt"))
                    if kind == "alias":
                        previous = getattr(msg, "previous_id", None)
                        if previous and user:
                            aliases.add((str(previous), str(user)))
                            props = orjson.dumps({"previousId": str(previous)}).decode()
                            events.append(("web", "alias", user, anon, at_msg, props, None))
                        continue
                    events.append(
                        ("web", "identify", user, anon, at_msg, None, orjson.dumps(traits).decode())
                    )
                key = user or anon
                if not key:
                    continue
                if user and anon and (anon, user) not in aliases:
                    aliases.add((anon, user))
                    events.append(("web", str(kind), user, anon, None, None, None))
                if key not in ids or (user and anon):
                    ids[key] = (user, anon)
                if kind == "identify":
                    at = _ts(obj.get("timestamp") or obj.get("receivedAt"))
                    seen = latest.get(key)
                    if isinstance(traits, dict) and (
                        seen is None or seen[0] is None or (at is not None and at >= seen[0])
                    ):
                        latest[key] = (at, traits)
                elif key not in latest:
                    latest[key] = (None, None)
    linked = {a for a, _ in aliases} | {u for _, u in aliases}
    rows: list[dict[str, Any]] = []
    for key, (at, traits) in latest.items():
        if traits is None and key not in linked:
            continue  # anonymous browsing only: no identity evidence, not an identity record
        user, anon = ids.get(key, (None, None))
        fields = IdentityFields()
        if traits:
            fields, _ = IdentityFields.from_raw(identity_from_traits(traits))
        row: dict[str, Any] = {
            "source": "web",
            "source_record_id": key,
            "updated_at": at,
            "deleted": False,
            **fields.to_row(),
            "user_id": user,
            "anonymous_id": anon,
            "attributes": "{}",
        }
        rows.append(row)
    return rows, events


def load_generated(root: Path, settings: Settings, *, accumulate: bool = True) -> GeneratedData:
    """Read a folder written by :func:`cdp.synth.generate` (see the module documentation)."""
    rows = _source_rows(root, settings, "crm", "crm/*.csv")
    rows += _source_rows(root, settings, "erp", "erp/*.csv")
    web, event_rows = _web_rows(root)
    rows += web
    records = records_frame([{k: r.get(k) for k in IDENTITY_RECORD_COLUMNS} for r in rows])
    events = pl.DataFrame(event_rows, schema=_EVENT_SCHEMA, orient="row")
    if accumulate:
        records = with_accumulated_traits(records, accumulated_traits(events))
    truth = pl.read_csv(root / "ground_truth.csv", infer_schema=False)
    return GeneratedData(
        records=records, aliases=identity_edges(events), truth=truth, events=events
    )

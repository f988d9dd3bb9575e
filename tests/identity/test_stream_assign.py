"""StreamAssigner: waits for a model, assigns new records once, catches up, refreshes."""

from __future__ import annotations

from typing import Any

import polars as pl
from identity_helpers import frame, person
from lakehouse_helpers import map_of, write_records

from identity import ResolveSettings, StreamAssigner, assign_new_records, resolve_lakehouse
from identity.incremental import IncrementalResolver
from storage import Lakehouse

HOME = {"street": "Seestrasse 5", "postcode": "6300", "city": "Zug", "country": "CH"}
ANNA = {
    "first_name": "Anna",
    "last_name": "Meier",
    "birth_date": "1990-04-12",
    "email": "anna.meier@gmail.com",
    "phone": "+41 79 123 45 67",
    **HOME,
}
BEN = {
    "first_name": "Ben",
    "last_name": "Frei",
    "birth_date": "1971-02-03",
    "email": "ben.frei@bluewin.ch",
    "street": "Marktgasse 1",
    "postcode": "3011",
    "city": "Bern",
    "country": "CH",
}
NEW = {
    "first_name": "Olga",
    "last_name": "Weber",
    "birth_date": "1999-12-24",
    "email": "olga.w@gmx.ch",
    "city": "Basel",
    "country": "CH",
}


def _rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    return list(df.iter_rows(named=True))


def test_assign_new_records_skips_known_and_deleted_and_returns_map_rows() -> None:
    base = frame(person("crm", "a1", **ANNA), person("erp", "b1", **BEN))
    resolver = IncrementalResolver(base, None, None)
    anna = resolver.customer_of("crm:a1")
    arriving = frame(
        person("crm", "a1", **ANNA),  # known
        person("web", "u-anna", email="Anna.Meier@gmail.com"),  # same e-mail: joins Anna
        person("crm", "o1", **NEW),  # nobody: a new customer
        {**person("crm", "gone", **BEN), "deleted": True},  # a delete: left to the full run
    )
    rows = assign_new_records(resolver, _rows(arriving), run_id="stream")
    got = dict(zip(rows["source_record_id"], rows["customer_id"], strict=True))
    assert set(got) == {"u-anna", "o1"}
    assert got["u-anna"] == anna
    assert got["o1"] not in {anna, resolver.customer_of("erp:b1")}
    assert set(rows["run_id"]) == {"stream"} and rows["resolved_at"].null_count() == 0
    again = assign_new_records(resolver, _rows(arriving))
    assert again.height == 0  # everything is known now


def test_stream_assigner_waits_catches_up_and_refreshes(lakehouse: Lakehouse) -> None:
    write_records(lakehouse, frame(person("crm", "a1", **ANNA), person("erp", "b1", **BEN)))
    assigner = StreamAssigner(lakehouse)
    early = frame(person("web", "u-anna", email="anna.meier@gmail.com"))
    write_records(lakehouse, early)
    assert assigner.process(_rows(early)) == 0  # no model yet: nothing assigned, no crash
    assert assigner.resolver is None and lakehouse.count("identity_map") == 0

    resolve_lakehouse(lakehouse)
    resolved = map_of(lakehouse)
    arriving = frame(person("crm", "a2", **{**ANNA, "email": "anna.meir@gmail.com"}))
    write_records(lakehouse, arriving)
    assigner.process(_rows(arriving))  # the build assigns it (unmapped); the batch: known
    assert assigner.stats.assigned == 1 and assigner.stats.known == 1
    assert map_of(lakehouse)["crm:a2"] == resolved["crm:a1"]
    assert assigner.stats.builds == 1 and assigner.stats.latencies

    # records that arrived while no stream ran: a new assigner catches them up when it builds
    missed = frame(person("crm", "o1", **NEW), person("web", "u-ben", email="ben.frei@bluewin.ch"))
    write_records(lakehouse, missed)
    version = lakehouse.version("identity_map")
    restarted = StreamAssigner(lakehouse)
    assert restarted.process(_rows(arriving)) == 0  # a replay of what was written: no write
    assert restarted.stats.assigned == 2 and restarted.stats.known == 1
    after = map_of(lakehouse)
    assert after["web:u-ben"] == resolved["erp:b1"]
    assert after["crm:o1"] not in set(resolved.values())
    assert lakehouse.version("identity_map") == version + 1  # one upsert: the catch-up

    # a full resolution saves a new model: the long-lived assigner rebuilds and ids stay
    resolve_lakehouse(lakehouse)
    assert map_of(lakehouse) == after
    assert assigner.process([]) == 0
    assert assigner.stats.builds == 2
    assert assigner.resolver is not None
    assert assigner.resolver.customer_of("crm:o1") == after["crm:o1"]


def test_a_model_the_resolver_cannot_use_skips_without_raising(lakehouse: Lakehouse) -> None:
    write_records(lakehouse, frame(person("crm", "a1", **ANNA)))
    resolve_lakehouse(lakehouse)
    row = lakehouse.read("identity_models").row(-1, named=True)
    broken = {**row, "version": row["version"] + 1, "model_json": '{"comparisons": []}'}
    lakehouse.append("identity_models", [broken])
    arriving = frame(person("crm", "o1", **NEW))
    write_records(lakehouse, arriving)
    assigner = StreamAssigner(lakehouse)
    assert assigner.process(_rows(arriving)) == 0  # logged, not raised
    assert assigner.resolver is None and assigner.stats.skipped_batches == 1
    assert "crm:o1" not in map_of(lakehouse)
    resolve_lakehouse(lakehouse, settings=ResolveSettings(model_json=row["model_json"]))
    assigner.process([])  # a usable model again: rebuilt, and the full run mapped o1 already
    assert assigner.resolver is not None
    assert assigner.resolver.customer_of("crm:o1") == map_of(lakehouse)["crm:o1"]

"""`cdp stream` assigns new identity records to customers between full resolutions."""

from __future__ import annotations

import csv
from typing import Any

import orjson
import polars as pl
from pipeline_helpers import streaming, wait_for

from cdp.config import Settings
from cdp.landing import LandingEntry, LandingLog, landing_root
from cdp.synth import CRM_COLUMNS
from identity import ResolveSettings, StreamAssigner, resolve_lakehouse
from pipelines.identity_stream import IdentityAssignSink, IdentityRecordsTailSource
from storage import Lakehouse

_PEOPLE = [
    ("c-anna", "Anna", "Meier", "anna.meier@gmail.com", "+41 79 123 45 67", "Seestrasse 5",
     "6300", "Zug", "1990-04-12"),
    ("c-beat", "Beat", "Keller", "beat.keller@bluewin.ch", "+41 78 555 12 34", "Bahnhofstrasse 12",
     "8001", "Zürich", "1975-11-02"),
    ("c-carla", "Carla", "Rossi", "carla.rossi@gmx.ch", "+41 76 222 33 44", "Via Nassa 7",
     "6900", "Lugano", "1988-06-30"),
    ("c-dieter", "Dieter", "Huber", "d.huber@sunrise.ch", "+41 77 888 99 00", "Hauptgasse 3",
     "3011", "Bern", "1962-01-19"),
    ("c-eva", "Eva", "Schmid", "eva.schmid@gmail.com", "+41 79 444 55 66", "Rue du Rhône 40",
     "1204", "Genève", "1995-09-09"),
]  # fmt: skip
# Anna again under a new CRM id, with a typo in her e-mail (the probabilistic path), and a
# person nobody has seen.
_ARRIVING = [
    ("c-anna-2", "Anna", "Meier", "anna.meir@gmail.com", "+41 79 123 45 67", "Seestrasse 5",
     "6300", "Zug", "1990-04-12"),
    ("c-felix", "Felix", "Brunner", "felix.brunner@gmail.com", "+41 79 999 00 11",
     "Kirchweg 8", "4051", "Basel", "1983-03-03"),
]  # fmt: skip


def _drop(settings: Settings, name: str, people: list[tuple[str, ...]], modified: str) -> None:
    folder = settings.base_dir / "drops" / "crm"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.part"
    with tmp.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(CRM_COLUMNS)
        for rid, first, last, email, phone, street, pc, city, dob in people:
            out.writerow(
                [rid, first, last, email, "", phone, street, pc, city, "Switzerland", dob, "",
                 "false", "2024-01-01T00:00:00.000+0000", modified, "false"]
            )  # fmt: skip
    tmp.rename(folder / name)  # write, then move in


def _identify(log: LandingLog, message_id: str, user: str, email: str) -> None:
    body = orjson.dumps(
        {
            "type": "identify",
            "messageId": message_id,
            "userId": user,
            "anonymousId": f"anon-{user}",
            "traits": {"email": email},
            "timestamp": "2026-04-01T10:00:00.000Z",
        }
    )
    log.append_sync(LandingEntry.create(source="web", route="identify", payload=body))


def _map(lake: Lakehouse) -> dict[str, str]:
    rows = lake.read("identity_map")
    assert (
        rows.select(pl.struct("source", "source_record_id").is_duplicated().any()).item() is False
    )
    return {
        f"{s}:{r}": c
        for s, r, c in rows.select("source", "source_record_id", "customer_id").iter_rows()
    }


def _has(lake: Lakehouse, *keys: str) -> bool:
    return set(keys) <= set(_map(lake))


def _web_key(lake: Lakehouse) -> str:
    web = lake.read("identity_records").filter(pl.col("source") == "web")
    assert web.height == 1
    return f"web:{web['source_record_id'][0]}"


def test_new_records_in_the_stream_get_customers_exactly_once_and_stay_stable(
    settings: Settings,
) -> None:
    lake = Lakehouse.from_settings(settings)
    # 1. a fresh install: the stream ingests CRM records; no model yet, so nothing is assigned
    _drop(settings, "contacts-a.csv", _PEOPLE, "2025-01-01T00:00:00.000+0000")
    with streaming(settings):
        wait_for(lambda: lake.count("identity_records") == len(_PEOPLE))
    assert lake.count("identity_map") == 0  # waited for the first full resolution
    first = resolve_lakehouse(lake)
    assert first.customers == len(_PEOPLE)
    before = _map(lake)

    # 2. after a resolution, new CRM and web records arriving through the stream are assigned
    assigner = StreamAssigner(lake, settings=ResolveSettings.from_settings(settings))
    with LandingLog(landing_root(settings)) as log, streaming(settings, assigner=assigner):
        _drop(settings, "contacts-b.csv", _ARRIVING, "2025-02-01T00:00:00.000+0000")
        _identify(log, "m-1", "u-carla", "Carla.Rossi@gmx.ch")
        wait_for(lambda: lake.count("identity_records") == len(_PEOPLE) + len(_ARRIVING) + 1)
        web = _web_key(lake)
        wait_for(lambda: _has(lake, "crm:c-anna-2", "crm:c-felix", web))
    after = _map(lake)
    assert after["crm:c-anna-2"] == before["crm:c-anna"]  # a duplicate joins the person
    assert after[web] == before["crm:c-carla"]  # a web identify with her e-mail too
    assert after["crm:c-felix"] not in set(before.values())  # a new person, a new id
    assert {k: after[k] for k in before} == before  # nothing resolved before moved
    stats: dict[str, Any] = assigner.stats.as_dict()
    assert stats["assigned"] == 3 and stats["joined"] == 2 and stats["new"] == 1
    assert stats["p50_ms"] is not None and stats["p99_ms"] >= stats["p50_ms"]
    rows = lake.read("identity_map").filter(pl.col("run_id") == "stream")
    assert rows.height == 3

    # 3. a restart (recovery) and a replay without recovery state write nothing twice
    version = lake.version("identity_map")
    with streaming(settings):
        wait_for(lambda: lake.count("identity_records") == len(_PEOPLE) + len(_ARRIVING) + 1)
    replayed = StreamAssigner(lake)
    with streaming(settings, recovery=False, assigner=replayed):
        wait_for(lambda: replayed.stats.builds >= 1)
    assert replayed.stats.assigned == 0
    # the tail replayed from its first version (as after a crash before a snapshot): every
    # record comes again, the rebuilt resolver knows them all, nothing is written
    part = IdentityRecordsTailSource(lake).build_part("tail", "identity-records", 0)
    batches = [part.next_batch() for _ in range(lake.version("identity_records") + 2)]
    again = [row for batch in batches for _version, rows, _reset in batch for row in rows]
    assert {f"{r['source']}:{r['source_record_id']}" for r in again} == set(after)
    assert replayed.process(again) == 0 and replayed.stats.known >= len(after)
    assert lake.version("identity_map") == version
    assert _map(lake) == after

    # 4. a later full resolution keeps the ids the stream gave
    resolve_lakehouse(lake)
    final = _map(lake)
    assert final == after

    # 5. a DELETE commit (an erasure) makes the tail ask for a rebuild: the resolver forgets
    part = IdentityRecordsTailSource(lake).build_part("tail", "identity-records", None)
    assert part.next_batch() == [(lake.version("identity_records"), [], False)]  # first tick
    lake.delete("identity_records", "source_record_id = 'c-felix'")
    assert part.next_batch() == [(lake.version("identity_records"), [], True)]
    replayed.invalidate()
    replayed.process([])
    assert replayed.resolver is not None and replayed.resolver.customer_of("crm:c-felix") is None


def test_closing_an_idle_assign_partition_makes_no_assigner() -> None:
    """Bytewax closes sink partitions at the end and while unwinding from an error: a
    partition that never got a batch closes without making the assigner (which imports
    Splink and reads the lakehouse) and without raising when it cannot be made."""
    made: list[int] = []

    def make() -> StreamAssigner:
        made.append(1)
        raise RuntimeError("the assigner cannot be made here")

    partition = IdentityAssignSink(make).build("identity_assign", 0, 1)
    partition.close()
    assert made == []

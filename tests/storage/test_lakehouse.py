"""The lakehouse: catalogue, idempotent appends, time travel, merges, deletes, maintenance."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from storage import TABLES, Lakehouse, StorageError, TableMissingError, as_arrow

DESIGN_TABLES = {
    "raw_events": {"source", "received_at", "payload"},
    "events": {
        "event_id",
        "source",
        "event_type",
        "event_name",
        "occurred_at",
        "received_at",
        "source_record_id",
        "user_id",
        "anonymous_id",
        "properties",
    },
    "quarantine": {"source", "received_at", "payload", "error_type", "error"},
    "identity_records": {"source", "source_record_id", "updated_at", "email", "phone"},
    "identity_map": {"source", "source_record_id", "customer_id"},
    "identity_links": {"left_source", "right_source", "match_probability", "weights"},
    "identity_merges": {"old_customer_id", "new_customer_id", "reason", "at"},
    "consent_ledger": {
        "consent_id",
        "subject_type",
        "customer_id",
        "purpose",
        "status",
        "legal_basis",
        "captured_at",
        "recorded_at",
        "source",
        "notice_version",
        "evidence",
    },
    "profiles": {"customer_id", "identifiers"},
    "segment_membership": {"segment", "customer_id", "entered_at", "exited_at"},
    "activation_log": {
        "activation_id",
        "customer_id",
        "purpose",
        "destination",
        "allowed",
        "reason",
        "evidence_ids",
        "decided_at",
    },
    "suppression": {"identifier_hash", "erased_at"},
    # identity model versions and a person's overrides (identity service, issue #4)
    "identity_models": {"model_id", "version", "created_at", "model_json"},
    "identity_overrides": {"override_id", "kind", "left_key", "right_key", "active"},
    # current consent per subject and purpose, derived by the consent stream (issue #5)
    "consent_state": {"subject_hash", "purpose", "status", "captured_at", "consent_id"},
    # deletion reports of erasures (consent/privacy.py, issue #5)
    "erasure_requests": {"request_id", "identifier_hash", "rows_deleted", "verified"},
}

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def events(prefix: str, n: int, *, at: datetime = NOW) -> list[dict[str, object]]:
    return [
        {
            "event_id": f"{prefix}-{i}",
            "source": "web",
            "event_type": "track",
            "event_name": "Order Completed",
            "occurred_at": at,
            "received_at": at,
        }
        for i in range(n)
    ]


def test_catalogue_covers_the_design_contract() -> None:
    assert set(TABLES) == set(DESIGN_TABLES)
    for name, columns in DESIGN_TABLES.items():
        assert columns <= set(TABLES[name].columns), name


def test_init_creates_every_table_with_its_schema(tmp_path: Path) -> None:
    lh = Lakehouse(tmp_path / "lh")
    assert set(lh.init().values()) == {"created"}
    for name, spec in TABLES.items():
        dt = DeltaTable(str(tmp_path / "lh" / name))
        assert pa.schema(dt.schema().to_arrow()).equals(spec.schema), name
        assert dt.metadata().partition_columns == list(spec.partition_by), name
        assert dt.metadata().name == name
    assert set(lh.init().values()) == {"exists"}  # idempotent


def test_init_rejects_a_table_missing_catalogue_columns(tmp_path: Path) -> None:
    lh = Lakehouse(tmp_path / "lh")
    DeltaTable.create(lh.uri("suppression"), pa.schema([("identifier_hash", pa.string())]))
    with pytest.raises(StorageError, match="lacks column"):
        lh.init(["suppression"])


def test_reading_a_table_before_init_says_so(tmp_path: Path) -> None:
    with pytest.raises(TableMissingError, match="cdp init"):
        Lakehouse(tmp_path / "nothing").read("events")


def test_unknown_table_is_an_error(lakehouse: Lakehouse) -> None:
    with pytest.raises(StorageError, match="unknown table 'evnts'"):
        lakehouse.append("evnts", [])


def test_as_arrow_fills_optional_derives_partitions_and_names_bad_columns() -> None:
    spec = TABLES["events"]
    table = as_arrow(events("a", 2), spec)
    assert table.schema.equals(spec.schema)
    assert table.column("event_date").to_pylist() == [date(2026, 11, 20)] * 2
    assert table.column("event_month").to_pylist() == ["2026-11"] * 2  # the partition column
    assert table.column("user_id").null_count == 2
    with pytest.raises(StorageError, match="has no column"):
        as_arrow([{**events("a", 1)[0], "colour": "red"}], spec)
    secret = "jane.doe@example.com"
    with pytest.raises(StorageError, match="event_type of table events must not be null") as info:
        as_arrow([{**events("a", 1)[0], "event_type": None, "user_id": secret}], spec)
    assert secret not in str(info.value)  # errors never carry row values (personal data)
    with pytest.raises(StorageError, match="occurred_at"):
        as_arrow(pl.DataFrame(events("a", 1)).with_columns(occurred_at=pl.lit([1, 2])), spec)


def test_polars_and_arrow_inputs(lakehouse: Lakehouse) -> None:
    frame = pl.DataFrame(events("p", 3))
    lakehouse.append("events", frame)
    lakehouse.append("events", frame.to_arrow().to_batches()[0])
    assert lakehouse.count("events") == 6


def test_idempotent_append_writes_a_transaction_once(lakehouse: Lakehouse) -> None:
    first = lakehouse.append("events", events("b", 5), app_id="ingest-crm", txn_version=1)
    again = lakehouse.append("events", events("b", 5), app_id="ingest-crm", txn_version=1)
    assert (first.rows, first.skipped) == (5, False)
    assert (again.rows, again.skipped) == (0, True)
    assert lakehouse.count("events") == 5
    assert lakehouse.transaction_version("events", "ingest-crm") == 1
    # an older transaction of the same app is also a replay
    assert lakehouse.append("events", events("c", 1), app_id="ingest-crm", txn_version=0).skipped
    # the next version, and another app, are written
    assert lakehouse.append("events", events("d", 2), app_id="ingest-crm", txn_version=2).rows == 2
    assert lakehouse.append("events", events("e", 1), app_id="other", txn_version=1).rows == 1
    assert lakehouse.count("events") == 8
    with pytest.raises(StorageError, match="go together"):
        lakehouse.append("events", events("f", 1), app_id="x")


def test_time_travel_by_version_and_timestamp(lakehouse: Lakehouse) -> None:
    v1 = lakehouse.append("events", events("v1", 2)).version
    time.sleep(1.1)  # commit timestamps have millisecond resolution; keep the two apart
    between = datetime.now(UTC)
    time.sleep(1.1)
    v2 = lakehouse.append("events", events("v2", 3)).version
    assert v2 == v1 + 1
    assert lakehouse.read("events", version=v1).height == 2
    assert lakehouse.read("events", version=v2).height == 5
    assert lakehouse.read("events", as_of=between).height == 2
    assert lakehouse.read("events").height == 5
    assert isinstance(lakehouse.scan("events"), pl.LazyFrame)
    with pytest.raises(StorageError, match="not both"):
        lakehouse.scan("events", version=v1, as_of=between)


def identity(rid: str, name: str, at: datetime, *, deleted: bool = False) -> dict[str, object]:
    return {
        "source": "crm",
        "source_record_id": rid,
        "first_name": name,
        "updated_at": at,
        "deleted": deleted,
    }


def test_upsert_keeps_the_newest_version_and_honours_deletes(lakehouse: Lakehouse) -> None:
    t0 = NOW
    lakehouse.upsert(
        "identity_records",
        [
            identity("1", "Anna", t0),
            identity("2", "Ben", t0),
            identity("2", "Benjamin", t0 + timedelta(1)),
        ],
        newer_by="updated_at",
    )
    names = dict(lakehouse.read("identity_records").select("source_record_id", "first_name").rows())
    assert names == {"1": "Anna", "2": "Benjamin"}  # newest of two incoming versions wins
    # a late, older version does not overwrite; a newer one does
    lakehouse.upsert(
        "identity_records",
        [identity("1", "Old", t0 - timedelta(1)), identity("2", "Benji", t0 + timedelta(2))],
        newer_by="updated_at",
    )
    names = dict(lakehouse.read("identity_records").select("source_record_id", "first_name").rows())
    assert names == {"1": "Anna", "2": "Benji"}
    # a CDC delete removes the row; a stale delete does not
    lakehouse.upsert(
        "identity_records",
        [identity("1", "", t0 + timedelta(3), deleted=True), identity("2", "", t0, deleted=True)],
        newer_by="updated_at",
        delete_by="deleted",
    )
    names = dict(lakehouse.read("identity_records").select("source_record_id", "first_name").rows())
    assert names == {"2": "Benji"}


def test_upsert_with_transactions_merges_a_version_once(lakehouse: Lakehouse) -> None:
    t0 = NOW
    first = lakehouse.upsert(
        "identity_records", [identity("1", "Anna", t0)], transactions={"flow:p0": 3}
    )
    assert (first.rows, first.skipped) == (1, False)
    assert lakehouse.transaction_version("identity_records", "flow:p0") == 3
    # the same version again (a replay, even of other rows) merges nothing and commits nothing
    again = lakehouse.upsert(
        "identity_records", [identity("1", "Annie", t0)], transactions={"flow:p0": 3}
    )
    assert (again.rows, again.skipped, again.version) == (0, True, first.version)
    # a later version, or one new app among held ones, is merged
    later = lakehouse.upsert(
        "identity_records",
        [identity("1", "Ann", t0)],
        transactions={"flow:p0": 3, "flow:p1": 1},
    )
    assert (later.skipped, later.version) == (False, first.version + 1)
    names = dict(lakehouse.read("identity_records").select("source_record_id", "first_name").rows())
    assert names == {"1": "Ann"}
    assert lakehouse.transaction_version("identity_records", "flow:p1") == 1


def test_delete_and_vacuum_remove_the_data_files(lakehouse: Lakehouse, tmp_path: Path) -> None:
    marker = "erase-me-7f3a"
    lakehouse.append("events", [{**events("keep", 1)[0]}, {**events("x", 1)[0], "user_id": marker}])
    lakehouse.append("events", events("keep2", 2))
    assert lakehouse.delete("events", f"user_id = '{marker}'").rows == 1
    assert lakehouse.count("events") == 3
    assert lakehouse.read("events", version=1).height == 2  # still in history until vacuum

    def files_with_marker() -> list[Path]:
        root = Path(lakehouse.uri("events"))
        return [p for p in root.rglob("*.parquet") if marker.encode() in p.read_bytes()]

    assert files_with_marker()
    removed = lakehouse.vacuum("events", retention_hours=0)
    assert removed
    assert files_with_marker() == []
    assert lakehouse.count("events") == 3


def test_compact_merges_small_files_without_changing_rows(lakehouse: Lakehouse) -> None:
    for i in range(6):
        lakehouse.append("events", events(f"s{i}", 10))
    before = lakehouse.read("events").sort("event_id")
    assert len(lakehouse.files("events")) == 6
    metrics = lakehouse.compact("events")
    assert metrics["numFilesRemoved"] == 6
    assert len(lakehouse.files("events")) == 1
    assert lakehouse.read("events").sort("event_id").equals(before)


def _column_chunks(lakehouse: Lakehouse, name: str, column: str) -> list[pq.ColumnChunkMetaData]:
    """The Parquet column chunks of ``column`` in every data file of table ``name``."""
    chunks = []
    for uri in DeltaTable(lakehouse.uri(name)).file_uris():
        metadata = pq.ParquetFile(uri.removeprefix("file://")).metadata
        index = metadata.schema.names.index(column)
        chunks += [metadata.row_group(g).column(index) for g in range(metadata.num_row_groups)]
    return chunks


#: Arrow's name of Parquet's LZ4_RAW codec (it calls the older, framed one LZ4_HADOOP)
_LZ4 = "LZ4"


def _dictionary(chunk: pq.ColumnChunkMetaData) -> bool:
    return chunk.dictionary_page_offset is not None or any(
        "DICTIONARY" in encoding for encoding in chunk.encodings
    )


def test_every_write_makes_files_with_the_catalogues_column_options(
    lakehouse: Lakehouse,
) -> None:
    """Appends, merges, deletes and compaction all write Parquet the catalogue's way: LZ4, no
    dictionary on a column the spec lists as mostly distinct (a dictionary elsewhere), no
    min/max statistics on a personal column (statistics elsewhere)."""
    spec = TABLES["events"]
    assert "event_id" in spec.distinct and "event_id" not in spec.personal
    assert "context" in spec.distinct and "context" in spec.personal
    assert "user_id" not in spec.distinct and "user_id" in spec.personal
    rows = [
        {**row, "user_id": f"u{i % 7}", "context": f'{{"ip": "10.0.0.{i}"}}'}
        for i, row in enumerate(events("w", 150))
    ]
    for i in range(3):
        lakehouse.append("events", rows[i * 50 : (i + 1) * 50])
    lakehouse.delete("events", "event_id = 'w-1'")
    lakehouse.compact("events")
    identity_rows = [identity(f"r{i}", f"Name {i}", NOW) for i in range(20)]
    lakehouse.upsert("identity_records", identity_rows, newer_by="updated_at")
    lakehouse.upsert("identity_records", identity_rows[:5], newer_by="updated_at")
    for column in ("event_id", "event_name", "user_id", "context"):
        chunks = _column_chunks(lakehouse, "events", column)
        assert chunks and {c.compression for c in chunks} == {_LZ4}, column
        assert {_dictionary(c) for c in chunks} == {column not in spec.distinct}, column
        assert {c.is_stats_set for c in chunks} == {column not in spec.personal}, column
    names = _column_chunks(lakehouse, "identity_records", "first_name")
    assert {c.compression for c in names} == {_LZ4}
    assert not any(c.is_stats_set for c in names)
    assert lakehouse.count("events") == 149


_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime, UTC
    from storage import Lakehouse
    root, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lh = Lakehouse(root)
    now = datetime.now(UTC)
    for i in range(n):
        rows = [dict(event_id=f"{tag}-{i}-{j}", source="web", event_type="track",
                     occurred_at=now, received_at=now) for j in range(20)]
        lh.append("events", rows)
        # both processes also replay the same transactions: each must land exactly once
        lh.append("events", [dict(event_id=f"shared-{i}", source="web", event_type="track",
                  occurred_at=now, received_at=now)], app_id="shared", txn_version=i)
    """
)


@pytest.mark.integration
def test_concurrent_appends_from_two_processes(lakehouse: Lakehouse) -> None:
    n = 12
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, lakehouse.root, tag, str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for tag in ("p", "q")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()[-2000:]
    df = lakehouse.read("events")
    assert df.height == 2 * n * 20 + n
    assert df["event_id"].n_unique() == df.height
    assert lakehouse.transaction_version("events", "shared") == n - 1
    # the log is consistent: every version readable, and the history is linear
    assert len(lakehouse.history("events")) == lakehouse.version("events") + 1


def test_file_uri_goes_through_the_same_code(tmp_path: Path) -> None:
    lh = Lakehouse(f"file://{tmp_path}/lh")
    assert lh.root.startswith("file://")
    lh.init(["events"])
    lh.append("events", events("u", 4), app_id="a", txn_version=1)
    lh.append("events", events("u", 4), app_id="a", txn_version=1)
    assert lh.count("events") == 4

"""The lakehouse operations erasure relies on: deletes and redactions that keep values out of the
log, no statistics for personal columns, history truncation that keeps the table's state."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from storage import TABLES, Lakehouse, StorageError

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _records(n: int, prefix: str = "p") -> list[dict[str, object]]:
    return [
        {
            "source": "crm",
            "source_record_id": f"rec-{prefix}{i:04d}",
            "deleted": False,
            "email": f"{prefix}{i:04d}.someone@example.org",
            "last_name": f"Lastname{prefix}{i:04d}",
            "updated_at": AT,
        }
        for i in range(n)
    ]


def _log_text(lh: Lakehouse, name: str) -> str:
    return "".join(
        lh.read_file(name, p).decode("utf-8", "replace")
        for p in lh.table_files(name)
        if p.startswith("_delta_log/")
    )


def test_personal_columns_get_no_statistics(lakehouse: Lakehouse) -> None:
    lakehouse.append("identity_records", _records(5))
    log = _log_text(lakehouse, "identity_records")
    assert "minValues" in log and "updated_at" in log  # statistics for the other columns
    assert "someone@example.org" not in log and "rec-p0000" not in log
    config = lakehouse.table("identity_records").metadata().configuration
    assert "email" not in config["delta.dataSkippingStatsColumns"].split(",")
    assert "updated_at" in config["delta.dataSkippingStatsColumns"].split(",")


def test_init_limits_statistics_of_a_table_created_before(tmp_path: Path) -> None:
    old = {n: dataclasses.replace(s, personal=()) for n, s in TABLES.items()}
    Lakehouse(tmp_path / "lh", tables=old).init(["identity_records"])
    before = Lakehouse(tmp_path / "lh", tables=old)
    before.append("identity_records", _records(2, "a"))
    assert "a0000.someone@example.org" in _log_text(before, "identity_records")
    lh = Lakehouse(tmp_path / "lh")
    assert lh.init(["identity_records"]) == {"identity_records": "exists"}
    lh.append("identity_records", _records(2, "b"))
    assert "b0000.someone@example.org" not in _log_text(lh, "identity_records")
    version = lh.version("identity_records")
    lh.init(["identity_records"])  # already set: no new commit
    assert lh.version("identity_records") == version


def test_delete_matching_and_redact_keep_values_out_of_the_log(lakehouse: Lakehouse) -> None:
    lakehouse.append("identity_records", _records(6))
    gone = pl.DataFrame({"source": ["crm", "crm"], "source_record_id": ["rec-p0001", "rec-p0004"]})
    result = lakehouse.delete_matching("identity_records", gone, on=["source", "source_record_id"])
    assert result.rows == 2
    ids = sorted(lakehouse.read("identity_records").get_column("source_record_id").to_list())
    assert ids == ["rec-p0000", "rec-p0002", "rec-p0003", "rec-p0005"]
    redacted = lakehouse.redact(
        "identity_records",
        [{"source": "crm", "source_record_id": "rec-p0002"}],
        on=["source", "source_record_id"],
        columns=["email", "last_name"],
    )
    assert redacted.rows == 1
    row = lakehouse.read("identity_records").filter(pl.col("source_record_id") == "rec-p0002")
    assert row.get_column("email").to_list() == [None]
    assert row.get_column("updated_at").to_list() == [AT]
    log = _log_text(lakehouse, "identity_records")
    assert "rec-p0001" not in log and "rec-p0004" not in log and "rec-p0002" not in log
    assert lakehouse.delete_matching("identity_records", [], on=["source_record_id"]).rows == 0
    with pytest.raises(StorageError):
        lakehouse.redact("identity_records", gone, on=["source"], columns=["source"])
    with pytest.raises(StorageError):
        lakehouse.delete_matching("identity_records", gone, on=["nope"])


def test_truncate_history_keeps_state_and_transactions(lakehouse: Lakehouse) -> None:
    for i in range(3):
        lakehouse.append("events", _events(i), app_id="flow:events:s", txn_version=i + 1)
    lakehouse.delete("events", "event_id = 'e1'")  # a predicate with a value in the log
    assert "'e1'" in _log_text(lakehouse, "events")
    lakehouse.vacuum("events", retention_hours=0, full=True)
    removed = lakehouse.truncate_history("events")
    assert removed >= 4
    assert "'e1'" not in _log_text(lakehouse, "events")
    fresh = Lakehouse(lakehouse.root)
    assert sorted(fresh.read("events").get_column("event_id").to_list()) == ["e0", "e2"]
    assert fresh.transaction_version("events", "flow:events:s") == 3
    skipped = fresh.append("events", _events(2), app_id="flow:events:s", txn_version=3)
    assert skipped.skipped  # exactly-once survives the truncation
    fresh.append("events", _events(7))
    assert fresh.count("events") == 3
    files = fresh.table_files("events")
    assert any(p.endswith(".checkpoint.parquet") for p in files)
    assert all(not p.endswith("00000000000000000000.json") for p in files)


def _events(i: int) -> list[dict[str, object]]:
    return [
        {
            "event_id": f"e{i}",
            "source": "web",
            "event_type": "track",
            "occurred_at": AT,
            "received_at": AT,
            "user_id": f"user-{i}",
        }
    ]

"""Suppression at the sink: inputs carrying an erased identifier become payload-free
``suppressed`` quarantine rows, and the counts still reconcile."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from cdp.config import Settings
from cdp.ingest import DeltaWriter, IngestStats, process_message, process_record
from storage import Lakehouse

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _suppress(lake: Lakehouse, settings: Settings, *identifiers: str) -> None:
    lake.append(
        "suppression",
        [
            {"identifier_hash": settings.privacy.hash_identifier(i), "erased_at": AT}
            for i in identifiers
        ],
    )


def test_a_batch_mixing_a_suppressed_user_and_another(settings: Settings, lake: Lakehouse) -> None:
    _suppress(lake, settings, "user_id:gone-user")
    body = {
        "batch": [
            {
                "type": "identify",
                "userId": "gone-user",
                "messageId": "m-1",
                "timestamp": "2026-11-20T09:00:00Z",
                "traits": {"email": "gone@example.org", "lastName": "Gonewright"},
                "context": {"consent": {"categoryPreferences": {"Advertising": True}}},
            },
            {
                "type": "track",
                "userId": "kept-user",
                "event": "Order Completed",
                "messageId": "m-2",
                "timestamp": "2026-11-20T09:00:01Z",
            },
            {
                "type": "track",
                "anonymousId": "anon-x",
                "userId": "gone-user",
                "event": "Viewed",
                "messageId": "m-3",
                "timestamp": "2026-11-20T09:00:02Z",
            },
        ]
    }
    outcome = process_message(settings, "web", body, stream="s1", received_at=AT)
    assert outcome.count("events") == 3 and outcome.count("identity_records") == 1
    stats = IngestStats()
    DeltaWriter(lake, flow_id="f", stats=stats, privacy=settings.privacy).write([outcome])

    report = stats.report(flow_id="f", elapsed=1.0)
    assert report.reconciled and report.inputs == 3
    assert report.events == 1 and report.quarantined == {"suppressed": 2}
    assert lake.read("events").get_column("user_id").to_list() == ["kept-user"]
    held = lake.read("quarantine")
    assert held.get_column("error_type").to_list() == ["suppressed", "suppressed"]
    assert held.get_column("payload").null_count() == 2
    assert lake.count("identity_records") == 0 and lake.count("consent_ledger") == 0
    assert lake.count("raw_events") == 0  # the body held the erased person's data: not kept
    # a replay of the same stream writes nothing twice
    DeltaWriter(lake, flow_id="f", privacy=settings.privacy).write([outcome])
    assert lake.count("quarantine") == 2 and lake.count("events") == 1


def test_a_record_is_held_back_by_any_of_its_identifiers(
    settings: Settings, lake: Lakehouse
) -> None:
    _suppress(lake, settings, "phone:+41791234567", "crm:0039OLD")
    writer = DeltaWriter(lake, flow_id="f", privacy=settings.privacy)
    rows = [
        {"Id": "0039NEW1", "LastName": "A", "Phone": "+41 79 123 45 67", "IsDeleted": "false"},
        {"Id": "0039OLD", "LastName": "B", "Email": "b@example.org", "IsDeleted": "false"},
        {"Id": "0039NEW2", "LastName": "C", "Phone": "+41 79 765 43 21", "IsDeleted": "false"},
    ]
    outcomes = [
        process_record(settings, "crm", row, seq=i + 1, stream="crm-file", received_at=AT)
        for i, row in enumerate(rows)
    ]
    writer.write(outcomes)
    kept = lake.read("identity_records").get_column("source_record_id").to_list()
    assert kept == ["0039NEW2"]
    quarantine = lake.read("quarantine").filter(pl.col("error_type") == "suppressed")
    assert quarantine.height == 2
    assert writer.stats.report(flow_id="f", elapsed=1.0).reconciled

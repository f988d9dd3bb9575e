"""The continuous dataflow: the collector's landing log and drop folders, exactly once."""

from __future__ import annotations

import gzip
import shutil
import time
from typing import Any

import orjson
import polars as pl
from pipeline_helpers import files, manifest, streaming, wait_for

from cdp.config import CsvSettings, Settings
from cdp.ingest import IngestReport
from cdp.landing import LandingEntry, LandingLog, landing_root
from cdp.synth import GenerationReport
from storage import Lakehouse


def _msg(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Product Viewed",
        "messageId": f"msg-{i}",
        "anonymousId": f"anon-{i % 3}",
        "timestamp": "2026-04-01T10:00:00.000Z",
        "sentAt": "2026-04-01T10:00:00.100Z",
        **extra,
    }


def test_landing_entries_are_ingested_once(settings: Settings) -> None:
    lake = Lakehouse.from_settings(settings)
    with LandingLog(landing_root(settings), segment_bytes=2048) as log:
        consent = {"consent": {"categoryPreferences": {"Advertising": False, "Analytics": True}}}
        batch = {
            "batch": [_msg(1), _msg(2), _msg(1), {"type": "track", "anonymousId": "x"}, 5],
            "context": consent,
        }
        log.append_sync(
            LandingEntry.create(source="web", route="batch", payload=orjson.dumps(batch))
        )
        log.append_sync(
            LandingEntry.create(source="web", route="track", payload=orjson.dumps(_msg(3)))
        )
        identify = {"messageId": "id-1", "userId": "usr-1", "traits": {"email": "a@b.ch"}}
        log.append_sync(
            LandingEntry.create(source="web", route="identify", payload=orjson.dumps(identify))
        )
        log.append_sync(
            LandingEntry.create(
                source="web",
                route="rejected",
                payload=b'{"batch": [',
                meta={"error_type": "bad_json", "error": "body is not valid JSON (UTF-8)"},
            )
        )
        log.append_sync(
            LandingEntry.create(source="nowhere", route="track", payload=orjson.dumps(_msg(4)))
        )
        log.append_sync(
            LandingEntry.create(
                source="web",
                route="page",
                payload=orjson.dumps(_msg(5, type="page")),
                meta={"gpc": "1"},
            )
        )
        with streaming(settings) as out:
            wait_for(lambda: lake.count("events") >= 5 and lake.count("quarantine") >= 4)
            # entries landed while the stream runs show up too
            for i in range(10, 40):
                log.append_sync(
                    LandingEntry.create(source="web", route="track", payload=orjson.dumps(_msg(i)))
                )
            wait_for(lambda: lake.count("events") >= 35)
        report: IngestReport = out["report"]

        events = lake.read("events")
        assert sorted(events["event_id"]) == sorted(
            ["msg-1", "msg-2", "msg-3", "id-1", "msg-5", *[f"msg-{i}" for i in range(10, 40)]]
        )
        quarantine = lake.read("quarantine").sort("record_ref")
        assert sorted(quarantine["error_type"]) == sorted(
            ["schema", "schema", "bad_json", "unknown_source"]
        )
        assert report.inputs == 5 + 1 + 1 + 1 + 1 + 1 + 30
        assert report.duplicates == 1 and report.reconciled
        assert lake.count("raw_events") == 6 + 30
        ledger = lake.read("consent_ledger")
        web_cmp = ledger.filter(pl.col("method") == "web_cmp")
        stated = web_cmp.select("subject_value", "purpose", "status").rows()
        assert sorted(stated) == [
            ("anon-1", "advertising", "denied"),
            ("anon-1", "analytics", "granted"),
            ("anon-2", "advertising", "denied"),
            ("anon-2", "analytics", "granted"),
        ]
        assert ledger.filter(pl.col("method") == "gpc").height == 1
        identities = lake.read("identity_records")
        assert identities["source_record_id"].to_list() == ["usr-1"]

        # a restart continues behind what was done: nothing twice
        for i in range(40, 45):
            log.append_sync(
                LandingEntry.create(source="web", route="track", payload=orjson.dumps(_msg(i)))
            )
        with streaming(settings) as out:
            wait_for(lambda: lake.count("events") >= 40)
        assert out["report"].inputs == 5
        assert lake.count("events") == 40
        assert lake.read("events")["event_id"].n_unique() == 40

        # consumed segments are deleted (the current one stays)
        lane = landing_root(settings) / log.lane
        assert sorted(p.name for p in lane.glob("*.log"))[0] != "000000000000.log"


def test_drop_folders_read_each_file_once(settings: Settings, generated: GenerationReport) -> None:
    lake = Lakehouse.from_settings(settings)
    crm_files = files(generated, "crm")
    web_files = files(generated, "web")
    drops = settings.base_dir / "drops"
    counts = manifest(generated)["counts"]
    with streaming(settings) as out:
        (drops / "crm").mkdir(parents=True, exist_ok=True)
        shutil.copy(crm_files[0], drops / "crm" / "contacts-a.csv")
        wait_for(lambda: lake.count("events") == counts["crm_records"])
        (drops / "web").mkdir(parents=True, exist_ok=True)
        (drops / "web" / "notes.txt").write_text("not an input: left alone")
        for path in web_files:  # gzip-compressed, as Segment's archives come
            tmp = drops / "web" / f".{path.name}.gz.part"  # write, then move in
            tmp.write_bytes(gzip.compress(path.read_bytes()))
            tmp.replace(drops / "web" / f"{path.name}.gz")
        total = counts["crm_records"] + counts["web_events"]
        wait_for(lambda: lake.count("events") == total)
    report: IngestReport = out["report"]
    assert report.inputs == counts["crm_records"] + counts["web_lines"] and report.reconciled
    # a restart does not read the files again
    with streaming(settings) as out:
        time.sleep(1.0)
    assert out["report"].inputs == 0
    assert lake.count("events") == total
    history = lake.history("raw_events")
    assert any(h.get("operation") == "OPTIMIZE" for h in history)  # small files compacted


def test_a_drop_folder_reads_csv_files_in_the_sources_dialect(settings: Settings) -> None:
    """A tab-separated cp1252 export dropped for a source that declares cp1252: its records
    with their accented names, raw payloads labelled with the file's type and charset."""
    crm = settings.sources["crm"]
    settings = settings.model_copy(
        update={
            "sources": {
                **settings.sources,
                "crm": crm.model_copy(update={"csv": CsvSettings(encoding="cp1252")}),
            }
        }
    )
    header = "Id\tFirstName\tLastName\tEmail\tMailingCity\tLastModifiedDate\r\n"
    rows = [
        ("0031X1", "Zoë", "Müller", "zoe.mueller@example.ch", "Zürich"),
        ("0031X2", "François", "Lefèvre", "f.lefevre@example.ch", "Genève"),
        ("0031X3", "Jörg", "Strauß", "j.strauss@example.de", "Köln"),
    ]
    body = "".join("\t".join((*row, "2026-01-02T03:04:05.000+0000")) + "\r\n" for row in rows)
    drops = settings.base_dir / "drops" / "crm"
    drops.mkdir(parents=True, exist_ok=True)
    lake = Lakehouse.from_settings(settings)
    with streaming(settings):
        part = drops / ".contacts.tsv.part"
        part.write_bytes((header + body).encode("cp1252"))
        part.replace(drops / "contacts.tsv")
        wait_for(lambda: lake.count("identity_records") == len(rows))
    identities = lake.read("identity_records").sort("source_record_id")
    assert identities.select("first_name", "last_name", "city").rows() == [
        (first, last, city) for _, first, last, _, city in rows
    ]
    raw = lake.read("raw_events")
    assert set(raw["content_type"]) == {"text/tab-separated-values; charset=cp1252"}
    assert sorted(raw["payload"]) == sorted(
        line.encode("cp1252") for line in body.split("\r\n")[:-1]
    )

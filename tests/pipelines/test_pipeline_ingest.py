"""Batch ingest dataflow: generated data reconciles exactly, reruns add nothing, -w 2 == -w 1."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import runpy
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pipeline_helpers import expect, files, manifest, settings_at, snapshot

import pipelines._pool
from cdp.config import (
    ConfigError,
    CsvSettings,
    KafkaSettings,
    Settings,
    SourceConfig,
    load_config,
)
from cdp.ingest import (
    IngestError,
    IngestInterruptedError,
    IngestOptions,
    IngestReport,
    InputFileError,
    UnsupportedSourceError,
)
from cdp.ingest.readers import COMPRESSION_RATIO, FilePosition, JsonLinesReader
from cdp.ingest.writer import SMALL_FILE_BYTES
from cdp.synth import GenerationReport
from pipelines._pool import ChunkPool, LinesTask
from pipelines.ingest import (
    AUTO_HELPERS_MIN_BYTES,
    AUTO_HELPERS_RECORD_MIN_BYTES,
    build_ingest_flow,
    default_parse_processes,
    reprocess_label,
    run_ingest,
)
from storage import Lakehouse

SOURCES = ("crm", "erp", "web")
ROOT = Path(__file__).resolve().parents[2]


def _with_csv(settings: Settings, source: str, csv: CsvSettings) -> Settings:
    """``settings`` whose ``source`` reads its CSV files in the dialect ``csv``."""
    config = settings.sources[source].model_copy(update={"csv": csv})
    return settings.model_copy(update={"sources": {**settings.sources, source: config}})


def _same_columns(got: Lakehouse, want: Lakehouse, table: str, columns: list[str]) -> None:
    """``columns`` of ``table`` hold the same rows in both lakehouses (sorted by the first)."""
    key = columns[0]
    assert (
        got.read(table).select(columns).sort(key).equals(want.read(table).select(columns).sort(key))
    ), table


def _ingest_all(
    settings: Settings, generated: GenerationReport, **kwargs: object
) -> dict[str, IngestReport]:
    return {
        source: run_ingest(settings, source, files(generated, source), **kwargs)  # type: ignore[arg-type]
        for source in SOURCES
    }


@pytest.fixture(scope="module")
def ingested(
    sample_settings: Settings, generated: GenerationReport, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, dict[str, IngestReport]]:
    settings = settings_at(sample_settings, tmp_path_factory.mktemp("ingest") / "cdp")
    return settings, _ingest_all(settings, generated)


def test_generated_data_reconciles_with_the_manifest(
    ingested: tuple[Settings, dict[str, IngestReport]], generated: GenerationReport
) -> None:
    settings, reports = ingested
    counts = manifest(generated)["counts"]
    bad = manifest(generated)["bad_lines"]
    lake = Lakehouse.from_settings(settings)
    events = lake.read("events")

    crm, erp, web = reports["crm"], reports["erp"], reports["web"]
    assert (crm.inputs, crm.events, crm.quarantined_total) == (counts["crm_records"],) * 2 + (0,)
    assert (erp.inputs, erp.events, erp.quarantined_total) == (counts["erp_records"],) * 2 + (0,)
    assert web.inputs == counts["web_lines"]
    assert web.events == counts["web_events"]
    assert web.duplicates == counts["web_duplicate_messages"]
    assert web.quarantined == {
        "bad_json": bad["truncated_json"],
        "missing_identity": bad["missing_ids"],
        "schema": bad["track_without_event"],
    }
    for report in reports.values():
        assert report.reconciled and report.skipped == 0
    deletes = events.filter((pl.col("source") == "crm") & (pl.col("event_name") == "delete"))
    assert deletes.height == counts["crm_deleted"]
    assert events["event_id"].n_unique() == events.height
    assert lake.count("raw_events") == sum(r.inputs for r in reports.values())


def test_every_input_is_an_event_a_quarantine_row_or_a_duplicate_by_id(
    ingested: tuple[Settings, dict[str, IngestReport]], generated: GenerationReport
) -> None:
    settings, _ = ingested
    lake = Lakehouse.from_settings(settings)
    events = lake.read("events")
    quarantine = lake.read("quarantine")
    for source in SOURCES:
        expected = expect(settings, source, files(generated, source))
        got_ids = set(events.filter(pl.col("source") == source)["event_id"].to_list())
        assert got_ids == expected.event_ids
        rejected = quarantine.filter(pl.col("source") == source)
        refs = dict(
            zip(rejected["record_ref"].to_list(), rejected["error_type"].to_list(), strict=True)
        )
        assert refs == expected.rejected_refs
        assert expected.inputs == len(got_ids) + len(refs) + expected.duplicates


def test_identity_records_hold_the_latest_version_and_honour_deletes(
    ingested: tuple[Settings, dict[str, IngestReport]], generated: GenerationReport
) -> None:
    settings, _ = ingested
    lake = Lakehouse.from_settings(settings)
    identities = lake.read("identity_records")
    assert identities.select("source", "source_record_id").is_duplicated().sum() == 0
    crm = identities.filter(pl.col("source") == "crm")
    expected = expect(settings, "crm", files(generated, "crm"))
    live = crm.filter(~pl.col("deleted"))["source_record_id"].to_list()
    assert not set(live) & expected.deletes
    assert len(live) == manifest(generated)["counts"]["crm_records"] - len(expected.deletes)
    assert (
        identities.filter(pl.col("source") == "erp").height
        == manifest(generated)["counts"]["erp_records"]
    )
    web = identities.filter(pl.col("source") == "web")
    assert web.height > 0 and web["email"].drop_nulls().len() > 0


def test_consent_signals_land_in_the_ledger(
    ingested: tuple[Settings, dict[str, IngestReport]],
) -> None:
    settings, _ = ingested
    ledger = Lakehouse.from_settings(settings).read("consent_ledger")
    assert ledger["idempotency_key"].n_unique() == ledger.height
    crm = ledger.filter(pl.col("method") == "crm_flag")
    assert crm.height > 0 and set(crm["status"]) == {"denied"}
    assert set(crm["purpose"]) == {"email_marketing"}
    web = ledger.filter(pl.col("method") == "web_cmp")
    assert set(web["purpose"]) <= {"advertising", "analytics", "personalization"}
    assert web.height > 0 and {"granted", "denied"} <= set(web["status"])


def test_ingesting_the_same_files_again_adds_nothing(
    ingested: tuple[Settings, dict[str, IngestReport]], generated: GenerationReport
) -> None:
    settings, _ = ingested
    lake = Lakehouse.from_settings(settings)
    before = snapshot(lake)
    for kwargs in ({}, {"recovery": False}, {"workers": 2}):
        rerun = _ingest_all(settings, generated, **kwargs)  # re-read: all committed already
        for source, report in rerun.items():
            assert report.skipped == report.inputs > 0, source
            assert report.commits == 0
    # another set of files of the same source (its own recovery state), then both together
    subset = run_ingest(settings, "web", files(generated, "web")[:1])
    assert subset.skipped == subset.inputs
    assert snapshot(lake) == before


def test_two_workers_give_the_same_tables_as_one(
    ingested: tuple[Settings, dict[str, IngestReport]],
    generated: GenerationReport,
    sample_settings: Settings,
    tmp_path: Path,
) -> None:
    settings, _ = ingested
    two = settings_at(sample_settings, tmp_path / "two")
    reports = _ingest_all(two, generated, workers=2)
    assert all(r.reconciled for r in reports.values())
    assert snapshot(Lakehouse.from_settings(two)) == snapshot(Lakehouse.from_settings(settings))


@pytest.mark.integration
def test_compressed_files_give_the_tables_of_the_plain_ones(
    ingested: tuple[Settings, dict[str, IngestReport]],
    generated: GenerationReport,
    sample_settings: Settings,
    tmp_path: Path,
) -> None:
    """The generated files compressed (CRM gzip, ERP bzip2, web xz) give the rows of the plain
    files; the quarantine's refs name the compressed files. The web file's chunks go to a
    helper process, read by the dataflow (a helper cannot seek in compressed data)."""
    settings, plain = ingested
    packed = settings_at(sample_settings, tmp_path / "packed")
    folder = tmp_path / "files"
    folder.mkdir()
    codecs = {
        "crm": (".gz", gzip.compress),
        "erp": (".bz2", bz2.compress),
        "web": (".xz", lzma.compress),
    }
    names: dict[str, str] = {}
    for source in SOURCES:
        suffix, compress = codecs[source]
        paths = []
        for path in files(generated, source):
            target = folder / f"{path.name}{suffix}"
            target.write_bytes(compress(path.read_bytes()))
            names[target.name] = path.name
            paths.append(target)
        options = IngestOptions(chunk_rows=200, parse_processes=1, helper_start="wait")
        report = run_ingest(packed, source, paths, options=options if source == "web" else None)
        assert report.reconciled
        assert (report.inputs, report.events) == (plain[source].inputs, plain[source].events)
    lake, want = Lakehouse.from_settings(packed), Lakehouse.from_settings(settings)
    got_rows, want_rows = snapshot(lake, consent=False), snapshot(want, consent=False)
    for name in ("events", "identity_records"):
        assert got_rows[name] == want_rows[name], name
    assert sorted(lake.read("raw_events")["payload"]) == sorted(want.read("raw_events")["payload"])

    def quarantined(frame: pl.DataFrame) -> list[tuple[str, str]]:
        rows = frame.select("record_ref", "error_type").rows()
        return sorted(
            (names.get(n, n) + ":" + line, t)
            for n, line, t in ((*ref.rsplit(":", 1), t) for ref, t in rows)
        )

    assert quarantined(lake.read("quarantine")) == quarantined(want.read("quarantine"))
    assert lake.read("quarantine").height > 0


def test_a_json_array_export_gives_the_tables_of_the_same_messages_as_json_lines(
    generated: GenerationReport, sample_settings: Settings, tmp_path: Path
) -> None:
    """The generated web messages as one JSON array (an API export, pretty-printed and
    gzipped) give the rows of the same messages as JSON lines: events with the same columns,
    identity records, consent statements and quarantine; each element's raw payload is its
    text as written. Its chunks go to a helper process; a CRM export as an array too."""
    web = files(generated, "web")[0]
    lines = [line for line in web.read_bytes().split(b"\n") if line.strip()]

    def is_json(line: bytes) -> bool:
        try:
            orjson.loads(line.decode("utf-8", "surrogateescape").encode("utf-8", "replace"))
        except (orjson.JSONDecodeError, UnicodeError):
            return False
        return True

    kept = [line for line in lines if is_json(line)]
    assert len(lines) - 20 < len(kept) < len(lines)  # the bad JSON lines cannot be elements
    plain = tmp_path / "messages.jsonl"
    plain.write_bytes(b"\n".join(kept) + b"\n")
    export = tmp_path / "export.json.gz"
    export.write_bytes(gzip.compress(b"[\n  " + b",\n  ".join(kept) + b"\n]\n"))
    # CRM contacts as JSON objects (the export of a REST API), against the same as JSON lines
    contacts = pl.read_csv(files(generated, "crm")[0], infer_schema=False).to_dicts()[:300]
    crm_lines = tmp_path / "contacts.jsonl"
    crm_lines.write_bytes(b"\n".join(orjson.dumps(c) for c in contacts))
    crm_export = tmp_path / "contacts.json"
    crm_export.write_bytes(orjson.dumps(contacts, option=orjson.OPT_INDENT_2))

    reports = {}
    for name, web_path, crm_path in (("lines", plain, crm_lines), ("array", export, crm_export)):
        settings = settings_at(sample_settings, tmp_path / name)
        options = IngestOptions(chunk_rows=200, parse_processes=1, helper_start="wait")
        reports[name] = (
            run_ingest(settings, "web", [web_path], options=options),
            run_ingest(settings, "crm", [crm_path]),
        )
        assert all(r.reconciled for r in reports[name])
    (web_lines, crm_lines_report), (web_array, crm_array) = reports["lines"], reports["array"]
    assert (web_array.inputs, web_array.events) == (web_lines.inputs, web_lines.events)
    assert web_array.inputs == len(kept) and web_array.events > len(kept) - 100
    assert (crm_array.inputs, crm_array.events) == (crm_lines_report.inputs, len(contacts))
    got = Lakehouse.from_settings(settings_at(sample_settings, tmp_path / "array"))
    want = Lakehouse.from_settings(settings_at(sample_settings, tmp_path / "lines"))
    got_rows, want_rows = snapshot(got), snapshot(want)
    for table in ("events", "identity_records", "consent_ledger"):  # (raw ids name the file)
        assert got_rows[table] == want_rows[table], table
    assert got_rows["consent_ledger"]
    columns = ["event_id", "event_type", "occurred_at", "user_id", "properties", "context"]
    _same_columns(got, want, "events", columns)

    # each element's payload is its text as written: the web lines themselves, and the CRM
    # contacts pretty-printed
    def payloads(lake: Lakehouse, source: str) -> list[bytes]:
        return sorted(lake.read("raw_events").filter(pl.col("source") == source)["payload"])

    assert payloads(got, "web") == payloads(want, "web")
    fields = len(contacts[0])
    assert all(c.count(b"\n") == fields + 1 for c in payloads(got, "crm"))  # a line per field
    assert sorted(orjson.loads(c)["Id"] for c in payloads(got, "crm")) == sorted(
        c["Id"] for c in contacts
    )

    def quarantined(lake: Lakehouse) -> list[tuple[str, str]]:
        frame = lake.read("quarantine").select("record_ref", "error_type")
        return sorted((ref.rsplit(":", 1)[1], kind) for ref, kind in frame.rows())

    assert quarantined(got) == quarantined(want)
    assert quarantined(got)  # (the generated messages include invalid ones)
    assert got.read("quarantine")["record_ref"].str.starts_with("export.json.gz:").any()


def test_a_stopped_ingest_of_a_compressed_file_resumes_where_it_stopped(
    generated: GenerationReport,
    sample_settings: Settings,
    tmp_path: Path,
) -> None:
    """Stopped after its first chunk, a run over a truncated gzip file resumes at the
    snapshot's position (decompressing up to it): every readable line once, and the one
    ``bad_compression`` input for the lost rest once."""
    web = files(generated, "web")[0]
    data = gzip.compress(web.read_bytes())
    cut = tmp_path / f"{web.name}.gz"
    cut.write_bytes(data[: len(data) * 3 // 4])
    readable = gzip.GzipFile(fileobj=io.BytesIO(cut.read_bytes()))
    got = b""
    with pytest.raises(EOFError):
        while part := readable.read1(1 << 16):
            got += part
    lines = got.count(b"\n") + (1 if not got.endswith(b"\n") else 0)

    stopped = settings_at(sample_settings, tmp_path / "stopped")
    recovery = tmp_path / "recovery"

    def progress(done: int, total: int) -> None:
        if done < total:  # as Ctrl-C after the first chunk: the flow stops after its epoch
            signal.raise_signal(signal.SIGINT)

    small = IngestOptions(chunk_rows=50)
    with pytest.raises(IngestInterruptedError):
        run_ingest(stopped, "web", [cut], options=small, recovery_dir=recovery, progress=progress)
    lake = Lakehouse.from_settings(stopped)
    first = lake.read("raw_events").height
    report = run_ingest(stopped, "web", [cut], options=small, recovery_dir=recovery)
    assert report.reconciled and 0 < first < report.inputs + first
    raw = lake.read("raw_events")
    assert raw.height == raw["raw_id"].n_unique() == first + report.inputs
    assert sorted(raw["payload"].to_list()) == sorted(
        [line for line in got.split(b"\n") if line.strip()] + [b""]
    )
    damaged = lake.read("quarantine").filter(pl.col("error_type") == "bad_compression")
    assert damaged["record_ref"].to_list() == [f"{cut.name}:{lines + 1}"]


def test_a_run_compacts_the_partitions_that_gathered_small_files(
    ingested: tuple[Settings, dict[str, IngestReport]],
    generated: GenerationReport,
    sample_settings: Settings,
    tmp_path: Path,
) -> None:
    """Small commits leave small files in every month of ``events``; once a partition holds
    ``compact_files`` of them the run ends with a compaction, which changes no row."""
    settings, _ = ingested
    often = IngestOptions(flush_rows=300)  # a commit every 60 inputs: many small files
    plain = settings_at(sample_settings, tmp_path / "plain")
    reports = _ingest_all(plain, generated, options=replace(often, compact_files=0))
    assert all(r.compacted == {} and r.compaction == 0 for r in reports.values())
    gathered = Lakehouse.from_settings(plain).small_files("events", below=SMALL_FILE_BYTES)
    most = max(gathered.values())
    assert most >= 4

    compacted = settings_at(sample_settings, tmp_path / "compacted")
    reports = _ingest_all(compacted, generated, options=replace(often, compact_files=most))
    web = reports["web"]
    assert web.reconciled and web.compacted["events"] > 0 and web.compaction > 0
    assert web.to_json()["compacted"] == web.compacted
    lake = Lakehouse.from_settings(compacted)
    assert max(lake.small_files("events", below=SMALL_FILE_BYTES).values()) == 1
    assert snapshot(lake) == snapshot(Lakehouse.from_settings(settings))


@pytest.mark.integration
def test_helper_processes_give_the_same_tables_and_resume_after_a_stop(
    ingested: tuple[Settings, dict[str, IngestReport]],
    generated: GenerationReport,
    sample_settings: Settings,
    tmp_path: Path,
) -> None:
    """Chunks processed by a pool of helper processes (``parse_processes``) give the tables of
    the dataflow's own processing; a run stopped while chunks are in flight resumes from the
    last outcome it emitted (the chunks in flight are read again), with nothing lost or
    written twice."""
    settings, _ = ingested
    pooled = settings_at(sample_settings, tmp_path / "pooled")
    options = IngestOptions(chunk_rows=200, parse_processes=2, helper_start="wait")
    reports = _ingest_all(pooled, generated, options=options)
    assert all(r.reconciled for r in reports.values())
    # (the consent ledger collapses a choice restated within a chunk: it depends on chunk size)
    pooled_tables = snapshot(Lakehouse.from_settings(pooled), consent=False)
    assert pooled_tables == snapshot(Lakehouse.from_settings(settings), consent=False)

    stopped = settings_at(sample_settings, tmp_path / "stopped")
    web = files(generated, "web")
    recovery = tmp_path / "recovery"

    def progress(done: int, total: int) -> None:
        if done < total:  # as Ctrl-C after the first chunk: the flow stops after its epoch
            signal.raise_signal(signal.SIGINT)

    small = IngestOptions(chunk_rows=50, parse_processes=1, helper_start="wait")
    with pytest.raises(IngestInterruptedError):
        run_ingest(stopped, "web", web, options=small, recovery_dir=recovery, progress=progress)
    lake = Lakehouse.from_settings(stopped)
    first = lake.read("events").height
    assert first < reports["web"].events
    report = run_ingest(stopped, "web", web, options=small, recovery_dir=recovery)
    assert report.reconciled
    want = Lakehouse.from_settings(settings)
    is_web = pl.col("source") == "web"
    for name, key in (
        ("events", "event_id"),
        ("raw_events", "raw_id"),
        ("quarantine", "record_ref"),
    ):
        got = lake.read(name).filter(is_web)[key].to_list()
        assert sorted(got) == sorted(want.read(name).filter(is_web)[key].to_list()), name

    # by default the first chunks are processed in the dataflow while the helpers start
    mixed = settings_at(sample_settings, tmp_path / "mixed")
    report = run_ingest(mixed, "web", web, options=IngestOptions(chunk_rows=20, parse_processes=1))
    assert report.reconciled
    mixed_lake = Lakehouse.from_settings(mixed)
    for name, key in (("events", "event_id"), ("raw_events", "raw_id")):
        got = mixed_lake.read(name)[key].to_list()
        assert sorted(got) == sorted(want.read(name).filter(is_web)[key].to_list()), name


@pytest.mark.integration
def test_byte_ranges_and_a_process_cluster_give_the_same_tables(
    ingested: tuple[Settings, dict[str, IngestReport]],
    generated: GenerationReport,
    sample_settings: Settings,
    tmp_path: Path,
) -> None:
    settings, reports = ingested
    cluster = settings_at(sample_settings, tmp_path / "cluster")
    options = IngestOptions(range_bytes=150_000, chunk_rows=300)
    report = run_ingest(cluster, "web", files(generated, "web"), processes=2, options=options)
    assert report.reconciled
    assert (report.inputs, report.events, report.duplicates, report.quarantined) == (
        reports["web"].inputs,
        reports["web"].events,
        reports["web"].duplicates,
        reports["web"].quarantined,
    )
    got, want = Lakehouse.from_settings(cluster), Lakehouse.from_settings(settings)
    web = pl.col("source") == "web"
    for name, key in (("events", "event_id"), ("quarantine", "record_ref")):
        assert sorted(got.read(name).filter(web)[key]) == sorted(want.read(name).filter(web)[key])
    identities = ("source_record_id", "updated_at", "email")
    assert sorted(got.read("identity_records").filter(web).select(identities).rows()) == sorted(
        want.read("identity_records").filter(web).select(identities).rows()
    )
    assert got.read("raw_events").height == report.inputs


def test_bad_inputs_of_every_kind_are_quarantined(settings: Settings, tmp_path: Path) -> None:
    crm = tmp_path / "bad.csv"
    crm.write_bytes(
        b"Id,FirstName,LastName,Email,LastModifiedDate,IsDeleted,HasOptedOutOfEmail\r\n"
        b"1,Anna,Muster,anna@example.ch,2026-01-01T00:00:00.000+0000,false,true\r\n"
        b"2,Bad,\xff\xfe,x@example.ch,,false,false\r\n"
        b"3,Too,Few\r\n"
        b",No,Id,noid@example.ch,,false,false\r\n"
        b"5,,,,,false,false\r\n"
        b"6,Ok,Two,two@example.ch,2026-01-02T00:00:00.000+0000,false,false\r\n"
    )
    report = run_ingest(settings, "crm", [crm], recovery=False)
    assert report.inputs == 6 and report.events == 2
    assert report.quarantined == {
        "bad_encoding": 1,
        "missing_field": 1,
        "missing_identity": 1,
        "schema": 1,
    }
    web = tmp_path / "bad.jsonl"
    good = {"type": "track", "event": "E", "messageId": "ok", "anonymousId": "a"}
    web.write_bytes(
        b"\n".join(
            [
                orjson.dumps(good),
                b'{"type": "track", "event": "E", "anonym',
                b'{"type": "track", "event": "\xff", "anonymousId": "a"}',
                orjson.dumps({"type": "track", "event": "E"}),
                orjson.dumps({"type": "track", "event": 5, "anonymousId": "a"}),
                orjson.dumps({"type": "teleport", "anonymousId": "a"}),
                orjson.dumps({**good, "messageId": "big", "properties": {"x": "y" * 40_000}}),
                orjson.dumps({"batch": [good, {"type": "page"}, "oops"]}),
                orjson.dumps(good),
            ]
        )
    )
    report = run_ingest(settings, "web", [web], recovery=False)
    assert report.inputs == 11 and report.events == 1 and report.duplicates == 2
    assert report.quarantined == {
        "bad_encoding": 1,
        "bad_json": 1,
        "missing_identity": 2,
        "oversize": 1,
        "schema": 2,
        "unknown_type": 1,
    }
    table = pa.table({"Id": ["p1", "p2"], "FirstName": ["A", "B"], "Email": ["a@x.ch", None]})
    parquet = tmp_path / "p.parquet"
    pq.write_table(table, parquet)
    report = run_ingest(settings, "crm", [parquet], recovery=False)
    assert (report.events, report.quarantined) == (1, {"missing_identity": 1})
    quarantine = Lakehouse.from_settings(settings).read("quarantine")
    assert quarantine.height == 4 + 8 + 1
    assert quarantine["payload"].null_count() == 0


def test_versions_and_change_events(settings: Settings, tmp_path: Path) -> None:
    rows = [
        {
            "op": "c",
            "after": {"Id": "9", "Email": "v1@x.ch", "LastModifiedDate": "2026-01-01T00:00:00Z"},
        },
        {
            "op": "u",
            "after": {"Id": "9", "Email": "v3@x.ch", "LastModifiedDate": "2026-03-01T00:00:00Z"},
        },
        {
            "op": "u",
            "after": {"Id": "9", "Email": "v2@x.ch", "LastModifiedDate": "2026-02-01T00:00:00Z"},
        },
        {
            "op": "c",
            "after": {"Id": "10", "Email": "gone@x.ch", "LastModifiedDate": "2026-01-01T00:00:00Z"},
        },
    ]
    first = tmp_path / "cdc-1.jsonl"
    first.write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    run_ingest(settings, "crm", [first], recovery=False)
    second = tmp_path / "cdc-2.jsonl"
    second.write_bytes(
        orjson.dumps({"op": "d", "before": {"Id": "10"}, "ts_ms": 1_780_000_000_000})
        + b"\n"
        + orjson.dumps(
            {
                "op": "u",
                "after": {
                    "Id": "9",
                    "Email": "old@x.ch",
                    "LastModifiedDate": "2025-01-01T00:00:00Z",
                },
            }
        )
    )
    run_ingest(settings, "crm", [second], recovery=False)
    identities = Lakehouse.from_settings(settings).read("identity_records")
    assert identities.filter(pl.col("source_record_id") == "9")["email"].to_list() == ["v3@x.ch"]
    assert identities.filter(pl.col("source_record_id") == "10").height == 0


def test_bad_arguments(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(InputFileError):
        run_ingest(settings, "crm", [tmp_path / "missing.csv"])
    odd = tmp_path / "x.txt"
    odd.write_text("Id\n1\n")
    build_ingest_flow(settings, "crm", [odd], flow_id="f")  # the source's format: CSV
    kafka = SourceConfig(
        name="topic",
        kind="crm",
        format="kafka",
        record_id="Id",
        fields={"email": "Email"},  # type: ignore[dict-item]
        kafka=KafkaSettings(brokers="127.0.0.1:9", topic="t"),
    )
    with_kafka = settings.model_copy(update={"sources": {**settings.sources, "topic": kafka}})
    with pytest.raises(UnsupportedSourceError):
        build_ingest_flow(with_kafka, "topic", [odd], flow_id="f")


def test_a_partial_recovery_folder_is_replaced_and_a_whole_one_kept(tmp_path: Path) -> None:
    """A kill while the recovery partitions were being created must not break the next run:
    they are made in a staging folder renamed into place; a partial set (an older layout killed
    midway) is created afresh, and a whole set is left alone (it holds the epochs)."""
    from bytewax.recovery import init_db_dir

    from pipelines._flow import prepare_recovery

    fresh = tmp_path / "fresh"
    prepare_recovery(fresh)
    parts = sorted(p.name for p in fresh.iterdir())
    assert parts == ["part-0.sqlite3", "part-1.sqlite3"]
    assert [p.name for p in tmp_path.iterdir()] == ["fresh"]  # no staging folder left

    partial = tmp_path / "partial"
    partial.mkdir()
    init_db_dir(partial, 2)
    (partial / "part-1.sqlite3").unlink()
    prepare_recovery(partial)
    assert sorted(p.name for p in partial.iterdir()) == parts

    marker = fresh / "part-0.sqlite3"
    before = marker.stat().st_mtime_ns, marker.stat().st_ino
    prepare_recovery(fresh)
    assert (marker.stat().st_mtime_ns, marker.stat().st_ino) == before


def test_cdp_ingest_uses_helpers_for_big_inputs_only(settings: Settings, tmp_path: Path) -> None:
    """Without ``--parse-processes``, ``cdp ingest`` starts one helper per CPU for big JSON-lines
    inputs (which the helpers read themselves) and for smaller CSV files of a record source
    (whose records cost more), none for small ones, other formats or a cluster."""
    small = tmp_path / "small.jsonl"
    small.write_bytes(b'{"type": "track"}\n')
    big = tmp_path / "big.jsonl"
    with big.open("wb") as f:  # sparse: the size counts, not the content
        f.truncate(AUTO_HELPERS_MIN_BYTES)
    table = tmp_path / "big.csv"
    with table.open("wb") as f:
        f.truncate(AUTO_HELPERS_MIN_BYTES * 2)
    cpus = len(os.sched_getaffinity(0))
    assert default_parse_processes(settings, "web", [small]) == 0
    assert default_parse_processes(settings, "web", [big]) == (cpus if cpus > 1 else 0)
    assert default_parse_processes(settings, "web", [small, big]) == (cpus if cpus > 1 else 0)
    assert default_parse_processes(settings, "web", [table]) == 0  # not a web format
    assert default_parse_processes(settings, "web", [big], processes=2) == 0
    contacts = tmp_path / "contacts.csv"
    with contacts.open("wb") as f:
        f.truncate(AUTO_HELPERS_RECORD_MIN_BYTES)
    assert AUTO_HELPERS_RECORD_MIN_BYTES < AUTO_HELPERS_MIN_BYTES
    assert default_parse_processes(settings, "crm", [contacts]) == (cpus if cpus > 1 else 0)
    assert default_parse_processes(settings, "crm", [table]) == (cpus if cpus > 1 else 0)
    few = tmp_path / "few.csv"
    with few.open("wb") as f:
        f.truncate(AUTO_HELPERS_RECORD_MIN_BYTES - 1)
    assert default_parse_processes(settings, "crm", [few]) == 0
    parquet = tmp_path / "contacts.parquet"
    with parquet.open("wb") as f:
        f.truncate(AUTO_HELPERS_MIN_BYTES)
    assert default_parse_processes(settings, "crm", [parquet]) == 0
    assert default_parse_processes(settings, "crm", [contacts], processes=2) == 0
    # a compressed file counts by its data: gzip records its size, other compressions are
    # taken to hold COMPRESSION_RATIO times theirs
    packed = tmp_path / "big.jsonl.gz"
    with packed.open("wb") as f:
        f.truncate(1000)
        f.seek(-4, 2)
        f.write(AUTO_HELPERS_MIN_BYTES.to_bytes(4, "little"))
    assert default_parse_processes(settings, "web", [packed]) == (cpus if cpus > 1 else 0)
    with packed.open("r+b") as f:
        f.seek(-4, 2)
        f.write((AUTO_HELPERS_MIN_BYTES - 1).to_bytes(4, "little"))
    assert default_parse_processes(settings, "web", [packed]) == 0
    xz = tmp_path / "contacts.csv.xz"
    with xz.open("wb") as f:
        f.truncate(-(-AUTO_HELPERS_RECORD_MIN_BYTES // COMPRESSION_RATIO))
    assert default_parse_processes(settings, "crm", [xz]) == (cpus if cpus > 1 else 0)
    with xz.open("r+b") as f:
        f.truncate(AUTO_HELPERS_RECORD_MIN_BYTES // COMPRESSION_RATIO - 1)
    assert default_parse_processes(settings, "crm", [xz]) == 0


def test_a_pool_whose_helpers_cannot_start_fails_its_first_chunk(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helpers start in the background (the dataflow processes chunks itself meanwhile);
    when they cannot start, the pool says it is ready and its first chunk raises the cause."""

    def no_processes() -> None:
        raise OSError("no process may be started here")

    monkeypatch.setattr(pipelines._pool, "_context", no_processes)
    pool = ChunkPool(settings, IngestOptions(), processes=2)
    try:
        deadline = time.monotonic() + 60
        while not pool.ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.ready()
        task = LinesTask(
            "web", "file:web", tmp_path / "web.jsonl", FilePosition(), 1, FilePosition()
        )
        with pytest.raises(IngestError, match="failed to start") as failed:
            pool.submit(task)
        assert isinstance(failed.value.__cause__, OSError)
    finally:
        pool.close()
    assert not pool.folder.exists()


def _run_failing_script(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in its own Python process, which must fail with an exception (exit
    status 1: not killed by a signal, such as the SIGABRT of a Rust panic during a panic)."""
    ran = subprocess.run(
        [sys.executable, str(script), *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 1, ran.stderr[-3000:]
    return ran


#: a script's functions; then the call at its top level, not under the ``__main__`` guard
_SCRIPT_FUNCTIONS = """
from pathlib import Path

from cdp.ingest import IngestOptions
from pipelines.ingest import run_ingest


def later():  # what a process started on purpose runs (Process(target=later))
    return run_ingest(settings, source, paths, recovery=False)
"""
_UNGUARDED_CALL = """
run_ingest(settings, source, paths, recovery=False, options=options)
"""


def test_an_ingest_refuses_to_start_in_a_process_that_imports_the_main_script_again(
    settings: Settings, tmp_path: Path
) -> None:
    """A process that multiprocessing starts imports the main script again (as
    ``__mp_main__``); a script without ``if __name__ == "__main__":`` would start the whole
    ingest again in each helper. ``run_ingest`` refuses at once there, touching nothing."""
    script = tmp_path / "job.py"
    script.write_text(_SCRIPT_FUNCTIONS + _UNGUARDED_CALL)
    given = {
        "settings": settings,
        "source": "no-such-source",
        "paths": [tmp_path / "contacts.csv"],
        "options": IngestOptions(parse_processes=2),
    }
    with pytest.raises(IngestError, match='under `if __name__ == "__main__":`') as refused:
        runpy.run_path(str(script), init_globals=given, run_name="__mp_main__")
    assert "job.py" in str(refused.value)
    assert not Path(settings.lakehouse).exists()  # refused before it created anything
    # the same script run as the main script passes the check (and then fails on the
    # unknown source, as it should) ...
    with pytest.raises(ConfigError, match="unknown source"):
        runpy.run_path(str(script), init_globals=given, run_name="__main__")
    # ... and so does a function of the script that a process runs on purpose
    script.write_text(_SCRIPT_FUNCTIONS)
    imported = runpy.run_path(str(script), init_globals=given, run_name="__mp_main__")
    with pytest.raises(ConfigError, match="unknown source"):
        imported["later"]()


@pytest.mark.integration
def test_an_unguarded_script_with_helpers_fails_clearly_and_writes_nothing(
    generated: GenerationReport, tmp_path: Path
) -> None:
    """The real thing: a script without the guard runs an ingest with two helper processes.
    Each helper refuses to run the script's ingest again (before, each one ran it and wrote
    the chunks it got to); the script stops with the product's error, which says what to do."""
    folder = tmp_path / "cdp"
    crm = [str(p) for p in files(generated, "crm")]
    script = tmp_path / "job.py"
    script.write_text(
        _SCRIPT_FUNCTIONS
        + "from cdp.config import load_config\n"
        + f"settings = load_config({str(ROOT / 'cdp.yaml')!r}).model_copy(\n"
        + f"    update={{'lakehouse': {str(folder / 'lh')!r}}}\n"
        + f").with_base_dir(Path({str(folder)!r}))\n"
        + f"source, paths = 'crm', [Path(p) for p in {crm!r}]\n"
        + "options = IngestOptions(parse_processes=2, helper_start='wait')\n"
        + _UNGUARDED_CALL
    )
    ran = _run_failing_script(script)
    # a helper said why it could not run the script ...
    assert "run_ingest was called while a new process imported the main script job.py" in (
        ran.stderr
    )
    # ... and the script stopped with the product's error, which names the fix (the last
    # error raised; the resource tracker may still warn after it)
    raised = [line for line in ran.stderr.splitlines() if line.startswith("cdp.")]
    assert raised[-1].startswith("cdp.ingest.errors.IngestError: the dataflow stopped: a helper")
    assert 'under `if __name__ == "__main__":`' in raised[-1]
    # the dataflow waited for the helpers, which refused: nothing was written, by anyone
    lake = Lakehouse.from_settings(settings_at(load_config(ROOT / "cdp.yaml"), folder))
    assert lake.read("events").height == 0
    assert lake.read("identity_records").height == 0


_FAILING_DISK_SCRIPT = """
import sys
from pathlib import Path

from deltalake.exceptions import DeltaError

import storage.lakehouse
from cdp.config import load_config
from cdp.ingest import IngestOptions
from pipelines.ingest import run_ingest

writes = []
write = storage.lakehouse.write_deltalake


def full_disk(*args, **kwargs):  # what delta-rs raises when the disk is full
    writes.append(1)
    if len(writes) > 4:
        raise DeltaError("Generic LocalFileSystem error: No space left on device (os error 28)")
    return write(*args, **kwargs)


storage.lakehouse.write_deltalake = full_disk

if __name__ == "__main__":
    root, folder, paths = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    settings = load_config(root / "cdp.yaml").model_copy(
        update={"lakehouse": str(folder / "lh")}
    ).with_base_dir(folder)
    options = IngestOptions(chunk_rows=100, flush_rows=1_000)
    run_ingest(settings, "web", [Path(p) for p in paths], options=options)
"""


@pytest.mark.integration
def test_a_commit_that_fails_stops_the_ingest_with_its_error_and_a_rerun_completes_it(
    generated: GenerationReport, sample_settings: Settings, tmp_path: Path
) -> None:
    """The disk fills up mid-run. The ingest stops with the storage error (before, Bytewax
    closed the sink partitions while unwinding, their commits failed again, and a panic during
    the panic aborted the process: SIGABRT, no error, no message); the rerun writes what is
    missing, nothing twice."""
    folder = tmp_path / "cdp"
    web = files(generated, "web")
    script = tmp_path / "full_disk.py"
    script.write_text(_FAILING_DISK_SCRIPT)
    ran = _run_failing_script(script, str(ROOT), str(folder), *map(str, web))
    raised = [line for line in ran.stderr.splitlines() if line.startswith("storage.")]
    assert raised[-1].startswith("storage.lakehouse.StorageError: ")
    assert raised[-1].endswith("failed: Generic LocalFileSystem error (No space left on device)")
    settings = settings_at(sample_settings, folder)
    lake = Lakehouse.from_settings(settings)
    expected = expect(settings, "web", web)
    assert 0 < lake.read("raw_events").height < expected.inputs  # stopped midway
    # the rerun, with the disk freed: every input once
    report = run_ingest(settings, "web", web)
    assert report.reconciled
    tables = snapshot(lake, consent=False)
    assert tables["events"] == sorted(expected.event_ids)
    assert len(tables["raw_events"]) == len(set(tables["raw_events"])) == expected.inputs
    quarantined = lake.read("quarantine")["record_ref"].to_list()
    assert sorted(quarantined) == sorted(expected.rejected_refs)


@pytest.mark.integration
def test_a_helper_reads_its_own_lines_and_refuses_a_changed_file(
    settings: Settings, tmp_path: Path
) -> None:
    """A helper reads the lines the dataflow's reader skipped over and turns them into the
    outcome (tables mapped back from shared memory); a file that no longer holds them where
    the reader found them is an error, never a silently different chunk."""
    lines = [
        orjson.dumps(
            {
                "type": "track",
                "event": "Clicked",
                "messageId": f"m-{n}",
                "anonymousId": f"a-{n % 3}",
                "timestamp": "2026-03-01T10:00:00.000Z",
            }
        )
        for n in range(30)
    ]
    path = tmp_path / "web.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    options = IngestOptions(chunk_rows=12)
    with JsonLinesReader(path, max_record_bytes=options.max_record_bytes) as reader:
        start = reader.position
        rows = reader.skip_batch(options.chunk_rows, options.chunk_bytes)
        after = reader.position
    assert rows == 12
    task = LinesTask("web", "file:web", path, start, 12, after)
    with ChunkPool(settings, options, processes=1) as pool:
        outcome = pool.submit(task).result(timeout=120)
        assert outcome.table("events")["event_id"].to_pylist() == [f"m-{n}" for n in range(12)]
        assert outcome.table("raw_events")["payload"].to_pylist() == lines[:12]
        assert pool.cpu_seconds() > 0
        # no room for the tables' files (a full /dev/shm): they come back pickled instead
        shutil.rmtree(pool.folder)
        pool.folder.write_bytes(b"")  # writing into it fails as a full folder would
        try:
            inline = pool.submit(task).result(timeout=120)
        finally:
            pool.folder.unlink()
        assert inline.table("events")["event_id"].to_pylist() == [f"m-{n}" for n in range(12)]
        path.write_bytes(b"\n" + b"\n".join(lines))  # the lines moved by one byte
        with pytest.raises(IngestError, match="changed"):
            pool.submit(task).result(timeout=120)
    assert not pool.folder.exists()  # the shared-memory files are gone with the pool

    # the files of a process killed with its pool open are removed by the next pool
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    stale = pool.folder.parent / f"cdp-pool-{int(ended.stdout)}-left"
    stale.mkdir()
    (stale / "1-0-events.arrow").write_bytes(b"x" * 1024)
    ChunkPool(settings, options, processes=1).close()
    assert not stale.exists()


def test_a_semicolon_cp1252_export_gives_the_tables_of_the_utf8_comma_file(
    generated: GenerationReport, sample_settings: Settings, tmp_path: Path
) -> None:
    """The generated CRM contacts as a Windows Excel export (semicolons, cp1252, CRLF) in a
    source that declares ``csv: {encoding: cp1252}`` (the delimiter found in the header) give
    the rows of the same contacts as UTF-8 comma CSV, through a helper process: the same
    events, identity records with the same accented names, consent statements and quarantine.
    Raw payloads are the export's own bytes, labelled with their charset."""
    source = files(generated, "crm")[0]
    table = pl.read_csv(source, infer_schema=False)

    def fits(row: tuple[str | None, ...]) -> bool:
        try:
            "".join(v or "" for v in row).encode("cp1252")
        except UnicodeEncodeError:
            return False
        return True

    rows = [row for row in table.rows() if fits(row)]
    assert len(table) - 50 < len(rows) <= len(table)
    kept = pl.DataFrame(rows, schema=table.columns, orient="row")
    assert kept["LastName"].str.contains("[^ -~]").any()  # accented names among them
    plain = tmp_path / "contacts.csv"
    kept.write_csv(plain)
    export = tmp_path / "contacts-excel.csv"
    export.write_bytes(
        kept.write_csv(separator=";", line_terminator="\r\n").encode("cp1252")  # type: ignore[union-attr]
    )
    cp1252 = _with_csv(sample_settings, "crm", CsvSettings(encoding="cp1252"))
    want_settings = settings_at(sample_settings, tmp_path / "utf8")
    got_settings = settings_at(cp1252, tmp_path / "cp1252")
    want = run_ingest(want_settings, "crm", [plain])
    options = IngestOptions(chunk_rows=100, parse_processes=1, helper_start="wait")
    got = run_ingest(got_settings, "crm", [export], options=options)
    assert got.reconciled and want.reconciled
    assert (got.inputs, got.events, got.quarantined) == (want.inputs, want.events, want.quarantined)
    assert got.events > len(rows) - 20
    got_lake, want_lake = (Lakehouse.from_settings(s) for s in (got_settings, want_settings))
    got_rows, want_rows = snapshot(got_lake), snapshot(want_lake)
    for name in ("events", "identity_records", "consent_ledger"):
        assert got_rows[name] == want_rows[name], name
    assert got_rows["consent_ledger"]
    names = ["source_record_id", "first_name", "last_name", "street", "city", "phone"]
    _same_columns(got_lake, want_lake, "identity_records", names)
    raw = got_lake.read("raw_events")
    assert set(raw["content_type"]) == {"text/csv; charset=cp1252"}
    lines = export.read_bytes().split(b"\r\n")[1:]
    assert sorted(raw["payload"]) == sorted(line for line in lines if line)


def test_a_csv_file_without_the_mapped_columns_is_reported_once_without_its_values(
    sample_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file without a header row (its first record read as one) lacks the source's
    columns: one warning names them (the configuration's names, never the file's values) and
    every record is quarantined with the reason, nothing lost."""
    settings = settings_at(sample_settings, tmp_path / "cdp")
    path = tmp_path / "no-header.csv"
    path.write_text(
        "0031C000Zs1,Alain,Barbier,alain.barbier@example.fr,,+41446681800\n"
        "0031C000Zs2,Zoë,Keller,zoe.keller@example.ch,,+41446681801\n",
        encoding="utf-8",
    )
    with caplog.at_level("WARNING", logger="pipelines._sources"):
        report = run_ingest(settings, "crm", [path])
    warnings = [r.getMessage() for r in caplog.records if r.name == "pipelines._sources"]
    assert len(warnings) == 1
    assert "no-header.csv: the header has no column Id (record_id)" in warnings[0]
    assert "its records are quarantined" in warnings[0]
    assert "barbier" not in warnings[0].lower() and "0031C000Zs1" not in warnings[0]
    assert report.reconciled and report.quarantined == {"missing_field": 1}
    quarantine = Lakehouse.from_settings(settings).read("quarantine")
    assert quarantine["error"].to_list() == ["Id: no Id in the record"]


def test_an_erp_extract_without_a_header_row_reads_with_the_configured_columns(
    generated: GenerationReport, sample_settings: Settings, tmp_path: Path
) -> None:
    """The generated SAP customers as a table extract without a header row (tab-separated),
    for a source that names its columns (``csv: {header: false, columns: [...]}``): every row
    is a record, and the tables are those of the file with its header."""
    source = files(generated, "erp")[0]
    lines = source.read_bytes().splitlines()
    columns = [c.decode() for c in lines[0].split(b",")]
    assert "KUNNR" in columns and len(lines) > 50
    table = pl.read_csv(source, infer_schema=False)
    extract = tmp_path / "KNA1.csv"
    extract.write_bytes(table.write_csv(separator="\t", include_header=False).encode())
    headless = _with_csv(sample_settings, "erp", CsvSettings(header=False, columns=columns))
    want_settings = settings_at(sample_settings, tmp_path / "header")
    got_settings = settings_at(headless, tmp_path / "extract")
    want = run_ingest(want_settings, "erp", [source])
    got = run_ingest(got_settings, "erp", [extract])
    assert got.reconciled and (got.inputs, got.events) == (want.inputs, want.events)
    assert got.inputs == len(table)  # (the first row too: it is a record)
    got_rows = snapshot(Lakehouse.from_settings(got_settings))
    want_rows = snapshot(Lakehouse.from_settings(want_settings))
    for name in ("events", "identity_records"):
        assert got_rows[name] == want_rows[name], name


def test_reprocess_reads_records_a_fixed_configuration_accepts(
    generated: GenerationReport, sample_settings: Settings, tmp_path: Path
) -> None:
    """A cp1252 export ingested while the source said UTF-8: its accented records are
    quarantined. With the encoding fixed, a plain rerun adds nothing (exactly-once); a
    reprocessing run reads the file as new inputs: the refused records become events, the
    others are duplicates, and it runs once per configuration. The first run's quarantine rows
    stay as its record; each run's raw rows have their own ids."""
    source = files(generated, "crm")[0]
    table = pl.read_csv(source, infer_schema=False)
    text = table.write_csv(separator=";")
    data = text.encode("cp1252", "replace")
    export = tmp_path / "contacts.csv"
    export.write_bytes(data)
    accented = sum(1 for line in data.splitlines()[1:] if not line.isascii())
    assert accented > 10

    utf8 = settings_at(sample_settings, tmp_path / "cdp")
    fixed = _with_csv(utf8, "crm", CsvSettings(encoding="cp1252"))
    first = run_ingest(utf8, "crm", [export])
    assert first.quarantined == {"bad_encoding": accented}
    rerun = run_ingest(fixed, "crm", [export])
    assert (rerun.skipped, rerun.events) == (first.inputs, 0)

    assert reprocess_label(fixed, "crm") == reprocess_label(fixed.model_copy(), "crm")
    assert reprocess_label(fixed, "crm") != reprocess_label(utf8, "crm")
    again = run_ingest(fixed, "crm", [export], reprocess=True)
    assert again.reconciled and again.quarantined == {}
    assert (again.events, again.duplicates) == (accented, first.events)
    once_more = run_ingest(fixed, "crm", [export], reprocess=True)
    assert once_more.events == 0 and "raw_events" not in once_more.rows

    lake = Lakehouse.from_settings(fixed)
    assert lake.count("events") == first.inputs
    names = lake.read("identity_records")["last_name"].to_list()
    assert any(not name.isascii() for name in names if name)  # decoded as cp1252 now
    quarantine = lake.read("quarantine")
    assert quarantine.height == accented  # the first run's record of what it refused
    raw = lake.read("raw_events")
    assert raw.height == 2 * first.inputs and raw["raw_id"].n_unique() == raw.height

"""Benchmark of file ingest (DESIGN §13: CSV/JSONL -> validated ``events`` >= 100k events/s).

Generates (or reuses) synthetic data with about ``--events`` web messages in JSON lines plus the
CRM contacts of the same people, then, per worker count, ingests them into a fresh lakehouse
with :func:`pipelines.ingest.run_ingest` (recovery off, as a first load would run) and times
it. Beside it, the reference of the same run: a bare ``write_deltalake`` of the very rows the
ingest wrote (Arrow tables, no parsing or validation), once for ``events`` alone and once for
every table the ingest wrote. Prints one JSON object as the last line (``cdp bench ingest``).

    .venv/bin/python bench/ingest.py [--events 500000] [--runs w1,w2,p2] [--data DIR] [--keep]

``wN``: N worker threads in one process; ``pN``: a local cluster of N processes; ``w1+K``: one
worker with K helper processes parsing the chunks (``IngestOptions.parse_processes``); ``w1:lines``:
the per-line path (``IngestOptions(columnar=False)``, 2,000-line chunks) for comparison. Imports are
warmed up before timing (a process pays them once, ~1 s, whatever it ingests); the memos of
normalized values are not: each web and CRM run starts with them empty
(:func:`cdp.models.clear_caches`), as a fresh process would, and the CRM run takes the run's
helper processes too. Beside the wall
clock figures, CPU seconds (every thread of the process, its cluster processes and its helper
processes - not the one-time start of the helpers' forkserver, about a second) tell the cost
apart from the contention of a shared machine: ``events_per_cpu_s`` beside the reference's
``*_rows_per_cpu_s``.
"""

from __future__ import annotations

import argparse
import gc
import logging
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cdp  # noqa: E402, F401  - first: its process settings (one OpenBLAS thread) precede numpy

# isort: split
import pandas  # noqa: E402, F401  - imported by deltalake's writer: warm it up, untimed
from deltalake import write_deltalake  # noqa: E402

from cdp.config import Settings, load_config  # noqa: E402
from cdp.ingest import IngestOptions  # noqa: E402
from cdp.models import clear_caches  # noqa: E402
from cdp.synth import GenerateOptions, generate  # noqa: E402
from pipelines.ingest import run_ingest  # noqa: E402
from storage import Lakehouse, writer_properties  # noqa: E402

_TABLES = ("events", "raw_events", "quarantine", "identity_records", "consent_ledger")


def _data(folder: Path, events: int) -> dict[str, Any]:
    """Generated data with about ``events`` web lines (reused when already there)."""
    people = max(100, events // 10)
    options = GenerateOptions(people=people, seed=101, chunk_rows=1_000_000)
    manifest = folder / "manifest.json"
    if manifest.exists():
        found = orjson.loads(manifest.read_bytes())
        if found.get("options", {}).get("people") == people:
            return dict(found["counts"])
    report = generate(folder, options)
    return dict(report.counts)


def _size(paths: list[Path]) -> int:
    return max((p.stat().st_size for p in paths), default=0)


def _settings(folder: Path) -> Settings:
    sample = load_config(ROOT / "cdp.yaml")
    return sample.model_copy(update={"lakehouse": str(folder / "lh")}).with_base_dir(folder)


def _cpu() -> float:
    """CPU seconds of this process (every thread) and of its finished child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _bare_write(lake: Lakehouse, tables: tuple[str, ...], folder: Path) -> tuple[float, int, float]:
    """Seconds (and CPU seconds) to ``write_deltalake`` the rows of ``tables`` afresh, as the
    lakehouse writes them (same Parquet options)."""
    data = {name: lake.read(name).to_arrow() for name in tables}
    rows = sum(t.num_rows for t in data.values())
    gc.collect()
    cpu = _cpu()
    started = time.perf_counter()
    for name, table in data.items():
        spec = lake.tables[name]
        write_deltalake(
            str(folder / name),
            table,
            mode="overwrite",
            partition_by=list(spec.partition_by) or None,
            writer_properties=writer_properties(spec),
        )
    return time.perf_counter() - started, rows, _cpu() - cpu


def _run(
    data: Path,
    workers: int,
    processes: int,
    scratch: Path,
    *,
    lines: bool = False,
    helpers: int = 0,
) -> dict[str, Any]:
    folder = scratch / f"p{processes}w{workers}+{helpers}{'-lines' if lines else ''}"
    shutil.rmtree(folder, ignore_errors=True)
    settings = _settings(folder)
    Lakehouse.from_settings(settings).init()
    web = sorted((data / "web").glob("*.jsonl"))
    crm = sorted((data / "crm").glob("*.csv"))
    clear_caches()  # every run starts as a fresh ``cdp ingest`` would, not memo-warm
    gc.collect()
    cpu_started = _cpu()
    started = time.perf_counter()
    # a cluster shares the big file by byte ranges (each range is a stream with its commits)
    # ``lines``: the per-line path with its former chunk size, for comparison in the same run
    base = IngestOptions(columnar=False, chunk_rows=2_000) if lines else IngestOptions()
    with_helpers = options = replace(base, parse_processes=helpers)
    if processes > 1:
        options = replace(base, range_bytes=max(64 << 20, _size(web) // (2 * processes) + 1))
    web_report = run_ingest(
        settings, "web", web, workers=workers, processes=processes, recovery=False, options=options
    )
    web_done = time.perf_counter()
    # the report counts helper processes too (rusage cannot: they are the forkserver's children)
    web_cpu = max(_cpu() - cpu_started, web_report.cpu)
    # the CRM file cold too (the web run normalized the same people's traits) and with the
    # run's helpers: its figure is what ``cdp ingest --source crm`` would do in this shape
    clear_caches()
    gc.collect()
    crm_cpu_started = _cpu()
    crm_started = time.perf_counter()
    crm_report = run_ingest(
        settings,
        "crm",
        crm,
        workers=workers,
        processes=processes,
        recovery=False,
        options=with_helpers,
    )
    finished = time.perf_counter()
    crm_cpu = max(_cpu() - crm_cpu_started, crm_report.cpu)
    lake = Lakehouse.from_settings(settings)
    bare_events, event_rows, bare_events_cpu = _bare_write(
        lake, ("events",), folder / "bare-events"
    )
    bare_all, all_rows, bare_all_cpu = _bare_write(lake, _TABLES, folder / "bare-all")
    web_s, crm_s = web_done - started, finished - crm_started
    inputs = web_report.inputs + crm_report.inputs
    return {
        "workers": workers,
        "processes": processes,
        "parse_processes": helpers,
        "path": "per-line" if lines else "columnar",
        "web": {
            "inputs": web_report.inputs,
            "events": web_report.events,
            "quarantined": web_report.quarantined_total,
            "duplicates": web_report.duplicates,
            "seconds": round(web_s, 2),
            "events_per_s": round(web_report.inputs / web_s),
            "cpu_seconds": round(web_cpu, 2),
            "events_per_cpu_s": round(web_report.inputs / web_cpu),
            "commits": web_report.commits,
        },
        "crm": {
            "inputs": crm_report.inputs,
            "seconds": round(crm_s, 2),
            "records_per_s": round(crm_report.inputs / crm_s),
            "cpu_seconds": round(crm_cpu, 2),
            "records_per_cpu_s": round(crm_report.inputs / crm_cpu),
        },
        "total": {
            "inputs": inputs,
            "seconds": round(finished - started, 2),
            "inputs_per_s": round(inputs / (finished - started)),
            "rows_written": all_rows,
        },
        "reference_write_deltalake": {
            "events_rows": event_rows,
            "events_seconds": round(bare_events, 2),
            "events_rows_per_s": round(event_rows / bare_events),
            "events_cpu_seconds": round(bare_events_cpu, 2),
            "events_rows_per_cpu_s": round(event_rows / bare_events_cpu),
            "all_tables_rows": all_rows,
            "all_tables_seconds": round(bare_all, 2),
            "all_tables_rows_per_s": round(all_rows / bare_all),
            "all_tables_cpu_seconds": round(bare_all_cpu, 2),
            "all_tables_rows_per_cpu_s": round(all_rows / bare_all_cpu),
        },
        "reconciled": web_report.reconciled and crm_report.reconciled,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000, help="web lines to generate")
    parser.add_argument(
        "--runs",
        default="w1,w1+2,p2",
        help="comma separated: wN = N worker threads in one process, pN = N processes, "
        "w1+K = one worker and K parse processes; "
        "a ':lines' suffix (w1:lines) takes the per-line path instead of the columnar one",
    )
    parser.add_argument("--data", type=Path, default=None, help="reuse/generate data here")
    parser.add_argument("--keep", action="store_true", help="keep the lakehouses")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    scratch = Path(tempfile.mkdtemp(prefix="cdp-bench-ingest-"))
    data = args.data or scratch / "data"
    try:
        started = time.perf_counter()
        counts = _data(data, args.events)
        generated_s = time.perf_counter() - started
        runs = []
        for spec in (r.strip() for r in str(args.runs).split(",") if r.strip()):
            shape, _, path = spec.partition(":")
            shape, _, helpers = shape.partition("+")
            count = int(shape[1:])
            workers, processes = (count, 1) if shape[0] == "w" else (1, count)
            runs.append(
                _run(
                    data,
                    workers,
                    processes,
                    scratch,
                    lines=path == "lines",
                    helpers=int(helpers or 0),
                )
            )
        result = {
            "benchmark": "ingest",
            "bar": "file ingest >= 100k events/s (DESIGN §13)",
            "data": {
                "web_lines": counts.get("web_lines"),
                "crm_records": counts.get("crm_records"),
                "generated_s": round(generated_s, 1),
            },
            "runs": runs,
        }
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

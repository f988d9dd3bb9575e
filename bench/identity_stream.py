"""Identity assignment in the stream (issue #4): per-record latency inside `cdp stream`.

The generator at ~6k records (``--people 4350``) on a temporary lakehouse: ``--held-out``
records (500) are kept back, the rest are written to ``identity_records`` and resolved in full
(``identity.resolve_lakehouse``). Then the real stream runs (``pipelines.stream.run_stream`` in
a thread, with its identity tail and assignment sink) and the held-out records arrive in
``identity_records`` in batches of ``--batch`` (20), committed like the ingest writer commits
them (an upsert), one batch after the previous batch's map rows are visible. Measured:

* ``stream``: the per-record assignment latency inside the stream (``StreamAssigner`` stats:
  ``IncrementalResolver.assign`` called by the sink, p50 / p99 ms), and per batch the time from
  the ``identity_records`` commit to its ``identity_map`` rows being readable (tail poll 200 ms,
  file read, assignment, Delta merge);
* ``reference``: ``IncrementalResolver.assign`` alone, the same held-out records, a resolver
  built from the same lakehouse (``IncrementalResolver.from_lakehouse``), no stream;
* ``agreement``: the share of held-out records the stream put in the same customer as the
  reference resolver.

    .venv/bin/python bench/identity_stream.py [--people 4350] [--held-out 500] [--batch 20]

Prints one JSON object (the last line of stdout).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
# this script's folder comes first on sys.path; keep the packages of the repository first
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cdp.config import load_config  # noqa: E402
from cdp.ingest import IngestOptions  # noqa: E402
from cdp.synth import GenerateOptions, generate  # noqa: E402
from storage import Lakehouse  # noqa: E402

_identity: Any = importlib.import_module("identity")
_testing: Any = importlib.import_module("identity._testing")
_stream: Any = importlib.import_module("pipelines.stream")


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "p50_ms": round(ms[len(ms) // 2], 2),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
        "max_ms": round(ms[-1], 2),
    }


def _keys(frame: pl.DataFrame) -> set[str]:
    return {f"{s}:{r}" for s, r in frame.select("source", "source_record_id").iter_rows()}


def run(people: int, held_out: int, batch: int, seed: int, work: Path) -> dict[str, Any]:
    data_dir = work / "data"
    generate(data_dir, GenerateOptions(people=people, seed=seed))
    sample = load_config(ROOT / "cdp.yaml")
    data = _testing.load_generated(data_dir, sample)
    settings = sample.model_copy(update={"lakehouse": str(work / "lh")}).with_base_dir(work)
    lake = Lakehouse.from_settings(settings)
    lake.init()
    keys = ["source", "source_record_id"]
    live = data.records.filter(~pl.col("deleted")).sort(keys)
    held = live.sample(n=min(held_out, live.height // 5), seed=seed, shuffle=True)
    base = live.join(held, on=keys, how="anti")
    lake.upsert("identity_records", base)
    started = time.perf_counter()
    report = _identity.resolve_lakehouse(lake)
    resolve_seconds = time.perf_counter() - started

    # reference: IncrementalResolver.assign alone, same lakehouse state, same records
    reference = _identity.IncrementalResolver.from_lakehouse(lake)
    ref_times: list[float] = []
    ref_customer: dict[str, str] = {}
    rows = list(held.iter_rows(named=True))
    for row in rows:
        t0 = time.perf_counter()
        found = reference.assign(row)
        ref_times.append(time.perf_counter() - t0)
        ref_customer[f"{row['source']}:{row['source_record_id']}"] = found.customer_id

    # the stream: records arrive in identity_records; the tail and sink assign them
    assigner = _identity.StreamAssigner(lake)
    stop = threading.Event()
    out: dict[str, Any] = {}
    options = IngestOptions(epoch_interval=timedelta(milliseconds=200))

    def stream() -> None:
        try:
            out["report"] = _stream.run_stream(
                settings, stop=stop, options=options, assigner=assigner, recovery=False
            )
        except BaseException as e:
            out["error"] = e

    thread = threading.Thread(target=stream, name="stream")
    thread.start()
    deadline = time.monotonic() + 120
    while assigner.stats.builds == 0 and time.monotonic() < deadline and "error" not in out:
        time.sleep(0.05)
    commit_to_map: list[float] = []
    try:
        for i in range(0, held.height, batch):
            part = held.slice(i, batch)
            wanted = _keys(part)
            lake.upsert("identity_records", part)
            committed = time.perf_counter()
            while time.perf_counter() - committed < 60 and "error" not in out:
                mapped = lake.scan("identity_map").select("source", "source_record_id").collect()
                if wanted <= _keys(mapped):
                    break
                time.sleep(0.02)
            commit_to_map.append(time.perf_counter() - committed)
    finally:
        stop.set()
        thread.join(timeout=120)
    if "error" in out:
        raise out["error"]
    final = lake.read("identity_map")
    stream_customer = {f"{s}:{r}": c for s, r, c in final.select(*keys, "customer_id").iter_rows()}
    agree = sum(stream_customer.get(k) == c for k, c in ref_customer.items())
    stats = assigner.stats.as_dict()
    return {
        "base_records": base.height,
        "new_records": held.height,
        "batch": batch,
        "full_resolution_seconds": round(resolve_seconds, 2),
        "full_resolution_customers": report.customers,
        "stream": {
            "assigned": stats["assigned"],
            "joined": stats["joined"],
            "new": stats["new"],
            "assign": _percentiles(assigner.stats.latencies),
            "commit_to_map": _percentiles(commit_to_map),
        },
        "reference": {"assign_alone": _percentiles(ref_times)},
        "agreement_with_reference": round(agree / len(ref_customer), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=4_350)
    parser.add_argument("--held-out", type=int, default=500)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="cdp-bench-identity-stream-") as tmp:
        result = run(args.people, args.held_out, args.batch, args.seed, Path(tmp))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

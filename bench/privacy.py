"""Erasure with proof: seconds per erasure, and what suppression costs the ingest.

Data: ``--people`` generated people (CRM, ERP, web), ingested by the real flows and resolved by
Splink, in a temporary lakehouse. Then, on copies of it:

* **erasure**: ``--erasures`` people (customers with records from all three sources) are erased
  one after the other with :func:`consent.privacy.erase` (immediate retention: delete, vacuum,
  log truncation, scan of every file). Reference, same run, same people, another copy: bare
  delta-rs - one ``DeltaTable.delete`` by SQL predicate on ``events`` and ``identity_records``
  and a ``vacuum(0)`` of both, no resolution, no proof, no verification;
* **suppression at ingest**: the web files ingested again under a new flow id into a copy with
  the suppression table empty (reference) and into the copy with the erased people suppressed
  (every event's identifiers hashed and checked).

    .venv/bin/python bench/privacy.py [--people 2000] [--erasures 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from deltalake import DeltaTable  # noqa: E402

from cdp.config import Settings, load_config  # noqa: E402
from cdp.synth import GenerateOptions, generate  # noqa: E402
from consent.privacy import erase  # noqa: E402
from identity import resolve_lakehouse  # noqa: E402
from pipelines import run_ingest  # noqa: E402
from storage import Lakehouse  # noqa: E402

SOURCES = {"crm": "crm/*.csv", "erp": "erp/*.csv", "web": "web/*.jsonl"}


def _copy(settings: Settings, src: Path, dest: Path) -> tuple[Settings, Lakehouse]:
    shutil.copytree(src, dest / "lh")
    copied = settings.model_copy(update={"lakehouse": str(dest / "lh")}).with_base_dir(dest)
    return copied, Lakehouse.from_settings(copied)


def _people(lh: Lakehouse, n: int) -> list[tuple[str, list[tuple[str, str]], list[str]]]:
    """(customer id, record keys, user ids) of ``n`` customers with records of 3 sources."""
    records = lh.read("identity_records").join(
        lh.read("identity_map"), on=["source", "source_record_id"]
    )
    three = (
        records.group_by("customer_id")
        .agg(pl.col("source").n_unique().alias("n"))
        .filter(pl.col("n") == 3)
        .sort("customer_id")
        .get_column("customer_id")
        .to_list()[:n]
    )
    out = []
    for cid in three:
        mine = records.filter(pl.col("customer_id") == cid)
        keys = list(mine.select("source", "source_record_id").iter_rows())
        users = mine.get_column("user_id").drop_nulls().to_list()
        out.append((cid, keys, users))
    return out


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "''"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--erasures", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    sample = load_config(ROOT / "cdp.yaml")
    with tempfile.TemporaryDirectory(prefix="cdp-bench-privacy-") as tmp:
        base = Path(tmp)
        data = base / "data"
        generate(data, GenerateOptions(people=args.people, seed=args.seed))
        settings = sample.model_copy(update={"lakehouse": str(base / "lh")}).with_base_dir(base)
        lh = Lakehouse.from_settings(settings)
        lh.init()
        for source, pattern in SOURCES.items():
            run_ingest(settings, source, sorted(data.glob(pattern)), recovery=False)
        resolve_lakehouse(lh, run_id="bench")
        people = _people(lh, args.erasures)
        events = lh.count("events")
        files = sum(len(lh.table_files(n)) for n in lh.tables if lh.exists(n))

        # reference copies first (the template stays untouched)
        _ref_settings, ref = _copy(settings, base / "lh", base / "ref")
        ing_settings, _ing_ref = _copy(settings, base / "lh", base / "ingest-ref")
        mine_settings, mine = _copy(settings, base / "lh", base / "mine")

        seconds = []
        verified = []
        for cid, _keys, _users in people:
            start = time.perf_counter()
            report = erase(mine, mine_settings, f"customer_id:{cid}", requested_by="bench",
                           settle_s=0)  # fmt: skip
            seconds.append(time.perf_counter() - start)
            verified.append(report.verified)
        ref_seconds = []
        for _cid, keys, users in people:
            start = time.perf_counter()
            ids = [r for _s, r in keys]
            dt = DeltaTable(ref.uri("events"))
            dt.delete(f"user_id IN ({_sql_list(users)}) OR source_record_id IN ({_sql_list(ids)})")
            dt.vacuum(retention_hours=0, dry_run=False, enforce_retention_duration=False)
            it = DeltaTable(ref.uri("identity_records"))
            it.delete(f"source_record_id IN ({_sql_list(ids)})")
            it.vacuum(retention_hours=0, dry_run=False, enforce_retention_duration=False)
            ref_seconds.append(time.perf_counter() - start)

        web = sorted(data.glob(SOURCES["web"]))
        start = time.perf_counter()
        plain = run_ingest(ing_settings, "web", web, flow_id="again", recovery=False)
        plain_s = time.perf_counter() - start
        start = time.perf_counter()
        checked = run_ingest(mine_settings, "web", web, flow_id="again", recovery=False)
        checked_s = time.perf_counter() - start
        suppressed = mine.count("suppression")

    result = {
        "bench": "privacy",
        "setup": {
            "people": args.people,
            "events": events,
            "files_in_lakehouse": files,
            "erasures": len(people),
            "cpus": os.cpu_count(),
        },
        "erasure": {
            "seconds_mean": round(sum(seconds) / len(seconds), 3),
            "seconds_max": round(max(seconds), 3),
            "all_verified": all(v is True for v in verified),
        },
        "reference_bare_delta_delete_vacuum": {
            "seconds_mean": round(sum(ref_seconds) / len(ref_seconds), 3),
        },
        "suppression_at_ingest": {
            "suppressed_identifiers": suppressed,
            "inputs": checked.inputs,
            "held_back": checked.quarantined.get("suppressed", 0),
            "inputs_per_s": round(checked.inputs / checked_s),
            "reconciled": checked.reconciled,
        },
        "reference_ingest_without_suppression": {
            "inputs": plain.inputs,
            "inputs_per_s": round(plain.inputs / plain_s),
        },
    }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

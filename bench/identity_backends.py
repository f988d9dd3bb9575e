"""Identity resolution on Spark beside DuckDB (DESIGN §12): same data, same model, one run.

Generates ``--people`` people (three sources), resolves them with the DuckDB backend (the
reference) and the Spark backend (Splink's ``SparkAPI``, ``--master``, default ``local[2]``),
and reports for each: wall time of ``identity.resolve``, pairwise precision / recall / F1
against the ground truth, clusters; for Spark also the session start (a JVM), and whether both
backends put every record in the same customer (``same_clusters``). The Spark run is timed
with the session already started (``spark_session``), the way a scheduler holding a session,
or a cluster, would run it.

Spark pays a fixed cost per job; at a few hundred or thousand records that dominates, so
DuckDB is faster here by design. Spark is the backend for data that outgrows one machine.

    .venv/bin/python bench/identity_backends.py [--people 200] [--seed 7] [--master local[2]]
        [--shuffle-partitions 4] [--conf spark.some.property=value ...]

Prints one JSON object (the last line of stdout).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# this script's folder comes first on sys.path; keep the project's packages first
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cdp.config import load_config  # noqa: E402
from cdp.synth import GenerateOptions, generate  # noqa: E402

_identity: Any = importlib.import_module("identity")
_testing: Any = importlib.import_module("identity._testing")

logger = logging.getLogger("bench.identity_backends")


def _run(records: Any, aliases: Any, truth: Any, settings: Any) -> tuple[dict[str, Any], Any]:
    started = time.perf_counter()
    res = _identity.resolve(records, aliases=aliases, settings=settings)
    seconds = round(time.perf_counter() - started, 2)
    return {**_identity.pairwise_scores(res.identity_map, truth), "seconds": seconds}, res


def _customers(res: Any) -> dict[tuple[str, str], str]:
    rows = res.identity_map.select("source", "source_record_id", "customer_id").iter_rows()
    return {(s, r): c for s, r, c in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--shuffle-partitions", type=int, default=4)
    parser.add_argument(
        "--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark property"
    )
    args = parser.parse_args(argv)
    conf = tuple(tuple(kv.split("=", 1)) for kv in args.conf)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        generate(folder, GenerateOptions(people=args.people, seed=args.seed))
        data = _testing.load_generated(folder, load_config(ROOT / "cdp.yaml"))
    records, aliases, truth = data.records, data.aliases, data.truth

    duckdb, duck_res = _run(records, aliases, truth, _identity.ResolveSettings())
    spark_settings = _identity.SparkSettings(
        master=args.master, shuffle_partitions=args.shuffle_partitions, conf=conf
    )
    started = time.perf_counter()
    with _identity.spark_session(spark_settings):
        session_seconds = round(time.perf_counter() - started, 2)
        settings = _identity.ResolveSettings(backend="spark", spark=spark_settings)
        spark, spark_res = _run(records, aliases, truth, settings)
        warm, _ = _run(records, aliases, truth, settings)
    spark["session_start_seconds"] = session_seconds
    spark["second_run_seconds"] = warm["seconds"]
    result = {
        "people": args.people,
        "records": records.height,
        "master": args.master,
        "conf": dict(conf),
        "duckdb": duckdb,
        "spark": spark,
        "same_clusters": _customers(spark_res) == _customers(duck_res),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

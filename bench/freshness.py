"""Stream freshness (DESIGN §13): an event acked by the collector is visible in `events` ≤ 2 s p99.

Runs the real product: `cdp serve` and `cdp stream` as subprocesses on a temporary lakehouse.
A sender posts `/v1/batch` requests of 10 events at a steady rate and notes when each is acked; a
watcher follows the `events` Delta table version by version, reads only the files each commit
adds, and notes when each messageId first becomes visible. Latency = visible - acked.

Reference, measured in the same run: the latency of a bare `write_deltalake` append of a
10-row batch to a fresh table (the floor any Delta-backed pipeline pays per commit).

    .venv/bin/python bench/freshness.py [--seconds 20] [--rate 50]
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake

ROOT = Path(__file__).resolve().parent.parent
# the shared benchmark pieces, imported while this script's folder is on sys.path
from _harness import free_port, percentile, wait_healthy  # noqa: E402

CDP = str(Path(sys.executable).with_name("cdp"))


def _watch(table: Path, visible: dict[str, float], stop: threading.Event) -> None:
    """Record the first time each message_id appears, reading only newly added files."""
    while not (table / "_delta_log").exists() and not stop.is_set():
        time.sleep(0.05)
    dt = DeltaTable(str(table))
    seen_files: set[str] = set()
    while not stop.is_set():
        dt.update_incremental()
        now = time.monotonic()
        for uri in dt.file_uris():
            if uri in seen_files:
                continue
            seen_files.add(uri)
            path = uri.removeprefix("file://")
            for mid in pq.read_table(path, columns=["message_id"]).column(0).to_pylist():
                if mid is not None and mid not in visible:
                    visible[mid] = now
        time.sleep(0.05)


def _reference(folder: Path, runs: int = 30) -> dict[str, float]:
    rows = pa.table({"event_id": [str(uuid.uuid4()) for _ in range(10)], "n": list(range(10))})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        write_deltalake(str(folder / "ref"), rows, mode="append")
        times.append((time.perf_counter() - start) * 1000)
    return {
        "commit_ms_p50": round(statistics.median(times), 2),
        "commit_ms_p99": round(percentile(times, 0.99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=50.0, help="requests/s (10 events each)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cdp-fresh-"))
    config = work / "cdp.yaml"
    shutil.copy(ROOT / "cdp.yaml", config)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([CDP, "-c", str(config), "init"], check=True, **quiet)
    server = subprocess.Popen([CDP, "-c", str(config), "serve", "--port", str(port)], **quiet)
    streamer = subprocess.Popen([CDP, "-c", str(config), "stream"], **quiet)
    acked: dict[str, float] = {}
    visible: dict[str, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(work / "lakehouse" / "events", visible, stop))
    try:
        wait_healthy(url, server)
        time.sleep(3)  # let the stream flow start
        watcher.start()
        auth = {"Authorization": "Basic " + base64.b64encode(b"demo-write-key:").decode()}
        interval = 1.0 / args.rate
        failed = 0
        with httpx.Client(base_url=url, headers=auth, timeout=10) as client:
            start = time.monotonic()
            n = 0
            while time.monotonic() - start < args.seconds:
                ids = [str(uuid.uuid4()) for _ in range(10)]
                now = datetime.now(UTC).isoformat()
                batch = [
                    {"type": "track", "event": "Bench", "userId": f"u{n % 97}", "messageId": mid,
                     "timestamp": now, "properties": {"n": n}}
                    for mid in ids
                ]  # fmt: skip
                response = client.post("/v1/batch", json={"batch": batch, "sentAt": now})
                done = time.monotonic()
                if response.status_code == 200:
                    acked.update(dict.fromkeys(ids, done))
                else:
                    failed += 1
                n += 1
                time.sleep(max(0.0, start + n * interval - time.monotonic()))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not acked.keys() <= visible.keys():
            time.sleep(0.1)
    finally:
        stop.set()
        if watcher.is_alive():
            watcher.join(timeout=10)
        for proc in (streamer, server):
            proc.terminate()
        for proc in (streamer, server):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    latencies = [visible[m] - t for m, t in acked.items() if m in visible]
    missing = len(acked) - len(latencies)
    result = {
        "bench": "freshness",
        "setup": {"seconds": args.seconds, "requests_per_s": args.rate, "events_per_request": 10},
        "acked_events": len(acked),
        "failed_requests": failed,
        "missing_after_30s": missing,
        "visible_s_p50": round(percentile(latencies, 0.5), 3) if latencies else None,
        "visible_s_p99": round(percentile(latencies, 0.99), 3) if latencies else None,
        "visible_s_max": round(max(latencies), 3) if latencies else None,
        "reference_bare_write_deltalake_10_rows": _reference(work),
        "bar": {"visible_s_p99": 2.0},
    }
    result["meets_bar"] = bool(latencies) and missing == 0 and result["visible_s_p99"] <= 2.0
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

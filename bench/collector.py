"""Benchmark of the collector (DESIGN §13: /v1/batch of 100 events, 8 clients, durable).

Starts the server (``python -m api.server``) in a subprocess on loopback with a fresh landing
root, runs 8 concurrent clients (threads, one keep-alive ``httpx.Client`` each) that post
``/v1/batch`` bodies of 100 realistic events for ``--seconds``, and prints one JSON object:
events/s, requests/s and the ack latency (p50/p99/max) over HTTP, beside the reference of the
same run: appending the same payloads to a :class:`cdp.landing.LandingLog` directly (8
concurrent asyncio writers, no HTTP). The JSON is the last line of the output (``cdp bench
collector`` saves it).

    .venv/bin/python bench/collector.py [--seconds 10] [--clients 8] [--batch 100] [--workers 1]
                                        [--rate EVENTS_PER_S]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
# the shared benchmark pieces, imported while this script's folder is on sys.path
from _harness import free_port  # noqa: E402

sys.path.insert(0, str(ROOT))

from cdp.landing import LandingEntry, LandingLog, list_lanes, read_lane  # noqa: E402

WRITE_KEY = "bench-write-key"
CONFIG = f"""
lakehouse: ./lakehouse
sources:
  web:
    kind: web
    format: segment
    write_keys: [{WRITE_KEY}]
"""
_EVENTS = (
    "Product Viewed",
    "Product Added",
    "Cart Viewed",
    "Checkout Started",
    "Order Completed",
    "Products Searched",
)
_PAGES = ("/", "/shop", "/shop/shoes", "/product/trail-runner-2", "/cart", "/checkout")


def _event(rng: random.Random, now: datetime) -> dict[str, Any]:
    """One realistic analytics-python track message (~700 bytes as JSON)."""
    path = rng.choice(_PAGES)
    at = now - timedelta(seconds=rng.randint(0, 600))
    return {
        "type": "track",
        "event": rng.choice(_EVENTS),
        "messageId": str(uuid.UUID(int=rng.getrandbits(128))),
        "anonymousId": str(uuid.UUID(int=rng.getrandbits(128))),
        "userId": f"user-{rng.randint(1, 200_000)}",
        "timestamp": at.isoformat(),
        "properties": {
            "product_id": f"P{rng.randint(10_000, 99_999)}",
            "sku": f"SKU-{rng.randint(100_000, 999_999)}",
            "category": rng.choice(("Shoes", "Jackets", "Bags", "Socks")),
            "name": "Trail Runner 2",
            "price": round(rng.uniform(9, 299), 2),
            "currency": "CHF",
            "quantity": rng.randint(1, 3),
        },
        "context": {
            "library": {"name": "analytics-python", "version": "2.4.0"},
            "page": {
                "path": path,
                "url": f"https://shop.example.ch{path}",
                "referrer": "https://www.google.com/",
                "title": "Example Shop",
            },
            "locale": "de-CH",
            "timezone": "Europe/Zurich",
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/131.0 Safari/537.36",
        },
        "integrations": {},
    }


def make_bodies(count: int, batch: int, seed: int = 7) -> list[bytes]:
    """``count`` distinct ``/v1/batch`` bodies of ``batch`` events each."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    return [
        orjson.dumps(
            {
                "batch": [_event(rng, now) for _ in range(batch)],
                "sentAt": now.isoformat(),
                "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
            }
        )
        for _ in range(count)
    ]


def _start_server(workdir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    config = workdir / "cdp.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api.server",
            "--config",
            str(config),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start within 30 s")


def run_http(
    url: str,
    bodies: list[bytes],
    *,
    clients: int,
    seconds: float,
    warmup: float,
    rate: float = 0.0,
) -> dict[str, Any]:
    """Post bodies from ``clients`` threads for ``seconds``; latencies after ``warmup``.

    ``rate``: events/s all clients together aim at (each client paces its requests); 0 sends
    as fast as acknowledgements come back.
    """
    auth = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    events_per_body = len(orjson.loads(bodies[0])["batch"])
    interval = clients * events_per_body / rate if rate > 0 else 0.0

    def client(index: int) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            i = index
            next_at = start + interval * index / clients
            while True:
                body = bodies[i % len(bodies)]
                i += clients
                if interval:
                    time.sleep(max(0.0, next_at - time.perf_counter()))
                    next_at += interval
                sent = time.perf_counter()
                if sent >= stop_at:
                    return
                response = http.post("/v1/batch", content=body)
                done = time.perf_counter()
                if response.status_code != 200:
                    failures[index] += 1
                elif sent >= measure_from:
                    latencies[index].append(done - sent)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - measure_from
    flat = sorted(x for per in latencies for x in per)
    requests = len(flat)
    return {
        "requests": requests,
        "events": requests * events_per_body,
        "failed_requests": sum(failures),
        "seconds": round(elapsed, 3),
        "events_per_s": round(requests * events_per_body / elapsed),
        "requests_per_s": round(requests / elapsed, 1),
        "ack_ms_p50": round(_quantile(flat, 0.50) * 1e3, 2),
        "ack_ms_p99": round(_quantile(flat, 0.99) * 1e3, 2),
        "ack_ms_max": round(flat[-1] * 1e3, 2) if flat else None,
        "ack_ms_mean": round(statistics.fmean(flat) * 1e3, 2) if flat else None,
    }


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


def run_landing(root: Path, bodies: list[bytes], *, writers: int, seconds: float) -> dict[str, Any]:
    """The reference: append the same payloads to a LandingLog directly, no HTTP."""
    events_per_body = len(orjson.loads(bodies[0])["batch"])
    log = LandingLog(root)
    counts = [0] * writers

    async def writer(index: int, stop_at: float) -> None:
        i = index
        while time.perf_counter() < stop_at:
            entry = LandingEntry.create(
                source="web", route="batch", payload=bodies[i % len(bodies)]
            )
            await log.append(entry)
            counts[index] += 1
            i += writers

    async def main() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(writer(i, start + seconds) for i in range(writers)))
        return time.perf_counter() - start

    try:
        elapsed = asyncio.run(main())
        stats = log.stats()
    finally:
        log.close()
    entries = sum(counts)
    return {
        "entries": entries,
        "entries_per_s": round(entries / elapsed),
        "events_per_s": round(entries * events_per_body / elapsed),
        "fsyncs": stats.fsyncs,
        "entries_per_fsync": round(entries / max(1, stats.fsyncs), 1),
        "mb_per_s": round(stats.bytes / elapsed / 1e6, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="target events/s (0: as fast as acked)"
    )
    args = parser.parse_args(argv)

    bodies = make_bodies(64, args.batch)
    workdir = Path(tempfile.mkdtemp(prefix="cdp-bench-collector-"))
    try:
        proc = _start_server(workdir, port := free_port(), args.workers)
        try:
            server = run_http(
                f"http://127.0.0.1:{port}",
                bodies,
                clients=args.clients,
                seconds=args.seconds,
                warmup=args.warmup,
                rate=args.rate,
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        landing = workdir / "landing"
        landed = sum(
            len(read_lane(landing, lane, limit=10**9, max_bytes=None))
            for lane in list_lanes(landing)
        )
        reference = run_landing(
            workdir / "reference", bodies, writers=args.clients, seconds=args.seconds
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "bench": "collector",
        "setup": {
            "clients": args.clients,
            "events_per_request": args.batch,
            "request_bytes": round(statistics.fmean(len(b) for b in bodies)),
            "workers": args.workers,
            "cpus": os.cpu_count(),
            "seconds": args.seconds,
            "target_events_per_s": args.rate or "max",
        },
        "http": server,
        "landed_requests": landed,
        "reference_landing_log": reference,
        "bar": {"events_per_s": 20_000, "ack_ms_p99": 50},
        "meets_bar": server["events_per_s"] >= 20_000 * (0.98 if args.rate else 1)
        and server["ack_ms_p99"] <= 50,
    }
    sys.stdout.write(orjson.dumps(result).decode() + "\n")  # one line: `cdp bench` saves it
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Withdrawal-to-enforced latency through the API (read-your-write, DESIGN §8).

Runs the real product: `cdp serve` as a subprocess on a temporary lakehouse whose ledger is
preloaded with ``--preload`` statements. Each round grants consent for a fresh subject, then,
timed: `POST /v1/consent` a withdrawal, and `GET /v1/consent/decision` for that subject, which
must deny (``WITHDRAWN``, the withdrawal as evidence). Reported: p50/p99 of POST + decide, of
each half, and how many decisions were wrong (must be 0).

References, measured in the same run on the same machine: the same withdrawal + decision
in process (``ConsentStore.record`` then ``ConsentStore.decide``, no HTTP) on a lakehouse with
the same preload, and a bare ``write_deltalake`` append of one row (the floor of any
Delta-backed write).

    .venv/bin/python bench/consent_latency.py [--rounds 200] [--preload 10000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
from deltalake import write_deltalake

ROOT = Path(__file__).resolve().parent.parent
# the shared benchmark pieces, imported while this script's folder is on sys.path
from _harness import free_port, percentile, wait_healthy  # noqa: E402

# this script's folder comes first on sys.path and its name would shadow the consent package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cdp.config import load_config  # noqa: E402
from consent import ConsentStore  # noqa: E402
from storage import Lakehouse  # noqa: E402

CDP = str(Path(sys.executable).with_name("cdp"))
DPO_KEY = "demo-dpo-key"  # the sample cdp.yaml's demo key (sha256 in api_keys)
PURPOSE = "email_marketing"


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 2),
        "p99": round(percentile(values, 0.99), 2),
        "max": round(max(values), 2),
    }


def _statement(subject: str, status: str, captured: datetime) -> dict[str, Any]:
    return {
        "subject": subject,
        "purpose": PURPOSE,
        "status": status,
        "captured_at": captured.isoformat(),
        "source": "preference_center",
        "notice_version": "newsletter-v3",
    }


def _preload(config: Path, count: int) -> None:
    settings = load_config(config)
    lakehouse = Lakehouse.from_settings(settings)
    lakehouse.init()
    if count == 0:
        return
    start = datetime.now(UTC) - timedelta(days=30)
    store = ConsentStore(lakehouse, settings)
    statuses = ("granted", "granted", "withdrawn", "denied")
    store.record(
        [
            _statement(
                f"email:pre{i % (count // 3 + 1)}@example.com",
                statuses[i % len(statuses)],
                start + timedelta(seconds=i),
            )
            for i in range(count)
        ]
    )


def _api(url: str, rounds: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {DPO_KEY}"}
    total: list[float] = []
    post: list[float] = []
    get: list[float] = []
    wrong = 0
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for n in range(-5, rounds):  # five warm-up rounds, not counted
            subject = f"email:bench{n + 5}@example.com"
            now = datetime.now(UTC)
            granted = client.post("/v1/consent", json=_statement(subject, "granted", now))
            granted.raise_for_status()
            withdrawal = _statement(subject, "withdrawn", now + timedelta(milliseconds=1))
            t0 = time.perf_counter()
            posted = client.post("/v1/consent", json=withdrawal)
            t1 = time.perf_counter()
            decided = client.get("/v1/consent/decision", params={"subject": subject,
                                                                 "purpose": PURPOSE})  # fmt: skip
            t2 = time.perf_counter()
            posted.raise_for_status()
            decided.raise_for_status()
            d = decided.json()
            ok = (
                d["allowed"] is False
                and d["reasons"] == ["WITHDRAWN"]
                and d["evidence"] == [posted.json()["consent_id"]]
            )
            if n < 0:
                continue
            wrong += not ok
            total.append((t2 - t0) * 1000)
            post.append((t1 - t0) * 1000)
            get.append((t2 - t1) * 1000)
    return {
        "post_then_decide_ms": _summary(total),
        "post_ms": _summary(post),
        "decide_ms": _summary(get),
        "wrong_decisions": wrong,
    }


def _in_process(config: Path, rounds: int) -> dict[str, Any]:
    settings = load_config(config)
    store = ConsentStore(Lakehouse.from_settings(settings), settings)
    times: list[float] = []
    wrong = 0
    for n in range(-5, rounds):
        subject = f"email:inproc{n + 5}@example.com"
        now = datetime.now(UTC)
        store.record([_statement(subject, "granted", now)])
        t0 = time.perf_counter()
        [cid] = store.record(
            [_statement(subject, "withdrawn", now + timedelta(milliseconds=1))],
            recorded_at=now + timedelta(milliseconds=2),
        )
        d = store.decide(subject, PURPOSE, at=now + timedelta(milliseconds=3))
        t1 = time.perf_counter()
        if n >= 0:
            times.append((t1 - t0) * 1000)
            wrong += d.allowed or d.evidence_ids != (cid,)
    return {"record_then_decide_ms": _summary(times), "wrong_decisions": wrong}


def _bare_append(folder: Path, runs: int = 50) -> dict[str, float]:
    row = pa.table({"consent_id": ["x"], "status": ["withdrawn"]})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        write_deltalake(str(folder / "ref"), row, mode="append")
        times.append((time.perf_counter() - start) * 1000)
    return _summary(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--preload", type=int, default=10_000, help="ledger rows before the run")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cdp-consent-lat-"))
    config = work / "cdp.yaml"
    shutil.copy(ROOT / "cdp.yaml", config)
    _preload(config, args.preload)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = subprocess.Popen([CDP, "-c", str(config), "serve", "--port", str(port)], **quiet)
    try:
        wait_healthy(url, server, timeout=90)
        api = _api(url, args.rounds)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    reference = _in_process(config, args.rounds)
    result = {
        "bench": "consent_latency",
        "setup": {"rounds": args.rounds, "preloaded_statements": args.preload},
        "api_withdrawal_to_enforced": api,
        "reference_in_process_store": reference,
        "reference_bare_write_deltalake_1_row_ms": _bare_append(work),
        "bar": "read-your-write: the very next decision denies (wrong_decisions == 0)",
    }
    result["meets_bar"] = api["wrong_decisions"] == 0 and reference["wrong_decisions"] == 0
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""kill -9 of the consent stream mid-stream, restart: no statement lost, none twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from consent_flow_helpers import consent_message, winners

from cdp.config import load_config
from cdp.ingest import process_message
from cdp.landing import LandingEntry, LandingLog, landing_root
from storage import Lakehouse

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("pipeline_worker.py")


def _config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "cdp.yaml").read_text(encoding="utf-8")
    path = folder / "cdp.yaml"
    path.write_text(text.replace("lakehouse: ./lakehouse", "lakehouse: ./lh", 1), encoding="utf-8")
    return path


def _spawn(config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(WORKER.parent)])}
    return subprocess.Popen(
        [sys.executable, str(WORKER), "stream", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_consent_stream_survives_kill_9(tmp_path: Path) -> None:
    config = _config(tmp_path / "consent")
    settings = load_config(config)
    lake = Lakehouse.from_settings(settings)
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    expected: set[str] = set()
    sent = 0
    with LandingLog(landing_root(settings), segment_bytes=32 << 10) as log:
        proc = _spawn(config)
        try:
            for round_ in range(3):
                deadline = time.monotonic() + rng.uniform(1.5, 3.0)
                while time.monotonic() < deadline:
                    items = [consent_message(sent + i, subjects=23) for i in range(15)]
                    for item in items:
                        rows = process_message(settings, "web", item).rows("consent_ledger")
                        expected.update(r["idempotency_key"] for r in rows)
                    if sent:  # the previous batch's last statement again: one ledger row only
                        items.append({**consent_message(sent - 1, subjects=23), "messageId": "x"})
                    body = orjson.dumps({"batch": items})
                    log.append_sync(LandingEntry.create(source="web", route="batch", payload=body))
                    sent += 15
                    time.sleep(0.01)
                if round_ < 2:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(timeout=30)
                    proc = _spawn(config)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if lake.count("consent_ledger") >= len(expected):
                        break
                except Exception:
                    pass
                time.sleep(0.2)
            time.sleep(1.0)  # anything written twice would show up now
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.startswith(b"stopped"), err.decode()[-2000:]
    ledger = lake.read("consent_ledger")
    assert ledger["idempotency_key"].n_unique() == ledger.height  # nothing twice
    assert set(ledger["idempotency_key"]) == expected  # nothing lost
    assert ledger["consent_id"].n_unique() == ledger.height
    state = lake.read("consent_state")
    got = {
        (r["subject_hash"], r["purpose"]): (r["status"], r["consent_id"])
        for r in state.iter_rows(named=True)
    }
    assert got == winners(ledger)
    assert lake.read("events").height == sent + 1  # the re-sent "x" messages: one event

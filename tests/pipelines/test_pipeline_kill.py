"""kill -9 at a random moment, restart: the tables equal an uninterrupted run's."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import polars as pl
import pytest
from pipeline_helpers import settings_at, snapshot

from cdp.config import Settings, load_config
from cdp.landing import LandingEntry, LandingLog, landing_root
from cdp.synth import GenerateOptions, generate
from pipelines.ingest import run_ingest
from storage import Lakehouse

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("pipeline_worker.py")


def _config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "cdp.yaml").read_text(encoding="utf-8")
    text = text.replace("lakehouse: ./lakehouse", "lakehouse: ./lh", 1)
    path = folder / "cdp.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(WORKER.parent)])}
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _kill_after(
    proc: subprocess.Popen[bytes], delay: float, how: signal.Signals = signal.SIGKILL
) -> bool:
    """Send ``how`` to ``proc`` ``delay`` seconds after it started its work (the worker's
    ``started`` line); False if it had finished already."""
    if how == signal.SIGINT:
        assert proc.stderr is not None
        if proc.stderr.readline().strip() != b"started":
            return False
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    proc.send_signal(how)
    proc.communicate(timeout=60)
    return True


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_batch_ingest_survives_kill_9_and_ctrl_c(
    sample_settings: Settings, tmp_path: Path, how: signal.Signals
) -> None:
    data = tmp_path / "data"
    generate(data, GenerateOptions(people=1_500, seed=41, duplicate_message_rate=0.01))
    web = sorted((data / "web").glob("*.jsonl"))
    reference = settings_at(sample_settings, tmp_path / "reference")
    expected = run_ingest(reference, "web", web, recovery=False)
    assert expected.reconciled

    config = _config(tmp_path / "killed")
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    kills = 0
    for _attempt in range(6):
        proc = _spawn("ingest", str(config), "web", *map(str, web))
        if kills < 2 and _kill_after(proc, rng.uniform(0.8, 4.0), how):
            kills += 1
            if how == signal.SIGINT:
                assert proc.returncode in (0, 3)  # stopped cleanly (or it had just finished)
            continue
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()[-2000:]
        break
    assert kills >= 1, "the ingest finished before it could be stopped"
    killed = Lakehouse.from_settings(load_config(config))
    got = snapshot(killed, consent=False)
    want = snapshot(Lakehouse.from_settings(reference), consent=False)
    assert got == want
    events = killed.read("events")
    assert events["event_id"].n_unique() == events.height == expected.events


def test_stream_survives_kill_9(tmp_path: Path) -> None:
    config = _config(tmp_path / "stream")
    settings = load_config(config)
    lake = Lakehouse.from_settings(settings)
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    expected: set[str] = set()
    batches = 0
    with LandingLog(landing_root(settings), segment_bytes=64 << 10) as log:
        proc = _spawn("stream", str(config))
        try:
            for round_ in range(3):
                deadline = time.monotonic() + rng.uniform(1.5, 3.0)
                while time.monotonic() < deadline:
                    first = batches * 20
                    items = [
                        {
                            "type": "track",
                            "event": "Viewed",
                            "messageId": f"k{first + i}",
                            "anonymousId": f"a{(first + i) % 50}",
                        }
                        for i in range(20)
                    ]
                    if batches:  # re-send the previous batch's last message: a duplicate
                        items.append({**items[0], "messageId": f"k{first - 1}"})
                    items.append({"type": "track", "anonymousId": "x"})  # no event: schema
                    expected.update(f"k{first + i}" for i in range(20))
                    body = orjson.dumps({"batch": items})
                    log.append_sync(LandingEntry.create(source="web", route="batch", payload=body))
                    batches += 1
                    time.sleep(0.01)
                if round_ < 2:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(timeout=30)
                    proc = _spawn("stream", str(config))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if (
                        lake.count("events") >= len(expected)
                        and lake.count("quarantine") >= batches
                    ):
                        break
                except Exception:
                    pass
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)  # a clean stop at the end
            out, _err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.startswith(b"stopped")
    events = lake.read("events")
    assert events["event_id"].n_unique() == events.height
    assert set(events["event_id"]) == expected
    quarantine = lake.read("quarantine")
    assert quarantine.height == batches == quarantine["quarantine_id"].n_unique()
    assert set(quarantine["error_type"]) == {"schema"}
    raw = lake.read("raw_events")
    assert raw["raw_id"].n_unique() == raw.height == batches  # one per landed request
    assert lake.read("events").filter(pl.col("source") != "web").height == 0

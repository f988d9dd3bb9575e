"""kill -9 of a writer at a random moment: every acknowledged entry is readable afterwards."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cdp.landing import LandingEntry, LandingLog, LandingPosition, read_lane

ROOT = Path(__file__).resolve().parents[2]
APPENDER = Path(__file__).with_name("_appender.py")


def _run_and_kill(root: Path, seed: int, after: float) -> dict[str, LandingPosition]:
    """Start the appender, SIGKILL it after ``after`` seconds; the acknowledged entries."""
    proc = subprocess.Popen(
        [sys.executable, str(APPENDER), str(root), str(seed)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    acked: dict[str, LandingPosition] = {}
    assert proc.stdout is not None
    stdout = proc.stdout

    def collect() -> None:
        for raw in stdout:
            if not raw.endswith(b"\n"):
                break  # cut mid-line by the kill: not a complete acknowledgement
            entry_id, segment, offset = raw.decode().split()
            acked[entry_id] = LandingPosition(int(segment), int(offset))

    reader = threading.Thread(target=collect)
    reader.start()
    deadline = time.monotonic() + 30
    while not acked and time.monotonic() < deadline:  # wait for the writer to run
        time.sleep(0.01)
    time.sleep(after)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    reader.join(10)
    assert proc.returncode == -signal.SIGKILL
    return acked


@pytest.mark.integration
def test_every_acknowledged_entry_survives_kill_9(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    rng = random.Random(11)
    acked: dict[str, LandingPosition] = {}
    for round_ in range(3):
        found = _run_and_kill(root, seed=round_, after=rng.uniform(0.2, 1.0))
        assert found, "the writer acknowledged nothing"
        acked.update(found)
        landed = {
            e.entry_id: p for p, e in read_lane(root, "lane-000", limit=10**9, max_bytes=None)
        }
        missing = [i for i in acked if i not in landed]
        assert not missing, f"{len(missing)} of {len(acked)} acknowledged entries lost"
        assert all(landed[i] == p for i, p in acked.items())
    # a writer restarted after the last kill repairs the tail and continues
    with LandingLog(root, lane="lane-000") as log:
        position = log.append_sync(LandingEntry.create(source="web", route="track", payload=b"{}"))
    assert position > max(acked.values())
    final = read_lane(root, "lane-000", limit=10**9, max_bytes=None)
    assert final[-1][0] == position
    assert {e.entry_id for _, e in final} >= set(acked)

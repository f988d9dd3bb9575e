"""A dataflow in its own process, for the kill -9 tests: ``python pipeline_worker.py MODE CONFIG``.

``ingest CONFIG SOURCE FILE...`` runs the batch ingest (with recovery; exit status 3 when stopped
by a signal); ``stream CONFIG`` runs the stream until killed or stopped by SIGINT/SIGTERM. Small
chunks and short epochs make many commits and snapshots, so a kill lands between them at a
random point.
"""

from __future__ import annotations

import os
import signal
import sys

# A SIGINT that arrives while the modules below are still importing (seconds on a loaded
# machine) stops the worker before it started: report it as interrupted (status 3), as the
# dataflow's own handler does once it runs.
signal.signal(signal.SIGINT, lambda signum, frame: os._exit(3))

import logging  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

from cdp.config import load_config  # noqa: E402
from cdp.ingest import IngestInterruptedError, IngestOptions  # noqa: E402
from pipelines.ingest import run_ingest  # noqa: E402
from pipelines.stream import run_stream  # noqa: E402

OPTIONS = IngestOptions(
    chunk_rows=250,
    flush_rows=1_000,
    batch_epoch_interval=timedelta(milliseconds=150),
    epoch_interval=timedelta(milliseconds=150),
    poll_interval=timedelta(milliseconds=20),
    drop_settle=timedelta(0),
    landing_truncate_interval=timedelta(milliseconds=200),
    compact_every=10,
)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    mode, config = argv[0], Path(argv[1])
    settings = load_config(config)
    if mode == "ingest":
        source, files = argv[2], [Path(p) for p in argv[3:]]
        try:
            report = run_ingest(settings, source, files, options=OPTIONS, workers=2)
        except IngestInterruptedError:
            sys.stdout.write("interrupted\n")
            return 3
        sys.stdout.write(f"{report.inputs}\n")
        return 0
    report = run_stream(settings, options=OPTIONS)
    sys.stdout.write(f"stopped {report.inputs}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

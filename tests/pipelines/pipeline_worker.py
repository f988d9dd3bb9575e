"""A dataflow in its own process, for the kill -9 tests: ``python pipeline_worker.py MODE CONFIG``.

``ingest CONFIG SOURCE FILE...`` runs the batch ingest (with recovery; exit status 3 when stopped
by a signal); ``stream CONFIG`` runs the stream until killed or stopped by SIGINT/SIGTERM. Small
chunks and short epochs make many commits and snapshots, so a kill lands between them at a
random point.
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from pathlib import Path

from cdp.config import load_config
from cdp.ingest import IngestInterruptedError, IngestOptions
from pipelines.ingest import run_ingest
from pipelines.stream import run_stream

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
    # The parent times a Ctrl-C from here: a SIGINT during the imports above is a plain
    # KeyboardInterrupt (exit -2) before any work starts, which is not what the tests probe.
    sys.stderr.write("started\n")
    sys.stderr.flush()
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

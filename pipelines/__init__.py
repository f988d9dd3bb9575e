"""Bytewax dataflows (thin wiring): ingest from files, the collector landing and Kafka into Delta.

Built by the ingest issue; imports the domain (:mod:`cdp.ingest`), never the other way round.

* :func:`build_ingest_flow` / :func:`run_ingest` - batch ingest of files of one source
  (``cdp ingest``);
* :func:`build_stream_flow` / :func:`run_stream` - the continuous flow over the landing log,
  drop folders and Kafka topics (``cdp stream``);
* :func:`compact_small_files` - maintenance the stream runs every ``compact_every`` commits.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdp.ingest import IngestOptions, IngestReport, compact_small_files
    from pipelines.ingest import Progress, build_ingest_flow, default_flow_id, run_ingest
    from pipelines.stream import (
        DEFAULT_STREAM_FLOW_ID,
        build_stream_flow,
        drop_folders,
        run_stream,
    )

__all__ = [
    "DEFAULT_STREAM_FLOW_ID",
    "IngestOptions",
    "IngestReport",
    "Progress",
    "build_ingest_flow",
    "build_stream_flow",
    "compact_small_files",
    "default_flow_id",
    "drop_folders",
    "run_ingest",
    "run_stream",
]

#: where each name is defined: imported on first use, so that a helper process of the file
#: ingest, which imports ``pipelines._pool`` only, does not import Bytewax and the stream's
#: HTTP client (about a quarter of a second of its start)
_HOMES: dict[str, str] = {
    "DEFAULT_STREAM_FLOW_ID": "pipelines.stream",
    "IngestOptions": "cdp.ingest",
    "IngestReport": "cdp.ingest",
    "Progress": "pipelines.ingest",
    "build_ingest_flow": "pipelines.ingest",
    "build_stream_flow": "pipelines.stream",
    "compact_small_files": "cdp.ingest",
    "default_flow_id": "pipelines.ingest",
    "drop_folders": "pipelines.stream",
    "run_ingest": "pipelines.ingest",
    "run_stream": "pipelines.stream",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)

"""Bytewax dataflows (thin wiring): ingest from files, the collector landing and Kafka into Delta.

Built by the ingest issue; imports the domain (:mod:`cdp.ingest`), never the other way round.

* :func:`build_ingest_flow` / :func:`run_ingest` - batch ingest of files of one source
  (``cdp ingest``);
* :func:`build_stream_flow` / :func:`run_stream` - the continuous flow over the landing log,
  drop folders and Kafka topics (``cdp stream``);
* :func:`compact_small_files` - maintenance the stream runs every ``compact_every`` commits.
"""

from __future__ import annotations

from cdp.ingest import IngestOptions, IngestReport, compact_small_files
from pipelines.ingest import Progress, build_ingest_flow, default_flow_id, run_ingest
from pipelines.stream import DEFAULT_STREAM_FLOW_ID, build_stream_flow, drop_folders, run_stream

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

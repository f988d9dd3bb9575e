"""The ingest core: raw inputs into rows of the lakehouse tables, framework-free.

Plain functions and classes over bytes, dicts and Arrow tables, used by the Bytewax dataflows of
:mod:`pipelines` (which only wire them to a runtime):

* :mod:`cdp.ingest.readers` - resumable readers of CSV, JSON-lines and Parquet files;
* :mod:`cdp.ingest.process` - chunks of inputs (files, landing log, Kafka) into outcomes;
* :mod:`cdp.ingest.web`, :mod:`cdp.ingest.records`, :mod:`cdp.ingest.consent` - the mapping of
  Segment messages, CRM/ERP records and consent signals;
* :mod:`cdp.ingest.outcome` - outcomes (rows per table) and typed rejections;
* :mod:`cdp.ingest.writer` - exactly-once, deduplicated Delta commits; small-file compaction;
* :mod:`cdp.ingest.dedupe` - the event-id index; :mod:`cdp.ingest.report` - counts;
* :mod:`cdp.ingest.suppression` - inputs of erased people held back (GDPR Art. 17).

The invariant every part keeps: each input ends in exactly one of ``events`` or ``quarantine``,
or is a duplicate of an event already there (``inputs == events + quarantine + duplicates``).
"""

from __future__ import annotations

from cdp.ingest.consent import CATEGORY_PURPOSES, ConsentRows, web_consent_signals
from cdp.ingest.dedupe import EventIndex
from cdp.ingest.errors import (
    IngestError,
    IngestInterruptedError,
    InputFileError,
    UnsupportedSourceError,
)
from cdp.ingest.options import IngestOptions
from cdp.ingest.outcome import Outcome, OutcomeBuilder, Rejection
from cdp.ingest.process import (
    Chunk,
    FileChunk,
    LandingChunk,
    MessageChunk,
    MessageInput,
    Processor,
    landing_seq,
    landing_stream,
    process_landing_entry,
    process_message,
    process_record,
    seq_position,
)
from cdp.ingest.readers import FilePosition, RawInput, file_format, open_reader, read_inputs
from cdp.ingest.report import IngestReport, IngestStats
from cdp.ingest.suppression import (
    SUPPRESSED,
    SuppressionList,
    SuppressionUnavailableError,
    record_identifiers,
)
from cdp.ingest.writer import DeltaWriter, compact_small_files, events_id_loader

__all__ = [
    "CATEGORY_PURPOSES",
    "SUPPRESSED",
    "Chunk",
    "ConsentRows",
    "DeltaWriter",
    "EventIndex",
    "FileChunk",
    "FilePosition",
    "IngestError",
    "IngestInterruptedError",
    "IngestOptions",
    "IngestReport",
    "IngestStats",
    "InputFileError",
    "LandingChunk",
    "MessageChunk",
    "MessageInput",
    "Outcome",
    "OutcomeBuilder",
    "Processor",
    "RawInput",
    "Rejection",
    "SuppressionList",
    "SuppressionUnavailableError",
    "UnsupportedSourceError",
    "compact_small_files",
    "events_id_loader",
    "file_format",
    "landing_seq",
    "landing_stream",
    "open_reader",
    "process_landing_entry",
    "process_message",
    "process_record",
    "read_inputs",
    "record_identifiers",
    "seq_position",
    "web_consent_signals",
]

"""Processing of file chunks in helper processes, beside the dataflow (``parse_processes``).

A Bytewax cluster shares the work of a file ingest between processes, but every outcome then
crosses to the process that writes it, and on a small machine the cluster's own cost ate the
gain. A :class:`ChunkPool` instead keeps the dataflow in one process and hands the CPU-heavy
step - turning a chunk of inputs into an :class:`~cdp.ingest.Outcome`, a pure function of the
chunk, the configuration and the time - to spawned helper processes; the dataflow's process
reads, dedupes, writes Delta and runs the consent engine. The file source keeps a few chunks in
flight and emits their outcomes in order (:class:`pipelines._sources.FileSource`), and its
snapshot is the position after the last outcome emitted, so a restart reads the chunks that
were still in flight again: the recovery contract holds as without the pool.

Helpers are started with ``spawn`` (the dataflow's process runs Rust thread pools that a fork
would not carry over); each builds its :class:`~cdp.ingest.Processor` once.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime

from cdp.config import Settings
from cdp.ingest import FileChunk, IngestOptions, Outcome, Processor, Rejection

__all__ = ["ChunkPool"]

logger = logging.getLogger(__name__)

_PROCESSOR: Processor | None = None


def _start(settings: Settings, options: IngestOptions) -> None:
    """Initializer of a helper process: its processor, and the garbage collector tuned."""
    global _PROCESSOR  # one processor per helper process, built once
    from pipelines._flow import tune_gc

    tune_gc()
    _PROCESSOR = Processor(settings, options)


def _process(chunk: FileChunk, now: datetime) -> Outcome:
    """The outcome of ``chunk`` (in a helper); a chunk whose processing fails is quarantined
    whole, as the dataflow's own processing step does."""
    processor = _PROCESSOR
    assert processor is not None, "helper process not initialised"
    try:
        return processor.process(chunk, now=now)
    except Exception as e:  # never lose a chunk on a bug: quarantine its inputs
        logger.error("processing a chunk of %s failed: %s", chunk.stream, type(e).__name__)
        rejection = Rejection("internal", "processing failed; see the logs", None, "process")
        return processor.reject_chunk(chunk, rejection)


class ChunkPool:
    """``processes`` helper processes turning file chunks into outcomes."""

    def __init__(self, settings: Settings, options: IngestOptions, *, processes: int) -> None:
        if processes < 1:
            raise ValueError("a chunk pool needs at least one process")
        self.processes = processes
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(settings, options),
        )

    def submit(self, chunk: FileChunk) -> Future[Outcome]:
        """The future outcome of ``chunk``, processed as received now."""
        return self._executor.submit(_process, chunk, datetime.now(UTC))

    def close(self) -> None:
        """Stop the helpers (chunks still queued are dropped: the source re-reads them)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ChunkPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

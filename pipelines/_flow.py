"""The shared part of the dataflows: process chunks, branch failures, sink; run a flow."""

from __future__ import annotations

import ctypes
import functools
import gc
import hashlib
import logging
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import TypeGuard

import bytewax.operators as op
from bytewax._bytewax import cli_main
from bytewax.dataflow import Dataflow, Stream
from bytewax.errors import BytewaxRuntimeError
from bytewax.recovery import RecoveryConfig, init_db_dir

from cdp.config import Settings
from cdp.errors import CdpError
from cdp.ingest import (
    Chunk,
    DeltaWriter,
    IngestError,
    IngestOptions,
    Outcome,
    Processor,
    Rejection,
)
from pipelines._sink import DeltaSink
from pipelines.consent import ConsentMarks, attach_consent_engine

__all__ = [
    "ChunkFailure",
    "check_not_reimported_main",
    "default_recovery_dir",
    "flow_name",
    "free_addresses",
    "prepare_recovery",
    "process_and_sink",
    "run_flow",
    "stop_on_signals",
    "tune_gc",
]

logger = logging.getLogger(__name__)

_RECOVERY_PARTS = 2
_GC_THRESHOLD = 20_000


@dataclass(frozen=True)
class ChunkFailure:
    """A chunk whose processing raised (a bug, not a bad input): its inputs go to quarantine."""

    chunk: Chunk
    error: str


def flow_name(flow_id: str) -> str:
    """A Bytewax dataflow name for ``flow_id`` (letters, digits, ``_`` and ``-``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", flow_id) or "flow"


def process_and_sink(
    chunks: Stream[Chunk] | Stream[Chunk | Outcome],
    *,
    processor: Processor,
    writer: DeltaWriter,
    options: IngestOptions,
    consent_marks: ConsentMarks | None = None,
) -> None:
    """``chunks`` -> process -> (failed chunks -> quarantine) -> Delta sink, and the consent
    statements -> the consent engine (:mod:`pipelines.consent`), which writes the ledger."""

    def process(chunk: Chunk | Outcome) -> Outcome | ChunkFailure:
        if isinstance(chunk, Outcome):
            return chunk  # processed by a helper process already (pipelines._pool)
        try:
            return processor.process(chunk)
        except Exception as e:  # never crash the flow on a chunk: quarantine it below
            logger.error("processing a chunk of %s failed: %s", chunk.stream, type(e).__name__)
            return ChunkFailure(chunk, type(e).__name__)

    def quarantine(item: Outcome | ChunkFailure) -> Outcome:
        if isinstance(item, Outcome):  # pragma: no cover - the branch sends failures only
            return item
        rejection = Rejection("internal", "processing failed; see the logs", None, "process")
        return processor.reject_chunk(item.chunk, rejection)

    processed = op.map("process", chunks, process)
    split = op.branch("ok", processed, _is_outcome)
    rescued = op.map("quarantine_failed", split.falses, quarantine)
    outcomes: Stream[Outcome] = op.merge("outcomes", split.trues, rescued)
    keyed = op.key_on("by_stream", outcomes, _stream_of)
    op.output("delta", keyed, DeltaSink(writer, options))
    writer.write_consent = False  # the consent engine writes consent_ledger
    attach_consent_engine(
        outcomes,
        lakehouse=writer.lakehouse,
        flow_id=writer.flow_id,
        parts=options.consent_partitions,
        stats=writer.stats,
        marks=consent_marks,
    )


def _is_outcome(item: Outcome | ChunkFailure) -> TypeGuard[Outcome]:
    return isinstance(item, Outcome)


def _stream_of(outcome: Outcome) -> str:
    return outcome.stream


def default_recovery_dir(settings: Settings, flow_id: str, parts: Iterable[str] = ()) -> Path:
    """Where a flow keeps its recovery state: ``<config folder>/.cdp/recovery/<flow_id>/<key>``.

    Bytewax refuses to resume a state whose partitions the flow no longer lists, so the state
    is kept per set of input partitions (``key`` digests ``parts``). Losing it is harmless: the
    Delta transactions alone keep every write exactly-once; the state only saves re-reading.
    """
    digest = hashlib.blake2b("\x1f".join(sorted(parts)).encode(), digest_size=8).hexdigest()
    return settings.base_dir / ".cdp" / "recovery" / flow_name(flow_id) / digest


def run_flow(
    flow: Dataflow,
    *,
    workers: int,
    epoch_interval: timedelta,
    recovery_dir: Path | None,
    process_id: int | None = None,
    addresses: list[str] | None = None,
) -> None:
    """Run ``flow`` with ``workers`` worker threads (blocks until done).

    With ``addresses`` (``host:port`` of every process) this process is ``process_id`` of a
    cluster; every process runs the same flow.
    """
    recovery = None
    if recovery_dir is not None:
        if not addresses:
            prepare_recovery(recovery_dir)
        recovery = RecoveryConfig(str(recovery_dir))
    tune_gc()
    try:
        cli_main(  # (process_id and addresses None: a single process, Bytewax's defaults)
            flow,
            workers_per_process=max(1, workers),
            process_id=(process_id or 0) if addresses else None,
            addresses=addresses or None,
            epoch_interval=epoch_interval,
            recovery_config=recovery,
        )
    except BytewaxRuntimeError as e:
        # a product error inside a step (a commit that failed, a broken helper pool) is
        # raised as what it is, not as Bytewax's wrapper of it: ``cdp`` prints it in one line
        cause = _product_error(e)
        if cause is None:
            raise
        raise IngestError(f"the dataflow stopped: {cause}") from e


def _product_error(error: BaseException) -> CdpError | None:
    """The first product error in the chain of causes of ``error``."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, CdpError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT/SIGTERM while in the block (main thread only).

    The sources end at their next poll and the sinks commit what they hold, so a stopped flow
    leaves a consistent recovery state. Previous handlers are restored on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handle(signum: int, frame: object) -> None:
        logger.info("signal %d: stopping the dataflow after its current epoch", signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def prepare_recovery(recovery_dir: Path) -> None:
    """Create the recovery partitions of a flow when they are not there yet.

    They are created in a staging folder that is then renamed into place, so a process killed
    meanwhile never leaves a partial set (Bytewax refuses to run on one). A partial set found
    (left by an older version killed while creating it) holds no epoch yet: it is replaced.
    """
    if _complete(recovery_dir):
        return
    recovery_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{recovery_dir.name}-", dir=recovery_dir.parent))
    try:
        init_db_dir(staging, _RECOVERY_PARTS)
        if recovery_dir.exists():
            logger.warning("recovery state at %s was incomplete: created afresh", recovery_dir)
            shutil.rmtree(recovery_dir)
        staging.replace(recovery_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _complete(recovery_dir: Path) -> bool:
    """Whether ``recovery_dir`` holds a whole set of partitions (``part-<i>.sqlite3``)."""
    found = {p.name for p in recovery_dir.glob("part-*.sqlite3")}
    count = max(len(found), _RECOVERY_PARTS)
    return all(f"part-{i}.sqlite3" in found for i in range(count))


def free_addresses(count: int) -> list[str]:
    """``count`` free loopback ``host:port`` addresses for a local cluster."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [f"127.0.0.1:{sock.getsockname()[1]}" for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


#: the module name under which a process that ``multiprocessing`` starts (``spawn``,
#: ``forkserver``) runs the main script again, to find the functions it is to call
_REIMPORTED_MAIN = "__mp_main__"


def check_not_reimported_main(what: str) -> None:
    """Raise :class:`~cdp.ingest.IngestError` when called from the top level of a main script
    that a process started by ``multiprocessing`` is importing again.

    An ingest with helper processes or a cluster starts processes that import the caller's
    main script; a script whose calls are not under ``if __name__ == "__main__":`` would start
    the ingest again in each of them (each writing what it got to before its own helpers
    failed). It is refused at once, with the fix in the message, instead. A function of the
    script that a process runs on purpose (``Process(target=...)``) is not refused: only the
    script's top level runs while it is being imported.
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == (
            _REIMPORTED_MAIN
        ):
            script = Path(frame.f_code.co_filename).name
            raise IngestError(
                f"{what} was called while a new process imported the main script {script} "
                "again (processes that multiprocessing starts import it); put the script's "
                'calls under `if __name__ == "__main__":`'
            )
        frame = frame.f_back


def tune_gc() -> None:  # also run by the helpers of pipelines._pool
    """Fewer garbage collections while millions of short-lived rows go by.

    The objects alive now (modules, configuration, parsers) are frozen out of collections and
    the youngest generation is collected less often: processing creates many objects per input
    but no reference cycles.
    """
    gc.freeze()
    threshold = gc.get_threshold()
    if threshold[0] < _GC_THRESHOLD:
        gc.set_threshold(_GC_THRESHOLD, *threshold[1:])
    _tune_malloc()


#: glibc ``mallopt`` parameters: M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


@functools.cache  # once per process
def _tune_malloc() -> None:
    """Keep freed memory for the next chunk instead of giving it back to the system.

    A chunk's lines and buffers are megabytes of short-lived allocations; by default glibc
    maps big blocks afresh and trims the heap as soon as they are freed, so every chunk pays
    the page faults of its memory again (expensive in a virtual machine). Where glibc is not
    the C library this does nothing."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 64 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 512 << 20)
    except (OSError, AttributeError):  # not glibc
        pass

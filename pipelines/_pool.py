"""Processing of file chunks in helper processes, beside the dataflow (``parse_processes``).

A Bytewax cluster shares the work of a file ingest between processes, but every outcome then
crosses to the process that writes it, and on a small machine the cluster's own cost ate the
gain. A :class:`ChunkPool` instead keeps the dataflow in one process and hands the CPU-heavy
step - turning a chunk of inputs into an :class:`~cdp.ingest.Outcome`, a pure function of the
chunk, the configuration and the time - to helper processes; the dataflow's process
dedupes, writes Delta and runs the consent engine. The file source keeps a few chunks in flight
and emits their outcomes in order (:class:`pipelines._sources.FileSource`), and its snapshot is
the position after the last outcome emitted, so a restart reads the chunks that were still in
flight again: the recovery contract holds as without the pool.

What crosses between the processes is kept small, since copying it costs about as much as the
work it moves:

* in: for JSON lines only where the chunk is (:class:`LinesTask`: file, position, number of
  inputs, found by :meth:`~cdp.ingest.readers.JsonLinesReader.skip_batch` without building
  them); the helper reads the lines itself. Other chunks cross as they are.
* out: the outcome's Arrow tables as Arrow IPC files in a folder of the pool (in ``/dev/shm``,
  memory, where there is one with room; else in the temporary folder), which the dataflow's
  process maps without a copy and unlinks; only the rest of the outcome is pickled (all of it
  when the folder has no room left).

Helpers fork from a ``forkserver`` (``spawn`` where there is none), never from the dataflow's
process itself, which runs Rust thread pools that a fork would not carry over; the server
imports the modules once, and each helper builds its :class:`~cdp.ingest.Processor` once. They
start with the pool; until they are ready the file sources process chunks in the dataflow
(``IngestOptions.helper_start``).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import re
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from cdp.config import Settings
from cdp.ingest import FileChunk, IngestError, IngestOptions, Outcome, Processor, Rejection
from cdp.ingest.readers import FilePosition, JsonLinesReader

__all__ = ["ChunkPool", "LinesTask"]

logger = logging.getLogger(__name__)

_PROCESSOR: Processor | None = None
_OPTIONS: IngestOptions | None = None
_FOLDER: Path | None = None
_NAMES = itertools.count()
#: where the outcomes' tables cross: memory where the system offers a tmpfs with room for the
#: chunks a sink holds before it commits (about 2 KB a line); else the temporary folder
_SHARED_MEMORY = Path("/dev/shm")
_SHARED_MEMORY_MIN = 2 << 30


@dataclass(frozen=True, slots=True)
class LinesTask:
    """The ``rows`` inputs of a JSON-lines file from ``start`` to ``after`` (positions the
    reader of the dataflow found), which a helper reads itself: as that reader would, up to
    the byte offset of ``after`` (it checks what it finds: a file changed under the ingest is
    an error)."""

    source: str
    stream: str
    path: Path
    start: FilePosition
    rows: int
    after: FilePosition


#: an outcome without its tables, the IPC files that hold them (by table name), and the
#: helper's process id and CPU seconds so far
_Shipped = tuple[Outcome, dict[str, str], tuple[int, float]]


def _start(settings: Settings, options: IngestOptions, folder: Path) -> None:
    """Initializer of a helper process: its processor; the garbage collector and the allocator
    tuned as in the dataflow's process."""
    global _PROCESSOR, _OPTIONS, _FOLDER  # one processor per helper process, built once
    from pipelines._flow import tune_gc

    tune_gc()
    _PROCESSOR = Processor(settings, options)
    _OPTIONS = options
    _FOLDER = folder


def _outcome(chunk: FileChunk, now: datetime) -> Outcome:
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


def _ship(outcome: Outcome) -> _Shipped:
    """Write the tables of ``outcome`` to IPC files of the pool's folder (in a helper)."""
    assert _FOLDER is not None, "helper process not initialised"
    files: dict[str, str] = {}
    prefix = f"{os.getpid()}-{next(_NAMES)}"
    try:
        for name, table in outcome.tables.items():
            path = str(_FOLDER / f"{prefix}-{name}.arrow")
            files[name] = path
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
    except OSError as e:  # the folder is full (a small /dev/shm): the tables go pickled
        for path in files.values():
            with contextlib.suppress(OSError):
                Path(path).unlink()
        logger.warning("no room for a chunk's tables in %s (%s); sent inline", _FOLDER, e)
        return outcome, {}, (os.getpid(), time.process_time())
    outcome.tables = {}
    return outcome, files, (os.getpid(), time.process_time())


def _unship(shipped: _Shipped) -> Outcome:
    """The outcome with its tables mapped from their files (no copy); the files are unlinked
    (the memory lives on until the tables are freed)."""
    outcome, files, _ = shipped
    if not files:
        return outcome  # the tables came inline (or there were none)
    tables: dict[str, pa.Table] = {}
    for name, path in files.items():
        with pa.memory_map(path) as source:
            tables[name] = pa.ipc.open_file(source).read_all()
        Path(path).unlink()
    outcome.tables = tables
    return outcome


def _ready() -> bool:
    """A task that tells that a helper has started (its initializer has run)."""
    return _PROCESSOR is not None


def _process(chunk: FileChunk, now: datetime) -> _Shipped:
    return _ship(_outcome(chunk, now))


def _process_lines(task: LinesTask, now: datetime) -> _Shipped:
    """Read the lines of ``task`` and process them (in a helper)."""
    options = _OPTIONS
    assert options is not None, "helper process not initialised"
    reader = JsonLinesReader(
        task.path,
        position=task.start,
        max_record_bytes=options.max_record_bytes,
        end=task.after.offset,
        block_bytes=task.after.offset - task.start.offset + 1,
    )
    try:
        batch = reader.read_batch(options.chunk_rows, options.chunk_bytes)
        after = reader.position
    finally:
        reader.close()
    if len(batch) != task.rows or after != task.after:
        raise IngestError(f"input file changed while it was ingested: {task.path.name}")
    chunk = FileChunk(task.source, task.stream, "jsonl", batch)
    return _ship(_outcome(chunk, now))


def _context() -> multiprocessing.context.BaseContext:
    """``forkserver`` where there is one: a clean server process (no threads) imports the
    modules once and forks the helpers from itself, instead of each helper importing them
    again (a second or more each); ``spawn`` elsewhere."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", __name__])
    return context


def _broken() -> IngestError:
    """The error of a pool whose helper process ended abruptly."""
    return IngestError(
        "a helper process of the ingest ended abruptly (killed, out of memory, or it failed "
        "to start: see its error above). A script that runs an ingest with helper processes "
        'must make its calls under `if __name__ == "__main__":`, as the helpers import it'
    )


def _folder() -> Path:
    """A fresh folder for the outcomes' files, named after this process; folders left behind
    by processes that died (``kill -9``: memory in ``/dev/shm`` until a reboot) are removed."""
    root = Path(tempfile.gettempdir())
    if _SHARED_MEMORY.is_dir() and os.access(_SHARED_MEMORY, os.W_OK):
        room = shutil.disk_usage(_SHARED_MEMORY).free
        if room >= _SHARED_MEMORY_MIN:  # (a container's is often 64 MB: too small)
            root = _SHARED_MEMORY
    for stale in root.glob(f"{_FOLDER_PREFIX}*"):
        match = _FOLDER_PID.match(stale.name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(stale, ignore_errors=True)
            logger.info("removed the helper files of a process that ended: %s", stale.name)
    return Path(tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{os.getpid()}-", dir=root))


_FOLDER_PREFIX = "cdp-pool-"
_FOLDER_PID = re.compile(rf"^{_FOLDER_PREFIX}(\d+)-")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ChunkPool:
    """``processes`` helper processes turning file chunks into outcomes."""

    def __init__(self, settings: Settings, options: IngestOptions, *, processes: int) -> None:
        if processes < 1:
            raise ValueError("a chunk pool needs at least one process")
        self.processes = processes
        self._cpu: dict[int, float] = {}
        self._folder = _folder()
        self._executor: ProcessPoolExecutor | None = None
        self._warming: list[Future[bool]] = []
        self._start_error: BaseException | None = None
        # the helpers start in the background: the first one waits for the forkserver to
        # import the modules (most of a second), and meanwhile the dataflow sets up and its
        # file sources process the first chunks themselves (``ready`` is False until then)
        self._starter = threading.Thread(
            target=self._start_helpers,
            args=(settings, options),
            name="cdp-pool-start",
            daemon=True,
        )
        self._starter.start()

    def _start_helpers(self, settings: Settings, options: IngestOptions) -> None:
        try:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=_context(),
                initializer=_start,
                initargs=(settings, options, self._folder),
            )
            # the executor starts one helper per task waiting: start them all now
            self._warming = [self._executor.submit(_ready) for _ in range(self.processes)]
        except BaseException as e:  # raised by the first submit (pipelines._sources)
            self._start_error = e

    def _started(self) -> ProcessPoolExecutor:
        """The executor, once started (waits for the start)."""
        self._starter.join()
        if self._start_error is not None or self._executor is None:
            raise IngestError("the helper processes failed to start") from self._start_error
        return self._executor

    @property
    def folder(self) -> Path:
        """Where the outcomes' tables cross (removed when the pool closes)."""
        return self._folder

    def ready(self) -> bool:
        """Whether the helpers have started (before, the file sources process chunks in the
        dataflow, rather than wait a second or so for them)."""
        if self._starter.is_alive():
            return False
        return self._start_error is not None or all(f.done() for f in self._warming)

    def submit(self, chunk: FileChunk | LinesTask) -> Future[Outcome]:
        """The future outcome of ``chunk``, processed as received now."""
        executor = self._started()
        now = datetime.now(UTC)
        try:
            if isinstance(chunk, LinesTask):
                return self._unshipped(executor.submit(_process_lines, chunk, now))
            return self._unshipped(executor.submit(_process, chunk, now))
        except BrokenProcessPool as e:
            raise _broken() from e

    def cpu_seconds(self) -> float:
        """CPU seconds the helpers have spent (as of their last outcome), not counting the
        one-time start of the ``forkserver`` that imports the modules for them."""
        return sum(self._cpu.values())

    def _unshipped(self, shipped: Future[_Shipped]) -> Future[Outcome]:
        """A future of the outcome, its tables mapped as soon as the helper is done."""
        outcome: Future[Outcome] = Future()
        cpu = self._cpu

        def done(future: Future[_Shipped]) -> None:
            if future.cancelled():
                outcome.cancel()
                outcome.set_running_or_notify_cancel()
                return
            try:
                result = future.result()
                pid, seconds = result[2]
                cpu[pid] = max(seconds, cpu.get(pid, 0.0))
                outcome.set_result(_unship(result))
            except BrokenProcessPool as e:
                broken = _broken()
                broken.__cause__ = e
                outcome.set_exception(broken)
            except BaseException as e:  # the helper's error for the source
                outcome.set_exception(e)

        shipped.add_done_callback(done)
        return outcome

    def close(self) -> None:
        """Stop the helpers (chunks still queued are dropped: the source re-reads them)."""
        try:
            self._starter.join()
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> ChunkPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

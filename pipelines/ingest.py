"""Batch ingest of files of one configured source (``cdp ingest --source crm FILES``).

:func:`build_ingest_flow` wires the Bytewax dataflow: one input partition per file (state: the
reader's position), processing into outcomes (failed chunks branch to quarantine), and the
exactly-once Delta sink. :func:`run_ingest` runs it and reports what it did.

Running the same files again adds nothing: every file is a stream whose committed position is in
the Delta log (``<flow_id>:<table>:file:<path>``), so rows already written are skipped; with
recovery (the default) a finished file is not even read again. Files are taken to be immutable
or append-only: a file replaced by other content under the same path is not re-read from the
start. ``reprocess=True`` (``cdp ingest --reprocess``) reads them again as new streams named by
the configuration (:func:`reprocess_label`): after a fix, records refused before may pass.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import bytewax.operators as op
import orjson
from bytewax.dataflow import Dataflow

from cdp.config import Settings
from cdp.ingest import (
    DeltaWriter,
    IngestError,
    IngestInterruptedError,
    IngestOptions,
    IngestReport,
    IngestStats,
    InputFileError,
    Processor,
    UnsupportedSourceError,
    compact_small_files,
    file_format,
)
from cdp.ingest.outcome import stable_id
from cdp.ingest.readers import data_bytes
from pipelines._flow import (
    check_not_reimported_main,
    default_recovery_dir,
    flow_name,
    free_addresses,
    prepare_recovery,
    process_and_sink,
    run_flow,
    stop_on_signals,
)
from pipelines._pool import ChunkPool
from pipelines._sources import FileSource, ReadProgress, file_parts
from storage import Lakehouse, StorageError

__all__ = [
    "AUTO_HELPERS_MIN_BYTES",
    "AUTO_HELPERS_RECORD_MIN_BYTES",
    "Progress",
    "build_ingest_flow",
    "default_flow_id",
    "default_parse_processes",
    "reprocess_label",
    "run_ingest",
]

logger = logging.getLogger(__name__)

#: ``progress(bytes_read, total_bytes)``, called now and then while files are read.
Progress = Callable[[int, int], None]


def default_flow_id(source: str) -> str:
    """The flow id of ``cdp ingest --source SOURCE``."""
    return f"ingest-{source}"


def reprocess_label(settings: Settings, source: str) -> str:
    """The label of ``cdp ingest --reprocess``: names the configuration that reads the files
    (the source's, the purpose catalogue and the consent settings).

    A reprocessing run reads files already ingested as new streams (``file:<path>@<label>``):
    their exactly-once marks, raw and quarantine ids are its own, its records already in
    ``events`` are duplicates, and records an earlier configuration refused are read anew.
    The same configuration gives the same label, so a second reprocessing run adds nothing
    (and one killed midway resumes).
    """
    config = settings.source(source)
    parts = (
        config.model_dump(mode="json"),
        {name: p.model_dump(mode="json") for name, p in sorted(settings.purposes.items())},
        settings.consent.model_dump(mode="json"),
    )
    return "config-" + stable_id(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS).decode())[:12]


#: JSON lines of a web source below this size are processed in the dataflow alone: helpers take
#: a second or so to start (``cdp ingest`` without ``--parse-processes``)
AUTO_HELPERS_MIN_BYTES = 64 << 20
#: the same for the CSV and JSON-lines files of a record source (CRM, ERP): a record costs
#: several times the CPU of a web line (its identity fields are normalized one by one), so
#: helpers pay off sooner - on 2 cores about 1.6x from 100k contacts (19 MB) on, nothing at 40k
AUTO_HELPERS_RECORD_MIN_BYTES = 16 << 20
_RECORD_KINDS = ("crm", "erp", "other")


def default_parse_processes(
    settings: Settings, source: str, paths: Sequence[Path], *, processes: int = 1
) -> int:
    """Helper processes for ``cdp ingest`` when not told: one per CPU the process may use, for
    JSON-lines files (and JSON arrays) of :data:`AUTO_HELPERS_MIN_BYTES` or more (the helpers
    read plain JSON lines themselves), and for the CSV or JSON files of a record source of
    :data:`AUTO_HELPERS_RECORD_MIN_BYTES` or more (compressed files by their decompressed
    size); none for smaller inputs, other formats, or a cluster (``processes`` > 1)."""
    if processes > 1:
        return 0
    default = _default_format(settings, source)
    records = settings.source(source).kind in _RECORD_KINDS
    formats = ("csv", "jsonl", "json") if records else ("jsonl", "json")
    size = 0
    for path in paths:
        path = Path(path)
        try:
            if file_format(path, default) in formats:
                size += data_bytes(path)  # (a compressed file's decompressed size)
        except (OSError, IngestError):
            continue  # reported by the ingest itself
    if size < (AUTO_HELPERS_RECORD_MIN_BYTES if records else AUTO_HELPERS_MIN_BYTES):
        return 0
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return cpus if cpus > 1 else 0


def _default_format(settings: Settings, source: str) -> str:
    fmt = settings.source(source).format
    return fmt if fmt in ("csv", "jsonl", "parquet") else "jsonl"


def _check(settings: Settings, source: str, paths: Sequence[Path]) -> list[Path]:
    config = settings.source(source)
    if config.format == "kafka":
        raise UnsupportedSourceError(
            f"source {source} reads a Kafka topic; files cannot be ingested for it"
        )
    if not paths:
        raise IngestError("no input files given")
    default = _default_format(settings, source)
    checked: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.is_file():
            raise InputFileError(f"input file not found: {path}")
        file_format(path, default)  # raises for an unknown file type
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            checked.append(path)
    return checked


def build_ingest_flow(
    settings: Settings,
    source: str,
    paths: Sequence[Path],
    *,
    flow_id: str,
    options: IngestOptions | None = None,
    lakehouse: Lakehouse | None = None,
    writer: DeltaWriter | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    pool: ChunkPool | None = None,
    label: str | None = None,
) -> Dataflow:
    """The batch dataflow over ``paths`` of ``source`` (see the module documentation).

    Once ``stop`` is set the sources end early; a later run with the same recovery state
    continues from there. With a ``pool`` its helper processes process the chunks. ``label``
    makes the files new streams (:func:`reprocess_label`).
    """
    options = options or IngestOptions()
    files = _check(settings, source, paths)
    default = _default_format(settings, source)
    lakehouse = lakehouse or Lakehouse.from_settings(settings)
    writer = writer or DeltaWriter(
        lakehouse, flow_id=flow_id, options=options, privacy=settings.privacy
    )
    tracker = None
    if progress is not None:
        tracker = ReadProgress(sum(p.stat().st_size for p in files), progress)
    flow = Dataflow(flow_name(flow_id))
    chunks = op.input(
        "read",
        flow,
        FileSource(
            source,
            files,
            default_format=default,
            options=options,
            progress=tracker,
            stop=stop,
            pool=pool,
            config=settings.source(source),
            label=label,
        ),
    )
    process_and_sink(chunks, processor=Processor(settings, options), writer=writer, options=options)
    return flow


@dataclass(frozen=True)
class _Job:
    """What every process of an ingest cluster needs to build the same flow."""

    settings: Settings
    source: str
    paths: list[Path]
    flow_id: str
    options: IngestOptions
    workers: int
    recovery_dir: Path | None
    addresses: list[str]
    label: str | None = None


def _run_process(job: _Job, process_id: int, results: Any) -> None:
    """One more process of a cluster (started with ``spawn``): runs the flow, sends its counts."""
    stats = IngestStats()
    lakehouse = Lakehouse.from_settings(job.settings)
    writer = DeltaWriter(
        lakehouse,
        flow_id=job.flow_id,
        stats=stats,
        options=job.options,
        privacy=job.settings.privacy,
    )
    stop = threading.Event()
    flow = build_ingest_flow(
        job.settings,
        job.source,
        job.paths,
        flow_id=job.flow_id,
        options=job.options,
        lakehouse=lakehouse,
        writer=writer,
        stop=stop,
        label=job.label,
    )
    with stop_on_signals(stop):
        run_flow(
            flow,
            workers=job.workers,
            epoch_interval=job.options.batch_epoch_interval,
            recovery_dir=job.recovery_dir,
            process_id=process_id,
            addresses=job.addresses,
        )
    results.put(stats.report(flow_id=job.flow_id, elapsed=0.0, cpu=time.process_time()))


def run_ingest(
    settings: Settings,
    source: str,
    paths: Sequence[Path],
    *,
    workers: int = 1,
    processes: int = 1,
    recovery_dir: Path | None = None,
    recovery: bool = True,
    progress: Progress | None = None,
    flow_id: str | None = None,
    options: IngestOptions | None = None,
    reprocess: bool = False,
) -> IngestReport:
    """Ingest ``paths`` of ``source`` into the lakehouse; what it read and wrote.

    ``reprocess``: read files already ingested again, under the current configuration (after
    a fix: a mapping, a CSV encoding), as new streams (:func:`reprocess_label`): records refused
    before may now pass; those already in ``events`` count as duplicates. Their earlier
    ``quarantine`` rows stay, as the record of that run.

    ``workers`` worker threads per process share the files (and the byte ranges of big
    JSON-lines files); ``processes`` > 1 runs a local Bytewax cluster of that many processes
    (Python's processing is then parallel; one process writes Delta). Missing tables are
    created.

    Recovery: a run killed midway resumes where its last epoch ended when run again with the
    same files. The state lives in ``recovery_dir`` (default: a folder per set of files under
    ``<config folder>/.cdp/recovery/<flow_id>/``, removed once the run completes);
    ``recovery=False`` turns it off. Either way a rerun writes nothing twice: it re-reads the
    files and skips what the Delta transactions say is committed.
    """
    check_not_reimported_main("run_ingest")  # before it starts anything
    options = options or IngestOptions()
    flow_id = flow_id or default_flow_id(source)
    files = _check(settings, source, paths)
    lakehouse = Lakehouse.from_settings(settings)
    lakehouse.init()
    stats = IngestStats()
    writer = DeltaWriter(
        lakehouse, flow_id=flow_id, stats=stats, options=options, privacy=settings.privacy
    )
    stop = threading.Event()
    # helper processes for the chunks (a cluster shares the work between its processes instead)
    pool = (
        ChunkPool(settings, options, processes=options.parse_processes)
        if options.parse_processes and processes <= 1
        else None
    )
    try:
        return _run(
            settings,
            source,
            files,
            workers=workers,
            processes=processes,
            recovery_dir=recovery_dir,
            recovery=recovery,
            progress=progress,
            flow_id=flow_id,
            options=options,
            lakehouse=lakehouse,
            stats=stats,
            writer=writer,
            stop=stop,
            pool=pool,
            label=reprocess_label(settings, source) if reprocess else None,
        )
    finally:
        if pool is not None:
            pool.close()


def _run(
    settings: Settings,
    source: str,
    files: list[Path],
    *,
    workers: int,
    processes: int,
    recovery_dir: Path | None,
    recovery: bool,
    progress: Progress | None,
    flow_id: str,
    options: IngestOptions,
    lakehouse: Lakehouse,
    stats: IngestStats,
    writer: DeltaWriter,
    stop: threading.Event,
    pool: ChunkPool | None,
    label: str | None,
) -> IngestReport:
    flow = build_ingest_flow(
        settings,
        source,
        files,
        flow_id=flow_id,
        options=options,
        lakehouse=lakehouse,
        writer=writer,
        progress=progress,
        stop=stop,
        pool=pool,
        label=label,
    )
    temporary = recovery and recovery_dir is None
    if temporary:
        parts = file_parts(
            files,
            default_format=_default_format(settings, source),
            range_bytes=options.range_bytes,
            label=label,
        )
        recovery_dir = default_recovery_dir(settings, flow_id, [p.stream for p in parts])
    recovery_dir = recovery_dir if recovery else None
    started = time.perf_counter()
    cpu_started = time.process_time()
    others = 0.0  # CPU seconds of the other processes of a cluster
    logger.info(
        "ingest %s: %d file(s), %d process(es) x %d worker(s)",
        source,
        len(files),
        processes,
        workers,
    )
    with stop_on_signals(stop):
        if processes <= 1:
            run_flow(
                flow,
                workers=workers,
                epoch_interval=options.batch_epoch_interval,
                recovery_dir=recovery_dir,
            )
        else:
            others = _run_cluster(
                flow,
                _Job(settings, source, files, flow_id, options, workers, recovery_dir, [], label),
                processes,
                stats,
            )
    if stop.is_set():
        raise IngestInterruptedError(
            f"ingest of {source} stopped after {stats.inputs} inputs; run it again to continue"
        )
    if temporary and recovery_dir is not None:
        # everything is committed: the state of these files is no longer needed
        shutil.rmtree(recovery_dir, ignore_errors=True)
    cpu = time.process_time() - cpu_started + others
    if pool is not None:
        cpu += pool.cpu_seconds()
    report = stats.report(
        flow_id=flow_id, elapsed=time.perf_counter() - started, files=len(files), cpu=cpu
    )
    if options.compact_files and report.rows:
        report = _compact(lakehouse, report, min_files=options.compact_files)
    logger.info(
        "ingest %s: %d inputs, %d events, %d quarantined, %d duplicates, %d skipped in %.1fs",
        source,
        report.inputs,
        report.events,
        report.quarantined_total,
        report.duplicates,
        report.skipped,
        report.elapsed,
    )
    return report


def _compact(lakehouse: Lakehouse, report: IngestReport, *, min_files: int) -> IngestReport:
    """Compact the tables the run wrote where a partition has gathered ``min_files`` small
    files (maintenance: a failure is logged, the ingest itself is committed)."""
    started = time.perf_counter()
    written = [name for name, rows in report.rows.items() if rows]
    try:
        compacted = compact_small_files(lakehouse, written, min_files=min_files, scope="partition")
    except StorageError as e:
        logger.warning("compaction after the ingest failed (%s); the next run tries again", e)
        compacted = {}
    return replace(report, compacted=compacted, compaction=time.perf_counter() - started)


def _run_cluster(flow: Dataflow, job: _Job, processes: int, stats: IngestStats) -> float:
    """Run ``flow`` as process 0 of a local cluster; the others are spawned from ``job``.
    Returns the CPU seconds of the others."""
    cpu = 0.0
    addresses = free_addresses(processes)
    job = replace(job, addresses=addresses)
    if job.recovery_dir is not None:
        prepare_recovery(job.recovery_dir)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    children = [
        context.Process(target=_run_process, args=(job, i, results), name=f"cdp-ingest-{i}")
        for i in range(1, processes)
    ]
    for child in children:
        child.start()
    try:
        run_flow(
            flow,
            workers=job.workers,
            epoch_interval=job.options.batch_epoch_interval,
            recovery_dir=job.recovery_dir,
            process_id=0,
            addresses=addresses,
        )
        for _ in children:
            try:
                report: IngestReport = results.get(timeout=120)
            except queue.Empty:
                raise IngestError("an ingest process ended without its report") from None
            stats.add(
                inputs=report.inputs,
                events=report.events,
                duplicates=report.duplicates,
                skipped=report.skipped,
                quarantined=Counter(report.quarantined),
                rows=report.rows,
                commits=report.commits,
            )
            cpu += report.cpu
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.terminate()
                child.join()
    failed = [c.name for c in children if c.exitcode != 0]
    if failed:
        raise IngestError(f"ingest process(es) failed: {', '.join(failed)}")
    return cpu

"""The continuous ingest dataflow (``cdp stream``).

Inputs, merged into one processing and sink path (:mod:`pipelines._flow`):

* **the landing log** of the collector (``<config folder>/landing``): every lane, each a stream;
  an entry's ``seq`` is its position; consumed segments are deleted once every table has
  committed them;
* **drop folders**, one per file-based source (``<config folder>/drops/<source>/``): a new file is
  read once (completed files are part of the source state), each file its own stream;
* **Kafka topics** of the sources with ``format: kafka``: each partition a stream, the offsets in
  the recovery state; a message is a record (record sources) or a Segment message or batch (web).

Consent statements go through the consent engine (:mod:`pipelines.consent`); web events are
forwarded to the webhook destinations with ``forward: true``, gated per person
(:mod:`pipelines.forward`). New ``identity_records`` get their ``identity_map`` row from the
incremental resolver, between full resolutions (:mod:`pipelines.identity_stream`).

The sink commits at every epoch end (``IngestOptions.epoch_interval``, one second by default), so
data is visible in about a second, exactly once across restarts; small files are compacted every
``IngestOptions.compact_every`` commits to a table.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import bytewax.operators as op
from bytewax.dataflow import Dataflow, Stream

from cdp.config import Settings
from cdp.ingest import Chunk, DeltaWriter, IngestOptions, IngestReport, IngestStats, Processor
from cdp.landing import landing_root
from pipelines._flow import (
    default_recovery_dir,
    flow_name,
    process_and_sink,
    run_flow,
    stop_on_signals,
)
from pipelines._sources import DropFolderSource, DurableMarks, KafkaChunkSource, LandingSource
from pipelines.consent import ConsentMarks
from pipelines.forward import (
    EventsTailSource,
    ForwardSink,
    build_forwarders,
    forwarding_destinations,
)
from pipelines.identity_stream import IdentityAssignSink, IdentityRecordsTailSource
from storage import Lakehouse

if TYPE_CHECKING:
    from identity import StreamAssigner

__all__ = ["DEFAULT_STREAM_FLOW_ID", "build_stream_flow", "drop_folders", "run_stream"]

logger = logging.getLogger(__name__)

DEFAULT_STREAM_FLOW_ID = "stream"
_FILE_FORMATS = ("csv", "jsonl", "parquet")


def drop_folders(
    settings: Settings, root: Path | None = None
) -> dict[str, tuple[Path, str | None]]:
    """``source -> (folder, default format)`` for every source that is not read from Kafka."""
    base = root if root is not None else settings.base_dir / "drops"
    folders: dict[str, tuple[Path, str | None]] = {}
    for name, config in settings.sources.items():
        if config.format == "kafka":
            continue
        default = config.format if config.format in _FILE_FORMATS else "jsonl"
        folders[name] = (base / name, default)
    return folders


def build_stream_flow(
    settings: Settings,
    *,
    flow_id: str = DEFAULT_STREAM_FLOW_ID,
    options: IngestOptions | None = None,
    lakehouse: Lakehouse | None = None,
    writer: DeltaWriter | None = None,
    stop: threading.Event | None = None,
    landing: bool = True,
    landing_dir: Path | None = None,
    drops: bool = True,
    drop_dir: Path | None = None,
    kafka: bool = True,
    forward: bool = True,
    identity: bool = True,
    assigner: StreamAssigner | None = None,
) -> Dataflow:
    """The continuous dataflow (see the module documentation); ends once ``stop`` is set.

    ``identity``: assign new ``identity_records`` to customers (``assigner``: the one to use,
    by default one over ``lakehouse`` with the ``identity`` settings of the configuration).
    """
    options = options or IngestOptions()
    lakehouse = lakehouse or Lakehouse.from_settings(settings)
    marks = DurableMarks()
    if writer is None:
        writer = DeltaWriter(
            lakehouse,
            flow_id=flow_id,
            options=options,
            on_durable=marks.mark,
            compact=True,
            privacy=settings.privacy,
        )
    elif writer.on_durable is None:
        writer.on_durable = marks.mark
    consent_marks = ConsentMarks(options.consent_partitions)
    marks.require(consent_marks)  # the landing log keeps what the consent engine still needs
    flow = Dataflow(flow_name(flow_id))
    inputs: list[Stream[Chunk]] = []
    if landing:
        root = landing_dir if landing_dir is not None else landing_root(settings)
        source = LandingSource(root, options=options, stop=stop, marks=marks)
        inputs.append(op.input("landing", flow, source))
    if drops:
        folders = drop_folders(settings, drop_dir)
        if folders:
            drop_source = DropFolderSource(
                folders, options=options, stop=stop, configs=settings.sources
            )
            inputs.append(op.input("drops", flow, drop_source))
    if kafka:
        for name, config in sorted(settings.sources.items()):
            if config.format != "kafka" or config.kafka is None:
                continue
            add_config = {"group.id": config.kafka.group_id, **config.kafka.options}
            kafka_source = KafkaChunkSource(
                name,
                brokers=[b.strip() for b in config.kafka.brokers.split(",") if b.strip()],
                topic=config.kafka.topic,
                options=options,
                add_config=add_config,
                stop=stop,
            )
            inputs.append(op.input(f"kafka_{name}", flow, kafka_source))
    if not inputs:
        raise ValueError("the stream has no inputs (landing, drops and kafka all off)")
    forwarders = build_forwarders(settings, lakehouse) if forward else {}
    if forwarders:
        tails = [
            op.input(f"forward_{name}", flow, EventsTailSource(lakehouse, name, stop=stop))
            for name in forwarders
        ]
        batches = tails[0] if len(tails) == 1 else op.merge("forward_inputs", *tails)
        op.output("forward", batches, ForwardSink(forwarders))
    if identity:
        tail = op.input("identity_tail", flow, IdentityRecordsTailSource(lakehouse, stop=stop))
        make = _assigner_factory(settings, lakehouse, assigner)
        op.output("identity_assign", tail, IdentityAssignSink(make))
    chunks = inputs[0] if len(inputs) == 1 else op.merge("inputs", *inputs)
    process_and_sink(
        chunks,
        processor=Processor(settings, options),
        writer=writer,
        options=options,
        consent_marks=consent_marks,
    )
    return flow


def _assigner_factory(
    settings: Settings, lakehouse: Lakehouse, assigner: StreamAssigner | None
) -> Callable[[], StreamAssigner]:
    """Makes the stream's assigner when the first batch comes (Splink is imported then)."""

    def make() -> StreamAssigner:
        if assigner is not None:
            return assigner
        from identity import ResolveSettings, StreamAssigner

        return StreamAssigner(lakehouse, settings=ResolveSettings.from_settings(settings))

    return make


def _partition_keys(settings: Settings) -> list[str]:
    """What identifies the input partitions of the stream (its recovery state depends on it)."""
    keys = ["landing", *(f"drops:{name}" for name in drop_folders(settings))]
    keys += [f"forward:{name}" for name in forwarding_destinations(settings)]
    for name, config in sorted(settings.sources.items()):
        if config.format == "kafka" and config.kafka is not None:
            keys.append(f"kafka:{name}:{config.kafka.brokers}:{config.kafka.topic}")
    return keys


def run_stream(
    settings: Settings,
    *,
    workers: int = 1,
    recovery_dir: Path | None = None,
    recovery: bool = True,
    stop: threading.Event | None = None,
    flow_id: str = DEFAULT_STREAM_FLOW_ID,
    options: IngestOptions | None = None,
    landing_dir: Path | None = None,
    drop_dir: Path | None = None,
    assigner: StreamAssigner | None = None,
) -> IngestReport:
    """Run the continuous dataflow until ``stop`` is set, or SIGINT/SIGTERM arrives.

    New identity records are assigned to customers by ``assigner`` (default: one over the
    configured lakehouse; see :mod:`pipelines.identity_stream`).

    Recovery state lives in ``recovery_dir`` (default: under ``<config folder>/.cdp/recovery/
    stream/``, one folder per set of inputs - a changed configuration starts a new state); a
    restart continues where the last epoch ended and writes nothing twice (without the state it
    re-reads its inputs and skips what the Delta transactions say is committed).
    """
    options = options or IngestOptions()
    lakehouse = Lakehouse.from_settings(settings)
    lakehouse.init()
    stop = stop or threading.Event()
    stats = IngestStats()
    writer = DeltaWriter(
        lakehouse,
        flow_id=flow_id,
        stats=stats,
        options=options,
        compact=True,
        privacy=settings.privacy,
    )
    flow = build_stream_flow(
        settings,
        flow_id=flow_id,
        options=options,
        lakehouse=lakehouse,
        writer=writer,
        stop=stop,
        landing_dir=landing_dir,
        drop_dir=drop_dir,
        assigner=assigner,
    )
    if recovery and recovery_dir is None:
        recovery_dir = default_recovery_dir(settings, flow_id, _partition_keys(settings))
    started = time.perf_counter()
    logger.info("stream %s: starting with %d worker(s)", flow_id, workers)
    with stop_on_signals(stop):
        run_flow(
            flow,
            workers=workers,
            epoch_interval=options.epoch_interval,
            recovery_dir=recovery_dir if recovery else None,
        )
    report = stats.report(flow_id=flow_id, elapsed=time.perf_counter() - started)
    logger.info(
        "stream %s: stopped after %d inputs (%d events, %d quarantined, %d duplicates)",
        flow_id,
        report.inputs,
        report.events,
        report.quarantined_total,
        report.duplicates,
    )
    return report

"""Expected outcomes computed independently with the canonical models, and table snapshots."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from cdp.config import Settings
from cdp.ingest import IngestOptions, read_inputs
from cdp.models import (
    InvalidInputError,
    event_from_message,
    map_record,
    parse_message,
    record_event_id,
)
from cdp.synth import GenerationReport
from pipelines.stream import run_stream
from storage import Lakehouse

TABLE_KEYS = {
    "events": "event_id",
    "quarantine": "quarantine_id",
    "raw_events": "raw_id",
    "identity_records": "source_record_id",
    "consent_ledger": "consent_id",
}


@dataclass
class Expected:
    """What ingesting some files must give, input by input."""

    inputs: int = 0
    event_ids: set[str] = field(default_factory=set)
    duplicates: int = 0
    rejected_refs: dict[str, str] = field(default_factory=dict)  # record_ref -> error_type
    deletes: set[str] = field(default_factory=set)


def settings_at(sample: Settings, folder: Path) -> Settings:
    """The sample configuration with its lakehouse, landing and drops under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return sample.model_copy(update={"lakehouse": str(folder / "lh")}).with_base_dir(folder)


def files(generated: GenerationReport, kind: str) -> list[Path]:
    suffix = "*.jsonl" if kind == "web" else "*.csv"
    return sorted((generated.out_dir / kind).glob(suffix))


def manifest(generated: GenerationReport) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((generated.out_dir / "manifest.json").read_bytes())
    return data


def expect(settings: Settings, source: str, paths: list[Path]) -> Expected:
    """Each input checked with the models alone (no ingest code but the readers)."""
    out = Expected()
    config = settings.source(source)
    now = datetime.now(UTC)
    for path in paths:
        for raw in read_inputs(path):
            out.inputs += 1
            try:
                if raw.rejection is not None:
                    raise InvalidInputError(None, "reader", error_type="schema")
                if config.kind == "web":
                    try:
                        obj = orjson.loads(raw.payload)
                    except orjson.JSONDecodeError:
                        out.rejected_refs[raw.ref] = "bad_json"
                        continue
                    event_id = event_from_message(
                        parse_message(obj), source=source, received_at=now
                    ).event_id
                else:
                    record = map_record(raw.value, config)
                    event_id = record_event_id(record)
                    if record.deleted:
                        out.deletes.add(record.source_record_id)
            except InvalidInputError as e:
                out.rejected_refs[raw.ref] = (
                    raw.rejection.error_type if raw.rejection else e.error_type
                )
                continue
            if event_id in out.event_ids:
                out.duplicates += 1
            out.event_ids.add(event_id)
    return out


def snapshot(lake: Lakehouse, *, consent: bool = True) -> dict[str, list[Any]]:
    """Sorted keys of every ingest table (to compare two lakehouses)."""
    out: dict[str, list[Any]] = {}
    for name, key in TABLE_KEYS.items():
        if name == "consent_ledger" and not consent:
            continue
        frame = lake.read(name)
        if name == "identity_records":
            rows = frame.select("source", key, "updated_at", "deleted", "email").rows()
            out[name] = sorted(rows, key=repr)
        else:
            out[name] = sorted(frame[key].to_list())
    return out


FAST = IngestOptions(
    epoch_interval=timedelta(milliseconds=300),
    poll_interval=timedelta(milliseconds=50),
    drop_settle=timedelta(0),
    landing_truncate_interval=timedelta(milliseconds=100),
    compact_every=3,
)


@contextmanager
def streaming(
    settings: Settings, *, options: IngestOptions = FAST, **kwargs: Any
) -> Iterator[dict[str, Any]]:
    """Run the stream in a thread; stop it on exit (the report lands in ``out["report"]``).
    ``kwargs`` go to :func:`pipelines.stream.run_stream`."""
    stop = threading.Event()
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["report"] = run_stream(settings, stop=stop, options=options, **kwargs)
        except BaseException as e:  # surfaced by the test below
            out["error"] = e

    thread = threading.Thread(target=run, name="stream-under-test")
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join(timeout=120)
        assert not thread.is_alive()
    if "error" in out:
        raise out["error"]


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # the tables may not be there yet
            pass
        time.sleep(0.1)
    raise AssertionError("condition not met in time")

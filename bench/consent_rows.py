"""CPU cost of consent statements after detection: ledger rows in ingest, then the consent engine.

Reads the web JSON lines of ``--data`` (generated like ``cdp bench ingest`` with about
``--events`` lines when missing) in the ingest's chunks and processes them once, untimed, noting
every message whose identity and consent rows ``WebProcessor.accept_rows`` adds. Then, timed in
CPU seconds (``--repeat`` times, median):

* ``rows``: those ``accept_rows`` calls again on fresh builders, plus ``build()`` of the
  ``consent_ledger`` and ``identity_records`` tables they hold (identity normalization
  included: ``traits_cpu_s`` tells it apart);
* ``engine``: the chunks' outcomes through the consent engine alone (a Bytewax flow of
  :func:`pipelines.consent.attach_consent_engine` into a fresh lakehouse: routing by subject, ledger
  append, ``consent_state`` merge; every thread of the process counted).

The data held for the replays is moved out of the collector's way (``gc.freeze``) so that
full collections over it do not land at random in the timed code.

Reference, measured in the same run: a bare ``write_deltalake`` append of the same ledger rows
and a bare Delta merge of one state row per subject and purpose into an empty table - the
Delta work any engine pays. Prints one JSON object as the last line (``cdp bench consent_rows``).

    .venv/bin/python bench/consent_rows.py [--events 200000] [--data DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import logging
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas  # noqa: E402, F401  - imported by deltalake's writer: warm it up, untimed
import pyarrow as pa  # noqa: E402
from bytewax import operators as op  # noqa: E402
from bytewax.dataflow import Dataflow  # noqa: E402
from bytewax.testing import TestingSource, run_main  # noqa: E402
from deltalake import DeltaTable, write_deltalake  # noqa: E402

from cdp.config import Settings, load_config  # noqa: E402
from cdp.ingest import FileChunk, IngestOptions, Outcome, Processor  # noqa: E402
from cdp.ingest.outcome import OutcomeBuilder  # noqa: E402
from cdp.ingest.readers import JsonLinesReader  # noqa: E402
from cdp.ingest.web import WebMessage, WebProcessor  # noqa: E402
from cdp.synth import GenerateOptions, generate  # noqa: E402
from pipelines.consent import attach_consent_engine  # noqa: E402
from storage import TABLES, Lakehouse  # noqa: E402

_Call = tuple[OutcomeBuilder, WebMessage, int, bool]


def _data(folder: Path, events: int) -> None:
    """Generated data with about ``events`` web lines (reused when already there)."""
    people = max(100, events // 10)
    manifest = folder / "manifest.json"
    if manifest.exists():
        found = orjson.loads(manifest.read_bytes())
        if found.get("options", {}).get("people") == people or not events:
            return
    generate(folder, GenerateOptions(people=people, seed=101, chunk_rows=1_000_000))


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _settings(folder: Path) -> Settings:
    sample = load_config(ROOT / "cdp.yaml")
    return sample.model_copy(update={"lakehouse": str(folder / "lh")}).with_base_dir(folder)


def _chunks(data: Path, options: IngestOptions) -> list[FileChunk]:
    chunks: list[FileChunk] = []
    for path in sorted((data / "web").glob("*.jsonl")):
        reader = JsonLinesReader(path, max_record_bytes=options.max_record_bytes)
        while inputs := reader.read_batch(options.chunk_rows, options.chunk_bytes):
            chunks.append(FileChunk("web", str(path), "jsonl", inputs))
        reader.close()
    return chunks


def _record(settings: Settings, chunks: list[FileChunk]) -> tuple[list[Outcome], list[_Call]]:
    """The outcomes of the chunks and every ``accept_rows`` call made for them."""
    calls: list[_Call] = []
    original = WebProcessor.accept_rows

    def recording(
        self: WebProcessor, builder: OutcomeBuilder, msg: WebMessage, seq: int, *, gpc: bool = False
    ) -> None:
        calls.append((builder, msg, seq, gpc))
        original(self, builder, msg, seq, gpc=gpc)

    WebProcessor.accept_rows = recording  # type: ignore[method-assign]
    try:
        processor = Processor(settings, IngestOptions())
        outcomes = [processor.process(chunk) for chunk in chunks]
    finally:
        WebProcessor.accept_rows = original  # type: ignore[method-assign]
    return outcomes, calls


def _replay(web: WebProcessor, calls: list[_Call]) -> list[OutcomeBuilder]:
    """The recorded calls again, each chunk's on a fresh builder (in the same order)."""
    builders: dict[int, OutcomeBuilder] = {}
    for builder, msg, seq, gpc in calls:
        into = builders.get(id(builder))
        if into is None:
            into = builders[id(builder)] = OutcomeBuilder(
                stream=builder.stream,
                source=builder.source,
                ingested_at=builder.ingested_at,
                batch_id=builder.batch_id,
            )
        web.accept_rows(into, msg, seq, gpc=gpc)
    return list(builders.values())


def _rows(settings: Settings, calls: list[_Call]) -> tuple[float, float, int, int]:
    """CPU s of the calls again + build(), CPU s of identity normalization in them, rows."""
    gc.collect()
    start = time.process_time()
    built = [b.build() for b in _replay(WebProcessor(settings, "web", IngestOptions()), calls)]
    total = time.process_time() - start
    # untimed above: the share of identity normalization (traits), on another pass
    web = WebProcessor(settings, "web", IngestOptions())
    traits_cpu = 0.0
    original = web._traits

    def traits(values: dict[str, Any], key: bytes | str) -> Any:
        nonlocal traits_cpu
        begin = time.process_time()
        try:
            return original(values, key)
        finally:
            traits_cpu += time.process_time() - begin

    web._traits = traits  # type: ignore[method-assign,assignment]
    _replay(web, calls)
    ledger = sum(o.count("consent_ledger") for o in built)
    identity = sum(o.count("identity_records") for o in built)
    return total, traits_cpu, ledger, identity


def _engine(outcomes: list[Outcome], folder: Path) -> tuple[float, int, int]:
    shutil.rmtree(folder, ignore_errors=True)
    settings = _settings(folder)
    lake = Lakehouse.from_settings(settings)
    lake.init()
    flow = Dataflow("consent_rows_bench")
    stream = op.input("outcomes", flow, TestingSource(outcomes, batch_size=1))
    attach_consent_engine(stream, lakehouse=lake, flow_id="bench", parts=2)
    gc.collect()
    start = _cpu()
    run_main(flow)
    spent = _cpu() - start
    return spent, lake.count("consent_ledger"), lake.count("consent_state")


def _reference(outcomes: list[Outcome], folder: Path) -> tuple[float, float]:
    """CPU s of a bare append of the ledger rows and of a bare merge of one state row per
    subject and purpose (both into fresh tables)."""
    shutil.rmtree(folder, ignore_errors=True)
    ledger = pa.concat_tables([o.table("consent_ledger") for o in outcomes])
    state_spec = TABLES["consent_state"]
    seen: set[tuple[str, str]] = set()
    picked = []
    for n, key in enumerate(
        zip(ledger["subject_hash"].to_pylist(), ledger["purpose"].to_pylist(), strict=True)
    ):
        if key not in seen:
            seen.add(key)
            picked.append(n)
    winners = ledger.take(picked)
    state = pa.table(
        {
            f.name: (
                winners[f.name]
                if f.name in winners.column_names
                else winners["consent_id"]
                if f.name == "precedence"
                else pa.repeat(pa.scalar(None, f.type), winners.num_rows)
                if f.nullable
                else winners["recorded_at"]
            )
            for f in state_spec.schema
        }
    ).cast(state_spec.schema)
    start = _cpu()
    write_deltalake(str(folder / "ledger"), ledger, mode="append")
    append_s = _cpu() - start
    write_deltalake(str(folder / "state"), state.slice(0, 0), mode="append")
    start = _cpu()
    (
        DeltaTable(str(folder / "state"))
        .merge(state, "t.subject_hash = s.subject_hash AND t.purpose = s.purpose", "s", "t")
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    return append_s, _cpu() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="web lines to generate")
    parser.add_argument("--data", type=Path, default=None, help="reuse/generate data here")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="cdp-bench-consent-rows-"))
    try:
        data = args.data or work / "data"
        _data(data, args.events)
        settings = _settings(work / "setup")
        chunks = _chunks(data, IngestOptions())
        outcomes, calls = _record(settings, chunks)
        # the inputs held for the replays are not garbage: keep full collections off them
        gc.collect()
        gc.freeze()
        runs = [_rows(settings, calls) for _ in range(args.repeat)]
        rows_s = statistics.median(r[0] for r in runs)
        traits_s = statistics.median(r[1] for r in runs)
        _, _, ledger_rows, identity_rows = runs[0]
        engines = [_engine(outcomes, work / f"engine-{n}") for n in range(args.repeat)]
        engine_s = statistics.median(e[0] for e in engines)
        references = [_reference(outcomes, work / f"reference-{n}") for n in range(args.repeat)]
        result = {
            "bench": "consent_rows",
            "lines": sum(len(c.inputs) for c in chunks),
            "ledger_rows": ledger_rows,
            "identity_rows": identity_rows,
            "rows_cpu_s": round(rows_s, 3),
            "traits_cpu_s": round(traits_s, 3),
            "rows_us_per_row": round(rows_s / max(1, ledger_rows + identity_rows) * 1e6, 2),
            "engine_cpu_s": round(engine_s, 3),
            "engine_us_per_statement": round(engine_s / max(1, ledger_rows) * 1e6, 2),
            "engine_ledger_rows": engines[0][1],
            "engine_state_rows": engines[0][2],
            "reference_append_cpu_s": round(statistics.median(r[0] for r in references), 3),
            "reference_merge_cpu_s": round(statistics.median(r[1] for r in references), 3),
        }
        print(
            f"{result['lines']} lines: {ledger_rows} ledger + {identity_rows} identity rows built "
            f"in {rows_s:.2f} CPU s (identity normalization {traits_s:.2f}); engine "
            f"{engine_s:.2f} CPU s ({engines[0][1]} ledger, {engines[0][2]} state rows) beside "
            f"a bare append {result['reference_append_cpu_s']} + merge "
            f"{result['reference_merge_cpu_s']} CPU s",
            file=sys.stderr,
        )
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

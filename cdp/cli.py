"""The ``cdp`` command (DESIGN §11).

Reads its configuration from ``--config PATH`` or ``CDP_CONFIG`` (default ``./cdp.yaml``) once, and
passes the settings down. Failures print one clear line on stderr and exit non-zero; commands
whose issue has not landed yet say so and exit with status 2.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from cdp import __version__
from cdp.config import Settings, load_config
from cdp.errors import CdpError

if TYPE_CHECKING:
    from datetime import datetime

    from cdp.ingest import IngestReport
    from consent.gate import Decision

__all__ = ["app", "main"]

NOT_YET = 2  # exit status of a command whose issue has not landed

app = typer.Typer(
    name="cdp",
    help="Customer data platform: lossless ingest, identity resolution, consent-gated activation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
identity_app = typer.Typer(help="Resolve, explain and override customer identities.")
segments_app = typer.Typer(help="Build and inspect segments.")
privacy_app = typer.Typer(help="Erase (GDPR Art. 17) or export (Art. 15/20) a person's data.")
app.add_typer(identity_app, name="identity", no_args_is_help=True)
app.add_typer(segments_app, name="segments", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy", no_args_is_help=True)
consent_app = typer.Typer(help="Consent decisions and a subject's consent history.")
audit_app = typer.Typer(help="Audit the consent engine: violations, lineage, replay.")
app.add_typer(consent_app, name="consent", no_args_is_help=True)
app.add_typer(audit_app, name="audit", no_args_is_help=True)

out = Console()
err = Console(stderr=True)


class _State:
    config_path: Path | None = None
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_config(self.config_path)
        return self._settings


state = _State()

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="CDP_CONFIG",
        help="Configuration file (default ./cdp.yaml).",
        show_default=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        out.print(f"cdp {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    config: ConfigOption = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv: debug).")
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Customer data platform with a streaming consent engine."""
    state.config_path = config
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verbose:  # Splink's EM notes (levels not observed…) are expected on small data
        logging.getLogger("splink").setLevel(logging.ERROR)


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _not_yet(command: str, issue: int | None, what: str) -> NoReturn:
    which = f"issue #{issue} ({what})" if issue else f"the {what} issue"
    err.print(
        f"[yellow]cdp {command}: not available yet[/] — it arrives with {which}.",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(NOT_YET)


@contextmanager
def _progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar; yields ``update(done, total)``. Quiet when stderr is not a terminal."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


# -- commands that work ------------------------------------------------------------------------


@app.command()
def init() -> None:
    """Create every lakehouse table that does not exist yet (idempotent)."""
    from storage import Lakehouse

    settings = state.settings()
    lakehouse = Lakehouse.from_settings(settings)
    outcome = lakehouse.init()
    table = Table("table", "status", "partitioned by", title=f"lakehouse {lakehouse.root}")
    for name, status in outcome.items():
        table.add_row(name, status, ", ".join(lakehouse.tables[name].partition_by) or "—")
    out.print(table)


@app.command()
def tables() -> None:
    """Show every table with its version and row count."""
    from storage import Lakehouse

    lakehouse = Lakehouse.from_settings(state.settings())
    table = Table("table", "version", "rows", title=f"lakehouse {lakehouse.root}")
    for name in lakehouse.tables:
        if lakehouse.exists(name):
            table.add_row(name, str(lakehouse.version(name)), f"{lakehouse.count(name):,}")
        else:
            table.add_row(name, "—", "not created (run cdp init)")
    out.print(table)


SIZES = {"tiny": 300, "small": 2_000, "medium": 50_000, "large": 200_000}


@app.command()
def generate(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write the data and ground truth to.")
    ] = Path("data/generated"),
    people: Annotated[
        int | None,
        typer.Option(min=1, help="Underlying people (overrides --size)."),
    ] = None,
    size: Annotated[
        str,
        typer.Option(
            help=f"Preset population: {', '.join(f'{k}={v:,}' for k, v in SIZES.items())}."
        ),
    ] = "small",
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same files.")
    ] = 42,
    events_per_user: Annotated[
        float | None, typer.Option(min=0, help="Mean web events per web user.")
    ] = None,
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows per output file.")] = 100_000,
    force: Annotated[bool, typer.Option(help="Write into a folder that is not empty.")] = False,
) -> None:
    """Generate synthetic CRM, ERP, web and consent data for the same people, with ground truth."""
    from cdp.synth import GenerateOptions
    from cdp.synth import generate as run_generate

    if people is None:
        if size not in SIZES:
            _fail(f"--size must be one of {', '.join(SIZES)}")
        people = SIZES[size]
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        _fail(f"{out_dir} is not empty; pass --force to overwrite or choose another --out")
    options = GenerateOptions(people=people, seed=seed, chunk_rows=chunk_rows)
    if events_per_user is not None:
        options = dataclasses.replace(options, events_per_web_user=events_per_user)
    with _progress(f"generating {people:,} people") as update:
        report = run_generate(out_dir, options, progress=update)
    table = Table("kind", "rows", title=f"{out_dir} (seed {seed}, {people:,} people)")
    for kind, count in report.counts.items():
        table.add_row(kind, f"{count:,}")
    out.print(table)
    out.print(f"{len(report.files)} files; ground truth in {out_dir / 'ground_truth.csv'}")


@app.command()
def demo(
    people: Annotated[int, typer.Option(min=50, help="Underlying people to generate.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
) -> None:
    """Fresh data end to end: create the lakehouse, generate data, run every stage that exists."""
    from cdp.synth import GenerateOptions
    from cdp.synth import generate as run_generate
    from storage import Lakehouse

    settings = state.settings()
    lakehouse = Lakehouse.from_settings(settings)
    out.rule("1. lakehouse")
    created = lakehouse.init()
    out.print(
        f"{sum(v == 'created' for v in created.values())} tables created, "
        f"{sum(v == 'exists' for v in created.values())} already there, at {lakehouse.root}"
    )
    out.rule("2. synthetic data")
    data_dir = settings.base_dir / "data" / f"demo-{seed}"
    with _progress(f"generating {people:,} people") as update:
        report = run_generate(data_dir, GenerateOptions(people=people, seed=seed), progress=update)
    for kind, count in report.counts.items():
        out.print(f"  {kind:<28} {count:>10,}")
    out.print(f"written to {data_dir} with ground truth (ground_truth.csv) and manifest.json")

    from pipelines import run_ingest

    out.rule("3. ingest (Bytewax → Delta, exactly-once, lossless)")
    patterns = {
        "crm": "crm/*.csv",
        "erp": "erp/*.csv",
        "web": "web/*.jsonl",
        "preferences": "consent/*.jsonl",
    }
    for source, pattern in patterns.items():
        if source not in settings.sources:
            continue
        files = sorted(data_dir.glob(pattern))
        with _progress(f"ingesting {source}") as update:
            ingested = run_ingest(settings, source, files, progress=update)
        quarantined = ", ".join(f"{k} {v:,}" for k, v in sorted(ingested.quarantined.items()))
        out.print(
            f"  {source:<11} {ingested.inputs:>8,} inputs → {ingested.events:>8,} events, "
            f"{ingested.duplicates:,} duplicates, {ingested.skipped:,} already ingested, "
            f"quarantine: {quarantined or 'none'}"
            f"  ({'reconciled' if ingested.reconciled else 'NOT RECONCILED'})"
        )

    import polars as pl

    from identity import ResolveSettings, pairwise_scores, resolve_lakehouse

    out.rule("4. identity resolution (Splink, precision first)")
    with _progress("resolving identities"):
        engine = ResolveSettings.from_settings(settings)
        resolved = resolve_lakehouse(lakehouse, settings=engine)
    scores = pairwise_scores(
        lakehouse.read("identity_map"),
        pl.read_csv(data_dir / "ground_truth.csv", infer_schema=False),
    )
    out.print(
        f"  {resolved.records:,} records → {resolved.customers:,} customers "
        f"(largest {resolved.largest_cluster}) in {resolved.seconds:.1f} s; against ground truth: "
        f"precision {scores['precision']:.3f}, recall {scores['recall']:.3f}, "
        f"F1 {scores['f1']:.3f}"
    )
    out.print("  why two records are (not) one customer: cdp identity explain crm:<Id> erp:<KUNNR>")
    out.rule("next")
    out.print(
        f"  consent: {lakehouse.count('consent_ledger'):,} statements in consent_ledger, "
        f"{lakehouse.count('consent_state'):,} subject × purpose rows in consent_state"
    )
    out.print("  segments and Dagster: later")
    out.print("  try: cdp tables · cdp serve · cdp stream · cdp identity explain A B")


# -- consent and audit ---------------------------------------------------------------------------

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _time(value: str | None, option: str) -> datetime | None:
    from cdp.models.errors import InvalidInputError
    from cdp.models.normalize import parse_timestamp

    if value is None:
        return None
    try:
        return parse_timestamp(value, field=option)
    except (InvalidInputError, ValueError, OverflowError):
        _fail(f"{option}: not a timestamp (ISO 8601, e.g. 2026-11-20T10:00:00Z)")


def _print_decision(d: Decision, *, as_json: bool, title: str) -> None:
    values = {
        "subject": d.subject,
        "purpose": d.purpose,
        "allowed": d.allowed,
        "reasons": list(d.reason_codes),
        "evidence": list(d.evidence_ids),
        "customer_id": d.customer_id,
        "at": d.decided_at.isoformat(),
        "versions": d.versions,
    }
    if as_json:
        import json

        out.print_json(json.dumps(values))
        return
    table = Table("", "value", title=title)
    verdict = "[green]allowed[/]" if d.allowed else "[bold red]denied[/]"
    table.add_row("decision", verdict)
    for key in ("purpose", "reasons", "evidence", "customer_id", "at", "versions"):
        value = values[key]
        table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    out.print(table)


def _frame_table(frame: object, columns: list[str], title: str) -> Table:
    import polars as pl

    assert isinstance(frame, pl.DataFrame)
    table = Table(*columns, title=title)
    for row in frame.select([c for c in columns if c in frame.columns]).iter_rows():
        table.add_row(*(", ".join(v) if isinstance(v, list) else str(v) for v in row))
    return table


@consent_app.command("decide")
def consent_decide(
    subject: Annotated[str, typer.Argument(help="Identifier type:value (email:…, crm:…).")],
    purpose: Annotated[str, typer.Argument(help="Purpose from the catalogue.")],
    at: Annotated[str | None, typer.Option(help="Valid time (default now).")] = None,
    as_json: JsonOption = False,
) -> None:
    """The consent gate's decision for a subject and a purpose."""
    from consent import ConsentStore
    from storage import Lakehouse

    settings = state.settings()
    store = ConsentStore(Lakehouse.from_settings(settings), settings)
    decision = store.decide(subject, purpose, at=_time(at, "--at"))
    _print_decision(decision, as_json=as_json, title="consent decision")


_LEDGER_COLUMNS = ["consent_id", "subject_type", "purpose", "status", "captured_at",
                   "recorded_at", "expires_at"]  # fmt: skip


@consent_app.command("history")
def consent_history(
    identifier: Annotated[str, typer.Argument(help="Identifier type:value.")],
    as_json: JsonOption = False,
) -> None:
    """Every consent statement of the identifier's customer (all its identifiers)."""
    from consent.audit import ConsentAudit
    from storage import Lakehouse

    settings = state.settings()
    history = ConsentAudit(Lakehouse.from_settings(settings), settings).subject_history(identifier)
    if as_json:
        out.print_json(history.rows.drop("subject_value", strict=False).write_json())
        return
    title = (
        f"customer {history.customer_id or '(none)'}: {history.identifiers} identifiers, "
        f"{history.rows.height} statements"
    )
    out.print(_frame_table(history.rows, _LEDGER_COLUMNS, title))
    if history.merged_from:
        out.print(f"merged from: {', '.join(history.merged_from)}")


_VIOLATION_COLUMNS = ["activation_id", "customer_id", "purpose", "destination", "decided_at",
                      "replay_reason_codes", "replay_evidence_ids"]  # fmt: skip


@audit_app.command("violations")
def audit_violations(
    since: Annotated[str | None, typer.Option(help="Only activations decided since then.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Allowed activations the consent in force contradicts (exit 1 on an engine fault)."""
    from consent.audit import ConsentAudit
    from storage import Lakehouse

    settings = state.settings()
    found = ConsentAudit(Lakehouse.from_settings(settings), settings).violations(
        _time(since, "--since")
    )
    if as_json:
        import json

        payload = {
            "checked": found.checked,
            "engine_faults": found.engine_faults.to_dicts(),
            "late_withdrawals": found.late_withdrawals.to_dicts(),
        }
        out.print_json(json.dumps(payload, default=str))
    else:
        out.print(f"{found.checked:,} allowed activations checked")
        for name, frame in (("engine faults", found.engine_faults),
                            ("late-arriving withdrawals", found.late_withdrawals)):  # fmt: skip
            if frame.height:
                out.print(_frame_table(frame, _VIOLATION_COLUMNS, f"{name}: {frame.height}"))
            else:
                out.print(f"{name}: none")
    if found.engine_faults.height:
        raise typer.Exit(1)


@audit_app.command("lineage")
def audit_lineage(
    activation_id: Annotated[str, typer.Argument(help="activation_log id.")],
    as_json: JsonOption = False,
) -> None:
    """One activation: its decision, evidence, versions used, and its decision replayed."""
    from consent.audit import ConsentAudit
    from storage import Lakehouse

    settings = state.settings()
    lineage = ConsentAudit(Lakehouse.from_settings(settings), settings).activation_lineage(
        activation_id
    )
    if as_json:
        import json

        payload = {
            "activation": lineage.activation,
            "evidence": lineage.evidence.drop("subject_value", strict=False).to_dicts(),
            "versions": lineage.versions,
            "replayed_allowed": lineage.replayed.allowed,
            "replayed_reasons": list(lineage.replayed.reason_codes),
            "replayed_now_allowed": lineage.replayed_now.allowed,
            "consistent": lineage.consistent,
        }
        out.print_json(json.dumps(payload, default=str))
        return
    row = lineage.activation
    table = Table("", "value", title=f"activation {activation_id}")
    for key in ("activation_type", "customer_id", "purpose", "destination", "segment",
                "allowed", "reason_codes", "evidence_ids", "decided_at"):  # fmt: skip
        value = row.get(key)
        table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    table.add_row("versions used", str(lineage.versions))
    out.print(table)
    out.print(_frame_table(lineage.evidence, _LEDGER_COLUMNS, "evidence"))
    _print_decision(lineage.replayed, as_json=False, title="replayed (known then)")
    _print_decision(lineage.replayed_now, as_json=False, title="replayed (known now)")
    verdict = "[green]consistent[/]" if lineage.consistent else "[bold red]INCONSISTENT[/]"
    out.print(f"{verdict}: the replay (known then) gives the logged answer")


@audit_app.command("replay")
def audit_replay(
    subject: Annotated[str, typer.Argument(help="Identifier type:value.")],
    purpose: Annotated[str, typer.Argument(help="Purpose from the catalogue.")],
    valid_at: Annotated[str, typer.Option("--valid-at", help="Valid time of the decision.")],
    known_at: Annotated[
        str | None, typer.Option("--known-at", help="System time: what was known (default now).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """A past decision as of a valid time, with what was known at a system time."""
    from consent.audit import ConsentAudit
    from storage import Lakehouse

    settings = state.settings()
    valid = _time(valid_at, "--valid-at")
    assert valid is not None
    decision = ConsentAudit(Lakehouse.from_settings(settings), settings).replay(
        subject, purpose, valid_at=valid, known_at=_time(known_at, "--known-at")
    )
    _print_decision(decision, as_json=as_json, title="replayed decision")


# -- commands whose issue has not landed ---------------------------------------------------------

_IDENTITY = (4, "identity resolution")
_SEGMENTS = (None, "segments and Dagster")


def _print_ingest(report: IngestReport, *, as_json: bool) -> None:
    if as_json:
        import json

        out.print_json(json.dumps(report.to_json()))
        return
    table = Table("", "count", title=f"{report.flow_id}: {report.elapsed:.1f} s")
    table.add_row("inputs", f"{report.inputs:,}")
    table.add_row("events written", f"{report.events:,}")
    table.add_row("duplicates dropped", f"{report.duplicates:,}")
    table.add_row("already committed (replay)", f"{report.skipped:,}")
    for error_type, count in sorted(report.quarantined.items()):
        table.add_row(f"quarantined: {error_type}", f"{count:,}")
    for name, count in sorted(report.rows.items()):
        table.add_row(f"rows → {name}", f"{count:,}")
    for name, count in sorted(report.compacted.items()):
        table.add_row(f"small files compacted: {name}", f"{count:,}")
    if report.compacted:
        table.add_row("compaction", f"{report.compaction:.1f} s")
    out.print(table)
    verdict = "[green]reconciled[/]" if report.reconciled else "[bold red]NOT reconciled[/]"
    out.print(
        f"{verdict}: inputs = events + quarantine + duplicates + already committed "
        f"({report.events_per_second:,.0f} inputs/s)"
    )
    if report.skipped:
        out.print(
            f"{report.skipped:,} inputs were ingested by an earlier run of these files; after a "
            "change to cdp.yaml, --reprocess reads them again under it"
        )


@app.command()
def ingest(
    source: Annotated[str, typer.Option("--source", "-s", help="Source name from cdp.yaml.")],
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files to ingest (CSV or TSV, JSON lines, Parquet; a .json file that holds a "
            "JSON array gives one input per element; CSV and JSON may be gzip, bzip2, xz or zstd "
            "compressed: .jsonl.gz). A CSV file's delimiter is found in its header; its "
            "encoding is the source's csv.encoding (UTF-8)."
        ),
    ],
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker threads.")] = 1,
    processes: Annotated[
        int, typer.Option("--processes", "-p", min=1, help="Worker processes.")
    ] = 1,
    parse_processes: Annotated[
        int | None,
        typer.Option(
            "--parse-processes",
            min=0,
            help="Helper processes that read, parse and validate chunks beside the dataflow. "
            "Default: one per CPU for 64 MB of JSON lines or more, or 16 MB of CSV or JSON "
            "lines of a CRM/ERP source; else none (0).",
        ),
    ] = None,
    reprocess: Annotated[
        bool,
        typer.Option(
            "--reprocess",
            help="Read files already ingested again, under the current cdp.yaml (after a fix "
            "to the source's mapping or CSV options): records refused before may pass now; "
            "those already in events count as duplicates. Once per configuration.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Ingest files of a configured source (a Bytewax batch flow; exactly-once, lossless)."""
    from cdp.ingest import IngestOptions
    from pipelines import run_ingest
    from pipelines.ingest import default_parse_processes

    settings = state.settings()
    settings.source(source)
    if parse_processes is None:
        parse_processes = default_parse_processes(settings, source, paths, processes=processes)
    options = IngestOptions(parse_processes=parse_processes)
    with _progress(f"ingesting {source}") as update:
        report = run_ingest(
            settings,
            source,
            paths,
            workers=workers,
            processes=processes,
            progress=update,
            options=options,
            reprocess=reprocess,
        )
    _print_ingest(report, as_json=as_json)
    if not report.reconciled:
        raise typer.Exit(1)


@app.command()
def stream(
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker threads.")] = 1,
) -> None:
    """Run the streaming dataflows (collector landing log, drop folders, Kafka) until Ctrl-C."""
    from cdp.landing import landing_root
    from pipelines import drop_folders, run_stream

    settings = state.settings()
    out.print(f"streaming from {landing_root(settings)} and drop folders:")
    for name, (folder, _fmt) in sorted(drop_folders(settings).items()):
        out.print(f"  {name}: {folder}")
    report = run_stream(settings, workers=workers)
    _print_ingest(report, as_json=False)


@identity_app.command("resolve")
def identity_resolve(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Resolve all identity_records into identity_map, identity_links and identity_merges."""
    from identity import ResolveSettings, resolve_lakehouse
    from storage import Lakehouse

    settings = state.settings()
    lakehouse = Lakehouse.from_settings(settings)
    lakehouse.init()
    with _progress(f"resolving identities ({settings.identity.backend})"):
        report = resolve_lakehouse(lakehouse, settings=ResolveSettings.from_settings(settings))
    values = report.as_dict()
    if as_json:
        import json

        out.print_json(json.dumps(values, default=str))
        return
    table = Table("", "value", title=f"identity run {report.run_id}")
    for key in ("records", "customers", "largest_cluster", "links", "merges", "splits",
                "overrides", "aliases", "model_version", "model_trained", "seconds"):  # fmt: skip
        table.add_row(key.replace("_", " "), str(values.get(key)))
    out.print(table)


@identity_app.command("explain")
def identity_explain(
    a: Annotated[str, typer.Argument(help="First record (source:record_id).")],
    b: Annotated[str, typer.Argument(help="Second record (source:record_id).")],
) -> None:
    """Explain why two records are or are not the same customer (match-weight breakdown)."""
    from identity import ResolveSettings, explain_records, format_explanation
    from storage import Lakehouse

    settings = state.settings()
    lakehouse = Lakehouse.from_settings(settings)
    engine = ResolveSettings.from_settings(settings)
    why = explain_records(lakehouse, a, b, settings=engine)
    out.print(format_explanation(why), highlight=False)


@identity_app.command("override")
def identity_override(
    kind: Annotated[str, typer.Argument(help="merge | never_merge | split")],
    a: Annotated[str, typer.Argument(help="Record (source:record_id).")],
    b: Annotated[
        str | None, typer.Argument(help="Second record (not for split).", show_default=False)
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (kept with the override).")] = "",
    by: Annotated[str, typer.Option(help="Who decided.")] = "cli",
) -> None:
    """Record a manual override that every later resolution honours."""
    from identity import add_override
    from storage import Lakehouse

    kinds = ("merge", "never_merge", "split")
    kind = kind.replace("-", "_")
    if kind not in kinds:
        _fail(f"kind must be one of {', '.join(kinds)}")
    if (kind == "split") != (b is None):
        _fail("split takes one record; merge and never_merge take two")
    if not reason:
        _fail("give a --reason: overrides are audited")
    lakehouse = Lakehouse.from_settings(state.settings())
    lakehouse.init()
    override_id = add_override(lakehouse, kind, a, b, reason=reason, by=by)  # type: ignore[arg-type]
    out.print(f"override {override_id} recorded; it applies from the next `cdp identity resolve`")


@privacy_app.command("erase")
def privacy_erase(
    identifier: Annotated[
        str, typer.Argument(help="type:value (email:…, phone:…, customer_id:…, crm:<id>…).")
    ],
    requested_by: Annotated[str, typer.Option("--requested-by", help="Who asked (kept).")],
    request_id: Annotated[
        str | None, typer.Option("--request-id", help="Your ticket id (default: a new UUID).")
    ] = None,
    retention: Annotated[
        str, typer.Option(help="immediate (vacuum now, verify) | deferred (next routine vacuum).")
    ] = "immediate",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Erase a person everywhere, keep hashed suppression and consent proof, verify the files."""
    from consent.privacy import erase
    from storage import Lakehouse

    if retention not in ("immediate", "deferred"):
        _fail("--retention must be immediate or deferred")
    settings = state.settings()
    lakehouse = Lakehouse.from_settings(settings)
    lakehouse.init()
    with _progress("erasing"):
        report = erase(
            lakehouse,
            settings,
            identifier,
            request_id=request_id,
            requested_by=requested_by,
            retention=retention,  # type: ignore[arg-type]
        )
    if as_json:
        import json

        out.print_json(json.dumps(report.to_json()))
    else:
        table = Table("", "value", title=f"erasure {report.request_id}: {report.status}")
        table.add_row("customers", ", ".join(report.customer_ids) or "—")
        table.add_row("identifiers suppressed (hashed)", str(len(report.identifier_hashes)))
        for name, count in sorted(report.rows_deleted.items()):
            if count:
                table.add_row(f"rows deleted: {name}", f"{count:,}")
        for name, count in sorted(report.rows_redacted.items()):
            table.add_row(f"rows kept pseudonymous: {name}", f"{count:,}")
        table.add_row("files vacuumed", f"{report.files_vacuumed:,}")
        table.add_row("log history truncated", ", ".join(report.history_truncated) or "—")
        table.add_row("files scanned", f"{report.files_scanned:,}")
        verdict = {True: "nothing found", False: "FOUND", None: "not run (deferred)"}
        table.add_row("verification", verdict[report.verified])
        out.print(table)
    if report.verified is False:
        kinds = sorted({f"{f.kind} in {f.table} ({f.where})" for f in report.findings})
        _fail(f"erasure {report.request_id} left values behind: {'; '.join(kinds)}")


@privacy_app.command("export")
def privacy_export(
    identifier: Annotated[
        str, typer.Argument(help="type:value (email:…, phone:…, customer_id:…, crm:<id>…).")
    ],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the JSON here (default: stdout).")
    ] = None,
) -> None:
    """Everything held about a person, as JSON (with the tables and versions read)."""
    import json

    from consent.privacy import export_subject
    from storage import Lakehouse

    settings = state.settings()
    lakehouse = Lakehouse.from_settings(settings)
    document = json.dumps(export_subject(lakehouse, settings, identifier), indent=2)
    if out_file is None:
        sys.stdout.write(document + "\n")
        return
    try:
        out_file.write_text(document + "\n", encoding="utf-8")
    except OSError as e:
        _fail(f"cannot write {out_file}: {e.strerror}")
    err.print(f"written to {out_file}")


@segments_app.command("build")
def segments_build() -> None:
    """Build every segment's membership."""
    _not_yet("segments build", *_SEGMENTS)


@app.command()
def activate(
    segment: Annotated[str, typer.Argument(help="Segment name.")],
    destination: Annotated[str, typer.Option("--destination", "-d", help="Destination name.")],
) -> None:
    """Sync a segment to a destination; only people the consent gate allows leave."""
    _not_yet("activate", *_SEGMENTS)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
) -> None:
    """Serve the API and the Segment-compatible collector (acks only after a durable write)."""
    from api.server import serve as run_server

    settings = state.settings()
    out.print(f"serving on http://{host}:{port} (collector: /v1/batch, health: /healthz)")
    run_server(settings, host=host, port=port, workers=workers)


@app.command()
def ui() -> None:
    """Start the Dagster UI on the project's assets."""
    _not_yet("ui", *_SEGMENTS)


@app.command()
def up() -> None:
    """Start everything for local use (API, streams, Dagster)."""
    _not_yet("up", *_SEGMENTS)


BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(
    ctx: typer.Context,
    what: Annotated[
        str | None,
        typer.Argument(help="Benchmark to run (a script in bench/); none lists them."),
    ] = None,
) -> None:
    """Run a benchmark of DESIGN §13, each figure beside its reference measured in the same run.

    Extra arguments go to the benchmark script; its JSON result is also saved under
    .cdp/bench/ beside the configuration.
    """
    import json
    import subprocess
    import time

    available = sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.name.startswith("_"))
    if what is None:
        out.print("benchmarks: " + (", ".join(available) or "none yet"))
        return
    if what not in available:
        _fail(f"unknown benchmark {what!r}; available: {', '.join(available) or 'none yet'}")
    env_config = str(state.config_path) if state.config_path else None
    cmd = [sys.executable, str(BENCH_DIR / f"{what}.py"), *ctx.args]
    env = {**os.environ, **({"CDP_CONFIG": env_config} if env_config else {})}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    sys.stderr.write(result.stderr)
    sys.stdout.write(result.stdout)
    if result.returncode != 0:
        _fail(f"benchmark {what} failed (exit {result.returncode})")
    try:
        payload = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return
    folder = Path(".cdp") / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (folder / f"{what}-{stamp}.json").write_text(json.dumps(payload, indent=2) + "\n")


def main() -> None:
    """Console entry point: runs the app and turns product errors into one line."""
    try:
        app()
    except CdpError as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)

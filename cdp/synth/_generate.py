"""``generate``: people one at a time -> CRM, ERP, web, consent rows -> chunked files + truth."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import orjson

from cdp import __version__ as cdp_version
from cdp.synth._consent import Consent
from cdp.synth._crm import CRM_COLUMNS, Crm
from cdp.synth._emails import Mailboxes
from cdp.synth._erp import ERP_COLUMNS, Erp
from cdp.synth._options import GenerateOptions, GenerationReport
from cdp.synth._people import Population
from cdp.synth._timeline import Timeline
from cdp.synth._web import Web
from cdp.synth._writers import CsvChunks, FileInfo, JsonlChunks

__all__ = ["GENERATOR_VERSION", "GROUND_TRUTH_COLUMNS", "generate"]

#: Bumped whenever the same seed and options would give different files.
GENERATOR_VERSION: Final = "1.1.0"
#: ``linkable_person_id``: ``person_id``, except for a web identity whose inputs carry no
#: identity evidence (see :mod:`cdp.synth._web`): ``person_id/web`` + its group's first key.
GROUND_TRUTH_COLUMNS: Final = (
    "source",
    "source_record_id",
    "person_id",
    "household_id",
    "linkable_person_id",
)

# What this generator writes, and so may replace in an output folder it is pointed at again.
_OWN_FILES: Final = (
    ("crm", "contacts-*.csv"),
    ("erp", "customers-*.csv"),
    ("web", "events-*.jsonl"),
    ("consent", "statements-*.jsonl"),
    ("", "ground_truth.csv"),
    ("", "manifest.json"),
)


def _clear_previous_output(out_dir: Path) -> None:
    """Remove files an earlier run wrote here (and only those), so no stale chunk survives."""
    for sub, pattern in _OWN_FILES:
        folder = out_dir / sub if sub else out_dir
        if folder.is_dir():
            for old in sorted(folder.glob(pattern)):
                if old.is_file():
                    old.unlink()


def generate(
    out_dir: Path,
    options: GenerateOptions,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> GenerationReport:
    """Write CRM, ERP, web and consent data for ``options.people`` people, with ground truth.

    Deterministic: the same options (seed included) give byte-identical files. Memory stays
    bounded: people are generated one at a time and rows go straight to chunked files.
    ``progress(done_people, total_people)`` is called about every 1% of the people.
    """
    if not isinstance(options, GenerateOptions):
        raise TypeError("options must be a GenerateOptions")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous_output(out_dir)

    o = options
    timeline = Timeline(o)
    population = Population(o, Mailboxes(expected=o.people * 3))
    crm, erp, web, consent = (
        Crm(o, timeline),
        Erp(o, timeline),
        Web(o, timeline),
        Consent(o, timeline),
    )

    crm_out = CsvChunks(out_dir, "crm", "contacts", "crm", CRM_COLUMNS, o.chunk_rows)
    erp_out = CsvChunks(out_dir, "erp", "customers", "erp", ERP_COLUMNS, o.chunk_rows)
    web_out = JsonlChunks(out_dir, "web", "events", "web", o.chunk_rows)
    consent_out = JsonlChunks(out_dir, "consent", "statements", "consent", o.chunk_rows)
    truth_out = CsvChunks(out_dir, "", "ground_truth", "ground_truth", GROUND_TRUTH_COLUMNS, 0)

    total = o.people
    step = max(1, min(1_000, total // 100))
    with_records = 0
    if progress is not None:
        progress(0, total)
    writers = (crm_out, erp_out, web_out, consent_out, truth_out)
    try:
        for done, p in enumerate(population, start=1):
            plan = consent.plan(p)
            truth = truth_out.write
            if p.in_crm:
                for row in crm.rows(p, plan.opted_out_of_email):
                    crm_out.write(row)
                    truth(("crm", row[0], p.pid, p.hid, p.pid))
            if p.in_erp:
                for row in erp.rows(p):
                    erp_out.write(row)
                    truth(("erp", row[0], p.pid, p.hid, p.pid))
            user_id, identities = web.person(p, web_out.write) if p.in_web else (None, [])
            for key, group in identities:
                linkable = p.pid if group is None else f"{p.pid}/web:{group}"
                truth(("web", key, p.pid, p.hid, linkable))
            for line in consent.lines(p, plan, user_id):
                consent_out.write(line)
            with_records += bool(p.in_crm or p.in_erp or identities)
            if progress is not None and (done % step == 0 or done == total):
                progress(done, total)
    except BaseException:
        for writer in writers:
            writer.abort()
        raise

    files: list[FileInfo] = []
    for writer in writers:
        files.extend(writer.close())
    truth_rows = truth_out.files[0].rows

    counts: dict[str, int] = {
        "people": total,
        "people_with_records": with_records,
        "households": population.households,
        **crm.counts,
        **erp.counts,
        **web.counts,
        **consent.counts,
        "ground_truth_rows": truth_rows,
        **population.stats,
    }
    _write_manifest(out_dir, o, counts, files)
    paths = [out_dir / f.path for f in files] + [out_dir / "manifest.json"]
    return GenerationReport(out_dir=out_dir, people=total, counts=counts, files=paths, seed=o.seed)


def _write_manifest(
    out_dir: Path, o: GenerateOptions, counts: dict[str, int], files: list[FileInfo]
) -> None:
    by_kind: dict[str, dict[str, int]] = {}
    for f in files:
        kind = by_kind.setdefault(f.kind, {"files": 0, "rows": 0})
        kind["files"] += 1
        kind["rows"] += f.rows
        for bad, n in f.bad_lines.items():
            kind[f"bad_{bad}"] = kind.get(f"bad_{bad}", 0) + n
    manifest: dict[str, Any] = {
        "generator": "cdp.synth",
        "generator_version": GENERATOR_VERSION,
        "cdp_version": cdp_version,
        "seed": o.seed,
        "options": o.to_json(),
        "counts": counts,
        "bad_lines": {
            "total": counts["web_bad_lines"],
            **{
                k.removeprefix("web_bad_"): v
                for k, v in counts.items()
                if k.startswith("web_bad_") and k != "web_bad_lines"
            },
        },
        "kinds": by_kind,
        "files": [f.to_json() for f in files],
    }
    tmp = out_dir / "manifest.json.tmp"
    tmp.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    tmp.replace(out_dir / "manifest.json")

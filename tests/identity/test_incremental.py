"""IncrementalResolver: same scores as Splink, sensible joins, agreement with a full run."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import pytest
from identity_helpers import frame, person
from lakehouse_helpers import write_records

from identity import IdentityError, ResolveSettings, resolve
from identity._testing import GeneratedData
from identity.incremental import IncrementalResolver
from identity.service import add_override, resolve_lakehouse
from storage import Lakehouse

HOME = {"street": "Seestrasse 5", "postcode": "6300", "city": "Zug", "country": "CH"}
ANNA = {
    "first_name": "Anna",
    "last_name": "Meier",
    "birth_date": "1990-04-12",
    "email": "anna.meier@gmail.com",
    "phone": "+41 79 123 45 67",
    **HOME,
}
TRAIN = ResolveSettings(min_records_to_train=500)


def _key(row: dict[str, object]) -> str:
    return f"{row['source']}:{row['source_record_id']}"


@pytest.fixture(scope="module")
def split_data(generated: GeneratedData) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Live records split into a base and 150 held-out records."""
    live = generated.records.filter(~pl.col("deleted")).sort("source", "source_record_id")
    held = live.sample(n=150, seed=1)
    base = live.join(held, on=["source", "source_record_id"], how="anti")
    return base, held


def test_python_scores_equal_splink_scores(generated: GeneratedData) -> None:
    live = generated.records.filter(~pl.col("deleted"))
    res = resolve(live, aliases=generated.aliases, settings=TRAIN)
    assert res.stats["trained"]  # a trained model, not only the shipped parameters
    inc = IncrementalResolver(live, res.identity_map, res.model_json)
    scored = res.links.filter(pl.col("match_weight").is_not_null())
    assert scored.height > 100
    for link in scored.iter_rows(named=True):
        a = inc.rows[inc._index[f"{link['left_source']}:{link['left_record_id']}"]]
        b = inc.rows[inc._index[f"{link['right_source']}:{link['right_record_id']}"]]
        assert inc.score(a, b).weight == pytest.approx(link["match_weight"], abs=0.01)


def test_incremental_agrees_with_a_full_run(
    generated: GeneratedData, split_data: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    base, held = split_data
    first = resolve(base, aliases=generated.aliases, settings=TRAIN)
    inc = IncrementalResolver(base, first.identity_map, first.model_json, aliases=generated.aliases)
    timings: list[float] = []
    for row in held.iter_rows(named=True):
        started = time.perf_counter()
        inc.assign(row)
        timings.append(time.perf_counter() - started)
    full = resolve(
        pl.concat([base, held]),
        aliases=generated.aliases,
        previous=first.identity_map,
        settings=ResolveSettings(model_json=first.model_json),
    )
    base_keys = {_key(r) for r in base.select("source", "source_record_id").iter_rows(named=True)}
    full_of = {
        f"{s}:{r}": c
        for s, r, c in full.identity_map.select(
            "source", "source_record_id", "customer_id"
        ).iter_rows()
    }
    members_full: dict[str, set[str]] = {}
    for key, cid in full_of.items():
        members_full.setdefault(cid, set()).add(key)
    members_inc: dict[str, set[str]] = {}
    for row, cid in zip(inc.rows, inc.customer, strict=True):
        members_inc.setdefault(cid, set()).add(row["uid"])
    agree = within = 0
    for row in held.iter_rows(named=True):
        key = _key(row)
        mine = members_inc[inc.customer_of(key)] & base_keys
        theirs = members_full[full_of[key]] & base_keys
        agree += mine == theirs
        within += mine <= theirs
    # the gap: a new record that bridges two existing customers joins one of them; merging
    # existing customers is the full run's job (bench: 0.89 with 1,000 of ~6k held out)
    assert agree / held.height >= 0.85
    # and it is conservative: never with base records the full run keeps apart
    assert within / held.height >= 0.98
    timings.sort()
    assert timings[len(timings) // 2] < 0.1  # tens of milliseconds at most (typically ~5 ms)


def test_assign_over_the_lakehouse(tmp_path: Path) -> None:
    lh = Lakehouse(tmp_path / "lh")
    lh.init()
    write_records(
        lh,
        frame(
            person("crm", "anna", **ANNA),
            person(
                "crm",
                "marco",
                first_name="Marco",
                last_name="Meier",
                birth_date="1958-01-30",
                phone="+41 79 123 45 67",
                **HOME,
            ),
        ),
    )
    resolve_lakehouse(lh, run_id="r1")
    inc = IncrementalResolver.from_lakehouse(lh)
    anna = inc.customer_of("crm:anna")

    dup = inc.assign(person("erp", "a-1", **{**ANNA, "email": None}))
    assert (dup.customer_id, dup.new, dup.evidence) == (anna, False, "splink")
    assert dup.match_probability is not None and dup.match_probability > 0.9

    same_mail = inc.assign(person("web", "usr_anna", first_name="Anna", email=ANNA["email"]))
    assert same_mail.customer_id == anna and "email" in same_mail.evidence

    twin = inc.assign(person("erp", "twin", **{**ANNA, "first_name": "Hanna", "email": None}))
    assert twin.new and twin.customer_id != anna

    child = inc.assign(
        person(
            "erp",
            "kid",
            **{**ANNA, "first_name": "Lea", "birth_date": "2015-06-01", "email": None},
        )
    )
    assert child.new

    stranger = inc.assign(
        person("crm", "zoe", first_name="Zoe", last_name="Keller", email="zoe@keller.ch")
    )
    assert stranger.new and stranger.evidence == "new"
    assert stranger.customer_id not in {anna, twin.customer_id, child.customer_id}

    again = inc.assign(person("crm", "zoe", first_name="Zoe", last_name="Keller"))
    assert (again.customer_id, again.evidence) == (stranger.customer_id, "known")

    # the incremental id is the one a full run gives the same records
    write_records(lh, frame(person("crm", "zoe", first_name="Zoe", last_name="Keller")))
    resolve_lakehouse(lh, run_id="r2")
    full = lh.read("identity_map").filter(pl.col("source_record_id") == "zoe")
    assert full.get_column("customer_id").item() == stranger.customer_id


def test_assign_honours_overrides(tmp_path: Path) -> None:
    lh = Lakehouse(tmp_path / "lh")
    lh.init()
    write_records(lh, frame(person("crm", "anna", **ANNA)))
    resolve_lakehouse(lh, run_id="r1")
    add_override(lh, "never_merge", "crm:anna", "erp:kept-apart", reason="t", by="tester")
    add_override(lh, "split", "web:shared", None, reason="shared device", by="tester")
    add_override(lh, "merge", "crm:anna", "erp:pinned", reason="t", by="tester")
    inc = IncrementalResolver.from_lakehouse(lh)
    anna = inc.customer_of("crm:anna")
    assert inc.assign(person("erp", "kept-apart", **ANNA)).new
    assert inc.assign(person("web", "shared", **ANNA)).new
    pinned = inc.assign(person("erp", "pinned", first_name="Otto", last_name="Graf"))
    assert (pinned.customer_id, pinned.evidence) == (anna, "override")


def test_assign_rejects_deleted_rows_and_unknown_columns() -> None:
    inc = IncrementalResolver(frame(person("crm", "anna", **ANNA)), None, None)
    with pytest.raises(IdentityError):
        inc.assign({**person("erp", "gone", **ANNA), "deleted": True})
    with pytest.raises(IdentityError, match="not identity_records"):
        inc.assign({**person("erp", "x", **ANNA), "shoe_size": 42})
    with pytest.raises(IdentityError):
        IncrementalResolver(frame(person("crm", "anna", **ANNA)), None, "{")


def test_aliases_tie_web_identities() -> None:
    records = frame(person("web", "anon-1", first_name="Anna", email=ANNA["email"]))
    aliases = pl.DataFrame({"previous_id": ["anon-1"], "user_id": ["usr_anna"]})
    inc = IncrementalResolver(records, None, None, aliases=aliases)
    got = inc.assign(person("web", "usr_anna"))
    assert (got.customer_id, got.evidence) == (inc.customer_of("web:anon-1"), "alias")

"""resolve(): output schemas, accuracy on a generated set, stable ids, history, EM guard."""

from __future__ import annotations

import json

import polars as pl
import pytest
from identity_helpers import customer_of, frame, person

from identity import (
    IdentityError,
    InvalidSettingsError,
    ResolveSettings,
    explain,
    pairwise_scores,
    resolve,
)
from identity._cluster import customer_id
from identity._splink import COMPARISON_NAMES
from identity._testing import GeneratedData
from identity.resolve import Resolution
from storage import TABLES, as_arrow

HOME = {"street": "Seestrasse 5", "postcode": "6300", "city": "Zug", "country": "CH"}


def test_frames_fit_the_catalogue(resolved: Resolution) -> None:
    for name, data in (
        ("identity_map", resolved.identity_map),
        ("identity_links", resolved.links),
        ("identity_merges", resolved.merges),
    ):
        table = as_arrow(data, TABLES[name])
        assert table.num_rows == data.height
    assert resolved.links.height > 0
    weights = json.loads(resolved.links.drop_nulls("weights").get_column("weights")[0])
    assert set(weights) == set(COMPARISON_NAMES)
    assert set(resolved.links.get_column("decision").unique()) <= {"match", "review", "veto"}


def test_precision_and_cluster_size_on_a_generated_set(
    generated: GeneratedData, resolved: Resolution
) -> None:
    assert generated.records.height >= 1_800
    scores = pairwise_scores(resolved.identity_map, generated.truth)
    assert scores["precision"] >= 0.98
    assert scores["recall"] >= 0.8
    assert scores["largest_cluster"] <= 10


def test_cluster_cap_is_honoured(generated: GeneratedData) -> None:
    res = resolve(
        generated.records, aliases=generated.aliases, settings=ResolveSettings(max_cluster_size=2)
    )
    assert res.stats["largest_cluster"] <= 2
    assert res.links.filter(pl.col("veto_reason") == "cluster_size").height > 0


def test_rerun_gives_the_same_ids(generated: GeneratedData, resolved: Resolution) -> None:
    again = resolve(
        generated.records.sample(fraction=1.0, shuffle=True, seed=3), aliases=generated.aliases
    )
    cols = ["source", "source_record_id", "customer_id"]
    assert (
        again.identity_map.select(cols)
        .sort(cols[:2])
        .equals(resolved.identity_map.select(cols).sort(cols[:2]))
    )


def test_ids_are_derived_from_the_smallest_key(resolved: Resolution) -> None:
    first = (
        resolved.identity_map.sort("source", "source_record_id")
        .group_by("customer_id", maintain_order=True)
        .first()
    )
    for source, record_id, cid in first.select("source", "source_record_id", "customer_id").rows():
        assert cid == customer_id(f"{source}:{record_id}")


def test_ids_survive_additions(generated: GeneratedData, resolved: Resolution) -> None:
    records = generated.records.sort("source", "source_record_id")
    earlier = records.gather_every(2)
    before = resolve(earlier, aliases=generated.aliases)
    after = resolve(records, aliases=generated.aliases, previous=before.identity_map)
    joined = before.identity_map.join(
        after.identity_map, on=["source", "source_record_id"], suffix="_new"
    )
    kept = (joined.get_column("customer_id") == joined.get_column("customer_id_new")).mean()
    assert kept is not None and kept >= 0.95
    # a customer whose earlier records stay together, joined by no other earlier customer,
    # keeps its id whatever new records join it
    untouched = joined.filter(
        (pl.col("customer_id").n_unique().over("customer_id_new") == 1)
        & (pl.col("customer_id_new").n_unique().over("customer_id") == 1)
    )
    assert untouched.height > 0.9 * joined.height
    assert (untouched.get_column("customer_id") == untouched.get_column("customer_id_new")).all()
    changed = joined.filter(pl.col("customer_id") != pl.col("customer_id_new"))
    olds = set(after.merges.get_column("old_customer_id"))
    assert set(changed.get_column("customer_id")) <= olds
    new_ids = set(after.identity_map.get_column("customer_id"))
    assert set(after.merges.get_column("new_customer_id")) <= new_ids


def _pair() -> pl.DataFrame:
    return frame(
        person(
            "crm",
            "a",
            first_name="Laura",
            last_name="Fontana",
            birth_date="1988-02-11",
            email="laura.fontana@gmail.com",
            **HOME,
        ),
        person(
            "erp",
            "b",
            first_name="Laura",
            last_name="Fontana",
            birth_date="1988-02-11",
            email="laura.fontana@gmail.com",
            **HOME,
        ),
    )


def test_merge_keeps_the_older_id_and_records_history() -> None:
    previous = pl.DataFrame(
        {
            "source": ["crm", "erp"],
            "source_record_id": ["a", "b"],
            "customer_id": ["cus_old1", "cus_old2"],
        }
    )
    res = resolve(_pair(), previous=previous)
    assert customer_of(res, "crm", "a") == customer_of(res, "erp", "b") == "cus_old1"
    assert res.merges.select("old_customer_id", "new_customer_id", "kind").rows() == [
        ("cus_old2", "cus_old1", "merge")
    ]


def test_split_gives_the_new_part_a_new_id() -> None:
    records = pl.concat(
        [
            _pair(),
            frame(
                person(
                    "crm",
                    "c",
                    first_name="Marco",
                    last_name="Fontana",
                    birth_date="1952-09-30",
                    **HOME,
                )
            ),
        ]
    )
    previous = pl.DataFrame(
        {
            "source": ["crm", "erp", "crm"],
            "source_record_id": ["a", "b", "c"],
            "customer_id": ["cus_x"] * 3,
        }
    )
    res = resolve(records, previous=previous)
    assert customer_of(res, "crm", "a") == customer_of(res, "erp", "b") == "cus_x"
    new = customer_of(res, "crm", "c")
    assert new != "cus_x"
    assert res.merges.select("old_customer_id", "new_customer_id", "kind").rows() == [
        ("cus_x", new, "split")
    ]


def test_tiny_input_uses_default_parameters() -> None:
    res = resolve(_pair(), settings=ResolveSettings(min_records_to_train=0))
    assert res.identity_map.get_column("customer_id").n_unique() == 1
    assert res.model_json is not None
    single = resolve(_pair().head(1))
    assert single.identity_map.height == 1
    assert single.links.height == 0


def test_saved_model_is_reused(generated: GeneratedData, resolved: Resolution) -> None:
    assert resolved.model_json is not None
    again = resolve(
        generated.records,
        aliases=generated.aliases,
        settings=ResolveSettings(model_json=resolved.model_json),
    )
    assert again.stats["trained"] == []
    assert again.identity_map.get_column("customer_id").equals(
        resolved.identity_map.get_column("customer_id")
    )
    with pytest.raises(IdentityError):
        resolve(_pair(), settings=ResolveSettings(model_json="{"))


def test_explain_gives_per_comparison_weights() -> None:
    records = _pair()
    res = resolve(records)
    assert res.model_json is not None
    why = explain(("crm", "a"), ("erp", "b"), records, res.model_json)
    assert set(why.weights) == set(COMPARISON_NAMES)
    assert why.weights["email"] > 0
    assert why.match_weight is not None and why.match_weight > 0
    assert why.veto is None
    with pytest.raises(IdentityError):
        explain(("crm", "a"), ("crm", "zzz"), records, res.model_json)


def test_deleted_records_are_left_out() -> None:
    records = _pair().with_columns(pl.Series("deleted", [False, True]))
    res = resolve(records)
    assert res.identity_map.get_column("source_record_id").to_list() == ["a"]


def test_missing_columns_raise() -> None:
    with pytest.raises(IdentityError, match="first_name_key"):
        resolve(pl.DataFrame({"source": ["crm"], "source_record_id": ["1"]}))


def test_pairwise_scores_from_group_counts() -> None:
    keys = {"source": ["s"] * 5, "source_record_id": ["1", "2", "3", "4", "5"]}
    truth = pl.DataFrame({**keys, "person_id": ["p", "p", "p", "q", "q"]})
    pred = pl.DataFrame({**keys, "customer_id": ["a", "a", "b", "b", "c"]})
    scores = pairwise_scores(pred, truth)
    # predicted pairs: (1,2), (3,4); true pairs: (1,2), (1,3), (2,3), (4,5)
    assert scores["precision"] == 0.5
    assert scores["recall"] == 0.25
    assert scores["largest_cluster"] == 2
    assert scores["clusters"] == 3


def test_unique_sources_link_one_to_one() -> None:
    twin = {"last_name": "Brunner", "birth_date": "1979-04-04", **HOME}
    records = frame(
        person("a", "1", first_name="Sandra", **twin),
        person("b", "1", first_name="Sandra", **twin),
        person("b", "2", first_name="Sandra", **twin),
    )
    loose = ResolveSettings(vetoes=frozenset(), require_personal=False)
    assert resolve(records, settings=loose).identity_map.get_column("customer_id").n_unique() == 1
    one_to_one = ResolveSettings(
        vetoes=frozenset(), require_personal=False, unique_sources=frozenset({"a", "b"})
    )
    res = resolve(records, settings=one_to_one)
    assert res.identity_map.get_column("customer_id").n_unique() == 2
    assert "cluster_unique_source" in res.links.get_column("veto_reason").to_list()


def test_vetoes_can_be_switched_off_for_data_without_households() -> None:
    common = {"last_name": "Gani", "birth_date": "1983-04-12", **HOME}
    records = frame(
        person("a", "1", first_name="Charlize", **common),
        person("b", "1", first_name="Liam", **common),
    )
    assert resolve(records).identity_map.get_column("customer_id").n_unique() == 2
    off = ResolveSettings(vetoes=frozenset(), require_personal=False)
    assert resolve(records, settings=off).identity_map.get_column("customer_id").n_unique() == 1


def test_settings_are_validated() -> None:
    with pytest.raises(InvalidSettingsError, match="unknown veto"):
        ResolveSettings(vetoes=frozenset({"shoe_size"}))
    with pytest.raises(InvalidSettingsError, match="max_cluster_size"):
        ResolveSettings(max_cluster_size=0)


def _override(a: tuple[str, str], b: tuple[str, str], action: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "left_source": [a[0]],
            "left_record_id": [a[1]],
            "right_source": [b[0]],
            "right_record_id": [b[1]],
            "action": [action],
        }
    )


def test_never_merge_override_keeps_duplicates_apart() -> None:
    records = pl.concat(
        [
            _pair(),
            frame(
                person(
                    "web",
                    "u",
                    first_name="Laura",
                    last_name="Fontana",
                    email="laura.fontana@gmail.com",
                )
            ),
        ]
    )
    assert resolve(records).identity_map.get_column("customer_id").n_unique() == 1
    res = resolve(records, overrides=_override(("erp", "b"), ("crm", "a"), "never_merge"))
    assert customer_of(res, "crm", "a") != customer_of(res, "erp", "b")
    reasons = set(res.links.get_column("veto_reason").drop_nulls())
    assert "override_never_merge" in reasons


def test_merge_override_pins_records_together() -> None:
    twins = {"last_name": "Keller", "birth_date": "1990-03-04", **HOME}
    records = frame(
        person("crm", "1", first_name="Anna", **twins),
        person("crm", "2", first_name="Hanna", **twins),
    )
    assert resolve(records).identity_map.get_column("customer_id").n_unique() == 2
    res = resolve(records, overrides=_override(("crm", "1"), ("crm", "2"), "merge"))
    assert res.identity_map.get_column("customer_id").n_unique() == 1
    link = res.links.row(0, named=True)
    assert link["decision"] == "match"
    assert "override" in link["evidence"]


def test_bad_overrides_raise() -> None:
    with pytest.raises(IdentityError, match="action"):
        resolve(_pair(), overrides=_override(("crm", "a"), ("erp", "b"), "maybe"))
    both = pl.concat(
        [
            _override(("crm", "a"), ("erp", "b"), "merge"),
            _override(("erp", "b"), ("crm", "a"), "never_merge"),
        ]
    )
    with pytest.raises(IdentityError, match="both"):
        resolve(_pair(), overrides=both)

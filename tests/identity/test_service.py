"""identity.service: resolution over the lakehouse, explain, overrides, model versions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from identity_helpers import frame, person
from lakehouse_helpers import AT, map_of, write_aliases, write_records

from identity import IdentityError, ResolveSettings
from identity._testing import GeneratedData
from identity.service import (
    add_override,
    deactivate_override,
    explain_records,
    format_explanation,
    latest_model,
    resolve_customer_id,
    resolve_lakehouse,
)
from storage import TABLES, Lakehouse

NO_TRAINING = ResolveSettings(min_records_to_train=10**9)
HOME = {"street": "Seestrasse 5", "postcode": "6300", "city": "Zug", "country": "CH"}
LAURA = {
    "first_name": "Laura",
    "last_name": "Fontana",
    "birth_date": "1988-02-11",
    "email": "laura.fontana@gmail.com",
    **HOME,
}
OTHER = {
    "first_name": "Peter",
    "last_name": "Brunner",
    "birth_date": "1970-05-02",
    "email": "p.brunner@bluewin.ch",
    "street": "Bahnhofstrasse 1",
    "postcode": "8001",
    "city": "Zürich",
    "country": "CH",
}


@pytest.fixture
def lh(tmp_path: Path) -> Lakehouse:
    lake = Lakehouse(tmp_path / "lh")
    lake.init()
    return lake


def _small() -> pl.DataFrame:
    return frame(
        person("crm", "a", **LAURA),
        person("erp", "b", **LAURA),
        person("web", "c", **{**LAURA, "birth_date": None, "phone": None}),
        person("crm", "p", **OTHER),
    )


def test_resolve_writes_every_table_and_reruns_are_stable(
    lh: Lakehouse, generated: GeneratedData
) -> None:
    write_records(lh, generated.records)
    write_aliases(lh, generated.aliases)
    first = resolve_lakehouse(
        lh, settings=ResolveSettings(min_records_to_train=500), run_id="r1", now=AT
    )
    for name in ("identity_map", "identity_links", "identity_merges", "identity_models"):
        data = lh.read(name)
        assert pa.schema(data.to_arrow().schema).names == TABLES[name].columns, name
    live = generated.records.filter(~pl.col("deleted")).height
    assert first.records == live == lh.count("identity_map")
    assert first.links == lh.count("identity_links") > 0
    assert first.aliases == generated.aliases.height
    assert first.model_version == 1 and first.model_trained
    assert 1 <= first.largest_cluster <= 10
    assert first.customers < first.records
    ids = map_of(lh)

    # a later, small-data-sized run reuses the stored model, keeps ids, records no merges
    second = resolve_lakehouse(
        lh, run_id="r2", settings=ResolveSettings(min_records_to_train=10**9)
    )
    assert second.model_version == 2 and not second.model_trained
    assert (second.merges, second.splits) == (0, 0)
    assert map_of(lh) == ids
    models = lh.read("identity_models").sort("version")
    assert models.get_column("version").to_list() == [1, 2]
    assert models.get_column("model_json").n_unique() == 1
    assert models.get_column("trained_on_records").to_list() == [first.stats["scoreable"]] * 2
    assert lh.count("identity_merges") == 0

    # replaying a run id writes no history twice
    again = resolve_lakehouse(lh, run_id="r2", settings=NO_TRAINING)
    assert again.run_number == 2
    assert lh.count("identity_models") == 2
    assert map_of(lh) == ids


def test_small_data_without_a_stored_model_uses_the_defaults(lh: Lakehouse) -> None:
    write_records(lh, _small())
    report = resolve_lakehouse(lh, run_id="r1")
    assert not report.model_trained and report.model_version == 1
    stored = latest_model(lh)
    assert stored is not None and stored.trained_on_records is None
    ids = map_of(lh)
    assert ids["crm:a"] == ids["erp:b"] == ids["web:c"] != ids["crm:p"]


def test_adding_and_deleting_records_keeps_ids(lh: Lakehouse) -> None:
    write_records(lh, _small())
    resolve_lakehouse(lh, run_id="r1")
    before = map_of(lh)
    write_records(
        lh,
        frame(
            person("web", "d", **LAURA),
            person("crm", "z", first_name="Zoe", last_name="Keller", email="zoe@keller.ch"),
            {**person("crm", "p", **OTHER), "deleted": True, "updated_at": AT},
        ),
    )
    report = resolve_lakehouse(lh, run_id="r2")
    after = map_of(lh)
    assert "crm:p" not in after
    assert after["web:d"] == after["crm:a"] == before["crm:a"]
    assert after["crm:z"] not in set(before.values())
    assert report.merges == 0


def test_old_ids_resolve_through_merges(lh: Lakehouse) -> None:
    write_records(lh, _small())
    never = add_override(lh, "never_merge", "crm:a", "erp:b", reason="test", by="tester", now=AT)
    add_override(lh, "never_merge", "crm:a", "web:c", reason="test", by="tester", now=AT)
    resolve_lakehouse(lh, run_id="r1")
    apart = map_of(lh)
    assert apart["crm:a"] != apart["erp:b"]
    deactivate_override(lh, never)
    report = resolve_lakehouse(lh, run_id="r2")
    together = map_of(lh)
    assert together["crm:a"] == together["erp:b"]
    assert report.merges >= 1
    old = apart["crm:a"] if together["crm:a"] != apart["crm:a"] else apart["erp:b"]
    assert old not in set(together.values())
    assert resolve_customer_id(lh, old) == together["crm:a"]
    assert resolve_customer_id(lh, together["crm:a"]) == together["crm:a"]
    with pytest.raises(IdentityError):
        resolve_customer_id(lh, "cus_never_seen")


def test_resolve_customer_id_follows_chains_and_survives_cycles(lh: Lakehouse) -> None:
    write_records(lh, _small())
    resolve_lakehouse(lh, run_id="r1")
    live = map_of(lh)["crm:p"]
    rows = [
        ("cus_a", "cus_b", AT),
        ("cus_b", "cus_c", AT + timedelta(days=1)),
        ("cus_c", live, AT + timedelta(days=2)),
        ("cus_x", "cus_y", AT),
        ("cus_y", "cus_x", AT),
    ]
    lh.append(
        "identity_merges",
        [{"old_customer_id": o, "new_customer_id": n, "reason": "t", "at": t} for o, n, t in rows],
    )
    assert resolve_customer_id(lh, "cus_a") == live
    assert resolve_customer_id(lh, "cus_x") in {"cus_x", "cus_y"}


def test_every_override_kind_is_honoured(lh: Lakehouse) -> None:
    write_records(lh, _small())
    resolve_lakehouse(lh, run_id="r0")
    base = map_of(lh)
    assert base["crm:a"] == base["erp:b"] != base["crm:p"]

    add_override(lh, "merge", "crm:a", "crm:p", reason="same person", by="tester")
    resolve_lakehouse(lh, run_id="r1")
    merged = map_of(lh)
    # the pin beats the vetoes for that pair; the others are vetted against the pinned cluster
    assert merged["crm:a"] == merged["crm:p"]

    add_override(lh, "never_merge", "crm:a", "crm:p", reason="not after all", by="tester")
    add_override(lh, "never_merge", "erp:b", "crm:p", reason="not after all", by="tester")
    resolve_lakehouse(lh, run_id="r2")
    apart = map_of(lh)
    assert apart["crm:a"] == apart["erp:b"] != apart["crm:p"]

    add_override(lh, "split", "web:c", None, reason="shared device", by="tester")
    resolve_lakehouse(lh, run_id="r3")
    split = map_of(lh)
    assert split["web:c"] not in {split["crm:a"], split["crm:p"]}
    assert split["crm:a"] == split["erp:b"]
    kinds = lh.read("identity_overrides").get_column("kind").to_list()
    assert sorted(kinds) == ["merge", "never_merge", "never_merge", "split"]


def test_override_input_is_checked(lh: Lakehouse) -> None:
    with pytest.raises(IdentityError):
        add_override(lh, "split", "crm:a", "erp:b", reason="x", by="y")
    with pytest.raises(IdentityError):
        add_override(lh, "merge", "crm:a", None, reason="x", by="y")
    with pytest.raises(IdentityError):
        add_override(lh, "merge", "crm:a", "nokey", reason="x", by="y")
    with pytest.raises(IdentityError):
        add_override(lh, "never_merge", "crm:a", "erp:b", reason=" ", by="y")
    with pytest.raises(IdentityError):
        deactivate_override(lh, "ovr_unknown")


def test_explain_a_known_pair_and_an_unknown_key(lh: Lakehouse) -> None:
    write_records(lh, _small())
    resolve_lakehouse(lh, run_id="r1")
    why = explain_records(lh, "crm:a", "erp:b")
    assert why.same_customer and why.model_version == 1
    assert why.explanation.veto is None
    assert why.explanation.weights["email"] > 0
    text = format_explanation(why)
    assert "same customer now: yes" in text
    assert "first_name" in text and "match weight" in text and "veto: none" in text
    assert "Laura" not in text  # keys and weights only, no personal data

    other = explain_records(lh, "crm:a", "crm:p")
    assert not other.same_customer
    assert "same customer now: no" in format_explanation(other)
    with pytest.raises(IdentityError, match="unknown record"):
        explain_records(lh, "crm:a", "crm:nobody")
    with pytest.raises(IdentityError):
        explain_records(lh, "crm:a", "no-colon")

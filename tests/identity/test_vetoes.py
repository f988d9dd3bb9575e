"""Conflict vetoes: hard negatives stay apart, true duplicates with noise still merge."""

from __future__ import annotations

import itertools

import polars as pl
from identity_helpers import customer_of, frame, person

from identity import resolve
from identity._prepare import features_of, prepare
from identity._splink import SplinkScorer, default_model
from identity._testing import GeneratedData
from identity._vetoes import Features, veto
from identity.resolve import Resolution

HOME = {"street": "Bahnhofstrasse 12", "postcode": "8001", "city": "Zürich", "country": "CH"}


def test_twins_stay_apart() -> None:
    records = frame(
        person(
            "crm",
            "1",
            first_name="Anna",
            last_name="Keller",
            birth_date="1990-03-04",
            phone="+41 44 123 45 67",
            **HOME,
        ),
        person(
            "crm",
            "2",
            first_name="Hanna",
            last_name="Keller",
            birth_date="1990-03-04",
            phone="+41 44 123 45 67",
            **HOME,
        ),
        person(
            "erp",
            "3",
            full_name="KELLER Anna",
            birth_date="1990-03-04",
            phone="+41 44 123 45 67",
            **HOME,
        ),
    )
    res = resolve(records)
    assert customer_of(res, "crm", "1") != customer_of(res, "crm", "2")
    assert customer_of(res, "crm", "2") != customer_of(res, "erp", "3")


def test_household_with_family_email_stays_apart() -> None:
    shared = {"email": "familie.huber@bluewin.ch", "phone": "+41 31 555 66 77", **HOME}
    records = frame(
        person(
            "crm", "1", first_name="Peter", last_name="Huber", birth_date="1961-07-01", **shared
        ),
        person("crm", "2", first_name="Ruth", last_name="Huber", birth_date="1964-11-23", **shared),
        person(
            "web", "u1", first_name="Peter", last_name="Huber", email="familie.huber@bluewin.ch"
        ),
    )
    res = resolve(records)
    assert customer_of(res, "crm", "1") != customer_of(res, "crm", "2")
    assert customer_of(res, "crm", "1") == customer_of(res, "web", "u1")
    vetoed = res.links.filter(pl.col("decision") == "veto")
    assert "first_name" in vetoed.get_column("veto_reason").to_list()


def test_namesakes_in_other_towns_stay_apart() -> None:
    records = frame(
        person(
            "crm",
            "1",
            first_name="Thomas",
            last_name="Müller",
            birth_date="1980-01-15",
            email="thomas.mueller@gmx.ch",
            city="Bern",
            postcode="3011",
            country="CH",
        ),
        person(
            "crm",
            "2",
            first_name="Thomas",
            last_name="Müller",
            birth_date="1975-09-02",
            email="t.mueller@bluewin.ch",
            city="Basel",
            postcode="4051",
            country="CH",
        ),
        person(
            "erp",
            "3",
            first_name="Thomas",
            last_name="Mueller",
            email="tom.mueller@web.de",
            city="Luzern",
            postcode="6003",
            country="CH",
            phone="+41 41 222 33 44",
        ),
    )
    res = resolve(records)
    assert res.identity_map.get_column("customer_id").n_unique() == 3


def test_junior_with_fathers_name_stays_apart() -> None:
    records = frame(
        person(
            "crm",
            "1",
            first_name="Hans",
            last_name="Meier",
            birth_date="1955-02-02",
            phone="+41 44 123 45 67",
            **HOME,
        ),
        person(
            "crm",
            "2",
            first_name="Hans",
            last_name="Meier",
            birth_date="1985-06-30",
            phone="+41 44 123 45 67",
            **HOME,
        ),
    )
    res = resolve(records)
    assert customer_of(res, "crm", "1") != customer_of(res, "crm", "2")


def test_true_duplicates_with_noise_merge() -> None:
    records = frame(
        person(
            "crm",
            "1",
            first_name="Johannes",
            last_name="Müller",
            birth_date="1970-05-06",
            email="johannes.mueller@gmail.com",
            phone="+41 79 123 45 67",
            **HOME,
        ),
        # nickname, transliteration, abbreviated street, national phone
        person(
            "erp",
            "2",
            full_name="MUELLER Hans",
            birth_date="19700506",
            street="Bahnhofstr. 12",
            postcode="8001",
            city="Zurich",
            country="CH",
            phone="079 123 45 67",
        ),
        # typo in the surname, moved to another town, googlemail variant of the e-mail
        person(
            "web",
            "u1",
            first_name="Johannes",
            last_name="Müler",
            email="Johannes.Mueller+shop@googlemail.com",
            street="Dorfstrasse 1",
            postcode="3000",
            city="Bern",
            country="CH",
        ),
    )
    res = resolve(records)
    assert res.identity_map.get_column("customer_id").n_unique() == 1


def test_no_cluster_contains_a_vetoed_pair(generated: GeneratedData, resolved: Resolution) -> None:
    feats = prepare(generated.records)
    by_uid = dict(zip(feats.get_column("uid").to_list(), features_of(feats), strict=True))
    clusters = (
        resolved.identity_map.with_columns(
            pl.concat_str("source", pl.lit(":"), "source_record_id").alias("uid")
        )
        .group_by("customer_id")
        .agg("uid")
        .get_column("uid")
        .to_list()
    )
    for members in clusters:
        for a, b in itertools.combinations(members, 2):
            assert veto(by_uid[a], by_uid[b]) is None


def test_sql_and_python_vetoes_agree(generated: GeneratedData) -> None:
    feats = prepare(generated.records)
    scorer = SplinkScorer(feats, default_model(feats.height))
    scored = scorer.predict(min_weight=-20.0)
    assert scored.height > 100
    by_uid = dict(zip(feats.get_column("uid").to_list(), features_of(feats), strict=True))
    for a, b, reason in scored.select("uid_l", "uid_r", "veto_reason").iter_rows():
        assert veto(by_uid[a], by_uid[b]) == reason


def test_veto_rules() -> None:
    anna = Features(fn="anna", fc="anna", ln="keller", dob="19900304")
    assert veto(anna, Features(fn="hanna", fc="hanna", ln="keller", dob="19900304")) == (
        "first_name"
    )
    assert veto(anna, Features(fn="anan", fc="anan", dob="19900304")) is None  # typo
    assert veto(anna, Features(fn="a", fc="a")) is None  # initial
    assert veto(anna, Features(fn="keller", fc="keller", ln="anna")) is None  # swapped
    assert veto(anna, Features(fn="anna", dob="19900403")) is None  # day/month swap
    assert veto(anna, Features(fn="anna", dob="19900305")) is None  # one digit
    assert veto(anna, Features(fn="anna", dob="19650304")) == "birth_date"
    hans = Features(fn="hans peter", fc="johannes")
    assert veto(hans, Features(fn="hanspeter", fc="hanspeter")) is None
    assert veto(hans, Features(fn="peter", fc="peter")) is None
    assert veto(Features(fn="bill", fc="william"), Features(fn="william", fc="william")) is None


def test_prepare_strips_titles_and_adds_initials() -> None:
    records = frame(
        person("erp", "1", full_name="Dipl. Ing. Merve Yilmaz", phone="+49 173 9620692"),
        person("crm", "2", first_name="H. W.", last_name="Koller", email="hw@koller.at"),
    )
    feats = prepare(records).sort("source")
    assert feats.get_column("fn").to_list() == ["h w", "merve"]
    assert feats.get_column("fi").to_list() == ["hw", "m"]
    assert feats.get_column("fi_only").to_list() == [True, False]
    heinz = Features(fn="heinz werner", fc="heinz", fi="hw", fi_only=False)
    assert veto(heinz, Features(fn="h w", fc="h", fi="hw", fi_only=True)) is None


def test_household_names_must_agree_strictly() -> None:
    home = {"ln": "rosini", "street": "kirchstrasse 6", "phone": "+4991112345"}
    luca = Features(fn="luca", fc="luca", fn_n=40, **home)
    assert veto(luca, Features(fn="lucia", fc="lucia", fn_n=35, **home)) == "first_name"
    # the same two names in different households are one slip apart: no conflict by name
    assert veto(luca, Features(fn="lucia", fc="lucia", fn_n=35, ln="rosini")) is None
    # a typo (a spelling far rarer than its neighbour) or a short form stays compatible
    assert veto(luca, Features(fn="lcua", fc="lcua", fn_n=1, **home)) is None
    tobias = Features(fn="tobias", fc="tobias", fn_n=50, **home)
    assert veto(tobias, Features(fn="tobi", fc="tobi", fn_n=9, **home)) is None
    nico = Features(fn="nico", fc="nico", fn_n=20, **home)
    assert veto(nico, Features(fn="nicole", fc="nicole", fn_n=30, **home)) == "first_name"

"""The profile learned from the data: master files without households vs customer data."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
from identity_helpers import frame, person

from identity import ResolveSettings, pairwise_scores, resolve
from identity._testing import GeneratedData

_SYL = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ber", "dan", "fel", "gor", "hil", "jor")


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYL) for _ in range(parts)).capitalize()


def _master_files(n: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two deduplicated files of the same ``n`` people; file b mistypes 30% of birth dates."""
    rng = random.Random(seed)
    rows, truth = [], []
    for i in range(n):
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(25_000))
        raw = {
            "first_name": _name(rng, 2),
            "last_name": _name(rng, 3),
            "street": f"{_name(rng, 2)}weg {rng.randrange(1, 90)}",
            "postcode": str(rng.randrange(1000, 9999)),
            "city": _name(rng, 2),
            "phone": f"+4179{rng.randrange(10**6, 10**7)}",
            "country": "CH",
        }
        other = born
        if rng.random() < 0.3:  # a typing slip of two digits: year and day
            other = born.replace(year=born.year + rng.choice((-10, 10)), day=(born.day % 27) + 1)
        for source, when in (("a", born), ("b", other)):
            rows.append(person(source, f"{source}{i}", **raw, birth_date=when.isoformat()))
            truth.append({"source": source, "source_record_id": f"{source}{i}", "person_id": i})
    return frame(*rows), pl.DataFrame(truth)


def test_master_files_without_households_switch_the_household_rules_off() -> None:
    records, truth = _master_files(1_100, seed=3)
    learned = resolve(records, settings=ResolveSettings(min_records_to_train=1_000))
    stats = learned.stats["learned"]
    assert stats["vetoes_off"] == ["birth_date", "first_name"]
    assert stats["unique_sources"] == ["a", "b"]
    two_people, homes = stats["home_pairs_two_people"]
    assert homes >= 1_000 and two_people == 0
    scores = pairwise_scores(learned.identity_map, truth)
    assert scores["precision"] == 1.0 and scores["recall"] > 0.99
    assert learned.stats["largest_cluster"] == 2
    # the same data with the rules as set: the birth-date veto keeps the mistyped pairs apart
    fixed = resolve(records, settings=ResolveSettings(min_records_to_train=1_000, learn=False))
    assert "learned" not in fixed.stats
    assert pairwise_scores(fixed.identity_map, truth)["recall"] < 0.8


def test_customer_data_keeps_every_household_rule(generated: GeneratedData) -> None:
    res = resolve(
        generated.records,
        aliases=generated.aliases,
        settings=ResolveSettings(min_records_to_train=500),
    )
    stats = res.stats["learned"]
    assert stats["vetoes_off"] == []
    assert stats["unique_sources"] == []  # CRM has duplicates, web identities link within web
    two_people, homes = stats["home_pairs_two_people"]
    assert homes > 0 and two_people / homes > 0.1  # couples, siblings: clearly households

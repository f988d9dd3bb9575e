"""Web identity evidence from events: the identity graph, shared devices, accumulated traits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from identity_helpers import customer_of, frame, person
from lakehouse_helpers import write_records

from cdp.models import event_from_message, parse_message
from identity import ResolveSettings, resolve
from identity.service import alias_pairs, resolve_lakehouse, web_traits
from identity.web import (
    accumulated_traits,
    identity_edges,
    shared_anonymous_ids,
    with_accumulated_traits,
)
from storage import Lakehouse

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
NO_TRAINING = ResolveSettings(train=False)
HOME = {"street": "Seestrasse 5", "postcode": "6300", "city": "Zug", "country": "CH"}
ANNA = {"first_name": "Anna", "last_name": "Keller", "birth_date": "1990-04-02", **HOME}
MARC = {"first_name": "Marc", "last_name": "Keller", "birth_date": "1987-11-23", **HOME}


def _message(kind: str, n: int, **fields: Any) -> dict[str, Any]:
    at = (T0 + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
    msg: dict[str, Any] = {"type": kind, "messageId": f"m-{kind}-{n}", "timestamp": at}
    if kind == "track":
        msg["event"] = "Product Viewed"
    msg.update(fields)
    return msg


def _events(*messages: dict[str, Any]) -> pl.DataFrame:
    """``events`` rows as ingest writes them (the real message and event models)."""
    rows = [
        event_from_message(
            parse_message(m), source="web", received_at=T0 + timedelta(days=1)
        ).to_row()
        for m in messages
    ]
    return pl.DataFrame(rows, infer_schema_length=None)


def _web(key: str, *, user: str | None, anon: str | None, **raw: Any) -> dict[str, Any]:
    return {**person("web", key, **raw), "user_id": user, "anonymous_id": anon}


def test_an_identify_with_both_ids_ties_the_anonymous_history_to_the_user() -> None:
    events = _events(
        _message("track", 1, anonymousId="anon-1"),
        _message("identify", 2, anonymousId="anon-1", userId="usr_1", traits={}),
        _message("track", 3, anonymousId="anon-2"),
    )
    edges = identity_edges(events)
    assert edges.rows() == [("anon-1", "usr_1")]
    # the user's record holds a later device's anonymous id; the first device is only in events
    records = frame(
        _web("anon-1", user=None, anon="anon-1"),
        _web("usr_1", user="usr_1", anon="anon-9", email="anna.keller@example.ch"),
        _web("anon-2", user=None, anon="anon-2"),
    )
    res = resolve(records, aliases=edges, settings=NO_TRAINING)
    assert customer_of(res, "web", "anon-1") == customer_of(res, "web", "usr_1")
    assert customer_of(res, "web", "anon-2") != customer_of(res, "web", "usr_1")
    without = resolve(records, settings=NO_TRAINING)
    assert customer_of(without, "web", "anon-1") != customer_of(without, "web", "usr_1")


def test_an_alias_ties_the_previous_id_to_the_user() -> None:
    events = _events(_message("alias", 1, previousId="anon-7", userId="usr_7"))
    edges = identity_edges(events)
    assert edges.rows() == [("anon-7", "usr_7")]
    records = frame(
        _web("anon-7", user=None, anon="anon-7", email="news@example.ch"),
        _web("usr_7", user="usr_7", anon=None, first_name="Anna"),
    )
    res = resolve(records, aliases=edges, settings=NO_TRAINING)
    assert customer_of(res, "web", "anon-7") == customer_of(res, "web", "usr_7")


def test_a_shared_household_device_does_not_merge_its_two_users() -> None:
    # one family tablet: Anna and Marc both log in on it; their accounts share no trait
    events = _events(
        _message("page", 1, anonymousId="tablet"),
        _message("identify", 2, anonymousId="tablet", userId="usr_anna", traits={}),
        _message("identify", 3, anonymousId="tablet", userId="usr_marc", traits={}),
        _message("alias", 4, previousId="tablet", userId="usr_marc"),
        _message("identify", 5, anonymousId="phone-a", userId="usr_anna", traits={}),
    )
    edges = identity_edges(events)
    assert edges.rows() == [("phone-a", "usr_anna"), ("tablet", "usr_anna"), ("tablet", "usr_marc")]
    assert shared_anonymous_ids(edges).to_list() == ["tablet"]
    records = frame(
        _web("tablet", user=None, anon="tablet"),
        _web("usr_anna", user="usr_anna", anon="tablet"),
        _web("usr_marc", user="usr_marc", anon="tablet"),
        _web("phone-a", user=None, anon="phone-a"),
    )
    # even given the raw pairs (and the records' own anonymous ids), no chain through the tablet
    raw = pl.DataFrame(
        {
            "previous_id": ["tablet", "tablet", "phone-a"],
            "user_id": ["usr_anna", "usr_marc", "usr_anna"],
        }
    )
    for aliases in (edges, raw, None):
        res = resolve(records, aliases=aliases, settings=NO_TRAINING)
        anna, marc = customer_of(res, "web", "usr_anna"), customer_of(res, "web", "usr_marc")
        assert anna != marc
        assert customer_of(res, "web", "tablet") not in (anna, marc)
    assert customer_of(resolve(records, aliases=edges), "web", "phone-a") == customer_of(
        resolve(records, aliases=edges), "web", "usr_anna"
    )


def test_traits_accumulate_over_identifies_and_fill_the_latest_record() -> None:
    full = {"firstName": "Anna", "lastName": "Keller", "email": "a.keller@bluewin.ch"}
    events = _events(
        _message("identify", 1, userId="usr_a", anonymousId="d1", traits=full),
        _message("identify", 2, userId="usr_a", anonymousId="d1", traits={"phone": "+41791234567"}),
        _message("identify", 3, userId="usr_a", anonymousId="d2", traits={}),
        _message("identify", 4, userId="usr_a", traits={"email": "anna.keller@gmail.com"}),
    )
    traits = accumulated_traits(events)
    assert traits.height == 1
    row = traits.row(0, named=True)
    assert (row["first_name"], row["last_name"]) == ("Anna", "Keller")
    assert row["email"] == "anna.keller@gmail.com"  # the latest value of a trait wins
    assert row["phone"] == "+41791234567"
    # identity_records keeps the latest identify only (no traits): the history fills it
    latest = frame(_web("usr_a", user="usr_a", anon="d2"))
    filled = with_accumulated_traits(latest, traits)
    assert filled.columns == latest.columns
    assert filled.row(0, named=True)["last_name_key"] == row["last_name_key"] is not None
    crm = frame(person("crm", "c1", **ANNA, email="anna.keller@gmail.com", phone="+41791234567"))
    res = resolve(pl.concat([crm, filled]), settings=NO_TRAINING)
    assert customer_of(res, "crm", "c1") == customer_of(res, "web", "usr_a")
    own = frame(_web("usr_a", user="usr_a", anon="d2", first_name="Hanna"))
    assert with_accumulated_traits(own, traits).row(0, named=True)["first_name"] == "Hanna"


@pytest.fixture
def lh(tmp_path: Path) -> Lakehouse:
    lake = Lakehouse(tmp_path / "lh")
    lake.init()
    return lake


def test_resolve_lakehouse_uses_the_identity_graph_and_trait_history(lh: Lakehouse) -> None:
    events = _events(
        _message("track", 1, anonymousId="dev-1"),
        _message("identify", 2, anonymousId="dev-1", userId="usr_m", traits={**_traits(MARC)}),
        _message("identify", 3, anonymousId="dev-2", userId="usr_m", traits={}),
        _message("identify", 4, anonymousId="tablet", userId="usr_m", traits={}),
        _message("identify", 5, anonymousId="tablet", userId="usr_a", traits={}),
    )
    lh.append("events", events)
    write_records(
        lh,
        frame(
            person("crm", "c-marc", **MARC, phone="+41417001122"),
            person("crm", "c-anna", **ANNA, phone="+41417001122"),
            _web("dev-1", user=None, anon="dev-1"),
            _web("usr_m", user="usr_m", anon="dev-2"),  # latest identify: no traits
            _web("usr_a", user="usr_a", anon="tablet"),
            _web("tablet", user=None, anon="tablet"),
        ),
    )
    assert alias_pairs(lh).rows() == [
        ("dev-1", "usr_m"),
        ("dev-2", "usr_m"),
        ("tablet", "usr_a"),
        ("tablet", "usr_m"),
    ]
    assert web_traits(lh).get_column("source_record_id").to_list() == ["usr_m"]
    resolve_lakehouse(lh, settings=NO_TRAINING, run_id="r1")
    ids = dict(
        lh.read("identity_map")
        .select(pl.concat_str("source", pl.lit(":"), "source_record_id"), "customer_id")
        .iter_rows()
    )
    assert ids["web:dev-1"] == ids["web:usr_m"] == ids["crm:c-marc"]
    assert ids["crm:c-anna"] != ids["crm:c-marc"]
    assert ids["web:usr_a"] != ids["web:usr_m"]
    assert ids["web:tablet"] not in (ids["web:usr_a"], ids["web:usr_m"])


def _traits(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "firstName": raw["first_name"],
        "lastName": raw["last_name"],
        "birthday": raw["birth_date"],
        "address": {"street": raw["street"], "postalCode": raw["postcode"], "city": raw["city"]},
    }

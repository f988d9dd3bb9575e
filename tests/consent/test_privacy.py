"""Erasure with proof and export, on real generated data ingested by the real flows."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from privacy_helpers import AT, World, build_world, files_holding, pick_person, values_of

from cdp.config import Settings
from cdp.ingest import ConsentRows
from cdp.models import ConsentStatement
from consent.privacy import (
    AmbiguousSubjectError,
    PrivacyError,
    SubjectNotFoundError,
    erase,
    export_subject,
)
from identity import resolve_lakehouse
from pipelines import run_ingest
from storage import TABLES, Lakehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sample_settings: Settings) -> World:
    return build_world(tmp_path_factory.mktemp("privacy-world"), sample_settings)


@pytest.fixture
def lake(world: World, tmp_path: Path) -> tuple[Settings, Lakehouse]:
    return world.copy(tmp_path)


def _add_downstream_rows(settings: Settings, lh: Lakehouse, person: dict[str, Any]) -> str:
    """Rows no ingest writes yet (activation decisions, profiles, segments, an API statement)
    for the person and for somebody else; returns the other customer id."""
    cid = person["customer_id"]
    other = (
        lh.read("identity_map")
        .filter(pl.col("customer_id") != cid)
        .sort("customer_id")
        .get_column("customer_id")[0]
    )
    email = sorted(person["emails"])[0]
    statement = ConsentStatement(
        subject=f"email:{email}",
        purpose="email_marketing",
        status="granted",
        captured_at=AT,
        source="preference_center",
        method="web_form",
        notice_version="newsletter-v3",
        evidence={"form": "newsletter", "email": email},
    )
    row = ConsentRows(settings).row_from_statement(statement, recorded_at=AT)
    lh.append("consent_ledger", [{**row, "customer_id": cid}])
    lh.append(
        "activation_log",
        [
            {
                "activation_id": f"act-{n}",
                "activation_type": "segment_sync",
                "customer_id": c,
                "subject": subject,
                "purpose": "email_marketing",
                "destination": "newsletter",
                "allowed": True,
                "reason": "CONSENT_GRANTED",
                "reason_codes": ["CONSENT_GRANTED"],
                "evidence_ids": [row["consent_id"]],
                "decided_at": AT,
            }
            for n, (c, subject) in enumerate(
                [(cid, f"email:{email}"), (other, f"customer_id:{other}")]
            )
        ],
    )
    lh.append(
        "profiles",
        [
            {"customer_id": c, "email": e, "identifiers": [f"customer_id:{c}"], "updated_at": AT}
            for c, e in ((cid, email), (other, "someone.else@example.org"))
        ],
    )
    lh.append(
        "segment_membership",
        [{"segment": "newsletter", "customer_id": c, "entered_at": AT} for c in (cid, other)],
    )
    return other


def _person_rows(lh: Lakehouse, person: dict[str, Any]) -> dict[str, int]:
    keys = person["records"].select("source", "source_record_id")
    users = list(person["users"])
    events = lh.read("events")
    mine = events.filter(pl.col("user_id").is_in(users)).get_column("anonymous_id").drop_nulls()
    anon = set(mine.to_list())
    return {
        "events": events.filter(
            pl.col("user_id").is_in(users)
            | pl.col("anonymous_id").is_in(list(anon))
            | pl.struct("source", "source_record_id").is_in(keys.to_struct().to_list())
        ).height,
        "identity_records": keys.height,
    }


def test_erase_removes_the_person_from_every_file_and_keeps_everyone_else(
    lake: tuple[Settings, Lakehouse],
) -> None:
    settings, lh = lake
    person = pick_person(lh)
    other = _add_downstream_rows(settings, lh, person)
    values = values_of(person, lh)
    root = Path(lh.root)
    assert files_holding(root, values), "the person's values must be there before"
    before = {n: lh.count(n) for n in TABLES}
    theirs = _person_rows(lh, person)
    other_map = lh.read("identity_map").filter(pl.col("customer_id") != person["customer_id"])
    old_files = {p for p in files_holding(root, values) if not p.startswith("_")}

    report = erase(
        lh, settings, f"email:{sorted(person['emails'])[0]}", requested_by="dpo@example.org"
    )

    assert report.status == "erased"
    assert report.verified is True and report.findings == ()
    assert files_holding(root, values) == {}, "a value of the erased person is still on disk"
    assert not any((root / p).exists() for p in old_files)
    assert report.customer_ids == (person["customer_id"],)
    assert report.rows_deleted["events"] == theirs["events"] > 0
    assert report.rows_deleted["identity_records"] == theirs["identity_records"] == 3
    assert report.rows_deleted["identity_map"] == 3
    assert report.rows_deleted["profiles"] == 1 and report.rows_deleted["segment_membership"] == 1
    assert report.rows_deleted["raw_events"] >= report.rows_deleted["events"] - 1
    assert report.files_vacuumed > 0 and "events" in report.history_truncated
    assert report.values_checked["email"] >= 1 and report.values_checked["name"] >= 1
    hashes = set(report.identifier_hashes)
    for ident in [f"email:{e}" for e in person["emails"]] + [
        f"customer_id:{person['customer_id']}",
        *(f"{s}:{r}" for s, r in person["records"].select("source", "source_record_id").rows()),
    ]:
        assert settings.privacy.hash_identifier(ident) in hashes, ident.partition(":")[0]
    # everybody else is intact, and the counts reconcile
    after = {n: lh.count(n) for n in TABLES}
    for name in ("events", "identity_records", "identity_map", "raw_events", "profiles"):
        assert after[name] == before[name] - report.rows_deleted[name], name
    assert after["consent_ledger"] == before["consent_ledger"]
    assert (
        lh.read("identity_map")
        .sort("source", "source_record_id")
        .equals(other_map.sort("source", "source_record_id"))
    )
    assert lh.read("profiles").get_column("customer_id").to_list() == [other]
    assert after["suppression"] == len(hashes)
    # the deletion report is durable and holds no personal data (it was scanned above too)
    stored = lh.read("erasure_requests").row(0, named=True)
    assert stored["request_id"] == report.request_id and stored["verified"] is True
    assert json.loads(stored["rows_deleted"]) == report.rows_deleted
    assert sorted(stored["customer_ids"]) == [person["customer_id"]]
    # identity resolution runs on: the person does not come back, the others keep their ids
    resolve_lakehouse(lh, run_id="after-erasure")
    assert (
        lh.read("identity_map")
        .sort("source", "source_record_id")
        .select("source", "source_record_id", "customer_id")
        .equals(
            other_map.sort("source", "source_record_id").select(
                "source", "source_record_id", "customer_id"
            )
        )
    )


def test_consent_and_decision_proof_stay_pseudonymous(lake: tuple[Settings, Lakehouse]) -> None:
    settings, lh = lake
    person = pick_person(lh)
    _add_downstream_rows(settings, lh, person)
    hashes = {
        settings.privacy.hash_identifier(f"{s}:{r}")
        for s, r in person["records"].select("source", "source_record_id").rows()
    } | {settings.privacy.hash_identifier(f"email:{e}") for e in person["emails"]}
    hashes |= {settings.privacy.hash_identifier(f"user_id:{u}") for u in person["users"]}
    seen = lh.read("events").filter(pl.col("user_id").is_in(list(person["users"])))
    anonymous = seen.get_column("anonymous_id").drop_nulls().unique().to_list()
    hashes |= {settings.privacy.hash_identifier(f"anonymous_id:{a}") for a in anonymous}
    ledger = lh.read("consent_ledger")
    mine = ledger.filter(pl.col("subject_hash").is_in(list(hashes)))
    assert mine.height >= 2 and mine.get_column("subject_value").null_count() == 0
    others = ledger.filter(~pl.col("subject_hash").is_in(list(hashes)))

    report = erase(
        lh, settings, f"customer_id:{person['customer_id']}", requested_by="dpo", settle_s=0
    )

    assert report.rows_redacted["consent_ledger"] == mine.height
    kept = lh.read("consent_ledger").filter(pl.col("subject_hash").is_in(list(hashes)))
    assert kept.height == mine.height  # proof of past consent kept ...
    assert kept.get_column("subject_value").null_count() == kept.height  # ... without values
    assert kept.get_column("evidence").null_count() == kept.height
    cols = ["consent_id", "purpose", "status", "captured_at", "recorded_at", "evidence_hash"]
    assert kept.select(cols).sort("consent_id").equals(mine.select(cols).sort("consent_id"))
    assert kept.get_column("evidence_hash").null_count() == 0
    untouched = lh.read("consent_ledger").filter(~pl.col("subject_hash").is_in(list(hashes)))
    assert untouched.sort("consent_id").equals(others.sort("consent_id"))
    log = lh.read("activation_log").sort("activation_id")
    assert log.get_column("subject").to_list()[0] is None  # the person's decision, pseudonymous
    assert log.get_column("customer_id").to_list()[0] == person["customer_id"]
    assert log.get_column("allowed").to_list() == [True, True]
    assert log.get_column("subject").to_list()[1] is not None  # somebody else's, untouched
    assert report.rows_redacted["activation_log"] == 1


def test_suppression_blocks_reingest_of_records_and_events(
    lake: tuple[Settings, Lakehouse], world: World, tmp_path: Path
) -> None:
    settings, lh = lake
    person = pick_person(lh)
    values = values_of(person, lh)
    users = list(person["users"])
    email = sorted(person["emails"])[0]
    report = erase(lh, settings, f"user_id:{users[0]}", requested_by="dpo", settle_s=0)
    assert report.verified is True
    events_before = lh.count("events")

    # the same files again, as a new flow (nothing is skipped as already committed)
    for source in ("crm", "erp", "web"):
        again = run_ingest(
            settings, source, world.files(source), flow_id=f"again-{source}", recovery=False
        )
        assert again.reconciled
        assert again.quarantined.get("suppressed", 0) >= 1, source
        assert again.events == 0  # everybody else's events are duplicates now
    # a new CRM record (another id) with the erased e-mail is held back too
    csv = tmp_path / "new.csv"
    header = (world.files("crm")[0]).read_text(encoding="utf-8").splitlines()[0]
    columns = header.split(",")
    row = {c: "" for c in columns}
    row.update({"Id": "0039NEWRECORD00001", "Email": email.upper(), "LastName": "Someone"})
    row.update({"IsDeleted": "false", "HasOptedOutOfEmail": "false"})
    csv.write_text(header + "\n" + ",".join(row[c] for c in columns) + "\n", encoding="utf-8")
    new = run_ingest(settings, "crm", [csv], flow_id="new-crm", recovery=False)
    assert new.reconciled and new.quarantined == {"suppressed": 1} and new.events == 0

    assert lh.count("events") == events_before
    held = lh.read("quarantine").filter(pl.col("error_type") == "suppressed")
    assert held.height >= 4 and held.get_column("payload").null_count() == held.height
    assert files_holding(Path(lh.root), values | {email}) == {}


def test_writer_without_privacy_settings_refuses_once_something_is_erased(
    lake: tuple[Settings, Lakehouse],
) -> None:
    from cdp.ingest import DeltaWriter, SuppressionUnavailableError, process_record

    settings, lh = lake
    record = {"Id": "0039WRITER0000001", "Email": "w@example.org", "LastName": "Writer"}
    outcome = process_record(settings, "crm", record)
    DeltaWriter(lh, flow_id="x").write([outcome])  # nothing erased yet: fine
    assert lh.read("events").filter(pl.col("source_record_id") == record["Id"]).height == 1
    outcome = process_record(settings, "crm", {**record, "Id": "0039WRITER0000002"})
    person = pick_person(lh)
    erase(lh, settings, f"customer_id:{person['customer_id']}", requested_by="dpo", settle_s=0)
    with pytest.raises(SuppressionUnavailableError):
        DeltaWriter(lh, flow_id="y").write([outcome])


def test_export_returns_all_of_the_person_and_nothing_of_anyone_else(
    lake: tuple[Settings, Lakehouse],
) -> None:
    settings, lh = lake
    person = pick_person(lh)
    _add_downstream_rows(settings, lh, person)
    theirs = _person_rows(lh, person)
    phone = sorted(person["phones"])[0]

    doc = export_subject(lh, settings, f"phone:{phone}")

    json.dumps(doc)  # JSON-serialisable as it is
    assert doc["customer_ids"] == [person["customer_id"]]
    assert sorted(doc["identity_records"]) == ["crm", "erp", "web"]
    got = {
        (r["source"], r["source_record_id"]) for rs in doc["identity_records"].values() for r in rs
    }
    assert got == set(person["records"].select("source", "source_record_id").rows())
    assert len(doc["events"]) == theirs["events"]
    keys = {f"{s}:{r}" for s, r in got}
    users = person["users"]
    anon = {e["anonymous_id"] for e in doc["events"] if e["user_id"] in users}
    for event in doc["events"]:
        assert (
            event["user_id"] in users
            or event["anonymous_id"] in anon
            or f"{event['source']}:{event['source_record_id']}" in keys
        )
    hashes = {settings.privacy.hash_identifier(i) for i in doc["identifiers"]}
    assert doc["consent_history"]
    assert all(
        c["subject_hash"] in hashes or c["customer_id"] == person["customer_id"]
        for c in doc["consent_history"]
    )
    assert any(c["method"] == "web_form" for c in doc["consent_history"])
    assert [a["activation_id"] for a in doc["activations"]] == ["act-0"]
    assert [p["customer_id"] for p in doc["profiles"]] == [person["customer_id"]]
    assert [s["customer_id"] for s in doc["segment_memberships"]] == [person["customer_id"]]
    assert all(m["customer_id"] == person["customer_id"] for m in doc["identity_map"])
    assert doc["raw_events"] and len(doc["raw_events"]) >= len(doc["events"]) - 1
    assert doc["suppressed"] is False
    assert set(doc["manifest"]["tables"]) >= {"events", "identity_records", "consent_ledger"}
    assert doc["manifest"]["tables"]["events"] == lh.version("events")
    # nothing of anyone else: other people's e-mails appear nowhere in the document
    others = (
        lh.read("identity_records")
        .join(lh.read("identity_map"), on=["source", "source_record_id"])
        .filter(pl.col("customer_id") != person["customer_id"])
        .get_column("email")
        .drop_nulls()
    )
    text = json.dumps(doc).lower()
    assert not [e for e in set(others.to_list()) - person["emails"] if e.lower() in text]


def test_repeated_unknown_deferred_and_bad_requests(lake: tuple[Settings, Lakehouse]) -> None:
    settings, lh = lake
    person = pick_person(lh)
    email = f"email:{sorted(person['emails'])[0]}"
    first = erase(lh, settings, email, settle_s=0, requested_by="dpo", request_id="ticket-1")
    assert first.request_id == "ticket-1" and first.status == "erased"
    again = erase(lh, settings, email, settle_s=0, requested_by="dpo", request_id="ticket-2")
    assert again.status == "already_erased" and again.verified is True
    assert sum(again.rows_deleted.values()) == 0
    with pytest.raises(SubjectNotFoundError):
        export_subject(lh, settings, email)
    unknown = erase(lh, settings, "email:nobody@nowhere.example", requested_by="dpo", settle_s=0)
    assert unknown.status == "not_found"
    no_customer = erase(lh, settings, "customer_id:cus_nobody", requested_by="dpo", settle_s=0)
    assert no_customer.status == "not_found" and no_customer.verified is True
    with pytest.raises(SubjectNotFoundError):
        export_subject(lh, settings, "customer_id:cus_nobody")
    nobody = settings.privacy.hash_identifier("email:nobody@nowhere.example")
    assert nobody in set(lh.read("suppression").get_column("identifier_hash").to_list())
    other = pick_person(lh)
    deferred = erase(
        lh,
        settings,
        f"customer_id:{other['customer_id']}",
        requested_by="dpo",
        settle_s=0,
        retention="deferred",
    )
    assert deferred.verified is None and deferred.files_vacuumed == 0
    assert deferred.rows_deleted["identity_records"] == 3
    stored = lh.read("erasure_requests").sort("started_at")
    assert stored.get_column("request_id").to_list()[:2] == ["ticket-1", "ticket-2"]
    assert stored.get_column("status").to_list() == [
        "erased",
        "already_erased",
        "not_found",
        "not_found",
        "erased",
    ]
    for bad in ("nonsense", "email:not-an-email", "phone:12"):
        with pytest.raises(PrivacyError):
            erase(lh, settings, bad, requested_by="dpo", settle_s=0)
    with pytest.raises(PrivacyError):
        erase(lh, settings, email, requested_by=" ")


def test_a_lakehouse_written_with_personal_statistics_is_cleaned_too(
    tmp_path: Path, sample_settings: Settings
) -> None:
    """Tables created before statistics were limited: the person's values sit in the min/max
    statistics of the log, also of a table whose current version no longer holds them."""
    import dataclasses

    old = {n: dataclasses.replace(s, personal=()) for n, s in TABLES.items()}
    lh = Lakehouse(tmp_path / "lh", tables=old)
    lh.init()
    settings = sample_settings.model_copy(update={"lakehouse": str(tmp_path / "lh")})
    mine = {"source": "crm", "source_record_id": "0039ERASEME000001", "deleted": False}
    theirs = {"source": "crm", "source_record_id": "0039KEEPME0000001", "deleted": False}
    lh.upsert(
        "identity_records",
        [
            {**mine, "email": "aaa.erase-me@example.org", "last_name": "Aaaerasable"},
            {**theirs, "email": "zzz.keep-me@example.org", "last_name": "Zzzkeepable"},
        ],
    )
    lh.append(
        "identity_map",
        [
            {"source": k["source"], "source_record_id": k["source_record_id"], "customer_id": c}
            for k, c in ((mine, "cus_me"), (theirs, "cus_them"))
        ],
    )
    link = {
        "left_source": "crm",
        "left_record_id": mine["source_record_id"],
        "right_source": "crm",
        "right_record_id": theirs["source_record_id"],
        "match_probability": 0.1,
    }
    lh.append("identity_links", [link])
    lh.overwrite("identity_links", [{**link, "left_record_id": "0039OTHER000000001"}])
    values = {"aaa.erase-me@example.org", "0039ERASEME000001", "Aaaerasable"}
    before = files_holding(Path(lh.root), values)
    assert any("_delta_log" in p for p in before)
    assert any(p.startswith("identity_links/_delta_log") for p in before)

    report = erase(lh, settings, "email:aaa.erase-me@example.org", requested_by="dpo", settle_s=0)

    assert report.verified is True, report.findings
    assert {"identity_records", "identity_links"} <= set(report.history_truncated)
    assert files_holding(Path(lh.root), values) == {}
    kept = lh.read("identity_records").get_column("email").to_list()
    assert kept == ["zzz.keep-me@example.org"]
    assert lh.read("identity_links").get_column("left_record_id").to_list() == [
        "0039OTHER000000001"
    ]


def test_old_customer_ids_follow_merges_and_split_ids_are_refused(
    lakehouse: Lakehouse, sample_settings: Settings
) -> None:
    lh = lakehouse
    lh.upsert(
        "identity_records",
        [
            {"source": "crm", "source_record_id": r, "deleted": False, "email": f"{r}@example.org"}
            for r in ("rec-a1", "rec-a2", "rec-b1")
        ],
    )
    lh.append(
        "identity_map",
        [
            {"source": "crm", "source_record_id": "rec-a1", "customer_id": "cus_a"},
            {"source": "crm", "source_record_id": "rec-a2", "customer_id": "cus_a"},
            {"source": "crm", "source_record_id": "rec-b1", "customer_id": "cus_b"},
        ],
    )
    lh.append(
        "identity_merges",
        [
            {"old_customer_id": "cus_old", "new_customer_id": "cus_a", "reason": "merge", "at": AT},
            {"old_customer_id": "cus_x", "new_customer_id": "cus_a", "reason": "split", "at": AT},
            {"old_customer_id": "cus_x", "new_customer_id": "cus_b", "reason": "split", "at": AT},
        ],
    )
    with pytest.raises(PrivacyError, match="split"):
        erase(lh, sample_settings, "customer_id:cus_x", requested_by="dpo", settle_s=0)
    doc = export_subject(lh, sample_settings, "customer_id:cus_old")
    assert doc["customer_ids"] == ["cus_a", "cus_old"]  # not cus_x: it was cus_b's too
    report = erase(lh, sample_settings, "customer_id:cus_old", requested_by="dpo", settle_s=0)
    assert report.rows_deleted["identity_records"] == 2 and report.verified is True
    assert lh.read("identity_map").get_column("customer_id").to_list() == ["cus_b"]


def test_an_identifier_of_several_customers_is_refused(
    lakehouse: Lakehouse, sample_settings: Settings
) -> None:
    lh = lakehouse
    shared = "family@example.org"
    lh.upsert(
        "identity_records",
        [
            {"source": "crm", "source_record_id": r, "deleted": False, "email": shared}
            for r in ("rec-mum", "rec-son")
        ],
    )
    lh.append(
        "identity_map",
        [
            {"source": "crm", "source_record_id": "rec-mum", "customer_id": "cus_mum"},
            {"source": "crm", "source_record_id": "rec-son", "customer_id": "cus_son"},
        ],
    )
    with pytest.raises(AmbiguousSubjectError):
        erase(lh, sample_settings, f"email:{shared}", requested_by="dpo", settle_s=0)
    with pytest.raises(AmbiguousSubjectError):
        export_subject(lh, sample_settings, f"email:{shared}")
    assert lh.count("identity_records") == 2 and lh.count("suppression") == 0
    report = erase(lh, sample_settings, "crm:rec-son", requested_by="dpo", settle_s=0)
    assert report.customer_ids == ("cus_son",) and report.verified is True
    # the shared e-mail is the mother's too: neither suppressed (her records would be held
    # back) nor searched for (her record still holds it)
    assert report.shared_values == {"email": 1}
    family = sample_settings.privacy.hash_identifier(f"email:{shared}")
    assert family not in report.identifier_hashes
    assert sample_settings.privacy.hash_identifier("crm:rec-son") in report.identifier_hashes
    assert lh.read("identity_records").get_column("source_record_id").to_list() == ["rec-mum"]


def test_a_consent_store_running_through_an_erasure_denies_the_person_and_serves_others(
    lake: tuple[Settings, Lakehouse],
) -> None:
    from consent import ConsentStore

    settings, lh = lake
    person = pick_person(lh)
    other = _add_downstream_rows(settings, lh, person)
    store = ConsentStore(lh, settings, check_interval=timedelta(0))
    email = f"email:{sorted(person['emails'])[0]}"
    before = store.decide(email, "email_marketing")
    assert "ERASED" not in before.reason_codes

    erase(lh, settings, email, requested_by="dpo", settle_s=0)

    after = store.decide(f"customer_id:{person['customer_id']}", "email_marketing")
    assert not after.allowed and "ERASED" in after.reason_codes
    assert "ERASED" in store.decide(email, "email_marketing").reason_codes
    theirs = store.decide(f"customer_id:{other}", "email_marketing")
    assert "ERASED" not in theirs.reason_codes
    assert "STATE_UNAVAILABLE" not in theirs.reason_codes

"""The output contract: columns, ids, dates, valid phones, Segment spec, consent statements."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import datetime

import phonenumbers
import pytest
from synth_helpers import Dataset

from cdp.synth import CRM_COLUMNS, ERP_COLUMNS, GROUND_TRUTH_COLUMNS, GenerateOptions
from cdp.synth._addresses import PLACES_BY_COUNTRY
from cdp.synth._consent import Consent
from cdp.synth._emails import Mailboxes
from cdp.synth._ids import salesforce_suffix
from cdp.synth._people import Population
from cdp.synth._phones import fmt_international, fmt_national, landline, mobile
from cdp.synth._random import stream
from cdp.synth._timeline import Timeline

COUNTRY_NAMES = {
    "Switzerland": "CH",
    "Germany": "DE",
    "Austria": "AT",
    "France": "FR",
    "Italy": "IT",
    "United Kingdom": "GB",
    "United States": "US",
}
SF_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$")
ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ISO_S_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z.]+$")


def _valid(number: str, region: str | None) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, region))
    except phonenumbers.NumberParseException:
        return False


# -- CRM ----------------------------------------------------------------------------------------


def test_crm_contract(dataset: Dataset) -> None:
    first = (dataset.root / "crm" / "contacts-00000.csv").read_bytes()
    assert first.startswith(",".join(CRM_COLUMNS).encode() + b"\r\n")  # RFC 4180: CRLF
    assert b"\n" not in first.replace(b"\r\n", b"")
    ids = [r["Id"] for r in dataset.crm]
    assert len(ids) == len(set(ids))
    for r in dataset.crm:
        assert list(r) == list(CRM_COLUMNS)
        assert re.fullmatch(r"003[0-9A-Za-z]{15}", r["Id"])
        assert salesforce_suffix(r["Id"][:15]) == r["Id"][15:]
        assert r["LastName"]
        assert SF_TIME.match(r["CreatedDate"]) and SF_TIME.match(r["LastModifiedDate"])
        assert r["CreatedDate"] <= r["LastModifiedDate"]
        assert r["Birthdate"] == "" or datetime.strptime(r["Birthdate"], "%Y-%m-%d")
        assert r["MailingCountry"] in ("", *COUNTRY_NAMES)
        assert r["HasOptedOutOfEmail"] in ("true", "false")
        assert r["IsDeleted"] in ("true", "false")
        assert r["Email"] == "" or EMAIL.match(r["Email"]), r["Email"]
    deleted = sum(r["IsDeleted"] == "true" for r in dataset.crm)
    assert 0 < deleted < 0.05 * len(dataset.crm)
    assert 0.2 < sum(r["Birthdate"] != "" for r in dataset.crm) / len(dataset.crm) < 0.5
    assert any(r["AccountName"] for r in dataset.crm)
    assert len({r["MailingCountry"] for r in dataset.crm}) == 8  # seven countries and missing


def test_salesforce_checksum_matches_a_known_id() -> None:
    assert salesforce_suffix("001A0000006Vm9r") == "IAC"


def test_crm_phones_are_valid(dataset: Dataset) -> None:
    national = 0
    for r in dataset.crm:
        region = COUNTRY_NAMES.get(r["MailingCountry"])
        for col in ("Phone", "MobilePhone"):
            if r[col]:
                assert _valid(r[col], region), (r[col], r["MailingCountry"])
                national += not r[col].startswith(("+", "00"))
    assert national > 100  # national forms only where the country says how to read them


# -- ERP ----------------------------------------------------------------------------------------


def test_erp_contract(dataset: Dataset) -> None:
    first = (dataset.root / "erp" / "customers-00000.csv").read_bytes()
    assert first.startswith(",".join(ERP_COLUMNS).encode() + b"\r\n")
    kunnr = [r["KUNNR"] for r in dataset.erp]
    assert len(kunnr) == len(set(kunnr))
    for r in dataset.erp:
        assert list(r) == list(ERP_COLUMNS)
        assert re.fullmatch(r"\d{10}", r["KUNNR"])
        assert 0 < len(r["NAME1"]) <= 35
        assert r["LAND1"] in COUNTRY_NAMES.values()
        assert r["GBDAT"] == "" or datetime.strptime(r["GBDAT"], "%Y%m%d")
        assert datetime.strptime(r["ERDAT"], "%Y%m%d") <= datetime.strptime(r["AEDAT"], "%Y%m%d")
        assert r["SMTP_ADDR"] == "" or EMAIL.match(r["SMTP_ADDR"])
        if r["TELF1"]:
            assert not r["TELF1"].startswith("+")
            assert _valid(r["TELF1"], r["LAND1"]), (r["TELF1"], r["LAND1"])
    assert 0.4 < sum(r["SMTP_ADDR"] == "" for r in dataset.erp) / len(dataset.erp) < 0.8


def test_name1_comes_in_the_usual_variants(dataset: Dataset) -> None:
    names = [r["NAME1"] for r in dataset.erp]
    kinds: Counter[str] = Counter()
    for n in names:
        words = n.replace(",", "").split()
        if "," in n:
            kinds["last, first"] += 1
        elif n.isupper():
            kinds["FIRST LAST"] += 1
        elif words[0].isupper() and len(words[0]) > 2 and not words[-1].isupper():
            kinds["LAST First"] += 1
        elif n.startswith(("Dr", "Prof", "Dott", "Mag", "Ing", "Mr", "Mrs", "Ms", "Me ", "Pr")):
            kinds["title"] += 1
        else:
            kinds["First Last"] += 1
    assert set(kinds) == {"last, first", "FIRST LAST", "LAST First", "title", "First Last"}
    assert kinds["First Last"] > kinds["last, first"] > kinds["title"]


def test_erp_streets_are_written_german_style(dataset: Dataset) -> None:
    streets = [r["STRAS"] for r in dataset.erp if r["LAND1"] in ("CH", "DE", "AT")]
    assert any(re.fullmatch(r"\S+strasse \d+[a-c]?", s) for s in streets)
    assert any(re.fullmatch(r"\S+str\. \d+[a-c]?", s) for s in streets)


# -- phones, exhaustively over the numbering plans ---------------------------------------------


@pytest.mark.parametrize("country", sorted(PLACES_BY_COUNTRY))
def test_every_area_and_format_gives_valid_numbers(country: str) -> None:
    rng = stream(0, f"phones-{country}")
    for place in PLACES_BY_COUNTRY[country].items:
        for _ in range(4):
            for phone in (landline(rng, country, place.area), mobile(rng, country, place.area)):
                for text in (
                    fmt_national(phone, rng),
                    fmt_international(phone, rng, allow_idd=True),
                    phone.e164,
                ):
                    parsed = phonenumbers.parse(text, country)
                    assert phonenumbers.is_valid_number(parsed), (text, place.name)
                    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                    assert e164 == phone.e164


# -- web ----------------------------------------------------------------------------------------


def test_web_messages_follow_the_segment_spec(dataset: Dataset) -> None:
    types: Counter[str] = Counter()
    events: Counter[str] = Counter()
    ids = set()
    for m in dataset.web_messages():
        types[m["type"]] += 1
        assert m["messageId"] not in ids
        ids.add(m["messageId"])
        for key in ("timestamp", "sentAt", "receivedAt"):
            assert ISO_MS_Z.match(m[key]), m[key]
        assert "library" in m["context"]
        if m["context"]["library"]["name"] != "analytics-python":
            assert {"ip", "userAgent", "page", "locale"} <= set(m["context"])
            assert m["anonymousId"]
        if m["type"] == "identify":
            assert set(m["traits"]) <= {
                "email",
                "firstName",
                "lastName",
                "phone",
                "address",
                "birthday",
            }
            if "phone" in m["traits"]:
                assert m["traits"]["phone"].startswith("+")
                assert _valid(m["traits"]["phone"], None)
            if "address" in m["traits"]:
                assert {"street", "postalCode", "city", "country"} <= set(m["traits"]["address"])
        elif m["type"] == "track":
            events[m["event"]] += 1
            assert isinstance(m["properties"], dict)
            if m["event"] == "Order Completed":
                props = m["properties"]
                assert props["order_id"] and props["currency"] in ("CHF", "EUR", "GBP", "USD")
                assert props["revenue"] > 0 and props["products"]
        elif m["type"] == "page":
            assert m["name"] and {"path", "url", "title"} <= set(m["properties"])
        elif m["type"] == "alias":
            assert m["previousId"] and m["userId"]
    assert set(types) == {"identify", "track", "page", "alias"}
    assert set(events) == {"Product Viewed", "Product Added", "Order Completed"}


def test_web_sessions_are_realistic(dataset: Dataset) -> None:
    truth = dataset.truth_by_key
    anon_before_login = 0
    seen_anon: set[str] = set()
    people_anon_ids: dict[str, set[str]] = defaultdict(set)
    consent_kinds: Counter[str] = Counter()
    skewed = server = 0
    for m in dataset.web_messages():
        anon, user = m.get("anonymousId"), m.get("userId")
        if anon and not user:
            seen_anon.add(anon)
        if anon and user and anon in seen_anon:
            anon_before_login += 1
        if anon:
            key = user or anon
            people_anon_ids[truth["web", key]["person_id"]].add(anon)
        ctx = m["context"]
        consent_kinds.update(k for k in ("consent", "consentManagement") if k in ctx)
        if "consent" in ctx:
            assert set(ctx["consent"]["categoryPreferences"]) >= {"Advertising", "Analytics"}
        if "consentManagement" in ctx:
            assert ctx["consentManagement"]["provider"] == "oneTrust"
            assert "C0001" in ctx["consentManagement"]["allowedConsentIds"]
        sent = datetime.fromisoformat(m["sentAt"].replace("Z", "+00:00"))
        received = datetime.fromisoformat(m["receivedAt"].replace("Z", "+00:00"))
        skewed += abs((received - sent).total_seconds()) > 60
        server += ctx["library"]["name"] == "analytics-python"
    assert anon_before_login > 50
    assert sum(len(a) > 1 for a in people_anon_ids.values()) > 50  # several devices
    assert consent_kinds["consent"] > 100 and consent_kinds["consentManagement"] > 50
    assert skewed > 50 and server > 5


# -- consent ------------------------------------------------------------------------------------


def test_consent_statements_contract(dataset: Dataset) -> None:
    purposes = {
        "email_marketing",
        "sms_marketing",
        "advertising",
        "personalization",
        "analytics",
        "ai_profiling",
    }
    subjects: Counter[str] = Counter()
    for s in dataset.consent:
        assert list(s) == [
            "subject",
            "purpose",
            "status",
            "captured_at",
            "source",
            "method",
            "notice_version",
            "jurisdiction",
        ]
        assert s["purpose"] in purposes
        assert s["status"] in ("granted", "withdrawn", "denied", "objected")
        assert ISO_S_Z.match(s["captured_at"])
        assert s["jurisdiction"] in ("CH", "EU", "US")
        kind, _, value = s["subject"].partition(":")
        subjects[kind] += 1
        if kind == "phone":
            assert _valid(value, None) and value.startswith("+")
        else:
            assert kind in ("email", "user_id") and value
    assert subjects["email"] > subjects["phone"] > 0 and subjects["user_id"] > 0
    assert {s["purpose"] for s in dataset.consent} == purposes
    assert {s["status"] for s in dataset.consent} == {"granted", "withdrawn", "denied", "objected"}


def test_consent_timelines_are_chronological_per_subject(dataset: Dataset) -> None:
    by_subject: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for s in dataset.consent:
        by_subject[s["subject"], s["purpose"]].append(s)
    regrants = 0
    for timeline in by_subject.values():
        times = [s["captured_at"] for s in timeline]
        assert times == sorted(times)
        regrants += [s["status"] for s in timeline][:3] == ["granted", "withdrawn", "granted"]
    assert regrants > 0


def test_consent_plans_alternate() -> None:
    """Per person and purpose: grant, withdraw, grant again... never the same status twice."""
    options = GenerateOptions(people=2_000, seed=4, consent_coverage=1.0)
    consent = Consent(options, Timeline(options))
    objections = 0
    for person in Population(options, Mailboxes(options.people * 3)):
        plan = consent.plan(person)
        by_purpose: dict[str, list[str]] = defaultdict(list)
        for s in plan.statements:
            by_purpose[s.purpose].append(s.status)
        for statuses in by_purpose.values():
            assert all(a != b for a, b in itertools.pairwise(statuses))
            assert "denied" not in statuses[1:]  # a denial is only ever the first answer
            objections += "objected" in statuses
        emails = by_purpose.get("email_marketing")
        if emails:
            assert plan.opted_out_of_email == (emails[-1] != "granted")
    assert objections > 0


def test_crm_opt_out_reflects_consent(dataset: Dataset) -> None:
    assert sum(r["HasOptedOutOfEmail"] == "true" for r in dataset.crm) / len(dataset.crm) > 0.05


def test_ground_truth_header(dataset: Dataset) -> None:
    text = (dataset.root / "ground_truth.csv").read_bytes()
    assert text.startswith(",".join(GROUND_TRUTH_COLUMNS).encode() + b"\r\n")

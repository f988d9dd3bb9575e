from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from cdp.config import SourceConfig
from cdp.models.errors import InvalidInputError
from cdp.models.records import (
    IDENTITY_RECORD_COLUMNS,
    SourceRecord,
    consent_status_from_flag,
    map_record,
    parse_flag,
)


def _crm(**overrides: Any) -> SourceConfig:
    config: dict[str, Any] = {
        "name": "crm",
        "kind": "crm",
        "format": "csv",
        "record_id": "Id",
        "updated_at": "LastModifiedDate",
        "deleted": "IsDeleted",
        "fields": {
            "first_name": "FirstName",
            "last_name": "LastName",
            "email": "Email",
            "phone": "Phone",
            "country": "MailingCountry",
            "birth_date": {"column": "Birthdate", "format": "dd.mm.yyyy"},
        },
        "default_region": "DE",
        "consent": {
            "email_marketing": {"column": "HasOptedOutOfEmail", "true_means": "denied"},
            "sms_marketing": {"column": "SmsOptIn", "true_means": "granted"},
        },
    }
    config.update(overrides)
    return SourceConfig.model_validate(config)


def _row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "Id": "0031x00000AbCdE",
        "LastModifiedDate": "2026-10-01T12:34:56.000+0000",
        "IsDeleted": "false",
        "FirstName": "hans",
        "LastName": "MÜLLER",
        "Email": "Hans.Mueller@Example.de",
        "Phone": "(030) 1234567",
        "MailingCountry": "",
        "Birthdate": "21.05.1984",
        "HasOptedOutOfEmail": "1",
        "SmsOptIn": "",
        "LeadSource": "Web",
        "AnnualRevenue": 125000.5,
    }
    row.update(overrides)
    return row


def test_map_record() -> None:
    rec = map_record(_row(), _crm())
    assert isinstance(rec, SourceRecord)
    assert rec.source == "crm"
    assert rec.source_record_id == "0031x00000AbCdE"
    assert rec.updated_at == datetime(2026, 10, 1, 12, 34, 56, tzinfo=UTC)
    assert rec.deleted is False
    assert rec.identity.first_name == "Hans"
    assert rec.identity.last_name == "Müller"
    assert rec.identity.email == "hans.mueller@example.de"
    assert rec.identity.phone == "+49301234567"  # default_region DE
    assert rec.identity.birth_date == date(1984, 5, 21)
    assert rec.issues == []


def test_unmapped_columns_are_kept_as_attributes() -> None:
    rec = map_record(_row(), _crm())
    assert rec.attributes == {"LeadSource": "Web", "AnnualRevenue": 125000.5}


def test_consent_flags_are_parsed_as_given() -> None:
    rec = map_record(_row(), _crm())
    assert rec.consent == {"email_marketing": True, "sms_marketing": None}
    rec = map_record(_row(HasOptedOutOfEmail="false", SmsOptIn="Y"), _crm())
    assert rec.consent == {"email_marketing": False, "sms_marketing": True}
    assert consent_status_from_flag(True, true_means="denied") == "denied"
    assert consent_status_from_flag(False, true_means="denied") is None
    assert consent_status_from_flag(None, true_means="granted") is None


def test_unparseable_consent_flag_is_an_issue() -> None:
    rec = map_record(_row(HasOptedOutOfEmail="maybe"), _crm())
    assert rec.consent["email_marketing"] is None
    assert [i.field for i in rec.issues] == ["consent.email_marketing"]
    with pytest.raises(InvalidInputError) as info:
        map_record(_row(HasOptedOutOfEmail="maybe"), _crm(), strict=True)
    assert info.value.field == "consent.email_marketing"


@pytest.mark.parametrize("record_id", [None, "", "   ", float("nan")])
def test_missing_record_id(record_id: object) -> None:
    with pytest.raises(InvalidInputError) as info:
        map_record(_row(Id=record_id), _crm())
    assert info.value.error_type == "missing_field"
    assert info.value.field == "Id"


def test_numeric_record_id_is_text() -> None:
    config = _crm(record_id="KUNNR")
    row = _row(KUNNR=1234.0)
    del row["Id"]
    assert map_record(row, config).source_record_id == "1234"
    assert "Id" not in map_record(row, config).attributes


def test_missing_identity() -> None:
    row = _row(Email="", Phone=None, FirstName="", Birthdate="")
    with pytest.raises(InvalidInputError) as info:
        map_record(row, _crm())
    assert info.value.error_type == "missing_identity"
    assert "MÜLLER" not in str(info.value) and "Müller" not in str(info.value)


def test_invalid_fields_can_leave_no_identity() -> None:
    row = _row(Email="broken@", Phone="12", FirstName="", Birthdate="")
    with pytest.raises(InvalidInputError) as info:
        map_record(row, _crm())
    assert info.value.error_type == "missing_identity"


def test_a_delete_needs_only_its_id() -> None:
    row = {"Id": "0031x00000AbCdE", "IsDeleted": "TRUE", "LastModifiedDate": "20261002"}
    rec = map_record(row, _crm())
    assert rec.deleted is True
    assert rec.identity.has_identity is False
    assert rec.updated_at == datetime(2026, 10, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("Y", True),
        ("x", True),
        ("X", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("n", False),
        ("", None),
        (" ", None),
        (None, None),
        (True, True),
        (0, False),
        (1.0, True),
    ],
)
def test_parse_flag(raw: object, expected: bool | None) -> None:
    assert parse_flag(raw) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", 2, "wahr?"])
def test_parse_flag_rejects(raw: object) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_flag(raw, field="IsDeleted")
    assert info.value.field == "IsDeleted"
    assert info.value.error_type == "bad_format"


def test_bad_delete_flag_is_an_issue_and_not_a_delete() -> None:
    rec = map_record(_row(IsDeleted="perhaps"), _crm())
    assert rec.deleted is False
    assert [i.field for i in rec.issues] == ["deleted"]


def test_bad_updated_at_is_an_issue_or_raises_when_strict() -> None:
    rec = map_record(_row(LastModifiedDate="yesterday"), _crm())
    assert rec.updated_at is None
    assert [i.field for i in rec.issues] == ["updated_at"]
    with pytest.raises(InvalidInputError) as info:
        map_record(_row(LastModifiedDate="yesterday"), _crm(), strict=True)
    assert info.value.field == "updated_at"


def test_updated_at_format_from_config() -> None:
    config = _crm(updated_at={"column": "AEDAT", "format": "yyyymmddhhmmss"})
    rec = map_record(_row(AEDAT="20261001123456"), config)
    assert rec.updated_at == datetime(2026, 10, 1, 12, 34, 56, tzinfo=UTC)
    assert "AEDAT" not in rec.attributes


def test_field_issues_do_not_reject_the_record() -> None:
    rec = map_record(_row(Birthdate="31.02.1984", Phone="12"), _crm())
    assert {i.field for i in rec.issues} == {"birth_date", "phone"}
    assert rec.identity.email == "hans.mueller@example.de"
    with pytest.raises(InvalidInputError):
        map_record(_row(Birthdate="31.02.1984"), _crm(), strict=True)


def test_country_column_sets_the_phone_region() -> None:
    rec = map_record(_row(MailingCountry="Schweiz", Phone="044 668 18 00"), _crm())
    assert rec.identity.country == "CH"
    assert rec.identity.phone == "+41446681800"


def test_to_identity_row() -> None:
    rec = map_record(_row(), _crm())
    row = rec.to_identity_row()
    assert tuple(row) == IDENTITY_RECORD_COLUMNS
    assert row["source"] == "crm"
    assert row["source_record_id"] == "0031x00000AbCdE"
    assert row["user_id"] is None and row["anonymous_id"] is None
    assert row["email_key"] == "hans.mueller@example.de"
    assert row["last_name_key"] == "mueller"
    assert row["attributes"] == '{"AnnualRevenue":125000.5,"LeadSource":"Web"}'
    assert orjson.loads(row["attributes"]) == rec.attributes


def test_attributes_json_handles_dates_and_odd_values() -> None:
    rec = map_record(_row(Extra={"b": 1, "a": date(2026, 1, 2)}, Blob=b"\x00", Many={1, 2}), _crm())
    attrs = orjson.loads(rec.to_identity_row()["attributes"])
    assert attrs["Extra"] == {"a": "2026-01-02", "b": 1}
    assert isinstance(attrs["Blob"], str)


def test_erp_source_with_full_name_and_no_record_id_config() -> None:
    erp = SourceConfig.model_validate(
        {
            "name": "erp",
            "kind": "erp",
            "format": "csv",
            "record_id": "KUNNR",
            "fields": {
                "full_name": "NAME1",
                "street": "STRAS",
                "postcode": "PSTLZ",
                "city": "ORT01",
                "country": "LAND1",
                "phone": "TELF1",
            },
        }
    )
    rec = map_record(
        {
            "KUNNR": "0000104711",
            "NAME1": "MÜLLER Hans",
            "STRAS": "Bahnhofstr.12",
            "PSTLZ": "8001",
            "ORT01": "ZÜRICH",
            "LAND1": "CH",
            "TELF1": "044 668 18 00",
        },
        erp,
    )
    assert rec.source_record_id == "0000104711"
    assert (rec.identity.first_name, rec.identity.last_name) == ("Hans", "Müller")
    assert rec.identity.street_key == "bahnhofstrasse 12"
    assert rec.identity.phone == "+41446681800"
    assert rec.attributes == {}
    web = SourceConfig.model_validate({"name": "web", "kind": "web", "format": "segment"})
    with pytest.raises(InvalidInputError) as info:
        map_record({"x": 1}, web)
    assert info.value.error_type == "schema"

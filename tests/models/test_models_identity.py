from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import phonenumbers
import pytest
from pydantic import ValidationError

from cdp.models.errors import FieldIssue, InvalidInputError
from cdp.models.fields import CANONICAL_FIELDS
from cdp.models.identity import IDENTITY_COLUMNS, IdentityFields, clear_caches


def test_from_raw_normalizes_every_field() -> None:
    ident, issues = IdentityFields.from_raw(
        {
            "first_name": "HANS",
            "last_name": "MÜLLER",
            "email": " Hans.Mueller@Example.CH ",
            "phone": "044 668 18 00",
            "birth_date": "21.05.1984",
            "street": " Bahnhofstr.  12 ",
            "postcode": "CH-8001",
            "city": "Zürich",
            "country": "Schweiz",
            "company": "  ACME   AG ",
        }
    )
    assert issues == []
    assert ident.to_row() == {
        "first_name": "Hans",
        "last_name": "Müller",
        "full_name": None,
        "email": "hans.mueller@example.ch",
        "phone": "+41446681800",
        "birth_date": date(1984, 5, 21),
        "street": "Bahnhofstr. 12",
        "postcode": "8001",
        "city": "Zürich",
        "country": "CH",
        "company": "ACME AG",
        "first_name_key": "hans",
        "last_name_key": "mueller",
        "email_key": "hans.mueller@example.ch",
        "street_key": "bahnhofstrasse 12",
        "postcode_key": "8001",
        "city_key": "zuerich",
    }
    assert tuple(ident.to_row()) == IDENTITY_COLUMNS


def test_every_canonical_field_is_accepted() -> None:
    ident, _ = IdentityFields.from_raw(dict.fromkeys(CANONICAL_FIELDS))
    assert all(v is None for v in ident.to_row().values())


def test_unknown_field_is_a_schema_error() -> None:
    with pytest.raises(InvalidInputError) as info:
        IdentityFields.from_raw({"frist_name": "Hans"})
    assert info.value.error_type == "schema"
    assert info.value.field == "frist_name"


def test_unknown_format_is_a_schema_error() -> None:
    with pytest.raises(InvalidInputError) as info:
        IdentityFields.from_raw({"birth_date": "1984-05-21"}, formats={"birth_date": "yy"})
    assert info.value.error_type == "schema"
    assert info.value.field == "birth_date"


def test_failing_fields_become_issues() -> None:
    ident, issues = IdentityFields.from_raw(
        {
            "email": "not-an-email",
            "phone": "12",
            "country": "CH",
            "birth_date": "05/06/1984",
            "last_name": "Meier",
            "first_name": "Anna",
        }
    )
    assert ident.email is None and ident.email_key is None
    assert ident.phone is None
    assert ident.birth_date is None
    assert ident.last_name == "Meier"
    assert {i.field for i in issues} == {"email", "phone", "birth_date"}
    assert all(isinstance(i, FieldIssue) for i in issues)
    assert FieldIssue("birth_date", "ambiguous date, set format") in issues
    assert ident.has_identity  # first + last name


def test_strict_raises_the_first_failure() -> None:
    with pytest.raises(InvalidInputError) as info:
        IdentityFields.from_raw({"email": "nope", "last_name": "Meier"}, strict=True)
    assert info.value.field == "email"
    assert info.value.error_type == "bad_format"


def test_issues_do_not_contain_values() -> None:
    _, issues = IdentityFields.from_raw(
        {"email": "secret.person@", "phone": "+41 99 999", "birth_date": "31.02.1984"}
    )
    text = " ".join(str(i) for i in issues)
    assert len(issues) == 3
    assert "secret" not in text and "999" not in text and "1984" not in text


def test_formats_are_applied() -> None:
    ident, issues = IdentityFields.from_raw(
        {"birth_date": "05/06/1984", "last_name": "x"}, formats={"birth_date": "mm/dd/yyyy"}
    )
    assert issues == []
    assert ident.birth_date == date(1984, 5, 6)


def test_country_is_the_phone_region() -> None:
    ident, issues = IdentityFields.from_raw({"phone": "044 668 18 00", "country": "CH"})
    assert ident.phone == "+41446681800"
    # the record's country wins over the source's default region
    ident, _ = IdentityFields.from_raw(
        {"phone": "030 1234567", "country": "Deutschland"}, default_region="CH"
    )
    assert ident.phone == "+49301234567"
    # without a country the default region is used
    ident, _ = IdentityFields.from_raw({"phone": "030 1234567"}, default_region="DE")
    assert ident.phone == "+49301234567"
    # without either a national number is an issue
    ident, issues = IdentityFields.from_raw({"phone": "030 1234567"})
    assert ident.phone is None
    assert [i.field for i in issues] == ["phone"]


def test_memoized_values_keep_their_options_and_their_issues() -> None:
    # the same raw values again and again, with other options in between: every call gives
    # what a first call gives (results are memoized per value *and* options; failures are not)
    for _ in range(3):
        for region, expected in (("CH", "+41446681800"), ("DE", "+49446681800"), (None, None)):
            ident, issues = IdentityFields.from_raw(
                {"phone": "044 668 18 00"}, default_region=region
            )
            assert ident.phone == expected
            assert [i.field for i in issues] == ([] if expected else ["phone"])
        ident, issues = IdentityFields.from_raw(
            {"birth_date": "05/06/1984", "last_name": "x"}, formats={"birth_date": "mm/dd/yyyy"}
        )
        assert (ident.birth_date, issues) == (date(1984, 5, 6), [])
        # without the format the date is ambiguous: an issue, every time
        ident, issues = IdentityFields.from_raw({"birth_date": "05/06/1984", "last_name": "x"})
        assert ident.birth_date is None
        assert [i.field for i in issues] == ["birth_date"]
        # one raw value in two fields: each field's own rule and issue
        ident, issues = IdentityFields.from_raw({"first_name": "!!", "street": "!!"})
        assert (ident.first_name, ident.street) == (None, None)
        assert sorted(i.field for i in issues) == ["first_name", "street"]


def test_clear_caches_forgets_memoized_values_not_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str] = []
    parse = phonenumbers.parse

    def counting_parse(text: str, region: str | None) -> phonenumbers.PhoneNumber:
        parsed.append(text)
        return parse(text, region)

    monkeypatch.setattr(phonenumbers, "parse", counting_parse)
    raw = {"phone": "044 668 18 07", "city": "Zürich 1", "first_name": "JOSÉ"}
    clear_caches()
    first, _ = IdentityFields.from_raw(raw, default_region="CH")
    again, _ = IdentityFields.from_raw(raw, default_region="CH")
    assert len(parsed) == 1  # the second time from the memo
    clear_caches()
    cold, _ = IdentityFields.from_raw(raw, default_region="CH")
    assert len(parsed) == 2  # forgotten: parsed again
    assert first == again == cold
    assert (cold.phone, cold.city_key, cold.first_name_key) == ("+41446681807", "zuerich", "jose")


def test_an_invalid_country_falls_back_to_the_default_region() -> None:
    ident, issues = IdentityFields.from_raw(
        {"phone": "030 1234567", "country": "Narnia"}, default_region="DE"
    )
    assert ident.phone == "+49301234567"
    assert ident.country is None
    assert [i.field for i in issues] == ["country"]


def test_full_name_is_split_when_first_and_last_are_absent() -> None:
    ident, _ = IdentityFields.from_raw({"full_name": "MÜLLER, HANS"})
    assert (ident.first_name, ident.last_name, ident.full_name) == (
        "Hans",
        "Müller",
        "Müller, Hans",
    )
    assert ident.first_name_key == "hans"
    assert ident.last_name_key == "mueller"


def test_full_name_format_is_applied() -> None:
    ident, _ = IdentityFields.from_raw(
        {"full_name": "Müller Hans"}, formats={"full_name": "last_first"}
    )
    assert (ident.first_name, ident.last_name) == ("Hans", "Müller")


def test_full_name_does_not_override_given_names() -> None:
    ident, _ = IdentityFields.from_raw(
        {"first_name": "Anna", "last_name": "Meier", "full_name": "Hans Müller"}
    )
    assert (ident.first_name, ident.last_name, ident.full_name) == ("Anna", "Meier", "Hans Müller")


def test_full_name_fills_a_missing_part_only_when_the_other_agrees() -> None:
    ident, _ = IdentityFields.from_raw({"last_name": "Mueller", "full_name": "Hans Müller"})
    assert (ident.first_name, ident.last_name) == ("Hans", "Mueller")
    ident, _ = IdentityFields.from_raw({"last_name": "Meier", "full_name": "Hans Müller"})
    assert (ident.first_name, ident.last_name) == (None, "Meier")
    ident, _ = IdentityFields.from_raw({"first_name": "Hans", "full_name": "Hans Müller"})
    assert (ident.first_name, ident.last_name) == ("Hans", "Müller")


def test_future_birth_date_is_an_issue() -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date()
    ident, issues = IdentityFields.from_raw({"birth_date": tomorrow.isoformat()})
    assert ident.birth_date is None
    assert issues[0].field == "birth_date"
    assert issues[0].reason.startswith("after ")


def test_key_failure_drops_the_display_value() -> None:
    ident, issues = IdentityFields.from_raw({"street": "--- ...", "city": "12345"})
    assert ident.street is None and ident.street_key is None
    assert ident.city is None and ident.city_key is None
    assert {i.field for i in issues} == {"street", "city"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"email": "a@b.ch"}, True),
        ({"phone": "+41446681800"}, True),
        ({"last_name": "Meier", "first_name": "Anna"}, True),
        ({"last_name": "Meier", "birth_date": "1984-05-21"}, True),
        ({"last_name": "Meier", "street": "Bahnhofstrasse 1"}, True),
        ({"last_name": "Meier"}, False),
        ({"first_name": "Anna", "birth_date": "1984-05-21", "city": "Bern"}, False),
        ({"full_name": "Anna Meier"}, True),
        ({"full_name": "Meier"}, False),
        ({"company": "ACME", "postcode": "8001", "country": "CH"}, False),
        ({"email": "broken@"}, False),
        ({}, False),
    ],
)
def test_has_identity(values: dict[str, object], expected: bool) -> None:
    ident, _ = IdentityFields.from_raw(values)
    assert ident.has_identity is expected


def test_model_is_frozen_and_typed() -> None:
    ident, _ = IdentityFields.from_raw({"email": "a@b.ch"})
    with pytest.raises(ValidationError):
        ident.email = "c@d.ch"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        IdentityFields(birth_date="yesterday")
    with pytest.raises(ValidationError):
        IdentityFields(nickname="x")  # type: ignore[call-arg]


def test_numbers_from_parquet_are_read() -> None:
    ident, issues = IdentityFields.from_raw(
        {"postcode": 8001.0, "country": "CH", "birth_date": 19840521, "last_name": "Meier"}
    )
    assert issues == []
    assert ident.postcode == "8001"
    assert ident.birth_date == date(1984, 5, 21)


def test_nan_is_missing() -> None:
    ident, issues = IdentityFields.from_raw({"email": float("nan"), "last_name": "Meier"})
    assert issues == []
    assert ident.email is None

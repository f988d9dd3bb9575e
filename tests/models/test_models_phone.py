from __future__ import annotations

import phonenumbers
import pytest

from cdp.models.errors import InvalidInputError
from cdp.models.normalize import normalize_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        # Switzerland: international, 00, (0), national
        ("+41 44 668 18 00", None, "+41446681800"),
        ("0041 44 668 18 00", None, "+41446681800"),
        ("+41 (0)44 668 18 00", None, "+41446681800"),
        ("044 668 18 00", "CH", "+41446681800"),
        ("079 123 45 67", "CH", "+41791234567"),
        ("+41446681800", "DE", "+41446681800"),  # international wins over the region
        # Germany
        ("(030) 1234567", "DE", "+49301234567"),
        ("030/1234567", "DE", "+49301234567"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("+49 (0) 30 1234567", None, "+49301234567"),
        # Austria
        ("01 5123456", "AT", "+4315123456"),
        ("0664 1234567", "AT", "+436641234567"),
        ("0043 664 1234567", None, "+436641234567"),
        # France
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("01 42 68 53 00", "FR", "+33142685300"),
        ("+33 6 12 34 56 78", None, "+33612345678"),
        # United Kingdom
        ("020 7946 0958", "GB", "+442079460958"),
        ("07911 123456", "GB", "+447911123456"),
        ("020 7946 0958", "UK", "+442079460958"),
        # United States
        ("(415) 555-2671", "US", "+14155552671"),
        ("415-555-2671", "US", "+14155552671"),
        ("+1 415 555 2671", None, "+14155552671"),
        ("011 41 44 668 18 00", "US", "+41446681800"),
        # Italy: the leading 0 of landlines is part of the number
        ("06 1234 5678", "IT", "+390612345678"),
        ("347 123 4567", "IT", "+393471234567"),
        ("+39 06 1234 5678", None, "+390612345678"),
        # region case does not matter
        ("044 668 18 00", "ch", "+41446681800"),
    ],
)
def test_normalize_phone(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, default_region=region) == expected


@pytest.mark.parametrize(
    "raw",
    ["+41 44 668 18 00 ext. 123", "+41 44 668 18 00 x123", "+41 44 668 18 00 #123"],
)
def test_extensions_are_dropped(raw: str) -> None:
    assert normalize_phone(raw) == "+41446681800"


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_phone_is_none(raw: str | None) -> None:
    assert normalize_phone(raw, default_region="CH") is None


def test_national_number_without_region_is_rejected() -> None:
    with pytest.raises(InvalidInputError) as info:
        normalize_phone("044 668 18 00")
    assert info.value.error_type == "bad_format"
    assert info.value.field == "phone"
    assert "region" in info.value.reason


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("+41 44 668 18", None, "not a possible number for region CH"),
        ("12345", "DE", "not a valid number for region DE"),
        ("0000000", "DE", "not a valid number for region DE"),
        ("hello", "DE", "not a phone number"),
        ("+999 1234567", None, "not a phone number"),
    ],
)
def test_invalid_numbers(raw: str, region: str | None, reason: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        normalize_phone(raw, default_region=region)
    assert info.value.reason == reason
    assert info.value.error_type == "bad_format"


def test_invalid_number_message_does_not_contain_the_digits() -> None:
    with pytest.raises(InvalidInputError) as info:
        normalize_phone("030 99", default_region="DE")
    message = str(info.value)
    assert message.startswith("phone: ")
    assert "99" not in message
    assert "030" not in message


def test_format_e164_insists_on_international() -> None:
    assert normalize_phone("+41 44 668 18 00", format="e164") == "+41446681800"
    assert normalize_phone("0041 44 668 18 00", format="e164") == "+41446681800"
    with pytest.raises(InvalidInputError, match="international"):
        normalize_phone("044 668 18 00", default_region="CH", format="e164")


def test_format_national_needs_a_region() -> None:
    assert normalize_phone("044 668 18 00", default_region="CH", format="national") == (
        "+41446681800"
    )
    assert normalize_phone("+49301234567", default_region="CH", format="national") == (
        "+49301234567"
    )
    with pytest.raises(InvalidInputError, match="region"):
        normalize_phone("+41446681800", format="national")


def test_unknown_region_and_format() -> None:
    with pytest.raises(InvalidInputError, match="unknown region"):
        normalize_phone("044 668 18 00", default_region="XX")
    with pytest.raises(ValueError, match="format"):
        normalize_phone("044 668 18 00", default_region="CH", format="local")


def test_field_name_is_used_in_errors() -> None:
    with pytest.raises(InvalidInputError) as info:
        normalize_phone("12", default_region="DE", field="TELF1")
    assert info.value.field == "TELF1"


def test_cached_results_are_stable() -> None:
    first = normalize_phone("(030) 1234567", default_region="DE")
    for _ in range(3):
        assert normalize_phone("(030) 1234567", default_region="DE") == first
    # the cache is keyed by region too: the same text in another region is another number
    assert normalize_phone("06 12 34 56 78", default_region="FR") == "+33612345678"
    assert normalize_phone("06 12 34 56 78", default_region="NL") == "+31612345678"
    with pytest.raises(InvalidInputError):
        normalize_phone("12345", default_region="DE")
    with pytest.raises(InvalidInputError):  # a failure is not cached as a success
        normalize_phone("12345", default_region="DE")


def test_a_valid_number_is_a_possible_number() -> None:
    # _phone_to_e164 checks only validity on its way to a result (possibility tells the reason
    # of a failure): this must hold for every region's example numbers of every type
    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(12):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None and phonenumbers.is_valid_number(number):
                checked += 1
                assert phonenumbers.is_possible_number(number), (region, kind)
                e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                assert normalize_phone(e164) == e164
    assert checked > 1_000

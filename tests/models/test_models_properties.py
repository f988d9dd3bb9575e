"""Property tests (hypothesis) of the normalizers and the privacy rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cdp.models.consent import parse_identifier
from cdp.models.errors import InvalidInputError
from cdp.models.messages import parse_message
from cdp.models.normalize import (
    city_match_key,
    display_name,
    email_match_key,
    fold_name,
    normalize_country,
    normalize_email,
    normalize_phone,
    normalize_postcode,
    parse_date,
    parse_timestamp,
    split_full_name,
    street_match_key,
)

_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_LATIN = st.characters(
    min_codepoint=0x20,
    max_codepoint=0x24F,
    blacklist_categories=("Cc", "Cs"),
)
_NAMEISH = st.text(
    alphabet=st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüÄÖÜßéèêñçøæœłđþÉÑ '’-."
    ),
    min_size=1,
    max_size=30,
)


def _or_none(fn: Callable[[str], str | None], value: str) -> str | None:
    try:
        return fn(value)
    except InvalidInputError:
        return None


@_SETTINGS
@given(st.text(max_size=40))
def test_fold_name_is_idempotent_on_any_text(value: str) -> None:
    folded = _or_none(fold_name, value)
    assume(folded is not None)
    assert fold_name(folded) == folded


@_SETTINGS
@given(st.text(alphabet=_LATIN, max_size=40))
def test_fold_name_ignores_case_of_latin_text(value: str) -> None:
    folded = _or_none(fold_name, value)
    assume(folded is not None)
    assert folded is not None
    assert _or_none(fold_name, value.upper()) == _or_none(fold_name, value.lower())
    assert folded == " ".join(folded.split())


@_SETTINGS
@given(_NAMEISH)
def test_display_name_is_idempotent(value: str) -> None:
    shown = _or_none(display_name, value)
    assume(shown is not None)
    assert display_name(shown) == shown
    assert fold_name(shown) == fold_name(value)  # display casing never changes the key


_NAME_WORDS = ["Hans", "MÜLLER", "anne-marie", "van", "de", "la", "O'Brien", "Zoë", "Peter", "Li"]


@_SETTINGS
@given(st.lists(st.sampled_from(_NAME_WORDS), min_size=1, max_size=4))
def test_split_full_name_keeps_every_word(words: list[str]) -> None:
    first, last = split_full_name(" ".join(words))
    assert last is not None
    parts = " ".join(p for p in (first, last) if p)
    assert sorted((fold_name(parts) or "").split()) == sorted(
        (fold_name(" ".join(words)) or "").split()
    )


@_SETTINGS
@given(st.text(alphabet=_LATIN, max_size=40))
def test_street_and_city_keys_are_idempotent(value: str) -> None:
    street = _or_none(street_match_key, value)
    if street is not None:
        assert street_match_key(street) == street
    city = _or_none(city_match_key, value)
    if city is not None:
        assert city_match_key(city) == city


_LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.+-_", min_size=1, max_size=20)
_DOMAIN = st.sampled_from(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.co.uk",
        "live.de",
        "icloud.com",
        "yahoo.com",
        "yahoo.co.jp",
        "proton.me",
        "acme.ch",
        "example.com",
    ]
)


@_SETTINGS
@given(_LOCAL, _DOMAIN)
def test_email_match_key_is_idempotent(local: str, domain: str) -> None:
    email = _or_none(normalize_email, f"{local}@{domain}")
    assume(email is not None)
    assert email is not None
    key = email_match_key(email)
    assert email_match_key(key) == key
    assert key.count("@") == 1
    assert key.split("@")[0]
    if domain in ("acme.ch", "example.com"):
        assert key == email  # never rewritten outside known providers


@_SETTINGS
@given(st.emails())
def test_normalized_email_is_stable(value: str) -> None:
    email = _or_none(normalize_email, value)
    assume(email is not None)
    assert email is not None
    assert normalize_email(email) == email
    assert email == email.lower()


_REGIONS = ["CH", "DE", "AT", "FR", "IT", "GB", "US", "NL", "ES", "SE", "PL", "LI", "AU", "CA"]
_TYPES = [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]


@_SETTINGS
@given(st.sampled_from(_REGIONS), st.sampled_from(_TYPES), st.integers(0, 99))
def test_phone_formats_round_trip(region: str, kind: int, tweak: int) -> None:
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    # vary the last two digits; keep only variants that are still valid
    national = str(example.national_number)
    candidate = phonenumbers.parse(f"+{example.country_code}{national[:-2]}{tweak:02d}")
    assume(phonenumbers.is_valid_number(candidate))
    e164 = phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    nat = phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.NATIONAL)
    intl = phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert normalize_phone(nat, default_region=region) == e164
    assert normalize_phone(intl) == e164
    assert normalize_phone("00" + intl[1:]) == e164
    assert normalize_phone(e164, format="e164") == e164


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    st.sampled_from(["", "0", "0041 ", "+41 ", "+49 (0)", "+1 ", "+39 0", "(0", "00"]),
    st.text(alphabet="0123456789 -/", min_size=6, max_size=14),
    st.sampled_from(_REGIONS),
)
def test_any_accepted_phone_is_valid_e164(prefix: str, digits: str, region: str) -> None:
    value = prefix + digits
    result = _or_none(lambda v: normalize_phone(v, default_region=region), value)
    assume(result is not None)
    assert result is not None
    assert result.startswith("+")
    assert result[1:].isdigit()
    assert normalize_phone(result) == result
    assert phonenumbers.is_valid_number(phonenumbers.parse(result))


@_SETTINGS
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_date_formats_round_trip(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%Y%m%d")) == day
    assert parse_date(day.strftime("%d.%m.%Y")) == day
    assert parse_date(day.strftime("%d/%m/%Y"), format="dd/mm/yyyy") == day
    assert parse_date(day.strftime("%m/%d/%Y"), format="mm/dd/yyyy") == day
    if day.day > 12 or day.day == day.month:
        assert parse_date(day.strftime("%d/%m/%Y")) == day


@_SETTINGS
@given(
    st.datetimes(min_value=datetime(1974, 1, 1), max_value=datetime(2200, 1, 1)),
    st.integers(-14 * 60, 14 * 60),
)
def test_timestamps_are_utc_and_round_trip(moment: datetime, offset_minutes: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    parsed = parse_timestamp(aware.isoformat())
    assert parsed == aware
    assert parsed is not None and parsed.tzinfo is UTC
    assert parse_timestamp(aware) == aware
    seconds = int(aware.timestamp())
    assert parse_timestamp(seconds) == datetime.fromtimestamp(seconds, UTC)
    assert parse_timestamp(str(seconds * 1000)) == datetime.fromtimestamp(seconds, UTC)


# ---------------------------------------------------------------------------------- privacy rule

_MARKER = "QXZW"
_NORMALIZERS: list[Callable[[str], object]] = [
    normalize_email,
    lambda v: normalize_phone(v, default_region="CH"),
    fold_name,
    display_name,
    split_full_name,
    parse_date,
    parse_timestamp,
    normalize_country,
    normalize_postcode,
    lambda v: normalize_postcode(v, country="DE"),
    street_match_key,
    city_match_key,
    parse_identifier,
    lambda v: parse_identifier("email:" + v),
    lambda v: parse_identifier("phone:" + v),
    lambda v: parse_message({"type": "track", "userId": "u", "event": "E", "timestamp": v}),
    lambda v: parse_message({"type": v, "userId": "u"}),
    lambda v: parse_message({"type": "track", "userId": "u", "event": "E", "context": v}),
]


@_SETTINGS
@given(st.integers(0, len(_NORMALIZERS) - 1), st.text(max_size=20), st.text(max_size=20))
def test_errors_never_contain_the_value(index: int, before: str, after: str) -> None:
    value = f"{before}{_MARKER}{after}"
    try:
        _NORMALIZERS[index](value)
    except InvalidInputError as e:
        assert _MARKER not in str(e)
        assert _MARKER not in repr(e)
        assert _MARKER not in (e.field or "")


@pytest.mark.parametrize(
    "value",
    ["Hans.Mueller@@example.ch", "+41 44 668 18", "31.02.1984", "Narnia-Land", "XX-99999"],
)
def test_errors_never_contain_typical_bad_values(value: str) -> None:
    for fn in _NORMALIZERS:
        try:
            fn(value)
        except InvalidInputError as e:
            assert value not in str(e)

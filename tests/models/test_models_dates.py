from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from cdp.models.errors import InvalidInputError
from cdp.models.fields import DATE_FORMATS, TIMESTAMP_FORMATS
from cdp.models.normalize import parse_date, parse_timestamp

# ----------------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("1984-05-21", "auto", date(1984, 5, 21)),
        ("1984-5-1", "auto", date(1984, 5, 1)),
        ("1984-05-21T00:00:00Z", "auto", date(1984, 5, 21)),
        ("1984-05-21 13:45:00", "auto", date(1984, 5, 21)),
        ("19840521", "auto", date(1984, 5, 21)),
        (19840521, "auto", date(1984, 5, 21)),
        ("21.05.1984", "auto", date(1984, 5, 21)),
        ("1.2.1984", "auto", date(1984, 2, 1)),
        ("05.06.1984", "auto", date(1984, 6, 5)),  # dots are always day first
        ("21.05.1984 00:00", "auto", date(1984, 5, 21)),
        ("21/05/1984", "auto", date(1984, 5, 21)),  # first > 12: day/month
        ("05/21/1984", "auto", date(1984, 5, 21)),  # second > 12: month/day
        ("21-05-1984", "auto", date(1984, 5, 21)),
        ("07/07/1984", "auto", date(1984, 7, 7)),  # same either way
        ("1984-05-21", "iso", date(1984, 5, 21)),
        ("19840521", "yyyymmdd", date(1984, 5, 21)),
        ("21.05.1984", "dd.mm.yyyy", date(1984, 5, 21)),
        ("05/06/1984", "dd/mm/yyyy", date(1984, 6, 5)),
        ("05/06/1984", "mm/dd/yyyy", date(1984, 5, 6)),
        ("05.06.1984", "mm/dd/yyyy", date(1984, 5, 6)),
        (date(1984, 5, 21), "auto", date(1984, 5, 21)),
        (datetime(1984, 5, 21, 23, 59), "auto", date(1984, 5, 21)),
    ],
)
def test_parse_date(raw: object, fmt: str, expected: date) -> None:
    assert parse_date(raw, format=fmt) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "00000000", "0000-00-00"])
def test_empty_dates(raw: str | None) -> None:
    assert parse_date(raw) is None


def test_ambiguous_slash_date_needs_a_format() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_date("05/06/1984", field="birth_date")
    assert info.value.reason == "ambiguous date, set format"
    assert info.value.field == "birth_date"
    assert "1984" not in str(info.value)


@pytest.mark.parametrize(
    ("raw", "fmt", "reason"),
    [
        ("31.02.1990", "auto", "impossible date"),
        ("1990-13-01", "auto", "impossible date"),
        ("19900230", "auto", "impossible date"),
        ("13/13/1990", "auto", "impossible date"),
        ("1899-12-31", "auto", "before 1900-01-01"),
        ("21.05.84", "auto", "not a date"),
        ("May 21, 1984", "auto", "not a date"),
        ("21.05.1984", "iso", "not an ISO date"),
        ("1984-05-21", "yyyymmdd", "not a YYYYMMDD date"),
        ("1984-05-21", "dd.mm.yyyy", "not a DD.MM.YYYY date"),
        ("21/05/1984", "mm/dd/yyyy", "impossible date"),
    ],
)
def test_invalid_dates(raw: str, fmt: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_date(raw, format=fmt)
    assert info.value.reason.startswith(reason)
    assert info.value.error_type == "bad_format"


def test_future_dates_are_rejected_with_not_after() -> None:
    today = date(2026, 11, 21)
    assert parse_date("2026-11-21", not_after=today) == today
    with pytest.raises(InvalidInputError, match="after 2026-11-21"):
        parse_date("2026-11-22", not_after=today)
    # without not_after there is no upper limit
    assert parse_date("2999-01-01") == date(2999, 1, 1)


def test_not_before_is_adjustable() -> None:
    assert parse_date("1850-01-01", not_before=None) == date(1850, 1, 1)
    with pytest.raises(InvalidInputError):
        parse_date("1999-12-31", not_before=date(2000, 1, 1))


def test_every_configured_date_format_is_understood() -> None:
    for fmt in DATE_FORMATS:
        parse_date(None, format=fmt)
    with pytest.raises(ValueError, match="format"):
        parse_date("1984-05-21", format="yyyy/mm/dd")


# ------------------------------------------------------------------------------ parse_timestamp

_T = datetime(2026, 10, 1, 12, 34, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("2026-10-01T12:34:56Z", "auto", _T),
        ("2026-10-01T12:34:56z", "auto", _T),
        ("2026-10-01T12:34:56+00:00", "auto", _T),
        ("2026-10-01T14:34:56+02:00", "auto", _T),
        ("2026-10-01T12:34:56.000+0000", "auto", _T),  # Salesforce
        ("2026-10-01T07:34:56.000-0500", "auto", _T),
        ("2026-10-01 12:34:56", "auto", _T),  # naive is UTC
        ("2026-10-01 12:34:56 UTC", "auto", _T),
        ("2026-10-01T12:34:56.123456789Z", "auto", _T.replace(microsecond=123456)),
        ("2026-10-01", "auto", _T.replace(hour=0, minute=0, second=0)),
        ("20261001", "auto", _T.replace(hour=0, minute=0, second=0)),
        ("20261001123456", "auto", _T),  # SAP
        (20261001123456, "auto", _T),
        (1790080496, "auto", datetime(2026, 9, 22, 12, 34, 56, tzinfo=UTC)),
        (1790080496789, "auto", datetime(2026, 9, 22, 12, 34, 56, 789000, tzinfo=UTC)),
        ("1790080496", "auto", datetime(2026, 9, 22, 12, 34, 56, tzinfo=UTC)),
        ("1790080496789", "auto", datetime(2026, 9, 22, 12, 34, 56, 789000, tzinfo=UTC)),
        (1790080496.5, "auto", datetime(2026, 9, 22, 12, 34, 56, 500000, tzinfo=UTC)),
        (1790080496, "epoch_s", datetime(2026, 9, 22, 12, 34, 56, tzinfo=UTC)),
        ("1790080496789", "epoch_ms", datetime(2026, 9, 22, 12, 34, 56, 789000, tzinfo=UTC)),
        (1790080496, "epoch_ms", datetime(1970, 1, 21, 17, 14, 40, 496000, tzinfo=UTC)),
        ("2026-10-01T12:34:56Z", "iso", _T),
        ("20261001", "yyyymmdd", _T.replace(hour=0, minute=0, second=0)),
        ("20261001123456", "yyyymmddhhmmss", _T),
        (datetime(2026, 10, 1, 12, 34, 56), "auto", _T),
        (datetime(2026, 10, 1, 14, 34, 56, tzinfo=timezone(timedelta(hours=2))), "auto", _T),
        (date(2026, 10, 1), "auto", _T.replace(hour=0, minute=0, second=0)),
    ],
)
def test_parse_timestamp(raw: object, fmt: str, expected: datetime) -> None:
    result = parse_timestamp(raw, format=fmt)
    assert result == expected
    assert result is not None and result.utcoffset() == timedelta(0)
    assert result.tzinfo is UTC


@pytest.mark.parametrize("raw", [None, "", "  ", "00000000", "00000000000000", float("nan")])
def test_empty_timestamps(raw: object) -> None:
    assert parse_timestamp(raw) is None


@pytest.mark.parametrize(
    ("raw", "fmt"),
    [
        ("not a time", "auto"),
        ("2026-13-01T00:00:00Z", "auto"),
        ("20261301", "auto"),
        ("20261001", "yyyymmddhhmmss"),
        ("2026-10-01", "yyyymmdd"),
        ("abc", "epoch_s"),
        ("1790080496", "iso"),
        (True, "auto"),
        (10**30, "auto"),
    ],
)
def test_invalid_timestamps(raw: object, fmt: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_timestamp(raw, format=fmt, field="updated_at")
    assert info.value.field == "updated_at"
    assert info.value.error_type == "bad_format"


def test_every_configured_timestamp_format_is_understood() -> None:
    for fmt in TIMESTAMP_FORMATS:
        assert parse_timestamp(None, format=fmt) is None
    with pytest.raises(ValueError, match="format"):
        parse_timestamp("2026-10-01", format="rfc2822")

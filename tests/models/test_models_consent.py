from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from cdp.models.consent import ConsentStatement, parse_consent_statement, parse_identifier
from cdp.models.errors import InvalidInputError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("email:Jane.Doe@Example.com", ("email", "jane.doe@example.com")),
        ("EMAIL: jane@example.com ", ("email", "jane@example.com")),
        ("phone:+41 44 668 18 00", ("phone", "+41446681800")),
        ("phone:0041446681800", ("phone", "+41446681800")),
        ("customer_id:c-123", ("customer_id", "c-123")),
        ("user_id:42", ("user_id", "42")),
        ("anonymous_id:1b6f1c7e-8f0e", ("anonymous_id", "1b6f1c7e-8f0e")),
        ("crm:0031x00000AbCdE", ("crm", "0031x00000AbCdE")),
        ("erp:0000104711", ("erp", "0000104711")),
        ("user_id:a:b", ("user_id", "a:b")),
    ],
)
def test_parse_identifier(raw: str, expected: tuple[str, str]) -> None:
    assert parse_identifier(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("jane@example.com", "expected type:value"),
        (":x", "expected type:value"),
        ("email:", "empty identifier value"),
        ("customer_id:  ", "empty identifier value"),
        ("email:not-an-email", "needs exactly one @"),
        ("phone:044 668 18 00", "international"),
        ("phone:+41 12", "not a"),
        ("Bad Type:x", "unknown identifier type"),
        ("9lives:x", "unknown identifier type"),
    ],
)
def test_parse_identifier_errors(raw: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_identifier(raw)
    assert reason in info.value.reason
    assert info.value.field == "identifier"
    assert info.value.error_type == "bad_format"
    value = raw.partition(":")[2].strip()
    if len(value) > 2:
        assert value not in str(info.value)


def test_parse_identifier_rejects_non_strings() -> None:
    with pytest.raises(InvalidInputError):
        parse_identifier(42)  # type: ignore[arg-type]


def _statement(**overrides: Any) -> dict[str, Any]:
    return {
        "subject": "email:Jane@Example.com",
        "purpose": "email_marketing",
        "status": "granted",
        "captured_at": "2026-11-20T10:00:00Z",
        "source": "preference_center",
        "notice_version": "newsletter-v3",
        **overrides,
    }


def test_consent_statement() -> None:
    s = ConsentStatement.model_validate(_statement())
    assert s.subject == "email:jane@example.com"
    assert (s.subject_type, s.subject_value) == ("email", "jane@example.com")
    assert s.captured_at == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert s.method == "api"
    assert s.expires_at is None
    assert len(s.idempotency_key) == 64


def test_all_optional_fields() -> None:
    s = ConsentStatement.model_validate(
        _statement(
            status="withdrawn",
            method="web_cmp",
            legal_basis="consent",
            jurisdiction="CH",
            channel="email",
            evidence={"cmp": "onetrust", "tcf": "CPX..."},
            expires_at="2027-11-20T10:00:00Z",
        )
    )
    assert s.status == "withdrawn"
    assert s.evidence == {"cmp": "onetrust", "tcf": "CPX..."}
    assert s.expires_at == datetime(2027, 11, 20, 10, tzinfo=UTC)


def test_captured_at_is_utc() -> None:
    s = ConsentStatement.model_validate(_statement(captured_at="2026-11-20T12:00:00+02:00"))
    assert s.captured_at == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert s.captured_at.tzinfo is UTC
    naive = ConsentStatement.model_validate(_statement(captured_at=datetime(2026, 11, 20, 10)))
    assert naive.captured_at == datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_idempotency_key_is_stable() -> None:
    a = ConsentStatement.model_validate(_statement())
    b = ConsentStatement.model_validate(
        _statement(
            subject="EMAIL: jane@example.COM",
            captured_at="2026-11-20T11:00:00+01:00",
            evidence="form post",  # not part of the key
            channel="email",
        )
    )
    assert a.idempotency_key == b.idempotency_key


@pytest.mark.parametrize(
    "change",
    [
        {"subject": "email:john@example.com"},
        {"purpose": "sms_marketing"},
        {"status": "withdrawn"},
        {"captured_at": "2026-11-20T10:00:01Z"},
        {"source": "crm"},
        {"notice_version": "newsletter-v4"},
        {"notice_version": None},
    ],
)
def test_idempotency_key_differs(change: dict[str, Any]) -> None:
    a = ConsentStatement.model_validate(_statement())
    b = ConsentStatement.model_validate(_statement(**change))
    assert a.idempotency_key != b.idempotency_key


def test_expires_at_must_be_after_captured_at() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_consent_statement(_statement(expires_at="2026-11-19T10:00:00Z"))
    assert info.value.field == "expires_at"
    assert "after captured_at" in info.value.reason
    with pytest.raises(InvalidInputError):
        parse_consent_statement(_statement(expires_at="2026-11-20T10:00:00Z"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "maybe"}, "status"),
        ({"method": "carrier_pigeon"}, "method"),
        ({"captured_at": None}, "captured_at"),
        ({"captured_at": "last tuesday"}, "captured_at"),
        ({"purpose": "Email Marketing"}, "purpose"),
        ({"source": ""}, "source"),
        ({"subject": "email:nope"}, "subject"),
        ({"subject": 42}, "subject"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_invalid_statements(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_consent_statement(_statement(**change))
    assert info.value.field == field


def test_missing_captured_at() -> None:
    body = _statement()
    del body["captured_at"]
    with pytest.raises(InvalidInputError) as info:
        parse_consent_statement(body)
    assert (info.value.field, info.value.reason) == ("captured_at", "required")


def test_subject_errors_do_not_contain_the_subject() -> None:
    secret = "email:jane.secret@@example.com"
    with pytest.raises(InvalidInputError) as info:
        parse_consent_statement(_statement(subject=secret))
    assert "secret" not in str(info.value)
    with pytest.raises(ValidationError) as raw_info:
        ConsentStatement.model_validate(_statement(subject=secret))
    assert "secret" not in str(raw_info.value)  # hide_input_in_errors


def test_statement_is_frozen() -> None:
    s = ConsentStatement.model_validate(_statement())
    with pytest.raises(ValidationError):
        s.status = "denied"  # type: ignore[misc]


def test_status_and_method_tuples_match_the_model() -> None:
    from typing import get_args

    from cdp.models import CONSENT_METHODS, CONSENT_STATUSES, ConsentMethod, ConsentStatus

    assert get_args(ConsentStatus) == CONSENT_STATUSES
    assert get_args(ConsentMethod) == CONSENT_METHODS
    assert {"double_opt_in", "web_form", "sms_keyword", "unsubscribe_link"} <= set(CONSENT_METHODS)

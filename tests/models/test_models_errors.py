from __future__ import annotations

import dataclasses
import pickle

import pytest
from pydantic import BaseModel, ValidationError

from cdp.errors import CdpError
from cdp.models.errors import ERROR_TYPES, FieldIssue, InvalidInputError, ModelError


def test_str_is_field_colon_reason() -> None:
    e = InvalidInputError("phone", "not a valid number for region DE", error_type="bad_format")
    assert str(e) == "phone: not a valid number for region DE"
    assert (e.field, e.reason, e.error_type) == (
        "phone",
        "not a valid number for region DE",
        "bad_format",
    )


def test_str_without_field_is_the_reason() -> None:
    e = InvalidInputError(None, "no usable identity", error_type="missing_identity")
    assert str(e) == "no usable identity"


def test_default_error_type_is_schema_and_keyword_only() -> None:
    assert InvalidInputError("x", "bad").error_type == "schema"
    with pytest.raises(TypeError):
        InvalidInputError("x", "bad", "bad_format")  # type: ignore[call-arg]


def test_unknown_error_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="error_type"):
        InvalidInputError("x", "bad", error_type="nonsense")  # type: ignore[arg-type]


def test_hierarchy() -> None:
    e = InvalidInputError("x", "bad")
    assert isinstance(e, ModelError)
    assert isinstance(e, CdpError)


def test_error_types_match_the_quarantine_contract() -> None:
    assert set(ERROR_TYPES) == {
        "bad_json",
        "schema",
        "missing_identity",
        "oversize",
        "bad_format",
        "unknown_type",
        "missing_field",
    }


def test_pickle_round_trip_keeps_the_error_type() -> None:
    e = InvalidInputError("email", "empty local part", error_type="bad_format")
    back = pickle.loads(pickle.dumps(e))
    assert isinstance(back, InvalidInputError)
    assert (back.field, back.reason, back.error_type) == ("email", "empty local part", "bad_format")
    assert str(back) == str(e)


def test_field_issue_is_frozen_and_printable() -> None:
    issue = FieldIssue("birth_date", "ambiguous date, set format")
    assert str(issue) == "birth_date: ambiguous date, set format"
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.reason = "other"  # type: ignore[misc]
    assert InvalidInputError("a", "b").to_issue() == FieldIssue("a", "b")


class _Model(BaseModel):
    name: str
    age: int


def test_from_validation_error_names_the_location_but_not_the_value() -> None:
    secret = "jane.secret@example.com"
    with pytest.raises(ValidationError) as info:
        _Model.model_validate({"name": "x", "age": secret})
    err = InvalidInputError.from_validation_error(info.value)
    assert err.field == "age"
    assert err.error_type == "schema"
    assert secret not in str(err)
    assert secret not in repr(err)


def test_from_validation_error_missing_and_prefix() -> None:
    with pytest.raises(ValidationError) as info:
        _Model.model_validate({"age": 3})
    err = InvalidInputError.from_validation_error(info.value, prefix="body")
    assert err.field == "body.name"
    assert err.reason == "required"


def test_from_validation_error_counts_further_problems() -> None:
    with pytest.raises(ValidationError) as info:
        _Model.model_validate({})
    err = InvalidInputError.from_validation_error(info.value)
    assert err.reason == "required (and 1 more problem)"

"""Consent statements (the input model of the consent ledger) and subject identifiers.

This module only validates and normalizes; the ledger and the decisions live in ``consent/``.

Identifiers are ``type:value`` (as in the API's paths): ``customer_id:…``, ``email:…`` (the
address normalized with :func:`~cdp.models.normalize.normalize_email`), ``phone:…`` (must be
international; normalized to E.164), ``user_id:…``, ``anonymous_id:…``, or
``<source>:<record id>`` where the source is a configured source name (lower_snake_case).
The type is matched case-insensitively; other values are kept as given (trimmed).

A :class:`ConsentStatement` holds one statement: ``subject`` (normalized identifier),
``purpose`` (lower_snake_case, as in the purpose catalogue), ``status`` (granted, denied,
withdrawn, objected, expired), ``captured_at`` (when the person said it; required; UTC, naive
values are taken as UTC), ``expires_at`` (after ``captured_at``), ``source``, ``method``
(how it was captured; default ``api``), ``notice_version``, ``legal_basis``,
``jurisdiction``, ``channel`` and ``evidence`` (an object or a string). Its
``idempotency_key`` is the sha256 of subject, purpose, status, captured_at, source and
notice_version, so a statement ingested twice has one key.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from cdp.models.errors import InvalidInputError
from cdp.models.normalize import normalize_email, normalize_phone, parse_timestamp

__all__ = [
    "CONSENT_METHODS",
    "CONSENT_STATUSES",
    "IDENTIFIER_TYPES",
    "ConsentMethod",
    "ConsentStatement",
    "ConsentStatus",
    "parse_consent_statement",
    "parse_identifier",
]

logger = logging.getLogger(__name__)

ConsentStatus = Literal["granted", "denied", "withdrawn", "objected", "expired"]
#: How a statement was captured (what a DPO needs to judge its validity):
#: web_cmp (cookie banner / consent manager), tcf (IAB TCF string), gpc (Global Privacy Control),
#: crm_flag (an opt-out column), preference_center, api, import, agent (staff on the person's
#: behalf: sales, call centre), web_form (an unticked checkbox the person ticked),
#: double_opt_in (confirmed by a link sent to the address), unsubscribe_link, sms_keyword (STOP).
ConsentMethod = Literal[
    "web_cmp",
    "tcf",
    "gpc",
    "crm_flag",
    "preference_center",
    "api",
    "import",
    "agent",
    "web_form",
    "double_opt_in",
    "unsubscribe_link",
    "sms_keyword",
]
#: The Literals above as tuples (derived, so the two can never disagree).
CONSENT_STATUSES: Final[tuple[str, ...]] = get_args(ConsentStatus)
CONSENT_METHODS: Final[tuple[str, ...]] = get_args(ConsentMethod)
#: Identifier types other than ``<source>`` names.
IDENTIFIER_TYPES: Final[tuple[str, ...]] = (
    "customer_id",
    "email",
    "phone",
    "user_id",
    "anonymous_id",
)
_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_SEP: Final = "\x1f"
_FIELD: Final = "identifier"


def _bad(reason: str) -> InvalidInputError:
    return InvalidInputError(_FIELD, reason, error_type="bad_format")


def parse_identifier(value: str) -> tuple[str, str]:
    """``(type, normalized value)`` of a ``type:value`` identifier, or InvalidInputError."""
    if not isinstance(value, str):
        raise _bad("must be a string type:value")
    kind, sep, rest = value.strip().partition(":")
    kind = kind.strip()
    if not sep or not kind:
        raise _bad("expected type:value (e.g. email:…, customer_id:…)")
    lowered = kind.lower()
    normalized: str | None
    if lowered == "email":
        normalized = normalize_email(rest, field=_FIELD)
    elif lowered == "phone":
        normalized = normalize_phone(rest, format="e164", field=_FIELD)
    elif lowered in IDENTIFIER_TYPES or _NAME.fullmatch(lowered):
        normalized = rest.strip() or None
    else:
        raise _bad("unknown identifier type")
    if normalized is None:
        raise _bad("empty identifier value")
    return lowered, normalized


def _subject(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # let pydantic report the type
    try:
        kind, normalized = parse_identifier(value)
    except InvalidInputError as e:
        raise PydanticCustomError("bad_format", e.reason) from None
    return f"{kind}:{normalized}"


def _timestamp(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_timestamp(value)
    except InvalidInputError as e:
        raise PydanticCustomError("bad_format", e.reason) from None


def _text(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


_Text = Annotated[str | None, BeforeValidator(_text)]


class ConsentStatement(BaseModel):
    """One consent statement of one subject for one purpose (see the module documentation)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", hide_input_in_errors=True, str_strip_whitespace=True
    )

    subject: Annotated[str, BeforeValidator(_subject)]
    purpose: str
    status: ConsentStatus
    captured_at: Annotated[datetime, BeforeValidator(_timestamp)]
    expires_at: Annotated[datetime | None, BeforeValidator(_timestamp)] = None
    source: str = Field(min_length=1)
    method: ConsentMethod = "api"
    notice_version: _Text = None
    legal_basis: _Text = None
    jurisdiction: _Text = None
    channel: _Text = None
    evidence: dict[str, Any] | str | None = None

    @field_validator("purpose")
    @classmethod
    def _check_purpose(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise PydanticCustomError("schema", "purpose names are lower_snake_case")
        return value

    @field_validator("expires_at")
    @classmethod
    def _check_expiry(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        captured = info.data.get("captured_at")
        if value is not None and captured is not None and value <= captured:
            raise PydanticCustomError("schema", "must be after captured_at")
        return value

    @property
    def subject_type(self) -> str:
        """The identifier type of ``subject`` (``email``, ``customer_id``, a source name…)."""
        return self.subject.partition(":")[0]

    @property
    def subject_value(self) -> str:
        """The normalized identifier value of ``subject``."""
        return self.subject.partition(":")[2]

    @property
    def idempotency_key(self) -> str:
        """sha256 (hex) of subject, purpose, status, captured_at, source, notice_version."""
        parts = (
            self.subject,
            self.purpose,
            self.status,
            self.captured_at.isoformat(),
            self.source,
            self.notice_version or "",
        )
        return hashlib.sha256(_SEP.join(parts).encode()).hexdigest()


def parse_consent_statement(obj: Mapping[str, Any]) -> ConsentStatement:
    """Validate a statement, raising :class:`InvalidInputError` that names the field only."""
    if not isinstance(obj, Mapping):
        raise InvalidInputError(None, "a consent statement must be a JSON object")
    try:
        return ConsentStatement.model_validate(dict(obj))
    except ValidationError as e:
        raise InvalidInputError.from_validation_error(e) from None

"""The canonical identity of one source record: display fields plus match keys.

:meth:`IdentityFields.from_raw` is the normalizing constructor every ingest path uses. It
takes raw values keyed by canonical field name (:data:`cdp.models.fields.CANONICAL_FIELDS`)
and the per-field ``format`` names a source mapping gives, and returns the model together
with the field-level issues found. A field that cannot be normalized is dropped (``None``)
and reported as a :class:`~cdp.models.errors.FieldIssue`, or raises when ``strict``.

Rules beyond the per-field ones of :mod:`cdp.models.normalize`:

* ``country`` is normalized first; when phonenumbers knows it, it is the region national
  phone numbers are read in, else the source's ``default_region`` is.
* ``full_name`` is kept (display form) and, when both ``first_name`` and ``last_name`` are
  absent, split into them. When only one of them is absent, the other part of the split is
  used only if the present one folds equal to its counterpart (so ``last_name=Müller``,
  ``full_name=Hans Müller`` gives ``first_name=Hans``, but a full name of somebody else
  fills nothing).
* ``birth_date`` must lie between 1900-01-01 and today (UTC).
* ``street``, ``city`` and ``company`` are displayed as given (trimmed, whitespace collapsed);
  ``postcode`` in its country's usual form.
* Keys: ``first_name_key``/``last_name_key`` (:func:`fold_name`), ``email_key``
  (:func:`email_match_key`), ``street_key``, ``postcode_key`` (no spaces or hyphens) and
  ``city_key``. A display value whose key cannot be made (a street of punctuation only) is
  dropped with an issue, so a display value always has its key.

Constructing ``IdentityFields(...)`` directly validates types only; ``from_raw`` normalizes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Final, TypeVar

import phonenumbers
from pydantic import BaseModel, ConfigDict

from cdp.models.errors import FieldIssue, InvalidInputError
from cdp.models.fields import CANONICAL_FIELDS, FIELD_FORMATS
from cdp.models.normalize import (
    city_match_key,
    display_name,
    email_match_key,
    fold_name,
    normalize_country,
    normalize_email,
    normalize_phone,
    normalize_postcode,
    normalize_text,
    parse_date,
    split_full_name,
    street_match_key,
)

__all__ = ["IDENTITY_COLUMNS", "IdentityFields"]

logger = logging.getLogger(__name__)

_DISPLAY_COLUMNS: Final = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "birth_date",
    "street",
    "postcode",
    "city",
    "country",
    "company",
)
_KEY_COLUMNS: Final = (
    "first_name_key",
    "last_name_key",
    "email_key",
    "street_key",
    "postcode_key",
    "city_key",
)
#: Column names of :meth:`IdentityFields.to_row`, in order.
IDENTITY_COLUMNS: Final[tuple[str, ...]] = _DISPLAY_COLUMNS + _KEY_COLUMNS

_KNOWN_FIELDS: Final = frozenset(CANONICAL_FIELDS)
_NO_FORMATS: Final[Mapping[str, str]] = {}
_T = TypeVar("_T")


def _try(
    sink: list[FieldIssue] | None, fn: Callable[..., _T], value: object, **kwargs: Any
) -> _T | None:
    """``fn(value, **kwargs)``; a failure goes to ``sink`` as an issue (raises without one).

    The normalizers are pure: the result of a text value is memoized (the same phone numbers,
    names and cities come again and again; parsing a phone number costs tens of microseconds).
    """
    if value is None:
        return None
    key = None
    if type(value) is str:
        key = (fn, value, *kwargs.items())
        found = _MEMO.get(key, _MISSING)
        if found is not _MISSING:
            return found
    try:
        result = fn(value, **kwargs)
    except InvalidInputError as e:
        if sink is None:
            raise
        sink.append(e.to_issue())
        return None
    if key is not None:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = result
    return result


_MEMO: dict[tuple[Any, ...], Any] = {}
_MEMO_SIZE = 200_000
_MISSING = object()


class IdentityFields(BaseModel):
    """Normalized identity fields of one record (display form) and their match keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: date | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    company: str | None = None

    first_name_key: str | None = None
    last_name_key: str | None = None
    email_key: str | None = None
    street_key: str | None = None
    postcode_key: str | None = None
    city_key: str | None = None

    columns: ClassVar[tuple[str, ...]] = IDENTITY_COLUMNS

    @classmethod
    def from_raw(
        cls,
        values: Mapping[str, object],
        *,
        formats: Mapping[str, str] | None = None,
        default_region: str | None = None,
        strict: bool = False,
    ) -> tuple[IdentityFields, list[FieldIssue]]:
        """Normalize raw values keyed by canonical field name (see the module documentation).

        Raises :class:`InvalidInputError` (``schema``) for an unknown field or format name,
        and, when ``strict``, (``bad_format``) for the first field that fails to normalize.
        """
        for name in values:
            if name not in _KNOWN_FIELDS:
                raise InvalidInputError(name, "unknown identity field", error_type="schema")
        fmts = formats or _NO_FORMATS
        for name, fmt in fmts.items():
            allowed = FIELD_FORMATS.get(name)
            if allowed is None:
                raise InvalidInputError(name, "unknown identity field", error_type="schema")
            if fmt not in allowed:
                raise InvalidInputError(
                    name, f"unknown format; expected one of {', '.join(allowed)}"
                )

        issues: list[FieldIssue] = []
        sink = None if strict else issues
        get = values.get

        country = _try(sink, normalize_country, get("country"), format=fmts.get("country", "auto"))
        region = country if country and country in phonenumbers.SUPPORTED_REGIONS else None
        phone = _try(
            sink,
            normalize_phone,
            get("phone"),
            default_region=region or default_region,
            format=fmts.get("phone", "auto"),
        )
        email = _try(sink, normalize_email, get("email"))
        first = _try(sink, display_name, get("first_name"), field="first_name")
        last = _try(sink, display_name, get("last_name"), field="last_name")
        full = _try(sink, display_name, get("full_name"), field="full_name")
        if full is not None and (first is None or last is None):
            split = _try(
                sink, split_full_name, get("full_name"), format=fmts.get("full_name", "auto")
            )
            if split is not None:
                first, last = _fill_from_split(first, last, split)
        birth_raw = get("birth_date")
        birth = None
        if birth_raw is not None:
            birth = _try(
                sink,
                parse_date,
                birth_raw,
                format=fmts.get("birth_date", "auto"),
                not_after=datetime.now(UTC).date(),
                field="birth_date",
            )
        street = _try(sink, normalize_text, get("street"), field="street")
        postcode = _try(sink, normalize_postcode, get("postcode"), country=country)
        city = _try(sink, normalize_text, get("city"), field="city")
        company = _try(sink, normalize_text, get("company"), field="company")

        # Keys of normalized values. Only a value whose letters all fold away (a street of
        # punctuation, a name of modifier letters) fails here; it is dropped with its display.
        first_key = _try(sink, fold_name, first, field="first_name")
        last_key = _try(sink, fold_name, last, field="last_name")
        street_key = _try(sink, street_match_key, street)
        city_key = _try(sink, city_match_key, city)
        fields = {
            "first_name": first if first_key else None,
            "last_name": last if last_key else None,
            "full_name": full,
            "email": email,
            "phone": phone,
            "birth_date": birth,
            "street": street if street_key else None,
            "postcode": postcode,
            "city": city if city_key else None,
            "country": country,
            "company": company,
            "first_name_key": first_key,
            "last_name_key": last_key,
            "email_key": email_match_key(email) if email else None,
            "street_key": street_key,
            "postcode_key": postcode.replace(" ", "").replace("-", "") if postcode else None,
            "city_key": city_key,
        }
        return cls(**fields), issues

    @property
    def has_identity(self) -> bool:
        """Enough to identify a person: email, phone, or last name with one more attribute."""
        return bool(
            self.email
            or self.phone
            or (self.last_name and (self.first_name or self.birth_date or self.street))
        )

    def to_row(self) -> dict[str, Any]:
        """Flat row: the columns of :data:`IDENTITY_COLUMNS`."""
        return {name: getattr(self, name) for name in IDENTITY_COLUMNS}


def _fill_from_split(
    first: str | None, last: str | None, split: tuple[str | None, str | None]
) -> tuple[str | None, str | None]:
    split_first, split_last = split
    if first is None and last is None:
        return split_first, split_last
    if first is None and split_last is not None and _same_name(last, split_last):
        return split_first, last
    if last is None and split_first is not None and _same_name(first, split_first):
        return first, split_last
    return first, last


def _same_name(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and fold_name(a) == fold_name(b)

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
from functools import partial
from typing import Any, ClassVar, Final

import phonenumbers
from pydantic import BaseModel, ConfigDict

from cdp.models.errors import FieldIssue, InvalidInputError
from cdp.models.fields import CANONICAL_FIELDS, FIELD_FORMATS
from cdp.models.normalize import _clear_caches as _clear_normalize_caches
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

__all__ = ["IDENTITY_COLUMNS", "IdentityFields", "clear_caches"]

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


class _Memo:
    """A normalizer whose results are memoized by value and options.

    The normalizers are pure, and the same phone numbers, names and cities come again and
    again (parsing a phone number costs tens of microseconds). ``__call__(sink, value,
    *options)`` passes the options by keyword, in the order of ``names``; a failure goes to
    ``sink`` as an issue (raises without one) and is not memoized. One memo per call site of
    :meth:`IdentityFields.from_raw`: keys are the bare value (or the value and its options),
    cheaper to hash than a key that names the function and its keywords.
    """

    __slots__ = ("_fn", "_names", "_results")

    def __init__(self, fn: Callable[..., Any], *names: str) -> None:
        self._fn = fn
        self._names = names
        self._results: dict[Any, Any] = {}
        _MEMOS.append(self)

    def __call__(self, sink: list[FieldIssue] | None, value: object, *options: object) -> Any:
        if value is None:
            return None
        key: Any = None
        if type(value) is str:
            key = (value, *options) if options else value
            found = self._results.get(key, _MISSING)
            if found is not _MISSING:
                return found
        try:
            result = self._fn(value, **dict(zip(self._names, options, strict=True)))
        except InvalidInputError as e:
            if sink is None:
                raise
            sink.append(e.to_issue())
            return None
        if key is not None:
            if len(self._results) >= _MEMO_SIZE:
                self._results.clear()
            self._results[key] = result
        return result


#: entries per memo (a memo is cleared when full: unique values, such as e-mail addresses,
#: only pass through)
_MEMO_SIZE = 32_768
_MISSING = object()
_MEMOS: list[_Memo] = []


def clear_caches() -> None:
    """Forget every memoized normalized value: the memos of :meth:`IdentityFields.from_raw`
    and the caches of :mod:`cdp.models.normalize` beneath them.

    Results never change by it (the normalizers are pure); the next values cost their full
    normalization again. For a benchmark that measures a cold process (a fresh ``cdp ingest``)
    after an earlier run in the same process, and for a long-lived process that wants the
    memory back.
    """
    for memo in _MEMOS:
        memo._results.clear()
    _clear_normalize_caches()


_COUNTRY = _Memo(normalize_country, "format")
_PHONE = _Memo(normalize_phone, "default_region", "format")
_EMAIL = _Memo(normalize_email)
_FIRST = _Memo(partial(display_name, field="first_name"))
_LAST = _Memo(partial(display_name, field="last_name"))
_FULL = _Memo(partial(display_name, field="full_name"))
_SPLIT = _Memo(split_full_name, "format")
_BIRTH = _Memo(partial(parse_date, field="birth_date"), "format", "not_after")
_STREET = _Memo(partial(normalize_text, field="street"))
_POSTCODE = _Memo(normalize_postcode, "country")
_CITY = _Memo(partial(normalize_text, field="city"))
_COMPANY = _Memo(partial(normalize_text, field="company"))
_FIRST_KEY = _Memo(partial(fold_name, field="first_name"))
_LAST_KEY = _Memo(partial(fold_name, field="last_name"))
_STREET_KEY = _Memo(street_match_key)
_CITY_KEY = _Memo(city_match_key)


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

        country = _COUNTRY(sink, get("country"), fmts.get("country", "auto"))
        region = country if country and country in phonenumbers.SUPPORTED_REGIONS else None
        phone = _PHONE(sink, get("phone"), region or default_region, fmts.get("phone", "auto"))
        email = _EMAIL(sink, get("email"))
        first = _FIRST(sink, get("first_name"))
        last = _LAST(sink, get("last_name"))
        full = _FULL(sink, get("full_name"))
        if full is not None and (first is None or last is None):
            split = _SPLIT(sink, get("full_name"), fmts.get("full_name", "auto"))
            if split is not None:
                first, last = _fill_from_split(first, last, split)
        birth_raw = get("birth_date")
        birth = None
        if birth_raw is not None:
            today = datetime.now(UTC).date()
            birth = _BIRTH(sink, birth_raw, fmts.get("birth_date", "auto"), today)
        street = _STREET(sink, get("street"))
        postcode = _POSTCODE(sink, get("postcode"), country)
        city = _CITY(sink, get("city"))
        company = _COMPANY(sink, get("company"))

        # Keys of normalized values. Only a value whose letters all fold away (a street of
        # punctuation, a name of modifier letters) fails here; it is dropped with its display.
        first_key = _FIRST_KEY(sink, first)
        last_key = _LAST_KEY(sink, last)
        street_key = _STREET_KEY(sink, street)
        city_key = _CITY_KEY(sink, city)
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

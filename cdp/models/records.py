"""One record of a CRM/ERP-style source, mapped onto the canonical model.

:func:`map_record` turns a raw row (a CSV line, a JSON object, a Parquet row, the ``after``
image of a change event) into a :class:`SourceRecord` using the source's configuration
(:class:`cdp.config.SourceConfig`):

* The record id comes from the ``record_id`` column; missing or blank rejects the row
  (``missing_field``). Numbers are accepted (``1234.0`` reads as ``1234``).
* ``updated_at`` (the record's version) is parsed with the mapping's timestamp format; a bad
  value is a field issue and leaves the version empty.
* The ``deleted`` column holds a delete flag. Flags, also the consent columns, are read as
  booleans: ``true/false``, ``1/0``, ``yes/no``, ``y/n``, ``t/f``, ``on/off``, ``ja/j/nein``,
  ``x`` (set) and empty (unset), case-insensitive; anything else is a field issue.
* Identity fields go through :meth:`IdentityFields.from_raw` with the source's formats and
  ``default_region``. A row without a usable identity (see ``has_identity``) is rejected
  (``missing_identity``), unless it is a delete: a delete only needs its id.
* Every column the configuration does not map is kept in ``attributes``: nothing is lost.
* ``consent`` holds, per purpose, the parsed flag of its consent column *as it is in the
  source* (``HasOptedOutOfEmail: true`` is ``True``); what a value states follows from the
  column's ``true_means`` (:func:`consent_status_from_flag`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from cdp.models._json import canonical_json
from cdp.models.errors import FieldIssue, InvalidInputError
from cdp.models.identity import IDENTITY_COLUMNS, IdentityFields
from cdp.models.normalize import parse_timestamp

if TYPE_CHECKING:  # cdp.config imports cdp.models.fields: import it lazily to avoid a cycle
    from cdp.config import SourceConfig

__all__ = [
    "IDENTITY_RECORD_COLUMNS",
    "SourceRecord",
    "consent_status_from_flag",
    "map_record",
    "parse_flag",
]

logger = logging.getLogger(__name__)

#: Columns of :meth:`SourceRecord.to_identity_row` (the ``identity_records`` table), in order.
IDENTITY_RECORD_COLUMNS: Final[tuple[str, ...]] = (
    "source",
    "source_record_id",
    "updated_at",
    "deleted",
    *IDENTITY_COLUMNS,
    "user_id",
    "anonymous_id",
    "attributes",
)

_TRUE: Final = frozenset({"true", "t", "1", "yes", "y", "x", "ja", "j", "on"})
_FALSE: Final = frozenset({"false", "f", "0", "no", "n", "nein", "off"})


def parse_flag(value: object, *, field: str = "flag") -> bool | None:
    """A boolean flag as CSV and ERP exports write it; None when empty.

    Raises :class:`InvalidInputError` (``bad_format``) for anything else.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return None
        if value in (0, 1):
            return bool(value)
        raise InvalidInputError(field, "not a boolean flag", error_type="bad_format")
    if isinstance(value, str):
        text = value.strip().lower()
        if not text:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise InvalidInputError(field, "not a boolean flag", error_type="bad_format")


def consent_status_from_flag(
    flag: bool | None, *, true_means: Literal["granted", "denied"]
) -> Literal["granted", "denied"] | None:
    """What a consent column's flag states: ``true_means`` when set, nothing otherwise.

    A false opt-out flag is not a grant (and a false opt-in flag not a denial).
    """
    return true_means if flag else None


class SourceRecord(BaseModel):
    """A validated, mapped record of one source (one row of ``identity_records``)."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    source: str
    source_record_id: str
    updated_at: datetime | None = None
    deleted: bool = False
    identity: IdentityFields = Field(default_factory=IdentityFields)
    attributes: dict[str, Any] = Field(default_factory=dict)
    consent: dict[str, bool | None] = Field(default_factory=dict)
    issues: list[FieldIssue] = Field(default_factory=list)
    #: set for identities that come from the web (Segment ``identify``); None for CRM/ERP
    user_id: str | None = None
    anonymous_id: str | None = None

    def to_identity_row(self) -> dict[str, Any]:
        """Flat row for the ``identity_records`` table (:data:`IDENTITY_RECORD_COLUMNS`)."""
        row: dict[str, Any] = {
            "source": self.source,
            "source_record_id": self.source_record_id,
            "updated_at": self.updated_at,
            "deleted": self.deleted,
        }
        row.update(self.identity.to_row())
        row["user_id"] = self.user_id
        row["anonymous_id"] = self.anonymous_id
        row["attributes"] = canonical_json(self.attributes)
        return row


def _record_id(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    if isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


class _Plan:
    """What map_record needs from a source config, computed once per config object."""

    __slots__ = ("consent", "fields", "formats", "source", "used")

    def __init__(self, source: SourceConfig) -> None:
        self.source = source
        self.fields = tuple((name, m.column) for name, m in source.fields.items())
        self.formats = {name: m.format for name, m in source.fields.items() if m.format != "auto"}
        self.consent = tuple(
            (purpose, c.column, f"consent.{purpose}") for purpose, c in source.consent.items()
        )
        used = {m.column for m in source.fields.values()}
        used.update(c.column for c in source.consent.values())
        if source.record_id:
            used.add(source.record_id)
        if source.updated_at is not None:
            used.add(source.updated_at.column)
        if source.deleted:
            used.add(source.deleted)
        self.used = frozenset(used)


_PLANS: dict[int, _Plan] = {}


def _plan(source: SourceConfig) -> _Plan:
    plan = _PLANS.get(id(source))
    if plan is None or plan.source is not source:
        if len(_PLANS) > 256:
            _PLANS.clear()
        plan = _PLANS[id(source)] = _Plan(source)
    return plan


def map_record(
    row: Mapping[str, Any], source: SourceConfig, *, strict: bool = False
) -> SourceRecord:
    """Map one raw row of ``source`` onto a :class:`SourceRecord` (see the module docs).

    Raises :class:`InvalidInputError`: ``missing_field`` (no record id), ``missing_identity``
    (nothing to identify a person by, and not a delete), and when ``strict`` ``bad_format``
    for the first field that fails to normalize.
    """
    id_column = source.record_id
    if not id_column:
        raise InvalidInputError(
            "record_id", f"source {source.name} names no record_id column", error_type="schema"
        )
    record_id = _record_id(row.get(id_column))
    if record_id is None:
        # a record without the key at all: a CSV file without the column (its delimiter?)
        problem = "missing record id" if id_column in row else f"no {id_column} in the record"
        raise InvalidInputError(id_column, problem, error_type="missing_field")

    plan = _plan(source)
    issues: list[FieldIssue] = []

    updated_at = None
    if source.updated_at is not None:
        try:
            updated_at = parse_timestamp(
                row.get(source.updated_at.column),
                format=source.updated_at.format,
                field="updated_at",
            )
        except InvalidInputError as e:
            if strict:
                raise
            issues.append(e.to_issue())

    deleted = False
    if source.deleted:
        try:
            deleted = bool(parse_flag(row.get(source.deleted), field="deleted"))
        except InvalidInputError as e:
            if strict:
                raise
            issues.append(e.to_issue())

    get = row.get
    identity, identity_issues = IdentityFields.from_raw(
        {name: get(column) for name, column in plan.fields},
        formats=plan.formats,
        default_region=source.default_region,
        strict=strict,
    )
    issues.extend(identity_issues)

    consent: dict[str, bool | None] = {}
    for purpose, column, field in plan.consent:
        try:
            consent[purpose] = parse_flag(get(column), field=field)
        except InvalidInputError as e:
            if strict:
                raise
            issues.append(e.to_issue())
            consent[purpose] = None

    if not deleted and not identity.has_identity:
        raise InvalidInputError(
            None,
            "no usable identity (needs an email, a phone, or a last name with a first name, "
            "birth date or street)",
            error_type="missing_identity",
        )

    used = plan.used
    attributes = {k if type(k) is str else str(k): v for k, v in row.items() if k not in used}
    if issues:
        logger.debug(
            "source %s record has %d field issue(s): %s",
            source.name,
            len(issues),
            ", ".join(i.field for i in issues),
        )
    return SourceRecord(
        source=source.name,
        source_record_id=record_id,
        updated_at=updated_at,
        deleted=deleted,
        identity=identity,
        attributes=attributes,
        consent=consent,
        issues=issues,
        user_id=None,
        anonymous_id=None,
    )

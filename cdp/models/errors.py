"""Errors of the canonical models.

Privacy rule: no message built here or by the callers of these classes contains the offending
personal value. An error names the *field* and the *reason* (``phone: not a valid number for
region DE``), never the number. Pydantic's own error messages are converted with
:meth:`InvalidInputError.from_validation_error`, which keeps the location and the message but
drops the input.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from cdp.errors import CdpError

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = [
    "ERROR_TYPES",
    "ErrorType",
    "FieldIssue",
    "InvalidInputError",
    "ModelError",
]

logger = logging.getLogger(__name__)

#: Typed reason of a rejected input, as written to the ``quarantine`` table's ``error_type``.
ErrorType = Literal[
    "bad_json",
    "schema",
    "missing_identity",
    "oversize",
    "bad_format",
    "unknown_type",
    "missing_field",
]

ERROR_TYPES: tuple[str, ...] = get_args(ErrorType)

# Our validators raise PydanticCustomError with one of these as its type so that the converted
# error keeps it (missing_identity, bad_format, ...).
_OWN_ERROR_TYPES = frozenset(ERROR_TYPES)


class ModelError(CdpError):
    """Base class of every error raised by :mod:`cdp.models`."""


class InvalidInputError(ModelError):
    """An input (a field, a record or a message) was rejected.

    ``field`` names the offending field (a canonical field name, a source column or a dotted
    message location such as ``context.ip``), ``reason`` says what is wrong without repeating
    the value, and ``error_type`` is the typed reason stored in ``quarantine``.
    """

    field: str | None
    reason: str
    error_type: ErrorType

    def __init__(
        self,
        field: str | None = None,
        reason: str = "invalid value",
        *,
        error_type: ErrorType = "schema",
    ) -> None:
        if error_type not in _OWN_ERROR_TYPES:
            raise ValueError(f"unknown error_type {error_type!r}")
        self.field = field
        self.reason = reason
        self.error_type = error_type
        super().__init__(f"{field}: {reason}" if field else reason)

    def __reduce__(self) -> tuple[object, ...]:
        # keep error_type across pickling (process pools, Bytewax workers)
        return (_rebuild_invalid_input, (self.field, self.reason, self.error_type))

    def __repr__(self) -> str:
        return (
            f"InvalidInputError(field={self.field!r}, reason={self.reason!r}, "
            f"error_type={self.error_type!r})"
        )

    def to_issue(self) -> FieldIssue:
        """The same problem as a :class:`FieldIssue` (for lenient parsing)."""
        return FieldIssue(self.field or "", self.reason)

    @classmethod
    def from_validation_error(
        cls,
        exc: ValidationError,
        *,
        error_type: ErrorType = "schema",
        prefix: str | None = None,
    ) -> InvalidInputError:
        """Convert pydantic's first error, naming its location but never its input value.

        Errors raised by our validators as ``PydanticCustomError`` whose type is one of
        :data:`ErrorType` keep that type (``missing_identity`` for instance).
        """
        details = exc.errors(include_url=False, include_input=False, include_context=False)
        if not details:  # pragma: no cover - pydantic never raises an empty error
            return cls(prefix, "invalid", error_type=error_type)
        first = details[0]
        parts = [str(p) for p in first["loc"] if not str(p).startswith("function-")]
        if prefix:
            parts.insert(0, prefix)
        field = ".".join(parts) or None
        kind = first["type"]
        if kind == "missing":
            reason = "required"
        elif kind == "extra_forbidden":
            reason = "unknown field"
        else:
            reason = first["msg"].removeprefix("Value error, ")
        found_type: ErrorType = kind if kind in _OWN_ERROR_TYPES else error_type  # type: ignore[assignment]
        more = len(details) - 1
        if more:
            reason += f" (and {more} more problem{'s' if more > 1 else ''})"
        return cls(field, reason, error_type=found_type)


def _rebuild_invalid_input(
    field: str | None, reason: str, error_type: ErrorType
) -> InvalidInputError:
    return InvalidInputError(field, reason, error_type=error_type)


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """A field-level problem that does not reject the record (the field is dropped instead).

    Like errors, an issue names the field and the reason, never the value.
    """

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason

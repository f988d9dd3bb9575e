"""Segment-spec messages (identify, track, page, screen, group, alias, batch).

The models follow the Segment spec (https://segment.com/docs/connections/spec/common/) so that
real Segment and RudderStack SDKs can send unchanged:

* Wire names are camelCase (``messageId``, ``userId``, ``sentAt``); attributes are snake_case
  (``message_id``); both spellings are accepted on input, dumps use the wire names.
* Keys the spec does not name are allowed and preserved (``model_extra``, and in dumps).
* ``userId`` or ``anonymousId`` is required (``missing_identity``); an ``alias`` needs
  ``userId`` and ``previousId`` (``missing_identity``). Ids may arrive as numbers and become
  strings (``42`` -> ``"42"``, ``42.0`` -> ``"42"``); blank strings count as missing; booleans
  and objects are rejected.
* ``track`` needs a non-blank ``event``, ``group`` a ``groupId``.
* ``timestamp``, ``originalTimestamp``, ``sentAt``, ``receivedAt`` are parsed to UTC
  (:func:`~cdp.models.normalize.parse_timestamp`: ISO 8601, epoch numbers).
* ``context``, ``integrations``, ``traits`` and ``properties`` must be objects; ``null`` reads
  as ``{}``.

:func:`parse_message` validates one message (the route's type may be given as ``type_hint``;
a body whose ``type`` disagrees is rejected) and :func:`split_batch` one batch, whose
``context`` and ``integrations`` are merged into each item (item keys win) and whose
``sentAt`` and ``writeKey`` apply to items without their own; an invalid item does not sink
the batch. Errors are :class:`~cdp.models.errors.InvalidInputError` naming the field, never
the value.

:func:`identity_from_traits` maps Segment's reserved traits
(https://segment.com/docs/connections/spec/identify/#traits) onto canonical identity fields.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Final, Literal, TypeAlias

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cdp.models.errors import InvalidInputError
from cdp.models.normalize import parse_timestamp

__all__ = [
    "MAX_BATCH_ITEMS",
    "MESSAGE_TYPES",
    "SHORT_TYPES",
    "Alias",
    "BaseMessage",
    "Batch",
    "Group",
    "Identify",
    "Message",
    "Page",
    "Screen",
    "Track",
    "identity_from_traits",
    "merge_batch_item",
    "parse_message",
    "split_batch",
]

logger = logging.getLogger(__name__)

MESSAGE_TYPES: Final[tuple[str, ...]] = ("identify", "track", "page", "screen", "group", "alias")
#: The browser short paths of the tracking API (``/v1/t``) and their message types.
SHORT_TYPES: Final[dict[str, str]] = {t[0]: t for t in MESSAGE_TYPES}
#: Most messages one batch may hold (the Segment HTTP API's limit).
MAX_BATCH_ITEMS: Final = 2500


def _coerce_id(value: Any) -> str | None:
    """Ids may come as numbers; blank means missing."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        raise PydanticCustomError("schema", "must be a string or a number, not a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("schema", "must be a finite number")
        return str(int(value)) if value.is_integer() else repr(value)
    raise PydanticCustomError("schema", "must be a string or a number")


def _require_id(value: Any) -> str:
    found = _coerce_id(value)
    if found is None:
        raise PydanticCustomError("schema", "must not be blank")
    return found


def _require_text(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise PydanticCustomError("schema", "must not be blank")
    return value


def _coerce_timestamp(value: Any) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_timestamp(value)
    except InvalidInputError as e:
        raise PydanticCustomError("schema", e.reason) from None


def _coerce_object(value: Any) -> Any:
    return {} if value is None else value


def _coerce_optional_text(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


_Id = Annotated[str | None, BeforeValidator(_coerce_id)]
_RequiredId = Annotated[str, BeforeValidator(_require_id)]
_RequiredText = Annotated[str, BeforeValidator(_require_text)]
_Timestamp = Annotated[datetime | None, BeforeValidator(_coerce_timestamp)]
_Object = Annotated[dict[str, Any], BeforeValidator(_coerce_object)]
_Text = Annotated[str | None, BeforeValidator(_coerce_optional_text)]

_CONFIG: Final = ConfigDict(
    extra="allow",
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
    hide_input_in_errors=True,
)


class BaseMessage(BaseModel):
    """Fields common to every Segment message."""

    model_config = _CONFIG

    type: str
    message_id: _Id = Field(default=None, alias="messageId")
    timestamp: _Timestamp = None
    original_timestamp: _Timestamp = Field(default=None, alias="originalTimestamp")
    sent_at: _Timestamp = Field(default=None, alias="sentAt")
    received_at: _Timestamp = Field(default=None, alias="receivedAt")
    user_id: _Id = Field(default=None, alias="userId")
    anonymous_id: _Id = Field(default=None, alias="anonymousId")
    context: _Object = Field(default_factory=dict)
    integrations: _Object = Field(default_factory=dict)
    version: int | str | None = None
    channel: str | None = None
    write_key: str | None = Field(default=None, alias="writeKey")

    @model_validator(mode="after")
    def _check_identity(self) -> BaseMessage:
        if not (self.user_id or self.anonymous_id):
            raise PydanticCustomError("missing_identity", "userId or anonymousId is required")
        return self

    @property
    def identity_key(self) -> str:
        """The web identity key: ``userId`` when present, else ``anonymousId``."""
        return self.user_id or self.anonymous_id or ""

    def to_wire(self) -> dict[str, Any]:
        """The message as JSON-ready data with wire names (None values left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Identify(BaseMessage):
    """``identify``: who the user is, with traits."""

    type: Literal["identify"] = "identify"
    traits: _Object = Field(default_factory=dict)


class Track(BaseMessage):
    """``track``: an action the user performed, with properties."""

    type: Literal["track"] = "track"
    event: _RequiredText
    properties: _Object = Field(default_factory=dict)


class Page(BaseMessage):
    """``page``: a web page view."""

    type: Literal["page"] = "page"
    name: _Text = None
    category: _Text = None
    properties: _Object = Field(default_factory=dict)


class Screen(BaseMessage):
    """``screen``: a mobile screen view."""

    type: Literal["screen"] = "screen"
    name: _Text = None
    category: _Text = None
    properties: _Object = Field(default_factory=dict)


class Group(BaseMessage):
    """``group``: the user belongs to a group (account, company), with the group's traits."""

    type: Literal["group"] = "group"
    group_id: _RequiredId = Field(alias="groupId")
    traits: _Object = Field(default_factory=dict)


class Alias(BaseMessage):
    """``alias``: ``previousId`` and ``userId`` are the same person."""

    type: Literal["alias"] = "alias"
    previous_id: _Id = Field(default=None, alias="previousId")

    @model_validator(mode="after")
    def _check_alias(self) -> Alias:
        if not self.user_id or not self.previous_id:
            raise PydanticCustomError("missing_identity", "alias needs userId and previousId")
        return self


Message: TypeAlias = Identify | Track | Page | Screen | Group | Alias

_MODELS: Final[dict[str, type[Identify | Track | Page | Screen | Group | Alias]]] = {
    "identify": Identify,
    "track": Track,
    "page": Page,
    "screen": Screen,
    "group": Group,
    "alias": Alias,
}


class Batch(BaseModel):
    """A ``/v1/batch`` body. Items stay raw here; :func:`split_batch` validates them."""

    model_config = _CONFIG

    batch: list[Any]
    context: _Object = Field(default_factory=dict)
    integrations: _Object = Field(default_factory=dict)
    sent_at: _Timestamp = Field(default=None, alias="sentAt")
    write_key: str | None = Field(default=None, alias="writeKey")


def _message_type(obj: Mapping[str, Any], type_hint: str | None) -> str:
    raw = obj.get("type")
    if raw is not None and not isinstance(raw, str):
        raise InvalidInputError("type", "unknown message type", error_type="unknown_type")
    found = raw.strip().lower() if raw is not None else None
    if type_hint is not None:
        hint = SHORT_TYPES.get(type_hint, type_hint)
        if hint not in _MODELS:
            raise InvalidInputError("type", "unknown message type", error_type="unknown_type")
        if found not in (None, "", hint):
            raise InvalidInputError(
                "type", f"does not match the route ({hint})", error_type="schema"
            )
        return hint
    if not found:
        raise InvalidInputError("type", "required", error_type="schema")
    if found not in _MODELS:
        raise InvalidInputError("type", "unknown message type", error_type="unknown_type")
    return found


def parse_message(obj: Mapping[str, Any], *, type_hint: str | None = None) -> Message:
    """Validate one message (see the module documentation).

    Raises :class:`InvalidInputError` with ``error_type`` ``schema``, ``unknown_type`` or
    ``missing_identity``.
    """
    if not isinstance(obj, Mapping):
        raise InvalidInputError(None, "a message must be a JSON object", error_type="schema")
    msg_type = _message_type(obj, type_hint)
    data = dict(obj)
    data["type"] = msg_type
    try:
        return _MODELS[msg_type].model_validate(data)
    except ValidationError as e:
        raise InvalidInputError.from_validation_error(e) from None


def merge_batch_item(batch: Mapping[str, Any], item: Mapping[str, Any]) -> dict[str, Any]:
    """One item of a batch with the batch-level values applied (the item's own keys win).

    ``context`` and ``integrations`` are merged key by key; ``sentAt`` and ``writeKey`` fill an
    item that lacks them. The one definition of this rule: the ingest fast path uses it too.
    """
    merged = dict(item)
    if "context" in batch:
        merged["context"] = _merge_object(batch.get("context"), item.get("context"))
    if "integrations" in batch:
        merged["integrations"] = _merge_object(batch.get("integrations"), item.get("integrations"))
    for key in ("sentAt", "writeKey"):
        value = batch.get(key)
        if value not in (None, "") and merged.get(key) in (None, ""):
            merged[key] = value
    return merged


def _merge_object(batch_value: Any, item_value: Any) -> Any:
    if not isinstance(batch_value, Mapping) or not batch_value:
        return item_value
    if item_value is None:
        return dict(batch_value)
    if isinstance(item_value, Mapping):
        return {**batch_value, **item_value}
    return item_value  # not an object: let validation reject it


def split_batch(
    obj: Mapping[str, Any],
) -> tuple[list[Message], list[tuple[int, dict[str, Any], InvalidInputError]]]:
    """Validate a batch body item by item: ``(messages, [(index, item, error), ...])``.

    The batch's ``context`` and ``integrations`` are merged into each item (item keys win),
    its ``sentAt`` and ``writeKey`` go to items without their own. A failing item is
    returned with its index, the item as received (a non-object item as ``{"value": item}``)
    and the error. Raises :class:`InvalidInputError` when the body itself is not a batch
    (``schema``) or holds more than :data:`MAX_BATCH_ITEMS` items (``oversize``).
    """
    if not isinstance(obj, Mapping):
        raise InvalidInputError(None, "a batch must be a JSON object", error_type="schema")
    items = obj.get("batch")
    if not isinstance(items, list):
        raise InvalidInputError("batch", "must be a list of messages", error_type="schema")
    if len(items) > MAX_BATCH_ITEMS:
        raise InvalidInputError(
            "batch", f"more than {MAX_BATCH_ITEMS} messages", error_type="oversize"
        )

    messages: list[Message] = []
    failed: list[tuple[int, dict[str, Any], InvalidInputError]] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            error = InvalidInputError(
                f"batch.{index}", "a message must be a JSON object", error_type="schema"
            )
            failed.append((index, {"value": item}, error))
            continue
        merged = merge_batch_item(obj, item)
        try:
            messages.append(parse_message(merged))
        except InvalidInputError as e:
            failed.append((index, dict(item), e))
    if failed:
        logger.debug("batch: %d of %d messages rejected", len(failed), len(items))
    return messages, failed


_TRAIT_FIELDS: Final = (
    (("firstName", "first_name"), "first_name"),
    (("lastName", "last_name"), "last_name"),
    (("name",), "full_name"),
    (("email",), "email"),
    (("phone",), "phone"),
    (("birthday",), "birth_date"),
)
_ADDRESS_FIELDS: Final = (
    (("street",), "street"),
    (("postalCode", "postal_code"), "postcode"),
    (("city",), "city"),
    (("country",), "country"),
)


def _first_present(source: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = source.get(key)
        if value is not None:
            return value
    return None


def identity_from_traits(traits: Mapping[str, Any]) -> dict[str, object]:
    """Raw canonical identity values from Segment reserved traits (input to ``from_raw``).

    ``firstName``/``first_name``, ``lastName``/``last_name``, ``name`` (full name), ``email``,
    ``phone``, ``birthday``, ``address.street``, ``address.postalCode``/``postal_code``,
    ``address.city``, ``address.country``, ``company`` (a string or ``{name: ...}``). Absent
    and null traits are left out; values are not normalized here.
    """
    raw: dict[str, object] = {}
    for keys, field in _TRAIT_FIELDS:
        value = _first_present(traits, keys)
        if value is not None:
            raw[field] = value
    address = traits.get("address")
    if isinstance(address, Mapping):
        for keys, field in _ADDRESS_FIELDS:
            value = _first_present(address, keys)
            if value is not None:
                raw[field] = value
    company = traits.get("company")
    if isinstance(company, Mapping):
        company = company.get("name")
    if isinstance(company, str):
        raw["company"] = company
    return raw

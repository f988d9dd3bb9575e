"""Canonical models: the single source of truth for validating everything the product ingests.

* :mod:`cdp.models.fields` - canonical identity field names and the formats they accept
* :mod:`cdp.models.errors` - :class:`InvalidInputError` (field, reason, typed error) and issues
* :mod:`cdp.models.normalize` - plain normalization functions (emails, phones, names, dates…)
* :mod:`cdp.models.identity` - :class:`IdentityFields`, display fields plus match keys
  (:func:`clear_caches` forgets its memoized normalized values)
* :mod:`cdp.models.records` - :class:`SourceRecord` and :func:`map_record` for CRM/ERP rows
* :mod:`cdp.models.messages` - Segment-spec messages, :func:`parse_message`, :func:`split_batch`
* :mod:`cdp.models.events` - :class:`UnifiedEvent`, one row of the ``events`` table
* :mod:`cdp.models.consent` - :class:`ConsentStatement` and ``type:value`` identifiers
"""

from __future__ import annotations

from cdp.models.consent import (
    CONSENT_METHODS,
    CONSENT_STATUSES,
    IDENTIFIER_TYPES,
    ConsentMethod,
    ConsentStatement,
    ConsentStatus,
    parse_consent_statement,
    parse_identifier,
)
from cdp.models.errors import ERROR_TYPES, ErrorType, FieldIssue, InvalidInputError, ModelError
from cdp.models.events import (
    EVENT_COLUMNS,
    EVENT_TYPES,
    EventType,
    UnifiedEvent,
    event_from_message,
    event_from_record,
    record_event_id,
)
from cdp.models.fields import CANONICAL_FIELDS, DATE_FORMATS, FIELD_FORMATS, TIMESTAMP_FORMATS
from cdp.models.identity import IDENTITY_COLUMNS, IdentityFields, clear_caches
from cdp.models.messages import (
    MAX_BATCH_ITEMS,
    MESSAGE_TYPES,
    SHORT_TYPES,
    Alias,
    BaseMessage,
    Batch,
    Group,
    Identify,
    Message,
    Page,
    Screen,
    Track,
    identity_from_traits,
    parse_message,
    split_batch,
)
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
    parse_timestamp,
    postcode_match_key,
    split_full_name,
    street_match_key,
)
from cdp.models.records import (
    IDENTITY_RECORD_COLUMNS,
    SourceRecord,
    consent_status_from_flag,
    map_record,
    parse_flag,
)

__all__ = [
    "CANONICAL_FIELDS",
    "CONSENT_METHODS",
    "CONSENT_STATUSES",
    "DATE_FORMATS",
    "ERROR_TYPES",
    "EVENT_COLUMNS",
    "EVENT_TYPES",
    "FIELD_FORMATS",
    "IDENTIFIER_TYPES",
    "IDENTITY_COLUMNS",
    "IDENTITY_RECORD_COLUMNS",
    "MAX_BATCH_ITEMS",
    "MESSAGE_TYPES",
    "SHORT_TYPES",
    "TIMESTAMP_FORMATS",
    "Alias",
    "BaseMessage",
    "Batch",
    "ConsentMethod",
    "ConsentStatement",
    "ConsentStatus",
    "ErrorType",
    "EventType",
    "FieldIssue",
    "Group",
    "Identify",
    "IdentityFields",
    "InvalidInputError",
    "Message",
    "ModelError",
    "Page",
    "Screen",
    "SourceRecord",
    "Track",
    "UnifiedEvent",
    "city_match_key",
    "clear_caches",
    "consent_status_from_flag",
    "display_name",
    "email_match_key",
    "event_from_message",
    "event_from_record",
    "fold_name",
    "identity_from_traits",
    "map_record",
    "normalize_country",
    "normalize_email",
    "normalize_phone",
    "normalize_postcode",
    "normalize_text",
    "parse_consent_statement",
    "parse_date",
    "parse_flag",
    "parse_identifier",
    "parse_message",
    "parse_timestamp",
    "postcode_match_key",
    "record_event_id",
    "split_batch",
    "split_full_name",
    "street_match_key",
]

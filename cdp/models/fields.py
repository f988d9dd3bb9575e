"""Names of the canonical identity fields and of the source formats each one accepts.

This module is the single list both the configuration (``cdp.yaml`` field mappings) and the
canonical models validate against. It has no dependencies so that anything may import it.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CANONICAL_FIELDS",
    "DATE_FORMATS",
    "FIELD_FORMATS",
    "TIMESTAMP_FORMATS",
]

DATE_FORMATS: Final[tuple[str, ...]] = (
    "auto",  # try the formats below in order, ISO first
    "iso",  # YYYY-MM-DD (a time part is ignored)
    "yyyymmdd",  # 19840521 (SAP)
    "dd.mm.yyyy",  # 21.05.1984 (DACH)
    "dd/mm/yyyy",  # 21/05/1984 (UK, FR)
    "mm/dd/yyyy",  # 05/21/1984 (US)
)

#: Formats of a record's version timestamp (``updated_at`` in a source's config).
TIMESTAMP_FORMATS: Final[tuple[str, ...]] = (
    "auto",  # ISO 8601 (with or without zone, Salesforce's +0000), or yyyymmdd[hhmmss]
    "iso",
    "epoch_s",
    "epoch_ms",
    "yyyymmdd",
    "yyyymmddhhmmss",
)

#: Canonical identity field -> the ``format`` names a source mapping may give it.
FIELD_FORMATS: Final[dict[str, tuple[str, ...]]] = {
    "first_name": ("auto",),
    "last_name": ("auto",),
    # "Last, First" | "FIRST LAST" | "First Last": auto detects the comma form and upper-cased
    # surnames; first_last / last_first force an order for space-separated names.
    "full_name": ("auto", "first_last", "last_first"),
    "email": ("auto",),
    # auto: international when it starts with + or 00, else national in the record's country
    # (or the source's default_region); e164 insists on an international number.
    "phone": ("auto", "e164", "national"),
    "birth_date": DATE_FORMATS,
    "street": ("auto",),
    "postcode": ("auto",),
    "city": ("auto",),
    # auto accepts ISO 3166 alpha-2/alpha-3 codes and common English/German names.
    "country": ("auto", "iso2", "name"),
    "company": ("auto",),
}

CANONICAL_FIELDS: Final[tuple[str, ...]] = tuple(FIELD_FORMATS)

"""Vocabulary of the synthetic population: names, places, streets, companies, the web shop.

Plain data, parsed once at import. Every table is ordered (most frequent first where that
matters), so sampling from it with a seeded ``random.Random`` is deterministic.
"""

from __future__ import annotations

from cdp.synth._vocab.companies import COMPANY_STEMS, COMPANY_TRADES
from cdp.synth._vocab.countries import COUNTRIES, CountryInfo
from cdp.synth._vocab.first_names import COMPOUND_FIRST, FEMALE, MALE
from cdp.synth._vocab.nicknames import NICKNAMES, SIMILAR_NAMES
from cdp.synth._vocab.places import PLACES
from cdp.synth._vocab.streets import STREETS
from cdp.synth._vocab.surnames import SURNAMES
from cdp.synth._vocab.web import PRODUCTS, REFERRERS, SHOP_HOST, USER_AGENTS

__all__ = [
    "COMPANY_STEMS",
    "COMPANY_TRADES",
    "COMPOUND_FIRST",
    "COUNTRIES",
    "FEMALE",
    "MALE",
    "NICKNAMES",
    "PLACES",
    "PRODUCTS",
    "REFERRERS",
    "SHOP_HOST",
    "SIMILAR_NAMES",
    "STREETS",
    "SURNAMES",
    "USER_AGENTS",
    "CountryInfo",
]

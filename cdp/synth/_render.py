"""How one person shows up in one record: the noisy name, address and e-mail a source holds."""

from __future__ import annotations

import random
from dataclasses import dataclass

from cdp.synth._addresses import Address, street_line
from cdp.synth._noise import (
    abbreviate_street,
    ascii_fold,
    compound_variant,
    email_variant,
    nickname,
    typo,
)
from cdp.synth._options import GenerateOptions
from cdp.synth._people import Person

__all__ = ["RecordStyle", "city_text", "email_for", "names", "record_address", "street_text"]


@dataclass(frozen=True, slots=True)
class RecordStyle:
    """Per-record decisions shared by several fields."""

    ascii: bool  # the system stores ASCII only (ü -> ue)
    german_rule: bool  # ü -> ue rather than ü -> u

    @classmethod
    def draw(
        cls, p: Person, rng: random.Random, o: GenerateOptions, factor: float = 1.0
    ) -> RecordStyle:
        ascii_only = rng.random() < o.transliteration * factor
        return cls(ascii=ascii_only, german_rule=p.german and rng.random() < 0.85)


def _fold(value: str, style: RecordStyle) -> str:
    return ascii_fold(value, german=style.german_rule) if style.ascii else value


def names(
    p: Person, rng: random.Random, o: GenerateOptions, style: RecordStyle, *, nick: float = 1.0
) -> tuple[str, str]:
    """(first, last) as typed into this record."""
    first, last = p.first, p.last
    if rng.random() < o.nickname * nick:
        first = nickname(first, rng) or first
    if ("-" in first or " " in first) and rng.random() < 0.35:
        first = compound_variant(first, rng)
    if "-" in last and rng.random() < 0.3:
        parts = last.split("-")
        last = rng.choice((parts[-1], parts[0], " ".join(parts)))
    if rng.random() < o.typo:
        first = typo(first, rng)
    if rng.random() < o.typo:
        last = typo(last, rng)
    return _fold(first, style), _fold(last, style)


def record_address(p: Person, source: str, rng: random.Random, *, stale: float = 0.0) -> Address:
    """The address this record holds: the old one in the source that never learnt of the move."""
    if p.old_address is not None and (p.old_address_in == source or rng.random() < stale):
        return p.old_address
    return p.address


def street_text(
    a: Address, rng: random.Random, o: GenerateOptions, style: RecordStyle, *, abbreviate: float
) -> str:
    street = a.street
    if rng.random() < abbreviate:
        street = abbreviate_street(street)
    if rng.random() < o.typo / 2:
        street = typo(street, rng)
    comma = a.country == "IT" and rng.random() < 0.3
    return _fold(street_line(street, a.number, a.unit, a.country, comma=comma), style)


def city_text(a: Address, rng: random.Random, o: GenerateOptions, style: RecordStyle) -> str:
    city = a.place.name
    if a.place.alt_names and rng.random() < 0.06:
        city = rng.choice(a.place.alt_names)
    elif rng.random() < o.typo / 3:
        city = typo(city, rng)
    return _fold(city, style)


def email_for(
    p: Person,
    source: str,
    rng: random.Random,
    o: GenerateOptions,
    *,
    work: float = 0.0,
    family: float = 0.25,
) -> str | None:
    """The address this record holds (work / family / personal; the old one where it lingers)."""
    email: str | None
    if p.work_email and rng.random() < work:
        email = p.work_email
    elif p.family_email and (p.email is None or rng.random() < family):
        email = p.family_email
    else:
        email = p.old_email if p.old_email_in == source and p.old_email else p.email
    if email and rng.random() < o.email_variant:
        email = email_variant(email, rng)
    return email

"""Places and postal addresses: which town, street and postcode, and how the line is written."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from cdp.synth._random import Weighted, zipf
from cdp.synth._vocab import PLACES, STREETS

__all__ = ["PLACES_BY_COUNTRY", "Address", "Place", "random_address", "street_line"]

_GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True, slots=True)
class Place:
    country: str
    name: str
    postcodes: tuple[str, ...]  # explicit codes, or GB outward codes
    area: str  # phone area spec (see _vocab.places)
    lang: str  # local language / culture (``en`` for GB and US)
    state: str  # US state, else ""
    alt_names: tuple[str, ...]


def _expand_postcodes(country: str, spec: str) -> tuple[str, ...]:
    if country == "GB":
        return tuple(spec.split())
    step = 1
    if "/" in spec:
        spec, s = spec.split("/")
        step = int(s)
    if "-" not in spec:
        return (spec,)
    lo, hi = spec.split("-")
    width = len(lo)
    return tuple(f"{n:0{width}d}" for n in range(int(lo), int(hi) + 1, step))


def _parse(country: str, text: str) -> tuple[Place, ...]:
    places = []
    for line in text.strip().splitlines():
        name, postcodes, area, lang, alts = (p.strip() for p in line.strip().split("|"))
        state = lang if country == "US" else ""
        places.append(
            Place(
                country=country,
                name=name,
                postcodes=_expand_postcodes(country, postcodes),
                area=area,
                lang="en" if country in ("US", "GB") else lang,
                state=state,
                alt_names=tuple(a.strip() for a in alts.split(",") if a.strip()),
            )
        )
    return tuple(places)


PLACES_BY_COUNTRY: Final[dict[str, Weighted[Place]]] = {
    country: zipf(_parse(country, text), s=0.9, offset=1.5) for country, text in PLACES.items()
}


@dataclass(frozen=True, slots=True)
class Address:
    street: str  # street name as written locally ("Bahnhofstrasse", "rue de la Paix")
    number: str  # "12", "12a", "12 bis"
    unit: str  # "Flat 3" / "Apt 4B" (GB, US), else ""
    postcode: str
    place: Place

    @property
    def city(self) -> str:
        return self.place.name

    @property
    def country(self) -> str:
        return self.place.country


def _street_pool(place: Place) -> str:
    c = place.country
    if c == "CH":
        return {"fr": "ch_fr", "it": "ch_it"}.get(place.lang, "ch")
    return {"DE": "de", "AT": "at", "FR": "fr", "IT": "it", "GB": "gb", "US": "us"}[c]


_STREET_POOLS: Final[dict[str, Weighted[str]]] = {
    key: zipf(
        [s.replace("strasse", "straße").replace("Strasse", "Straße") for s in names]
        if key in ("de", "at")
        else [s[:1].upper() + s[1:] for s in names]  # Swiss style: "Rue du Rhône 12"
        if key == "ch_fr"
        else list(names),
        s=0.8,
        offset=3.0,
    )
    for key, names in STREETS.items()
}


def _house_number(rng: random.Random, country: str) -> str:
    if country == "US":
        return str(rng.choice((rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 9999))))
    n = min(1 + int(rng.expovariate(1 / 16)), 240)
    x = rng.random()
    if country in ("CH", "DE", "AT") and x < 0.08:
        return f"{n}{rng.choice('abc')}"
    if country == "FR" and x < 0.05:
        return f"{n} bis"
    return str(n)


def _postcode(rng: random.Random, place: Place) -> str:
    code = rng.choice(place.postcodes)
    if place.country == "GB":
        letters = rng.choice(_GB_INWARD_LETTERS) + rng.choice(_GB_INWARD_LETTERS)
        return f"{code} {rng.randint(1, 9)}{letters}"
    return code


def random_address(rng: random.Random, country: str, place: Place | None = None) -> Address:
    """A plausible address in ``country`` (in ``place`` when given)."""
    if place is None:
        place = PLACES_BY_COUNTRY[country].pick(rng)
    unit = ""
    if country == "GB" and rng.random() < 0.15:
        unit = f"Flat {rng.randint(1, 24)}"
    elif country == "US" and rng.random() < 0.2:
        unit = f"Apt {rng.randint(1, 30)}{rng.choice(('', '', 'A', 'B', 'C'))}"
    return Address(
        street=_STREET_POOLS[_street_pool(place)].pick(rng),
        number=_house_number(rng, country),
        unit=unit,
        postcode=_postcode(rng, place),
        place=place,
    )


def street_line(street: str, number: str, unit: str, country: str, *, comma: bool = False) -> str:
    """The first address line in the country's order: "Bahnhofstrasse 12", "12 rue de la Paix"."""
    if country in ("FR", "GB", "US"):
        line = f"{number} {street}"
        if unit:
            line = f"{unit}, {line}" if country == "GB" else f"{line} {unit}"
        return line
    if comma:  # "Via Roma, 12" (Italy)
        return f"{street}, {number}"
    return f"{street} {number}"

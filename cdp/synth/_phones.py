"""Phone numbers that are valid in each country's numbering plan, and the ways people write them.

Numbers are drawn from real area codes and mobile prefixes with subscriber lengths the plan
allows (checked against ``phonenumbers`` in the tests), then written in national or international
form with the spacing habits of the country ("044 668 18 00", "030/1234567", "+49 (0)30 ...").
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from cdp.synth._random import Weighted

__all__ = ["DIAL", "Phone", "fmt_international", "fmt_national", "landline", "mobile"]

DIAL: Final[dict[str, str]] = {
    "CH": "41",
    "DE": "49",
    "AT": "43",
    "FR": "33",
    "IT": "39",
    "GB": "44",
    "US": "1",
}

_DIGITS = "0123456789"


@dataclass(frozen=True, slots=True)
class Phone:
    """One number: ``area`` + ``sub`` is the national significant number (Italian areas keep 0)."""

    country: str
    area: str
    sub: str
    mobile: bool

    @property
    def e164(self) -> str:
        return f"+{DIAL[self.country]}{self.area}{self.sub}"


def _digits(rng: random.Random, n: int, first: str = _DIGITS) -> str:
    if n <= 0:
        return ""
    return rng.choice(first) + "".join(rng.choices(_DIGITS, k=n - 1))


def _pick_len(rng: random.Random, options: tuple[tuple[int, float], ...]) -> int:
    x = rng.random()
    for n, p in options:
        x -= p
        if x < 0:
            return n
    return options[-1][0]


_DE_LEN = {
    2: ((8, 0.6), (7, 0.4)),
    3: ((7, 0.7), (6, 0.2), (8, 0.1)),
    4: ((6, 0.6), (7, 0.2), (5, 0.2)),
    5: ((5, 0.7), (6, 0.3)),
}
_AT_LEN = {
    1: ((7, 0.6), (6, 0.2), (8, 0.2)),
    3: ((6, 0.6), (5, 0.3), (7, 0.1)),
    4: ((5, 0.5), (6, 0.4), (4, 0.1)),
}
_IT_LEN = {2: ((8, 0.7), (7, 0.3)), 3: ((7, 0.7), (6, 0.3)), 4: ((6, 0.8), (5, 0.2))}
_FR_FIRST = {"1": "123456789", "2": "12345789", "3": "123456789", "4": "123456789", "5": "12345678"}
_US_BAD_EXCHANGES = frozenset({"555", "950", "958", "959", "976"})


def landline(rng: random.Random, country: str, area_spec: str) -> Phone:
    """A fixed-line number in the area of a place (``area_spec`` as in ``_vocab.places``)."""
    if country == "CH":
        return Phone(country, area_spec, _digits(rng, 7, "23456789"), False)
    if country == "DE":
        n = _pick_len(rng, _DE_LEN[len(area_spec)])
        return Phone(country, area_spec, _digits(rng, n, "23456789"), False)
    if country == "AT":
        n = _pick_len(rng, _AT_LEN[len(area_spec)])
        return Phone(country, area_spec, _digits(rng, n, "23456789"), False)
    if country == "FR":
        return Phone(country, area_spec, _digits(rng, 8, _FR_FIRST[area_spec]), False)
    if country == "IT":
        n = _pick_len(rng, _IT_LEN[len(area_spec)])
        return Phone(country, area_spec, _digits(rng, n, "23456789"), False)
    if country == "GB":
        area, length, prefixes = area_spec.split(":")
        prefix = rng.choice(prefixes.split())
        return Phone(country, area, prefix + _digits(rng, int(length) - len(prefix)), False)
    if country == "US":
        return _us(rng, rng.choice(area_spec.split()), mobile=False)
    raise ValueError(f"no numbering plan for {country}")


def _us(rng: random.Random, area: str, *, mobile: bool) -> Phone:
    while True:
        exchange = _digits(rng, 3, "23456789")
        if exchange[1:] != "11" and exchange not in _US_BAD_EXCHANGES:
            return Phone("US", area, exchange + _digits(rng, 4), mobile)


_MOBILE: Final[dict[str, Weighted[tuple[str, int]]]] = {
    "CH": Weighted([("79", 7), ("78", 7), ("76", 7), ("77", 7), ("75", 7)], [30, 20, 25, 15, 10]),
    "DE": Weighted(
        [
            ("151", 8),
            ("152", 8),
            ("157", 8),
            ("159", 8),
            ("160", 8),
            ("162", 7),
            ("163", 7),
            ("170", 7),
            ("171", 7),
            ("172", 8),
            ("173", 8),
            ("174", 8),
            ("175", 7),
            ("176", 8),
            ("177", 8),
            ("178", 8),
            ("179", 8),
        ],
        [12, 8, 5, 5, 7, 5, 3, 6, 6, 8, 5, 4, 6, 7, 5, 4, 5],
    ),
    "AT": Weighted(
        [
            ("664", 7),
            ("650", 7),
            ("660", 7),
            ("676", 7),
            ("699", 8),
            ("680", 7),
            ("681", 8),
            ("688", 7),
        ],
        [25, 15, 15, 15, 10, 8, 6, 6],
    ),
    "FR": Weighted(
        [("6", 8), ("7", 8)],
        [80, 20],
    ),
    "IT": Weighted(
        [
            (p, 7)
            for p in (
                "320",
                "324",
                "328",
                "329",
                "330",
                "333",
                "334",
                "335",
                "338",
                "339",
                "340",
                "342",
                "345",
                "346",
                "347",
                "348",
                "349",
                "366",
                "380",
                "388",
                "389",
                "391",
                "392",
                "393",
            )
        ],
        [1.0] * 24,
    ),
    "GB": Weighted(
        [
            (p, 6)
            for p in (
                "7400",
                "7412",
                "7440",
                "7450",
                "7500",
                "7534",
                "7590",
                "7711",
                "7723",
                "7766",
                "7787",
                "7801",
                "7824",
                "7840",
                "7903",
                "7930",
                "7951",
                "7976",
                "7980",
            )
        ],
        [1.0] * 19,
    ),
}
_FR_MOBILE_FIRST = {"6": "01245678", "7": "3456789"}


def mobile(rng: random.Random, country: str, area_spec: str) -> Phone:
    """A mobile number (in the US, mobiles share the geographic area codes)."""
    if country == "US":
        return _us(rng, rng.choice(area_spec.split()), mobile=True)
    prefix, length = _MOBILE[country].pick(rng)
    first = _FR_MOBILE_FIRST[prefix] if country == "FR" else _DIGITS
    return Phone(country, prefix, _digits(rng, length, first), True)


# -- writing numbers ---------------------------------------------------------------------------


def _groups(s: str, sizes: tuple[int, ...]) -> str:
    out, i = [], 0
    for n in sizes:
        if i >= len(s):
            break
        out.append(s[i : i + n])
        i += n
    if i < len(s):
        out[-1] += s[i:]
    return " ".join(out)


def _spaced(p: Phone) -> tuple[str, str]:
    """(area, subscriber) with the country's usual grouping, area without trunk prefix."""
    c, a, s = p.country, p.area, p.sub
    if c == "CH":
        return a, _groups(s, (3, 2, 2))
    if c == "FR":
        return a, _groups(s, (2, 2, 2, 2))
    if c == "IT":
        return a, _groups(s, (3, 4) if p.mobile else (4, 4))
    if c == "GB":
        if p.mobile or len(a) >= 4:
            return a, s
        return a, _groups(s, (4, 4) if len(s) == 8 else (3, 4))
    if c == "US":
        return a, f"{s[:3]}-{s[3:]}"
    return a, s  # DE, AT: the subscriber number in one block


def fmt_national(p: Phone, rng: random.Random) -> str:
    """The number as dialled inside the country, in one of the locally common spellings."""
    c = p.country
    area, spaced = _spaced(p)
    flat = p.sub
    x = rng.random()
    if c == "US":
        a, s = p.area, p.sub
        if x < 0.5:
            return f"({a}) {s[:3]}-{s[3:]}"
        if x < 0.75:
            return f"{a}-{s[:3]}-{s[3:]}"
        if x < 0.87:
            return f"{a}.{s[:3]}.{s[3:]}"
        if x < 0.95:
            return f"{a} {s[:3]} {s[3:]}"
        return f"1-{a}-{s[:3]}-{s[3:]}"
    trunk = area if c == "IT" else "0" + area
    if c == "FR":
        digits = trunk + flat
        pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
        sep = " " if x < 0.6 else "." if x < 0.75 else "" if x < 0.9 else "-"
        return sep.join(pairs)
    if c in ("DE", "AT"):
        if x < 0.35:
            return f"{trunk} {flat}"
        if x < 0.55:
            return f"{trunk}/{flat}"
        if x < 0.65:
            return f"{trunk}-{flat}"
        if x < 0.75 and not p.mobile:
            return f"({trunk}) {flat}"
        if x < 0.9:
            half = len(flat) // 2
            return f"{trunk} {flat[:half]} {flat[half:]}"
        return trunk + flat
    # CH, IT, GB
    if x < 0.65:
        return f"{trunk} {spaced}"
    if x < 0.82:
        return trunk + flat
    if x < 0.9:
        return f"{trunk} {flat}"
    if c == "GB" and not p.mobile:
        return f"({trunk}) {spaced}"
    return f"{trunk}/{spaced}" if c != "GB" else f"{trunk}{flat}"


def fmt_international(p: Phone, rng: random.Random, *, allow_idd: bool = False) -> str:
    """With the country code: E.164, spaced, or (``allow_idd``, Europe only) ``0041 ...``."""
    dial = DIAL[p.country]
    area, spaced = _spaced(p)
    x = rng.random()
    if x < 0.4:
        return p.e164
    if p.country == "US":
        return f"+1 {area}-{p.sub[:3]}-{p.sub[3:]}" if x < 0.8 else f"+1 ({area}) {spaced}"
    if allow_idd and x > 0.9:
        return f"00{dial} {area} {spaced}"
    if p.country in ("DE", "AT", "GB") and x > 0.8:
        return f"+{dial} (0){area} {spaced}"
    return f"+{dial} {area} {spaced}"

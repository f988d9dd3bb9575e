"""E-mail addresses derived from names, unique per mailbox, and the employers behind work addresses.

Two people never share a mailbox unless the generator means it (a household's family address):
namesakes collide on their name but get ``thomas.mueller@`` and ``thomas.mueller84@``. Uniqueness
is checked with a Bloom filter of fixed size, so memory does not grow with the population (a
false positive only costs one more digit).
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from typing import Final

from cdp.synth._noise import ascii_fold
from cdp.synth._random import Weighted, zipf
from cdp.synth._vocab import COMPANY_STEMS, COMPANY_TRADES, COUNTRIES, SURNAMES

__all__ = ["Company", "Mailboxes", "companies", "email_from_name", "mailbox_key", "slug"]

_GMAIL = ("gmail.com", "googlemail.com")


def mailbox_key(email: str) -> str:
    """The mailbox an address delivers to: gmail ignores dots and ``+tags``; case never matters."""
    local, _, domain = email.lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        return local.replace(".", "") + "@gmail.com"
    return f"{local}@{domain}"


class Mailboxes:
    """A fixed-size Bloom filter of the mailboxes handed out so far."""

    __slots__ = ("_bits", "_mask")

    def __init__(self, expected: int) -> None:
        nbits = 1 << 16
        while nbits < expected * 24 and nbits < (1 << 30):
            nbits <<= 1
        self._bits = bytearray(nbits // 8)
        self._mask = nbits - 1

    def claim(self, email: str) -> bool:
        """Mark the mailbox as taken; False if it (probably) was already."""
        digest = hashlib.blake2b(mailbox_key(email).encode(), digest_size=16).digest()
        h1 = int.from_bytes(digest[:8], "little")
        h2 = int.from_bytes(digest[8:], "little") | 1
        bits, mask = self._bits, self._mask
        free = False
        for i in range(3):
            j = (h1 + i * h2) & mask
            byte, bit = j >> 3, 1 << (j & 7)
            if not bits[byte] & bit:
                free = True
                bits[byte] |= bit
        return free


_NOT_LOCAL = re.compile(r"[^a-z0-9.\-_]")


def slug(value: str, *, german: bool = True, sep: str = "") -> str:
    """Lower-case ASCII for e-mail local parts and domains: "De Luca" -> "deluca"."""
    s = ascii_fold(value, german=german).lower().replace(" ", sep).replace("'", "")
    return _NOT_LOCAL.sub("", s)


_PATTERNS: Final = Weighted(
    [
        "f.l",
        "fl",
        "i.l",
        "il",
        "f_l",
        "l.f",
        "f.lyy",
        "fyy",
        "f.i",
        "lnn",
        "f-l",
        "flnnn",
        "flyyyy",
    ],
    [30, 10, 12, 6, 4, 5, 8, 4, 3, 2, 3, 5, 3],
)


def _local(pattern: str, f: str, last: str, year: int, rng: random.Random) -> str:
    i = f[:1]
    yy = f"{year % 100:02d}"
    if pattern == "f.l":
        return f"{f}.{last}"
    if pattern == "fl":
        return f + last
    if pattern == "i.l":
        return f"{i}.{last}"
    if pattern == "il":
        return i + last
    if pattern == "f_l":
        return f"{f}_{last}"
    if pattern == "l.f":
        return f"{last}.{f}"
    if pattern == "f.lyy":
        return f"{f}.{last}{yy}"
    if pattern == "fyy":
        return f + yy
    if pattern == "f.i":
        return f"{f}.{last[:1]}"
    if pattern == "lnn":
        return f"{last}{rng.randint(1, 99)}"
    if pattern == "f-l":
        return f"{f}-{last}"
    if pattern == "flnnn":
        return f"{f}{last}{rng.randint(1, 999)}"
    return f"{f}{last}{year}"


def email_from_name(
    rng: random.Random,
    mailboxes: Mailboxes,
    first: str,
    last: str,
    birth_year: int,
    domain: str,
    *,
    german: bool = True,
    pattern: str | None = None,
) -> str:
    """A free address at ``domain`` built from the name (``hans.mueller@``, ``h.mueller@``...)."""
    f = slug(first.split()[0] if " " in first and rng.random() < 0.5 else first, german=german)
    if "-" in f and rng.random() < 0.6:
        f = f.replace("-", "")
    la = slug(last, german=german)
    local = _local(pattern or _PATTERNS.pick(rng), f, la, birth_year, rng)
    for attempt in range(12):
        candidate = local if attempt == 0 else f"{local}{_suffix(rng, attempt, birth_year)}"
        email = f"{candidate}@{domain}"
        if mailboxes.claim(email):
            return email
    while True:  # practically unreachable: ever longer random suffixes
        email = f"{local}{rng.randrange(10**5, 10**7)}@{domain}"
        if mailboxes.claim(email):
            return email


def _suffix(rng: random.Random, attempt: int, birth_year: int) -> str:
    if attempt == 1:
        return f"{birth_year % 100:02d}"
    if attempt == 2:
        return str(birth_year)
    return str(rng.randint(1, 10 ** min(2 + attempt // 3, 5)))


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    domain: str


def companies(rng: random.Random, country: str, n: int = 240) -> Weighted[Company]:
    """A fixed catalogue of employers in ``country`` (bigger ones first)."""
    info = COUNTRIES[country]
    lang = {"CH": "de", "DE": "de", "AT": "de", "FR": "fr", "IT": "it"}.get(country, "en")
    stems, trades = COMPANY_STEMS[lang], COMPANY_TRADES[lang]
    pool = {"CH": "ch", "DE": "de", "AT": "at", "FR": "fr", "IT": "it", "GB": "gb"}.get(
        country, "us"
    )
    family = SURNAMES[pool]
    found: dict[str, Company] = {}
    while len(found) < n:
        trade = rng.choice(trades)
        stem = rng.choice(family[:120]) if rng.random() < 0.35 else rng.choice(stems)
        form = rng.choice(info.company_forms)
        sep = "-" if rng.random() < 0.3 else ""
        if rng.random() < 0.8:
            name, base = f"{stem} {trade} {form}", slug(stem, sep=sep) + sep + slug(trade)
        else:
            name, base = f"{stem} {form}", slug(stem, sep=sep)
        domain = f"{base}.{info.company_tld}"
        if domain not in found:
            found[domain] = Company(name, domain)
    return zipf(list(found.values()), s=0.8, offset=5.0)

"""The ways real records differ from the truth: typos, nicknames, transliterations, abbreviations.

Each function takes the true value and a seeded ``random.Random`` and returns a variant; none of
them changes what the value identifies (a typo'd name is still the same person's name).
"""

from __future__ import annotations

import random
import re
from typing import Final

from cdp.synth._vocab import NICKNAMES

__all__ = [
    "abbreviate_street",
    "ascii_fold",
    "compound_variant",
    "email_variant",
    "nickname",
    "typo",
]

# Neighbouring keys on a QWERTZ/QWERTY keyboard (letters only; y/z swap is the QWERTZ classic).
_NEIGHBOURS: Final[dict[str, str]] = {
    "a": "qswyz",
    "b": "vghn",
    "c": "xdfv",
    "d": "serfcx",
    "e": "wsdr",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "i": "ujko",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "m": "njk",
    "n": "bhjm",
    "o": "iklp",
    "p": "ol",
    "q": "wa",
    "r": "edft",
    "s": "awedxy",
    "t": "rfgyz",
    "u": "yhji",
    "v": "cfgb",
    "w": "qase",
    "x": "ysdc",
    "y": "txsa",
    "z": "tuhga",
    "ä": "lö",
    "ö": "lpä",
    "ü": "pö",
}


def typo(value: str, rng: random.Random) -> str:
    """One keyboard slip: transposition, deletion, neighbouring key, or a doubled letter.

    The first letter is kept (people rarely get it wrong, and blocking rules rely on it).
    """
    if len(value) < 4:
        return value
    i = rng.randrange(1, len(value) - 1)
    kind = rng.random()
    if kind < 0.3:  # transposition
        if value[i] == value[i + 1]:
            return value[:i] + value[i + 1 :]
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    if kind < 0.55:  # deletion
        return value[:i] + value[i + 1 :]
    if kind < 0.85:  # neighbouring key
        ch = value[i]
        near = _NEIGHBOURS.get(ch.lower())
        if not near:
            return value[:i] + value[i + 1 :]
        new = rng.choice(near)
        return value[:i] + (new.upper() if ch.isupper() else new) + value[i + 1 :]
    return value[: i + 1] + value[i] + value[i + 1 :]  # doubled letter


_GERMAN = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
_FOLD = {
    "ä": "a",
    "ö": "o",
    "ü": "u",
    "Ä": "A",
    "Ö": "O",
    "Ü": "U",
    "ß": "ss",
    "à": "a",
    "á": "a",
    "â": "a",
    "ã": "a",
    "å": "a",
    "À": "A",
    "Á": "A",
    "Â": "A",
    "ç": "c",
    "Ç": "C",
    "è": "e",
    "é": "e",
    "ê": "e",
    "ë": "e",
    "È": "E",
    "É": "E",
    "Ê": "E",
    "ì": "i",
    "í": "i",
    "î": "i",
    "ï": "i",
    "Í": "I",
    "Î": "I",
    "ñ": "n",
    "Ñ": "N",
    "ò": "o",
    "ó": "o",
    "ô": "o",
    "õ": "o",
    "Ó": "O",
    "Ô": "O",
    "ù": "u",
    "ú": "u",
    "û": "u",
    "Ú": "U",
    "ÿ": "y",
    "œ": "oe",
    "æ": "ae",
    "ı": "i",
    "İ": "I",
    "ş": "s",
    "Ş": "S",
    "ğ": "g",
    "Ğ": "G",
    "ć": "c",
    "č": "c",
    "Ć": "C",
    "Č": "C",
    "š": "s",
    "Š": "S",
    "ž": "z",
    "Ž": "Z",
    "đ": "dj",
    "Đ": "Dj",
}
_TO_GERMAN_ASCII = str.maketrans({**_FOLD, **_GERMAN})
_TO_PLAIN_ASCII = str.maketrans(_FOLD)


def ascii_fold(value: str, *, german: bool = True) -> str:
    """Transliterate to ASCII: ``Müller`` -> ``Mueller`` (German rule) or ``Muller``; é -> e."""
    return value.translate(_TO_GERMAN_ASCII if german else _TO_PLAIN_ASCII)


def nickname(first: str, rng: random.Random) -> str | None:
    """A nickname for a given name, or None when the name has none."""
    options = NICKNAMES.get(first)
    if options is None and "-" in first:
        options = NICKNAMES.get(first.split("-")[0])
    return rng.choice(options) if options else None


def compound_variant(first: str, rng: random.Random) -> str:
    """``Hans-Peter`` -> ``Hans Peter`` | ``Hanspeter`` | ``Hans`` | ``H.-P.``."""
    if "-" not in first and " " not in first:
        return first
    parts = first.replace("-", " ").split()
    x = rng.random()
    if x < 0.4:
        return " ".join(parts)
    if x < 0.6:
        return parts[0] + "".join(p.lower() for p in parts[1:])
    if x < 0.9:
        return parts[0]
    return "-".join(p[0] + "." for p in parts)


_ABBREVIATIONS: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"strasse\b", "str."),
        (r"straße\b", "str."),
        (r"\bStrasse\b", "Str."),
        (r"\bStraße\b", "Str."),
        (r"gasse\b", "g."),
        (r"\bStreet\b", "St"),
        (r"\bRoad\b", "Rd"),
        (r"\bAvenue\b", "Ave"),
        (r"\bBoulevard\b", "Blvd"),
        (r"\bDrive\b", "Dr"),
        (r"\bLane\b", "Ln"),
        (r"\bCourt\b", "Ct"),
        (r"^avenue\b", "av."),
        (r"^boulevard\b", "bd"),
        (r"^route\b", "rte"),
        (r"^chemin\b", "ch."),
        (r"^Piazza\b", "P.zza"),
        (r"^Corso\b", "C.so"),
        (r"^Viale\b", "V.le"),
    )
)


def abbreviate_street(street: str) -> str:
    """The usual abbreviations: Bahnhofstrasse -> Bahnhofstr., Main Street -> Main St."""
    for pattern, short in _ABBREVIATIONS:
        new = pattern.sub(short, street, count=1)
        if new != street:
            return new
    return street


_PLUS_TAGS: Final = ("shop", "news", "newsletter", "orders", "web", "2025", "promo", "alpstar")


def email_variant(email: str, rng: random.Random) -> str:
    """The same mailbox written differently: gmail dots and +tags, googlemail, capitals."""
    local, _, domain = email.partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        x = rng.random()
        if x < 0.4:
            return f"{local}+{rng.choice(_PLUS_TAGS)}@{domain}"
        if x < 0.7:
            if "." in local:
                return f"{local.replace('.', '')}@{domain}"
            i = rng.randrange(1, len(local)) if len(local) > 1 else 1
            return f"{local[:i]}.{local[i:]}@{domain}"
        if x < 0.8:
            other = "googlemail.com" if domain == "gmail.com" else "gmail.com"
            return f"{local}@{other}"
    x = rng.random()
    if x < 0.5:
        return ".".join(p[:1].upper() + p[1:] for p in local.split(".")) + "@" + domain
    if x < 0.7:
        return email.upper()
    return f"{local}@{domain[:1].upper()}{domain[1:]}"

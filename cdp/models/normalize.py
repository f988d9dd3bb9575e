"""Normalization of identity fields: plain, fast functions (no pydantic) the models build on.

Every function takes a raw value as it comes from a source (usually ``str``; numbers are
accepted where a CSV-to-Parquet round trip may have produced them), returns ``None`` for
``None``, NaN and blank strings, returns the normalized value otherwise, and raises
:class:`~cdp.models.errors.InvalidInputError` with ``error_type="bad_format"`` for a value
that cannot be normalized. Error messages name the field and the reason, never the value.
An unknown ``format`` argument is a programming error and raises ``ValueError``.

Common to all text inputs: surrounding whitespace is trimmed; invisible characters (zero-width
spaces, soft hyphens, byte-order marks) are removed; values longer than 1,000 characters are
rejected (``too long``); floats that hold an integer (``8001.0``) are read as that integer;
booleans and other objects are rejected. :func:`normalize_text` does only this and collapses
inner whitespace (the display form of streets, cities and company names).

Speed: the functions are plain Python with precompiled patterns. Phone results and name,
street and city keys are memoized per process (``functools.lru_cache``), since the same
values recur across records; a phone number that was not seen before costs about 20 µs
(phonenumbers' parser), everything else a few µs.

Email (:func:`normalize_email`, :func:`email_match_key`)
    * ``normalize_email``: trim, strip a ``mailto:`` prefix and surrounding ``<...>`` (also the
      ``Jane Doe <jane@example.com>`` form), lower-case the whole address, drop a trailing dot
      of the domain. Then validate the shape: exactly one ``@``; a non-empty local part of at
      most 64 characters without whitespace, quotes, brackets or commas, not starting or
      ending with a dot and without ``..``; a domain of at least two dot-separated labels (the
      last one alphabetic, or punycode ``xn--``); at most 254 characters in all. Quoted local
      parts and IP-literal domains are rejected. Internationalized domains are kept in Unicode.
    * ``email_match_key``: the key two addresses of one mailbox share. Provider rules:
      ``gmail.com``/``googlemail.com``: dots in the local part removed, ``+tag`` dropped,
      ``googlemail.com`` becomes ``gmail.com``; ``outlook.*``, ``hotmail.*``, ``live.*``,
      ``icloud.com``, ``me.com``, ``mac.com``, ``protonmail.com``, ``protonmail.ch``,
      ``proton.me``, ``pm.me``, ``fastmail.com``, ``fastmail.fm``: ``+tag`` dropped;
      ``yahoo.*``, ``ymail.com``: ``-tag`` dropped. Every other domain is unchanged: tags are
      never stripped on corporate domains, where ``a+b`` may be a different mailbox (precision
      first). If a rule would leave an empty local part the address is kept as it is. The key
      is idempotent.

Phone (:func:`normalize_phone`), to E.164 with ``phonenumbers``
    * A number is *international* when it starts with ``+`` or ``00`` (``00`` is read as
      ``+``; ``011`` and other exit codes are understood when a region is known); ``(0)``
      after the country code (``+41 (0)44 ...``) is ignored. Everything else is *national*
      and is read in the region given (the record's country, else the source's
      ``default_region``).
    * ``format="auto"``: international or national as above; a national number without a
      region is rejected. ``"e164"``: only international numbers are accepted.
      ``"national"``: a region is required (an international number is still accepted).
    * The number must be possible (``is_possible_number``) and valid (``is_valid_number``)
      for its country. Extensions (``ext. 12``, ``x12``, ``#12``) are dropped.
    * Results are cached per (text, region, format) in each process.

Names (:func:`fold_name`, :func:`display_name`, :func:`split_full_name`)
    * ``fold_name`` gives the matching key: apostrophes removed (``O'Brien`` -> ``obrien``),
      hyphens and dashes become spaces (``Anne-Marie`` -> ``anne marie``), NFKC, case folding,
      German transliteration (``ä``->``ae``, ``ö``->``oe``, ``ü``->``ue``, ``ß``->``ss``: so
      Müller, Mueller and MÜLLER fold equal; note that Muller folds differently), special
      letters (``ø``->``o``, ``æ``->``ae``, ``œ``->``oe``, ``ł``->``l``, ``đ``/``ð``->``d``,
      ``þ``->``th``, ``ı``->``i``, ``ħ``->``h``, ``ŧ``->``t``; also when they carry an accent,
      ``ǿ``->``o``), every other accent stripped through NFKD (``é``->``e``,
      ``ñ``->``n``, ``ç``->``c``), digits, underscores and other punctuation removed,
      whitespace collapsed. Letters of other scripts are kept (case-folded). A value with no
      letters left is rejected. The key is idempotent.
    * ``display_name`` keeps the name as given (trimmed, inner whitespace collapsed) unless it
      is ALL UPPER or all lower case; then it is title-cased: each word gets a capital after
      its start, a hyphen or an apostrophe (``anne-marie`` -> ``Anne-Marie``, ``O'BRIEN`` ->
      ``O'Brien``), and the particles van, von, de, der, den, del, della, da, di, du, des,
      dos, das, la, le, ten, ter, zu, zur, vom stay lower-case when they are neither the first
      nor the last word (``LUDWIG VAN BEETHOVEN`` -> ``Ludwig van Beethoven``; the last word
      is a surname: ``HANS LE`` -> ``Hans Le``). ``Mc``/``Mac`` are not special
      (``MCDONALD`` -> ``Mcdonald``). A value without a letter is rejected.
    * ``split_full_name`` returns ``(first, last)`` in display form. Leading salutations and
      titles are removed (Herr, Frau, Hr., Fr., Mr, Mrs, Ms, Miss, Mx, Dr, Prof, Mme, Mlle,
      Madame, Monsieur; with or without a dot; ``M.`` only when two more words follow, as
      ``M. Dupont`` may be an initial), as are trailing suffixes (Jr, Sr, II, III, IV). Then:
      ``Last, First`` (a comma) in every format; otherwise ``format="auto"`` reads a
      mixed-case name whose leading words are ALL UPPER (two letters or more) and whose
      remaining words are not as surname first (``MÜLLER Hans`` -> ``("Hans", "Müller")``)
      and everything else as first names followed by the surname (``HANS MÜLLER``,
      ``Hans Müller``); ``"last_first"`` and ``"first_last"`` force the order. The surname
      takes the particles before it (``Ludwig van Beethoven`` -> ``("Ludwig", "van
      Beethoven")``, ``Maria de la Cruz`` -> ``("Maria", "de la Cruz")``), never the first
      word. A single word is a surname: ``(None, word)``. Both parts go through
      ``display_name`` (a surname's leading particle stays lower-case).

Dates (:func:`parse_date`), formats from :data:`cdp.models.fields.DATE_FORMATS`
    * ``date`` and ``datetime`` objects are accepted (a datetime's date is used).
    * ``iso``: ``YYYY-MM-DD`` (one-digit month/day allowed), a time part after ``T`` or a space
      is ignored. ``yyyymmdd``: eight digits (SAP). ``dd.mm.yyyy``, ``dd/mm/yyyy``,
      ``mm/dd/yyyy``: ``.``, ``/`` or ``-`` as separator, one- or two-digit day and month, an
      optional ``hh:mm[:ss]`` after it is ignored.
    * ``auto`` tries ISO, eight digits, ``DD.MM.YYYY``, then ``a/b/YYYY`` (or ``a-b-YYYY``):
      if ``a > 12`` it is day/month, if ``b > 12`` month/day, if ``a == b`` it does not
      matter, otherwise it is rejected as ``ambiguous date, set format``.
    * SAP's and MySQL's empty dates (``00000000``, ``0000-00-00``) are ``None``.
    * Impossible dates (``31.02.1990``) are rejected, as are dates before ``not_before``
      (default 1900-01-01) and after ``not_after`` (default: no limit; birth dates pass
      today's date).

Timestamps (:func:`parse_timestamp`), formats from :data:`cdp.models.fields.TIMESTAMP_FORMATS`
    * The result is always timezone-aware UTC. Naive values are taken as UTC.
    * ``iso``: ISO 8601 as :meth:`datetime.fromisoformat` reads it, including ``Z``,
      ``+00:00``, Salesforce's ``2026-10-01T12:34:56.000+0000``, nanosecond fractions
      (truncated to microseconds), a lower-case ``z``, a trailing `` UTC``/`` GMT``, and a
      date alone (midnight).
    * ``yyyymmdd`` (8 digits) and ``yyyymmddhhmmss`` (14 digits, SAP), UTC.
    * ``epoch_s`` / ``epoch_ms``: numbers or digit strings (a fraction allowed).
    * ``auto``: datetime/date objects; 8 and 14 digit values as the SAP forms; other numbers
      as epoch, whose unit is inferred from the magnitude (< 1e11 seconds, < 1e14
      milliseconds, < 1e17 microseconds, else nanoseconds); anything else as ISO 8601.

Country (:func:`normalize_country`) to ISO 3166-1 alpha-2, upper case
    * Accepted: alpha-2 codes (``UK`` is read as ``GB``), alpha-3 codes, and English, German,
      French (and for a few countries Italian and local) names of the countries of Europe and
      the larger economies, matched after folding (case, accents, punctuation, spaces and a
      leading "the" do not matter: ``U.S.A.``, ``Etats-Unis``, ``Österreich``,
      ``The Netherlands``). ``format="iso2"`` accepts only two-letter codes; ``"auto"`` and
      ``"name"`` accept all of the above. Unknown values are rejected.

Postcode (:func:`normalize_postcode`, :func:`postcode_match_key`)
    * Upper-cased, whitespace collapsed, a country prefix stripped (``D-80331``,
      ``CH-8001``, ``A-1010``, ``F-``, ``I-``, ``FL-``, ``L-``, ``B-``, ``NL-``, ``DK-``,
      ``S-``, ``N-``, ``FIN-``, ``PL-``, ``CZ-``, ``E-``, ``P-`` and alpha-2 codes); the
      prefix also gives the country when none is passed.
    * With a known country the code is validated and put in its usual form: 5 digits for DE,
      FR, IT, ES, FI, US (four digits get back the leading zero spreadsheets drop; US ZIP+4
      becomes the 5-digit ZIP); 4 digits for CH, AT, LI, LU, BE, DK, NO, AU; SE and CZ
      ``123 45``; PL ``12-345``; PT ``1234-567`` (or 4 digits); NL ``1234 AB``; GB
      ``SW1A 1AA``; IE ``D02 X285``; CA ``K1A 0B1``. Other countries (or none): letters,
      digits, spaces and hyphens, 2 to 10 characters, with at least one digit.
    * ``postcode_match_key`` is the normalized code without spaces and hyphens.

Street (:func:`street_match_key`) and city (:func:`city_match_key`)
    * Folded like names, but other punctuation becomes a space and, in streets, digits stay.
    * Streets: a house number glued to the name is split off (``Bahnhofstr.12`` ->
      ``bahnhofstrasse 12``) and a single letter after a number is joined to it (``12 a`` ->
      ``12a``); ``straße``/``strasse``/``str.``/``str`` (also as the end of a word:
      ``Bahnhofstr``) become ``strasse``, glued to the word before it (``Bahnhof Strasse`` ->
      ``bahnhofstrasse``); ``ave``/``av`` -> ``avenue``, ``blvd`` -> ``boulevard``, ``rd``
      -> ``road``, and ``st`` -> ``street`` only after a word that is not a number (``Main St``
      -> ``main street``, while ``St. Gallerstrasse`` and ``12 St Mary`` keep ``st``, which is
      "Saint" there). Nothing else is expanded (``pl.`` could be Platz or Place).
    * Cities: digits are removed too (``Zürich 1`` -> ``zuerich``).
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final

import phonenumbers

from cdp.models.errors import InvalidInputError
from cdp.models.fields import DATE_FORMATS, TIMESTAMP_FORMATS

__all__ = [
    "city_match_key",
    "display_name",
    "email_match_key",
    "fold_name",
    "normalize_country",
    "normalize_email",
    "normalize_phone",
    "normalize_postcode",
    "normalize_text",
    "parse_date",
    "parse_timestamp",
    "postcode_match_key",
    "split_full_name",
    "street_match_key",
]

logger = logging.getLogger(__name__)

_MAX_LEN: Final = 1000
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def _bad(field: str, reason: str) -> InvalidInputError:
    return InvalidInputError(field, reason, error_type="bad_format")


def _text(value: object, field: str) -> str | None:
    """The trimmed text of a raw value, None when missing or blank."""
    if type(value) is str:  # the common case first
        text = value.strip()
        if not text:
            return None
        if not text.isascii():
            text = _INVISIBLE.sub("", text).strip()
            if not text:
                return None
        if len(text) > _MAX_LEN:
            raise _bad(field, f"too long (more than {_MAX_LEN} characters)")
        return text
    if value is None:
        return None
    if isinstance(value, str):  # a str subclass
        return _text(str(value), field)
    if isinstance(value, bool):
        raise _bad(field, "expected text, got a boolean")
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise _bad(field, "expected text, got an infinite number")
        text = str(int(value)) if value.is_integer() else repr(value)
    else:
        raise _bad(field, f"expected text, got {type(value).__name__}")
    if not text:
        return None
    if len(text) > _MAX_LEN:
        raise _bad(field, f"too long (more than {_MAX_LEN} characters)")
    return text


def normalize_text(value: object, *, field: str = "text") -> str | None:
    """Trimmed text with inner whitespace collapsed (streets, cities, companies as displayed)."""
    text = _text(value, field)
    if text is None:
        return None
    return " ".join(text.split())


# --------------------------------------------------------------------------------------- email

_EMAIL_ATOM = r"[^\s@\"(),:;<>\[\\\].]+"
_DOMAIN_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_EMAIL = re.compile(
    rf"(?P<local>{_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*)"
    rf"@(?P<domain>(?:{_DOMAIN_LABEL}\.)+(?:[^\W\d_]{{2,63}}|xn--[a-z0-9-]{{1,59}}))"
)
_ANGLE_FORM = re.compile(r"[^<>]*<([^<>]*)>")
_MAILTO = "mailto:"

_GMAIL_DOMAINS: Final = frozenset({"gmail.com", "googlemail.com"})
_PLUS_DOMAINS: Final = frozenset(
    {"icloud.com", "me.com", "mac.com", "protonmail.com", "protonmail.ch", "proton.me", "pm.me"}
    | {"fastmail.com", "fastmail.fm"}
)
_COUNTRY_TLD = r"(?:[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})"
_PLUS_FAMILY = re.compile(rf"(?:outlook|hotmail|live)\.{_COUNTRY_TLD}")
_DASH_FAMILY = re.compile(rf"yahoo\.{_COUNTRY_TLD}|ymail\.com")


def normalize_email(value: object, *, field: str = "email") -> str | None:
    """The address trimmed, unwrapped and lower-cased, or an error for a malformed one."""
    text = _text(value, field)
    if text is None:
        return None
    angle = _ANGLE_FORM.fullmatch(text)
    if angle:
        text = angle.group(1).strip()
    if text[:7].lower() == _MAILTO:
        text = text[7:].split("?", 1)[0].strip()
    if not text:
        return None
    text = text.lower()
    if text.endswith("."):
        text = text[:-1]
    m = _EMAIL.fullmatch(text)
    if m and len(m.group("local")) <= 64 and len(text) <= 254:
        return text
    raise _bad(field, _email_problem(text))


def _email_problem(text: str) -> str:
    """Why an address that failed the pattern is not valid (no part of it is repeated)."""
    if text.count("@") != 1:
        return "not an email address (needs exactly one @)"
    local, _, domain = text.partition("@")
    if not local:
        return "empty local part"
    if any(c.isspace() for c in text):
        return "contains whitespace"
    if "." not in domain:
        return "domain needs a dot"
    if len(local) > 64 or len(text) > 254:
        return "too long for an email address"
    return "not a valid email address"


def email_match_key(email: str) -> str:
    """The provider-aware key of a normalized address (see the module documentation)."""
    local, sep, domain = email.lower().rpartition("@")
    if not sep or not local:
        return email
    if domain in _GMAIL_DOMAINS:
        key_local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    elif domain in _PLUS_DOMAINS or _PLUS_FAMILY.fullmatch(domain):
        key_local = local.split("+", 1)[0]
    elif _DASH_FAMILY.fullmatch(domain):
        key_local = local.split("-", 1)[0]
    else:
        return f"{local}@{domain}"
    if not key_local:
        return email.lower()
    return f"{key_local}@{domain}"


# --------------------------------------------------------------------------------------- phone

_PHONE_FORMATS: Final = frozenset({"auto", "e164", "national"})
_E164 = phonenumbers.PhoneNumberFormat.E164


@lru_cache(maxsize=512)
def _phone_region(region: str | None) -> str | None:
    """The upper-case region if phonenumbers knows it, else None."""
    if not region:
        return None
    upper = region.strip().upper()
    if upper == "UK":
        upper = "GB"
    return upper if upper in phonenumbers.SUPPORTED_REGIONS else None


@lru_cache(maxsize=32768)
def _phone_to_e164(text: str, region: str | None, fmt: str) -> tuple[str | None, str | None]:
    """(E.164, None) or (None, reason). Cached: exceptions are not, results are."""
    stripped = text.lstrip("( \t")
    international = stripped.startswith("+")
    if not international and stripped.startswith("00") and not stripped.startswith("000"):
        text = "+" + stripped[2:]
        international = True
    if fmt == "e164" and not international:
        return None, "not in international format (+ and country code)"
    if fmt == "national" and region is None:
        return None, "a national number needs a region (record country or default_region)"
    if not international and region is None:
        return None, "national number without a region (set the country or default_region)"
    try:
        number = phonenumbers.parse(text, None if international else region)
    except phonenumbers.NumberParseException:
        return None, "not a phone number"
    country_code = number.country_code or 0
    where = phonenumbers.region_code_for_country_code(country_code)
    where_text = f"region {where}" if where != "ZZ" else f"country code +{country_code}"
    # a valid number is a possible one (validity checks the possible lengths first): the
    # possibility check only tells the reason of a failure
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, _E164), None
    if not phonenumbers.is_possible_number(number):
        return None, f"not a possible number for {where_text}"
    return None, f"not a valid number for {where_text}"


def normalize_phone(
    value: object,
    *,
    default_region: str | None = None,
    format: str = "auto",
    field: str = "phone",
) -> str | None:
    """The number in E.164 (``+41446681800``), or an error (see the module documentation)."""
    if format not in _PHONE_FORMATS:
        raise ValueError(f"unknown phone format {format!r}")
    text = _text(value, field)
    if text is None:
        return None
    region = _phone_region(default_region)
    if default_region and region is None:
        raise _bad(field, "unknown region for phone numbers")
    result, reason = _phone_to_e164(text, region, format)
    if result is None:
        raise _bad(field, reason or "not a phone number")
    return result


# --------------------------------------------------------------------------------------- names

# Applied before and after NFKC (which turns the acute accent into a space and a combining
# mark): apostrophes and soft hyphens vanish, hyphens and dashes become spaces.
_HYPHENS: Final = "-‐‑‒–—―−"
_MARKS_TABLE: Final = str.maketrans(_HYPHENS, " " * len(_HYPHENS), "'’‘ʼ`´ʹ\u00ad")
# applied to case-folded text
_LETTERS_TABLE: Final = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l"}
    | {"đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h", "ŧ": "t"}
)
_NAME_DROP = re.compile(r"[^\w\s]|[\d_]")
_STREET_SPACE = re.compile(r"[^\w\s]|_")
_CITY_SPACE = re.compile(r"[^\w\s]|[\d_]")


def _fold(text: str) -> str:
    """Case-folded, transliterated, accent-free text (punctuation other than ' and - kept)."""
    if text.isascii():
        return text.translate(_MARKS_TABLE).lower()
    text = unicodedata.normalize("NFKC", text.translate(_MARKS_TABLE))
    text = text.casefold().translate(_MARKS_TABLE).translate(_LETTERS_TABLE)
    if text.isascii():
        return text
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    # a second pass for special letters that only appear once accents are gone (Ǣ -> æ)
    return stripped if stripped.isascii() else stripped.translate(_LETTERS_TABLE)


@lru_cache(maxsize=65536)
def _fold_name_text(text: str) -> str:
    return " ".join(_NAME_DROP.sub("", _fold(text)).split())


def fold_name(value: object, *, field: str = "name") -> str | None:
    """The matching key of a person's name (see the module documentation)."""
    text = _text(value, field)
    if text is None:
        return None
    folded = _fold_name_text(text)
    if not folded:
        raise _bad(field, "no letters")
    return folded


_PARTICLES: Final = frozenset(
    {"van", "von", "vom", "zu", "zur", "de", "der", "den", "del", "della", "des", "da", "di"}
    | {"du", "dos", "das", "la", "le", "ten", "ter"}
)
_WORD_START = re.compile(r"(^|[-'’‘ʼ])(\w)")


def _capitalize_word(word: str) -> str:
    return _WORD_START.sub(lambda m: m.group(1) + m.group(2).title(), word.lower())


def _title_case(words: list[str], *, lower_leading_particle: bool = False) -> str:
    last = len(words) - 1
    out = []
    for i, word in enumerate(words):
        low = word.lower()
        if low in _PARTICLES and i < last and (i > 0 or lower_leading_particle):
            out.append(low)
        else:
            out.append(_capitalize_word(word))
    return " ".join(out)


def _is_uniform_case(text: str) -> bool:
    return text.isupper() or text.islower()


def _has_letter(text: str) -> bool:
    return any(c.isalpha() for c in text)


@lru_cache(maxsize=65536)
def _display_text(text: str) -> str | None:
    if not _has_letter(text):
        return None
    words = text.split()
    joined = " ".join(words)
    return _title_case(words) if _is_uniform_case(joined) else joined


def display_name(value: object, *, field: str = "name") -> str | None:
    """The name as displayed: as given, unless ALL UPPER or all lower (then title-cased)."""
    text = _text(value, field)
    if text is None:
        return None
    shown = _display_text(text)
    if shown is None:
        raise _bad(field, "no letters")
    return shown


_SALUTATIONS: Final = frozenset(
    {"herr", "frau", "hr", "fr", "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "mme", "mlle"}
    | {"madame", "monsieur"}
)
_SUFFIXES: Final = frozenset({"jr", "sr", "ii", "iii", "iv"})
_FULL_NAME_FORMATS: Final = frozenset({"auto", "first_last", "last_first"})


def _strip_titles(words: list[str]) -> list[str]:
    start = 0
    while len(words) - start > 1:
        word = words[start]
        if word.lower().rstrip(".") in _SALUTATIONS or (word == "M." and len(words) - start > 2):
            start += 1
        else:
            break
    end = len(words)
    while end - start > 1 and words[end - 1].lower().rstrip(".") in _SUFFIXES:
        end -= 1
    return words[start:end]


def _is_upper_word(word: str) -> bool:
    return word.isupper() and sum(c.isalpha() for c in word) >= 2


def _surname_start(words: list[str]) -> int:
    """Index where the surname (with its particles) begins in a first-last name."""
    i = len(words) - 1
    while i > 1 and words[i - 1].lower() in _PARTICLES:
        i -= 1
    return i


def _surname_end(words: list[str]) -> int:
    """End index of the surname (leading particles + one word) in a last-first name."""
    i = 0
    while i < len(words) - 2 and words[i].lower() in _PARTICLES:
        i += 1
    return i + 1


def _display_part(words: list[str], *, surname: bool) -> str | None:
    if not words:
        return None
    joined = " ".join(words)
    if not _has_letter(joined):
        return None
    if _is_uniform_case(joined):
        return _title_case(words, lower_leading_particle=surname)
    return joined


def split_full_name(
    value: object,
    *,
    format: str = "auto",
    field: str = "full_name",
) -> tuple[str | None, str | None]:
    """``(first, last)`` in display form (see the module documentation)."""
    if format not in _FULL_NAME_FORMATS:
        raise ValueError(f"unknown full_name format {format!r}")
    text = _text(value, field)
    if text is None:
        return None, None
    if not _has_letter(text):
        raise _bad(field, "no letters")
    if "," in text:
        last_text, _, first_text = text.partition(",")
        last_words = _strip_titles(last_text.split())
        first_words = _strip_titles(first_text.replace(",", " ").split())
        if last_words or first_words:
            if not last_words:
                last_words, first_words = first_words, []
            return (
                _display_part(first_words, surname=False),
                _display_part(last_words, surname=True),
            )
    words = _strip_titles(text.replace(",", " ").split())
    if len(words) == 1:
        return None, _display_part(words, surname=True)
    order = format
    if order == "auto":
        order = "first_last"
        if not _is_uniform_case(" ".join(words)):
            k = 0
            while k < len(words) and _is_upper_word(words[k]):
                k += 1
            if 0 < k < len(words) and not any(_is_upper_word(w) for w in words[k:]):
                return (
                    _display_part(words[k:], surname=False),
                    _display_part(words[:k], surname=True),
                )
    if order == "last_first":
        end = _surname_end(words)
        return (
            _display_part(words[end:], surname=False),
            _display_part(words[:end], surname=True),
        )
    start = _surname_start(words)
    return (
        _display_part(words[:start], surname=False),
        _display_part(words[start:], surname=True),
    )


# --------------------------------------------------------------------------------------- dates

_DATE_FORMATS: Final = frozenset(DATE_FORMATS)
_TIMESTAMP_FORMATS: Final = frozenset(TIMESTAMP_FORMATS)
_MIN_DATE: Final = date(1900, 1, 1)
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_NUMERIC_DATE = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_EMPTY_DATES: Final = frozenset({"00000000", "0000-00-00", "00000000000000"})


def _make_date(year: int, month: int, day: int, field: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _bad(field, "impossible date") from None


def _parse_date_text(text: str, fmt: str, field: str) -> date:
    if fmt in ("auto", "iso"):
        m = _ISO_DATE.fullmatch(text)
        if m:
            return _make_date(int(m[1]), int(m[2]), int(m[3]), field)
        if fmt == "iso":
            raise _bad(field, "not an ISO date (YYYY-MM-DD)")
    if fmt in ("auto", "yyyymmdd"):
        m = _COMPACT_DATE.fullmatch(text)
        if m:
            return _make_date(int(m[1]), int(m[2]), int(m[3]), field)
        if fmt == "yyyymmdd":
            raise _bad(field, "not a YYYYMMDD date")
    if fmt == "auto":
        m = _DOTTED_DATE.fullmatch(text)
        if m:
            return _make_date(int(m[3]), int(m[2]), int(m[1]), field)
    m = _NUMERIC_DATE.fullmatch(text)
    if not m:
        expected = "a date" if fmt == "auto" else f"a {fmt.upper()} date"
        raise _bad(field, f"not {expected}")
    a, b, year = int(m[1]), int(m[3]), int(m[4])
    if fmt == "mm/dd/yyyy":
        return _make_date(year, a, b, field)
    if fmt in ("dd/mm/yyyy", "dd.mm.yyyy"):
        return _make_date(year, b, a, field)
    if a > 12:
        return _make_date(year, b, a, field)
    if b > 12 or a == b:
        return _make_date(year, a, b, field)
    raise _bad(field, "ambiguous date, set format")


def parse_date(
    value: object,
    *,
    format: str = "auto",
    not_before: date | None = _MIN_DATE,
    not_after: date | None = None,
    field: str = "date",
) -> date | None:
    """A calendar date (see the module documentation)."""
    if format not in _DATE_FORMATS:
        raise ValueError(f"unknown date format {format!r}")
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    else:
        text = _text(value, field)
        if text is None or text in _EMPTY_DATES:
            return None
        result = _parse_date_text(text, format, field)
    if not_before is not None and result < not_before:
        raise _bad(field, f"before {not_before.isoformat()}")
    if not_after is not None and result > not_after:
        raise _bad(field, f"after {not_after.isoformat()}")
    return result


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DIGITS = re.compile(r"\d+")
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")
_ZONE_WORDS = (" UTC", " GMT", "UTC", "GMT")
_EPOCH_UNITS: Final = {"epoch_s": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000, "epoch_ns": 10**9}


def _to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _from_epoch(number: float, unit: str, field: str) -> datetime:
    if unit == "auto":
        size = abs(number)
        unit = (
            "epoch_s"
            if size < 1e11
            else "epoch_ms"
            if size < 1e14
            else "epoch_us"
            if size < 1e17
            else "epoch_ns"
        )
    per_second = _EPOCH_UNITS[unit]
    try:
        if isinstance(number, int):  # exact: no float rounding of milliseconds
            micros = number * 1_000_000 // per_second
            return _EPOCH + timedelta(microseconds=micros)
        return _EPOCH + timedelta(seconds=number / per_second)
    except (OverflowError, ValueError):
        raise _bad(field, "timestamp out of range") from None


def _compact_timestamp(text: str, field: str) -> datetime:
    try:
        if len(text) == 8:
            return datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), tzinfo=UTC)
        return datetime(
            int(text[:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            int(text[12:14]),
            tzinfo=UTC,
        )
    except ValueError:
        raise _bad(field, "impossible date or time") from None


def _iso_timestamp(text: str, field: str) -> datetime:
    if text[-1] == "z":
        text = text[:-1] + "Z"
    for word in _ZONE_WORDS:
        if text.endswith(word) and len(text) > len(word):
            text = text[: -len(word)].rstrip() + "+00:00"
            break
    try:
        return _to_utc(datetime.fromisoformat(text))
    except ValueError:
        raise _bad(field, "not an ISO 8601 timestamp") from None


def parse_timestamp(
    value: object,
    *,
    format: str = "auto",
    field: str = "timestamp",
) -> datetime | None:
    """A timezone-aware UTC datetime (see the module documentation)."""
    if format not in _TIMESTAMP_FORMATS:
        raise ValueError(f"unknown timestamp format {format!r}")
    if isinstance(value, datetime):
        return _to_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, bool):
        raise _bad(field, "expected a timestamp, got a boolean")
    if isinstance(value, int | float) and format in ("auto", "epoch_s", "epoch_ms"):
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, float) and math.isinf(value):
            raise _bad(field, "timestamp out of range")
        if format != "auto" or not (isinstance(value, int) and len(str(value)) in (8, 14)):
            return _from_epoch(value, format, field)
    text = _text(value, field)
    if text is None or text in _EMPTY_DATES:
        return None
    if format in ("epoch_s", "epoch_ms"):
        if not _DECIMAL.fullmatch(text):
            raise _bad(field, "not an epoch number")
        return _from_epoch(float(text) if "." in text else int(text), format, field)
    if format in ("yyyymmdd", "yyyymmddhhmmss"):
        if not (_DIGITS.fullmatch(text) and len(text) == len(format)):
            raise _bad(field, f"not a {format.upper()} timestamp")
        return _compact_timestamp(text, field)
    if format == "auto" and _DECIMAL.fullmatch(text):
        if len(text) in (8, 14) and text.isdigit():
            return _compact_timestamp(text, field)
        return _from_epoch(float(text) if "." in text else int(text), "auto", field)
    return _iso_timestamp(text, field)


# ------------------------------------------------------------------------------------- country

# alpha-2: (alpha-3, names in English, German, French and some local forms)
_COUNTRIES: Final[dict[str, tuple[str, ...]]] = {
    "CH": ("CHE", "Switzerland", "Schweiz", "Suisse", "Svizzera", "Svizra", "Helvetia"),
    "DE": ("DEU", "Germany", "Deutschland", "Allemagne", "Germania", "BRD"),
    "AT": ("AUT", "Austria", "Österreich", "Osterreich", "Autriche"),
    "FR": ("FRA", "France", "Frankreich", "Francia"),
    "IT": ("ITA", "Italy", "Italien", "Italie", "Italia"),
    "LI": ("LIE", "Liechtenstein", "Fürstentum Liechtenstein"),
    "GB": (
        "GBR",
        "United Kingdom",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "Vereinigtes Königreich",
        "Großbritannien",
        "Royaume-Uni",
        "Grande-Bretagne",
        "Angleterre",
        "Regno Unito",
    ),
    "US": (
        "USA",
        "United States",
        "United States of America",
        "America",
        "Vereinigte Staaten",
        "Vereinigte Staaten von Amerika",
        "États-Unis",
        "États-Unis d'Amérique",
        "Stati Uniti",
    ),
    "NL": ("NLD", "Netherlands", "Holland", "Niederlande", "Pays-Bas", "Nederland", "Paesi Bassi"),
    "BE": ("BEL", "Belgium", "Belgien", "Belgique", "België", "Belgio"),
    "LU": ("LUX", "Luxembourg", "Luxemburg", "Lëtzebuerg", "Lussemburgo"),
    "ES": ("ESP", "Spain", "Spanien", "Espagne", "España", "Spagna"),
    "PT": ("PRT", "Portugal", "Portogallo"),
    "DK": ("DNK", "Denmark", "Dänemark", "Danemark", "Danmark", "Danimarca"),
    "SE": ("SWE", "Sweden", "Schweden", "Suède", "Sverige", "Svezia"),
    "NO": ("NOR", "Norway", "Norwegen", "Norvège", "Norge", "Norvegia"),
    "FI": ("FIN", "Finland", "Finnland", "Finlande", "Suomi", "Finlandia"),
    "PL": ("POL", "Poland", "Polen", "Pologne", "Polska", "Polonia"),
    "CZ": (
        "CZE",
        "Czechia",
        "Czech Republic",
        "Tschechien",
        "Tschechische Republik",
        "Tchéquie",
        "République tchèque",
        "Česko",
        "Česká republika",
        "Repubblica Ceca",
    ),
    "IE": ("IRL", "Ireland", "Republic of Ireland", "Irland", "Irlande", "Éire", "Irlanda"),
    "CA": ("CAN", "Canada", "Kanada"),
    "AU": ("AUS", "Australia", "Australien", "Australie"),
    "GR": ("GRC", "Greece", "Griechenland", "Grèce", "Grecia"),
    "HU": ("HUN", "Hungary", "Ungarn", "Hongrie", "Ungheria", "Magyarország"),
    "SK": ("SVK", "Slovakia", "Slowakei", "Slovaquie", "Slovensko"),
    "SI": ("SVN", "Slovenia", "Slowenien", "Slovénie", "Slovenija"),
    "HR": ("HRV", "Croatia", "Kroatien", "Croatie", "Hrvatska"),
    "RO": ("ROU", "Romania", "Rumänien", "Roumanie", "România"),
    "BG": ("BGR", "Bulgaria", "Bulgarien", "Bulgarie"),
    "TR": ("TUR", "Turkey", "Türkiye", "Türkei", "Turquie", "Turchia"),
    "RU": ("RUS", "Russia", "Russian Federation", "Russland", "Russie"),
    "UA": ("UKR", "Ukraine", "Ucraina"),
    "IS": ("ISL", "Iceland", "Island", "Islande"),
    "MC": ("MCO", "Monaco"),
    "SM": ("SMR", "San Marino", "Saint-Marin"),
    "VA": ("VAT", "Vatican", "Vatican City", "Vatikanstadt", "Holy See"),
    "AD": ("AND", "Andorra", "Andorre"),
    "MT": ("MLT", "Malta", "Malte"),
    "CY": ("CYP", "Cyprus", "Zypern", "Chypre"),
    "EE": ("EST", "Estonia", "Estland", "Estonie"),
    "LV": ("LVA", "Latvia", "Lettland", "Lettonie"),
    "LT": ("LTU", "Lithuania", "Litauen", "Lituanie"),
    "RS": ("SRB", "Serbia", "Serbien", "Serbie"),
    "BA": ("BIH", "Bosnia and Herzegovina", "Bosnien und Herzegowina", "Bosnie-Herzégovine"),
    "MK": ("MKD", "North Macedonia", "Nordmazedonien", "Macédoine du Nord"),
    "AL": ("ALB", "Albania", "Albanien", "Albanie"),
    "ME": ("MNE", "Montenegro", "Monténégro"),
    "XK": ("XKX", "Kosovo"),
    "BY": ("BLR", "Belarus", "Weissrussland", "Biélorussie"),
    "MD": ("MDA", "Moldova", "Moldau", "Moldavie"),
    "CN": ("CHN", "China", "Chine", "Cina"),
    "JP": ("JPN", "Japan", "Japon", "Giappone"),
    "KR": ("KOR", "South Korea", "Korea", "Südkorea", "Corée du Sud"),
    "IN": ("IND", "India", "Indien", "Inde"),
    "SG": ("SGP", "Singapore", "Singapur", "Singapour"),
    "HK": ("HKG", "Hong Kong", "Hongkong"),
    "TW": ("TWN", "Taiwan", "Taïwan"),
    "TH": ("THA", "Thailand", "Thaïlande"),
    "VN": ("VNM", "Vietnam", "Viet Nam"),
    "ID": ("IDN", "Indonesia", "Indonesien", "Indonésie"),
    "MY": ("MYS", "Malaysia", "Malaisie"),
    "PH": ("PHL", "Philippines", "Philippinen"),
    "NZ": ("NZL", "New Zealand", "Neuseeland", "Nouvelle-Zélande"),
    "BR": ("BRA", "Brazil", "Brasilien", "Brésil", "Brasil"),
    "MX": ("MEX", "Mexico", "Mexiko", "Mexique", "México"),
    "AR": ("ARG", "Argentina", "Argentinien", "Argentine"),
    "CL": ("CHL", "Chile", "Chili"),
    "CO": ("COL", "Colombia", "Kolumbien", "Colombie"),
    "PE": ("PER", "Peru", "Pérou"),
    "ZA": ("ZAF", "South Africa", "Südafrika", "Afrique du Sud"),
    "EG": ("EGY", "Egypt", "Ägypten", "Égypte"),
    "MA": ("MAR", "Morocco", "Marokko", "Maroc"),
    "TN": ("TUN", "Tunisia", "Tunesien", "Tunisie"),
    "DZ": ("DZA", "Algeria", "Algerien", "Algérie"),
    "IL": ("ISR", "Israel", "Israël"),
    "AE": (
        "ARE",
        "United Arab Emirates",
        "UAE",
        "Vereinigte Arabische Emirate",
        "Émirats arabes unis",
    ),
    "SA": ("SAU", "Saudi Arabia", "Saudi-Arabien", "Arabie saoudite"),
}
_COUNTRY_FORMATS: Final = frozenset({"auto", "iso2", "name"})
# ISO codes phonenumbers has no numbering plan for
_NO_PHONE_REGIONS: Final = frozenset({"AQ", "BV", "GS", "HM", "PN", "TF", "UM"})
_ALPHA2: Final = (
    frozenset(phonenumbers.SUPPORTED_REGIONS) | frozenset(_COUNTRIES) | _NO_PHONE_REGIONS
)
_CODE_ALIASES: Final = {"UK": "GB", "EL": "GR"}
_COUNTRY_WORD = re.compile(r"[^\w]|[\d_]")


def _country_key(text: str) -> str:
    key = _COUNTRY_WORD.sub(" ", _fold(text)).split()
    if key and key[0] == "the" and len(key) > 1:
        key = key[1:]
    return "".join(key)


def _build_country_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for alpha2, (alpha3, *names) in _COUNTRIES.items():
        lookup[alpha3.lower()] = alpha2
        for name in names:
            lookup[_country_key(name)] = alpha2
    return lookup


_COUNTRY_LOOKUP: Final = _build_country_lookup()


def normalize_country(
    value: object,
    *,
    format: str = "auto",
    field: str = "country",
) -> str | None:
    """ISO 3166-1 alpha-2 code, upper case (see the module documentation)."""
    if format not in _COUNTRY_FORMATS:
        raise ValueError(f"unknown country format {format!r}")
    text = _text(value, field)
    if text is None:
        return None
    if len(text) == 2 and text.isascii() and text.isalpha():
        code = text.upper()
        code = _CODE_ALIASES.get(code, code)
        if code in _ALPHA2:
            return code
        raise _bad(field, "unknown country code")
    if format == "iso2":
        raise _bad(field, "not a two-letter country code")
    key = _country_key(text)
    if len(key) == 2:
        code = _CODE_ALIASES.get(key.upper(), key.upper())
        if code in _ALPHA2:
            return code
    found = _COUNTRY_LOOKUP.get(key)
    if found is None:
        raise _bad(field, "unknown country")
    return found


# ------------------------------------------------------------------------------------ postcode

_POSTCODE_PREFIXES: Final = {
    # letters of the international licence plate codes once used before postcodes
    **{"D": "DE", "A": "AT", "F": "FR", "I": "IT", "FL": "LI", "L": "LU", "B": "BE", "S": "SE"},
    **{"N": "NO", "FIN": "FI", "SF": "FI", "E": "ES", "P": "PT"},
    # and alpha-2 codes
    **{c: c for c in ("CH", "DE", "AT", "FR", "IT", "LI", "LU", "BE", "NL", "DK", "SE", "NO")},
    **{c: c for c in ("FI", "PL", "CZ", "ES", "PT")},
}
_POSTCODE_PREFIX = re.compile(r"([A-Z]{1,3}) ?- ?(?=\d)")
_GENERIC_POSTCODE = re.compile(r"(?=.*\d)[A-Z0-9][A-Z0-9 -]{0,8}[A-Z0-9]")
_DIGIT_POSTCODES: Final = {
    **dict.fromkeys(("DE", "FR", "IT", "ES", "FI", "US"), 5),
    **dict.fromkeys(("CH", "AT", "LI", "LU", "BE", "DK", "NO", "AU"), 4),
}
_ZERO_PADDED: Final = frozenset({"DE", "FR", "IT", "ES", "FI", "US"})
_US_ZIP = re.compile(r"(\d{5})(?:-?\d{4})?")
_POSTCODE_PATTERNS: Final[dict[str, tuple[re.Pattern[str], str]]] = {
    "SE": (re.compile(r"(\d{3}) ?(\d{2})"), r"\1 \2"),
    "CZ": (re.compile(r"(\d{3}) ?(\d{2})"), r"\1 \2"),
    "PL": (re.compile(r"(\d{2})-?(\d{3})"), r"\1-\2"),
    "PT": (re.compile(r"(\d{4})(?:-?(\d{3}))?"), r"\1-\2"),
    "NL": (re.compile(r"(\d{4}) ?([A-Z]{2})"), r"\1 \2"),
    "GB": (re.compile(r"([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})"), r"\1 \2"),
    "IE": (re.compile(r"([AC-FHKNPRTV-Y]\d{2}|D6W) ?([0-9AC-FHKNPRTV-Y]{4})"), r"\1 \2"),
    "CA": (re.compile(r"([A-Z]\d[A-Z]) ?(\d[A-Z]\d)"), r"\1 \2"),
}


def normalize_postcode(
    value: object, *, country: str | None = None, field: str = "postcode"
) -> str | None:
    """The postcode in its usual written form (see the module documentation)."""
    text = _text(value, field)
    if text is None:
        return None
    code = " ".join(text.upper().split())
    prefix = _POSTCODE_PREFIX.match(code)
    if prefix and prefix.group(1) in _POSTCODE_PREFIXES:
        code = code[prefix.end() :]
        country = country or _POSTCODE_PREFIXES[prefix.group(1)]
    country = country.upper() if country else None
    if country == "US":
        m = _US_ZIP.fullmatch(code)
        if m:
            return m.group(1)
        if code.isdigit() and len(code) == 4:
            return "0" + code
        raise _bad(field, "not a valid postcode for US")
    digits = _DIGIT_POSTCODES.get(country or "")
    if digits is not None:
        if code.isdigit():
            if len(code) == digits:
                return code
            if len(code) == digits - 1 and country in _ZERO_PADDED:
                return "0" + code
        raise _bad(field, f"not a valid postcode for {country}")
    pattern = _POSTCODE_PATTERNS.get(country or "")
    if pattern is not None:
        m = pattern[0].fullmatch(code)
        if not m:
            raise _bad(field, f"not a valid postcode for {country}")
        if country == "PT" and m.group(2) is None:
            return m.group(1)
        return m.expand(pattern[1])
    if not _GENERIC_POSTCODE.fullmatch(code):
        raise _bad(field, "not a postcode")
    return code


def postcode_match_key(
    value: object, *, country: str | None = None, field: str = "postcode"
) -> str | None:
    """The normalized postcode without spaces and hyphens."""
    code = normalize_postcode(value, country=country, field=field)
    return None if code is None else code.replace(" ", "").replace("-", "")


# ------------------------------------------------------------------------------ street and city

_GLUED_NUMBER = re.compile(r"(?<=[^\W\d_])(?=\d)")
_NUMBER_LETTER = re.compile(r"\b(\d+) ([a-z])\b")
_STRASSE = re.compile(r"(\w*?)(?:strasse|str)")
_STREET_WORDS: Final = {"ave": "avenue", "av": "avenue", "blvd": "boulevard", "rd": "road"}


@lru_cache(maxsize=65536)
def _street_key_text(text: str) -> str:
    folded = _STREET_SPACE.sub(" ", _fold(text))
    folded = _GLUED_NUMBER.sub(" ", folded)
    folded = _NUMBER_LETTER.sub(r"\1\2", " ".join(folded.split()))
    words: list[str] = []
    for word in folded.split():
        m = _STRASSE.fullmatch(word)
        if m:
            if m.group(1):
                words.append(m.group(1) + "strasse")
            elif words and not words[-1].isdigit():
                words[-1] += "strasse"
            else:
                words.append("strasse")
        elif word == "st" and words and not words[-1][:1].isdigit():
            words.append("street")
        else:
            words.append(_STREET_WORDS.get(word, word))
    return " ".join(words)


def street_match_key(value: object, *, field: str = "street") -> str | None:
    """The matching key of a street line (see the module documentation)."""
    text = _text(value, field)
    if text is None:
        return None
    key = _street_key_text(text)
    if not key:
        raise _bad(field, "no letters or digits")
    return key


@lru_cache(maxsize=65536)
def _city_key_text(text: str) -> str:
    return " ".join(_CITY_SPACE.sub(" ", _fold(text)).split())


def city_match_key(value: object, *, field: str = "city") -> str | None:
    """The matching key of a city name (see the module documentation)."""
    text = _text(value, field)
    if text is None:
        return None
    key = _city_key_text(text)
    if not key:
        raise _bad(field, "no letters")
    return key


def _clear_caches() -> None:
    """Empty this module's ``lru_cache`` caches (see :func:`cdp.models.identity.clear_caches`)."""
    for cached in (
        _phone_region,
        _phone_to_e164,
        _fold_name_text,
        _display_text,
        _street_key_text,
        _city_key_text,
    ):
        cached.cache_clear()

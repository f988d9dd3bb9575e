"""Conflict vetoes: evidence that two records are two people, whatever else agrees.

One rule set, two implementations that must agree (a test checks it): :func:`veto_sql` scores
a whole pair table in DuckDB, :func:`veto` checks one pair in Python (cluster-level checks,
``explain``). Features are the prepared columns of :mod:`identity._prepare`:
``fn`` (loose first name), ``fc`` (nickname group), ``ln`` (loose last name), ``dob``
(``YYYYMMDD``), ``city`` (exonyms folded), ``pc``, ``email``, ``phone``, ``street``, ``fi``
(initials), ``fi_only`` (the name is initials only), ``fn_n`` (how often the first name occurs).

Rules (each needs both sides known; the first that fires is the reason):

* ``first_name``: first names are clearly different: not equal (ignoring spaces and hyphens),
  not the same nickname group, sharing no word, neither a prefix of the other (an initial, or
  three letters or more: Max/Maximilian), and not one keyboard slip apart with the same first
  letter; a swapped first/last name pair is not a conflict. Households, twins (Anna/Hanna).
  Within a household (same last name, and phone or street) names must agree more strictly:
  a prefix only as a short form (three letters or more, two or more dropped, not a gendered
  ending: Tobi/Tobias yes, Nico/Nicole no), and a slip only when it keeps the length and the
  first and last letters, or
  when one spelling is far rarer in the data than the other (``fn_n``, a typo): Luca/Lucia,
  Julian/Julia, Nicola/Nicole are siblings and couples more often than typos. Initials match
  the names they abbreviate (``h w`` = Heinz Werner, ``fi``/``fi_only``).
* ``birth_date``: dates differ by more than one digit slip and are not a day/month swap.
  Juniors, namesakes, household members.
* ``last_name_and_place``: last names clearly differ (no shared word, more than one slip
  apart, not swapped) and so do cities and postcodes: a shared mailbox like ``hans@…`` does
  not make two people one.
* ``place_and_contact``: cities and postcodes differ, both e-mails are known and differ, and
  no phone is shared: nothing in common but a name (namesakes in another town).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["VETO_RULES", "Features", "veto", "veto_sql"]

#: Every veto rule (see the module documentation); settings may switch some off.
VETO_RULES: Final = frozenset(
    {"first_name", "birth_date", "last_name_and_place", "place_and_contact"}
)

#: Endings that turn a given name into another one (Franz/Franziska, Max/Maxine, Nico/Nicole):
#: a prefix ending in one of them is not a short form within a household.
_GENDER_SUFFIXES: Final = frozenset(
    {
        "a",
        "e",
        "n",
        "ia",
        "ie",
        "la",
        "le",
        "na",
        "ne",
        "lla",
        "lle",
        "ine",
        "iane",
        "ette",
        "elle",
        "ella",
        "ina",
        "ka",
        "iska",
        "etta",
        "in",
        "an",
        "ene",
        "ena",
    }
)
#: A spelling this many times rarer than a one-slip neighbour is taken for a slip.
_RARE_RATIO: Final = 30


@dataclass(frozen=True, slots=True)
class Features:
    """The veto-relevant features of one record (None: unknown)."""

    fn: str | None = None
    fc: str | None = None
    ln: str | None = None
    dob: str | None = None
    city: str | None = None
    pc: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    fi: str | None = None
    fi_only: bool | None = None
    fn_n: int | None = None


def _sql_first_compatible(l: str, r: str, *, household: bool = False) -> str:  # noqa: E741
    if household:
        loose = f"""
        or (left({l}.fn, 1) = left({r}.fn, 1) and damerau_levenshtein({l}.fn, {r}.fn) <= 1
            and ((right({l}.fn, 1) = right({r}.fn, 1) and length({l}.fn) = length({r}.fn))
                 or (least({l}.fn_n, {r}.fn_n) = 1 and greatest({l}.fn_n, {r}.fn_n) >= 3)
                 or least({l}.fn_n, {r}.fn_n) * {_RARE_RATIO} <= greatest({l}.fn_n, {r}.fn_n)))
        or (length({l}.fn) = 1 and starts_with({r}.fn, {l}.fn))
        or (length({r}.fn) = 1 and starts_with({l}.fn, {r}.fn))
        or {_sql_short_form(l, r)} or {_sql_short_form(r, l)}"""
    else:
        loose = f"""
        or ((length({l}.fn) = 1 or length({l}.fn) >= 3) and starts_with({r}.fn, {l}.fn))
        or ((length({r}.fn) = 1 or length({r}.fn) >= 3) and starts_with({l}.fn, {r}.fn))
        or (left({l}.fn, 1) = left({r}.fn, 1) and damerau_levenshtein({l}.fn, {r}.fn) <= 1)"""
    return f"""coalesce(
        replace(replace({l}.fn, ' ', ''), '-', '') = replace(replace({r}.fn, ' ', ''), '-', '')
        or {l}.fc = {r}.fc
        or list_has_any(string_split_regex({l}.fn, '[ -]'), string_split_regex({r}.fn, '[ -]'))
        or ({l}.fi_only and {l}.fi = {r}.fi)
        or ({r}.fi_only and {r}.fi = {l}.fi)
        {loose}
        or ({l}.fn = {r}.ln and {l}.ln = {r}.fn),
        false
    )"""


def _sql_short_form(s: str, g: str) -> str:
    """``s.fn`` is a short form of ``g.fn`` (Tobi/Tobias), not a gendered form of it."""
    suffixes = ", ".join(f"'{x}'" for x in sorted(_GENDER_SUFFIXES))
    return f"""(length({s}.fn) >= 3 and starts_with({g}.fn, {s}.fn)
            and length({g}.fn) - length({s}.fn) >= 2
            and substr({g}.fn, length({s}.fn) + 1) NOT IN ({suffixes}))"""


def _sql_last_compatible(l: str, r: str) -> str:  # noqa: E741
    return f"""coalesce(
        {l}.ln = {r}.ln
        or list_has_any(string_split_regex({l}.ln, '[ -]'), string_split_regex({r}.ln, '[ -]'))
        or damerau_levenshtein({l}.ln, {r}.ln) <= 1
        or ({l}.fn = {r}.ln and {l}.ln = {r}.fn),
        false
    )"""


def _sql_dob_compatible(l: str, r: str) -> str:  # noqa: E741
    return f"""coalesce(
        {l}.dob = {r}.dob
        or damerau_levenshtein({l}.dob, {r}.dob) <= 1
        or (left({l}.dob, 4) = left({r}.dob, 4)
            and substr({l}.dob, 5, 2) = substr({r}.dob, 7, 2)
            and substr({l}.dob, 7, 2) = substr({r}.dob, 5, 2)),
        false
    )"""


def veto_sql(rules: frozenset[str] = VETO_RULES, l: str = "l", r: str = "r") -> str:  # noqa: E741
    """SQL (DuckDB) over two aliased feature rows ``l`` and ``r``: the first veto of ``rules``
    that fires, or NULL."""
    cases = []
    if "first_name" in rules:
        cases.append(f"""
        WHEN {l}.fn IS NOT NULL AND {r}.fn IS NOT NULL
             AND NOT {_sql_first_compatible(l, r)} THEN 'first_name'
        WHEN {l}.fn IS NOT NULL AND {r}.fn IS NOT NULL AND {l}.ln = {r}.ln
             AND coalesce({l}.phone = {r}.phone OR {l}.street = {r}.street, false)
             AND NOT {_sql_first_compatible(l, r, household=True)} THEN 'first_name'""")
    if "birth_date" in rules:
        cases.append(f"""
        WHEN {l}.dob IS NOT NULL AND {r}.dob IS NOT NULL
             AND NOT {_sql_dob_compatible(l, r)} THEN 'birth_date'""")
    if "last_name_and_place" in rules:
        cases.append(f"""
        WHEN {l}.ln IS NOT NULL AND {r}.ln IS NOT NULL AND NOT {_sql_last_compatible(l, r)}
             AND {l}.city IS NOT NULL AND {r}.city IS NOT NULL AND {l}.city <> {r}.city
             AND coalesce({l}.pc <> {r}.pc, true) THEN 'last_name_and_place'""")
    if "place_and_contact" in rules:
        cases.append(f"""
        WHEN {l}.city IS NOT NULL AND {r}.city IS NOT NULL AND {l}.city <> {r}.city
             AND coalesce({l}.pc <> {r}.pc, true)
             AND {l}.email IS NOT NULL AND {r}.email IS NOT NULL AND {l}.email <> {r}.email
             AND coalesce({l}.phone <> {r}.phone, true)
             THEN 'place_and_contact'""")
    if not cases:
        return "CAST(NULL AS VARCHAR)"
    return "CASE" + "".join(cases) + "\n        ELSE NULL END"


def _within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1 (one insertion, deletion, substitution or swap)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def _words(name: str) -> set[str]:
    return set(name.replace("-", " ").split(" "))


def _prefix(short: str, long: str) -> bool:
    return (len(short) == 1 or len(short) >= 3) and long.startswith(short)


def _first_compatible(a: Features, b: Features, *, household: bool = False) -> bool:
    fa, fb = a.fn or "", b.fn or ""
    if (
        fa.replace(" ", "").replace("-", "") == fb.replace(" ", "").replace("-", "")
        or (a.fc is not None and a.fc == b.fc)
        or bool(_words(fa) & _words(fb))
        or (bool(a.fi_only) and a.fi == b.fi)
        or (bool(b.fi_only) and b.fi == a.fi)
        or (fa == b.ln and a.ln == fb)
    ):
        return True
    if household:
        slip = (
            fa[:1] == fb[:1]
            and _within_one_edit(fa, fb)
            and ((fa[-1:] == fb[-1:] and len(fa) == len(fb)) or _rare_variant(a.fn_n, b.fn_n))
        )
        return (
            slip
            or (len(fa) == 1 and fb.startswith(fa))
            or (len(fb) == 1 and fa.startswith(fb))
            or _short_form(fa, fb)
            or _short_form(fb, fa)
        )
    return _prefix(fa, fb) or _prefix(fb, fa) or (fa[:1] == fb[:1] and _within_one_edit(fa, fb))


def _last_compatible(a: Features, b: Features) -> bool:
    la, lb = a.ln or "", b.ln or ""
    return (
        la == lb
        or bool(_words(la) & _words(lb))
        or _within_one_edit(la, lb)
        or (a.fn is not None and a.fn == lb and la == b.fn)
    )


def _different_place(a: Features, b: Features) -> bool:
    return (
        a.city is not None
        and b.city is not None
        and a.city != b.city
        and (a.pc is None or b.pc is None or a.pc != b.pc)
    )


def _short_form(short: str, full: str) -> bool:
    return (
        len(short) >= 3
        and full.startswith(short)
        and len(full) - len(short) >= 2
        and full[len(short) :] not in _GENDER_SUFFIXES
    )


def _rare_variant(na: int | None, nb: int | None) -> bool:
    """One spelling is far rarer in the data than the other: a slip, not another name."""
    if na is None or nb is None:
        return False
    low, high = min(na, nb), max(na, nb)
    return (low == 1 and high >= 3) or low * _RARE_RATIO <= high


def _dob_compatible(a: str, b: str) -> bool:
    return (
        a == b
        or _within_one_edit(a, b)
        or (a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6])
    )


def veto(a: Features, b: Features, rules: frozenset[str] = VETO_RULES) -> str | None:
    """The first conflict of ``rules`` that makes ``a`` and ``b`` two people, or None."""
    if "first_name" in rules and a.fn is not None and b.fn is not None:
        if not _first_compatible(a, b):
            return "first_name"
        household = (
            a.ln is not None
            and a.ln == b.ln
            and (
                (a.phone is not None and a.phone == b.phone)
                or (a.street is not None and a.street == b.street)
            )
        )
        if household and not _first_compatible(a, b, household=True):
            return "first_name"
    if (
        "birth_date" in rules
        and a.dob is not None
        and b.dob is not None
        and not _dob_compatible(a.dob, b.dob)
    ):
        return "birth_date"
    if (
        "last_name_and_place" in rules
        and a.ln is not None
        and b.ln is not None
        and not _last_compatible(a, b)
        and _different_place(a, b)
    ):
        return "last_name_and_place"
    if (
        "place_and_contact" in rules
        and _different_place(a, b)
        and a.email is not None
        and b.email is not None
        and a.email != b.email
        and (a.phone is None or b.phone is None or a.phone != b.phone)
    ):
        return "place_and_contact"
    return None

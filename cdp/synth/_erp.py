"""ERP customers as an SAP KNA1 extract (``erp/customers-*.csv``).

SAP keeps the whole name in NAME1, typed by whoever opened the account: "Hans Müller",
"Müller, Hans", "HANS MÜLLER", "MÜLLER Hans", "Dr. Hans Müller"; at most 35 characters.
"""

from __future__ import annotations

import random
from typing import Final

from cdp.synth._clock import yyyymmdd
from cdp.synth._ids import SapCustomerNumbers
from cdp.synth._options import GenerateOptions
from cdp.synth._people import Person
from cdp.synth._phones import fmt_national
from cdp.synth._random import stream
from cdp.synth._render import RecordStyle, city_text, email_for, names, record_address, street_text
from cdp.synth._timeline import Timeline

__all__ = ["ERP_COLUMNS", "Erp", "name1"]

ERP_COLUMNS: Final = (
    "KUNNR",
    "NAME1",
    "STRAS",
    "PSTLZ",
    "ORT01",
    "LAND1",
    "TELF1",
    "SMTP_ADDR",
    "GBDAT",
    "ERDAT",
    "AEDAT",
)

_TITLES: Final[dict[str, tuple[str, ...]]] = {
    "CH": ("Dr.", "Dr.", "Prof. Dr.", "Dr. med."),
    "DE": ("Dr.", "Dr.", "Prof. Dr.", "Dipl.-Ing.", "Dr. med."),
    "AT": ("Dr.", "Mag.", "Ing.", "DI", "Dr. med."),
    "FR": ("Dr", "Me", "Pr"),
    "IT": ("Dott.", "Dott.ssa", "Ing.", "Avv."),
    "GB": ("Dr", "Mr", "Mrs", "Ms"),
    "US": ("Dr.", "Mr.", "Mrs.", "Ms."),
}


def name1(first: str, last: str, country: str, rng: random.Random, *, title: float = 0.04) -> str:
    """One NAME1 value: the full name in one of the orders and cases SAP users type."""
    x = rng.random()
    upper_last_first = 0.38 if country == "FR" else 0.0  # "Jean DUPONT"
    if x < 0.42 - upper_last_first:
        name = f"{first} {last}"
    elif x < 0.42:
        name = f"{first} {last.upper()}"
    elif x < 0.58:
        name = f"{last}, {first}"
    elif x < 0.69:
        name = f"{first} {last}".upper()
    elif x < 0.82:
        name = f"{last.upper()} {first}"
    elif x < 0.85:
        name = f"{last} {first}"  # ambiguous order, as found in old data
    elif x < 0.88:
        name = f"{last.upper()}, {first.upper()}"
    else:
        name = f"{first} {last}"
    if "," not in name and rng.random() < title:
        name = f"{rng.choice(_TITLES[country])} {name}"
    return name[:35]


class Erp:
    """One KNA1 row per person present in the ERP (rarely two: a duplicate account)."""

    def __init__(self, options: GenerateOptions, timeline: Timeline) -> None:
        self.o = options
        self.t = timeline
        self.rng = stream(options.seed, "erp")
        self.ids = SapCustomerNumbers(self.rng)
        self.counts = {"erp_records": 0, "erp_duplicates": 0}

    def rows(self, p: Person) -> list[tuple[str, ...]]:
        n = 2 if self.rng.random() < self.o.erp_duplicate else 1
        self.counts["erp_records"] += n
        self.counts["erp_duplicates"] += n - 1
        return [self._row(p, duplicate=k > 0) for k in range(n)]

    def _row(self, p: Person, *, duplicate: bool) -> tuple[str, ...]:
        rng, o = self.rng, self.o
        miss = o.missing_field
        style = RecordStyle.draw(p, rng, o, factor=1.5)
        first, last = names(p, rng, o, style)
        address = record_address(p, "erp", rng, stale=0.5 if duplicate else 0.0)
        phone = p.landline if p.landline and rng.random() < 0.7 else p.mobile or p.landline
        email = email_for(p, "erp", rng, o, work=0.3) if rng.random() < 0.35 else None
        city = city_text(address, rng, o, style)
        if rng.random() < 0.12:
            city = city.upper()
        created = self.t.created(rng, years_back=10)
        modified = self.t.modified(rng, created)
        return (
            self.ids.next(),
            name1(first, last, p.country, rng),
            "" if rng.random() < miss else street_text(address, rng, o, style, abbreviate=0.4),
            "" if rng.random() < miss / 2 else address.postcode,
            city,
            p.country,
            "" if phone is None or rng.random() < 0.1 + miss else fmt_national(phone, rng),
            email or "",
            p.birth.strftime("%Y%m%d") if rng.random() < 0.5 else "",
            yyyymmdd(created),
            yyyymmdd(modified),
        )

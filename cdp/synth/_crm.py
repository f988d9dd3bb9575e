"""CRM contacts as a Salesforce Contact export (``crm/contacts-*.csv``)."""

from __future__ import annotations

from typing import Final

from cdp.synth._clock import salesforce
from cdp.synth._ids import SalesforceIds
from cdp.synth._options import GenerateOptions
from cdp.synth._people import Person
from cdp.synth._phones import Phone, fmt_international, fmt_national
from cdp.synth._random import stream
from cdp.synth._render import RecordStyle, city_text, email_for, names, record_address, street_text
from cdp.synth._timeline import Timeline

__all__ = ["CRM_COLUMNS", "Crm"]

CRM_COLUMNS: Final = (
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Phone",
    "MobilePhone",
    "MailingStreet",
    "MailingPostalCode",
    "MailingCity",
    "MailingCountry",
    "Birthdate",
    "AccountName",
    "HasOptedOutOfEmail",
    "CreatedDate",
    "LastModifiedDate",
    "IsDeleted",
)


class Crm:
    """One or more Contact rows per person present in the CRM (duplicates are extra rows)."""

    def __init__(self, options: GenerateOptions, timeline: Timeline) -> None:
        self.o = options
        self.t = timeline
        self.rng = stream(options.seed, "crm")
        self.ids = SalesforceIds(self.rng)
        self.counts = {"crm_records": 0, "crm_deleted": 0, "crm_duplicates": 0}

    def rows(self, p: Person, opted_out: bool) -> list[tuple[str, ...]]:
        rng, o = self.rng, self.o
        n = 1
        if rng.random() < o.crm_duplicate:
            n = 3 if rng.random() < 0.1 else 2
        out = [self._row(p, opted_out, duplicate=k > 0) for k in range(n)]
        self.counts["crm_records"] += n
        self.counts["crm_duplicates"] += n - 1
        return out

    def _phone(self, phone: Phone | None, country_known: bool) -> str:
        if phone is None:
            return ""
        if country_known and self.rng.random() < 0.5:
            return fmt_national(phone, self.rng)
        return fmt_international(phone, self.rng, allow_idd=country_known)

    def _row(self, p: Person, opted_out: bool, *, duplicate: bool) -> tuple[str, ...]:
        rng, o = self.rng, self.o
        miss = o.missing_field * (3 if duplicate else 1)
        style = RecordStyle.draw(p, rng, o)
        first, last = names(p, rng, o, style, nick=2.0 if duplicate else 1.0)
        address = record_address(p, "crm", rng, stale=0.5 if duplicate else 0.0)
        b2b = p.company is not None and rng.random() < 0.55
        email = email_for(p, "crm", rng, o, work=0.85 if b2b else 0.0)
        country_known = rng.random() >= miss
        office = p.work_phone if b2b else None
        phone = office or p.landline or (p.mobile if duplicate and rng.random() < 0.5 else None)
        created = self.t.created(rng, years_back=6)
        modified = self.t.modified(rng, created)
        deleted = rng.random() < o.crm_deleted
        self.counts["crm_deleted"] += deleted
        if rng.random() < 0.03:  # the CRM lags behind the preference centre
            opted_out = not opted_out
        return (
            self.ids.next(),
            "" if rng.random() < miss / 4 else first,
            last,
            "" if email is None or rng.random() < miss else email,
            "" if rng.random() < miss else self._phone(phone, country_known),
            "" if rng.random() < miss else self._phone(p.mobile, country_known),
            "" if rng.random() < miss else street_text(address, rng, o, style, abbreviate=0.15),
            "" if rng.random() < miss else address.postcode,
            "" if rng.random() < miss / 2 else city_text(address, rng, o, style),
            p.info.name if country_known else "",
            p.birth.isoformat() if rng.random() < (0.2 if duplicate else 0.35) else "",
            p.company.name if b2b and p.company is not None else "",
            "true" if opted_out else "false",
            salesforce(created),
            salesforce(modified),
            "true" if deleted else "false",
        )

"""Per-country facts: names, who lives there, e-mail providers, company forms, web locale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["COUNTRIES", "CountryInfo"]


@dataclass(frozen=True, slots=True)
class CountryInfo:
    code: str  # ISO 3166 alpha-2
    name: str  # English name, as Salesforce writes MailingCountry
    dial: str  # country calling code
    currency: str
    jurisdiction: str  # consent jurisdiction: CH | EU | US
    #: culture of the local population per region language -> [(culture, surname pool, weight)]
    origins: dict[str, tuple[tuple[str, str, float], ...]]
    providers: tuple[tuple[str, float], ...]  # personal e-mail domains
    company_forms: tuple[str, ...]
    company_tld: str
    locales: dict[str, str]  # language -> web locale
    family_prefix: tuple[str, ...]  # local part prefix of a shared family address


_DACH_IMMIGRANTS: tuple[tuple[str, str, float], ...] = (
    ("it", "it", 0.05),
    ("pt", "pt", 0.03),
    ("bk", "bk", 0.05),
    ("tr", "tr", 0.04),
)

COUNTRIES: Final[dict[str, CountryInfo]] = {
    "CH": CountryInfo(
        code="CH",
        name="Switzerland",
        dial="41",
        currency="CHF",
        jurisdiction="CH",
        origins={
            "de": (("de", "ch", 0.72), ("de", "de", 0.09), *_DACH_IMMIGRANTS, ("fr", "fr", 0.02)),
            "fr": (
                ("fr", "fr", 0.78),
                ("de", "ch", 0.06),
                ("pt", "pt", 0.08),
                ("it", "it", 0.05),
                ("bk", "bk", 0.03),
            ),
            "it": (("it", "it", 0.86), ("de", "ch", 0.08), ("pt", "pt", 0.03), ("bk", "bk", 0.03)),
        },
        providers=(
            ("gmail.com", 30),
            ("bluewin.ch", 22),
            ("gmx.ch", 9),
            ("hotmail.com", 8),
            ("outlook.com", 6),
            ("icloud.com", 5),
            ("sunrise.ch", 4),
            ("yahoo.com", 3),
            ("protonmail.com", 3),
            ("hispeed.ch", 2),
            ("gmx.net", 2),
            ("hotmail.ch", 2),
        ),
        company_forms=("AG", "GmbH", "AG", "GmbH", "SA", "Sàrl", "& Co."),
        company_tld="ch",
        locales={"de": "de-CH", "fr": "fr-CH", "it": "it-CH"},
        family_prefix=("familie", "fam", "family"),
    ),
    "DE": CountryInfo(
        code="DE",
        name="Germany",
        dial="49",
        currency="EUR",
        jurisdiction="EU",
        origins={
            "de": (
                ("de", "de", 0.82),
                ("tr", "tr", 0.08),
                ("bk", "bk", 0.04),
                ("it", "it", 0.03),
                ("pt", "pt", 0.01),
                ("de", "at", 0.02),
            )
        },
        providers=(
            ("gmail.com", 22),
            ("web.de", 18),
            ("gmx.de", 17),
            ("t-online.de", 10),
            ("googlemail.com", 5),
            ("outlook.de", 4),
            ("hotmail.de", 4),
            ("yahoo.de", 4),
            ("freenet.de", 3),
            ("icloud.com", 4),
            ("posteo.de", 2),
            ("gmx.net", 5),
            ("arcor.de", 2),
        ),
        company_forms=("GmbH", "GmbH", "AG", "GmbH & Co. KG", "KG", "e.K."),
        company_tld="de",
        locales={"de": "de-DE"},
        family_prefix=("familie", "fam", "family"),
    ),
    "AT": CountryInfo(
        code="AT",
        name="Austria",
        dial="43",
        currency="EUR",
        jurisdiction="EU",
        origins={
            "de": (
                ("de", "at", 0.80),
                ("de", "de", 0.06),
                ("bk", "bk", 0.07),
                ("tr", "tr", 0.05),
                ("it", "it", 0.02),
            )
        },
        providers=(
            ("gmail.com", 28),
            ("gmx.at", 20),
            ("aon.at", 10),
            ("chello.at", 6),
            ("hotmail.com", 7),
            ("outlook.com", 6),
            ("icloud.com", 5),
            ("yahoo.com", 4),
            ("a1.net", 6),
            ("gmx.net", 5),
            ("inode.at", 3),
        ),
        company_forms=("GmbH", "GmbH", "AG", "KG", "OG", "e.U."),
        company_tld="at",
        locales={"de": "de-AT"},
        family_prefix=("familie", "fam"),
    ),
    "FR": CountryInfo(
        code="FR",
        name="France",
        dial="33",
        currency="EUR",
        jurisdiction="EU",
        origins={
            "fr": (
                ("fr", "fr", 0.88),
                ("pt", "pt", 0.05),
                ("it", "it", 0.03),
                ("es", "es", 0.02),
                ("tr", "tr", 0.02),
            )
        },
        providers=(
            ("gmail.com", 30),
            ("orange.fr", 16),
            ("hotmail.fr", 10),
            ("free.fr", 9),
            ("yahoo.fr", 7),
            ("laposte.net", 6),
            ("sfr.fr", 6),
            ("wanadoo.fr", 5),
            ("outlook.fr", 5),
            ("icloud.com", 4),
            ("bbox.fr", 2),
        ),
        company_forms=("SAS", "SARL", "SA", "SAS", "EURL"),
        company_tld="fr",
        locales={"fr": "fr-FR"},
        family_prefix=("famille", "fam"),
    ),
    "IT": CountryInfo(
        code="IT",
        name="Italy",
        dial="39",
        currency="EUR",
        jurisdiction="EU",
        origins={
            "it": (("it", "it", 0.94), ("bk", "bk", 0.03), ("fr", "fr", 0.01), ("es", "es", 0.02))
        },
        providers=(
            ("gmail.com", 35),
            ("libero.it", 16),
            ("hotmail.it", 10),
            ("yahoo.it", 8),
            ("virgilio.it", 7),
            ("alice.it", 5),
            ("tiscali.it", 4),
            ("outlook.it", 5),
            ("icloud.com", 4),
            ("fastwebnet.it", 3),
            ("tin.it", 3),
        ),
        company_forms=("S.r.l.", "S.r.l.", "S.p.A.", "S.n.c.", "S.a.s."),
        company_tld="it",
        locales={"it": "it-IT"},
        family_prefix=("famiglia", "fam"),
    ),
    "GB": CountryInfo(
        code="GB",
        name="United Kingdom",
        dial="44",
        currency="GBP",
        # UK GDPR follows the EU consent rules; the consent contract knows CH | EU | US.
        jurisdiction="EU",
        origins={
            "en": (("en", "gb", 0.94), ("pt", "pt", 0.02), ("it", "it", 0.02), ("tr", "tr", 0.02))
        },
        providers=(
            ("gmail.com", 32),
            ("hotmail.co.uk", 14),
            ("yahoo.co.uk", 10),
            ("outlook.com", 9),
            ("btinternet.com", 9),
            ("icloud.com", 7),
            ("live.co.uk", 5),
            ("sky.com", 5),
            ("aol.com", 3),
            ("virginmedia.com", 4),
            ("talktalk.net", 2),
        ),
        company_forms=("Ltd", "Ltd", "Limited", "PLC", "LLP"),
        company_tld="co.uk",
        locales={"en": "en-GB"},
        family_prefix=("the", "family"),
    ),
    "US": CountryInfo(
        code="US",
        name="United States",
        dial="1",
        currency="USD",
        jurisdiction="US",
        origins={
            "en": (("en", "us", 0.84), ("es", "es", 0.12), ("it", "it", 0.02), ("pt", "pt", 0.02))
        },
        providers=(
            ("gmail.com", 40),
            ("yahoo.com", 14),
            ("hotmail.com", 9),
            ("outlook.com", 8),
            ("icloud.com", 10),
            ("aol.com", 6),
            ("comcast.net", 5),
            ("msn.com", 3),
            ("att.net", 3),
            ("verizon.net", 2),
        ),
        company_forms=("Inc.", "LLC", "Corp.", "Inc.", "Co."),
        company_tld="com",
        locales={"en": "en-US"},
        family_prefix=("the", "family"),
    ),
}

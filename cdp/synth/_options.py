"""What to generate (``GenerateOptions``) and what was generated (``GenerationReport``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

from cdp.errors import CdpError
from cdp.synth._vocab import COUNTRIES

__all__ = ["GenerateOptions", "GenerationReport", "InvalidOptionsError", "SynthError"]


class SynthError(CdpError):
    """Base class of the synthetic data generator's errors."""


class InvalidOptionsError(SynthError, ValueError):
    """A ``GenerateOptions`` value is out of range; the message names the option."""


#: Options that are shares of people/records/devices/lines, each in [0, 1].
_RATES = (
    "crm_coverage",
    "erp_coverage",
    "web_coverage",
    "consent_coverage",
    "household_share",
    "twin_share",
    "namesake_share",
    "typo",
    "nickname",
    "missing_field",
    "old_address",
    "old_email",
    "transliteration",
    "email_variant",
    "crm_duplicate",
    "crm_deleted",
    "erp_duplicate",
    "web_login",
    "web_alias",
    "web_consent_context",
    "clock_skew",
    "bad_line_rate",
    "duplicate_message_rate",
)


@dataclass(frozen=True, kw_only=True)
class GenerateOptions:
    """How many people, over which period, in which sources, with how much noise.

    Coverage rates are the share of the underlying people present in each source (drawn
    independently, so some people appear in none). Noise rates are per record (per field for
    ``typo`` and ``missing_field``), except ``old_address`` / ``old_email`` (share of people: one
    of their sources shows the previous address / e-mail) and the hard negatives
    ``household_share`` (people living with another generated person, twins not counted),
    ``twin_share`` (people who are one of twins) and ``namesake_share`` (people given the exact
    name of an earlier person in another town).
    """

    people: int = 1000
    seed: int = 42
    start: date = date(2025, 1, 1)
    end: date = date(2026, 10, 31)
    # sources
    crm_coverage: float = 0.6
    erp_coverage: float = 0.35
    web_coverage: float = 0.5
    consent_coverage: float = 0.4  # people with preference-centre statements
    events_per_web_user: float = 20.0  # mean messages per web person (ingest benchmarks scale this)
    chunk_rows: int = 100_000
    #: population mix: (ISO country, weight)
    countries: tuple[tuple[str, float], ...] = (
        ("CH", 0.40),
        ("DE", 0.30),
        ("AT", 0.12),
        ("FR", 0.06),
        ("IT", 0.06),
        ("GB", 0.03),
        ("US", 0.03),
    )
    # hard negatives
    household_share: float = 0.30
    twin_share: float = 0.02
    namesake_share: float = 0.03
    # record noise
    typo: float = 0.03
    nickname: float = 0.05
    missing_field: float = 0.05
    old_address: float = 0.08
    old_email: float = 0.08
    transliteration: float = 0.08
    email_variant: float = 0.05
    crm_duplicate: float = 0.05
    crm_deleted: float = 0.015
    erp_duplicate: float = 0.01
    # web behaviour
    web_login: float = 0.6  # web people with an account who log in
    web_alias: float = 0.2  # logins that also send an alias call
    web_consent_context: float = 0.4  # devices whose messages carry CMP consent in context
    clock_skew: float = 0.05  # devices with a wrong clock
    bad_line_rate: float = 0.005  # deliberately broken web lines (quarantine fodder)
    duplicate_message_rate: float = 0.0  # re-sent messages with the same messageId

    def __post_init__(self) -> None:
        if isinstance(self.countries, Mapping):  # accept {"CH": 0.5, ...} too
            object.__setattr__(self, "countries", tuple(self.countries.items()))
        _check_int("people", self.people, 1)
        _check_int("chunk_rows", self.chunk_rows, 1)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise InvalidOptionsError(f"seed must be an integer, got {self.seed!r}")
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise InvalidOptionsError("start and end must be dates")
        if self.end <= self.start:
            raise InvalidOptionsError(f"end ({self.end}) must be after start ({self.start})")
        for name in _RATES:
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise InvalidOptionsError(f"{name} must be a share in [0, 1], got {value!r}")
        epw = self.events_per_web_user
        if not isinstance(epw, int | float) or not math.isfinite(epw) or epw < 0:
            raise InvalidOptionsError(f"events_per_web_user must be >= 0, got {epw!r}")
        if self.household_share + 1.5 * self.twin_share > 1.0:
            raise InvalidOptionsError(
                "household_share + 1.5 * twin_share must be <= 1 (twins live in households too)"
            )
        if not self.countries:
            raise InvalidOptionsError("countries must name at least one country")
        for code, weight in self.countries:
            if code not in COUNTRIES:
                raise InvalidOptionsError(
                    f"countries: unknown country {code!r}; known: {', '.join(COUNTRIES)}"
                )
            if not isinstance(weight, int | float) or weight < 0:
                raise InvalidOptionsError(f"countries: weight of {code} must be >= 0")
        if sum(w for _, w in self.countries) <= 0:
            raise InvalidOptionsError("countries: the weights must not all be zero")

    def to_json(self) -> dict[str, Any]:
        """The options as JSON-ready values (for the manifest)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, date):
                value = value.isoformat()
            elif f.name == "countries":
                value = {code: weight for code, weight in value}
            out[f.name] = value
        return out


def _check_int(name: str, value: object, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InvalidOptionsError(f"{name} must be an integer >= {minimum}, got {value!r}")


@dataclass(frozen=True)
class GenerationReport:
    """What ``generate`` wrote: counts per source and kind, and every file it wrote."""

    out_dir: Path
    people: int
    counts: dict[str, int]
    files: list[Path]
    seed: int

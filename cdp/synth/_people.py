"""The underlying population: people in households, with the truth every source record derives from.

People are generated household by household, one at a time, so memory does not depend on the
population size. The hard negatives identity resolution must keep apart are built in here:
households (same surname, address and landline), twins (also the same birth date), juniors
(a son with his father's name at the same address) and namesakes (an earlier person's exact name
in another town).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from cdp.synth._addresses import PLACES_BY_COUNTRY, Address, Place, random_address
from cdp.synth._emails import Company, Mailboxes, companies, email_from_name, slug
from cdp.synth._names import first_name, surname
from cdp.synth._options import GenerateOptions
from cdp.synth._phones import Phone, landline, mobile
from cdp.synth._random import Weighted, stream
from cdp.synth._vocab import COUNTRIES, FEMALE, MALE, SIMILAR_NAMES, CountryInfo

__all__ = ["SOURCES", "Person", "Population"]

SOURCES: Final = ("crm", "erp", "web")


@dataclass(slots=True)
class Person:
    index: int
    pid: str
    hid: str
    country: str
    info: CountryInfo
    lang: str  # language of the region (de/fr/it/en)
    culture: str  # culture of the names
    german: bool  # transliterates with German rules (ü -> ue)
    sex: str  # "m" | "f"
    first: str
    last: str
    birth: date
    address: Address
    old_address: Address | None
    landline: Phone | None
    mobile: Phone | None
    work_phone: Phone | None
    email: str | None
    old_email: str | None
    work_email: str | None
    family_email: str | None
    company: Company | None
    in_crm: bool
    in_erp: bool
    in_web: bool
    old_address_in: str | None  # the one source that still has the previous address
    old_email_in: str | None  # the one source that still has the previous e-mail
    tags: tuple[str, ...] = field(default=())  # household, twin, junior, namesake, mover...

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(
            s
            for s, present in zip(SOURCES, (self.in_crm, self.in_erp, self.in_web), strict=True)
            if present
        )


@dataclass(slots=True)
class _Household:
    hid: str
    country: str
    info: CountryInfo
    place: Place
    address: Address
    old_address: Address | None
    landline: Phone | None
    culture: str
    pool: str
    family_name: str
    family_email: str | None = None


def _similar_pairs() -> dict[str, tuple[tuple[str, str, str, str], ...]]:
    """Per culture: similar-name pairs with each name's sex (Anna f / Hanna f)."""
    out: dict[str, tuple[tuple[str, str, str, str], ...]] = {}
    for culture in MALE:
        sex_of = {n: "m" for n in MALE[culture]} | {n: "f" for n in FEMALE[culture]}
        out[culture] = tuple(
            (a, sex_of[a], b, sex_of[b]) for a, b in SIMILAR_NAMES if a in sex_of and b in sex_of
        )
    return out


_SIMILAR: Final = _similar_pairs()


class Population:
    """Iterates over ``options.people`` people, household by household."""

    def __init__(self, options: GenerateOptions, mailboxes: Mailboxes) -> None:
        self.o = options
        self.rng = stream(options.seed, "people")
        self.mailboxes = mailboxes
        codes = [c for c, w in options.countries if w > 0]
        self._country = Weighted(codes, [w for c, w in options.countries if w > 0])
        company_rng = stream(options.seed, "companies")
        self._companies = {c: companies(company_rng, c) for c in codes}
        self._origins = {
            (c, lang): Weighted([(cu, pool) for cu, pool, _ in mix], [w for *_, w in mix])
            for c in codes
            for lang, mix in COUNTRIES[c].origins.items()
        }
        self._providers = {
            c: Weighted(
                [d for d, _ in COUNTRIES[c].providers], [w for _, w in COUNTRIES[c].providers]
            )
            for c in codes
        }
        # Household kinds per household so that the shares of *people* come out as asked:
        # twins households hold ~3 people (2 twins), other multi-person ones ~2.4.
        t, h = options.twin_share, options.household_share
        self._kind = Weighted(
            ["twins", "multi", "single"], [t / 2, h / 2.4, max(1.0 - h - 1.5 * t, 0.0)]
        )
        self._recent: dict[str, deque[tuple[str, str, str, str, str, str]]] = {
            c: deque(maxlen=400) for c in codes
        }
        self._end = options.end
        self.households = 0
        self._index = 0
        self.stats = {"twin_pairs": 0, "namesakes": 0, "juniors": 0, "movers": 0}

    # -- the loop --------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Person]:
        made = 0
        while made < self.o.people:
            for person in self._household():
                yield person
                made += 1
                if made >= self.o.people:
                    return

    def _household(self) -> list[Person]:
        rng = self.rng
        self.households += 1
        kind = self._kind.pick(rng)
        hh = self._new_household(kind)
        if kind == "single":
            return [self._adult(hh, self._age(18, 92), head=True, tags=())]
        if kind == "twins":
            return self._twins(hh)
        x = rng.random()
        if x < 0.55:
            return self._couple(hh, 22)
        if x < 0.8:
            parents = self._couple(hh, 40)
            return parents + self._children(hh, rng.choice((1, 1, 2)), parents)
        if x < 0.92:
            parent = self._adult(hh, self._age(38, 75), head=True, tags=("household",))
            return [parent, *self._children(hh, rng.choice((1, 1, 2)), [parent])]
        return self._flatshare(hh)

    # -- households --------------------------------------------------------------------------

    def _new_household(self, kind: str) -> _Household:
        rng = self.rng
        country = self._country.pick(rng)
        info = COUNTRIES[country]
        place = PLACES_BY_COUNTRY[country].pick(rng)
        culture, pool = self._origins[country, place.lang].pick(rng)
        address = random_address(rng, country, place)
        old = None
        if rng.random() < self.o.old_address:
            same_town = rng.random() < 0.6
            old = random_address(rng, country, place if same_town else None)
        p_landline = 0.35 if kind == "single" else 0.6
        phone = landline(rng, country, place.area) if rng.random() < p_landline else None
        return _Household(
            hid=f"H{self.households:08d}",
            country=country,
            info=info,
            place=place,
            address=address,
            old_address=old,
            landline=phone,
            culture=culture,
            pool=pool,
            family_name=surname(rng, pool),
        )

    def _couple(self, hh: _Household, youngest: int) -> list[Person]:
        rng = self.rng
        a = self._adult(hh, self._age(youngest, 88), head=True, tags=("household",))
        partner_sex = "f" if a.sex == "m" else "m"
        if rng.random() < 0.06:
            partner_sex = a.sex
        age = max(youngest - 4, self._age_of(a.birth) + int(rng.gauss(0, 4)))
        x = rng.random()
        last = hh.family_name
        if x < 0.2:
            last = surname(rng, hh.pool)
        elif x < 0.3 and hh.country in ("CH", "DE", "AT"):
            last = f"{surname(rng, hh.pool)}-{hh.family_name}"
        b = self._adult(hh, age, sex=partner_sex, last=last, tags=("household",))
        self._maybe_family_email(hh, [a, b])
        return [a, b]

    def _children(self, hh: _Household, n: int, parents: list[Person]) -> list[Person]:
        rng = self.rng
        kids = []
        fathers = [p for p in parents if p.sex == "m" and p.last == hh.family_name]
        youngest = min(self._age_of(p.birth) for p in parents)
        for _ in range(n):
            sex = rng.choice("mf")
            age = min(self._age(16, 30), youngest - 20 - rng.randrange(6))
            age = max(age, 16)
            if sex == "m" and fathers and rng.random() < 0.04:
                # Junior: the father's full name at the father's address; only the birth differs.
                kids.append(
                    self._adult(
                        hh, age, sex=sex, first=fathers[0].first, tags=("household", "junior")
                    )
                )
                self.stats["juniors"] += 1
            else:
                kids.append(self._adult(hh, age, sex=sex, tags=("household",)))
        return kids

    def _flatshare(self, hh: _Household) -> list[Person]:
        people = []
        for _ in range(self.rng.choice((2, 2, 3))):
            culture, pool = hh.culture, hh.pool
            people.append(
                self._adult(
                    hh,
                    self._age(19, 40),
                    last=surname(self.rng, pool),
                    tags=("household",),
                    culture=culture,
                )
            )
        return people

    def _twins(self, hh: _Household) -> list[Person]:
        rng = self.rng
        age = self._age(18, 45)
        pairs = _SIMILAR.get(hh.culture, ())
        if pairs and rng.random() < 0.35:
            a_first, a_sex, b_first, b_sex = rng.choice(pairs)
        else:
            a_sex = rng.choice("mf")
            b_sex = a_sex if rng.random() < 0.65 else ("f" if a_sex == "m" else "m")
            a_first = first_name(rng, hh.culture, a_sex)
            b_first = a_first
            while b_first == a_first:
                b_first = first_name(rng, hh.culture, b_sex)
        a = self._adult(hh, age, sex=a_sex, first=a_first, tags=("twin",))
        b = self._adult(hh, age, sex=b_sex, first=b_first, tags=("twin",), birth=a.birth)
        self.stats["twin_pairs"] += 1
        people = [a, b]
        if age < 30 and rng.random() < 0.6:  # still living with their parents
            mother = self._adult(hh, age + rng.randint(22, 38), sex="f", tags=("household",))
            people.insert(0, mother)
            if rng.random() < 0.7:
                father = self._adult(hh, age + rng.randint(23, 42), sex="m", tags=("household",))
                people.insert(0, father)
        self._maybe_family_email(hh, people)
        return people

    def _maybe_family_email(self, hh: _Household, members: list[Person]) -> None:
        rng = self.rng
        if rng.random() >= 0.2:
            return
        prefix = rng.choice(hh.info.family_prefix)
        last = slug(hh.family_name.split("-")[-1], german=hh.culture == "de")
        if prefix == "the":
            local = f"the{last}s" if rng.random() < 0.5 else f"the.{last}s"
        else:
            local = f"{prefix}.{last}" if rng.random() < 0.7 else f"{last}.{prefix}"
        domain = self._providers[hh.country].pick(rng)
        address = email_from_name(rng, self.mailboxes, local, "", 0, domain, pattern="fl")
        hh.family_email = address
        for m in members:
            m.family_email = address

    # -- people ------------------------------------------------------------------------------

    def _age(self, lo: int, hi: int) -> int:
        return lo + int(self.rng.betavariate(1.6, 2.0) * (hi - lo))

    def _age_of(self, birth: date) -> int:
        end = self._end
        return end.year - birth.year - ((end.month, end.day) < (birth.month, birth.day))

    def _birth(self, age: int) -> date:
        latest = self._end - timedelta(days=365 * age)
        return latest - timedelta(days=self.rng.randrange(365))

    def _adult(
        self,
        hh: _Household,
        age: int,
        *,
        head: bool = False,
        sex: str | None = None,
        first: str | None = None,
        last: str | None = None,
        birth: date | None = None,
        culture: str | None = None,
        tags: tuple[str, ...] = (),
    ) -> Person:
        rng, o = self.rng, self.o
        culture = culture or hh.culture
        sex = sex or rng.choice("mf")
        last = last or hh.family_name
        if first is None:
            first = first_name(rng, culture, sex)
        if head and rng.random() < o.namesake_share:
            same = self._namesake(hh)
            if same is not None:
                culture, sex, first, last = same
                hh.family_name, hh.culture = last, culture
                tags = (*tags, "namesake")
        birth = birth or self._birth(age)
        age = self._age_of(birth)
        self._recent[hh.country].append(
            (culture, sex, first, last, hh.place.name, birth.isoformat())
        )
        self.stats["movers"] += hh.old_address is not None
        index = self._next_index()
        employed = 20 <= age <= 66 and rng.random() < 0.35
        company = self._companies[hh.country].pick(rng) if employed else None
        p = Person(
            index=index,
            pid=f"P{index:08d}",
            hid=hh.hid,
            country=hh.country,
            info=hh.info,
            lang=hh.place.lang,
            culture=culture,
            german=culture == "de",
            sex=sex,
            first=first,
            last=last,
            birth=birth,
            address=hh.address,
            old_address=hh.old_address,
            landline=hh.landline,
            mobile=mobile(rng, hh.country, hh.place.area)
            if rng.random() < (0.95 if age < 75 else 0.6)
            else None,
            work_phone=landline(rng, hh.country, hh.place.area)
            if company and rng.random() < 0.5
            else None,
            email=None,
            old_email=None,
            work_email=None,
            family_email=None,
            company=company,
            in_crm=rng.random() < o.crm_coverage,
            in_erp=rng.random() < o.erp_coverage,
            in_web=rng.random() < o.web_coverage,
            old_address_in=None,
            old_email_in=None,
            tags=(*tags, "mover") if hh.old_address else tags,
        )
        if rng.random() < (0.95 if age < 70 else 0.65):
            p.email = self._personal_email(p)
        if p.email and rng.random() < o.old_email:
            p.old_email = self._personal_email(p, avoid=p.email.partition("@")[2])
        if company is not None:
            p.work_email = email_from_name(
                rng,
                self.mailboxes,
                first,
                last,
                birth.year,
                company.domain,
                german=p.german,
                pattern=rng.choice(("f.l", "f.l", "f.l", "i.l", "il", "fl")),
            )
        present = p.sources
        if p.old_address is not None and present:
            p.old_address_in = rng.choice(present)
        if p.old_email is not None and present:
            p.old_email_in = rng.choice(present)
        if "namesake" in tags:
            self.stats["namesakes"] += 1
        return p

    def _next_index(self) -> int:
        self._index += 1
        return self._index

    def _personal_email(self, p: Person, avoid: str = "") -> str:
        providers = self._providers[p.country]
        domain = providers.pick(self.rng)
        for _ in range(5):
            if domain != avoid:
                break
            domain = providers.pick(self.rng)
        return email_from_name(
            self.rng, self.mailboxes, p.first, p.last, p.birth.year, domain, german=p.german
        )

    def _namesake(self, hh: _Household) -> tuple[str, str, str, str] | None:
        """The name of a recent person in another town of the same country, if there is one."""
        recent = self._recent[hh.country]
        if not recent:
            return None
        culture, sex, first, last, town, _ = recent[self.rng.randrange(len(recent))]
        if town == hh.place.name:
            return None
        return culture, sex, first, last

"""Web behaviour of one person: devices, sessions, logins, orders, as Segment messages.

Anonymous browsing comes before the first login; each device (and each cleared cookie or logout)
has its own ``anonymousId``; a login sends ``identify`` with the shop's ``userId`` (sometimes an
``alias`` too); some orders are reported by the backend with the ``userId`` only. The person's
web identities (the ``userId``, and every ``anonymousId`` seen without one) go to ground truth.

Each identity also gets its *linkable* key: the inputs tie an ``anonymousId`` to the ``userId``
when one message carries both or an ``alias`` names it; such a group (or a lone identity) that
never sent an ``identify`` with traits carries no identity evidence at all, so no system can tie
it to the person's CRM/ERP records: ground truth's ``linkable_person_id`` keeps it apart.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Final

import orjson

from cdp.synth._ids import Scrambled
from cdp.synth._options import GenerateOptions
from cdp.synth._people import Person
from cdp.synth._phones import fmt_international
from cdp.synth._random import Weighted, geometric, stream, uuid4
from cdp.synth._render import RecordStyle, city_text, email_for, names, record_address, street_text
from cdp.synth._segment import BAD_KINDS, Device, corrupt, server_message
from cdp.synth._timeline import Timeline
from cdp.synth._vocab import PRODUCTS, REFERRERS, SHOP_HOST, USER_AGENTS

__all__ = ["Web"]

_SHOP = "Alpstar Outdoor"
_TIMEZONES: Final = {
    "CH": "Europe/Zurich",
    "DE": "Europe/Berlin",
    "AT": "Europe/Vienna",
    "FR": "Europe/Paris",
    "IT": "Europe/Rome",
    "GB": "Europe/London",
}
_US_TZ: Final = {
    **dict.fromkeys(("CA", "WA", "OR", "NV"), "America/Los_Angeles"),
    "AZ": "America/Phoenix",
    **dict.fromkeys(("CO", "UT"), "America/Denver"),
    **dict.fromkeys(("TX", "IL", "TN", "MN", "MO", "WI", "LA"), "America/Chicago"),
}
#: price factor from the EUR list price, VAT rate
_PRICING: Final = {
    "CHF": (1.0, 0.081),
    "EUR": (1.0, 0.19),
    "GBP": (0.86, 0.20),
    "USD": (1.09, 0.0),
}
_VAT: Final = {"DE": 0.19, "AT": 0.20, "FR": 0.20, "IT": 0.22}
_DEVICE_KIND: Final = Weighted(["desktop", "mobile", "tablet"], [45, 45, 10])
_DEVICES: Final = Weighted([1, 2, 3, 4], [50, 32, 13, 5])
_SLUGS: Final = tuple(
    (sku, name.lower().replace(" ", "-").replace(".", "").replace("°", "").replace("+", ""))
    for sku, name, *_ in PRODUCTS
)
_CATEGORIES: Final = tuple(dict.fromkeys(p[2] for p in PRODUCTS))

Emit = Callable[[bytes, str | None], None]


class Web:
    """Writes one person's messages through ``emit`` and reports their web identities."""

    def __init__(self, options: GenerateOptions, timeline: Timeline) -> None:
        self.o = options
        self.t = timeline
        self.rng = stream(options.seed, "web")
        self.user_ids = Scrambled(self.rng, "usr_")
        self.order_no = 100_000 + self.rng.randrange(50_000)
        self.counts: dict[str, int] = {
            "web_lines": 0,
            "web_events": 0,
            "web_bad_lines": 0,
            **{f"web_bad_{k}": 0 for k in BAD_KINDS},
            "web_duplicate_messages": 0,
            "web_identities": 0,
            "web_users": 0,
        }

    # -- one person ---------------------------------------------------------------------------

    def person(self, p: Person, emit: Emit) -> tuple[str | None, list[tuple[str, str | None]]]:
        """Emit the person's messages; returns (userId or None, identity keys in order, each
        with None when the inputs carry identity traits for it, else the first key of its
        group of ids without any: see the module docs)."""
        rng, o = self.rng, self.o
        mean = o.events_per_web_user
        n = (1 if rng.random() < mean else 0) if mean < 1 else geometric(rng, mean)
        n = min(n, int(mean * 50) + 1)
        if n == 0:
            return None, []
        s = _PersonState(self, p, emit)
        starts = sorted(
            s.first_seen + rng.randrange(max(1, self.t.end * 1000 - s.first_seen))
            for _ in range(max(1, round(n / 6)))
        )
        cuts = sorted(rng.sample(range(1, n), len(starts) - 1)) if len(starts) > 1 else []
        sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
        for start, size in zip(starts, sizes, strict=True):
            s.session(start, size)
        self.counts["web_users"] += 1
        self.counts["web_identities"] += len(s.identities)
        return s.user_id, s.evidence()

    def send(
        self,
        msg: dict[str, Any],
        emit: Emit,
        identities: dict[str, None],
        state: _PersonState | None = None,
    ) -> None:
        rng, o, c = self.rng, self.o, self.counts
        if rng.random() < o.bad_line_rate:
            line, kind = corrupt(rng, msg)
            emit(line + b"\n", kind)
            c["web_lines"] += 1
            c["web_bad_lines"] += 1
            c[f"web_bad_{kind}"] += 1
        line = orjson.dumps(msg) + b"\n"
        emit(line, None)
        c["web_lines"] += 1
        c["web_events"] += 1
        if rng.random() < o.duplicate_message_rate:
            emit(line, None)
            c["web_lines"] += 1
            c["web_duplicate_messages"] += 1
        identities[msg.get("userId") or msg["anonymousId"]] = None
        if state is not None:
            state.observe(msg)


class _PersonState:
    """Per-person simulation state (devices, login, cart); dropped after the person."""

    def __init__(self, web: Web, p: Person, emit: Emit) -> None:
        self.web, self.p, self.emit = web, p, emit
        self.rng = rng = web.rng
        self.o = web.o
        self.identities: dict[str, None] = {}
        self.tied: set[str] = set()  # anonymous ids the inputs tie to the userId
        self.traited: set[str] = set()  # identity keys that sent an identify with traits
        t = web.t
        self.first_seen = (t.start + rng.randrange(max(1, t.span * 3 // 4))) * 1000
        self.currency = p.info.currency
        factor, vat = _PRICING[self.currency]
        self.price_factor, self.vat = factor, _VAT.get(p.country, vat)
        self.path_prefix = "/" + p.info.locales[p.lang].lower()
        self.devices = [self._device() for _ in range(_DEVICES.pick(rng))]
        self.device_pick = Weighted(self.devices, [1.0 / (i + 1) for i in range(len(self.devices))])
        self.has_account = rng.random() < self.o.web_login and bool(p.email or p.family_email)
        self.user_id: str | None = None
        self.traits = self._traits()
        self.cart: list[tuple[str, str, str, str, float]] = []
        self.newsletter = False
        self.move_at: int | None = None
        if p.old_address is not None and p.old_address_in != "web" and rng.random() < 0.4:
            self.move_at = self.first_seen + rng.randrange(max(1, t.end * 1000 - self.first_seen))

    def observe(self, msg: dict[str, Any]) -> None:
        """Note what the inputs can tell about the identities of one sent message."""
        user, anon = msg.get("userId"), msg.get("anonymousId")
        if user and anon:
            self.tied.add(anon)
        if msg.get("type") == "alias" and msg.get("previousId"):
            self.tied.add(msg["previousId"])
        key = user or anon
        if msg.get("type") == "identify" and msg.get("traits") and key:
            self.traited.add(key)

    def evidence(self) -> list[tuple[str, str | None]]:
        """Identity keys in order, each with None when its group (the userId and the anonymous
        ids tied to it, or the lone identity) sent identity traits, else the group's first key.
        """
        group = [k for k in self.identities if k == self.user_id or k in self.tied]
        first = group[0] if group and not set(group) & self.traited else None
        out: list[tuple[str, str | None]] = []
        for k in self.identities:
            if k in group:
                out.append((k, first))
            else:
                out.append((k, None if k in self.traited else k))
        return out

    # -- setup -----------------------------------------------------------------------------

    def _device(self) -> Device:
        rng, p = self.rng, self.p
        kind = _DEVICE_KIND.pick(rng)
        prefs = {
            "Advertising": rng.random() < 0.45,
            "Analytics": rng.random() < 0.7,
            "Functional": True,
            "Personalization": rng.random() < 0.6,
        }
        later = None
        if rng.random() < 0.15:
            later = dict(prefs)
            flip = rng.choice(("Advertising", "Analytics", "Personalization"))
            later[flip] = not later[flip]
        skew = 0
        if rng.random() < self.o.clock_skew:
            sign = rng.choice((-1, 1))
            skew = sign * rng.choice(
                (rng.randrange(60_000, 900_000), rng.randrange(3_600_000, 3 * 86_400_000))
            )
        locale = p.info.locales[p.lang] if rng.random() < 0.9 else rng.choice(("en-US", "en-GB"))
        tz = _TIMEZONES.get(p.country) or _US_TZ.get(p.address.place.state, "America/New_York")
        t = self.web.t
        return Device(
            anonymous_id=uuid4(rng),
            kind=kind,
            user_agent=rng.choice(USER_AGENTS[kind]),
            library="segment" if rng.random() < 0.75 else "rudderstack",
            ip=_ip(rng),
            locale=locale,
            timezone=tz,
            skew_ms=skew,
            cmp=rng.random() < self.o.web_consent_context,
            prefs=prefs,
            prefs_later=later,
            prefs_change_at=(t.start + rng.randrange(t.span)) * 1000,
        )

    def _traits(self) -> dict[str, Any]:
        """What the person typed into their shop account (noisy like any other source)."""
        rng, o, p = self.rng, self.o, self.p
        style = RecordStyle.draw(p, rng, o, factor=0.5)
        first, last = names(p, rng, o, style, nick=2.0)
        email = email_for(p, "web", rng, o, work=0.05, family=0.3)
        traits: dict[str, Any] = {"email": email, "firstName": first, "lastName": last}
        if p.mobile is not None and rng.random() < 0.5:
            traits["phone"] = fmt_international(p.mobile, rng)
        if rng.random() < 0.2:
            traits["birthday"] = p.birth.isoformat()
        return traits

    def _address(self, at_ms: int) -> dict[str, str]:
        rng, p = self.rng, self.p
        if self.move_at is not None and at_ms < self.move_at:
            a = p.old_address or p.address
        else:
            a = record_address(p, "web", rng)
        style = RecordStyle(ascii=False, german_rule=p.german)
        out = {
            "street": street_text(a, rng, self.o, style, abbreviate=0.1),
            "postalCode": a.postcode,
            "city": city_text(a, rng, self.o, style),
            "country": a.country if rng.random() < 0.7 else p.info.name,
        }
        if a.place.state:
            out["state"] = a.place.state
        return out

    # -- sessions --------------------------------------------------------------------------

    def session(self, start_ms: int, size: int) -> None:
        rng = self.rng
        dev = self.device_pick.pick(rng)
        if rng.random() < 0.03:  # cookies cleared
            dev.anonymous_id, dev.logged_in = uuid4(rng), False
        if dev.kind == "mobile":
            dev.ip = _ip(rng)
        self.left = size
        self.now = start_ms
        self.dev = dev
        referrer = rng.choice(REFERRERS)
        if rng.random() < 0.4:
            self._product_view(referrer)
        else:
            self._page("Home", "/", f"{_SHOP} | Online Shop", referrer)
        while self.left > 0:
            x = rng.random()
            if self.has_account and not dev.logged_in and (x < 0.08 or (self.cart and x < 0.3)):
                self._login()
            elif self.cart and x < 0.18:
                self._checkout()
            elif x < 0.5:
                self._product_view()
            elif x < 0.68:
                cat = rng.choice(_CATEGORIES)
                self._page("Category", f"/c/{cat.lower().replace(' ', '-')}", f"{cat} | {_SHOP}")
            elif x < 0.86:
                self._add_to_cart()
            elif x < 0.9 and not self.has_account and not self.newsletter:
                self._newsletter()
            elif x < 0.92 and dev.logged_in:
                self._identify(full=True)
            else:
                self._product_view()
        if dev.logged_in and rng.random() < 0.05:  # logout: analytics.reset() mints a new id
            dev.logged_in = False
            dev.anonymous_id = uuid4(rng)

    def _tick(self) -> int:
        self.now += 4_000 + int(self.rng.random() * 116_000)
        return self.now

    def _send(self, msg: dict[str, Any]) -> None:
        if self.left <= 0:
            return
        self.left -= 1
        self.web.send(msg, self.emit, self.identities, self)

    def _uid(self) -> str | None:
        return self.user_id if self.dev.logged_in else None

    def _page_ctx(self, path: str, title: str, referrer: str = "") -> dict[str, str]:
        full = self.path_prefix + path
        return {
            "path": full,
            "referrer": referrer,
            "search": "",
            "title": title,
            "url": f"https://{SHOP_HOST}{full}",
        }

    def _page(self, name: str, path: str, title: str, referrer: str = "") -> None:
        ctx = self._page_ctx(path, title, referrer)
        self.page = ctx
        msg = self.dev.message(self.rng, "page", self._tick(), ctx, self._uid())
        msg["name"] = name
        msg["properties"] = {**ctx, "name": name}
        self._send(msg)

    def _product(
        self, sku: str, name: str, category: str, brand: str, price: float
    ) -> dict[str, Any]:
        return {
            "product_id": sku,
            "sku": sku,
            "category": category,
            "name": name,
            "brand": brand,
            "price": round(price * self.price_factor, 2),
            "currency": self.currency,
        }

    def _product_view(self, referrer: str = "") -> None:
        rng = self.rng
        i = min(int(rng.paretovariate(1.1)) - 1, len(PRODUCTS) - 1)
        sku, name, category, brand, price = product = PRODUCTS[i]
        self.viewing = product
        self._page("Product", f"/p/{_SLUGS[i][1]}", f"{name} | {_SHOP}", referrer)
        msg = self.dev.message(rng, "track", self._tick(), self.page, self._uid())
        msg["event"] = "Product Viewed"
        msg["properties"] = {
            **self._product(sku, name, category, brand, price),
            "url": self.page["url"],
        }
        self._send(msg)

    def _add_to_cart(self) -> None:
        product = getattr(self, "viewing", None) or self.rng.choice(PRODUCTS)
        self.cart.append(product)
        msg = self.dev.message(self.rng, "track", self._tick(), self.page, self._uid())
        msg["event"] = "Product Added"
        msg["properties"] = {
            "cart_id": self.dev.anonymous_id[:8],
            **self._product(*product),
            "quantity": 1,
        }
        self._send(msg)

    def _login(self) -> None:
        rng = self.rng
        self._page("Login", "/account/login", f"Sign in | {_SHOP}")
        if self.user_id is None:
            self.user_id = self.web.user_ids.next()
        self.dev.logged_in = True
        self._identify(full=rng.random() < 0.6)
        if rng.random() < self.o.web_alias:
            msg = self.dev.message(rng, "alias", self._tick(), self.page, self.user_id)
            msg["previousId"] = self.dev.anonymous_id
            self._send(msg)

    def _identify(self, *, full: bool) -> None:
        rng = self.rng
        at = self._tick()
        msg = self.dev.message(rng, "identify", at, self.page, self._uid())
        if full:
            traits = {k: v for k, v in self.traits.items() if v is not None}
            if rng.random() < 0.35:
                traits["address"] = self._address(at)
        elif rng.random() < 0.7 and self.traits["email"]:
            traits = {"email": self.traits["email"]}
        else:
            traits = {}
        msg["traits"] = traits
        self._send(msg)

    def _newsletter(self) -> None:
        """An anonymous visitor signs up: identify with an e-mail but no userId."""
        self.newsletter = True
        self._page("Newsletter", "/newsletter", f"Newsletter | {_SHOP}")
        email = email_for(self.p, "web", self.rng, self.o, family=0.2)
        if email is None:
            return
        msg = self.dev.message(self.rng, "identify", self._tick(), self.page, None)
        traits: dict[str, Any] = {"email": email}
        if self.rng.random() < 0.5:
            traits["firstName"] = self.traits["firstName"]
        msg["traits"] = traits
        self._send(msg)

    def _checkout(self) -> None:
        rng = self.rng
        if self.has_account and not self.dev.logged_in:
            self._login()
        self._page("Checkout", "/checkout", f"Checkout | {_SHOP}")
        products = []
        for sku, name, category, brand, price in self.cart:
            products.append({**self._product(sku, name, category, brand, price), "quantity": 1})
        self.cart = []
        subtotal = round(sum(p["price"] for p in products), 2)
        shipping = 0.0 if subtotal >= 100 else round(7.9 * self.price_factor, 2)
        total = round(subtotal + shipping, 2)
        tax = round(total - total / (1 + self.vat), 2)
        self.web.order_no += rng.randint(1, 5)
        props = {
            "order_id": f"ORD-{self.web.order_no}",
            "affiliation": _SHOP,
            "total": total,
            "revenue": round(subtotal - tax * subtotal / total, 2) if total else 0.0,
            "shipping": shipping,
            "tax": tax,
            "discount": 0.0,
            "currency": self.currency,
            "products": products,
        }
        at = self._tick()
        if self.user_id is not None and self.dev.logged_in and rng.random() < 0.25:
            msg = server_message(rng, "track", at, self.user_id)
        else:
            msg = self.dev.message(rng, "track", at, self.page, self._uid())
        msg["event"] = "Order Completed"
        msg["properties"] = props
        self._send(msg)


def _ip(rng: random.Random) -> str:
    while True:
        a = rng.randint(2, 223)
        if a not in (10, 100, 127, 169, 172, 192, 198, 203):
            return f"{a}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"

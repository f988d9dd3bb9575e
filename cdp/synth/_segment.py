"""Segment-spec messages (https://segment.com/docs/connections/spec/) as the libraries send them.

A ``Device`` is one browser (one ``anonymousId`` until the cookie is cleared or the user logs out)
with its library, user agent, clock skew and cookie-banner choices; ``Device.message`` builds the
common fields of a message sent from it at a true instant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Final

import orjson

from cdp.synth._clock import iso_ms_z
from cdp.synth._random import uuid4

__all__ = ["BAD_KINDS", "LIBRARIES", "Device", "corrupt", "server_message"]

LIBRARIES: Final = {
    "segment": {"name": "analytics.js", "version": "next-1.81.1"},
    "rudderstack": {"name": "RudderLabs JavaScript SDK", "version": "3.11.7"},
    "python": {"name": "analytics-python", "version": "2.3.4"},
}
BAD_KINDS: Final = ("truncated_json", "missing_ids", "track_without_event")

# OneTrust categories as RudderStack forwards them.
_ONETRUST: Final = (("C0002", "Analytics"), ("C0003", "Personalization"), ("C0004", "Advertising"))


@dataclass(slots=True)
class Device:
    anonymous_id: str
    kind: str  # desktop | mobile | tablet
    user_agent: str
    library: str  # segment | rudderstack
    ip: str
    locale: str
    timezone: str
    skew_ms: int  # client clock minus true time
    cmp: bool  # a consent-management platform adds consent to every message
    prefs: dict[str, bool]  # Advertising / Analytics / Personalization / Functional
    prefs_later: dict[str, bool] | None  # the banner choice changed at prefs_change_at
    prefs_change_at: int
    logged_in: bool = False
    _ctx: dict[str, Any] | None = None  # the last context built, reused while nothing changed
    _ctx_later: bool = False

    def consent(self, at_ms: int) -> tuple[str, Any] | None:
        if not self.cmp:
            return None
        prefs = (
            self.prefs_later if self.prefs_later and at_ms >= self.prefs_change_at else self.prefs
        )
        if self.library == "segment":
            return "consent", {"categoryPreferences": prefs}
        allowed = ["C0001"] + [cid for cid, cat in _ONETRUST if prefs.get(cat)]
        denied = [cid for cid, cat in _ONETRUST if not prefs.get(cat)]
        return "consentManagement", {
            "provider": "oneTrust",
            "resolutionStrategy": "and",
            "allowedConsentIds": allowed,
            "deniedConsentIds": denied,
        }

    def message(
        self,
        rng: random.Random,
        kind: str,
        at_ms: int,
        page: dict[str, str],
        user_id: str | None,
    ) -> dict[str, Any]:
        """The envelope of one message: ids, the three timestamps, context."""
        r = rng.random
        delay = 5 + int(r() * 400) if self.kind == "desktop" else 20 + int(r() * 3000)
        later = self.prefs_later is not None and at_ms >= self.prefs_change_at
        context = self._ctx
        if (
            context is None
            or context["page"] is not page
            or self._ctx_later != later
            or context["ip"] != self.ip
        ):
            context = {
                "library": LIBRARIES[self.library],
                "ip": self.ip,
                "userAgent": self.user_agent,
                "locale": self.locale,
                "timezone": self.timezone,
                "page": page,
            }
            consent = self.consent(at_ms)
            if consent is not None:
                context[consent[0]] = consent[1]
            self._ctx, self._ctx_later = context, later
        msg: dict[str, Any] = {"type": kind, "messageId": uuid4(rng)}
        msg["anonymousId"] = self.anonymous_id
        if user_id is not None:
            msg["userId"] = user_id
        msg["timestamp"] = iso_ms_z(at_ms + self.skew_ms)
        msg["sentAt"] = iso_ms_z(at_ms + delay + self.skew_ms)
        msg["receivedAt"] = iso_ms_z(at_ms + delay + 15 + int(r() * 235))
        msg["context"] = context
        return msg


def server_message(rng: random.Random, kind: str, at_ms: int, user_id: str) -> dict[str, Any]:
    """A message from the shop's backend (analytics-python): userId only, server clock."""
    sent = at_ms + rng.randrange(50, 2000)
    return {
        "type": kind,
        "messageId": uuid4(rng),
        "userId": user_id,
        "timestamp": iso_ms_z(at_ms),
        "sentAt": iso_ms_z(sent),
        "receivedAt": iso_ms_z(sent + rng.randrange(5, 60)),
        "context": {"library": LIBRARIES["python"]},
    }


def corrupt(rng: random.Random, msg: dict[str, Any]) -> tuple[bytes, str]:
    """A deliberately bad line derived from a good message, and its kind (see ``BAD_KINDS``)."""
    x = rng.random()
    bad = dict(msg)
    bad["messageId"] = uuid4(rng)
    if x < 0.5:
        text = orjson.dumps(bad).decode()
        cut = rng.randrange(10, max(11, len(text) - 1))
        return text[:cut].encode(), "truncated_json"
    if x < 0.75:
        bad.pop("userId", None)
        bad.pop("anonymousId", None)
        bad.pop("previousId", None)
        return orjson.dumps(bad), "missing_ids"
    bad["type"] = "track"
    bad.pop("event", None)
    for key in ("name", "traits", "previousId", "category"):
        bad.pop(key, None)
    bad.setdefault("properties", {})
    return orjson.dumps(bad), "track_without_event"

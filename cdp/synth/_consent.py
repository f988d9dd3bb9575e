"""Preference-centre consent statements (``consent/statements-*.jsonl``).

Each person's statements form a plausible timeline per purpose: a grant, a later withdrawal, a
re-grant; where a purpose rests on legitimate interest or opt-out (Switzerland, the US), people
object instead. Subjects are the identifiers the person uses elsewhere: e-mail mostly, the mobile
number for SMS, the web shop's user id.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

import orjson

from cdp.synth._clock import iso_s_z
from cdp.synth._options import GenerateOptions
from cdp.synth._people import Person
from cdp.synth._random import stream
from cdp.synth._timeline import Timeline

__all__ = ["PURPOSES", "Consent", "ConsentPlan"]

PURPOSES: Final = (
    "email_marketing",
    "sms_marketing",
    "advertising",
    "personalization",
    "analytics",
    "ai_profiling",
)
_TAKE_UP: Final = {
    "email_marketing": 0.9,
    "sms_marketing": 0.25,
    "advertising": 0.35,
    "personalization": 0.3,
    "analytics": 0.3,
    "ai_profiling": 0.15,
}
#: (purpose, jurisdiction) pairs where the sample config's legal basis is legitimate interest or
#: opt-out: people object rather than consent.
_OBJECTION_MODEL: Final = frozenset(
    {
        ("email_marketing", "CH"),
        ("advertising", "CH"),
        ("personalization", "CH"),
        ("analytics", "CH"),
        ("email_marketing", "US"),
        ("advertising", "US"),
        ("personalization", "US"),
        ("analytics", "US"),
        ("ai_profiling", "US"),
    }
)
_NOTICES: Final = {
    "email_marketing": ("newsletter-v2", "newsletter-v3"),
    "sms_marketing": ("sms-v1", "sms-v1"),
    "advertising": ("ads-v1", "ads-v2"),
    "personalization": ("personalization-v1", "personalization-v2"),
    "analytics": ("analytics-v1", "analytics-v2"),
    "ai_profiling": ("ai-profiling-v1", "ai-profiling-v1"),
}
_WEB_PURPOSES: Final = frozenset({"advertising", "personalization", "analytics"})
_DAY = 86_400


@dataclass(frozen=True, slots=True)
class _Statement:
    purpose: str
    status: str
    at: int
    source: str
    method: str


@dataclass(frozen=True, slots=True)
class ConsentPlan:
    statements: tuple[_Statement, ...]
    opted_out_of_email: bool  # what the CRM's HasOptedOutOfEmail should say


class Consent:
    def __init__(self, options: GenerateOptions, timeline: Timeline) -> None:
        self.o = options
        self.t = timeline
        self.rng = stream(options.seed, "consent")
        # Subjects depend on the web user id; their own stream keeps the plans (and so the CRM's
        # opt-out flags) independent of the web options.
        self.subject_rng = stream(options.seed, "consent-subjects")
        self._notice_switch = timeline.start + timeline.span * 2 // 5
        self.counts = {"consent_statements": 0}

    def plan(self, p: Person) -> ConsentPlan:
        """Decide the person's timeline (before the CRM row that reflects it is written)."""
        rng = self.rng
        if rng.random() >= self.o.consent_coverage or not (p.email or p.mobile or p.in_web):
            return ConsentPlan((), rng.random() < 0.1)
        jurisdiction = p.info.jurisdiction
        statements: list[_Statement] = []
        for purpose in PURPOSES:
            if rng.random() >= _TAKE_UP[purpose]:
                continue
            if purpose == "sms_marketing" and p.mobile is None:
                continue
            statements.extend(self._timeline(purpose, (purpose, jurisdiction) in _OBJECTION_MODEL))
        statements.sort(key=lambda s: (s.at, PURPOSES.index(s.purpose)))
        last_email = [s.status for s in statements if s.purpose == "email_marketing"]
        opted_out = last_email[-1] != "granted" if last_email else rng.random() < 0.1
        return ConsentPlan(tuple(statements), opted_out)

    def _timeline(self, purpose: str, objection: bool) -> list[_Statement]:
        rng, t = self.rng, self.t
        at = t.at(rng, t.start, t.end - 30 * _DAY)
        if objection:
            status = "objected" if rng.random() < 0.55 else "granted"
        else:
            status = "granted" if rng.random() < 0.7 else "denied"
        out = [self._statement(purpose, status, at)]
        while len(out) < 5 and rng.random() < 0.35:
            at += int(rng.expovariate(1 / (120 * _DAY))) + 3600
            if at > t.end:
                break
            if status == "granted":
                status = "objected" if objection else "withdrawn"
            else:
                status = "granted"
            out.append(self._statement(purpose, status, at))
        return out

    def _statement(self, purpose: str, status: str, at: int) -> _Statement:
        rng = self.rng
        x = rng.random()
        if status == "granted":
            if purpose in _WEB_PURPOSES and x < 0.4:
                source, method = "cookie_banner", "web_cmp"
            elif purpose == "email_marketing" and x < 0.35:
                source, method = "newsletter_signup", "double_opt_in"
            elif x < 0.75:
                source, method = "preference_center", "preference_center"
            elif x < 0.9:
                source, method = "web_form", "web_form"
            else:
                source, method = "crm", "agent"
        elif status in ("withdrawn", "objected"):
            if purpose == "email_marketing" and x < 0.4:
                source, method = "email_link", "unsubscribe_link"
            elif purpose == "sms_marketing" and x < 0.4:
                source, method = "sms_reply", "sms_keyword"
            elif x < 0.85:
                source, method = "preference_center", "preference_center"
            else:
                source, method = "call_center", "agent"
        elif purpose in _WEB_PURPOSES and x < 0.6:
            source, method = "cookie_banner", "web_cmp"
        else:
            source, method = "preference_center", "preference_center"
        return _Statement(purpose, status, at, source, method)

    def lines(self, p: Person, plan: ConsentPlan, user_id: str | None) -> list[bytes]:
        """The statements as JSON lines, with the identifier each one was made under."""
        if not plan.statements:
            return []
        rng = self.subject_rng
        jurisdiction = p.info.jurisdiction
        out = []
        usual: dict[str, str | None] = {}  # purpose -> the identifier it is mostly managed under
        for s in plan.statements:
            if s.purpose not in usual:
                usual[s.purpose] = self._subject(p, s, user_id, rng)
            subject = usual[s.purpose]
            if rng.random() < 0.2:  # now and then through another channel
                subject = self._subject(p, s, user_id, rng)
            if subject is None:
                continue
            notice = _NOTICES[s.purpose][s.at >= self._notice_switch]
            out.append(
                orjson.dumps(
                    {
                        "subject": subject,
                        "purpose": s.purpose,
                        "status": s.status,
                        "captured_at": iso_s_z(s.at),
                        "source": s.source,
                        "method": s.method,
                        "notice_version": notice,
                        "jurisdiction": jurisdiction,
                    }
                )
                + b"\n"
            )
        self.counts["consent_statements"] += len(out)
        return out

    @staticmethod
    def _subject(p: Person, s: _Statement, user_id: str | None, rng: random.Random) -> str | None:
        email = p.email  # never the shared family mailbox
        if s.purpose == "sms_marketing" and p.mobile is not None and rng.random() < 0.85:
            return f"phone:{p.mobile.e164}"
        if s.purpose in _WEB_PURPOSES and user_id and rng.random() < 0.5:
            return f"user_id:{user_id}"
        if p.work_email and rng.random() < 0.08:
            return f"email:{p.work_email}"
        if p.old_email and rng.random() < 0.05:
            return f"email:{p.old_email}"
        if email:
            return f"email:{email}"
        if user_id:
            return f"user_id:{user_id}"
        if p.mobile is not None:
            return f"phone:{p.mobile.e164}"
        return None

"""Consent signals found while ingesting, as ``consent_ledger`` rows.

Two kinds of signal become consent statements:

* **Record sources** (CRM/ERP): the consent columns of a source (``sources.<name>.consent``), read
  with :func:`cdp.models.consent_status_from_flag` - a set opt-out flag is a denial, a false one
  states nothing. Method ``crm_flag``, subject ``<source>:<record id>``, captured at the record's
  ``updated_at``, evidence ``{"column": ..., "value": ...}``. Deletes state nothing.
* **Web messages**: a consent-management platform's choice in the message context - Segment's
  ``context.consent.categoryPreferences`` (``{"Advertising": false, ...}``) and RudderStack's
  ``context.consentManagement`` (``allowedConsentIds`` / ``deniedConsentIds``). Category names
  and consent ids map to purposes with :data:`CATEGORY_PURPOSES`; only purposes of the purpose
  catalogue are stated, unknown categories stay in the evidence only. When several categories
  map to one purpose, a denial wins. Method ``web_cmp``, subject ``user_id:<userId>`` (else
  ``anonymous_id:<anonymousId>``), captured at the event's ``occurred_at``, evidence the raw
  object. A request sent with Global Privacy Control (``Sec-GPC: 1``, landed as ``meta.gpc``)
  states an objection to ``advertising`` (method ``gpc``).
* **Decoded signals** (:func:`decoded_consent_signals`): an IAB TCF v2.2 TC string (method
  ``tcf``) found in ``context.consent.tcfString``, ``context.consent.tcString``,
  ``context.tcf`` (a string, or an object with ``tcString`` as ``__tcfapi`` gives it),
  ``context.gdpr_consent`` or ``properties.gdpr_consent``, mapped to purposes by
  ``consent.tcf``; Google Consent Mode v2 (method ``web_cmp``) in ``context.consent.consentMode``,
  ``context.consentMode`` or ``context.googleConsentMode`` (``{"ad_storage": "granted", ...}``),
  mapped by ``consent.consent_mode``. A signal that cannot be decoded or is invalid (a bad TC
  string, an old TCF policy version, a Consent Mode value other than granted/denied) states
  nothing: it is a :class:`SignalProblem` the processors quarantine as ``bad_consent``.

Every statement of every message is recorded (the ledger is append-only evidence); a replay
gives the same rows: ``idempotency_key`` is :attr:`cdp.models.ConsentStatement.idempotency_key`
and ``consent_id`` a UUID derived from it, ``subject_hash`` is
``settings.privacy.hash_identifier(subject)``.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import orjson

from cdp.ingest.outcome import LEDGER_COLUMNS
from cdp.models import ConsentStatement
from cdp.models._json import canonical_json

if TYPE_CHECKING:
    from cdp.config import ConsentSettings, Settings

__all__ = [
    "CATEGORY_PURPOSES",
    "CONSENT_NAMESPACE",
    "TCF_FIELDS",
    "ConsentRows",
    "DecodedSignal",
    "SignalProblem",
    "consent_id_for",
    "decoded_consent_signals",
    "has_decoded_signals",
    "web_consent_signals",
]

logger = logging.getLogger(__name__)

#: CMP category names and consent ids (lower-cased) -> purpose of the catalogue. The ``c000n``
#: ids are OneTrust's standard categories, which RudderStack forwards as consent ids.
CATEGORY_PURPOSES: Final[dict[str, str]] = {
    "advertising": "advertising",
    "targeting": "advertising",
    "ads": "advertising",
    "analytics": "analytics",
    "performance": "analytics",
    "statistics": "analytics",
    "personalization": "personalization",
    "personalisation": "personalization",
    "functional": "personalization",
    "marketing": "email_marketing",
    "email": "email_marketing",
    "c0002": "analytics",
    "c0003": "personalization",
    "c0004": "advertising",
}
#: Namespace of the UUIDs derived from idempotency keys (``consent_id``).
CONSENT_NAMESPACE: Final = uuid.UUID("0b5d1e5c-3c1f-5a3e-9a57-6d2f3c0e7a11")
_SEP: Final = "\x1f"
_OPTIONS: Final = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


_NAMESPACE_BYTES: Final = CONSENT_NAMESPACE.bytes
_sha1 = hashlib.sha1
_sha256 = hashlib.sha256


def consent_id_for(idempotency_key: str) -> str:
    """The ``consent_id`` of a statement: a UUID derived from its idempotency key."""
    # uuid.uuid5(CONSENT_NAMESPACE, key) written out (a third of the cost, once per statement)
    digest = bytearray(_sha1(_NAMESPACE_BYTES + idempotency_key.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def _purpose_of(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    return CATEGORY_PURPOSES.get(name.strip().lower())


def _resolve(found: dict[str, str], purpose: str | None, status: str) -> None:
    if purpose is None:
        return
    if found.get(purpose) != "denied":  # a denial wins over a grant of the same purpose
        found[purpose] = status


def _ids(value: object) -> Iterator[object]:
    if isinstance(value, list):
        yield from value
    elif isinstance(value, Mapping):  # older SDKs: {id: name}
        for key, name in value.items():
            yield name if _purpose_of(name) else key


def web_consent_signals(context: Mapping[str, Any]) -> list[tuple[str, dict[str, str], Any]]:
    """``(context field, {purpose: status}, raw value)`` for each CMP signal in ``context``."""
    out: list[tuple[str, dict[str, str], Any]] = []
    consent = context.get("consent")
    if isinstance(consent, Mapping):
        prefs = consent.get("categoryPreferences")
        if isinstance(prefs, Mapping) and prefs:
            found: dict[str, str] = {}
            for name, allowed in prefs.items():
                if isinstance(allowed, bool):
                    _resolve(found, _purpose_of(name), "granted" if allowed else "denied")
            out.append(("context.consent.categoryPreferences", found, prefs))
    managed = context.get("consentManagement")
    if isinstance(managed, Mapping) and managed:
        found = {}
        for consent_id in _ids(managed.get("allowedConsentIds")):
            _resolve(found, _purpose_of(consent_id), "granted")
        for consent_id in _ids(managed.get("deniedConsentIds")):
            _resolve(found, _purpose_of(consent_id), "denied")
        out.append(("context.consentManagement", found, managed))
    return out


#: Where a TC string may arrive: ``(container, key path)``.
TCF_FIELDS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("context", ("consent", "tcfString")),
    ("context", ("consent", "tcString")),
    ("context", ("tcf",)),
    ("context", ("gdpr_consent",)),
    ("properties", ("gdpr_consent",)),
)
#: Where Google Consent Mode v2 may arrive (in the context).
CONSENT_MODE_FIELDS: Final[tuple[tuple[str, ...], ...]] = (
    ("consent", "consentMode"),
    ("consentMode",),
    ("googleConsentMode",),
)
_CONSENT_MODE_KNOWN: Final = frozenset(
    {
        "ad_storage",
        "analytics_storage",
        "ad_user_data",
        "ad_personalization",
        "functionality_storage",
        "personalization_storage",
        "security_storage",
    }
)
_CONSENT_MODE_VALUES: Final = frozenset({"granted", "denied"})


@dataclass(frozen=True, slots=True)
class DecodedSignal:
    """A decoded consent signal: where it was, ``{purpose: status}``, raw value and method."""

    field: str
    statuses: dict[str, str]
    raw: Any
    method: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SignalProblem:
    """A consent signal that could not be used (quarantined as ``bad_consent``)."""

    field: str
    reason: str
    raw: Any


def _lookup(container: Mapping[str, Any] | None, path: tuple[str, ...]) -> Any:
    value: Any = container
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def has_decoded_signals(context: Mapping[str, Any], properties: Mapping[str, Any] | None) -> bool:
    """Whether a message carries a TC string or Consent Mode at any place this module reads:
    exactly the places of :data:`TCF_FIELDS` and :data:`CONSENT_MODE_FIELDS` (unrolled: this
    runs for every message of the ingest hot path)."""
    if context:
        consent = context.get("consent")
        if isinstance(consent, Mapping) and (
            consent.get("tcfString") not in (None, "")
            or consent.get("tcString") not in (None, "")
            or consent.get("consentMode") is not None
        ):
            return True
        if context.get("tcf") not in (None, "") or context.get("gdpr_consent") not in (None, ""):
            return True
        if context.get("consentMode") is not None or context.get("googleConsentMode") is not None:
            return True
    return isinstance(properties, Mapping) and properties.get("gdpr_consent") not in (None, "")


def _tcf(
    field: str, value: Any, settings: ConsentSettings, purposes: Mapping[str, Any]
) -> DecodedSignal | SignalProblem:
    # imported here: the consent package imports this module (consent.store -> ConsentRows)
    from consent.tcf import TCStringError, decode_tc_string, tcf_statuses

    text = value.get("tcString") if isinstance(value, Mapping) else value
    try:
        tc = decode_tc_string(text)
        statuses = tcf_statuses(tc, settings.tcf)
    except TCStringError as e:
        return SignalProblem(field, str(e), value)
    details = {
        "policy_version": tc.policy_version,
        "cmp_id": tc.cmp_id,
        "vendor_list_version": tc.vendor_list_version,
        "last_updated": tc.last_updated.isoformat(),
        "purposes_consent": sorted(tc.purposes_consent),
        "ignored_li_purposes": sorted(tc.ignored_li_purposes),
    }
    known = {p: s for p, s in statuses.items() if p in purposes}
    return DecodedSignal(field, known, text, "tcf", details)


def _consent_mode(
    field: str, value: Any, settings: ConsentSettings, purposes: Mapping[str, Any]
) -> DecodedSignal | SignalProblem:
    if not isinstance(value, Mapping):
        return SignalProblem(
            field, "Consent Mode must be an object of signal: granted|denied", value
        )
    signals: dict[str, str] = {}
    for name, raw in value.items():
        if name not in _CONSENT_MODE_KNOWN:
            continue  # other keys (wait_for_update, region...) are settings, not choices
        state = raw.strip().lower() if isinstance(raw, str) else None
        if state not in _CONSENT_MODE_VALUES:
            return SignalProblem(field, f"{name}: expected granted or denied", value)
        signals[name] = state
    statuses: dict[str, str] = {}
    for purpose, mapped in settings.consent_mode.purposes.items():
        if purpose not in purposes:
            continue
        present = [signals[s] for s in mapped if s in signals]
        if "denied" in present:
            statuses[purpose] = "denied"
        elif present and len(present) == len(mapped):
            statuses[purpose] = "granted"
    return DecodedSignal(field, statuses, dict(value), "web_cmp", {})


def decoded_consent_signals(
    context: Mapping[str, Any],
    properties: Mapping[str, Any] | None,
    settings: ConsentSettings,
    purposes: Mapping[str, Any],
) -> tuple[list[DecodedSignal], list[SignalProblem]]:
    """TC strings and Google Consent Mode in a message (see the module documentation).

    A Consent Mode purpose is granted only when every mapped signal is present and granted,
    denied when one mapped signal is denied, and not stated otherwise. Only purposes of the
    catalogue (``purposes``) are stated.
    """
    signals: list[DecodedSignal] = []
    problems: list[SignalProblem] = []
    seen_tc: set[str] = set()
    for container_name, path in TCF_FIELDS:
        container = context if container_name == "context" else properties
        value = _lookup(container, path)
        if value is None or value == "":
            continue
        text = value.get("tcString") if isinstance(value, Mapping) else value
        if isinstance(text, str) and text in seen_tc:
            continue  # the same string in two places is one signal
        if isinstance(text, str):
            seen_tc.add(text)
        found = _tcf(f"{container_name}.{'.'.join(path)}", value, settings, purposes)
        (signals if isinstance(found, DecodedSignal) else problems).append(found)  # type: ignore[arg-type]
    for path in CONSENT_MODE_FIELDS:
        value = _lookup(context, path)
        if value is None:
            continue
        found = _consent_mode(f"context.{'.'.join(path)}", value, settings, purposes)
        (signals if isinstance(found, DecodedSignal) else problems).append(found)  # type: ignore[arg-type]
    return signals, problems


class ConsentRows:
    """Builds ``consent_ledger`` rows for one configuration (purposes, hash key).

    :meth:`signal_values` is the fast path used for every signal (its rows as the values of
    :data:`~cdp.ingest.outcome.LEDGER_COLUMNS`, the evidence serialized once per signal with
    :meth:`evidence`); :meth:`values` is one such row, :meth:`row` the same as a dict. They
    equal building a :class:`~cdp.models.ConsentStatement` (:meth:`row_from_statement`), which
    the tests check.
    """

    def __init__(self, settings: Settings) -> None:
        self._purposes = settings.purposes
        self._channels = {name: p.channel for name, p in settings.purposes.items()}
        self._hash = settings.privacy.hash_identifier
        self._hashes: dict[str, str] = {}

    def known(self, purpose: str) -> bool:
        """Whether ``purpose`` is in the purpose catalogue."""
        return purpose in self._purposes

    def _subject_hash(self, subject: str) -> str:
        found = self._hashes.get(subject)
        if found is None:
            if len(self._hashes) > 100_000:
                self._hashes.clear()
            found = self._hashes[subject] = self._hash(subject)
        return found

    @staticmethod
    def evidence(evidence: Mapping[str, Any]) -> tuple[str, str]:
        """``(evidence, evidence_hash)`` of a statement: the canonical JSON and its digest
        (one per signal: every statement of a signal has the same evidence)."""
        try:
            evidence_json = orjson.dumps(evidence, option=_OPTIONS).decode()
        except TypeError:
            evidence_json = canonical_json(evidence)
        return evidence_json, _sha256(evidence_json.encode()).hexdigest()

    def values(
        self,
        *,
        subject_type: str,
        subject_value: str,
        purpose: str,
        status: str,
        captured_at: datetime,
        source: str,
        method: str,
        evidence: tuple[str, str],
        recorded_at: datetime,
    ) -> tuple[Any, ...]:
        """One ledger row as the values of :data:`~cdp.ingest.outcome.LEDGER_COLUMNS`.

        ``subject_value`` is trimmed, ``captured_at`` must be UTC-aware, ``evidence`` is
        :meth:`evidence` of the evidence object.
        """
        (row,) = self.signal_values(
            subject_type=subject_type,
            subject_value=subject_value,
            statuses={purpose: status},
            captured_at=captured_at,
            source=source,
            method=method,
            evidence=evidence,
            recorded_at=recorded_at,
        )
        return row

    def signal_values(
        self,
        *,
        subject_type: str,
        subject_value: str,
        statuses: Mapping[str, str],
        captured_at: datetime,
        source: str,
        method: str,
        evidence: tuple[str, str],
        recorded_at: datetime,
    ) -> list[tuple[Any, ...]]:
        """The rows (as :meth:`values`) of one signal: a statement per ``{purpose: status}``
        about one subject, at one instant, with one evidence."""
        value = subject_value.strip()
        subject = f"{subject_type}:{value}"
        subject_hash = self._subject_hash(subject)
        at = captured_at.isoformat()
        channels = self._channels
        evidence_json, evidence_hash = evidence
        # the idempotency key of ConsentStatement: subject, purpose, status, instant, source
        # and no notice version, joined by _SEP
        head = f"{subject}{_SEP}"
        tail = f"{_SEP}{at}{_SEP}{source}{_SEP}"
        rows: list[tuple[Any, ...]] = []
        for purpose, status in statuses.items():
            key = _sha256(f"{head}{purpose}{_SEP}{status}{tail}".encode()).hexdigest()
            rows.append(
                (
                    consent_id_for(key),  # consent_id
                    key,  # idempotency_key
                    subject_type,
                    subject_hash,
                    value,  # subject_value
                    None,  # customer_id
                    purpose,
                    channels.get(purpose),  # channel
                    status,
                    None,  # legal_basis
                    None,  # jurisdiction
                    captured_at,
                    None,  # expires_at
                    recorded_at,
                    source,
                    method,
                    None,  # notice_version
                    evidence_json,
                    evidence_hash,
                    None,  # supersedes
                )
            )
        return rows

    def row(
        self,
        *,
        subject_type: str,
        subject_value: str,
        purpose: str,
        status: str,
        captured_at: datetime,
        source: str,
        method: str,
        evidence: Mapping[str, Any],
        recorded_at: datetime,
    ) -> dict[str, Any]:
        """One ledger row; ``subject_value`` is trimmed, ``captured_at`` must be UTC-aware."""
        values = self.values(
            subject_type=subject_type,
            subject_value=subject_value,
            purpose=purpose,
            status=status,
            captured_at=captured_at,
            source=source,
            method=method,
            evidence=self.evidence(evidence),
            recorded_at=recorded_at,
        )
        return dict(zip(LEDGER_COLUMNS, values, strict=True))

    def row_from_statement(
        self, statement: ConsentStatement, *, recorded_at: datetime
    ) -> dict[str, Any]:
        """The ledger row of a validated statement (the reference for :meth:`row`)."""
        evidence = statement.evidence
        evidence_json = (
            None
            if evidence is None
            else evidence
            if isinstance(evidence, str)
            else canonical_json(evidence)
        )
        return {
            "consent_id": consent_id_for(statement.idempotency_key),
            "idempotency_key": statement.idempotency_key,
            "subject_type": statement.subject_type,
            "subject_hash": self._hash(statement.subject),
            "subject_value": statement.subject_value,
            "customer_id": None,
            "purpose": statement.purpose,
            "channel": statement.channel,
            "status": statement.status,
            "legal_basis": statement.legal_basis,
            "jurisdiction": statement.jurisdiction,
            "captured_at": statement.captured_at,
            "expires_at": statement.expires_at,
            "recorded_at": recorded_at,
            "source": statement.source,
            "method": statement.method,
            "notice_version": statement.notice_version,
            "evidence": evidence_json,
            "evidence_hash": (
                hashlib.sha256(evidence_json.encode()).hexdigest() if evidence_json else None
            ),
            "supersedes": None,
        }

"""IAB TCF v2.2 TC strings: a decoder of our own and the mapping to the purpose catalogue.

A TC string is one or more base64url segments joined by ``.``; the first is the **core**
segment (the layout of the IAB "Consent string and vendor list formats v2" specification):

=====================  ====  ===============================================================
field                  bits  notes
=====================  ====  ===============================================================
Version                6     must be 2
Created, LastUpdated   36    deciseconds since the Unix epoch
CmpId, CmpVersion      12
ConsentScreen          6
ConsentLanguage        12    two letters, 6 bits each (A = 0)
VendorListVersion      12
TcfPolicyVersion       6     4 or more for TCF v2.2
IsServiceSpecific      1
UseNonStandardTexts    1
SpecialFeatureOptIns   12
PurposesConsent        24
PurposesLITransparency 24
PurposeOneTreatment    1
PublisherCC            12    two letters
vendor consents        ..    MaxVendorId 16, IsRangeEncoding 1, then a bit field of MaxVendorId
                             bits or NumEntries 12 and entries (IsARange 1, StartOrOnlyVendorId
                             16, EndVendorId 16 when a range)
vendor LI              ..    the same encoding
publisher restrictions ..    NumPubRestrictions 12; each PurposeId 6, RestrictionType 2 and
                             vendor ranges as above
=====================  ====  ===============================================================

The optional segments (disclosed vendors, allowed vendors, publisher TC) start with a 3-bit
segment type; they are checked to be valid base64url and otherwise skipped.

TCF v2.2 forbids legitimate interest as the basis of purposes 3, 4, 5 and 6: a
legitimate-interest bit for them is dropped from :attr:`TCString.purposes_li_transparency`
and listed in :attr:`TCString.ignored_li_purposes` - it is never a grant.

:func:`decode_tc_string` raises :class:`TCStringError` (and nothing else) for anything that is
not a TC string; :func:`tcf_statuses` maps a decoded string to ``{purpose: status}`` of the
purpose catalogue through :class:`cdp.config.TcfSettings`.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from consent.gate import ConsentError

if TYPE_CHECKING:
    from cdp.config import TcfSettings

__all__ = [
    "LI_FORBIDDEN_PURPOSES",
    "PublisherRestriction",
    "TCString",
    "TCStringError",
    "decode_tc_string",
    "tcf_statuses",
]

logger = logging.getLogger(__name__)

#: TCF v2.2: purposes that may not be based on legitimate interest.
LI_FORBIDDEN_PURPOSES: Final = frozenset({3, 4, 5, 6})
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_LENGTH: Final = 64 * 1024
_MAX_VENDOR: Final = 65535
_RESTRICTIONS: Final[dict[int, str]] = {
    0: "not_allowed",
    1: "require_consent",
    2: "require_legitimate_interest",
    3: "undefined",
}


class TCStringError(ConsentError):
    """Not a valid TC string (the message names the field, never the string)."""


@dataclass(frozen=True, slots=True)
class PublisherRestriction:
    """A publisher's restriction of one purpose for some vendors."""

    purpose_id: int
    restriction_type: Literal[
        "not_allowed", "require_consent", "require_legitimate_interest", "undefined"
    ]
    vendor_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class TCString:
    """The decoded core segment of a TC string (sets hold the ids whose bit is set)."""

    version: int
    created: datetime
    last_updated: datetime
    cmp_id: int
    cmp_version: int
    consent_screen: int
    consent_language: str
    vendor_list_version: int
    policy_version: int
    is_service_specific: bool
    use_non_standard_texts: bool
    special_feature_opt_ins: frozenset[int]
    purposes_consent: frozenset[int]
    purposes_li_transparency: frozenset[int]
    purpose_one_treatment: bool
    publisher_cc: str
    vendor_consents: frozenset[int]
    vendor_legitimate_interests: frozenset[int]
    publisher_restrictions: tuple[PublisherRestriction, ...]
    #: purposes 3-6 whose legitimate-interest bit was set (ignored under TCF v2.2)
    ignored_li_purposes: frozenset[int] = frozenset()
    #: segment types of the optional segments (skipped)
    segment_types: tuple[int, ...] = ()

    def purposes_consented(self, purposes: frozenset[int] | set[int] | list[int]) -> bool:
        """Whether every purpose of ``purposes`` has its consent bit set."""
        return all(p in self.purposes_consent for p in purposes)


class _Bits:
    """A big-endian bit reader over bytes; reading past the end raises TCStringError."""

    __slots__ = ("_length", "_pos", "_value")

    def __init__(self, data: bytes) -> None:
        self._value = int.from_bytes(data, "big")
        self._length = len(data) * 8
        self._pos = 0

    def read(self, bits: int, field: str) -> int:
        end = self._pos + bits
        if end > self._length:
            raise TCStringError(f"TC string too short: {field} does not fit")
        shift = self._length - end
        self._pos = end
        return (self._value >> shift) & ((1 << bits) - 1)

    def flag(self, field: str) -> bool:
        return self.read(1, field) == 1

    def bitset(self, bits: int, field: str) -> frozenset[int]:
        value = self.read(bits, field)
        return frozenset(i + 1 for i in range(bits) if value >> (bits - 1 - i) & 1)

    def letters(self, field: str) -> str:
        first = self.read(6, field)
        second = self.read(6, field)
        if first > 25 or second > 25:
            raise TCStringError(f"{field} is not two letters")
        return chr(ord("A") + first) + chr(ord("A") + second)

    def time(self, field: str) -> datetime:
        return _EPOCH + timedelta(milliseconds=self.read(36, field) * 100)

    def ranges(self, field: str, max_id: int | None = None) -> frozenset[int]:
        entries = self.read(12, f"{field} NumEntries")
        found: set[int] = set()
        for _ in range(entries):
            is_range = self.flag(f"{field} IsARange")
            start = self.read(16, f"{field} StartOrOnlyVendorId")
            end = self.read(16, f"{field} EndVendorId") if is_range else start
            if start < 1 or end < start or (max_id is not None and end > max_id):
                raise TCStringError(f"{field}: bad vendor range")
            found.update(range(start, end + 1))
        return frozenset(found)

    def vendors(self, field: str) -> frozenset[int]:
        max_id = self.read(16, f"{field} MaxVendorId")
        if self.flag(f"{field} IsRangeEncoding"):
            return self.ranges(field, max_id)
        return self.bitset(max_id, f"{field} BitField")


def _segment_bytes(segment: str, index: int) -> bytes:
    if not _B64URL.fullmatch(segment):
        raise TCStringError(f"segment {index} is not base64url")
    stripped = segment.rstrip("=")
    if len(stripped) % 4 == 1:
        raise TCStringError(f"segment {index} has an impossible base64 length")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except (binascii.Error, ValueError) as e:
        raise TCStringError(f"segment {index} is not base64url") from e


def decode_tc_string(value: object) -> TCString:
    """Decode a TC string (core segment; other segments validated and skipped).

    Raises :class:`TCStringError` for anything that is not a TCF v2 string. The policy version
    is reported, not judged: :func:`tcf_statuses` applies the configured minimum.
    """
    if not isinstance(value, str):
        raise TCStringError("a TC string must be a string")
    text = value.strip()
    if not text:
        raise TCStringError("empty TC string")
    if len(text) > _MAX_LENGTH:
        raise TCStringError("TC string too long")
    segments = text.split(".")
    core = _Bits(_segment_bytes(segments[0], 0))
    version = core.read(6, "Version")
    if version != 2:
        raise TCStringError(f"unsupported TC string version {version} (expected 2)")
    created = core.time("Created")
    updated = core.time("LastUpdated")
    cmp_id = core.read(12, "CmpId")
    cmp_version = core.read(12, "CmpVersion")
    screen = core.read(6, "ConsentScreen")
    language = core.letters("ConsentLanguage")
    vendor_list = core.read(12, "VendorListVersion")
    policy = core.read(6, "TcfPolicyVersion")
    specific = core.flag("IsServiceSpecific")
    non_standard = core.flag("UseNonStandardTexts")
    features = core.bitset(12, "SpecialFeatureOptIns")
    consents = core.bitset(24, "PurposesConsent")
    interests = core.bitset(24, "PurposesLITransparency")
    one_treatment = core.flag("PurposeOneTreatment")
    publisher_cc = core.letters("PublisherCC")
    vendor_consents = core.vendors("VendorConsents")
    vendor_li = core.vendors("VendorLegitimateInterests")
    restrictions = []
    for _ in range(core.read(12, "NumPubRestrictions")):
        purpose = core.read(6, "PurposeId")
        kind = _RESTRICTIONS[core.read(2, "RestrictionType")]
        vendors = core.ranges("PubRestrictions")
        restrictions.append(PublisherRestriction(purpose, kind, vendors))  # type: ignore[arg-type]
    types = []
    for i, segment in enumerate(segments[1:], start=1):
        data = _segment_bytes(segment, i)
        if not data:
            raise TCStringError(f"segment {i} is empty")
        types.append(data[0] >> 5)
    ignored = interests & LI_FORBIDDEN_PURPOSES
    return TCString(
        version=version,
        created=created,
        last_updated=updated,
        cmp_id=cmp_id,
        cmp_version=cmp_version,
        consent_screen=screen,
        consent_language=language,
        vendor_list_version=vendor_list,
        policy_version=policy,
        is_service_specific=specific,
        use_non_standard_texts=non_standard,
        special_feature_opt_ins=features,
        purposes_consent=consents,
        purposes_li_transparency=interests - LI_FORBIDDEN_PURPOSES,
        purpose_one_treatment=one_treatment,
        publisher_cc=publisher_cc,
        vendor_consents=vendor_consents,
        vendor_legitimate_interests=vendor_li,
        publisher_restrictions=tuple(restrictions),
        ignored_li_purposes=ignored,
        segment_types=tuple(types),
    )


def tcf_statuses(tc: TCString, settings: TcfSettings) -> dict[str, str]:
    """``{purpose: "granted" | "denied"}`` for every catalogue purpose mapped in ``settings``.

    A purpose is granted only when every TCF purpose mapped to it has its consent bit set
    (and, with ``settings.vendor_id``, our vendor has its consent bit set and no publisher
    restriction forbids or moves those purposes away from consent for it); otherwise the person
    refused it through the CMP: ``denied``. Legitimate-interest bits never grant. A string
    whose policy version is below ``settings.min_policy_version`` raises TCStringError when
    ``settings.old_policy`` is ``reject``; with ``accept`` it is read like any other.
    """
    if tc.policy_version < settings.min_policy_version and settings.old_policy == "reject":
        raise TCStringError(
            f"TCF policy version {tc.policy_version} is older than the minimum "
            f"{settings.min_policy_version} (consent.tcf.min_policy_version)"
        )
    vendor = settings.vendor_id
    vendor_ok = vendor is None or vendor in tc.vendor_consents
    blocked: set[int] = set()
    if vendor is not None:
        for restriction in tc.publisher_restrictions:
            if vendor in restriction.vendor_ids and restriction.restriction_type in (
                "not_allowed",
                "require_legitimate_interest",
            ):
                blocked.add(restriction.purpose_id)
    out: dict[str, str] = {}
    for purpose, tcf_purposes in settings.purposes.items():
        granted = (
            vendor_ok
            and not blocked.intersection(tcf_purposes)
            and tc.purposes_consented(tcf_purposes)
        )
        out[purpose] = "granted" if granted else "denied"
    return out

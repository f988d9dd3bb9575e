"""The TCF v2.2 decoder against known strings, an encoder round trip and garbage."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tcf_helpers import encode_tc_string

from cdp.config import TcfSettings
from consent.tcf import (
    LI_FORBIDDEN_PURPOSES,
    PublisherRestriction,
    TCStringError,
    decode_tc_string,
    tcf_statuses,
)

# -- known strings and their published decodings --------------------------------------------
# iabtcf-java, iabtcf-decoder/src/test/java/com/iabtcf/decoder/TCStringV2Test.java
JAVA_BASIC = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA"
JAVA_BITFIELDS = (
    "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQAAAACAAAABAAA"
)
JAVA_SEGMENTS = JAVA_BITFIELDS + ".IBAgAAAgAIAwgAgAAAAEAAAACA.QAagAQAgAIAwgA"
JAVA_RANGE_LI = "COv__-wOv__-wC2AAAENAPCgAAAAAAAAAAAAA_wAQA_gEBABAEAAAA"
JAVA_TWO_RANGES = (
    "COwBOpCOwBOpCLqAAAENAPCAAAAAAAAAAAAAFfwAYFfAV-BVkAGBVYFWAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAAC"
    "AIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw"
)
# go-iabtcf (travelaudience), parse_test.go: "10-purposes-2-special-features-vendor-ranges"
GO_RANGES = (
    "COzcJxTOzcJxTBcAAAENAiCMAP_AAAAAAAAADTwAQDTgAAAA.IF5EX2S5OI2tho2YdF7BEYYwfJxyigMgShgQIsS8Nw"
    "IeFbBoGPmAAHBG4JAQAGBAkkACBAQIsHGBcCQABgIgRiRCMQEGMjzNKBJBAggkbI0FACCVmnkHS3ZCY70-6u__bA"
)
# go-iabtcf parse_test.go "v2": a TCF v2.2 string (policy version 4) with a 4202-bit vendor
# bit field; its long runs of "A" (zero bits) are written as repeats.
GO_V22 = (
    "CP9Qr_AP9Qr_AAfETDFRAwEsAP_gAEPgAAigg1NX_H__bX9v-Xr36ft0eY1f99j77uQxBhfJs-4FzLvW_JwX32EzN"
    "E36tqYKmRIEu3bBIQFtHJnUTVihaogVrzHsYkGchTNKJ-BkiHMRe2dYCF5vmYtj-QKZ5_p_d3f52T_9_dv-3dzzz91n"
    "v3f9f-f1eLida59tH_v_bRKb-_If9_7-_4v0_t_rk2_eTVv_9evv79-u_t____9_9____4"
    + "A"
    * 484
    + "QAAAEQamr_j__tr-3_L179P26PMav--x993IYgwvk2fcC5l3rfk4L77CZmib9W1MFTIkCXbtgkIC2jkzqJqxQtUQK"
    "15j2MSDOQpmlE_AyRDmIvbOsBC83zMWx_IFM8_0_u7v87J_-_u3_bu555-6z37v-v_P6vFxOtc-2j_3_tolN_fkP-_"
    "9_f8X6f2_1ybfvJq3_-vX39-_Xf2____-_-____8" + "A" * 484 + "IAAACAA"
)


def test_known_string_core_fields() -> None:
    tc = decode_tc_string(JAVA_BASIC)
    assert tc.version == 2
    assert tc.created == datetime(2020, 1, 26, 17, 1, tzinfo=UTC)
    assert tc.last_updated == datetime(2021, 2, 2, 17, 1, tzinfo=UTC)
    assert (tc.cmp_id, tc.cmp_version, tc.consent_screen) == (675, 2, 1)
    assert (tc.vendor_list_version, tc.policy_version) == (15, 2)
    assert (tc.consent_language, tc.publisher_cc) == ("EN", "AA")
    assert not tc.is_service_specific
    assert tc.purpose_one_treatment
    assert not tc.use_non_standard_texts
    assert tc.special_feature_opt_ins == {1}
    assert tc.purposes_consent == {2, 10}
    assert tc.purposes_li_transparency == {2, 9}


def test_known_string_vendor_bitfields_and_segments() -> None:
    tc = decode_tc_string(JAVA_BITFIELDS)
    assert tc.purposes_consent == {3, 4, 5, 6, 7, 8, 9}
    assert tc.vendor_consents == {23, 37, 47, 48, 53, 65, 98}
    assert tc.vendor_legitimate_interests == {37, 47, 48, 53, 65, 98, 129}
    with_segments = decode_tc_string(JAVA_SEGMENTS)
    assert with_segments.vendor_consents == tc.vendor_consents
    assert with_segments.segment_types == (1, 2)  # disclosed vendors, allowed vendors: skipped


def test_known_string_range_encodings() -> None:
    assert decode_tc_string(JAVA_RANGE_LI).vendor_legitimate_interests == {128}
    assert decode_tc_string(JAVA_TWO_RANGES).vendor_consents == {702, 703}
    tc = decode_tc_string(GO_RANGES)
    assert tc.cmp_id == 92
    assert tc.vendor_list_version == 34
    assert tc.purposes_consent == set(range(1, 11))
    assert tc.special_feature_opt_ins == {1, 2}
    assert tc.vendor_consents == {423}


def test_known_tcf_v22_string() -> None:
    tc = decode_tc_string(GO_V22)
    assert tc.policy_version == 4
    assert tc.purposes_consent == set(range(1, 12))
    assert tc.special_feature_opt_ins == {1, 2}
    assert tc.publisher_cc == "EU"
    assert max(tc.vendor_consents) == 4202
    assert {1, 42, 423, 4202} <= tc.vendor_consents
    assert 41 not in tc.vendor_consents
    assert 4203 not in tc.vendor_consents


# -- round trips -----------------------------------------------------------------------------

_ids = st.sets(st.integers(1, 24), max_size=24)
_vendors = st.sets(st.integers(1, 400), max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    purposes=_ids,
    li=_ids,
    features=st.sets(st.integers(1, 12)),
    vendors=_vendors,
    vendors_li=_vendors,
    ranges=st.booleans(),
    policy=st.integers(0, 63),
    specific=st.booleans(),
    one=st.booleans(),
    restriction_vendors=st.sets(st.integers(1, 300), max_size=10),
)
def test_round_trip(
    purposes: set[int],
    li: set[int],
    features: set[int],
    vendors: set[int],
    vendors_li: set[int],
    ranges: bool,
    policy: int,
    specific: bool,
    one: bool,
    restriction_vendors: set[int],
) -> None:
    text = encode_tc_string(
        purposes=purposes,
        purposes_li=li,
        special_features=features,
        vendors=vendors,
        vendors_li=vendors_li,
        ranges=ranges,
        policy_version=policy,
        service_specific=specific,
        purpose_one_treatment=one,
        restrictions=[(2, 1, restriction_vendors)],
        extra_segments=["IBAgAAAgAIAwgAgAAAAEAAAACA"],
    )
    tc = decode_tc_string(text)
    assert tc.purposes_consent == purposes
    assert tc.purposes_li_transparency == li - LI_FORBIDDEN_PURPOSES
    assert tc.ignored_li_purposes == li & LI_FORBIDDEN_PURPOSES
    assert tc.special_feature_opt_ins == features
    assert tc.vendor_consents == vendors
    assert tc.vendor_legitimate_interests == vendors_li
    assert tc.policy_version == policy
    assert tc.is_service_specific is specific
    assert tc.purpose_one_treatment is one
    assert tc.publisher_restrictions == (
        PublisherRestriction(2, "require_consent", frozenset(restriction_vendors)),
    )
    assert tc.segment_types == (1,)
    assert (tc.consent_language, tc.publisher_cc) == ("EN", "DE")


# -- garbage ---------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=200).map(lambda b: b.hex())))
def test_garbage_raises_only_the_typed_error(text: str) -> None:
    with contextlib.suppress(TCStringError):
        decode_tc_string(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=120))
def test_random_bytes_raise_only_the_typed_error(data: bytes) -> None:
    import base64

    text = base64.urlsafe_b64encode(b"\x08" + data).decode().rstrip("=")  # version 2 prefix
    with contextlib.suppress(TCStringError):
        decode_tc_string(text)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        (None, "must be a string"),
        ("not base64!", "base64url"),
        ("C", "base64 length"),
        ("COtybn4PA_zT", "too short"),
        (JAVA_BASIC + ".", "segment 1"),
        ("BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA", "version 1"),
        (encode_tc_string(version=3), "version 3"),
    ],
)
def test_invalid_strings(value: object, reason: str) -> None:
    with pytest.raises(TCStringError, match=reason):
        decode_tc_string(value)


# -- the v2.2 rules and the mapping to the catalogue -----------------------------------------

MAPPING = TcfSettings(
    purposes={"advertising": [1, 2, 3, 4, 7], "personalization": [1, 5, 6], "analytics": [1, 8, 9]}
)


def test_purpose_granted_only_when_all_mapped_tcf_purposes_are_consented() -> None:
    tc = decode_tc_string(encode_tc_string(purposes={1, 2, 3, 4, 7, 8}))
    assert tcf_statuses(tc, MAPPING) == {
        "advertising": "granted",
        "personalization": "denied",
        "analytics": "denied",  # 9 missing
    }


def test_legitimate_interest_for_purposes_3_to_6_is_never_a_grant() -> None:
    text = encode_tc_string(purposes={1}, purposes_li={2, 3, 4, 5, 6, 7})
    tc = decode_tc_string(text)
    assert tc.ignored_li_purposes == {3, 4, 5, 6}
    assert tc.purposes_li_transparency == {2, 7}
    assert set(tcf_statuses(tc, MAPPING).values()) == {"denied"}


def test_old_policy_version_rejected_or_accepted_as_configured() -> None:
    tc = decode_tc_string(JAVA_BITFIELDS)  # policy version 2 (TCF v2.0)
    with pytest.raises(TCStringError, match="min_policy_version"):
        tcf_statuses(tc, MAPPING)
    lenient = MAPPING.model_copy(update={"old_policy": "accept"})
    assert tcf_statuses(tc, lenient)["analytics"] == "denied"  # purpose 1 not consented


def test_vendor_consent_and_restrictions_when_our_vendor_id_is_set() -> None:
    ours = MAPPING.model_copy(update={"vendor_id": 42})
    everything = set(range(1, 11))
    without_us = decode_tc_string(encode_tc_string(purposes=everything, vendors={7}))
    assert set(tcf_statuses(without_us, ours).values()) == {"denied"}
    with_us = decode_tc_string(encode_tc_string(purposes=everything, vendors={42}))
    assert set(tcf_statuses(with_us, ours).values()) == {"granted"}
    restricted = decode_tc_string(
        encode_tc_string(purposes=everything, vendors={42}, restrictions=[(8, 0, {40, 41, 42})])
    )
    statuses = tcf_statuses(restricted, ours)
    assert statuses["analytics"] == "denied"  # purpose 8 not allowed for us
    assert statuses["advertising"] == "granted"

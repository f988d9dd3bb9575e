"""R12: a grant covers only the purposes (and channels) of the notice it was given under."""

from __future__ import annotations

import polars as pl
import pytest
from store_helpers import Clock, at, make_store, map_identity, statement

from cdp.config import ConfigError, Settings, parse_config
from storage import Lakehouse

NOTICES = {
    "newsletter-v3": {"purposes": ["email_marketing"], "channels": ["email"]},
    "shop-terms-v1": {"purposes": ["personalization", "analytics"]},
}


@pytest.fixture
def noticed(sample_settings: Settings) -> Settings:
    return sample_settings.model_copy(
        update={
            "notices": parse_config(
                {
                    "purposes": {k: v.model_dump() for k, v in sample_settings.purposes.items()},
                    "notices": NOTICES,
                }
            ).notices
        }
    )


def test_a_grant_counts_only_within_its_notice(lakehouse: Lakehouse, noticed: Settings) -> None:
    store = make_store(lakehouse, noticed, Clock(at(60)))
    map_identity(lakehouse, ("crm", "001", "c1"), ("crm", "002", "c2"), ("crm", "003", "c3"))
    store.record(
        [
            # covered: the newsletter notice names e-mail marketing on the e-mail channel
            statement("crm:001", "email_marketing", "granted", 0, notice_version="newsletter-v3"),
            # not covered: the newsletter notice says nothing of SMS
            statement("crm:001", "sms_marketing", "granted", 0, notice_version="newsletter-v3"),
            # not covered: right purpose, channel outside the notice
            statement(
                "crm:002",
                "email_marketing",
                "granted",
                0,
                notice_version="newsletter-v3",
                channel="sms",
            ),
            # a notice without channels covers its purposes on any channel
            statement("crm:002", "analytics", "granted", 0, notice_version="shop-terms-v1"),
            # an uncatalogued notice is not checked (documented)
            statement("crm:003", "email_marketing", "granted", 0, notice_version="old-form"),
        ]
    )
    d = store.decide("crm:001", "email_marketing")
    assert d.allowed and d.reason_codes == ("CONSENT_GRANTED",)
    refused = store.decide("crm:001", "sms_marketing")
    assert not refused.allowed and "CONSENT_GRANTED" not in refused.reason_codes
    assert not store.decide("crm:002", "email_marketing").allowed
    assert store.decide("crm:002", "analytics").allowed
    assert store.decide("crm:003", "email_marketing").allowed
    # the vectorized gate agrees row by row
    frame = pl.DataFrame({"customer_id": ["c1", "c2", "c3"]})
    for purpose in ("email_marketing", "sms_marketing", "analytics"):
        many = store.decide_many(frame, purpose)
        for customer, allowed in zip(many["customer_id"], many["allowed"], strict=True):
            assert allowed == store.decide(f"customer_id:{customer}", purpose).allowed
    # a refusal under any notice still refuses (R12 only narrows grants)
    store.record(
        [statement("crm:001", "email_marketing", "withdrawn", 5, notice_version="shop-terms-v1")]
    )
    assert not store.decide("crm:001", "email_marketing").allowed


def test_without_a_catalogue_nothing_changes(
    lakehouse: Lakehouse, sample_settings: Settings
) -> None:
    bare = sample_settings.model_copy(update={"notices": {}})
    store = make_store(lakehouse, bare, Clock(at(60)))
    map_identity(lakehouse, ("crm", "001", "c1"))
    store.record(
        [statement("crm:001", "sms_marketing", "granted", 0, notice_version="newsletter-v3")]
    )
    assert store.decide("crm:001", "sms_marketing").allowed


def test_a_notice_naming_an_unknown_purpose_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"notices\.bad\.purposes"):
        parse_config(
            {
                "purposes": {"analytics": {"legal_basis": {"default": "consent"}}},
                "notices": {"bad": {"purposes": ["nope"]}},
            }
        )

from __future__ import annotations

import pytest

from cdp.models.errors import InvalidInputError
from cdp.models.normalize import email_match_key, normalize_email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jane.doe@example.com", "jane.doe@example.com"),
        ("  Jane.Doe@Example.COM \t", "jane.doe@example.com"),
        ("<jane@example.com>", "jane@example.com"),
        ("mailto:jane@example.com", "jane@example.com"),
        ("MAILTO:Jane@Example.com?subject=hi", "jane@example.com"),
        ("Jane Doe <Jane@Example.com>", "jane@example.com"),
        ("jane@example.com.", "jane@example.com"),
        ("jane+news@example.co.uk", "jane+news@example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("jane\u200b@example.com", "jane@example.com"),
        ("jörg@müller.de", "jörg@müller.de"),
    ],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "<>", "mailto:"])
def test_empty_email_is_none(raw: str | None) -> None:
    assert normalize_email(raw) is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("plainaddress", "needs exactly one @"),
        ("jane@@example.com", "needs exactly one @"),
        ("jane@doe@example.com", "needs exactly one @"),
        ("@example.com", "empty local part"),
        ("jane doe@example.com", "whitespace"),
        ("jane@localhost", "domain needs a dot"),
        ("jane..doe@example.com", "not a valid email address"),
        (".jane@example.com", "not a valid email address"),
        ("jane.@example.com", "not a valid email address"),
        ("jane@example..com", "not a valid email address"),
        ("jane@-example.com", "not a valid email address"),
        ("jane@example.c0m", "not a valid email address"),
        ("jane@[192.168.0.1]", "not a valid email address"),
        ('"jane doe"@example.com', "whitespace"),
        ("jane,doe@example.com", "not a valid email address"),
        ("x" * 65 + "@example.com", "too long"),
    ],
)
def test_invalid_email(raw: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        normalize_email(raw)
    err = info.value
    assert err.field == "email"
    assert err.error_type == "bad_format"
    assert reason in err.reason
    assert raw not in str(err)


def test_email_error_never_contains_the_address() -> None:
    secret = "very.secret.person@@example.com"
    with pytest.raises(InvalidInputError) as info:
        normalize_email(secret, field="Email")
    assert info.value.field == "Email"
    assert "secret" not in str(info.value)
    assert "example" not in str(info.value)


def test_non_text_email() -> None:
    with pytest.raises(InvalidInputError, match="boolean"):
        normalize_email(True)
    with pytest.raises(InvalidInputError, match="one @"):
        normalize_email(12345)


@pytest.mark.parametrize(
    ("email", "key"),
    [
        # Gmail: dots and +tags don't matter, googlemail is gmail
        ("jane.doe@gmail.com", "janedoe@gmail.com"),
        ("j.a.n.e.d.o.e+newsletter@gmail.com", "janedoe@gmail.com"),
        ("JaneDoe@GoogleMail.com", "janedoe@gmail.com"),
        ("jane.doe+x+y@googlemail.com", "janedoe@gmail.com"),
        # plus-tag providers: the tag goes, dots stay
        ("jane.doe+shop@outlook.com", "jane.doe@outlook.com"),
        ("jane+a@outlook.de", "jane@outlook.de"),
        ("jane+a@hotmail.com", "jane@hotmail.com"),
        ("jane+a@hotmail.co.uk", "jane@hotmail.co.uk"),
        ("jane+a@live.fr", "jane@live.fr"),
        ("jane+a@icloud.com", "jane@icloud.com"),
        ("jane+a@me.com", "jane@me.com"),
        ("jane+a@protonmail.com", "jane@protonmail.com"),
        ("jane+a@proton.me", "jane@proton.me"),
        ("jane+a@fastmail.com", "jane@fastmail.com"),
        # Yahoo: -tag
        ("jane-shopping@yahoo.com", "jane@yahoo.com"),
        ("jane-x@yahoo.co.uk", "jane@yahoo.co.uk"),
        ("jane+x@yahoo.com", "jane+x@yahoo.com"),
        # corporate and unknown domains: unchanged (precision first)
        ("jane+sales@acme.ch", "jane+sales@acme.ch"),
        ("jane.doe@acme.ch", "jane.doe@acme.ch"),
        ("jane-doe@acme.ch", "jane-doe@acme.ch"),
        ("jane+x@gmail.com.evil.org", "jane+x@gmail.com.evil.org"),
        # a rule that would empty the local part keeps the address
        ("+tag@gmail.com", "+tag@gmail.com"),
        ("-x@yahoo.com", "-x@yahoo.com"),
    ],
)
def test_email_match_key(email: str, key: str) -> None:
    assert email_match_key(email) == key
    assert email_match_key(key) == key  # idempotent


def test_gmail_variants_share_a_key_and_corporate_ones_do_not() -> None:
    a = normalize_email("Jane.Doe+promo@gmail.com")
    b = normalize_email("janedoe@googlemail.com")
    assert a is not None and b is not None
    assert email_match_key(a) == email_match_key(b)
    c = normalize_email("jane.doe+promo@acme.com")
    d = normalize_email("janedoe@acme.com")
    assert c is not None and d is not None
    assert email_match_key(c) != email_match_key(d)

from __future__ import annotations

import pytest

from cdp.models.errors import InvalidInputError
from cdp.models.normalize import display_name, fold_name, split_full_name

# ------------------------------------------------------------------------------------ fold_name


@pytest.mark.parametrize(
    "variant", ["Müller", "Mueller", "MÜLLER", "MUELLER", "müller", "  Müller ", "Mu\u0308ller"]
)
def test_german_umlauts_fold_like_their_transliteration(variant: str) -> None:
    assert fold_name(variant) == "mueller"


def test_plain_u_is_not_an_umlaut() -> None:
    # documented: ä/ö/ü transliterate, so an ASCII-only "Muller" is a different key
    assert fold_name("Muller") == "muller"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Strauß", "strauss"),
        ("STRAUSS", "strauss"),
        ("Göthe", "goethe"),
        ("Jäger", "jaeger"),
        ("José", "jose"),
        ("Ñúñez", "nunez"),
        ("François", "francois"),
        ("Dvořák", "dvorak"),
        ("Søren", "soren"),
        ("Ærø", "aero"),
        ("Œuvray", "oeuvray"),
        ("Łukasz", "lukasz"),
        ("Đorđe", "dorde"),
        ("Þór", "thor"),
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),
        ("o'brien", "obrien"),
        ("D'Angelo", "dangelo"),
        ("Anne-Marie", "anne marie"),
        ("Anne–Marie", "anne marie"),
        ("anne marie", "anne marie"),
        ("Hans  Peter", "hans peter"),
        ("J.R.R.", "jrr"),
        ("Hans2", "hans"),
        ("Smith, Jr.", "smith jr"),
        ("Иван", "иван"),
        ("ΣΩΚΡΆΤΗΣ", "σωκρατησ"),
    ],
)
def test_fold_name(raw: str, expected: str) -> None:
    assert fold_name(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_fold_name_empty(raw: str | None) -> None:
    assert fold_name(raw) is None


@pytest.mark.parametrize("raw", ["---", "123", "''", "."])
def test_fold_name_without_letters(raw: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        fold_name(raw, field="last_name")
    assert info.value.field == "last_name"
    assert info.value.reason == "no letters"
    assert info.value.error_type == "bad_format"


# --------------------------------------------------------------------------------- display_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HANS MÜLLER", "Hans Müller"),
        ("hans müller", "Hans Müller"),
        ("Hans Müller", "Hans Müller"),
        ("  Hans    Müller ", "Hans Müller"),
        ("McDonald", "McDonald"),  # mixed case is kept as given
        ("mcdonald", "Mcdonald"),  # Mc is not special
        ("O'BRIEN", "O'Brien"),
        ("o'brien", "O'Brien"),
        ("anne-marie", "Anne-Marie"),
        ("ANNE-MARIE SCHMIDT-MEIER", "Anne-Marie Schmidt-Meier"),
        ("LUDWIG VAN BEETHOVEN", "Ludwig van Beethoven"),
        ("maria de la cruz", "Maria de la Cruz"),
        ("URSULA VON DER LEYEN", "Ursula von der Leyen"),
        ("van dyke", "Van Dyke"),  # a particle is capitalized first
        ("HANS LE", "Hans Le"),  # ... and last (it is the surname)
        ("ß", "Ss"),
        ("deBoer", "deBoer"),
    ],
)
def test_display_name(raw: str, expected: str) -> None:
    assert display_name(raw) == expected


def test_display_name_empty_and_invalid() -> None:
    assert display_name(None) is None
    assert display_name("  ") is None
    with pytest.raises(InvalidInputError, match="no letters"):
        display_name("--")


# ------------------------------------------------------------------------------ split_full_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hans Müller", ("Hans", "Müller")),
        ("HANS MÜLLER", ("Hans", "Müller")),
        ("hans müller", ("Hans", "Müller")),
        ("Müller, Hans", ("Hans", "Müller")),
        ("MÜLLER, HANS", ("Hans", "Müller")),
        ("Müller,Hans", ("Hans", "Müller")),
        ("MÜLLER Hans", ("Hans", "Müller")),
        ("MÜLLER Hans Peter", ("Hans Peter", "Müller")),
        ("VON DER LEYEN Ursula", ("Ursula", "von der Leyen")),
        ("Hans MÜLLER", ("Hans", "Müller")),
        ("Hans Peter Müller", ("Hans Peter", "Müller")),
        ("Anne-Marie Schmidt", ("Anne-Marie", "Schmidt")),
        ("Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
        ("Maria de la Cruz", ("Maria", "de la Cruz")),
        ("LUDWIG VAN BEETHOVEN", ("Ludwig", "van Beethoven")),
        ("Ursula von der Leyen", ("Ursula", "von der Leyen")),
        ("Herr Hans Müller", ("Hans", "Müller")),
        ("Frau Dr. Anna Meier", ("Anna", "Meier")),
        ("Herr Prof. Dr. Hans Müller", ("Hans", "Müller")),
        ("Mr John Smith", ("John", "Smith")),
        ("Mrs. Jane Smith", ("Jane", "Smith")),
        ("Ms Jane Smith", ("Jane", "Smith")),
        ("Miss Jane Smith", ("Jane", "Smith")),
        ("Dr John Smith", ("John", "Smith")),
        ("Prof Jane Smith", ("Jane", "Smith")),
        ("Mme Marie Dupont", ("Marie", "Dupont")),
        ("M. Jean Dupont", ("Jean", "Dupont")),
        ("M. Dupont", ("M.", "Dupont")),  # an initial, not Monsieur
        ("Dr. Müller, Hans", ("Hans", "Müller")),
        ("John Smith Jr.", ("John", "Smith")),
        ("Müller", (None, "Müller")),
        ("Herr Müller", (None, "Müller")),
        ("MÜLLER", (None, "Müller")),
        (", Hans", (None, "Hans")),
        ("O'BRIEN, SEAN", ("Sean", "O'Brien")),
    ],
)
def test_split_full_name_auto(raw: str, expected: tuple[str | None, str | None]) -> None:
    assert split_full_name(raw) == expected


def test_split_full_name_forced_orders() -> None:
    assert split_full_name("Müller Hans", format="last_first") == ("Hans", "Müller")
    assert split_full_name("Müller Hans Peter", format="last_first") == ("Hans Peter", "Müller")
    assert split_full_name("van Beethoven Ludwig", format="last_first") == (
        "Ludwig",
        "van Beethoven",
    )
    # auto would read the upper-case word as the surname; first_last forces the order
    assert split_full_name("MÜLLER Hans", format="first_last") == ("Müller", "Hans")
    assert split_full_name("Hans Müller", format="first_last") == ("Hans", "Müller")
    # a comma is explicit in every format
    assert split_full_name("Müller, Hans", format="first_last") == ("Hans", "Müller")


def test_split_full_name_empty_and_errors() -> None:
    assert split_full_name(None) == (None, None)
    assert split_full_name("   ") == (None, None)
    with pytest.raises(InvalidInputError) as info:
        split_full_name("1234")
    assert info.value.field == "full_name"
    with pytest.raises(ValueError, match="format"):
        split_full_name("Hans Müller", format="surname_first")

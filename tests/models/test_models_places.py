from __future__ import annotations

import pytest

from cdp.models.errors import InvalidInputError
from cdp.models.normalize import (
    city_match_key,
    normalize_country,
    normalize_postcode,
    postcode_match_key,
    street_match_key,
)

# -------------------------------------------------------------------------------------- country

_NAMES = {
    "CH": ["CH", "ch", "CHE", "Switzerland", "Schweiz", "Suisse", "Svizzera"],
    "DE": ["DE", "DEU", "Germany", "Deutschland", "Allemagne"],
    "AT": ["AT", "AUT", "Austria", "Österreich", "Oesterreich", "Autriche"],
    "FR": ["FR", "FRA", "France", "Frankreich"],
    "IT": ["IT", "ITA", "Italy", "Italien", "Italie", "Italia"],
    "LI": ["LI", "LIE", "Liechtenstein"],
    "GB": ["GB", "UK", "GBR", "United Kingdom", "Great Britain", "Grossbritannien", "Royaume-Uni"],
    "US": ["US", "USA", "U.S.A.", "U.S.", "United States", "United States of America"],
    "NL": ["NL", "NLD", "Netherlands", "The Netherlands", "Niederlande", "Pays-Bas", "Holland"],
    "BE": ["BE", "BEL", "Belgium", "Belgien", "Belgique"],
    "LU": ["LU", "LUX", "Luxembourg", "Luxemburg"],
    "ES": ["ES", "ESP", "Spain", "Spanien", "Espagne", "España"],
    "PT": ["PT", "PRT", "Portugal"],
    "DK": ["DK", "DNK", "Denmark", "Dänemark", "Danemark"],
    "SE": ["SE", "SWE", "Sweden", "Schweden", "Suède"],
    "NO": ["NO", "NOR", "Norway", "Norwegen", "Norvège"],
    "FI": ["FI", "FIN", "Finland", "Finnland", "Finlande"],
    "PL": ["PL", "POL", "Poland", "Polen", "Pologne"],
    "CZ": ["CZ", "CZE", "Czech Republic", "Czechia", "Tschechien", "République tchèque"],
    "IE": ["IE", "IRL", "Ireland", "Irland", "Irlande"],
    "CA": ["CA", "CAN", "Canada", "Kanada"],
    "AU": ["AU", "AUS", "Australia", "Australien", "Australie"],
}


@pytest.mark.parametrize(
    ("raw", "code"), [(name, code) for code, names in _NAMES.items() for name in names]
)
def test_normalize_country(raw: str, code: str) -> None:
    assert normalize_country(raw) == code


def test_country_whitespace_case_and_empty() -> None:
    assert normalize_country("  schweiz ") == "CH"
    assert normalize_country("ÉTATS-UNIS") == "US"
    assert normalize_country(None) is None
    assert normalize_country("") is None


def test_any_iso_alpha2_code_is_accepted() -> None:
    assert normalize_country("jp") == "JP"
    assert normalize_country("BR") == "BR"


@pytest.mark.parametrize("raw", ["XX", "Narnia", "Europe", "12", "Deutschlandd"])
def test_unknown_country(raw: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        normalize_country(raw)
    assert info.value.field == "country"
    assert info.value.error_type == "bad_format"
    assert raw not in str(info.value)


def test_country_format_iso2() -> None:
    assert normalize_country("de", format="iso2") == "DE"
    with pytest.raises(InvalidInputError, match="two-letter"):
        normalize_country("Deutschland", format="iso2")
    assert normalize_country("Deutschland", format="name") == "DE"
    with pytest.raises(ValueError, match="format"):
        normalize_country("DE", format="alpha3")


# ------------------------------------------------------------------------------------- postcode


@pytest.mark.parametrize(
    ("raw", "country", "expected", "key"),
    [
        ("80331", "DE", "80331", "80331"),
        ("D-80331", None, "80331", "80331"),
        ("D-80331", "DE", "80331", "80331"),
        ("DE-80331", None, "80331", "80331"),
        ("1067", "DE", "01067", "01067"),  # the leading zero a spreadsheet dropped
        ("8001", "CH", "8001", "8001"),
        ("CH-8001", None, "8001", "8001"),
        ("ch-8001", None, "8001", "8001"),
        ("A-1010", None, "1010", "1010"),
        ("FL-9490", None, "9490", "9490"),
        ("F-75001", None, "75001", "75001"),
        ("94105", "US", "94105", "94105"),
        ("94105-1234", "US", "94105", "94105"),
        ("941051234", "US", "94105", "94105"),
        ("2134", "US", "02134", "02134"),
        ("sw1a1aa", "GB", "SW1A 1AA", "SW1A1AA"),
        ("SW1A  1AA", "GB", "SW1A 1AA", "SW1A1AA"),
        ("EC1A 1BB", "GB", "EC1A 1BB", "EC1A1BB"),
        ("1234ab", "NL", "1234 AB", "1234AB"),
        ("00950", "PL", "00-950", "00950"),
        ("00-950", "PL", "00-950", "00950"),
        ("11455", "SE", "114 55", "11455"),
        ("1000-001", "PT", "1000-001", "1000001"),
        ("k1a0b1", "CA", "K1A 0B1", "K1A0B1"),
        ("D02X285", "IE", "D02 X285", "D02X285"),
        (8001.0, "CH", "8001", "8001"),
        ("sw1a 1aa", None, "SW1A 1AA", "SW1A1AA"),  # no country: upper-cased only
    ],
)
def test_normalize_postcode(raw: object, country: str | None, expected: str, key: str) -> None:
    assert normalize_postcode(raw, country=country) == expected
    assert postcode_match_key(raw, country=country) == key


@pytest.mark.parametrize(
    ("raw", "country"),
    [("123", "DE"), ("803311", "DE"), ("ABCDE", "CH"), ("1234", "GB"), ("!!", None), ("A", None)],
)
def test_invalid_postcode(raw: str, country: str | None) -> None:
    with pytest.raises(InvalidInputError) as info:
        normalize_postcode(raw, country=country)
    assert info.value.field == "postcode"
    assert info.value.error_type == "bad_format"


def test_empty_postcode() -> None:
    assert normalize_postcode(None) is None
    assert postcode_match_key("  ") is None


# --------------------------------------------------------------------------------------- street


@pytest.mark.parametrize(
    "variant",
    [
        "Bahnhofstrasse 12",
        "Bahnhofstraße 12",
        "BAHNHOFSTRASSE 12",
        "Bahnhofstr. 12",
        "Bahnhofstr.12",
        "Bahnhofstr 12",
        "Bahnhofstrasse12",
        "Bahnhof-Strasse 12",
        "Bahnhof Str. 12",
        "  Bahnhofstrasse   12 ",
    ],
)
def test_street_variants_share_a_key(variant: str) -> None:
    assert street_match_key(variant) == "bahnhofstrasse 12"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Konrad-Adenauer-Str. 5", "konrad adenauerstrasse 5"),
        ("Konrad-Adenauer-Straße 5", "konrad adenauerstrasse 5"),
        ("Hauptstr. 12 a", "hauptstrasse 12a"),
        ("Hauptstraße 12a", "hauptstrasse 12a"),
        ("Straße des 17. Juni 1", "strasse des 17 juni 1"),
        ("123 Main St.", "123 main street"),
        ("123 Main Street", "123 main street"),
        ("12 St Mary Road", "12 st mary road"),  # Saint, not Street
        ("St. Gallerstrasse 5", "st gallerstrasse 5"),
        ("5th Ave", "5th avenue"),
        ("Av. des Champs-Élysées 10", "avenue des champs elysees 10"),
        ("221B Baker Rd", "221b baker road"),
        ("Sunset Blvd 1", "sunset boulevard 1"),
        ("Rue de la Paix 3", "rue de la paix 3"),
        ("Marktplatz 1", "marktplatz 1"),
    ],
)
def test_street_match_key(raw: str, key: str) -> None:
    assert street_match_key(raw) == key


def test_street_key_empty_and_invalid() -> None:
    assert street_match_key(None) is None
    with pytest.raises(InvalidInputError, match="no letters"):
        street_match_key("--- ...")


# ----------------------------------------------------------------------------------------- city


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Zürich", "zuerich"),
        ("ZÜRICH", "zuerich"),
        ("Zuerich", "zuerich"),
        ("Zürich 1", "zuerich"),
        ("München", "muenchen"),
        ("St. Gallen", "st gallen"),
        ("St.Gallen", "st gallen"),
        ("Frankfurt (Oder)", "frankfurt oder"),
        ("Neuchâtel", "neuchatel"),
        ("Saint-Étienne", "saint etienne"),
    ],
)
def test_city_match_key(raw: str, key: str) -> None:
    assert city_match_key(raw) == key


def test_city_key_empty_and_invalid() -> None:
    assert city_match_key("") is None
    with pytest.raises(InvalidInputError, match="no letters"):
        city_match_key("1234")

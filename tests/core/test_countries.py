"""Countries are named in the reader's language."""

from __future__ import annotations

import pytest

from amparo.core.countries import country_choices, country_name, region_name


@pytest.mark.parametrize(
    ("language", "name"),
    [("en", "Germany"), ("fr", "Allemagne"), ("es", "Alemania"), ("ar", "ألمانيا")],
)
def test_country_names_follow_the_language(language: str, name: str) -> None:
    assert dict(country_choices(language))["DE"] == name


def test_countries_are_sorted_by_their_name_in_that_language() -> None:
    names = [name for _, name in country_choices("fr")]
    assert names == sorted(names, key=str.casefold)
    assert len(names) >= 249


@pytest.mark.parametrize(
    ("language", "name"),
    [("en", "Colombia"), ("fr", "Colombie"), ("es", "Colombia"), ("ar", "كولومبيا")],
)
def test_a_country_code_reads_as_its_name_in_the_language(language: str, name: str) -> None:
    assert country_name("CO", language) == name
    assert country_name("co", language) == name


def test_an_unknown_country_code_is_shown_as_it_is_rather_than_hidden() -> None:
    assert country_name("XX", "fr") == "XX"


def test_a_region_code_reads_as_the_regions_name() -> None:
    assert region_name("KE-17", "en") == "Kisumu"
    assert region_name("ke-30", "fr") == "Nairobi City"
    assert region_name("MA-04", "en") == "Rabat-Salé-Kénitra"
    assert region_name("ZZ-99", "ar") == "ZZ-99"

"""Countries are named in the reader's language."""

from __future__ import annotations

import pytest

from amparo.core.countries import country_choices


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

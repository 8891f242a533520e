"""Country and region names in the reader's language, from the ISO 3166 translations pycountry
ships. Records store codes (ISO 3166-1 alpha-2 for countries, ISO 3166-2 for first-level
regions); pages show names, through the `country_name` and `region_name` template filters
(`{% load places %}`), so that a reader never has to know that KE-17 is Kisumu."""

from __future__ import annotations

import gettext
from functools import cache

import pycountry


@cache
def _translation(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


@cache
def country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """Every country as (ISO 3166-1 alpha-2, name in `language`), sorted by that name."""
    translate = _translation("iso3166-1", language).gettext
    named = [(country.alpha_2, translate(country.name)) for country in pycountry.countries]
    return tuple(sorted(named, key=lambda item: item[1].casefold()))


@cache
def _country_names(language: str) -> dict[str, str]:
    return dict(country_choices(language))


def country_name(code: str, language: str) -> str:
    """The country's name in `language`; an unknown code is shown as it is, never hidden."""
    return _country_names(language).get(code.upper(), code)


@cache
def region_name(code: str, language: str) -> str:
    """The first-level region's name (ISO 3166-2, e.g. KE-17 → Kisumu), in `language` where
    pycountry has a translation (most regions keep their own name in every language)."""
    subdivision = pycountry.subdivisions.get(code=code.upper())  # type: ignore[no-untyped-call]
    if subdivision is None:
        return code
    return _translation("iso3166-2", language).gettext(subdivision.name)

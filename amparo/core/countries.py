"""Country names in the reader's language, from the ISO 3166 translations pycountry ships."""

from __future__ import annotations

import gettext
from functools import cache

import pycountry


@cache
def _translation(language: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


@cache
def country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """Every country as (ISO 3166-1 alpha-2, name in `language`), sorted by that name."""
    translate = _translation(language).gettext
    named = [(country.alpha_2, translate(country.name)) for country in pycountry.countries]
    return tuple(sorted(named, key=lambda item: item[1].casefold()))

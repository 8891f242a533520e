"""`{{ code|country_name }}` and `{{ code|region_name }}`: place codes as names, in the language
of the page (see amparo/core/countries.py)."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from amparo.core import countries

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    return countries.country_name(code, get_language() or "en") if code else ""


@register.filter
def region_name(code: str | None) -> str:
    return countries.region_name(code, get_language() or "en") if code else ""

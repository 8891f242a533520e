"""Reading a snapshot in the reader's language: terms carry their labels in every language,
victims their pseudonym or (under consent) their name; addresses keep the language prefix."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from amparo.core.countries import country_name
from amparo.portal import implementation, queries
from amparo.portal.models import Publication, PublicText

register = template.Library()


def _language() -> str:
    return (get_language() or "en")[:2]


def language_prefix(language: str | None = None) -> str:
    language = (language or _language())[:2]
    return "" if language == "en" else f"{language}/"


@register.filter
def term(value: dict[str, Any] | None) -> str:
    return queries.label(value, _language())


@register.filter
def terms(values: list[dict[str, Any]] | None) -> str:
    return ", ".join(queries.label(v, _language()) for v in values or [])


@register.filter
def victim(value: dict[str, Any] | None) -> str:
    """The victim's name where they consented to publication, else their pseudonym."""
    if not value:
        return ""
    if value.get("name"):
        return str(value["name"])
    code = {"code": value.get("pseudonym", "")}
    if value.get("organisation"):
        return _("Organisation %(code)s") % code
    if value.get("defender"):
        return _("Defender %(code)s") % code
    return _("Person %(code)s") % code


@register.filter
def place(record: dict[str, Any] | None) -> str:
    return queries.place(record or {}, _language())


@register.filter
def country(code: str | None) -> str:
    """A country's name in the reader's language."""
    return country_name(code, _language()) if code else ""


@register.filter
def recommendation_text(record: dict[str, Any] | None) -> dict[str, Any]:
    """A published recommendation's text in the reader's language, or its original (with its
    language, marked by the templates) where there is no translation."""
    text, language, fallback = implementation.text_in(record or {}, _language())
    return {"text": text, "language": language, "fallback": fallback}


@register.filter
def public_text(publication: Publication) -> PublicText:
    """The publication's title and summary in the reader's language, or the original (marked
    by the templates with its language) where there is no translation."""
    return publication.text_in(_language())


@register.simple_tag
def portal_url(name: str, **kwargs: Any) -> str:
    """A public page's address in the active language (/fr/portal/…, /portal/… in English)."""
    return reverse(f"portal:{name}", kwargs={"lang_prefix": language_prefix(), **kwargs})

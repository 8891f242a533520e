"""The public portal: no login, server-rendered, no JavaScript, nothing from another site.

Every page reads live publications only (`queries`), in the language of its address prefix.
Pages are cached on the server under a key that changes with every publication's change
(`queries.generation`), and sent with an ETag and `no-cache`, so that browsers and proxies ask
again each time: a withdrawal is never served from a cache, yet an unchanged page costs a 304.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotModified,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.analysis.dimensions import LANGUAGES
from amparo.core.permissions import public
from amparo.portal import queries
from amparo.portal.models import Publication
from amparo.portal.templatetags.portal import language_prefix

CACHE_SECONDS = 600
PAGE_SIZE = 25
LICENCE_NAME = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}

# What each column of the open data means (the data dictionary).
DATA_DICTIONARY: dict[str, Any] = {
    "publication": gettext_lazy("The publication's code: its page is /portal/p/<code>/."),
    "item": gettext_lazy("The event's code within the publication (its permalink)."),
    "published_at": gettext_lazy("The day the publication was approved (YYYY-MM-DD)."),
    "country": gettext_lazy("Where it happened: ISO 3166-1 alpha-2 country code."),
    "region": gettext_lazy("First-level region, ISO 3166-2 code; never a more precise place."),
    "start_date": gettext_lazy("When the event began, no more precisely than the month."),
    "end_date": gettext_lazy("When the event ended, if known, no more precisely than the month."),
    "type_of_act": gettext_lazy("The violation (HURIDOCS and Amparo vocabularies)."),
    "act_date": gettext_lazy("When the act happened, no more precisely than the month."),
    "consequences": gettext_lazy("What the act caused, separated by semicolons."),
    "targeted_activity": gettext_lazy("The defender's activity the act targeted."),
    "perpetrator_types": gettext_lazy("Kinds of perpetrator, separated by semicolons."),
    "victim": gettext_lazy(
        "The victim's pseudonym, or their name only where they consented to publication."
    ),
    "victim_kind": gettext_lazy("individual, or organisation (an NHRI, a defenders' group)."),
    "victim_sex": gettext_lazy("The victim's sex or gender, as recorded."),
    "victim_age_group": gettext_lazy("The victim's age group."),
    "victim_defender_types": gettext_lazy("Types of defender, separated by semicolons."),
}

# What each column of the recommendations' open data means.
RECOMMENDATION_DICTIONARY: dict[str, Any] = {
    "publication": DATA_DICTIONARY["publication"],
    "item": gettext_lazy("The recommendation's code within the publication (its permalink)."),
    "published_at": DATA_DICTIONARY["published_at"],
    "state": gettext_lazy("The State under review: ISO 3166-1 alpha-2 country code."),
    "mechanism": gettext_lazy("The mechanism that made the recommendation."),
    "mechanism_kind": gettext_lazy(
        "Universal Periodic Review, treaty body, special procedure or regional mechanism."
    ),
    "session": gettext_lazy("The cycle or session, as the mechanism names it."),
    "cycle": gettext_lazy("The UPR cycle (a number), for UPR recommendations."),
    "document_symbol": gettext_lazy("The United Nations or regional document it is in."),
    "paragraph": gettext_lazy("Its paragraph in that document."),
    "recommending_state": gettext_lazy("For the UPR: the State that recommended it (ISO code)."),
    "date": gettext_lazy("When it was made, no more precisely than the month."),
    "text": gettext_lazy("The recommendation, in this language where translated."),
    "text_language": gettext_lazy("The language of the text (en, fr, es, ar)."),
    "state_position": gettext_lazy("The State's response: supported, partially supported, noted."),
    "state_response": gettext_lazy("What the State said in response, as published."),
    "themes": gettext_lazy("Themes, separated by semicolons."),
    "affected_groups": gettext_lazy("Persons affected, separated by semicolons."),
    "sdgs": gettext_lazy("Sustainable Development Goals and targets, separated by semicolons."),
    "implementation_status": gettext_lazy(
        "Implementation status as of the publication (from the State's latest progress report)."
    ),
    "contested": gettext_lazy("True when a reviewer contested the State's latest report."),
    "latest_report_status": gettext_lazy("The status the State's latest progress report gives."),
    "assessment": gettext_lazy(
        "The publishing organisation's assessment of the reports: endorsed or contested."
    ),
}

View = Callable[..., HttpResponse]


def portal_page(view: View) -> View:
    """Public, GET only, in the prefix's language, cached until any publication changes."""

    @wraps(view)
    def page(request: HttpRequest, lang_prefix: str = "", **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        language = lang_prefix.rstrip("/") or "en"
        key = hashlib.sha256(
            f"{request.get_host()}|{request.get_full_path()}|{queries.generation()}".encode()
        ).hexdigest()
        etag = f'"{key[:32]}"'
        if request.headers.get("If-None-Match") == etag:
            response: HttpResponse = HttpResponseNotModified()
        else:
            # Only addresses without a query string are kept: each search or filter would
            # otherwise be a new entry, and anyone could fill the cache (the process's memory)
            # with copies of the largest download by adding ?1, ?2, ... to its address.
            cacheable = not request.META.get("QUERY_STRING")
            stored = cache.get(f"portal:{key}") if cacheable else None
            if stored is not None:
                content, headers = stored
                response = HttpResponse(content)
                for name, value in headers.items():
                    response[name] = value
            else:
                with translation.override(language):
                    request.LANGUAGE_CODE = language
                    response = view(request, language=language, **kwargs)
                if cacheable and response.status_code == 200:
                    headers = {
                        name: response[name]
                        for name in ("Content-Type", "Content-Disposition")
                        if name in response
                    }
                    cache.set(f"portal:{key}", (response.content, headers), CACHE_SECONDS)
        response["ETag"] = etag
        response["Content-Language"] = language
        patch_cache_control(response, public=True, no_cache=True)
        return response

    return public(page)


def _alternates(request: HttpRequest, language: str) -> list[dict[str, str]]:
    """This page in each language: the switcher's links (no script, no form)."""
    path = request.path
    current = language_prefix(language)
    base = "/" + path.lstrip("/")[len(current) :] if current else path
    query = request.META.get("QUERY_STRING", "")
    return [
        {
            "code": code,
            "name": LANGUAGE_NAMES[code],
            "url": "/" + language_prefix(code) + base.lstrip("/") + (f"?{query}" if query else ""),
        }
        for code in LANGUAGES
    ]


def _render(
    request: HttpRequest, language: str, template: str, context: dict[str, Any]
) -> HttpResponse:
    return render(
        request,
        template,
        {
            **context,
            "language": language,
            "alternates": _alternates(request, language),
            "licence_name": LICENCE_NAME,
            "licence_url": LICENCE_URL,
        },
    )


def _absolute(request: HttpRequest, name: str, language: str, **kwargs: Any) -> str:
    return request.build_absolute_uri(
        reverse(f"portal:{name}", kwargs={"lang_prefix": language_prefix(language), **kwargs})
    )


@portal_page
def home(request: HttpRequest, language: str) -> HttpResponse:
    latest = list(queries.live().order_by("-published_at")[:8])
    return _render(
        request,
        language,
        "portal/public/home.html",
        {
            "latest": latest,
            "events_count": queries.items().count(),
            "statistics_count": queries.live().filter(kind=Publication.Kind.STATISTICS).count(),
            "recommendations_count": queries.recommendation_items().count(),
        },
    )


def _filters(request: HttpRequest) -> queries.ItemFilters:
    """The list's filters from the address; a value that cannot be one is ignored."""
    year = request.GET.get("year", "")
    country = request.GET.get("country", "").strip().upper()
    return queries.ItemFilters(
        country=country if len(country) == 2 and country.isalpha() else "",
        act_type=request.GET.get("type", "").strip()[:40],
        defender_type=request.GET.get("defender", "").strip()[:40],
        target=request.GET.get("target", "").strip()[:20],
        year=int(year) if year.isdigit() and 1900 < int(year) < 2200 else None,
        words=request.GET.get("q", "").strip()[:200],
    )


@portal_page
def reprisals(request: HttpRequest, language: str) -> HttpResponse:
    filters = _filters(request)
    paginator = Paginator(queries.items(filters), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = queries.with_records(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        language,
        "portal/public/reprisals.html",
        {
            "filters": filters,
            "facets": queries.facets(language),
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
        },
    )


@portal_page
def publication_page(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    publication = queries.live_publication(slug)
    if publication is None:
        raise Http404
    return _render(
        request,
        language,
        "portal/public/publication.html",
        {"publication": publication, "content": publication.public_content},
    )


@portal_page
def item_page(request: HttpRequest, language: str, slug: str, code: str) -> HttpResponse:
    found = queries.live_item(slug, code)
    if found is None:
        raise Http404
    publication, record = found
    template = (
        "portal/public/recommendation.html"
        if publication.kind == Publication.Kind.RECOMMENDATIONS
        else "portal/public/item.html"
    )
    return _render(request, language, template, {"publication": publication, "record": record})


def _recommendation_filters(request: HttpRequest) -> queries.RecommendationFilters:
    """The list's filters from the address; a value that cannot be one is ignored."""
    country = request.GET.get("country", "").strip().upper()

    def code(name: str) -> str:
        value = request.GET.get(name, "").strip()[:60]
        return value if all(c.isalnum() or c in "._-" for c in value) else ""

    return queries.RecommendationFilters(
        country=country if len(country) == 2 and country.isalpha() else "",
        mechanism=code("mechanism"),
        mechanism_kind=code("kind"),
        theme=code("theme"),
        implementation=code("status"),
        response=code("response"),
        words=request.GET.get("q", "").strip()[:200],
    )


@portal_page
def recommendations(request: HttpRequest, language: str) -> HttpResponse:
    """Recommendations and their implementation status: by country, mechanism, theme, status."""
    filters = _recommendation_filters(request)
    paginator = Paginator(queries.recommendation_items(filters), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        language,
        "portal/public/recommendations.html",
        {
            "filters": filters,
            "facets": queries.recommendation_facets(language),
            "page": page,
            "rows": queries.with_recommendations(page.object_list),
            "query": query.urlencode(),
        },
    )


@portal_page
def statistics(request: HttpRequest, language: str) -> HttpResponse:
    publications = queries.live().filter(kind=Publication.Kind.STATISTICS)
    return _render(
        request,
        language,
        "portal/public/statistics.html",
        {"publications": publications.order_by("-published_at")},
    )


@portal_page
def methodology(request: HttpRequest, language: str) -> HttpResponse:
    return _render(
        request,
        language,
        "portal/public/methodology.html",
        {"threshold": settings.AMPARO_STATS_SMALL_CELL_THRESHOLD},
    )


@portal_page
def open_data(request: HttpRequest, language: str) -> HttpResponse:
    dictionary = [(column, DATA_DICTIONARY[column]) for column in queries.COLUMNS]
    recommendation_dictionary = [
        (column, RECOMMENDATION_DICTIONARY[column]) for column in queries.RECOMMENDATION_COLUMNS
    ]
    return _render(
        request,
        language,
        "portal/public/open_data.html",
        {
            "dictionary": dictionary,
            "recommendation_dictionary": recommendation_dictionary,
            "statistics": queries.live()
            .filter(kind=Publication.Kind.STATISTICS)
            .order_by("-published_at"),
        },
    )


def _licence_note() -> str:
    return _("Published under %(licence)s: %(url)s. Cite the publishing organisation.") % {
        "licence": LICENCE_NAME,
        "url": LICENCE_URL,
    }


def _csv_download(
    name: str, language: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]
) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{language}.csv"'
    return response


def _json_download(
    language: str, dictionary: Mapping[str, Any], rows: Iterable[dict[str, Any]]
) -> HttpResponse:
    """The rows with the licence and the data dictionary that say what they are."""
    body = {
        "licence": {"name": LICENCE_NAME, "url": LICENCE_URL, "note": _licence_note()},
        "language": language,
        "generated": timezone.now().isoformat(timespec="seconds"),
        "data_dictionary": {column: str(text) for column, text in dictionary.items()},
        "rows": list(rows),
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
    )


@portal_page
def reprisals_csv(request: HttpRequest, language: str) -> HttpResponse:
    return _csv_download("reprisals", language, queries.COLUMNS, queries.open_data_rows(language))


@portal_page
def reprisals_json(request: HttpRequest, language: str) -> HttpResponse:
    return _json_download(language, DATA_DICTIONARY, queries.open_data_rows(language))


@portal_page
def recommendations_csv(request: HttpRequest, language: str) -> HttpResponse:
    return _csv_download(
        "recommendations",
        language,
        queries.RECOMMENDATION_COLUMNS,
        queries.recommendation_rows(language),
    )


@portal_page
def recommendations_json(request: HttpRequest, language: str) -> HttpResponse:
    return _json_download(
        language, RECOMMENDATION_DICTIONARY, queries.recommendation_rows(language)
    )


def _table(slug: str, language: str) -> tuple[Publication, dict[str, Any]]:
    publication = queries.live_publication(slug)
    if publication is None or publication.kind != Publication.Kind.STATISTICS:
        raise Http404
    tables = publication.public_content["tables"]
    return publication, tables.get(language) or tables["en"]


@portal_page
def table_csv(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    publication, table = _table(slug, language)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table["header"])
    writer.writerows(table["rows"])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{publication.slug}-{language}.csv"'
    return response


@portal_page
def table_json(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    publication, table = _table(slug, language)
    body = {
        "licence": {"name": LICENCE_NAME, "url": LICENCE_URL, "note": _licence_note()},
        "title": publication.text_in(language).title,
        "published_at": publication.published_at.isoformat() if publication.published_at else None,
        "query": publication.public_content.get("query", {}),
        "table": table,
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
    )


@portal_page
def feed(request: HttpRequest, language: str) -> HttpResponse:
    """New publications, newest first (Atom 1.0)."""
    atom = Atom1Feed(
        title=_("Reprisals against human rights defenders and NHRIs: new publications"),
        link=_absolute(request, "home", language),
        description=_("What the organisations using Amparo have chosen to make public."),
        language=language,
        feed_url=_absolute(request, "feed", language),
    )
    for publication in queries.live().order_by("-published_at")[:50]:
        link = _absolute(request, "publication", language, slug=publication.slug)
        text = publication.text_in(language)
        atom.add_item(
            title=text.title,
            link=link,
            description=text.summary,
            unique_id=link,
            pubdate=publication.published_at,
            updateddate=publication.published_at,
            categories=[str(publication.get_kind_display())],
        )
    return HttpResponse(
        atom.writeString("utf-8"), content_type="application/atom+xml; charset=utf-8"
    )

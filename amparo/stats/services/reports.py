"""PDF reports with WeasyPrint: a country and year in one of the four languages
(`amparo report --country KE --year 2025 --lang fr`, and the report page), or one table.

A report holds its methodology (what is counted, what verified means, how small counts are
hidden, how duplicates and undocumented victims are handled), the tables and their charts (the
same SVG as the pages), SDG indicator 16.10.1, the laws used against defenders, and documented
beside estimated killings. Arabic is laid out right to left. Nothing is fetched while the PDF is
made: the styles are in the page, the charts inline, the fonts the system's (a URL in the page
is refused). Every report is recorded in the audit log.

WeasyPrint needs Pango (a system library: Debian's libpango-1.0-0 and libpangoft2-1.0-0). Where
it is missing, `ReportUnavailable` says so instead of failing with a traceback.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from amparo.analysis import charts
from amparo.analysis.crosstab import Filter, Period, Query
from amparo.analysis.dimensions import RIGHT_TO_LEFT
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.countries import country_choices
from amparo.core.models import User
from amparo.stats import access, catalogue
from amparo.stats.models import LegalMeasure
from amparo.stats.services import estimates, exports, sdg, tables


class ReportUnavailable(Exception):
    """A PDF cannot be made here; the message says why, for people."""


def _weasyprint() -> Any:
    try:
        import weasyprint
    except OSError as error:  # Pango or its companions are missing
        raise ReportUnavailable(
            _(
                "PDF reports need the Pango library on the server (Debian: libpango-1.0-0 and "
                "libpangoft2-1.0-0): %(reason)s"
            )
            % {"reason": error}
        ) from error
    return weasyprint


def render_pdf(html: str) -> bytes:
    """The PDF of `html`, fetching nothing: every URL in it is refused."""
    weasyprint = _weasyprint()
    from weasyprint.urls import URLFetcher, URLFetchingError

    class NoFetching(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise URLFetchingError(f"Reports fetch nothing ({url[:40]}).")

    return bytes(weasyprint.HTML(string=html, url_fetcher=NoFetching()).write_pdf())


@dataclass(frozen=True)
class Section:
    title: str
    sheet: exports.Sheet
    chart: SafeString | None


def _section(
    user: User | None, facts: Any, query: Query, language: str, title: str
) -> Section | None:
    table = tables.cross_tab_of(facts, user, query, language)
    inner = [c for c in table.cells.to_pylist() if not (c["all_rows"] or c["all_columns"])]
    if not inner:
        return None
    svg = tables.chart_svg(
        table,
        title=title,
        description=_("Counts hidden as small are left out of the chart; the table shows them."),
    )
    return Section(
        title,
        exports.crosstab_sheet(table, title),
        # WeasyPrint neither shapes nor reorders SVG text: the chart's Arabic goes in printed.
        mark_safe(charts.for_print(svg)) if svg else None,  # noqa: S308 (our SVG, escaped)
    )


def country_name(country: str, language: str) -> str:
    return dict(country_choices(language)).get(country, country)


def country_report(user: User | None, country: str, year: int, language: str) -> bytes:
    """The report on `country` in `year`, in `language`, of what `user` may count (all events
    for the operator at the command line; small counts hidden as for the public)."""
    access.require(user, access.EXPORT)
    language = tables.language_of(language)
    country = country.upper()
    if country not in dict(country_choices("en")):
        raise ReportUnavailable(_("%(code)s is not a country code.") % {"code": country})
    with translation.override(language):
        html = _country_html(user, country, year, language)
        pdf = render_pdf(html)
    audit.record(
        user,
        AuditAction.STATS_REPORT,
        None,
        changes={"country": country, "year": year, "language": language},
    )
    return pdf


def _country_html(user: User | None, country: str, year: int, language: str) -> str:
    facts = tables.counted_facts(user)
    period = Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    where = (Filter("country", (country,)),)
    killing = catalogue.violations()["killing"]
    plan: list[tuple[tuple[str, ...], tuple[str, ...], str, tuple[Filter, ...], str]] = [
        (("type_of_act",), (), "acts", (), _("Acts by type")),
        (("month",), (), "acts", (), _("Acts by month")),
        (("defender_type",), ("sex",), "victims", (), _("Victims by type of defender and sex")),
        (("perpetrator_type",), (), "acts", (), _("Acts by type of perpetrator")),
        (("region",), (), "acts", (), _("Acts by region")),
    ]
    laws = tuple(m.code for m in LegalMeasure.objects.filter(country=country))
    if laws:
        plan.append(
            (
                ("law",),
                ("defender_type",),
                "acts",
                (Filter("law", laws),),
                _("Laws used against defenders"),
            )
        )
    sections = []
    for rows, columns, measure, extra, title in plan:
        query = Query(
            rows=rows, columns=columns, measure=measure, filters=(*where, *extra), period=period
        )
        section = _section(user, facts, query, language, title)
        if section is not None:
            sections.append(section)
    indicator = sdg.indicator(user, sdg.Choice(country, year, year), language)
    estimate = estimates.estimate(
        user,
        estimates.EstimateRequest("killing", country, first_year=year, last_year=year),
    )
    return render_to_string(
        "stats/report_pdf.html",
        {
            "language": language,
            "right_to_left": language in RIGHT_TO_LEFT,
            "title": _("Attacks on human rights defenders: %(country)s, %(year)s")
            % {"country": country_name(country, language), "year": year},
            "generated": timezone.localdate(),
            "sections": sections,
            "indicator": indicator,
            "estimate": estimate,
            "estimate_text": estimates.describe(estimate),
            "killing": killing.label(language),
            "threshold": settings.AMPARO_STATS_SMALL_CELL_THRESHOLD,
        },
    )


def sheet_pdf(user: User | None, sheet: exports.Sheet, *, what: str) -> bytes:
    """One table as a PDF (the cross-tab page's "PDF"), recorded as an export."""
    access.require(user, access.EXPORT)
    language = tables.language_of(translation.get_language())
    html = render_to_string(
        "stats/table_pdf.html",
        {
            "language": language,
            "right_to_left": language in RIGHT_TO_LEFT,
            "sheet": sheet,
            "generated": timezone.localdate(),
        },
    )
    pdf = render_pdf(html)
    exports.record_export(user, "pdf", what, sheet)
    return pdf

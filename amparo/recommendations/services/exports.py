"""Exports of recommendations: the theme table (`amparo recommendations export`) and a State's
mid-term report (CSV, XLSX, PDF).

The theme table has one row per recommendation with the columns EXPORT_COLUMNS; list cells are
joined with "|" and a suggestion is written "Theme name:0.93" (the classifier stores only
suggestions above its decision threshold), highest first. Spreadsheet formulas in cells are
defused. Every export is recorded in the audit log.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases.exchange.tabular import defuse
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.countries import country_choices
from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.recommendations import access, queries
from amparo.recommendations.models import ProgressReport, Recommendation, Review, ThemeLabel

FORMATS = ("csv", "xlsx", "json")
REPORT_FORMATS = ("csv", "xlsx", "pdf")
EXPORT_COLUMNS = (
    "annotation_id",
    "document_symbol",
    "paragraph",
    "state",
    "text",
    "confirmed_themes",
    "suggested_themes",
)
LIST_SEPARATOR = "|"
BATCH = 1000
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _labelled(recommendations: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    return recommendations.prefetch_related(
        Prefetch(
            "theme_labels",
            queryset=ThemeLabel.objects.select_related("theme").order_by(
                "-confidence", "theme__position"
            ),
        )
    )


def theme_rows(recommendations: QuerySet[Recommendation]) -> Iterator[dict[str, Any]]:
    """One row per recommendation, read in batches by primary key."""
    ids = list(recommendations.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        page = _labelled(Recommendation.objects.filter(pk__in=ids[start : start + BATCH]))
        for recommendation in page.order_by("pk"):
            labels = list(recommendation.theme_labels.all())
            confirmed = sorted(
                (label.theme for label in labels if label.status == ThemeLabel.Status.CONFIRMED),
                key=lambda theme: theme.position,
            )
            suggested = [
                f"{label.theme.label_en}:{label.confidence or 0:.2f}"
                for label in labels
                if label.status == ThemeLabel.Status.SUGGESTED
            ]
            yield {
                "annotation_id": recommendation.annotation_id,
                "document_symbol": recommendation.document_symbol,
                "paragraph": recommendation.paragraph,
                "state": recommendation.state,
                "text": recommendation.text,
                "confirmed_themes": [theme.label_en for theme in confirmed],
                "suggested_themes": suggested,
            }


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return "" if value is None else str(value)


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([defuse(_cell(row.get(name))) for name in columns])
        count += 1
    return count


def write_xlsx(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], out: IO[bytes], title: str
) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(columns))
    count = 0
    for row in rows:
        cells = []
        for name in columns:
            cell = WriteOnlyCell(sheet, value=_cell(row.get(name)))
            cell.data_type = "s"  # text: no formula runs, "0042" keeps its zeros
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(out)
    return count


def write_json(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    out.write("[")
    for row in rows:
        out.write((",\n" if count else "\n") + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


def export_themes(
    actor: User | None,
    recommendations: QuerySet[Recommendation],
    file_format: str,
    out: IO[bytes],
) -> int:
    """Write the theme table of `recommendations` to `out`; how many rows. `actor` None: the
    command line."""
    organisation = access.require(actor, access.EXPORT) if actor is not None else None
    if file_format not in FORMATS:
        raise DomainError(_("Export as csv, xlsx or json."))
    rows = theme_rows(recommendations)
    if file_format == "xlsx":
        count = write_xlsx(rows, EXPORT_COLUMNS, out, "recommendations")
    else:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        count = (
            write_csv(rows, EXPORT_COLUMNS, text)
            if file_format == "csv"
            else write_json(rows, text)
        )
        text.detach()
    audit.record(
        actor,
        AuditAction.RECOMMENDATIONS_EXPORT,
        organisation=organisation,
        changes={"what": "themes", "format": file_format, "rows": count},
    )
    return count


# --- A State's mid-term report --------------------------------------------------------------------

REPORT_COLUMNS = (
    "reference",
    "mechanism",
    "session",
    "recommending_state",
    "text",
    "position",
    "themes",
    "actions",
    "status",
    "report_period",
    "evidence",
    "nhri",
    "civil_society",
)


def _review_text(reviews: Sequence[Review]) -> str:
    return " / ".join(
        f"{review.organisation.short_code}: {review.get_verdict_display()}"
        + (f" ({review.comment})" if review.comment else "")
        for review in reviews
    )


def report_recommendations(
    user: User | Any, state: str, filters: queries.RecommendationFilters | None = None
) -> list[Recommendation]:
    filters = filters or queries.RecommendationFilters()
    chosen = queries.filtered(
        user,
        queries.RecommendationFilters(**{**filters.__dict__, "state": state}),
    )
    return list(
        chosen.select_related("mechanism").prefetch_related(
            Prefetch(
                "theme_labels",
                queryset=ThemeLabel.objects.filter(
                    status=ThemeLabel.Status.CONFIRMED
                ).select_related("theme"),
            ),
            "actions",
            "translations",
            Prefetch(
                "progress_reports",
                queryset=ProgressReport.objects.prefetch_related(
                    Prefetch("reviews", queryset=Review.objects.select_related("organisation"))
                ),
            ),
        )
    )


def report_rows(recommendations: Sequence[Recommendation]) -> Iterator[dict[str, Any]]:
    for recommendation in recommendations:
        reports = list(recommendation.progress_reports.all())
        latest = reports[0] if reports else None
        reviews = list(latest.reviews.all()) if latest is not None else []
        yield {
            "reference": recommendation.reference,
            "mechanism": recommendation.mechanism.short(),
            "session": recommendation.session,
            "recommending_state": recommendation.recommending_state,
            "text": queries.shown_text(recommendation).text,
            "position": recommendation.get_position_display(),
            "themes": [label.theme.label() for label in recommendation.theme_labels.all()],
            "actions": [action.measure for action in recommendation.actions.all()],
            "status": recommendation.get_status_display(),
            "report_period": (
                f"{latest.period_start.isoformat()}/{latest.period_end.isoformat()}"
                if latest is not None
                else ""
            ),
            "evidence": latest.evidence if latest is not None else "",
            "nhri": _review_text([r for r in reviews if r.party == Review.Party.NHRI]),
            "civil_society": _review_text(
                [r for r in reviews if r.party == Review.Party.CIVIL_SOCIETY]
            ),
        }


def country_name(code: str) -> str:
    from django.utils.translation import get_language

    return dict(country_choices((get_language() or "en")[:2])).get(code, code)


def midterm_report(
    actor: User,
    state: str,
    file_format: str,
    out: IO[bytes],
    filters: queries.RecommendationFilters | None = None,
) -> int:
    """A State's recommendations with their follow-up, for a mid-term UPR report."""
    organisation = access.require(actor, access.EXPORT)
    if file_format not in REPORT_FORMATS:
        raise DomainError(_("Export the report as csv, xlsx or pdf."))
    recommendations = report_recommendations(actor, state, filters)
    if file_format == "pdf":
        count = write_pdf(state, recommendations, out)
    elif file_format == "xlsx":
        count = write_xlsx(report_rows(recommendations), REPORT_COLUMNS, out, state)
    else:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        count = write_csv(report_rows(recommendations), REPORT_COLUMNS, text)
        text.detach()
    audit.record(
        actor,
        AuditAction.RECOMMENDATIONS_EXPORT,
        organisation=organisation,
        changes={"what": "midterm_report", "state": state, "format": file_format, "rows": count},
    )
    return count


def write_pdf(state: str, recommendations: Sequence[Recommendation], out: IO[bytes]) -> int:
    """The report as a PDF (WeasyPrint, which needs the Pango library)."""
    try:
        from weasyprint import HTML
    except OSError as error:  # the Python package is there, the Pango library is not
        raise DomainError(_("PDF export is not available on this server.")) from error
    html = report_html(state, recommendations)
    out.write(HTML(string=html, url_fetcher=_no_fetching).write_pdf())
    return len(recommendations)


LEFT_TO_RIGHT_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2066", "\u2069"


def _direction(text: str) -> str:
    """rtl when the first strong letter of `text` is right to left (dir="auto"'s rule)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "auto"


def _isolated_reference(recommendation: Recommendation) -> str:
    """The reference with its document symbol and paragraph isolated left to right: in an
    Arabic line, A/HRC/44/9 would otherwise be reordered into 44/9/A/HRC."""
    if not (recommendation.document_symbol and recommendation.paragraph):
        return recommendation.reference

    def isolated(code: str) -> str:
        return f"{LEFT_TO_RIGHT_ISOLATE}{code}{POP_DIRECTIONAL_ISOLATE}"

    return _("%(symbol)s, para. %(paragraph)s") % {
        "symbol": isolated(recommendation.document_symbol),
        "paragraph": isolated(recommendation.paragraph),
    }


def report_html(state: str, recommendations: Sequence[Recommendation]) -> str:
    """The report's page, in the active language (right to left in Arabic): the mechanism and
    the recommending State by their names in that language, where the CSV keeps codes."""
    mechanisms = {r.pk: r.mechanism.label() for r in recommendations}
    rows = []
    for recommendation, row in zip(recommendations, report_rows(recommendations), strict=True):
        code = row["recommending_state"]
        rows.append(
            {
                **row,
                "reference": _isolated_reference(recommendation),
                "text_language": queries.shown_text(recommendation).language,
                # WeasyPrint has no dir="auto": each free text's direction is its first
                # letter's, as a browser would find it.
                "directions": {
                    key: _direction(str(row[key]))
                    for key in ("text", "evidence", "nhri", "civil_society", "actions")
                },
                "mechanism": mechanisms[recommendation.pk],
                "recommending_state": country_name(code) if code else "",
            }
        )
    return render_to_string(
        "recommendations/midterm_report_pdf.html",
        {
            "state": state,
            "state_name": country_name(state),
            "rows": rows,
            "generated": timezone.now(),
        },
    )


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The report is self-contained: a PDF render never reaches out to the network or disk."""
    raise ValueError(f"The report may not load {url!r}.")

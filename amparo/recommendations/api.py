"""The recommendations API under /api/v1/ (mounted by amparo.api.main).

Every operation declares the permission it needs (`x-amparo-permission` in the schema: one of
`amparo.recommendations.access.ACTIONS`) and asks `access` for it; reads go through
`access.visible_recommendations` and the same filters as the list page (`queries`), writes
through `services`, exactly as the web pages do.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from amparo.cases.exchange.tabular import TableError
from amparo.core.permissions import signed_in_user as caller
from amparo.core.services import DomainError
from amparo.recommendations import access, case_stats, queries, services
from amparo.recommendations.models import (
    AffectedGroup,
    ImplementationStatus,
    Mechanism,
    ProgressReport,
    Recommendation,
    Review,
    SdgTarget,
    Theme,
    ThemeLabel,
)
from amparo.recommendations.services import exports

router = Router(tags=["recommendations"])

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_UPLOAD = 50 * 1024 * 1024
PERMISSION = "x-amparo-permission"


def needs(action: str) -> dict[str, Any]:
    """The schema extension that declares an operation's permission."""
    assert action in access.ACTIONS, action
    return {PERMISSION: f"recommendations.{action}"}


class Error(Schema):
    detail: Any


ERRORS: dict[int, type[Schema]] = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}


class ThemeOut(Schema):
    code: str
    label: str
    status: str
    confidence: float | None


class IndicatorOut(Schema):
    id: int
    description: str
    baseline: str
    target: str
    frequency: str
    next_due: datetime.date | None
    overdue: bool


class ActionOut(Schema):
    id: int
    measure: str
    responsible_agency: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    budget_note: str
    status: str
    indicators: list[IndicatorOut]


class ReviewOut(Schema):
    organisation: str
    party: str
    verdict: str
    assessed_status: str
    comment: str
    reviewed_at: datetime.datetime


class ReportOut(Schema):
    id: int
    period_start: datetime.date
    period_end: datetime.date
    status: str
    evidence: str
    organisation: str
    submitted_at: datetime.datetime
    contested: bool
    reviews: list[ReviewOut]


class YearOut(Schema):
    year: int | None
    count: int


class CaseLinkOut(Schema):
    id: int
    country: str
    types_of_act: list[str]
    period_start: datetime.date | None
    period_end: datetime.date | None
    acts_by_year: list[YearOut]


class RecommendationOut(Schema):
    id: int
    annotation_id: str
    mechanism: str
    session: str
    cycle: int | None
    document_symbol: str
    paragraph: str
    state: str
    recommending_state: str
    date: datetime.date | None
    language: str
    text: str
    text_language: str = Field(description="The language `text` is shown in.")
    translated: bool = Field(description="False: the original, no translation into yours.")
    position: str
    state_response: str
    status: str
    contested: bool
    themes: list[ThemeOut]
    affected_persons: list[str]
    sdgs: list[str]
    actions: list[ActionOut] | None = Field(None, description="In the single answer only.")
    progress_reports: list[ReportOut] | None = Field(None, description="In the single answer.")
    case_links: list[CaseLinkOut] | None = Field(None, description="In the single answer only.")


class RecommendationPage(Schema):
    items: list[RecommendationOut]
    count: int
    next_offset: int | None


def _summary(recommendation: Recommendation) -> dict[str, Any]:
    shown = queries.shown_text(recommendation)
    return {
        **{
            name: getattr(recommendation, name)
            for name in (
                "id",
                "annotation_id",
                "session",
                "cycle",
                "document_symbol",
                "paragraph",
                "state",
                "recommending_state",
                "date",
                "language",
                "position",
                "state_response",
                "status",
                "contested",
            )
        },
        "mechanism": recommendation.mechanism.code,
        "text": shown.text,
        "text_language": shown.language,
        "translated": not shown.fallback,
        "themes": [
            {
                "code": label.theme.code,
                "label": label.theme.label(),
                "status": label.status,
                "confidence": label.confidence,
            }
            for label in recommendation.theme_labels.all()
        ],
        "affected_persons": [group.label() for group in recommendation.affected_groups.all()],
        "sdgs": [sdg.code for sdg in recommendation.sdgs.all()],
    }


def _detail(request: HttpRequest, recommendation: Recommendation) -> dict[str, Any]:
    user = caller(request)
    answer = _summary(recommendation)
    answer["actions"] = [
        {
            **{
                name: getattr(action, name)
                for name in (
                    "id",
                    "measure",
                    "responsible_agency",
                    "start_date",
                    "end_date",
                    "budget_note",
                    "status",
                )
            },
            "indicators": [
                {
                    **{
                        name: getattr(indicator, name)
                        for name in (
                            "id",
                            "description",
                            "baseline",
                            "target",
                            "frequency",
                            "next_due",
                        )
                    },
                    "overdue": indicator.is_overdue(),
                }
                for indicator in action.indicators.all()
            ],
        }
        for action in recommendation.actions.all()
    ]
    answer["progress_reports"] = [
        _report(report) for report in recommendation.progress_reports.all()
    ]
    answer["case_links"] = [
        {
            "id": link.pk,
            "country": link.country,
            "types_of_act": [term.code for term in link.types_of_act.all()],
            "period_start": link.period_start,
            "period_end": link.period_end,
            "acts_by_year": [
                {"year": row.year, "count": row.count}
                for row in case_stats.acts_by_year(user, link)
            ],
        }
        for link in recommendation.case_links.all()
    ]
    return answer


def _report(report: ProgressReport) -> dict[str, Any]:
    reviews = list(report.reviews.all())
    return {
        "id": report.pk,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "status": report.status,
        "evidence": report.evidence,
        "organisation": report.organisation.short_code,
        "submitted_at": report.submitted_at,
        "contested": any(r.verdict == Review.Verdict.CONTESTED for r in reviews),
        "reviews": [
            {
                "organisation": review.organisation.short_code,
                "party": review.party,
                "verdict": review.verdict,
                "assessed_status": review.assessed_status,
                "comment": review.comment,
                "reviewed_at": review.reviewed_at,
            }
            for review in reviews
        ],
    }


def _visible(request: HttpRequest, pk: int) -> Recommendation:
    user = caller(request)
    access.require(user, access.VIEW)
    return get_object_or_404(queries.for_detail(access.visible_recommendations(user)), pk=pk)


# --- Reading -------------------------------------------------------------------------------------


class RecommendationQuery(Schema):
    q: str = Field("", description="Words of the text (or a document symbol, an annotation id).")
    mechanism: str = Field("", description="Mechanism code, e.g. upr, ccpr.")
    theme: str = Field("", description="Theme code (confirmed themes).")
    state: str = Field("", description="ISO 3166-1 alpha-2 code of the State under review.")
    position: str = ""
    status: str = ""
    sdg: str = Field("", description="SDG goal (16: with its targets) or target (16.10).")
    contested: bool = False
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


def _filters(query: RecommendationQuery) -> queries.RecommendationFilters:
    def find(model: Any, code: str, key: str) -> Any:
        if not code:
            return None
        found = model.objects.filter(code=code).first()
        if found is None:
            raise ValidationError({key: _("No such code: %(code)s") % {"code": code}})
        return found

    if query.position and query.position not in Recommendation.Position.values:
        raise ValidationError({"position": _("Not a position.")})
    if query.status and query.status not in ImplementationStatus.values:
        raise ValidationError({"status": _("Not an implementation status.")})
    return queries.RecommendationFilters(
        q=query.q,
        mechanism=find(Mechanism, query.mechanism, "mechanism"),
        theme=find(Theme, query.theme, "theme"),
        state=query.state[:2],
        position=query.position,
        status=query.status,
        sdg=find(SdgTarget, query.sdg, "sdg"),
        contested=query.contested,
    )


@router.get(
    "/recommendations",
    response={200: RecommendationPage, **ERRORS},
    summary="List recommendations",
    openapi_extra=needs(access.VIEW),
)
def list_recommendations(request: HttpRequest, query: Query[RecommendationQuery]) -> dict[str, Any]:
    user = caller(request)
    access.require(user, access.VIEW)
    chosen = queries.filtered(user, _filters(query)).order_by("pk")
    count = chosen.count()
    page = chosen.select_related("mechanism").prefetch_related(
        "theme_labels__theme", "translations", "affected_groups", "sdgs"
    )[query.offset : query.offset + query.limit]
    following = query.offset + query.limit
    return {
        "items": [_summary(r) for r in page],
        "count": count,
        "next_offset": following if following < count else None,
    }


@router.get(
    "/recommendations/{int:recommendation_id}",
    response={200: RecommendationOut, **ERRORS},
    summary="One recommendation with its action plan, progress reports and case statistics",
    openapi_extra=needs(access.VIEW),
)
def get_recommendation(request: HttpRequest, recommendation_id: int) -> dict[str, Any]:
    return _detail(request, _visible(request, recommendation_id))


# --- Recording -----------------------------------------------------------------------------------


class RecommendationIn(Schema):
    mechanism: str = Field(description="Mechanism code, e.g. upr, ccpr, sr_defenders.")
    state: str = Field(description="ISO 3166-1 alpha-2 code of the State under review.")
    text: str
    language: str = "en"
    session: str = ""
    document_symbol: str = ""
    paragraph: str = ""
    annotation_id: str = ""
    recommending_state: str = ""
    date: datetime.date | None = None
    position: str = ""
    state_response: str = ""
    themes: list[str] = Field(default_factory=list, description="Theme codes (confirmed).")
    affected_persons: list[str] = Field(default_factory=list, description="Group codes.")
    sdgs: list[str] = Field(default_factory=list, description="SDG codes: 16, 16.10.")
    translations: dict[str, str] = Field(default_factory=dict, description="language → text")


def _codes(model: Any, codes: list[str], key: str) -> list[Any]:
    found = {obj.code: obj for obj in model.objects.filter(code__in=codes, active=True)}
    missing = [code for code in codes if code not in found]
    if missing:
        raise ValidationError({key: _("Unknown codes: %(codes)s") % {"codes": ", ".join(missing)}})
    return [found[code] for code in codes]


@router.post(
    "/recommendations",
    response={201: RecommendationOut, **ERRORS},
    summary="Record a recommendation",
    openapi_extra=needs(access.CREATE),
)
def create_recommendation(request: HttpRequest, body: RecommendationIn) -> Status[dict[str, Any]]:
    user = caller(request)
    mechanism = Mechanism.objects.filter(code=body.mechanism, active=True).first()
    if mechanism is None:
        raise ValidationError({"mechanism": _("No such mechanism.")})
    recommendation = services.create_recommendation(
        user,
        services.RecommendationInput(
            mechanism=mechanism,
            state=body.state,
            text=body.text,
            language=body.language,
            session=body.session,
            document_symbol=body.document_symbol,
            paragraph=body.paragraph,
            annotation_id=body.annotation_id,
            recommending_state=body.recommending_state,
            date=body.date,
            position=body.position,
            state_response=body.state_response,
            themes=_codes(Theme, body.themes, "themes"),
            affected_groups=_codes(AffectedGroup, body.affected_persons, "affected_persons"),
            sdgs=_codes(SdgTarget, body.sdgs, "sdgs"),
            translations=body.translations,
        ),
    )
    return Status(201, _detail(request, _visible(request, recommendation.pk)))


class ImportOut(Schema):
    ok: bool
    format: str
    rows: int
    created: int
    updated: int
    unchanged: int
    dry_run: bool
    imported_themes: list[str]
    imported_groups: list[str]
    errors: list[str]


@router.post(
    "/recommendations/import",
    response={**ERRORS, 200: ImportOut, 422: ImportOut},
    summary="Import a UHRI, UPR Info or Amparo template file (all or nothing)",
    openapi_extra=needs(access.CREATE),
)
def import_recommendations(
    request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False
) -> Status[dict[str, Any]]:
    user = caller(request)
    access.require(user, access.CREATE)
    if (file.size or 0) > MAX_UPLOAD:
        raise DomainError(_("The file is larger than 50 MB: split it."))
    try:
        result = services.import_recommendations(
            user, file.read(), file.name or "upload.csv", dry_run=dry_run
        )
    except TableError as error:
        raise DomainError(str(error)) from error
    answer = {**result.as_dict(), "ok": result.ok}
    return Status(200 if result.ok else 422, answer)


@router.post(
    "/recommendations/{int:recommendation_id}/themes",
    response={200: RecommendationOut, **ERRORS},
    summary="Confirm a theme (a suggested one, or one you choose)",
    openapi_extra=needs(access.CREATE),
)
def confirm_theme(request: HttpRequest, recommendation_id: int, theme: Form[str]) -> dict[str, Any]:
    recommendation = _visible(request, recommendation_id)
    chosen = get_object_or_404(Theme, code=theme, active=True)
    services.confirm_theme(caller(request), recommendation, chosen)
    return _detail(request, _visible(request, recommendation_id))


@router.post(
    "/recommendations/{int:recommendation_id}/suggest-themes",
    response={200: list[ThemeOut], **ERRORS},
    summary="Suggest themes (a person confirms them)",
    openapi_extra=needs(access.CLASSIFY),
)
def suggest_themes(request: HttpRequest, recommendation_id: int) -> list[dict[str, Any]]:
    recommendation = _visible(request, recommendation_id)
    labels = services.suggest_themes(caller(request), recommendation)
    return [
        {
            "code": label.theme.code,
            "label": label.theme.label(),
            "status": ThemeLabel.Status.SUGGESTED,
            "confidence": label.confidence,
        }
        for label in labels
    ]


# --- Follow-up ----------------------------------------------------------------------------------


class ActionIn(Schema):
    measure: str
    responsible_agency: str
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    budget_note: str = ""
    status: str = "planned"


@router.post(
    "/recommendations/{int:recommendation_id}/actions",
    response={201: ActionOut, **ERRORS},
    summary="Add an action to the State's plan",
    openapi_extra=needs(access.PLAN),
)
def add_action(request: HttpRequest, recommendation_id: int, body: ActionIn) -> Status[Any]:
    recommendation = _visible(request, recommendation_id)
    action = services.add_action(
        caller(request), recommendation, services.ActionInput(**body.dict())
    )
    return Status(201, {**body.dict(), "id": action.pk, "indicators": []})


class ProgressIn(Schema):
    period_start: datetime.date
    period_end: datetime.date
    status: str = Field(description="not_started, in_progress, partially_implemented, …")
    evidence: str


@router.post(
    "/recommendations/{int:recommendation_id}/progress",
    response={201: ReportOut, **ERRORS},
    summary="Submit the State's progress report",
    openapi_extra=needs(access.REPORT),
)
def submit_progress(request: HttpRequest, recommendation_id: int, body: ProgressIn) -> Status[Any]:
    recommendation = _visible(request, recommendation_id)
    report = services.submit_progress_report(
        caller(request), recommendation, services.ProgressInput(**body.dict())
    )
    return Status(201, _report(report))


class ReviewIn(Schema):
    comment: str = ""
    assessed_status: str = ""


def _review(request: HttpRequest, report_id: int, verdict: str, body: ReviewIn) -> dict[str, Any]:
    user = caller(request)
    access.require(user, access.VIEW)
    report = get_object_or_404(
        ProgressReport.objects.filter(
            recommendation__in=access.visible_recommendations(user).values("pk")
        ),
        pk=report_id,
    )
    services.review_report(
        user, report, verdict=verdict, comment=body.comment, assessed_status=body.assessed_status
    )
    report = ProgressReport.objects.select_related("organisation").get(pk=report.pk)
    return _report(report)


@router.post(
    "/progress-reports/{int:report_id}/endorse",
    response={200: ReportOut, **ERRORS},
    summary="Endorse a State progress report (NHRI or civil society)",
    openapi_extra=needs(access.REVIEW),
)
def endorse(request: HttpRequest, report_id: int, body: ReviewIn) -> dict[str, Any]:
    return _review(request, report_id, Review.Verdict.ENDORSED, body)


@router.post(
    "/progress-reports/{int:report_id}/contest",
    response={200: ReportOut, **ERRORS},
    summary="Contest a State progress report, saying why (NHRI or civil society)",
    openapi_extra=needs(access.REVIEW),
)
def contest(request: HttpRequest, report_id: int, body: ReviewIn) -> dict[str, Any]:
    return _review(request, report_id, Review.Verdict.CONTESTED, body)


# --- Exports and ratifications ----------------------------------------------------------------


def _file(content: bytes, file_format: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


@router.get(
    "/recommendations/export",
    response={200: None, **ERRORS},
    summary="The theme table (annotation_id … suggested_themes) as csv, xlsx or json",
    openapi_extra=needs(access.EXPORT),
)
def export_themes(
    request: HttpRequest,
    query: Query[RecommendationQuery],
    format: str = "csv",
) -> HttpResponse:
    user = caller(request)
    out = io.BytesIO()
    services.export_themes(user, queries.filtered(user, _filters(query)), format, out)
    return _file(out.getvalue(), format, "recommendations")


@router.get(
    "/recommendations/states/{state}/report",
    response={200: None, **ERRORS},
    summary="A State's mid-term report (csv, xlsx or pdf)",
    openapi_extra=needs(access.EXPORT),
)
def state_report(request: HttpRequest, state: str, format: str = "csv") -> HttpResponse:
    user = caller(request)
    out = io.BytesIO()
    services.midterm_report(user, state.upper()[:2], format, out)
    return _file(out.getvalue(), format, f"midterm-report-{state.upper()[:2]}")


class RatificationOut(Schema):
    instrument: str
    label: str
    kind: str
    status: str
    date: datetime.date | None


@router.get(
    "/recommendations/states/{state}/ratifications",
    response={200: list[RatificationOut], **ERRORS},
    summary="Where a State stands with the instruments that protect defenders",
    openapi_extra=needs(access.VIEW),
)
def ratifications(request: HttpRequest, state: str) -> list[dict[str, Any]]:
    access.require(caller(request), access.VIEW)
    return [
        {
            "instrument": row.instrument.code,
            "label": row.instrument.label(),
            "kind": row.instrument.kind,
            "status": row.ratification.status if row.ratification else "",
            "date": row.ratification.date if row.ratification else None,
        }
        for row in queries.ratification_rows(state.upper()[:2])
    ]


@router.post(
    "/recommendations/ratifications/import",
    response={**ERRORS, 200: dict[str, Any], 422: dict[str, Any]},
    summary="Import ratification statuses from CSV or XLSX (all or nothing)",
    openapi_extra=needs(access.RATIFICATIONS),
)
def import_ratifications(
    request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False
) -> Status[dict[str, Any]]:
    user = caller(request)
    access.require(user, access.RATIFICATIONS)
    try:
        result = services.import_ratifications(
            user, file.read(), file.name or "upload.csv", dry_run=dry_run
        )
    except TableError as error:
        raise DomainError(str(error)) from error
    answer = {
        "ok": result.ok,
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "dry_run": result.dry_run,
        "errors": [str(e) for e in result.errors],
    }
    return Status(200 if result.ok else 422, answer)

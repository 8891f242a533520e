"""Pages of the statistics section. Each view parses input, asks `access` or calls a service, and
renders; a refusal is a 403, a query that cannot be computed an error above the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.analysis.crosstab import QueryError
from amparo.cases import access as cases_access
from amparo.cases.models import Act, Event
from amparo.core.models import User
from amparo.core.permissions import requires, signed_in_user
from amparo.core.services import DomainError
from amparo.stats import access
from amparo.stats.forms import (
    CrossTabForm,
    LawForm,
    LawUseEventForm,
    LawUseForm,
    PeriodForm,
    ProvisionForm,
    ReportForm,
)
from amparo.stats.models import DuplicateCandidate, LegalMeasure
from amparo.stats.services import dashboard, dedupe, exports, laws, reports, sdg, tables
from amparo.stats.services.tables import language_of


def _language() -> str:
    return language_of(get_language())


def _download(content: bytes, fmt: str, what: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(what, fmt)}"'
    response["Cache-Control"] = "no-store"
    return response


def _export(user: User, sheet: exports.Sheet, fmt: str, what: str) -> HttpResponse:
    if fmt == "pdf":
        return _download(reports.sheet_pdf(user, sheet, what=what), fmt, what)
    if fmt not in exports.FORMATS:
        raise Http404
    return _download(exports.export(user, sheet, fmt, what=what), fmt, what)


def _query_without_format(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("format", None)
    return query.urlencode()


def _context(request: HttpRequest, **values: Any) -> dict[str, Any]:
    user = signed_in_user(request)
    return {"stats_actions": access.actions(user), "section": values.pop("section", ""), **values}


# --- Cross-tabs ---------------------------------------------------------------------------------


@requires("stats.view")
def crosstab(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = CrossTabForm(request.GET or None)
    sheet = chart = None
    error = ""
    if form.is_bound and form.is_valid():
        try:
            query = tables.parse_query(form.parameters())
            table = tables.cross_tab(user, query, _language())
        except QueryError as problem:
            error = str(problem)
        else:
            title = tables.describe(table)
            sheet = exports.crosstab_sheet(table, title)
            fmt = request.GET.get("format")
            if fmt:
                return _export(user, sheet, fmt, "table")
            svg = tables.chart_svg(table, title=title, description=_("Chart of the table below."))
            chart = mark_safe(svg) if svg else None  # noqa: S308 (SVG we rendered, text escaped)
    return render(
        request,
        "stats/crosstab.html",
        _context(
            request,
            section="crosstab",
            form=form,
            sheet=sheet,
            chart=chart,
            error=error,
            query=_query_without_format(request),
        ),
    )


# --- Dashboard ----------------------------------------------------------------------------------


@requires("stats.view")
def dashboard_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = PeriodForm(request.GET or None)
    choice = dashboard.Choice()
    if form.is_bound and form.is_valid():
        choice = dashboard.Choice(
            country=form.cleaned_data.get("country") or "",
            first_year=form.cleaned_data.get("first_year"),
            last_year=form.cleaned_data.get("last_year"),
        )
    board = dashboard.build(user, choice, _language())
    return render(
        request,
        "stats/dashboard.html",
        _context(request, section="dashboard", form=form, board=board),
    )


# --- SDG 16.10.1 --------------------------------------------------------------------------------


@requires("stats.view")
def sdg_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = PeriodForm(request.GET or None)
    choice = sdg.Choice()
    if form.is_bound and form.is_valid():
        choice = sdg.Choice(
            country=form.cleaned_data.get("country") or "",
            first_year=form.cleaned_data.get("first_year"),
            last_year=form.cleaned_data.get("last_year"),
        )
    indicator = sdg.indicator(user, choice, _language())
    fmt = request.GET.get("format")
    if fmt:
        return _export(user, sdg.sheet(indicator), fmt, "sdg-16-10-1")
    return render(
        request,
        "stats/sdg.html",
        _context(
            request,
            section="sdg",
            form=form,
            indicator=indicator,
            query=_query_without_format(request),
        ),
    )


# --- PDF report ---------------------------------------------------------------------------------


@requires("stats.view")
def report(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ReportForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            pdf = reports.country_report(user, data["country"], data["year"], data["language"])
        except reports.ReportUnavailable as problem:
            messages.error(request, str(problem))
        else:
            what = f"report-{data['country']}-{data['year']}-{data['language']}"
            return _download(pdf, "pdf", what)
    return render(request, "stats/report.html", _context(request, section="report", form=form))


# --- Laws ---------------------------------------------------------------------------------------


@requires("stats.view")
def law_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    country = request.GET.get("country", "").upper()[:2]
    view = laws.overview(user, country, _language())
    return render(
        request,
        "stats/law_list.html",
        _context(
            request,
            section="laws",
            view=view,
            country=country,
            can_record=access.organisations_for_laws(user).exists(),
        ),
    )


@requires("stats.view")
def law_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    measure = get_object_or_404(LegalMeasure.objects.select_related("organisation"), pk=pk)
    detail = laws.detail(user, measure, _language())
    return render(
        request,
        "stats/law_detail.html",
        _context(
            request,
            section="laws",
            measure=measure,
            detail=detail,
            actions=access.law_actions(user, measure),
            provision_form=ProvisionForm(),
        ),
    )


@requires("stats.view")
def law_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    organisations = access.organisations_for_laws(user)
    if not organisations.exists():
        raise PermissionDenied
    form = LawForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            measure = laws.create_law(
                user, form.cleaned_data.pop("organisation"), laws.law_input(form.cleaned_data)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("stats:law_detail", measure.pk)
    return render(
        request, "stats/law_form.html", _context(request, section="laws", form=form, measure=None)
    )


@requires("stats.view")
def law_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    measure = get_object_or_404(LegalMeasure, pk=pk)
    access.require_law_edit(user, measure)
    form = LawForm(request.POST or None, instance=measure)
    if request.method == "POST" and form.is_valid():
        try:
            laws.update_law(user, measure, laws.law_input(form.cleaned_data))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("stats:law_detail", measure.pk)
    return render(
        request,
        "stats/law_form.html",
        _context(request, section="laws", form=form, measure=measure),
    )


@requires("stats.view")
@require_POST
def provision_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    measure = get_object_or_404(LegalMeasure, pk=pk)
    form = ProvisionForm(request.POST)
    if form.is_valid():
        try:
            laws.add_provision(
                user, measure, form.cleaned_data["reference"], form.cleaned_data["concern"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Give the provision's reference."))
    return redirect("stats:law_detail", measure.pk)


@requires("stats.view")
def law_use(request: HttpRequest, pk: int) -> HttpResponse:
    """Name this law as the one an act used: first the event (by reference), then the act."""
    user = signed_in_user(request)
    measure = get_object_or_404(LegalMeasure, pk=pk)
    event_form = LawUseEventForm(request.GET or None)
    event: Event | None = None
    use_form: LawUseForm | None = None
    if event_form.is_bound and event_form.is_valid():
        code = event_form.cleaned_data["reference_code"].strip()
        event = cases_access.visible_events(user).filter(reference_code=code).first()
        if event is None:
            event_form.add_error("reference_code", _("No event you may see has this reference."))
        else:
            acts = access.acts_for_law_use(user, event.pk)
            if not acts.exists():
                event_form.add_error("reference_code", _("You may not change this event."))
                event = None
            else:
                use_form = LawUseForm(
                    request.POST or None,
                    acts=[(str(a.pk), f"{a} · {a.type_of_act}") for a in acts],
                    provisions=[(str(p.pk), p.reference) for p in measure.provisions.all()],
                )
    if request.method == "POST" and use_form is not None and use_form.is_valid():
        act = get_object_or_404(Act, pk=use_form.cleaned_data["act"], event=event)
        provision_id = use_form.cleaned_data.get("provision")
        try:
            laws.record_use(user, act, measure, int(provision_id) if provision_id else None)
        except (ValidationError, DomainError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("The law used in this act is recorded."))
            return redirect("stats:law_detail", measure.pk)
    return render(
        request,
        "stats/law_use.html",
        _context(
            request,
            section="laws",
            measure=measure,
            event_form=event_form,
            event=event,
            use_form=use_form,
        ),
    )


# --- De-duplication -----------------------------------------------------------------------------


@requires("stats.dedupe")
def duplicates(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    status = request.GET.get("status", DuplicateCandidate.Status.PENDING)
    if status not in DuplicateCandidate.Status.values:
        status = DuplicateCandidate.Status.PENDING
    queue = access.visible_candidates(user).filter(status=status).select_related("organisation")
    return render(
        request,
        "stats/duplicates.html",
        _context(
            request,
            section="duplicates",
            candidates=queue[:200],
            status=status,
            tabs=[
                (value, label, value == status)
                for value, label in DuplicateCandidate.Status.choices
            ],
            organisations=access.dedupe_organisations(user),
        ),
    )


@requires("stats.dedupe")
@require_POST
def duplicates_search(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    # Among the organisations this user may search only: another's answers as a missing one.
    organisation = get_object_or_404(
        access.dedupe_organisations(user), pk=request.POST.get("organisation") or 0
    )
    try:
        run = dedupe.find_duplicates(user, organisation)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d new pair to review.", "%(count)d new pairs to review.", run.candidates
            )
            % {"count": run.candidates},
        )
    return redirect("stats:duplicates")


@requires("stats.dedupe")
def duplicate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    candidate = get_object_or_404(access.visible_candidates(user), pk=pk)
    return render(
        request,
        "stats/duplicate_detail.html",
        _context(
            request,
            section="duplicates",
            candidate=candidate,
            comparison=dedupe.side_by_side(user, candidate),
            actions=access.candidate_actions(user, candidate),
        ),
    )


@requires("stats.dedupe")
@require_POST
def duplicate_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    candidate = get_object_or_404(access.visible_candidates(user), pk=pk)
    decision = request.POST.get("decision", "")
    try:
        dedupe.decide(user, candidate, decision, survivor_id=request.POST.get("survivor"))
    except (DomainError, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("stats:duplicate_detail", candidate.pk)

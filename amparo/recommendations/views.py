"""Pages of the recommendations follow-up. Each view parses input, asks `access` or calls a
service, and renders; every view declares `recommendations.view` and checks the action it
serves through `amparo.recommendations.access`. A refused or invalid change shows the page
again with the reason, never a 500."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.cases.exchange.tabular import TableError
from amparo.core.models import User
from amparo.core.permissions import requires, signed_in_user
from amparo.core.services import DomainError
from amparo.core.vocabulary import VocabularyError
from amparo.recommendations import access, case_stats, forms, queries, services
from amparo.recommendations.models import (
    Action,
    CaseLink,
    Indicator,
    ProgressReport,
    Recommendation,
    Theme,
    ThemeLabel,
)
from amparo.recommendations.services import exports
from amparo.recommendations.services.imports import FORMAT_LABELS

RULE = "recommendations.view"
PAGE_SIZE = 25
MAX_UPLOAD = 50 * 1024 * 1024
Problem = ValidationError | DomainError | PermissionDenied


def _error_text(error: Problem) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do this.")


def _recommendation(user: User, pk: int) -> Recommendation:
    """The recommendation, or 404 (also for a user who may not see recommendations)."""
    found = queries.for_detail(access.visible_recommendations(user).filter(pk=pk)).first()
    if found is None:
        raise Http404(_("No such recommendation."))
    return found


def _download(content: bytes, file_format: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


# --- Lists ---------------------------------------------------------------------------------------


@requires(RULE)
def recommendation_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    form = forms.FilterForm(request.GET or None)
    chosen = queries.filtered(user, form.filters(), viewer).order_by(
        "state", "session_number", "pk"
    )
    page = Paginator(queries.for_listing(chosen), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "recommendations/list.html",
        {
            "form": form,
            "page": page,
            "rows": [(r, queries.shown_text(r)) for r in page],
            "query": query.urlencode(),
            "allowed": access.actions_anywhere(user, viewer),
        },
    )


@requires(RULE)
def matrix(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = forms.FilterForm(request.GET or None)
    return render(
        request,
        "recommendations/matrix.html",
        {
            "form": form,
            "matrix": queries.matrix(queries.filtered(user, form.filters())),
            "statuses": queries.STATUS_ORDER,
            "query": request.GET.urlencode(),
        },
    )


@requires(RULE)
def overdue(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    state = (request.GET.get("state") or "").upper()[:2]
    return render(
        request,
        "recommendations/overdue.html",
        {"indicators": queries.overdue_indicators(user, state)[:500], "state": state},
    )


@requires(RULE)
def export(request: HttpRequest) -> HttpResponse:
    """The theme table of the filtered recommendations (CSV, XLSX or JSON)."""
    user = signed_in_user(request)
    file_format = request.GET.get("format", "csv")
    if file_format not in exports.FORMATS:
        raise Http404
    form = forms.FilterForm(request.GET or None)
    out = io.BytesIO()
    services.export_themes(user, queries.filtered(user, form.filters()), file_format, out)
    return _download(out.getvalue(), file_format, "recommendations")


# --- One recommendation -------------------------------------------------------------------------


def _form(bound: dict[str, Any], form_class: type[Any], prefix: str, **options: Any) -> Any:
    """The form a failed POST left (to show its errors), or a fresh one; each form of the
    page has its own prefix, so that no two fields share an id."""
    return bound.get(prefix) or form_class(prefix=prefix, **options)


def _detail(
    request: HttpRequest,
    recommendation: Recommendation,
    status: int = 200,
    error: str = "",
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    bound = bound or {}
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    actions = access.actions_on(user, recommendation, viewer)
    labels = list(recommendation.theme_labels.all())
    links = list(recommendation.case_links.all())
    context = {
        "recommendation": recommendation,
        "shown": queries.shown_text(recommendation),
        "actions": actions,
        "confirmed": [label for label in labels if label.status == ThemeLabel.Status.CONFIRMED],
        "suggested": sorted(
            (label for label in labels if label.status == ThemeLabel.Status.SUGGESTED),
            key=lambda label: -(label.confidence or 0),
        ),
        "plan": [
            (
                action,
                _form(bound, forms.IndicatorForm, f"indicator-{action.pk}"),
                [
                    (indicator, _form(bound, forms.IndicatorValueForm, f"value-{indicator.pk}"))
                    for indicator in action.indicators.all()
                ],
            )
            for action in recommendation.actions.all()
        ],
        "reports": [
            (
                report,
                reviews,
                any(r.verdict == r.Verdict.CONTESTED for r in reviews),
                _form(bound, forms.ReviewForm, f"review-{report.pk}"),
            )
            for report in recommendation.progress_reports.all()
            for reviews in [list(report.reviews.all())]
        ],
        "links": [(link, case_stats.acts_by_year(user, link)) for link in links],
        "reviewing_as": (
            access.require(user, access.REVIEW, recommendation, viewer)
            if access.REVIEW in actions
            else None
        ),
        "respond_form": _form(
            bound,
            forms.RespondForm,
            "respond",
            initial={
                "position": recommendation.position,
                "state_response": recommendation.state_response,
            },
        ),
        "theme_form": _form(bound, forms.ThemeForm, "theme"),
        "action_form": _form(bound, forms.ActionForm, "action"),
        "progress_form": _form(bound, forms.ProgressForm, "progress"),
        "link_form": _form(
            bound, forms.CaseLinkForm, "link", initial={"country": recommendation.state}
        ),
        "error": error,
    }
    return render(request, "recommendations/detail.html", context, status=status)


@requires(RULE)
def recommendation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _recommendation(signed_in_user(request), pk))


def _change(
    request: HttpRequest,
    pk: int,
    form_class: type[Any] | None,
    prefix: str,
    act: Callable[[User, Recommendation, Any], str],
) -> HttpResponse:
    """A POST that changes one recommendation's follow-up: validate the form, call the service
    (`act` returns the success message), and show the page again with the reason on failure."""
    user = signed_in_user(request)
    recommendation = _recommendation(user, pk)
    form = form_class(request.POST, prefix=prefix or None) if form_class is not None else None
    if form is not None and not form.is_valid():
        return _detail(request, recommendation, status=400, bound={prefix: form})
    try:
        message = act(user, recommendation, form)
    except (ValidationError, DomainError) as error:
        if form is not None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            _add_errors(form, error)
            return _detail(request, recommendation, status=400, bound={prefix: form})
        return _detail(request, recommendation, status=400, error=_error_text(error))
    messages.success(request, message)
    return redirect("recommendations:detail", pk=recommendation.pk)


@requires(RULE)
def recommendation_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not access.can(user, access.CREATE):
        raise PermissionDenied
    form = forms.RecommendationForm(request.POST or None, initial={"language": "en"})
    if request.method == "POST" and form.is_valid():
        try:
            recommendation = services.create_recommendation(user, form.to_input())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Recommendation recorded."))
            return redirect("recommendations:detail", pk=recommendation.pk)
    return render(request, "recommendations/form.html", {"form": form, "recommendation": None})


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@requires(RULE)
def recommendation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    recommendation = _recommendation(user, pk)
    if access.CREATE not in access.actions_on(user, recommendation):
        raise PermissionDenied
    form = forms.RecommendationForm(
        request.POST or None, initial=forms.RecommendationForm.initial_from(recommendation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_recommendation(user, recommendation, form.to_input())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Recommendation saved."))
            return redirect("recommendations:detail", pk=recommendation.pk)
    return render(
        request, "recommendations/form.html", {"form": form, "recommendation": recommendation}
    )


@requires(RULE)
@require_POST
def respond(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        services.respond(user, recommendation, **form.cleaned_data)
        return _("Position of the State recorded.")

    return _change(request, pk, forms.RespondForm, "respond", act)


@requires(RULE)
@require_POST
def theme_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        services.confirm_theme(user, recommendation, form.cleaned_data["theme"])
        return _("Theme confirmed.")

    return _change(request, pk, forms.ThemeForm, "theme", act)


@requires(RULE)
@require_POST
def theme_remove(request: HttpRequest, pk: int, theme_pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        services.remove_theme(user, recommendation, get_object_or_404(Theme, pk=theme_pk))
        return _("Theme removed.")

    return _change(request, pk, None, "", act)


@requires(RULE)
@require_POST
def suggest(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        found = services.suggest_themes(user, recommendation)
        if not found:
            return _("Theme suggestion found no theme above its thresholds.")
        return _("Themes suggested: confirm those that apply.")

    return _change(request, pk, None, "", act)


@requires(RULE)
@require_POST
def link_add(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        services.link_cases(user, recommendation, **form.cleaned_data)
        return _("Linked to case statistics.")

    return _change(request, pk, forms.CaseLinkForm, "link", act)


@requires(RULE)
@require_POST
def link_remove(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        services.unlink_cases(
            user, get_object_or_404(CaseLink, pk=link_pk, recommendation=recommendation)
        )
        return _("Link removed.")

    return _change(request, pk, None, "", act)


@requires(RULE)
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        services.add_action(user, recommendation, form.to_input())
        return _("Action added to the plan.")

    return _change(request, pk, forms.ActionForm, "action", act)


@requires(RULE)
@require_POST
def action_status(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        action = get_object_or_404(Action, pk=action_pk, recommendation=recommendation)
        services.change_action_status(user, action, form.cleaned_data["status"])
        return _("Status of the action changed.")

    return _change(request, pk, forms.ActionStatusForm, "", act)


@requires(RULE)
@require_POST
def indicator_add(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        action = get_object_or_404(Action, pk=action_pk, recommendation=recommendation)
        services.add_indicator(user, action, form.to_input())
        return _("Indicator added.")

    return _change(request, pk, forms.IndicatorForm, f"indicator-{action_pk}", act)


@requires(RULE)
@require_POST
def indicator_value(request: HttpRequest, pk: int, indicator_pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        indicator = get_object_or_404(
            Indicator, pk=indicator_pk, action__recommendation=recommendation
        )
        services.record_indicator_value(user, indicator, **form.cleaned_data)
        return _("Value recorded.")

    return _change(request, pk, forms.IndicatorValueForm, f"value-{indicator_pk}", act)


@requires(RULE)
@require_POST
def progress_add(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        services.submit_progress_report(user, recommendation, form.to_input())
        return _("Progress report submitted.")

    return _change(request, pk, forms.ProgressForm, "progress", act)


@requires(RULE)
@require_POST
def review(request: HttpRequest, pk: int, report_pk: int) -> HttpResponse:
    def act(user: User, recommendation: Recommendation, form: Any) -> str:
        report = get_object_or_404(ProgressReport, pk=report_pk, recommendation=recommendation)
        made = services.review_report(user, report, **form.cleaned_data)
        if made.verdict == made.Verdict.CONTESTED:
            return _("You contested the report; your comment is shown with it.")
        return _("You endorsed the report.")

    return _change(request, pk, forms.ReviewForm, f"review-{report_pk}", act)


# --- Import -------------------------------------------------------------------------------------


@requires(RULE)
def import_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not access.can(user, access.CREATE):
        raise PermissionDenied
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("The file is larger than 50 MB: split it."))
        else:
            try:
                result = services.import_recommendations(
                    user, upload.read(), upload.name, dry_run=form.cleaned_data["dry_run"]
                )
            except (TableError, DomainError) as error:
                form.add_error("file", str(error))
    return render(
        request,
        "recommendations/import.html",
        {
            "form": form,
            "result": result,
            "format_label": FORMAT_LABELS.get(result.format, "") if result else "",
        },
        status=400 if result is not None and not result.ok else 200,
    )


@requires(RULE)
def import_template(request: HttpRequest) -> HttpResponse:
    return _download(services.template_workbook(), "xlsx", "amparo-recommendations-template")


# --- States -------------------------------------------------------------------------------------


def _state(code: str) -> str:
    code = code.upper()
    if len(code) != 2 or not code.isalpha():
        raise Http404
    return code


@requires(RULE)
def state_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return render(
        request,
        "recommendations/states.html",
        {
            "states": [
                (code, exports.country_name(code), count, contested)
                for code, count, contested in queries.states_with_recommendations(user)
            ]
        },
    )


@requires(RULE)
def state_dashboard(request: HttpRequest, state: str, **bound: Any) -> HttpResponse:
    user = signed_in_user(request)
    code = _state(state)
    allowed = access.actions_anywhere(user)
    return render(
        request,
        "recommendations/dashboard.html",
        {
            "state": code,
            "state_name": exports.country_name(code),
            "board": queries.dashboard(user, code),
            "allowed": allowed,
            "ratification_form": bound.get("ratification_form") or forms.RatificationForm(),
            "report_formats": exports.REPORT_FORMATS,
        },
        status=400 if bound else 200,
    )


@requires(RULE)
@require_POST
def ratification_set(request: HttpRequest, state: str) -> HttpResponse:
    user = signed_in_user(request)
    code = _state(state)
    form = forms.RatificationForm(request.POST)
    if form.is_valid():
        try:
            services.set_ratification(
                user, services.RatificationInput(state=code, **form.cleaned_data)
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Ratification status recorded."))
            return redirect("recommendations:state", state=code)
    return state_dashboard(request, code, ratification_form=form)


@requires(RULE)
def state_report(request: HttpRequest, state: str, file_format: str) -> HttpResponse:
    user = signed_in_user(request)
    code = _state(state)
    if file_format not in exports.REPORT_FORMATS:
        raise Http404
    form = forms.FilterForm(request.GET or None)
    out = io.BytesIO()
    try:
        services.midterm_report(user, code, file_format, out, form.filters())
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("recommendations:state", state=code)
    return _download(out.getvalue(), file_format, f"midterm-report-{code}")


@requires(RULE)
def ratifications_import(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not access.can(user, access.RATIFICATIONS):
        raise PermissionDenied
    form = forms.RatificationImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.import_ratifications(
                user, upload.read(), upload.name, dry_run=form.cleaned_data["dry_run"]
            )
        except (TableError, DomainError, VocabularyError) as error:
            form.add_error("file", str(error))
        else:
            if result.ok and not result.dry_run:
                messages.success(request, _("Ratification statuses imported."))
                return redirect(reverse("recommendations:states"))
    return render(
        request,
        "recommendations/ratifications_import.html",
        {"form": form, "result": result},
        status=400 if result is not None and not result.ok else 200,
    )

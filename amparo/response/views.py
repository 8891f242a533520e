"""Staff pages of the coordinated response: the coordination board and a plan. Each view parses
input, asks `access` or calls a service, and renders; every page declares `response.view`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from amparo.cases import access as cases_access
from amparo.core.permissions import requires, signed_in_user
from amparo.core.services import DomainError
from amparo.response import access, queries, services
from amparo.response.forms import ActionForm, CommunicationForm, UpdateForm
from amparo.warning import access as warning_access

RULE = access.RULE


@never_cache
@requires(RULE)
def board(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return render(request, "response/board.html", queries.board(user, timezone.localdate()))


@never_cache
@requires(RULE)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    plan = access.get_visible_plan(user, pk)
    return _render_plan(request, plan, ActionForm(), CommunicationForm())


def _render_plan(
    request: HttpRequest, plan: Any, action_form: ActionForm, communication_form: CommunicationForm
) -> HttpResponse:
    user = signed_in_user(request)
    actions = list(plan.actions.select_related("responsible_organisation", "responsible_user"))
    today = timezone.localdate()
    rows = [
        {
            "action": action,
            "may_update": access.may_update_action(user, action),
            "overdue": action.status in access.OPEN_ACTION_STATUSES and action.due_on < today,
            "form": UpdateForm(initial={"status": action.status}),
        }
        for action in actions
    ]
    context = {
        "plan": plan,
        "rows": rows,
        "communications": plan.communications.select_related("sent_by"),
        "timeline": queries.timeline(plan),
        "actions": access.actions_on(user, plan),
        "action_form": action_form,
        "communication_form": communication_form,
    }
    return render(request, "response/plan.html", context)


def _on_plan(
    request: HttpRequest,
    plan: Any,
    form: ActionForm | CommunicationForm,
    attempt: Callable[[dict[str, Any]], object],
    success: str,
) -> HttpResponse:
    """A form of a plan's page: done, and back to the plan; or the page again, the form with
    what is wrong."""
    if form.is_valid():
        try:
            attempt(form.cleaned_data)
        except (DomainError, PermissionDenied) as error:
            form.add_error(None, str(error) or _("You may not do this."))
        else:
            messages.success(request, success)
            return redirect("response:plan", pk=plan.pk)
    return _render_plan(
        request,
        plan,
        form if isinstance(form, ActionForm) else ActionForm(),
        form if isinstance(form, CommunicationForm) else CommunicationForm(),
    )


def _open(request: HttpRequest, **subject: Any) -> HttpResponse:
    """Open a plan for an alert or a case: to the plan; or back to the board, with why not."""
    try:
        plan = services.open_plan(
            signed_in_user(request), title=request.POST.get("title", ""), **subject
        )
    except (DomainError, PermissionDenied) as error:
        messages.error(request, str(error) or _("You may not do this."))
        return redirect("response:board")
    return redirect("response:plan", pk=plan.pk)


@requires(RULE)
@require_POST
def plan_for_alert(request: HttpRequest, alert_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    return _open(request, alert=warning_access.get_visible_alert(user, alert_pk))


@requires(RULE)
@require_POST
def plan_for_event(request: HttpRequest, event_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    return _open(request, event=cases_access.get_visible_event(user, event_pk))


@requires(RULE)
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    plan = access.get_visible_plan(user, pk)
    return _on_plan(
        request,
        plan,
        ActionForm(request.POST),
        lambda data: services.add_action(
            user,
            plan,
            services.ActionInput(
                kind=data["kind"],
                responsible_organisation=data["responsible_organisation"],
                due_on=data["due_on"],
            ),
        ),
        _("Action assigned."),
    )


@requires(RULE)
@require_POST
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    action = access.get_visible_action(user, pk)
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            services.update_action(
                user, action, form.cleaned_data["status"], form.cleaned_data["outcome"]
            )
        except (DomainError, PermissionDenied) as error:
            messages.error(request, str(error) or _("You may not do this."))
        else:
            messages.success(request, _("Action updated."))
    else:
        messages.error(request, _("Choose a status."))
    return redirect("response:plan", pk=action.plan_id)


@requires(RULE)
@require_POST
def communication_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    plan = access.get_visible_plan(user, pk)
    return _on_plan(
        request,
        plan,
        CommunicationForm(request.POST),
        lambda data: services.add_communication(
            user,
            plan,
            services.CommunicationInput(
                mechanism=data["mechanism"],
                sent_by=data["sent_by"],
                sent_on=data["sent_on"],
                summary=data["summary"],
                follow_up_on=data["follow_up_on"],
            ),
        ),
        _("Communication recorded."),
    )

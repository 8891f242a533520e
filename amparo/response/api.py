"""The coordinated response API: /api/v1/response/… (mounted by amparo.api.main).

Reads apply `amparo.response.access` as the pages do; writes call the same services. No person is
named here: plans, actions and communications carry working notes, not identities."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from amparo.cases import access as cases_access
from amparo.core.models import Organisation
from amparo.core.permissions import signed_in_user
from amparo.response import access, services
from amparo.response.models import Action, ResponsePlan
from amparo.warning import access as warning_access

router = Router(tags=["response"])


class Problem(Schema):
    detail: Any


ERRORS: dict[int, type[Schema]] = {400: Problem, 403: Problem, 404: Problem, 422: Problem}


class ActionOut(Schema):
    id: int
    plan: int
    kind: str
    responsible_organisation: str
    due_on: datetime.date
    status: str
    outcome: str


class PlanOut(Schema):
    id: int
    title: str
    status: str
    alert: int | None
    event: int | None
    actions: list[ActionOut]
    may: list[str]


class PlanIn(Schema):
    alert: int | None = None
    event: int | None = None
    title: str = ""


class ActionIn(Schema):
    kind: str
    responsible_organisation: str
    due_on: datetime.date


class ActionUpdateIn(Schema):
    status: str
    outcome: str = ""


def _action(action: Action) -> dict[str, Any]:
    return {
        "id": action.pk,
        "plan": action.plan_id,
        "kind": action.kind,
        "responsible_organisation": action.responsible_organisation.short_code,
        "due_on": action.due_on,
        "status": action.status,
        "outcome": action.outcome,
    }


def _plan(plan: ResponsePlan, user: Any) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "title": plan.title,
        "status": plan.status,
        "alert": plan.alert_id,
        "event": plan.event_id,
        "actions": [_action(a) for a in plan.actions.select_related("responsible_organisation")],
        "may": sorted(access.actions_on(user, plan)),
    }


@router.get("/response/plans", response={200: list[PlanOut], **ERRORS}, summary="Response plans")
def list_plans(request: HttpRequest) -> list[dict[str, Any]]:
    user = signed_in_user(request)
    return [_plan(p, user) for p in access.visible_plans(user).order_by("-pk")[:200]]


@router.get("/response/plans/{pk}", response={200: PlanOut, **ERRORS}, summary="A plan")
def get_plan(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = signed_in_user(request)
    return _plan(access.get_visible_plan(user, pk), user)


@router.post(
    "/response/plans",
    response={201: PlanOut, **ERRORS},
    summary="Open a plan for an alert or a case",
)
def open_plan(request: HttpRequest, body: PlanIn) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    alert = warning_access.get_visible_alert(user, body.alert) if body.alert else None
    event = cases_access.get_visible_event(user, body.event) if body.event else None
    plan = services.open_plan(user, alert=alert, event=event, title=body.title)
    return Status(201, _plan(plan, user))


@router.post(
    "/response/plans/{pk}/actions", response={201: ActionOut, **ERRORS}, summary="Assign an action"
)
def add_action(request: HttpRequest, pk: int, body: ActionIn) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    plan = access.get_visible_plan(user, pk)
    organisation = get_object_or_404(Organisation, short_code=body.responsible_organisation)
    action = services.add_action(
        user, plan, services.ActionInput(body.kind, organisation, body.due_on)
    )
    return Status(201, _action(action))


@router.get("/response/actions", response={200: list[ActionOut], **ERRORS}, summary="Actions due")
def actions_due(request: HttpRequest) -> list[dict[str, Any]]:
    user = signed_in_user(request)
    return [_action(a) for a in access.actions_due(user).order_by("due_on", "pk")[:200]]


@router.post(
    "/response/actions/{pk}", response={200: ActionOut, **ERRORS}, summary="Update an action"
)
def update_action(request: HttpRequest, pk: int, body: ActionUpdateIn) -> dict[str, Any]:
    user = signed_in_user(request)
    action = access.get_visible_action(user, pk)
    return _action(services.update_action(user, action, body.status, body.outcome))

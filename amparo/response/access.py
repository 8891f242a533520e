"""Who may see and do what with response plans: the one place that decides.

A plan is seen by whoever may see what it responds to (the alert, through
`amparo.warning.access`; the case, through `amparo.cases.access`), and by the organisations an
action of it is assigned to. It is run (actions assigned, communications recorded, closed) by the
coordinators: the staff of the organisation that owns it (COORDINATOR_ROLES) and, for an alert's
plan, those of the organisations the alert was routed to. An action is updated by the
coordinators and by the organisation responsible for it (ACTING_ROLES).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from amparo.cases import access as cases_access
from amparo.cases.models import Event
from amparo.core import access as core_access
from amparo.core.models import Role, User
from amparo.response.models import Action, ResponsePlan
from amparo.warning import access as warning_access
from amparo.warning.models import Alert, AlertRecipient

RULE = "response.view"

VIEW = "view"
ADD_ACTION = "add_action"
ADD_COMMUNICATION = "add_communication"
UPDATE_ACTION = "update_action"
OPEN_PLAN = "open_plan"

COORDINATOR_ROLES = frozenset({Role.ADMINISTRATOR, Role.DOCUMENTALIST, Role.FOCAL_POINT})
ACTING_ROLES = frozenset(
    {
        Role.ADMINISTRATOR,
        Role.DOCUMENTALIST,
        Role.FOCAL_POINT,
        Role.STATE_REPRESENTATIVE,
        Role.NETWORK_SECRETARIAT,
        Role.MECHANISM,
    }
)
OPEN_ACTION_STATUSES = frozenset({Action.Status.PLANNED, Action.Status.IN_PROGRESS})


def _organisations(user: User | Any, roles: frozenset[str]) -> set[int]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return {m.organisation_id for m in core_access.active_memberships(user) if m.role in roles}


def visible_plans(user: User | Any) -> QuerySet[ResponsePlan]:
    acting = _organisations(user, ACTING_ROLES)
    condition = Q(alert__in=warning_access.visible_alerts(user).values("pk")) | Q(
        event__in=cases_access.visible_events(user).values("pk")
    )
    if acting:
        condition |= Q(
            pk__in=Action.objects.filter(responsible_organisation_id__in=acting).values("plan_id")
        )
    return ResponsePlan.objects.filter(condition)


def get_visible_plan(user: User | Any, pk: int) -> ResponsePlan:
    plan = visible_plans(user).filter(pk=pk).first()
    if plan is None:
        raise Http404(_("No such plan."))
    return plan


def get_visible_action(user: User | Any, pk: int) -> Action:
    """An action of a plan `user` may see, or 404: forged ids of other plans' actions too."""
    action = (
        Action.objects.select_related("plan", "responsible_organisation")
        .filter(pk=pk, plan__in=visible_plans(user))
        .first()
    )
    if action is None:
        raise Http404(_("No such action."))
    return action


def _coordinators(plan_organisation: int, alert: Alert | None) -> set[int]:
    organisations = {plan_organisation}
    if alert is not None:
        organisations |= set(
            AlertRecipient.objects.filter(alert=alert)
            .exclude(kind=AlertRecipient.Kind.OWNER)
            .values_list("organisation_id", flat=True)
        )
    return organisations


def coordinates(user: User | Any, plan: ResponsePlan) -> bool:
    return bool(
        _organisations(user, COORDINATOR_ROLES) & _coordinators(plan.organisation_id, plan.alert)
    )


def actions_on(user: User | Any, plan: ResponsePlan) -> frozenset[str]:
    allowed = {VIEW}
    if plan.status == ResponsePlan.Status.OPEN and coordinates(user, plan):
        allowed |= {ADD_ACTION, ADD_COMMUNICATION}
    return frozenset(allowed)


def require(user: User | Any, action: str, plan: ResponsePlan) -> None:
    if action not in actions_on(user, plan):
        raise PermissionDenied(_("You may not do this with this plan."))


def may_update_action(user: User | Any, action: Action) -> bool:
    if action.status not in OPEN_ACTION_STATUSES:
        return False
    if coordinates(user, action.plan):
        return True
    return action.responsible_organisation_id in _organisations(user, ACTING_ROLES)


def require_update(user: User | Any, action: Action) -> None:
    if not may_update_action(user, action):
        raise PermissionDenied(_("You may not update this action."))


def may_open_plan_for_alert(user: User | Any, alert: Alert) -> bool:
    return bool(
        _organisations(user, COORDINATOR_ROLES) & _coordinators(alert.organisation_id, alert)
    )


def may_open_plan_for_event(user: User | Any, event: Event) -> bool:
    return cases_access.can(user, cases_access.EDIT, event) or cases_access.can(
        user, cases_access.COMMENT, event
    )


def plans_for_event(user: User | Any, event: Event) -> QuerySet[ResponsePlan]:
    """The plans of this case that `user` may see."""
    return visible_plans(user).filter(event=event)


def actions_on_event(user: User | Any, event: Event) -> frozenset[str]:
    """What `user` may do about the response on a case's page: open a plan for it, if they may
    see the response pages and edit or comment on the case, and no plan of it is open."""
    if not core_access.has_rule(user, RULE) or not may_open_plan_for_event(user, event):
        return frozenset()
    if ResponsePlan.objects.filter(event=event, status=ResponsePlan.Status.OPEN).exists():
        return frozenset()
    return frozenset({OPEN_PLAN})


def acts_anywhere(user: User | Any) -> bool:
    return bool(_organisations(user, ACTING_ROLES))


def actions_due(user: User | Any) -> QuerySet[Action]:
    """The open actions assigned to `user`, or to an organisation where they act, in a plan
    they may see."""
    acting = _organisations(user, ACTING_ROLES)
    return Action.objects.filter(
        Q(responsible_user_id=getattr(user, "pk", None))
        | Q(responsible_organisation_id__in=acting),
        status__in=OPEN_ACTION_STATUSES,
    ).select_related("plan", "responsible_organisation")

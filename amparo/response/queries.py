"""Read-only questions of the coordinated response: the coordination board and a plan's
timeline."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from amparo.core.models import User
from amparo.response import access
from amparo.response.models import Action, ResponsePlan
from amparo.warning import access as warning_access
from amparo.warning.models import LEVEL_ORDER, Alert

BOARD_ROWS = 200


def board(user: User, today: datetime.date) -> dict[str, Any]:
    """Alerts not closed (acknowledged ones too: the response goes on) by level, with their
    plans; overdue actions; and who is waiting on whom: the open actions by the organisation
    responsible."""
    plans = access.visible_plans(user)
    alerts = list(
        warning_access.visible_alerts(user)
        .exclude(status=Alert.Status.CLOSED)
        .order_by("deadline", "pk")[:BOARD_ROWS]
    )
    alerts.sort(key=lambda a: -LEVEL_ORDER[a.level])
    planned = dict(plans.filter(alert__in=[a.pk for a in alerts]).values_list("alert_id", "pk"))
    open_actions = list(
        Action.objects.filter(plan__in=plans, status__in=access.OPEN_ACTION_STATUSES)
        .select_related("plan", "responsible_organisation")
        .order_by("due_on", "pk")[:BOARD_ROWS]
    )
    waiting: dict[str, list[Action]] = defaultdict(list)
    for action in open_actions:
        waiting[action.responsible_organisation.name].append(action)
    return {
        "alerts": [
            {
                "alert": alert,
                "plan": planned.get(alert.pk),
                "may_open": planned.get(alert.pk) is None
                and access.may_open_plan_for_alert(user, alert),
            }
            for alert in alerts
        ],
        "overdue": [a for a in open_actions if a.due_on < today],
        "waiting": sorted(waiting.items()),
        "closed": list(plans.filter(status=ResponsePlan.Status.CLOSED).order_by("-closed_at")[:20]),
    }


def timeline(plan: ResponsePlan) -> list[tuple[datetime.date, str]]:
    """What happened in the plan, in order: actions assigned and communications sent."""
    items: list[tuple[datetime.date, str]] = []
    for action in plan.actions.all():
        items.append(
            (
                action.created_at.date(),
                f"{action.get_kind_display()}: {action.get_status_display()}",
            )
        )
    for communication in plan.communications.all():
        items.append((communication.sent_on, str(communication.get_mechanism_display())))
    return sorted(items, key=lambda item: item[0])

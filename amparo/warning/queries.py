"""Read-only questions about alerts that several callers share: the board, the home panel, and
the network's scorecard (`alerts_to_state`, its contract in amparo/network/scorecard/feeds.py)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from amparo.core.models import Organisation, User
from amparo.warning import access
from amparo.warning.models import LEVEL_ORDER, Alert, AlertRecipient, Level, Notification


def alerts_to_state(
    *, countries: list[str], start: datetime.date, end: datetime.date
) -> dict[str, dict[str, Any]]:
    """The alerts sent to State institutions of each country in [start, end), and when the
    State acknowledged each: one query for every country asked."""
    answer: dict[str, dict[str, Any]] = {}
    rows = AlertRecipient.objects.filter(
        organisation__kind=Organisation.Kind.STATE,
        organisation__country__in=countries,
        sent_on__gte=start,
        sent_on__lt=end,
    ).values_list("organisation__country", "sent_on", "acknowledged_on")
    items: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for country, sent_on, acknowledged_on in rows:
        items[country].append({"sent_on": sent_on, "acknowledged_on": acknowledged_on})
    url = reverse("warning:board")
    for country, found in items.items():
        answer[country] = {"items": found, "url": url}
    return answer


def to_acknowledge(user: User) -> QuerySet[Notification]:
    """The open alerts routed to `user` (their notices), most urgent deadline first."""
    return (
        Notification.objects.filter(user=user, alert__status__in=access.OPEN_STATUSES)
        .filter(Q(alert__in=access.visible_alerts(user)))
        .select_related("alert")
        .order_by("alert__deadline", "alert_id")
    )


def board(user: User, *, status: str = "active") -> dict[str, list[Alert]]:
    """The alerts `user` may see, by level (extreme first): the open and escalated ones, or those
    acknowledged, or closed."""
    alerts = access.visible_alerts(user)
    if status == "acknowledged":
        alerts = alerts.filter(status=Alert.Status.ACKNOWLEDGED)
    elif status == "closed":
        alerts = alerts.filter(status=Alert.Status.CLOSED)
    else:
        alerts = alerts.filter(status__in=access.OPEN_STATUSES)
    grouped: dict[str, list[Alert]] = {level: [] for level in reversed(Level.values)}
    for alert in alerts.order_by("deadline", "pk")[:500]:
        grouped[alert.level].append(alert)
    return dict(sorted(grouped.items(), key=lambda item: -LEVEL_ORDER[item[0]]))


def is_overdue(alert: Alert, now: datetime.datetime | None = None) -> bool:
    return alert.status in access.OPEN_STATUSES and alert.deadline < (now or timezone.now())

"""The early-warning part of the demo world: the engine run over the demo's case records as of
the demo's last day (amparo/demo/cases.py ANCHOR), then alerts in every state, each through the
services: some left open, one acknowledged by a focal point, one escalated past its deadline to
the next contact, one closed. Running it again when alerts exist does nothing."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from amparo.core.models import Membership, User
from amparo.demo.base import DemoOptions, DemoStep, require_demo_mode
from amparo.demo.cases import ANCHOR
from amparo.warning import access
from amparo.warning.models import Alert
from amparo.warning.services import alerts, evaluation


def _actor(alert: Alert, action: str) -> User | None:
    """A member of the alert's owner or recipients who may take `action` on it."""
    organisations = [r.organisation_id for r in alert.recipients.all()]
    for membership in Membership.objects.filter(
        organisation_id__in=organisations, is_active=True
    ).select_related("user"):
        if access.can(membership.user, action, alert):
            return membership.user
    return None


def build_warning() -> str:
    require_demo_mode()
    if Alert.objects.exists():
        return "alerts exist; nothing to do"
    outcome = evaluation.evaluate_all(today=ANCHOR, escalate=False)
    chosen = list(Alert.objects.order_by("-raised_on", "pk")[:3])
    states = {"acknowledged": 0, "escalated": 0, "closed": 0}
    with transaction.atomic():
        if chosen:
            actor = _actor(chosen[0], access.ACKNOWLEDGE)
            if actor is not None:
                alerts.acknowledge(actor, chosen[0], "Demo: the focal point called the defender.")
                states["acknowledged"] += 1
        if len(chosen) > 1:
            Alert.objects.filter(pk=chosen[1].pk).update(
                deadline=timezone.now() - datetime.timedelta(hours=1)
            )
            states["escalated"] += len(alerts.escalate_overdue())
        if len(chosen) > 2:
            actor = _actor(chosen[2], access.CLOSE)
            if actor is not None:
                alerts.close(actor, chosen[2])
                states["closed"] += 1
    still_open = Alert.objects.filter(status=Alert.Status.OPEN).count()
    return (
        f"{outcome.subjects} subjects assessed, {Alert.objects.count()} alerts "
        f"({still_open} open, {states['acknowledged']} acknowledged, "
        f"{states['escalated']} escalated, {states['closed']} closed)"
    )


def _build(options: DemoOptions) -> str:
    return build_warning()


STEP = DemoStep("warning", _build)

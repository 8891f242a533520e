"""The coordinated-response part of the demo world, through the services: plans for the first
alerts, with actions assigned to partner organisations (one done, one in progress, one overdue)
and communications sent to mechanisms. Running it again when plans exist does nothing."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from amparo.core.models import Membership, Organisation, User
from amparo.demo.base import DemoOptions, DemoStep, require_demo_mode
from amparo.response import access, services
from amparo.response.models import ResponsePlan
from amparo.warning.models import Alert


def _coordinator(alert: Alert) -> User | None:
    organisations = [r.organisation_id for r in alert.recipients.all()]
    for membership in Membership.objects.filter(
        organisation_id__in=organisations, is_active=True
    ).select_related("user"):
        if access.may_open_plan_for_alert(membership.user, alert):
            return membership.user
    return None


def build_response() -> str:
    require_demo_mode()
    if ResponsePlan.objects.exists():
        return "plans exist; nothing to do"
    today = timezone.localdate()
    partners = list(Organisation.objects.filter(is_active=True).order_by("pk"))
    plans = actions = communications = 0
    with transaction.atomic():
        for alert in Alert.objects.exclude(status=Alert.Status.CLOSED).order_by("pk")[:3]:
            actor = _coordinator(alert)
            if actor is None:
                continue
            plan = services.open_plan(actor, alert=alert)
            plans += 1
            appeal = services.add_action(
                actor,
                plan,
                services.ActionInput("urgent_appeal", partners[0], today + datetime.timedelta(3)),
            )
            services.add_action(
                actor,
                plan,
                services.ActionInput(
                    "accompaniment", partners[-1], today - datetime.timedelta(days=2)
                ),
            )
            actions += 2
            services.update_action(actor, appeal, "in_progress", "Demo: drafted.")
            services.add_communication(
                actor,
                plan,
                services.CommunicationInput(
                    "un_special_procedure",
                    partners[0],
                    today - datetime.timedelta(days=1),
                    "Demo: urgent appeal to the Special Rapporteur on human rights defenders",
                    follow_up_on=today + datetime.timedelta(days=30),
                ),
            )
            communications += 1
    return f"{plans} plans, {actions} actions, {communications} communications"


def _build(options: DemoOptions) -> str:
    return build_response()


STEP = DemoStep("response", _build)

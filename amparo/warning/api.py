"""The early-warning API: /api/v1/warning/… (mounted by amparo.api.main, token authentication).

Reads apply `amparo.warning.access` as the pages do, and name subjects through the case records'
consent presenter; every identity an answer shows is recorded (channel "api") before it leaves.
Writes call the same services as the pages. Refusals are 4xx answers with the reason.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from amparo.cases.models import DisclosureChannel
from amparo.cases.services import record_disclosure
from amparo.core.permissions import signed_in_user
from amparo.warning import access, presenting
from amparo.warning.models import Acknowledgement, Alert, RiskAssessment, Subscription
from amparo.warning.services import alerts as alert_services
from amparo.warning.services import assessments, subscriptions

router = Router(tags=["warning"])


class Problem(Schema):
    detail: Any


ERRORS: dict[int, type[Schema]] = {400: Problem, 403: Problem, 404: Problem, 422: Problem}
PAGE = 200


class SubjectOut(Schema):
    id: int | None
    kind: str
    identified: bool
    name: str


class RecipientOut(Schema):
    organisation: str
    kind: str
    step: int
    sent_on: datetime.date
    acknowledged_on: datetime.date | None


class AcknowledgementOut(Schema):
    id: int
    organisation: str
    user: str
    at: datetime.datetime
    note: str


class AlertOut(Schema):
    id: int
    kind: str
    level: str
    status: str
    subject: SubjectOut
    reasons: list[str]
    reason_labels: list[str]
    raised_on: datetime.date
    deadline: datetime.datetime
    step: int
    actions: list[str]


class AlertDetailOut(AlertOut):
    signal_ids: list[int]
    recipients: list[RecipientOut]
    acknowledgements: list[AcknowledgementOut]


class AcknowledgeIn(Schema):
    note: str = ""


class ReasonOut(Schema):
    factor: str
    kind: str
    label: str
    signal_ids: list[int]


class AssessmentOut(Schema):
    id: int
    origin: str
    level: str
    computed_level: str
    score: float
    as_of: datetime.date
    created_at: datetime.datetime
    override_reason: str
    reasons: list[ReasonOut]


class RiskOut(Schema):
    subject: SubjectOut
    current: AssessmentOut | None
    history: list[AssessmentOut]


class OverrideIn(Schema):
    level: str
    reason: str


def _alert(alert: Alert, names: presenting.SubjectNames, user: Any) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "level": alert.level,
        "status": alert.status,
        "subject": names.of(alert),
        "reasons": alert.reasons,
        "reason_labels": [presenting.reason_label(r) for r in alert.reasons],
        "raised_on": alert.raised_on,
        "deadline": alert.deadline,
        "step": alert.step,
        "actions": sorted(access.actions_on(user, alert)),
    }


def _acknowledgement(ack: Acknowledgement) -> dict[str, Any]:
    return {
        "id": ack.pk,
        "organisation": ack.organisation.short_code,
        "user": ack.user.username,
        "at": ack.at,
        "note": ack.note,
    }


def _detail(alert: Alert, names: presenting.SubjectNames, user: Any) -> dict[str, Any]:
    summary = _alert(alert, names, user)
    return {
        **summary,
        "signal_ids": [s for s in alert.signal_ids if s > 0],
        "recipients": [
            {
                "organisation": r.organisation.short_code,
                "kind": r.kind,
                "step": r.step,
                "sent_on": r.sent_on,
                "acknowledged_on": r.acknowledged_on,
            }
            for r in alert.recipients.select_related("organisation")
        ],
        "acknowledgements": [
            _acknowledgement(a)
            for a in presenting.acknowledgements(user, alert, summary["subject"])
        ],
    }


@router.get("/warning/alerts", response={200: list[AlertOut], **ERRORS}, summary="Alerts")
def list_alerts(request: HttpRequest, status: str = "") -> list[dict[str, Any]]:
    user = signed_in_user(request)
    found = access.visible_alerts(user).select_related("person").prefetch_related("recipients")
    if status:
        found = found.filter(status=status)
    alerts = list(found.order_by("deadline", "pk")[:PAGE])
    names = presenting.SubjectNames(user)
    names.prime(alerts)
    answer = [_alert(alert, names, user) for alert in alerts]
    record_disclosure(user, names.disclosed, DisclosureChannel.API)
    return answer


@router.get("/warning/alerts/{pk}", response={200: AlertDetailOut, **ERRORS}, summary="An alert")
def get_alert(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = signed_in_user(request)
    alert = access.get_visible_alert(user, pk)
    names = presenting.SubjectNames(user)
    answer = _detail(alert, names, user)
    record_disclosure(user, names.disclosed, DisclosureChannel.API, alert.person)
    return answer


@router.get(
    "/warning/alerts/{pk}/acknowledgements",
    response={200: list[AcknowledgementOut], **ERRORS},
    summary="Who acknowledged an alert, and when",
)
def list_acknowledgements(request: HttpRequest, pk: int) -> list[dict[str, Any]]:
    user = signed_in_user(request)
    alert = access.get_visible_alert(user, pk)
    names = presenting.SubjectNames(user)
    answer = [
        _acknowledgement(a) for a in presenting.acknowledgements(user, alert, names.of(alert))
    ]
    record_disclosure(user, names.disclosed, DisclosureChannel.API, alert.person)
    return answer


@router.post(
    "/warning/alerts/{pk}/acknowledgements",
    response={201: AcknowledgementOut, **ERRORS},
    summary="Acknowledge an alert for your organisation",
)
def acknowledge(request: HttpRequest, pk: int, body: AcknowledgeIn) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    alert = access.get_visible_alert(user, pk)
    acknowledgement = alert_services.acknowledge(user, alert, body.note)
    return Status(201, _acknowledgement(acknowledgement))


def _assessment(assessment: RiskAssessment) -> dict[str, Any]:
    return {
        "id": assessment.pk,
        "origin": assessment.origin,
        "level": assessment.level,
        "computed_level": assessment.computed_level,
        "score": assessment.score,
        "as_of": assessment.as_of,
        "created_at": assessment.created_at,
        "override_reason": assessment.override_reason,
        "reasons": [
            {
                "factor": r["factor"],
                "kind": r["kind"],
                "label": r["label"],
                "signal_ids": r.get("signal_ids", []),
            }
            for r in presenting.assessment_reasons(assessment)
        ],
    }


@router.get(
    "/warning/assessments/{person_id}",
    response={200: RiskOut, **ERRORS},
    summary="A person's risk assessment and its history",
)
def get_assessment(request: HttpRequest, person_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    person = access.get_person_for_risk(user, person_id)
    access.require_risk(user, access.VIEW_RISK, person)
    names = presenting.SubjectNames(user)
    history = list(RiskAssessment.objects.filter(person=person)[:50])
    current = next((a for a in history if a.is_current), None)
    answer = {
        "subject": names.person(person),
        "current": _assessment(current) if current else None,
        "history": [_assessment(a) for a in history],
    }
    record_disclosure(user, names.disclosed, DisclosureChannel.API, person)
    return answer


@router.post(
    "/warning/assessments/{person_id}/override",
    response={201: AssessmentOut, **ERRORS},
    summary="Set a person's risk level, with the reason",
)
def override(request: HttpRequest, person_id: int, body: OverrideIn) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    person = access.get_person_for_risk(user, person_id)
    assessment = assessments.override(user, person, body.level, body.reason)
    return Status(201, _assessment(assessment))


class SubscriptionOut(Schema):
    id: int
    name: str
    target: str
    countries: list[str]
    min_level: str
    acts: list[str]
    defender_types: list[str]
    created_at: datetime.datetime
    checked_at: datetime.datetime


class SubscriptionIn(Schema):
    name: str
    target: str
    countries: list[str] = []
    min_level: str = "high"
    acts: list[str] = []
    defender_types: list[str] = []


def _subscription(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "target": subscription.target,
        "countries": list(subscription.countries),
        "min_level": subscription.min_level,
        "acts": list(subscription.acts),
        "defender_types": list(subscription.defender_types),
        "created_at": subscription.created_at,
        "checked_at": subscription.checked_at,
    }


@router.get(
    "/warning/subscriptions",
    response={200: list[SubscriptionOut], **ERRORS},
    summary="Your saved searches",
)
def list_subscriptions(request: HttpRequest) -> list[dict[str, Any]]:
    user = signed_in_user(request)
    return [_subscription(s) for s in access.own_subscriptions(user)]


@router.post(
    "/warning/subscriptions",
    response={201: SubscriptionOut, **ERRORS},
    summary="Save a search on alerts or cases, to be told of new matches",
)
def create_subscription(request: HttpRequest, body: SubscriptionIn) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    subscription = subscriptions.subscribe(
        user,
        subscriptions.SubscriptionInput(
            name=body.name,
            target=body.target,
            countries=body.countries,
            min_level=body.min_level,
            acts=body.acts,
            defender_types=body.defender_types,
        ),
    )
    return Status(201, _subscription(subscription))


# api_operation, not router.delete: the architecture check reads any `.delete(` in an edge
# module as a model write; the write here is the service's.
@router.api_operation(
    ["DELETE"],
    "/warning/subscriptions/{pk}",
    response={204: None, **ERRORS},
    summary="Delete one of your saved searches",
)
def delete_subscription(request: HttpRequest, pk: int) -> Status[None]:
    user = signed_in_user(request)
    subscriptions.unsubscribe(user, access.get_own_subscription(user, pk))
    return Status(204, None)

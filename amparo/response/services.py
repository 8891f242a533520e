"""The coordinated response's writes: open a plan, assign actions, update them, record the
communications sent to mechanisms. Each checks permission (access.py), validates, writes in one
transaction and leaves an audit entry. When the last open action of an alert's plan is done, the
plan and its alert close."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases.models import Event
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Membership, Organisation, User
from amparo.core.services import DomainError
from amparo.intake.models import Submission
from amparo.intake.services import handling
from amparo.response import access
from amparo.response.models import Action, Communication, ResponsePlan
from amparo.warning.models import Alert
from amparo.warning.services import alerts as alert_services

MAX_TEXT = 2000


def _text(value: str, limit: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise DomainError(
            _("%(field)s is too long (at most %(limit)d characters).")
            % {"field": field, "limit": limit}
        )
    return value


@transaction.atomic
def open_plan(
    actor: User, *, alert: Alert | None = None, event: Event | None = None, title: str = ""
) -> ResponsePlan:
    if (alert is None) == (event is None):
        raise DomainError(_("A plan responds to one alert or one case."))
    if alert is not None and not access.may_open_plan_for_alert(actor, alert):
        raise PermissionDenied(_("You may not open a plan for this alert."))
    if event is not None and not access.may_open_plan_for_event(actor, event):
        raise PermissionDenied(_("You may not open a plan for this case."))
    title = _text(title, 200, _("The title")) or (
        _("Response to alert %(number)d") % {"number": alert.pk}
        if alert is not None
        else _("Response to case %(reference)s") % {"reference": event.reference_code}  # type: ignore[union-attr]
    )
    subject = {"alert": alert} if alert is not None else {"event": event}
    if ResponsePlan.objects.filter(status=ResponsePlan.Status.OPEN, **subject).exists():
        raise DomainError(_("A response plan is already open for it: add to that one."))
    organisation_id = alert.organisation_id if alert is not None else event.organisation_id  # type: ignore[union-attr]
    plan = ResponsePlan.objects.create(
        alert=alert, event=event, organisation_id=organisation_id, title=title, created_by=actor
    )
    audit.record(actor, AuditAction.RESPONSE_PLAN_CREATE, plan, organisation=plan.organisation)
    return plan


@dataclass(frozen=True)
class ActionInput:
    kind: str
    responsible_organisation: Organisation
    due_on: datetime.date
    responsible_user: User | None = None


@transaction.atomic
def add_action(actor: User, plan: ResponsePlan, given: ActionInput) -> Action:
    access.require(actor, access.ADD_ACTION, plan)
    if given.kind not in Action.Kind.values:
        raise DomainError(_("Choose a type of action."))
    if not given.responsible_organisation.is_active:
        raise DomainError(_("This organisation is no longer active."))
    if (
        given.responsible_user is not None
        and not Membership.objects.filter(
            user=given.responsible_user,
            organisation=given.responsible_organisation,
            is_active=True,
        ).exists()
    ):
        raise DomainError(_("The person responsible must belong to the organisation responsible."))
    action = Action.objects.create(
        plan=plan,
        kind=given.kind,
        responsible_organisation=given.responsible_organisation,
        responsible_user=given.responsible_user,
        due_on=given.due_on,
        created_by=actor,
    )
    audit.record(
        actor,
        AuditAction.RESPONSE_ACTION_ADD,
        action,
        organisation=plan.organisation,
        changes={
            "kind": action.kind,
            "organisation": given.responsible_organisation.pk,
            "due_on": action.due_on.isoformat(),
        },
    )
    return action


@transaction.atomic
def update_action(actor: User, action: Action, status: str, outcome: str = "") -> Action:
    access.require_update(actor, action)
    if status not in Action.Status.values:
        raise DomainError(_("Choose a status."))
    before = action.status
    action.status = status
    action.outcome = _text(outcome, MAX_TEXT, _("The outcome")) or action.outcome
    action.save(update_fields=["status", "outcome", "updated_at"])
    audit.record(
        actor,
        AuditAction.RESPONSE_ACTION_UPDATE,
        action,
        organisation=action.plan.organisation,
        changes={"status": [before, status]},
    )
    _close_when_done(actor, action.plan)
    return action


def _close_when_done(actor: User, plan: ResponsePlan) -> None:
    if plan.actions.filter(status__in=access.OPEN_ACTION_STATUSES).exists():
        return
    if not plan.actions.filter(status=Action.Status.DONE).exists():
        return
    plan.status = ResponsePlan.Status.CLOSED
    plan.closed_at = timezone.now()
    plan.save(update_fields=["status", "closed_at"])
    audit.record(actor, AuditAction.RESPONSE_PLAN_CLOSE, plan, organisation=plan.organisation)
    if plan.alert is not None:
        alert_services.resolve(plan.alert, actor)


@dataclass(frozen=True)
class CommunicationInput:
    mechanism: str
    sent_by: Organisation
    sent_on: datetime.date
    summary: str
    follow_up_on: datetime.date | None = None
    state_reply: str = ""
    replied_on: datetime.date | None = None


@transaction.atomic
def add_communication(actor: User, plan: ResponsePlan, given: CommunicationInput) -> Communication:
    """Record a communication sent to a mechanism; the reporter of an intake report behind the
    case is told that a communication was issued (not what it said)."""
    access.require(actor, access.ADD_COMMUNICATION, plan)
    if given.mechanism not in Communication.Mechanism.values:
        raise DomainError(_("Choose a mechanism."))
    if given.sent_on > timezone.localdate():
        raise DomainError(_("A communication cannot have been sent in the future."))
    if given.follow_up_on is not None and given.follow_up_on < given.sent_on:
        raise DomainError(_("The follow-up date cannot come before the date it was sent."))
    if (
        given.replied_on is not None
        and not given.sent_on <= given.replied_on <= timezone.localdate()
    ):
        raise DomainError(
            _("The State's reply must be dated between the day it was sent and today.")
        )
    summary = _text(given.summary, 300, _("What was sent"))
    if not summary:
        raise DomainError(_("Say what was sent (no names)."))
    communication = Communication.objects.create(
        plan=plan,
        mechanism=given.mechanism,
        sent_by=given.sent_by,
        sent_on=given.sent_on,
        summary=summary,
        follow_up_on=given.follow_up_on,
        state_reply=_text(given.state_reply, MAX_TEXT, _("The State's reply")),
        replied_on=given.replied_on,
        created_by=actor,
    )
    audit.record(
        actor,
        AuditAction.RESPONSE_COMMUNICATION_ADD,
        communication,
        organisation=plan.organisation,
        changes={"mechanism": communication.mechanism, "sent_on": given.sent_on.isoformat()},
    )
    event_id = plan.event_id or _event_of(plan.alert)
    if event_id is not None:
        for submission in Submission.objects.filter(event_id=event_id, communication_sent=False):
            try:
                handling.record_communication(actor, submission, True)
            except PermissionDenied:
                continue  # the reporter's organisation tells them, not a partner
    return communication


def _event_of(alert: Alert | None) -> int | None:
    if alert is None or alert.person_id is None:
        return None
    from amparo.cases.models import Act

    ids = [s for s in alert.signal_ids if s > 0]
    return Act.objects.filter(pk__in=ids).values_list("event_id", flat=True).first()

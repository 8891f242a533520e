"""Alerts: raised by the engine, routed to focal points, escalated when nobody acknowledges them in
time, acknowledged and closed by people.

Routing follows routing.yaml (amparo/warning/routing.py). The organisation that documented the
subject always receives the alert; each step of the route's contact list adds the organisations
it names. A State institution is a contact only for a person who consented to the State knowing
of them (a live consent to the State, or, for an intake report, the reporter's consent), so an
alert about someone who did not consent never reaches the State, not even pseudonymised.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access as cases_access
from amparo.cases.models import Person
from amparo.core import audit, custody
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Membership, Organisation, User
from amparo.core.services import DomainError
from amparo.intake.models import Submission
from amparo.warning import access
from amparo.warning.models import (
    LEVEL_ORDER,
    Acknowledgement,
    Alert,
    AlertRecipient,
    Notification,
)
from amparo.warning.routing import Contact, Route, Routing, routing

KIND_OF_CONTACT = {
    "nhri_focal_point": (Organisation.Kind.NHRI, AlertRecipient.Kind.NHRI_FOCAL_POINT),
    "defenders_network": (Organisation.Kind.CSO, AlertRecipient.Kind.DEFENDERS_NETWORK),
    "state_mechanism": (Organisation.Kind.STATE, AlertRecipient.Kind.STATE_MECHANISM),
}


@dataclass(frozen=True)
class Raise:
    """What the engine asks to raise for one subject on one day."""

    person_id: int | None
    submission_id: str | None
    organisation_id: int
    kind: str
    level: str
    reasons: tuple[str, ...]
    signal_ids: tuple[int, ...]
    country: str
    region: str
    raised_on: datetime.date
    defender_types: tuple[str, ...] = ()
    acts: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        subject = f"p{self.person_id}" if self.person_id else f"s{self.submission_id}"
        return f"{subject}:{self.raised_on.isoformat()}"


def raise_alerts(wanted: Sequence[Raise], *, now: datetime.datetime | None = None) -> list[Alert]:
    """Raise (or add reasons to today's) alerts; the new ones routed and their recipients told.
    One alert per subject and day, as the backtest counts them."""
    now = now or timezone.now()
    plan = routing()
    raised: list[Alert] = []
    with transaction.atomic():
        # Locked: another evaluation (a second worker, an import's) merging into the same alert
        # waits instead of overwriting its reasons.
        existing = {
            a.key: a
            for a in Alert.objects.select_for_update().filter(key__in=[w.key for w in wanted])
        }
        for item in wanted:
            alert = existing.get(item.key)
            if alert is not None:
                _merge(alert, item, plan, now)
                continue
            route = plan.route_for(
                country=item.country,
                region=item.region,
                level=item.level,
                defender_types=item.defender_types,
                acts=item.acts,
            )
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        key=item.key,
                        kind=item.kind,
                        person_id=item.person_id,
                        submission_id=item.submission_id,
                        organisation_id=item.organisation_id,
                        level=item.level,
                        reasons=list(item.reasons),
                        signal_ids=sorted(item.signal_ids),
                        country=item.country,
                        region=item.region,
                        route=route.id if route else "",
                        raised_on=item.raised_on,
                        deadline=now
                        + datetime.timedelta(hours=plan.deadline_hours.get(item.level, 24)),
                    )
            except IntegrityError:
                # Raised meanwhile by an evaluation running at the same time (PostgreSQL): its
                # alert takes these reasons, as a later run's would.
                alert = existing[item.key] = Alert.objects.select_for_update().get(key=item.key)
                _merge(alert, item, plan, now)
                continue
            existing[item.key] = alert
            AlertRecipient.objects.create(
                alert=alert,
                organisation_id=item.organisation_id,
                kind=AlertRecipient.Kind.OWNER,
                step=0,
                sent_on=now.date(),
            )
            notify(alert, [item.organisation_id])
            step = _route_from(alert, route, 0, now)
            if step is not None and step != alert.step:
                alert.step = step
                alert.save(update_fields=["step"])
            audit.record(
                None,
                AuditAction.WARNING_ALERT_RAISE,
                alert,
                organisation=alert.organisation,
                changes={"level": alert.level, "reasons": alert.reasons, "route": alert.route},
            )
            raised.append(alert)
        if raised:
            ids = [alert.pk for alert in raised]
            transaction.on_commit(lambda: _tell_subscribers(ids))
    return raised


def _tell_subscribers(alert_ids: list[int]) -> None:
    from amparo.warning import tasks
    from amparo.warning.services import subscriptions

    for alert_id, users in subscriptions.notify_alert_subscribers(alert_ids).items():
        tasks.email_alert.enqueue(alert_id, users)


def _merge(alert: Alert, item: Raise, plan: Routing, now: datetime.datetime) -> None:
    """Today's alert for the same subject takes the new reasons; a higher level is news: its
    recipients are told again, and the shorter deadline of the new level applies."""
    reasons = sorted(set(alert.reasons) | set(item.reasons))
    signals = sorted(set(alert.signal_ids) | set(item.signal_ids))
    level = max(alert.level, item.level, key=LEVEL_ORDER.__getitem__)
    if (reasons, signals, level) == (alert.reasons, alert.signal_ids, alert.level):
        return
    rose = level != alert.level
    before = alert.level
    alert.reasons, alert.signal_ids, alert.level = reasons, signals, level
    fields = ["reasons", "signal_ids", "level"]
    if rose and alert.status != Alert.Status.CLOSED:
        deadline = now + datetime.timedelta(hours=plan.deadline_hours.get(level, 24))
        if alert.status in access.OPEN_STATUSES and deadline < alert.deadline:
            alert.deadline = deadline
            fields.append("deadline")
    alert.save(update_fields=fields)
    if rose:
        audit.record(
            None,
            AuditAction.WARNING_ALERT_LEVEL_RISE,
            alert,
            organisation=alert.organisation,
            changes={"level": [before, level], "reasons": alert.reasons},
        )
        if alert.status != Alert.Status.CLOSED:
            # A State institution hears of it again only while the consent it was told under
            # lives.
            told = alert.recipients.select_related("organisation")
            Notification.objects.filter(alert=alert).update(read_at=None)
            notify(
                alert,
                [
                    r.organisation_id
                    for r in told
                    if r.organisation.kind != Organisation.Kind.STATE
                    or consents_to_state(alert, r.organisation)
                ],
            )


def _route_from(
    alert: Alert, route: Route | None, first_step: int, now: datetime.datetime
) -> int | None:
    """Send the alert to the first step, from `first_step`, that names an organisation it can
    go to; that step, or None when no step is left."""
    if route is None:
        return None
    for step in range(first_step, len(route.contacts)):
        organisations = _organisations_for(alert, route.contacts[step])
        already = set(alert.recipients.values_list("organisation_id", flat=True))
        new = [(o, kind) for o, kind in organisations if o.pk not in already]
        if not new:
            continue
        AlertRecipient.objects.bulk_create(
            AlertRecipient(
                alert=alert, organisation=organisation, kind=kind, step=step, sent_on=now.date()
            )
            for organisation, kind in new
        )
        share_identity(alert)
        notify(alert, [organisation.pk for organisation, _ in new])
        return step
    return None


def _organisations_for(alert: Alert, contacts: Iterable[Contact]) -> list[tuple[Organisation, str]]:
    found: list[tuple[Organisation, str]] = []
    for contact in contacts:
        if contact.organisation:
            named = Organisation.objects.filter(short_code=contact.organisation, is_active=True)
            organisations = [(o, AlertRecipient.Kind.ORGANISATION) for o in named]
            organisations = [
                (o, kind)
                for o, kind in organisations
                if o.kind != Organisation.Kind.STATE or consents_to_state(alert, o)
            ]
            found += organisations
            continue
        organisation_kind, recipient_kind = KIND_OF_CONTACT[contact.kind]
        if not alert.country:
            continue
        candidates = Organisation.objects.filter(
            kind=organisation_kind, country=alert.country, is_active=True
        ).exclude(pk=alert.organisation_id)
        for organisation in candidates:
            if organisation_kind == Organisation.Kind.STATE and not consents_to_state(
                alert, organisation
            ):
                continue
            found.append((organisation, recipient_kind))
    return found


def share_identity(alert: Alert) -> int:
    """Seal the alert's subject's data key to each recipient organisation that the person's
    live consent lets know who they are (`cases.access.consent_covers_organisation`), so that
    their keys open the name the pages show them. Done when the alert is routed or escalated by
    someone, or a job, whose keys open it; else at the next alert page opened by someone whose
    keys do (`alert_detail`). Returns how many organisations it was sealed to."""
    if alert.person_id is None:
        return 0
    person = Person.objects.filter(pk=alert.person_id).first()
    if (
        person is None
        or person.data_key_id is None
        or custody.open_data_key(person.data_key_id) is None
    ):
        return 0
    covered = [
        recipient.organisation
        for recipient in alert.recipients.exclude(
            organisation_id=person.organisation_id
        ).select_related("organisation")
        if cases_access.consent_covers_organisation(person.pk, recipient.organisation)
    ]
    if not covered:
        return 0
    try:
        key = custody.dedicate([person])
    except custody.KeysLocked:
        return 0
    for organisation in covered:
        custody.share_sealed(key, organisation)
    return len(covered)


def consents_to_state(alert: Alert, organisation: Organisation) -> bool:
    """Whether the subject consented to a State institution (this one) knowing of them."""
    if alert.submission_id is not None:
        return Submission.objects.filter(pk=alert.submission_id, consent_state=True).exists()
    if alert.person_id is None:
        return False
    return cases_access.consent_covers_organisation(alert.person_id, organisation)


def notify(alert: Alert, organisation_ids: Iterable[int]) -> None:
    """Tell the members of these organisations who act on alerts: an in-app notice each, and an
    e-mail that says only that an alert waits (queued once the transaction commits)."""
    users = set(
        Membership.objects.filter(
            organisation_id__in=list(organisation_ids),
            is_active=True,
            user__is_active=True,
            role__in=access.NOTIFIED_ROLES,
        ).values_list("user_id", flat=True)
    )
    if alert.organisation_id in set(organisation_ids):
        users |= set(
            Membership.objects.filter(
                organisation_id=alert.organisation_id,
                is_active=True,
                user__is_active=True,
                role__in=[
                    role
                    for role, actions in access.OWNER_ACTIONS.items()
                    if access.ACKNOWLEDGE in actions
                ],
            ).values_list("user_id", flat=True)
        )
    notices = Notification.objects.bulk_create(
        (Notification(user_id=user, alert=alert) for user in sorted(users)),
        ignore_conflicts=True,
    )
    if notices:
        from amparo.warning import tasks

        alert_id = alert.pk
        transaction.on_commit(lambda: tasks.email_alert.enqueue(alert_id, sorted(users)))


def escalate_overdue(*, now: datetime.datetime | None = None) -> list[Alert]:
    """Send every alert nobody acknowledged by its deadline to the next contact of its route,
    with a new deadline; an alert with no contact left stays escalated where it is."""
    now = now or timezone.now()
    plan = routing()
    escalated = []
    for alert_id in list(_overdue(now).values_list("pk", flat=True)):
        with transaction.atomic():
            # Read again, locked: another run of the command, an acknowledgement or a closure
            # may have come first, and an alert escalated twice would skip a contact.
            alert = _overdue(now).select_for_update(of=("self",)).filter(pk=alert_id).first()
            if alert is not None and _escalate(alert, plan, now) is not None:
                escalated.append(alert)
    return escalated


def _overdue(now: datetime.datetime) -> QuerySet[Alert]:
    return Alert.objects.filter(
        status__in=access.OPEN_STATUSES, deadline__lt=now, acknowledgements__isnull=True
    ).select_related("organisation")


def _escalate(alert: Alert, plan: Routing, now: datetime.datetime) -> int | None:
    route = plan.by_id(alert.route)
    step = _route_from(alert, route, alert.step + 1, now)
    hours = plan.deadline_hours.get(alert.level, 24)
    alert.status = Alert.Status.ESCALATED
    alert.deadline = now + datetime.timedelta(hours=hours)
    if step is not None:
        alert.step = step
    alert.save(update_fields=["status", "deadline", "step"])
    audit.record(
        None,
        AuditAction.WARNING_ALERT_ESCALATE,
        alert,
        organisation=alert.organisation,
        changes={"step": alert.step, "next_contact": step is not None},
    )
    return step


@transaction.atomic
def acknowledge(actor: User, alert: Alert, note: str = "") -> Acknowledgement:
    """`actor` takes the alert in hand for their organisation (the owner or a recipient)."""
    # The alert as it is now, locked: a closure or another acknowledgement may have come
    # between the page and the click, and must neither be undone nor doubled.
    alert = _locked(alert)
    access.require(actor, access.ACKNOWLEDGE, alert)
    organisation_id = access.acknowledging_organisations(actor, alert)[0]
    if len(note) > 2000:
        raise DomainError(_("The note is too long (at most 2,000 characters)."))
    acknowledgement = Acknowledgement.objects.create(
        alert=alert, organisation_id=organisation_id, user=actor, note=note.strip()
    )
    AlertRecipient.objects.filter(
        alert=alert, organisation_id=organisation_id, acknowledged_on__isnull=True
    ).update(acknowledged_on=timezone.localdate())
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.save(update_fields=["status"])
    Notification.objects.filter(alert=alert, user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    audit.record(
        actor,
        AuditAction.WARNING_ALERT_ACKNOWLEDGE,
        alert,
        organisation=alert.organisation,
        changes={"by_organisation": organisation_id},
    )
    return acknowledgement


@transaction.atomic
def close(actor: User, alert: Alert) -> Alert:
    alert = _locked(alert)
    access.require(actor, access.CLOSE, alert)
    return _close(alert, actor, closed_by=actor)


def _locked(alert: Alert) -> Alert:
    locked = Alert.objects.select_for_update(of=("self",)).select_related("organisation")
    return locked.get(pk=alert.pk)


def resolve(alert: Alert, actor: User | None) -> Alert:
    """Close an alert because the response to it is done (every action of its plan finished):
    the response app decides that, whoever marked the last action done."""
    alert = _locked(alert)  # a person may have closed it meanwhile: closed once, audited once
    if alert.status == Alert.Status.CLOSED:
        return alert
    return _close(alert, actor, closed_by=None, changes={"response_done": True})


def _close(
    alert: Alert,
    actor: User | None,
    *,
    closed_by: User | None,
    changes: dict[str, Any] | None = None,
) -> Alert:
    alert.status = Alert.Status.CLOSED
    alert.closed_at = timezone.now()
    alert.closed_by = closed_by
    alert.save(update_fields=["status", "closed_at", "closed_by"])
    audit.record(
        actor,
        AuditAction.WARNING_ALERT_CLOSE,
        alert,
        organisation=alert.organisation,
        changes=changes,
    )
    return alert
    alert.status = Alert.Status.CLOSED
    alert.closed_at = timezone.now()
    alert.save(update_fields=["status", "closed_at"])
    audit.record(
        actor,
        AuditAction.WARNING_ALERT_CLOSE,
        alert,
        organisation=alert.organisation,
        changes={"response_done": True},
    )
    return alert

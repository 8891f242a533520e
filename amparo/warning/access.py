"""Who may see and do what with alerts and risk assessments: the one place that decides.

An alert is seen by the staff of the organisation that documented its subject (OWNER_ACTIONS, by
role) and by the staff of each organisation it was routed to (RECIPIENT_ACTIONS, by role): no one
else, whatever their role elsewhere. A person's risk page is for the owning organisation's staff.
Who the subject is follows the case records' rules (`amparo.cases.access.PersonPresenter`:
clearance, and outside the owning organisation a live consent), so a State recipient without the
person's consent reads a pseudonym. Pages ask `actions_on`; services call `require`, so the
button and the rule agree.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from amparo.cases.models import Person
from amparo.core import access as core_access
from amparo.core.models import Role, User
from amparo.warning.models import Alert, AlertRecipient, Subscription

RULE = "warning.view"

VIEW = "view"
ACKNOWLEDGE = "acknowledge"
CLOSE = "close"
VIEW_RISK = "view_risk"
OVERRIDE = "override"
ACTIONS = frozenset({VIEW, ACKNOWLEDGE, CLOSE, VIEW_RISK, OVERRIDE})

# What each role may do with the alerts and risk of its own organisation's persons.
OWNER_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: ACTIONS,
    Role.DOCUMENTALIST: ACTIONS,
    Role.FOCAL_POINT: frozenset({VIEW, ACKNOWLEDGE, CLOSE, VIEW_RISK}),
    Role.ANALYST: frozenset({VIEW, VIEW_RISK}),
    Role.READ_ONLY: frozenset({VIEW}),
    Role.REVIEWER: frozenset(),
    Role.STATE_REPRESENTATIVE: frozenset(),
    Role.MECHANISM: frozenset(),
    Role.NETWORK_SECRETARIAT: frozenset(),
}

# What each role may do with an alert routed to its organisation.
RECIPIENT_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: frozenset({VIEW, ACKNOWLEDGE}),
    Role.FOCAL_POINT: frozenset({VIEW, ACKNOWLEDGE}),
    Role.STATE_REPRESENTATIVE: frozenset({VIEW, ACKNOWLEDGE}),
    Role.NETWORK_SECRETARIAT: frozenset({VIEW, ACKNOWLEDGE}),
    Role.MECHANISM: frozenset({VIEW, ACKNOWLEDGE}),
    Role.DOCUMENTALIST: frozenset({VIEW}),
    Role.ANALYST: frozenset(),
    Role.READ_ONLY: frozenset(),
    Role.REVIEWER: frozenset(),
}

# The members of an organisation who are told that an alert reached it (in-app and e-mail).
NOTIFIED_ROLES = frozenset(
    role for role, actions in RECIPIENT_ACTIONS.items() if ACKNOWLEDGE in actions
)
OPEN_STATUSES = frozenset({Alert.Status.OPEN, Alert.Status.ESCALATED})


def _organisations(user: User | Any, table: dict[str, frozenset[str]], action: str) -> set[int]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return {
        m.organisation_id
        for m in core_access.active_memberships(user)
        if action in table.get(m.role, frozenset())
    }


def visible_alerts_q(user: User | Any) -> Q | None:
    owners = _organisations(user, OWNER_ACTIONS, VIEW)
    routed = _organisations(user, RECIPIENT_ACTIONS, VIEW)
    if not owners and not routed:
        return None
    routed_alerts = (
        AlertRecipient.objects.filter(organisation_id__in=routed)
        .exclude(kind=AlertRecipient.Kind.OWNER)
        .values("alert_id")
    )
    return Q(organisation_id__in=owners) | Q(pk__in=routed_alerts)


def visible_alerts(user: User | Any) -> QuerySet[Alert]:
    condition = visible_alerts_q(user)
    if condition is None:
        return Alert.objects.none()
    return Alert.objects.filter(condition)


def get_visible_alert(user: User | Any, pk: int) -> Alert:
    alert = visible_alerts(user).filter(pk=pk).select_related("person", "organisation").first()
    if alert is None:
        raise Http404(_("No such alert."))
    return alert


def actions_on(user: User | Any, alert: Alert) -> frozenset[str]:
    """What `user` may do with `alert` now: by role, and by the alert's state."""
    allowed: set[str] = set()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    recipients = _routed_to(alert)
    for m in core_access.active_memberships(user):
        if m.organisation_id == alert.organisation_id:
            allowed |= OWNER_ACTIONS.get(m.role, frozenset())
        if m.organisation_id in recipients:
            allowed |= RECIPIENT_ACTIONS.get(m.role, frozenset())
    allowed &= {VIEW, ACKNOWLEDGE, CLOSE}
    if alert.status not in OPEN_STATUSES:
        allowed.discard(ACKNOWLEDGE)
    if alert.status == Alert.Status.CLOSED:
        allowed.discard(CLOSE)
    if ACKNOWLEDGE in allowed and not acknowledging_organisations(user, alert):
        allowed.discard(ACKNOWLEDGE)
    return frozenset(allowed)


def acknowledging_organisations(user: User | Any, alert: Alert) -> list[int]:
    """The organisations (owner or recipients not yet acknowledged) on whose behalf `user` may
    acknowledge `alert`."""
    done = {a.organisation_id for a in alert.acknowledgements.all()}
    recipients = _routed_to(alert)
    found = []
    for m in core_access.active_memberships(user):
        if m.organisation_id in done or m.organisation_id in found:
            continue
        if (
            m.organisation_id == alert.organisation_id
            and ACKNOWLEDGE in OWNER_ACTIONS.get(m.role, frozenset())
        ) or (
            m.organisation_id in recipients
            and ACKNOWLEDGE in RECIPIENT_ACTIONS.get(m.role, frozenset())
        ):
            found.append(m.organisation_id)
    return found


def _routed_to(alert: Alert) -> set[int]:
    """The organisations the alert was routed to, beyond its owner (whose staff act through
    OWNER_ACTIONS only)."""
    return {
        r.organisation_id
        for r in alert.recipients.all()
        if r.kind != AlertRecipient.Kind.OWNER and r.organisation_id != alert.organisation_id
    }


def may_read_note(user: User | Any, organisation_id: int, subject_identified: bool) -> bool:
    """An acknowledgement's note is free text that may name the subject: it is read by those to
    whom the subject is named, and by the organisation that wrote it; others see that a note
    exists, not its text (a State recipient without consent must not read the name in a note)."""
    if subject_identified:
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return any(m.organisation_id == organisation_id for m in core_access.active_memberships(user))


def can(user: User | Any, action: str, alert: Alert) -> bool:
    return action in actions_on(user, alert)


def require(user: User | Any, action: str, alert: Alert) -> None:
    if not can(user, action, alert):
        raise PermissionDenied(_("You may not do this with this alert."))


# --- risk of a person ---------------------------------------------------------------------------


def risk_actions(user: User | Any, person: Person) -> frozenset[str]:
    """What `user` may do with `person`'s risk assessment (the owning organisation's staff)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    allowed: set[str] = set()
    for m in core_access.active_memberships(user):
        if m.organisation_id == person.organisation_id:
            allowed |= OWNER_ACTIONS.get(m.role, frozenset())
    return frozenset(allowed & {VIEW_RISK, OVERRIDE})


def risk_organisations(user: User | Any) -> set[int]:
    """The organisations whose persons' risk `user` may read."""
    return _organisations(user, OWNER_ACTIONS, VIEW_RISK)


def get_person_for_risk(user: User | Any, pk: int) -> Person:
    person = Person.objects.filter(
        pk=pk, organisation_id__in=risk_organisations(user), pending_import__isnull=True
    ).first()
    if person is None:
        raise Http404(_("No such person."))
    return person


def require_risk(user: User | Any, action: str, person: Person) -> None:
    if action not in risk_actions(user, person):
        raise PermissionDenied(_("You may not do this with this person's risk assessment."))


def own_subscriptions(user: User | Any) -> QuerySet[Subscription]:
    """A user's saved searches: theirs only, nobody else's (not even an administrator's view)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Subscription.objects.none()
    return Subscription.objects.filter(user_id=user.pk)


def get_own_subscription(user: User | Any, pk: int) -> Subscription:
    subscription = own_subscriptions(user).filter(pk=pk).first()
    if subscription is None:
        raise Http404(_("No such saved search."))
    return subscription

"""Saved searches: any user saves filters on alerts or on cases and is told of new matches.

New alerts are matched as they are raised (a task, once the alert is committed); new cases by the
nightly `amparo warning subscriptions`. A match is only what the subscriber may see (the alert or
case access rules); the notice says that there are new matches and where, never what they are.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access as cases_access
from amparo.cases.models import Person
from amparo.core import countries as country_codes
from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.warning import access
from amparo.warning.models import LEVEL_ORDER, Alert, Level, Notification, Subscription
from amparo.warning.services import signals

MAX_PER_USER = 50


@dataclass(frozen=True)
class SubscriptionInput:
    name: str
    target: str
    countries: Sequence[str] = ()
    min_level: str = Level.HIGH
    acts: Sequence[str] = ()
    defender_types: Sequence[str] = ()


def _codes(values: Iterable[str], known: Iterable[str], field: str) -> list[str]:
    allowed = set(known)
    cleaned = sorted({v.strip() for v in values if v.strip()})
    wrong = [v for v in cleaned if v not in allowed]
    if wrong:
        raise DomainError(
            _("%(field)s: %(code)s is not a known code.") % {"field": field, "code": wrong[0]}
        )
    return cleaned


@transaction.atomic
def subscribe(actor: User, given: SubscriptionInput) -> Subscription:
    if not access.visible_alerts_q(actor) and given.target == Subscription.Target.ALERTS:
        raise DomainError(_("You receive no alerts to subscribe to."))
    name = given.name.strip()
    if not name or len(name) > 100:
        raise DomainError(_("Give the saved search a name (at most 100 characters)."))
    if given.target not in Subscription.Target.values:
        raise DomainError(_("Choose alerts or cases."))
    if given.min_level not in Level.values:
        raise DomainError(_("Choose a level: low, medium, high or extreme."))
    if Subscription.objects.filter(user=actor).count() >= MAX_PER_USER:
        raise DomainError(_("You have too many saved searches; delete one first."))
    vocabularies = signals.vocabularies()
    return Subscription.objects.create(
        user=actor,
        name=name,
        target=given.target,
        countries=_codes(
            [c.upper() for c in given.countries],
            [code for code, _name in country_codes.country_choices("en")],
            _("Countries"),
        ),
        min_level=given.min_level,
        acts=_codes(given.acts, vocabularies.acts.parents, _("Types of act")),
        defender_types=_codes(
            given.defender_types, vocabularies.defender_types.parents, _("Types of defender")
        ),
        checked_at=timezone.now(),
    )


@transaction.atomic
def unsubscribe(actor: User, subscription: Subscription) -> None:
    if subscription.user_id != actor.pk:
        raise DomainError(_("This saved search is not yours."))
    subscription.delete()


def _alert_matches(subscription: Subscription, alert: Alert, types: set[str]) -> bool:
    if subscription.countries and alert.country not in subscription.countries:
        return False
    if LEVEL_ORDER[alert.level] < LEVEL_ORDER[subscription.min_level]:
        return False
    if subscription.defender_types:
        wanted = signals.vocabularies().defender_types.narrower(subscription.defender_types)
        if not types & set(wanted):
            return False
    return True


def notify_alert_subscribers(alert_ids: Sequence[int]) -> dict[int, list[int]]:
    """In-app notices for the subscribers who may see each new alert that matches; returns
    {alert id: [user ids]} for the e-mails."""
    found: dict[int, list[int]] = {}
    subscriptions = list(
        Subscription.objects.filter(target=Subscription.Target.ALERTS).select_related("user")
    )
    if not subscriptions:
        return found
    for alert in Alert.objects.filter(pk__in=list(alert_ids)):
        types: set[str] = set()
        if alert.person_id is not None:
            types = set(
                Person.defender_types.through.objects.filter(person_id=alert.person_id).values_list(
                    "term__code", flat=True
                )
            )
        users = sorted(
            {
                s.user_id
                for s in subscriptions
                if s.user.is_active
                and _alert_matches(s, alert, types)
                and access.visible_alerts(s.user).filter(pk=alert.pk).exists()
            }
        )
        if users:
            Notification.objects.bulk_create(
                (Notification(user_id=u, alert=alert) for u in users), ignore_conflicts=True
            )
            found[alert.pk] = users
    return found


def new_cases(subscription: Subscription, until: datetime.datetime) -> int:
    """How many cases the subscriber may see were recorded since the last check and match."""
    events = cases_access.visible_events(subscription.user).filter(
        created_at__gt=subscription.checked_at, created_at__lte=until
    )
    if subscription.countries:
        events = events.filter(country__in=subscription.countries)
    if subscription.acts:
        codes = signals.vocabularies().acts.narrower(subscription.acts)
        events = events.filter(acts__type_of_act__code__in=list(codes))
    if subscription.defender_types:
        codes = signals.vocabularies().defender_types.narrower(subscription.defender_types)
        events = events.filter(acts__victim__defender_types__code__in=list(codes))
    return events.distinct().count()


def _email_later(subscription_id: int, count: int) -> Callable[[], object]:
    from amparo.warning import tasks

    return lambda: tasks.email_case_matches.enqueue(subscription_id, count)


def check_case_subscriptions(now: datetime.datetime | None = None) -> dict[int, int]:
    """{subscription id: new matching cases} for every case subscription, each then marked
    checked; the e-mails are queued for those with news."""
    now = now or timezone.now()
    news: dict[int, int] = {}
    for subscription in Subscription.objects.filter(
        target=Subscription.Target.CASES, user__is_active=True
    ).select_related("user"):
        count = new_cases(subscription, now)
        Subscription.objects.filter(pk=subscription.pk).update(checked_at=now)
        if count:
            news[subscription.pk] = count
            transaction.on_commit(_email_later(subscription.pk, count))
    return news

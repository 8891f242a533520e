"""The warning app's background work (django-tasks: `settings.TASKS`).

Recording an act only queues `evaluate_events` (once the change commits), so recording stays
fast; the worker evaluates the victims of the changed events. The e-mail about an alert says only
that an alert waits and where to sign in: not who, where, what, nor the level (a phone's lock
screen, a forwarded message and the mail provider would all know it).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override
from django_tasks import task

from amparo.core.models import User
from amparo.warning.models import Notification
from amparo.warning.services import evaluation, signals

logger = logging.getLogger(__name__)


def events_changed(event_ids: frozenset[int]) -> None:
    """The hook `amparo.cases.hooks` calls inside the change's transaction: queue the evaluation
    for when it commits (nothing, if it rolls back)."""
    ids = sorted(event_ids)
    transaction.on_commit(lambda: evaluate_events.enqueue(ids))


@task()
def evaluate_events(event_ids: list[int]) -> int:
    """Evaluate the victims of these events; returns how many alerts were raised."""
    persons = signals.subjects_of_events(event_ids)
    if not persons:
        return 0
    return evaluation.evaluate(persons).alerts_raised


@task()
def email_alert(alert_id: int, user_ids: list[int]) -> int:
    """E-mail each of these users that an alert waits for them; returns how many were sent."""
    users = list(User.objects.filter(pk__in=user_ids, is_active=True).exclude(email=""))
    messages = []
    with override(settings.LANGUAGE_CODE):
        subject = _("[Amparo] An early-warning alert waits for you")
        body = "\n\n".join(
            [
                _("An alert of the early-warning system has been routed to you."),
                _("Sign in to Amparo and open the alerts (%(path)s) to read and acknowledge it.")
                % {"path": reverse("warning:board")},
                _("This email deliberately says nothing about whom or what the alert concerns."),
            ]
        )
        for user in users:
            messages.append(EmailMessage(subject, body, to=[user.email]))
    if not messages:
        return 0
    try:
        sent = get_connection().send_messages(messages) or 0
    except OSError as error:
        logger.error("Alert notification emails could not be sent: %s", error.__class__.__name__)
        return 0
    # Only those actually e-mailed: a user without an address (or inactive) was not.
    Notification.objects.filter(alert_id=alert_id, user_id__in=[u.pk for u in users]).update(
        emailed_at=timezone.now()
    )
    return sent


@task()
def email_case_matches(subscription_id: int, count: int) -> int:
    """Tell a subscriber that new cases match one of their saved searches (how many; not which,
    not the search's name, which they wrote and may name someone)."""
    from amparo.warning.models import Subscription

    subscription = Subscription.objects.select_related("user").filter(pk=subscription_id).first()
    if subscription is None or not subscription.user.email or not subscription.user.is_active:
        return 0
    with override(settings.LANGUAGE_CODE):
        message = EmailMessage(
            _("[Amparo] New cases match a saved search"),
            "\n\n".join(
                [
                    ngettext(
                        "%(count)d new case matches your saved search number %(number)d.",
                        "%(count)d new cases match your saved search number %(number)d.",
                        count,
                    )
                    % {"count": count, "number": subscription_id},
                    _("Sign in to Amparo and open your saved searches (%(path)s).")
                    % {"path": reverse("warning:subscriptions")},
                ]
            ),
            to=[subscription.user.email],
        )
    try:
        return get_connection().send_messages([message]) or 0
    except OSError as error:
        logger.error("Saved-search emails could not be sent: %s", error.__class__.__name__)
        return 0

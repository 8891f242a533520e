"""E-mails to a delegation when its membership changes, sent by the task worker.

The message says which step the membership took, and where to sign in; not the reason, not the
letter, nothing from reviews or the scorecard: e-mails are read on phones, forwarded and kept by
mail providers, and a delegation's civil-society members may be the people a backsliding State
watches. Each focal point gets a message of their own, so no one sees the others' addresses.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_tasks import TaskResult, task

from amparo.network import rules
from amparo.network.models import ContactPerson, MembershipChange, status_label

logger = logging.getLogger(__name__)


def membership_changed(change_id: int) -> TaskResult[int]:
    """Queue the e-mails about a membership change (a worker sends them, `settings.TASKS`)."""
    return send_membership_change.enqueue(change_id)


@task()
def send_membership_change(change_id: int) -> int:
    """E-mail every focal point of the delegation who has an address; returns how many."""
    change = MembershipChange.objects.select_related("member").filter(pk=change_id).first()
    if change is None:
        return 0
    member = change.member
    addresses = {
        c.email.strip()
        for c in ContactPerson.objects.filter(member=member).only("email")
        if c.email.strip()
    }
    if not addresses:
        return 0
    with override(settings.LANGUAGE_CODE):
        rule = rules.lifecycle().get(change.transition)
        step = rule.labels.text() if rule else change.transition
        subject = _("[Amparo] Global Network: %(country)s, %(status)s") % {
            "country": member.country_name,
            "status": status_label(change.to_status),
        }
        body = "\n\n".join(
            [
                _(
                    "The membership of %(country)s in the Global Network of focal points on "
                    "human rights defenders has changed on %(date)s: %(step)s. It is now: "
                    "%(status)s."
                )
                % {
                    "country": member.country_name,
                    "date": change.on.isoformat(),
                    "step": step,
                    "status": status_label(change.to_status),
                },
                _("Sign in to Amparo to read the reason and what follows (%(path)s).")
                % {"path": reverse("network:member_detail", args=[member.country])},
                _("This e-mail deliberately contains nothing confidential."),
            ]
        )
    messages = [EmailMessage(subject, body, to=[address]) for address in sorted(addresses)]
    try:
        return get_connection().send_messages(messages) or 0
    except OSError as error:
        logger.error("Network e-mails could not be sent: %s", error.__class__.__name__)
        return 0

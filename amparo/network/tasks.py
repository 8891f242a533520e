"""E-mails to a delegation when its membership changes, sent by the task worker.

The message says which step the membership took, and where to sign in; not the reason, not the
letter, nothing from reviews or the scorecard: e-mails are read on phones, forwarded and kept by
mail providers, and a delegation's civil-society members may be the people a backsliding State
watches. Each focal point gets a message of their own, so no one sees the others' addresses.

The addresses are sealed (issue 16) and the worker holds no key: the step's request reads those
that the keys of the person taking it open, and carries them to the task wrapped under a random
secret that only the task's arguments hold (`carry`); the task deletes them once it has run. While
the task waits, the database holds both (as an import's carried keys). A focal point whose
address the person's keys do not open (a co-chair does not read civil society's) is not e-mailed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_tasks import TaskResult, task

from amparo.core import sealing
from amparo.core.fields import LockedValue
from amparo.network import rules
from amparo.network.models import ContactPerson, MembershipChange, status_label

logger = logging.getLogger(__name__)


def _aad(change_id: int) -> bytes:
    return f"amparo network mail:{change_id}".encode()


def carry(change: MembershipChange) -> str:
    """Wrap the addresses of the delegation's focal points that the keys at hand open under a
    new secret, kept with `change`; returns the secret for the task's arguments ("" when there
    is no address to carry)."""
    addresses = sorted(
        {
            contact.email.strip()
            for contact in ContactPerson.objects.filter(member_id=change.member_id).only(
                "email", "email_key"
            )
            if not isinstance(contact.email, LockedValue) and contact.email.strip()
        }
    )
    if not addresses:
        return ""
    secret = sealing.new_secret()
    change.carried_addresses = sealing.wrap(secret, json.dumps(addresses).encode(), _aad(change.pk))
    change.save(update_fields=["carried_addresses"])
    return base64.urlsafe_b64encode(secret).decode()


def membership_changed(change_id: int, secret: str = "") -> TaskResult[int]:
    """Queue the e-mails about a membership change (a worker sends them, `settings.TASKS`)."""
    return send_membership_change.enqueue(change_id, secret)


def _carried(change: MembershipChange, secret: str) -> list[str]:
    if not change.carried_addresses or not secret:
        return []
    try:
        opened = sealing.unwrap(
            base64.urlsafe_b64decode(secret), change.carried_addresses, _aad(change.pk)
        )
    except (sealing.SealingError, binascii.Error, ValueError):
        return []
    return [str(address) for address in json.loads(opened)]


@task()
def send_membership_change(change_id: int, secret: str = "") -> int:
    """E-mail every focal point whose address the change carries (`carry`); returns how
    many. The carried addresses are deleted, sent or not."""
    change = MembershipChange.objects.select_related("member").filter(pk=change_id).first()
    if change is None:
        return 0
    member = change.member
    addresses = set(_carried(change, secret))
    MembershipChange.objects.filter(pk=change.pk).update(carried_addresses=None)
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

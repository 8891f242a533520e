"""Emails telling intake handlers that something arrived, with no report content at all.

The email names the organisation and where to look; not the danger, the place, the kind of act
or anything else a reporter wrote or chose, because mailboxes are read on phones, forwarded and
kept by mail providers. Each handler gets a message of their own, so no one sees the others'
addresses. It is queued once the submission is committed and sent by the task worker, so the
reporter does not wait for the mail server, and a mail failure never undoes the submission.
The mail server will know when it was sent, to the second: keep the mail server in the same
trust boundary as this one.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_tasks import TaskResult, task

from amparo.core.models import Organisation
from amparo.intake import access
from amparo.intake.models import Recipient

logger = logging.getLogger(__name__)


def new_report(submission_id: uuid.UUID, *, reply: bool) -> TaskResult[int]:
    """Queue the emails about a new report (or a reporter's reply): a task worker sends them,
    outside the request (`settings.TASKS`)."""
    return send_new_report.enqueue(str(submission_id), reply)


@task()
def send_new_report(submission_id: str, reply: bool) -> int:
    """Email every handler of the submission's recipient organisations; returns how many."""
    recipients = Recipient.objects.filter(submission_id=submission_id).select_related(
        "organisation"
    )
    messages = []
    seen: set[str] = set()
    with override(settings.LANGUAGE_CODE):
        for recipient in recipients:
            organisation = recipient.organisation
            if reply:
                subject = _("[Amparo] A reporter has written again")
                lead = _("A reporter has added a message or files to a report for %(org)s.")
            else:
                subject = _("[Amparo] New report in the intake inbox")
                lead = _("A new report has arrived for %(org)s.")
            body = "\n\n".join(
                [
                    lead % {"org": organisation.name},
                    _("Sign in to Amparo and open the intake inbox (%(path)s) to read it.")
                    % {"path": reverse("intake:inbox")},
                    _("This email deliberately contains nothing from the report."),
                ]
            )
            handlers = access.handlers_of(Organisation.objects.filter(pk=organisation.pk))
            for email in handlers.exclude(email="").values_list("email", flat=True):
                if email not in seen:
                    seen.add(email)
                    messages.append(EmailMessage(subject, body, to=[email]))
    if not messages:
        return 0
    try:
        return get_connection().send_messages(messages) or 0
    except OSError as error:
        logger.error("Intake notification emails could not be sent: %s", error.__class__.__name__)
        return 0

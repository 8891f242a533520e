"""What several intake services share: today's date, row locks, positions, text checks, and
telling handlers that something arrived."""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from amparo.intake import conf, notifications
from amparo.intake.models import Submission


def today() -> datetime.date:
    return timezone.localdate()


def locked(submission: Submission) -> Submission:
    """The submission read again under a row lock (inside a transaction)."""
    return (
        Submission.objects.select_for_update().select_related("organisation").get(pk=submission.pk)
    )


def next_position(submission: Submission) -> int:
    """The next position for a message or file of `submission` (saved by the caller)."""
    submission.last_position += 1
    return submission.last_position


def check_length(body: str, message: str) -> None:
    """A message or note body the database and the pages can take."""
    if len(body) > conf.MAX_TEXT_CHARS or "\x00" in body:
        raise ValidationError({"body": message})


def notify_handlers(submission_id: uuid.UUID, *, reply: bool) -> None:
    """Once the transaction commits, tell the handlers that a report or a reply arrived."""
    transaction.on_commit(lambda: notifications.new_report(submission_id, reply=reply), robust=True)

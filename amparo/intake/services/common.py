"""What several intake services share: today's date, row locks, positions, text checks, and
telling handlers that something arrived."""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from amparo.core import custody
from amparo.core.models import DataKey
from amparo.intake import access, conf, notifications
from amparo.intake.models import Submission


def today() -> datetime.date:
    return timezone.localdate()


def locked(submission: Submission) -> Submission:
    """The submission read again under a row lock (inside a transaction)."""
    return (
        Submission.objects.select_for_update().select_related("organisation").get(pk=submission.pk)
    )


def new_submission_key(submission: Submission) -> DataKey:
    """A new data key for `submission`'s content, sealed to every organisation it is routed to
    (with the receiving organisation's key as owner); open in this request."""
    data_key = custody.new_data_key(
        submission.organisation, access.SEALED_LEVEL, access.KEY_PURPOSE
    )
    raw = custody.require_data_key(data_key.pk)
    for recipient in submission.recipients.select_related("organisation"):
        if recipient.organisation_id != submission.organisation_id:
            custody.share_data_key(data_key, raw, recipient.organisation)
    return data_key


def row_data_key(submission: Submission) -> uuid.UUID | None:
    """The data key for a new message, note or file of `submission`: the submission's own when
    it is open here. When it is not (a reporter whose receipt opens no copy, for a report moved
    from the key ring; a handler whose key grant is pending), a new one sealed to every
    organisation the report is routed to, so that whoever may write can, without reading. None
    for a report not yet moved from the key ring (`amparo keys migrate`)."""
    if submission.data_key_id is None:
        return None
    if custody.open_data_key(submission.data_key_id) is not None:
        return submission.data_key_id
    return new_submission_key(submission).pk


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

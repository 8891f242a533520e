"""Closed submissions are deleted after the retention period, leaving one audit line each."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.models import DataKey
from amparo.core.services import DomainError
from amparo.intake import conf
from amparo.intake.models import Status, Submission
from amparo.intake.services.common import today


@dataclass(frozen=True)
class PurgeReport:
    purged: int
    cutoff: datetime.date


def purgeable(days: int, on: datetime.date | None = None) -> QuerySet[Submission]:
    cutoff = (on or today()) - datetime.timedelta(days=days)
    return Submission.objects.filter(status=Status.CLOSED, closed_on__lt=cutoff)


def purge(days: int | None = None, *, on: datetime.date | None = None) -> PurgeReport:
    """Delete closed submissions closed more than `days` days ago, with their messages, files
    and notes, leaving one audit line each. Only an operator with shell access runs it."""
    days = conf.retention_days() if days is None else days
    if days < 0:
        raise DomainError(_("The number of days cannot be negative."))
    cutoff = (on or today()) - datetime.timedelta(days=days)
    if connection.vendor == "sqlite":
        # Overwrite freed pages, so deleted reports do not linger in the database file.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    purged = 0
    for pk in list(purgeable(days, on).values_list("pk", flat=True)):
        with transaction.atomic():
            submission = Submission.objects.select_for_update().filter(pk=pk).first()
            if submission is None or submission.status != Status.CLOSED:
                continue
            audit.record(
                None,
                "intake.purge",
                submission,
                changes={
                    "closed_on": submission.closed_on,
                    "retention_days": days,
                    "messages": submission.messages.count(),
                    "files": submission.attachments.count(),
                    "event": submission.event_id,
                },
            )
            data_keys = _data_keys_of(submission)
            submission.delete()
            # Crypto-shredding: with the data keys gone, no copy of the rows opens either.
            DataKey.objects.filter(pk__in=data_keys).delete()
            purged += 1
    return PurgeReport(purged=purged, cutoff=cutoff)


def _data_keys_of(submission: Submission) -> set[uuid.UUID]:
    keys = {submission.data_key_id}
    for rows in (submission.messages, submission.notes, submission.attachments):
        keys.update(rows.values_list("data_key_id", flat=True))
    return {key for key in keys if key is not None}

"""Retention: closed submissions go after the configured number of days, leaving an audit line."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from amparo.core.models import AuditEntry, Organisation, User
from amparo.intake import sanitise
from amparo.intake.models import Attachment, AttachmentBlob, Message, Note, Recipient, Submission
from amparo.intake.services import case_opening, handling, retention
from tests.factories import intake_report

pytestmark = pytest.mark.django_db


def closed_days_ago(days: int, documentalist: User) -> Submission:
    submission, _ = intake_report(files=[sanitise.clean("a.txt", b"evidence")])
    handling.staff_reply(documentalist, submission, "Closing now.")
    handling.add_note(documentalist, submission, "Nothing more to do.")
    handling.set_status(documentalist, submission, "closed")
    Submission.objects.filter(pk=submission.pk).update(
        closed_on=datetime.date.today() - datetime.timedelta(days=days)
    )
    return submission


def test_closed_submissions_past_retention_are_deleted_with_everything_they_hold(
    receiving: Organisation, documentalist: User
) -> None:
    old = closed_days_ago(31, documentalist)
    recent = closed_days_ago(29, documentalist)
    still_open, _ = intake_report()
    report = retention.purge(30)
    assert report.purged == 1
    assert set(Submission.objects.all()) == {recent, still_open}
    for model in (Attachment, AttachmentBlob, Message, Note, Recipient):
        assert not model.objects.filter(**_belongs_to(model, old)).exists()
    entry = AuditEntry.objects.get(action="intake.purge")
    assert entry.object_id == str(old.pk)
    assert entry.organisation == receiving
    assert entry.changes["messages"] == 1 and entry.changes["files"] == 1
    assert "Closing now" not in str(entry.changes)


def _belongs_to(model: Any, submission: Submission) -> dict[str, object]:
    if model is AttachmentBlob:
        return {"attachment__submission_id": submission.pk}
    return {"submission_id": submission.pk}


def test_the_command_uses_the_configured_retention(
    receiving: Organisation, documentalist: User, settings: Any
) -> None:
    settings.AMPARO_INTAKE_RETENTION_DAYS = 10
    closed_days_ago(11, documentalist)
    closed_days_ago(5, documentalist)
    out = StringIO()
    call_command("intake", "purge", "--dry-run", stdout=out)
    assert "1 closed submission(s)" in out.getvalue()
    assert Submission.objects.count() == 2
    out = StringIO()
    call_command("intake", "purge", stdout=out)
    assert "Deleted 1 closed submission(s)" in out.getvalue()
    assert Submission.objects.count() == 1


def test_purging_a_submission_keeps_the_case_opened_from_it(
    receiving: Organisation, documentalist: User
) -> None:
    submission = closed_days_ago(400, documentalist)
    handling.set_status(documentalist, submission, "under_review")
    event = case_opening.open_case(documentalist, submission, receiving)
    handling.set_status(documentalist, submission, "closed")
    Submission.objects.filter(pk=submission.pk).update(closed_on=datetime.date(2000, 1, 1))
    retention.purge(30)
    event.refresh_from_db()
    assert not event.intake_submissions.exists()
    assert event.sources.exists()


def test_a_negative_retention_is_refused(db: None) -> None:
    with pytest.raises(CommandError):
        call_command("intake", "purge", "--days", "-1")

"""Notification emails are a task: queued when a report is committed, sent by the worker (in
production, from the database), never inside the reporter's request."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from amparo.core.models import Organisation
from amparo.intake import notifications
from tests.factories import intake_report
from tests.intake.conftest import handler

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_with_the_database_backend_the_email_waits_for_the_worker(
    receiving: Organisation,
) -> None:
    someone = handler(receiving)
    someone.email = "doc@example.org"
    someone.save()
    submission, _receipt = intake_report()
    mail.outbox.clear()
    with override_settings(TASKS=DATABASE_TASKS):
        result = notifications.new_report(submission.pk, reply=False)
        assert result.status == "READY"
        assert mail.outbox == []
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
        result.refresh()
        assert result.return_value == 1
    assert [message.to for message in mail.outbox] == [["doc@example.org"]]
    assert "nothing from the report" in mail.outbox[0].body

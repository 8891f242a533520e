"""The handlers' work on a submission: reading, assigning, answering, notes, status and marks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.intake import access, queries
from amparo.intake.models import Disposition, Message, Note, Recipient, Status, Submission
from amparo.intake.services.common import (
    check_length,
    locked,
    next_position,
    row_data_key,
    today,
)


@transaction.atomic
def open_submission(actor: User, submission: Submission) -> None:
    """Staff read the submission: it is no longer unread for their organisations; audited."""
    access.require(actor, access.VIEW, submission)
    Recipient.objects.filter(
        submission=submission, organisation__in=access.handled_organisations(actor), unread=True
    ).update(unread=False)
    audit.record(actor, "intake.view", submission)


@transaction.atomic
def assign(actor: User, submission: Submission, assignee: User | None) -> Submission:
    access.require(actor, access.ASSIGN, submission)
    submission = locked(submission)
    if (
        assignee is not None
        and not queries.handlers_for(submission).filter(pk=assignee.pk).exists()
    ):
        raise DomainError(_("This person does not handle reports for this organisation."))
    previous = submission.assigned_to
    submission.assigned_to = assignee
    if assignee is not None and submission.status == Status.RECEIVED:
        submission.status = Status.UNDER_REVIEW
    submission.save(update_fields=["assigned_to", "status"])
    audit.record(
        actor,
        "intake.assign",
        submission,
        changes={
            "assigned_to": {
                "from": previous.username if previous else None,
                "to": assignee.username if assignee else None,
            }
        },
    )
    return submission


def set_status_fields(submission: Submission, status: str) -> None:
    """Set the status, and the closing date with it (the caller saves)."""
    submission.status = status
    submission.closed_on = today() if status == Status.CLOSED else None


@transaction.atomic
def set_status(actor: User, submission: Submission, status: str) -> Submission:
    access.require(actor, access.SET_STATUS, submission)
    if status not in Status.values:
        raise DomainError(_("Unknown status."))
    submission = locked(submission)
    if status == Status.CASE_OPENED and submission.event_id is None:
        raise DomainError(_("Open a case from the report to give it this status."))
    previous = submission.status
    if previous == status:
        return submission
    set_status_fields(submission, status)
    submission.save(update_fields=["status", "closed_on"])
    audit.record(
        actor, "intake.status", submission, changes={"status": {"from": previous, "to": status}}
    )
    return submission


@transaction.atomic
def mark(
    actor: User,
    submission: Submission,
    disposition: str,
    duplicate_of: Submission | None = None,
) -> Submission:
    """Mark as spam or as a duplicate (which closes it), or back as genuine (which reopens it)."""
    access.require(actor, access.MARK, submission)
    if disposition not in Disposition.values:
        raise DomainError(_("Unknown disposition."))
    submission = locked(submission)
    if disposition == Disposition.DUPLICATE:
        if duplicate_of is None:
            raise DomainError(_("Say which report this one duplicates."))
        if duplicate_of.pk == submission.pk:
            raise DomainError(_("A report cannot duplicate itself."))
        if not access.can(actor, access.VIEW, duplicate_of):
            raise DomainError(_("There is no such report in your inbox."))
    else:
        duplicate_of = None
    previous = submission.disposition
    submission.disposition = disposition
    submission.duplicate_of = duplicate_of
    if disposition and submission.status != Status.CLOSED:
        set_status_fields(submission, Status.CLOSED)
    elif not disposition and previous and submission.status == Status.CLOSED:
        set_status_fields(submission, Status.UNDER_REVIEW)
    submission.save(update_fields=["disposition", "duplicate_of", "status", "closed_on"])
    audit.record(
        actor,
        "intake.mark",
        submission,
        changes={
            "disposition": {"from": previous, "to": disposition},
            "duplicate_of": str(duplicate_of.pk) if duplicate_of else None,
        },
    )
    return submission


@transaction.atomic
def staff_reply(actor: User, submission: Submission, body: str) -> Message:
    """A message the reporter will read on the follow-up page."""
    access.require(actor, access.REPLY, submission)
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the message.")})
    check_length(body, _("This message is too long or contains a bad character."))
    submission = locked(submission)
    message = Message.objects.create(
        submission=submission,
        data_key_id=row_data_key(submission),
        position=next_position(submission),
        author_kind=Message.Author.STAFF,
        author=actor,
        body=body,
        sent_on=today(),
    )
    if submission.status == Status.RECEIVED:
        submission.status = Status.UNDER_REVIEW
    submission.save(update_fields=["last_position", "status"])
    audit.record(actor, "intake.reply", submission, changes={"message": message.position})
    return message


@transaction.atomic
def add_note(actor: User, submission: Submission, body: str) -> Note:
    access.require(actor, access.NOTE, submission)
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the note.")})
    check_length(body, _("This note is too long or contains a bad character."))
    note = Note.objects.create(
        submission=submission, author=actor, body=body, data_key_id=row_data_key(submission)
    )
    audit.record(actor, "intake.note", submission, changes={"note": note.pk})
    return note


@transaction.atomic
def record_communication(actor: User, submission: Submission, sent: bool) -> Submission:
    """Record whether a communication or appeal was sent; the reporter is told that (only)."""
    access.require(actor, access.RECORD_COMMUNICATION, submission)
    submission = locked(submission)
    if submission.communication_sent == sent:
        return submission
    submission.communication_sent = sent
    if sent and submission.status in (Status.RECEIVED, Status.UNDER_REVIEW, Status.CASE_OPENED):
        submission.status = Status.ACTION_TAKEN
    submission.save(update_fields=["communication_sent", "status"])
    audit.record(actor, "intake.communication", submission, changes={"sent": sent})
    return submission

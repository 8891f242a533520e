"""A reporter comes back with the receipt: the report is found, and they reply or add files."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.core import custody, keychain
from amparo.core.services import DomainError
from amparo.intake import conf, receipts, sanitise
from amparo.intake.models import Message, Status, Submission
from amparo.intake.services.attachments import FilesRejected, store_files
from amparo.intake.services.common import (
    check_length,
    next_position,
    notify_handlers,
    row_data_key,
    today,
)


def find_by_receipt(text: str) -> Submission | None:
    """The submission this receipt opens, or None. A well-formed receipt is always hashed, so
    the time taken does not tell whether it exists. The receipt also opens the submission's
    data key for the rest of the request (`receipt_data_key`), so its messages can be read."""
    normalised = receipts.normalise(text)
    if normalised is None:
        return None
    digest = receipts.hash_receipt(normalised)
    submission = (
        Submission.objects.select_related("organisation").filter(receipt_hash=digest).first()
    )
    if submission is not None and submission.data_key_id is not None:
        custody.open_with_secret(
            submission.data_key_id, receipts.secret(normalised), receipts.DATA_KEY_INFO
        )
    return submission


def receipt_data_key(submission: Submission) -> bytes | None:
    """The submission's data key if the reporter's receipt opened it in this request."""
    if submission.data_key_id is None:
        return None
    return keychain.current().data_keys.get(submission.data_key_id)


def reopen_data_key(submission: Submission, raw: bytes | None) -> None:
    """Put back a data key the reporter's page carried (`tokens.grant_access`) for this request."""
    if raw is not None and submission.data_key_id is not None:
        keychain.current().data_keys[submission.data_key_id] = raw


@transaction.atomic
def reporter_reply(
    submission_id: uuid.UUID, body: str, uploads: Sequence[sanitise.CleanFile]
) -> Message | None:
    """The reporter writes back and/or adds files. Returns the message (None for files only)."""
    submission = Submission.objects.select_for_update().get(pk=submission_id)
    body = body.strip()
    if submission.status == Status.CLOSED:
        raise DomainError(
            _(
                "This report is closed, so it cannot receive messages or files any more. "
                "If something new happened, please send a new report."
            )
        )
    if not body and not uploads:
        raise ValidationError({"body": _("Write a message or add a file.")})
    check_length(body, _("This message is too long or contains a bad character."))
    if submission.attachments.count() + len(uploads) > conf.MAX_FILES_PER_SUBMISSION:
        raise FilesRejected(
            [
                _("A report can hold at most %(count)d files.")
                % {"count": conf.MAX_FILES_PER_SUBMISSION}
            ]
        )
    written_on = today()
    message = None
    if body:
        message = Message.objects.create(
            submission=submission,
            data_key_id=row_data_key(submission),
            position=next_position(submission),
            author_kind=Message.Author.REPORTER,
            body=body,
            sent_on=written_on,
        )
    store_files(submission, uploads, message=message, today=written_on)
    submission.reporter_active_on = written_on
    submission.save(update_fields=["reporter_active_on", "last_position"])
    submission.recipients.update(unread=True)
    notify_handlers(submission.pk, reply=True)
    return message

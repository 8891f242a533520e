"""`amparo keys migrate` for intake: reports under the server's key ring move to data keys.

Each report not yet moved gets its own data key, sealed to the receiving organisation's key and
to every organisation it was routed to; its identifying answers, messages, notes and files'
names, digests and keys are read with the ring and written again under the data key. It needs no
person's key (it seals to public keys). A reporter's receipt cannot open the new data key (the
receipt is stored only as a hash): such a reporter still sees the status, and what they write
is sealed to the organisations (see `common.row_data_key`).
"""

from __future__ import annotations

from django.db import transaction

from amparo.core import custody, keychain
from amparo.intake.models import Attachment, Message, Note, Submission
from amparo.intake.services.common import new_submission_key


def move_to_data_keys(batch_size: int) -> int:
    """Move up to `batch_size` reports (with their rows) in one transaction; how many moved."""
    with keychain.using(keychain.Keychain()), transaction.atomic():
        batch = list(
            Submission.objects.select_for_update()
            .select_related("organisation")
            .filter(data_key__isnull=True)
            .order_by("pk")[:batch_size]
        )
        for submission in batch:
            data_key = new_submission_key(submission)
            submission.data_key = data_key
            submission.save(update_fields=["data_key", *custody.sealed_field_names(Submission)])
            row_model: type[Message] | type[Note] | type[Attachment]
            for row_model in (Message, Note, Attachment):
                fields = ["data_key", *custody.sealed_field_names(row_model)]
                for row in row_model.objects.filter(submission=submission, data_key__isnull=True):
                    row.data_key = data_key
                    row.save(update_fields=fields)
    return len(batch)

"""`amparo keys migrate`: reports under the key ring move to data keys sealed to organisations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db.models import TextField
from django.db.models.functions import Cast

from amparo.core import crypto, keychain, keys
from amparo.core.fields import LockedValue
from amparo.core.models import AuditEntry, Organisation, User
from amparo.intake import sanitise
from amparo.intake.models import Attachment, Message, Submission
from amparo.intake.services import attachments, handling
from tests.factories import intake_report
from tests.keys import own_copy_of_the_ring

pytestmark = pytest.mark.django_db

SEALED = ["what_happened", "victim_name", "perpetrator", "danger_details", "contact_method"]


def raw(model: Any, pk: object, column: str) -> str:
    return str(
        model.objects.filter(pk=pk)
        .annotate(raw=Cast(column, output_field=TextField()))
        .values_list("raw", flat=True)
        .get()
    )


def back_under_the_ring(submission: Submission) -> None:
    """Make `submission` and its rows as they were before issue 16: ring ciphertexts, no data
    key (a LockedValue is written as it is)."""
    for model, rows in (
        (Submission, [submission]),
        (Message, list(submission.messages.all())),
        (Attachment, list(submission.attachments.all())),
    ):
        for row in rows:
            values = {}
            for field in model._meta.concrete_fields:
                if getattr(field, "sealed_by", None):
                    plaintext = field.encode(getattr(row, field.attname))  # type: ignore[attr-defined]
                    values[field.attname] = LockedValue(
                        crypto.encrypt_text(plaintext, field.purpose)  # type: ignore[attr-defined]
                    )
            model.objects.filter(pk=row.pk).update(data_key=None, **values)


def test_migrate_moves_ring_reports_to_data_keys_resumably_then_retires_the_old_key(
    receiving: Organisation, documentalist: User, settings: Any, tmp_path: Path
) -> None:
    own_copy_of_the_ring(settings, tmp_path)
    first, _receipt = intake_report(
        victim_name="Rosa Huanca", files=[sanitise.clean("a.txt", b"the letter")]
    )
    handling.staff_reply(documentalist, first, "Are you safe?")
    second, _receipt = intake_report(what_happened="A second report")
    for submission in (first, second):
        back_under_the_ring(submission)
    old_key = crypto.keyring().primary_id
    assert crypto.key_id_of(raw(Submission, first.pk, "what_happened")) == old_key
    keys.rotate()  # the ring's own rotation moves them to a new ring key, as before issue 16
    ring_key = crypto.reload_keyring().primary_id

    steps: list[keys.MigrationStep] = []
    result = keys.migrate(batch_size=1, progress=steps.append)

    assert result.moved["intake"] == 2 and sum(result.moved.values()) == 2
    assert [step.records for step in steps] == [1, 1]  # one committed batch at a time
    assert result.retired == [old_key]
    assert set(crypto.reload_keyring().of(crypto.Purpose.DATA)) == {ring_key}
    first.refresh_from_db()
    assert first.data_key_id is not None
    for column in SEALED:
        assert raw(Submission, first.pk, column).startswith(f"amp2:{first.data_key_id.hex}:")
    message = first.messages.get()
    assert message.data_key_id == first.data_key_id and message.body == "Are you safe?"
    attachment = first.attachments.get()
    assert raw(Attachment, attachment.pk, "file_key").startswith("amp2:")
    assert attachments.read_attachment(documentalist, attachment) == b"the letter"
    assert first.victim_name == "Rosa Huanca"
    # Without a key the moved report is locked: the ring no longer opens it.
    with keychain.using(keychain.Keychain()):
        assert isinstance(Submission.objects.get(pk=first.pk).victim_name, LockedValue)
    # Running it again finds nothing left, and says so in the log.
    assert not any(keys.migrate().moved.values())
    entries = AuditEntry.objects.filter(action="keys.migrate").order_by("pk")
    assert [entry.changes["moved"]["intake"] for entry in entries] == [2, 0]


def test_the_keys_migrate_command_reports_what_it_moved(
    receiving: Organisation, settings: Any, tmp_path: Path
) -> None:
    from io import StringIO

    from django.core.management import call_command

    own_copy_of_the_ring(settings, tmp_path)
    submission, _receipt = intake_report()
    back_under_the_ring(submission)
    out = StringIO()
    call_command("keys", "migrate", "--batch-size", "10", stdout=out)
    assert "intake: 1 records now sealed with data keys." in out.getvalue()
    submission.refresh_from_db()
    assert submission.data_key_id is not None

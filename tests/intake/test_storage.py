"""How files and receipts are kept: envelope encryption under the key ring, rotation, metadata."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.db.models import TextField
from django.db.models.functions import Cast
from PIL import Image

from amparo.core import access as core_access
from amparo.core import crypto, keys, sealing
from amparo.core.models import Organisation, User
from amparo.intake import files, sanitise
from amparo.intake.models import Attachment, AttachmentBlob
from amparo.intake.services import attachments, follow_up
from tests.factories import OrganisationFactory, intake_report
from tests.intake.conftest import handler
from tests.keys import own_copy_of_the_ring


def _pdf_with_metadata() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = "Investigator Name"
    with pdf.open_metadata() as meta:
        meta["dc:creator"] = ["Investigator Name"]
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")
    )
    buffer = io.BytesIO()
    pdf.save(buffer, compress_streams=False)
    return buffer.getvalue()


def test_pdf_metadata_and_document_scripts_are_removed() -> None:
    original = _pdf_with_metadata()
    assert b"Investigator Name" in original
    cleaned = sanitise.clean("statement.PDF", original)
    assert cleaned.name == "statement.pdf" and cleaned.media_type == "application/pdf"
    assert b"Investigator" not in cleaned.data and b"/JavaScript" not in cleaned.data
    with pikepdf.open(io.BytesIO(cleaned.data)) as pdf:
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
        assert len(pdf.pages) == 1


def test_a_pdf_with_embedded_files_or_a_password_is_refused_with_its_reason() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.attachments["hidden.txt"] = pikepdf.AttachedFileSpec(pdf, b"inner file")
    buffer = io.BytesIO()
    pdf.save(buffer)
    with pytest.raises(sanitise.Rejected, match="embedded"):
        sanitise.clean("a.pdf", buffer.getvalue())
    locked = io.BytesIO()
    pikepdf.new().save(locked, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    with pytest.raises(sanitise.Rejected, match="password"):
        sanitise.clean("b.pdf", locked.getvalue())


@pytest.mark.parametrize(
    "kind,mode,stored",
    [
        ("JPEG", "RGB", "image/jpeg"),
        ("WEBP", "RGB", "image/jpeg"),
        ("PNG", "RGBA", "image/png"),
        ("GIF", "P", "image/png"),
    ],
)
def test_images_are_re_encoded_from_their_pixels_without_metadata(
    kind: str, mode: str, stored: str
) -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"
    image = Image.new(mode, (8, 6))
    buffer = io.BytesIO()
    if kind == "GIF":
        image.save(buffer, kind, comment=b"SecretComment")
    else:
        image.save(buffer, kind, exif=exif)
    cleaned = sanitise.clean(f"picture.{kind.lower()}", buffer.getvalue())
    assert cleaned.media_type == stored
    assert b"SecretCamera" not in cleaned.data and b"SecretComment" not in cleaned.data
    assert Image.open(io.BytesIO(cleaned.data)).size == (8, 6)


def test_the_camera_orientation_is_applied_before_the_tag_is_dropped() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20)).save(buffer, "JPEG", exif=exif)
    cleaned = sanitise.clean("a.jpg", buffer.getvalue())
    assert Image.open(io.BytesIO(cleaned.data)).size == (20, 40)


def test_a_decompression_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from amparo.intake import conf

    monkeypatch.setattr(conf, "MAX_IMAGE_PIXELS", 100)
    buffer = io.BytesIO()
    Image.new("L", (50, 50)).save(buffer, "PNG")
    with pytest.raises(sanitise.Rejected, match="too many pixels"):
        sanitise.clean("bomb.png", buffer.getvalue())


def test_file_names_lose_paths_direction_overrides_and_their_false_extension() -> None:
    assert sanitise.clean("C:\\Users\\ana\\invoice\u202etxt.exe", b"text").name == (
        "invoicetxt.txt"
    )
    assert sanitise.clean("../../etc/passwd", b"root").name == "passwd.txt"


def test_a_sealed_file_cannot_be_moved_to_another_row() -> None:
    import uuid

    key = files.new_key()
    first, second = uuid.uuid4(), uuid.uuid4()
    sealed = files.seal(first, key, b"evidence")
    assert files.unseal(first, key, sealed) == b"evidence"
    with pytest.raises(files.SealError):
        files.unseal(second, key, sealed)


@pytest.mark.django_db
def test_key_rotation_leaves_sealed_file_keys_alone_and_keeps_files_and_receipts_readable(
    receiving: Organisation, documentalist: User, settings: Any, tmp_path: Path
) -> None:
    own_copy_of_the_ring(settings, tmp_path)
    submission, receipt = intake_report(files=[sanitise.clean("a.txt", b"the letter")])
    attachment = Attachment.objects.get()
    blob_before = bytes(AttachmentBlob.objects.get().sealed)
    old_key = crypto.keyring().primary_id

    def stored_file_key() -> str:
        return str(
            Attachment.objects.filter(pk=attachment.pk)
            .annotate(raw=Cast("file_key", output_field=TextField()))
            .values_list("raw", flat=True)
            .get()
        )

    sealed_before = stored_file_key()
    keys.rotate()

    new_key = crypto.reload_keyring().primary_id
    assert new_key != old_key
    # The file key is sealed with the report's data key (issue 16), which the ring does not hold.
    assert sealing.data_key_id_of(sealed_before) == submission.data_key_id
    assert stored_file_key() == sealed_before
    assert bytes(AttachmentBlob.objects.get().sealed) == blob_before  # not rewritten
    attachment.refresh_from_db()
    assert attachments.read_attachment(documentalist, attachment) == b"the letter"
    assert follow_up.find_by_receipt(receipt.receipt) == submission


@pytest.mark.django_db
def test_the_audit_trail_of_a_report_is_readable_by_its_handlers_only(
    receiving: Organisation, documentalist: User
) -> None:
    submission, _ = intake_report()
    outsider = handler(OrganisationFactory())
    assert core_access.can_view_trail(documentalist, "intake.submission", str(submission.pk))
    assert not core_access.can_view_trail(outsider, "intake.submission", str(submission.pk))
    assert not core_access.can_view_trail(documentalist, "intake.submission", "not-a-uuid")

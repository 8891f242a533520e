"""Files: checked and stripped of metadata before storage, stored sealed, read back by staff."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.intake import access, conf, files, pixels, sanitise
from amparo.intake.models import Attachment, AttachmentBlob, Message, Submission
from amparo.intake.services.common import next_position, row_data_key


@dataclass(frozen=True)
class Upload:
    """A file as the reporter sent it (name and bytes), before it is checked."""

    name: str
    data: bytes


class FilesRejected(DomainError):
    """One or more files cannot be accepted; `reasons` has one message per file."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def too_many_files() -> str:
    return _("You can send at most %(count)d files at a time.") % {"count": conf.MAX_FILES}


def prepare_files(uploads: Iterable[Upload]) -> list[sanitise.CleanFile]:
    """Every upload checked and stripped of metadata, or FilesRejected naming each bad file.

    One file is in hand at a time (an upload's bytes are let go once cleaned), and all their
    pictures together have at most conf.MAX_REQUEST_IMAGE_PIXELS to decode."""
    cleaned: list[sanitise.CleanFile] = []
    reasons: list[str] = []
    budget = pixels.PixelBudget(conf.MAX_REQUEST_IMAGE_PIXELS)
    for count, upload in enumerate(uploads, start=1):
        if count > conf.MAX_FILES:
            raise FilesRejected([too_many_files()])
        if len(upload.data) > conf.MAX_FILE_BYTES:
            reasons.append(
                _("“%(name)s” is larger than %(size)d MB.")
                % {
                    "name": sanitise.display_name(upload.name),
                    "size": conf.MAX_FILE_BYTES // (1024 * 1024),
                }
            )
            continue
        try:
            cleaned.append(sanitise.clean(upload.name, upload.data, budget))
        except sanitise.Rejected as rejected:
            reasons.append(str(rejected))
        del upload
    if reasons:
        raise FilesRejected(reasons)
    return cleaned


def store_files(
    submission: Submission,
    uploads: Iterable[sanitise.CleanFile],
    *,
    message: Message | None,
    today: datetime.date,
) -> int:
    """Seal and store each file (inside the caller's transaction); returns how many."""
    count = 0
    data_key_id = message.data_key_id if message is not None else row_data_key(submission)
    for upload in uploads:
        key = files.new_key()
        attachment = Attachment(
            submission=submission,
            data_key_id=data_key_id,
            message=message,
            position=next_position(submission),
            name=upload.name,
            media_type=upload.media_type,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            file_key=key,
            added_on=today,
            quarantine=upload.quarantine,
        )
        attachment.save(force_insert=True)
        AttachmentBlob.objects.create(
            attachment=attachment, sealed=files.seal(attachment.pk, key, upload.data)
        )
        count += 1
    Submission.objects.filter(pk=submission.pk).update(last_position=submission.last_position)
    return count


def quarantine_warning(attachment: Attachment) -> str:
    return _(
        "“%(name)s” could not be cleaned of hidden information (%(reason)s), so it is kept "
        "closed and cannot be downloaded. Ask the reporter to send it another way, for example "
        "as photos of its pages."
    ) % {"name": attachment.name, "reason": attachment.get_quarantine_display()}


def read_attachment(actor: User, attachment: Attachment) -> bytes:
    """The decrypted file, for a handler; every download is audited. A quarantined file is
    never given out: it was not cleaned."""
    access.require(actor, access.DOWNLOAD, attachment.submission)
    if attachment.quarantine:
        raise DomainError(quarantine_warning(attachment))
    blob = AttachmentBlob.objects.get(attachment=attachment)
    try:
        data = files.unseal(attachment.pk, attachment.file_key, bytes(blob.sealed))
    except files.SealError:
        raise DomainError(_("This file cannot be decrypted: it is damaged.")) from None
    audit.record(
        actor,
        "intake.download",
        attachment.submission,
        changes={"file": attachment.position},
    )
    return data

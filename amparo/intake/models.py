"""Submissions from the public reporting page, their messages, files and staff notes.

What a reporter wrote or chose is encrypted (`EncryptedTextField`, `EncryptedJSONField`). In the
clear are only what the inbox must sort and route by (status, danger, whom the report is about),
the consent choices, and dates without a time of day. Rows a reporter writes have random UUID
keys and a position within their submission, never a global sequence number or a timestamp.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from amparo.cases.models import DatePrecision
from amparo.core.fields import EncryptedJSONField, EncryptedTextField
from amparo.core.models import DataKey, Organisation, User


class Status(models.TextChoices):
    """What the reporter is told. Staff move a submission through these."""

    RECEIVED = "received", _("Received")
    UNDER_REVIEW = "under_review", _("Under review")
    CASE_OPENED = "case_opened", _("Case opened")
    ACTION_TAKEN = "action_taken", _("Action taken")
    CLOSED = "closed", pgettext_lazy("report status", "Closed")


class Disposition(models.TextChoices):
    GENUINE = "", _("Genuine")
    SPAM = "spam", _("Spam")
    DUPLICATE = "duplicate", _("Duplicate")


class Target(models.TextChoices):
    ME = "me", _("Me")
    SOMEONE_ELSE = "someone_else", _("Someone else")
    ORGANISATION = "organisation", _("An organisation or group")
    NHRI = "nhri", _("A national human rights institution, its members or staff")


class Danger(models.TextChoices):
    YES = "yes", _("Yes")
    UNSURE = "unsure", _("I am not sure")
    NO = "no", _("No")


class ContactMethod(models.TextChoices):
    FOLLOW_UP_ONLY = "follow_up", _("Only through the follow-up page, with my receipt (safest)")
    EMAIL = "email", _("By email")
    PHONE = "phone", _("By phone")
    MESSAGING = "messaging", _("Through a messaging app")
    OTHER = "other", _("Another way")


class Quarantine(models.TextChoices):
    """Why a file could not be cleaned of hidden information, so is stored but never served."""

    NONE = "", _("Cleaned")
    PDF_IMAGE = (
        "pdf_image",
        _("it holds a picture in a format whose hidden information cannot be removed here"),
    )
    PDF_INLINE_IMAGE = "pdf_inline_image", _("a page draws a photo that cannot be re-encoded here")
    PDF_LEFTOVER = (
        "pdf_leftover",
        _("something that could run or reach out was still found after cleaning"),
    )


class Submission(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="intake_submissions",
        verbose_name=_("receiving organisation"),
    )
    receipt_hash = models.CharField(max_length=64, unique=True, editable=False)
    received_on = models.DateField(_("received on"))
    language = models.CharField(_("reporter's language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    disposition = models.CharField(
        _("disposition"), max_length=10, choices=Disposition.choices, blank=True, default=""
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    danger = models.CharField(_("immediate danger"), max_length=10, choices=Danger.choices)
    target = models.CharField(_("who was targeted"), max_length=20, choices=Target.choices)

    # The key that seals this row's identifying content (amparo.core.custody); None for a row
    # still under the server's key ring, until `amparo keys migrate` moves it.
    data_key = models.ForeignKey(
        DataKey, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    # The reporter's answers: identifying ones sealed with the data key; those used for lists,
    # statistics and early warning (date, country, region, types) under the server's key ring.
    what_happened = EncryptedTextField(_("what happened"), sealed_by="data_key")
    incident_date = EncryptedTextField(
        _("when"), blank=True, default="", help_text=_("ISO date, as precise as the reporter knew.")
    )
    incident_date_precision = models.CharField(
        _("date precision"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.UNKNOWN,
    )
    country = EncryptedTextField(_("country"), blank=True, default="")
    region = EncryptedTextField(_("region or place"), blank=True, default="")
    victim_name = EncryptedTextField(
        _("name of whoever was targeted"), blank=True, default="", sealed_by="data_key"
    )
    defender_types = EncryptedJSONField(_("types of defender"), default=list)
    acts = EncryptedJSONField(_("what kind of act"), default=list)
    perpetrator = EncryptedTextField(_("who did it"), blank=True, default="", sealed_by="data_key")
    danger_details = EncryptedTextField(
        _("about the danger"), blank=True, default="", sealed_by="data_key"
    )
    contact_method = EncryptedTextField(
        _("how we may contact them"), blank=True, default="", sealed_by="data_key"
    )
    contact_details = EncryptedTextField(
        _("contact details"), blank=True, default="", sealed_by="data_key"
    )

    # Consent to share the reporter's identity, as given on the form.
    consent_partner = models.BooleanField(_("with a partner organisation"), default=False)
    consent_state = models.BooleanField(_("with the State protection mechanism"), default=False)
    consent_international = models.BooleanField(_("with UN or regional mechanisms"), default=False)
    consent_publication = models.BooleanField(_("published anonymised"), default=False)

    # Staff work.
    assigned_to = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intake_assignments",
        verbose_name=_("assigned to"),
    )
    event = models.ForeignKey(
        "cases.Event",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intake_submissions",
        verbose_name=_("case"),
    )
    communication_sent = models.BooleanField(_("a communication or appeal was sent"), default=False)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    reporter_active_on = models.DateField(_("reporter last active on"))
    # The last position given to a message or file of this submission.
    last_position = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-received_on", "id"]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["status", "closed_on"]),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=~Q(disposition="duplicate") | Q(duplicate_of__isnull=False),
                name="intake_duplicate_names_its_original",
            ),
        ]
        verbose_name = _("intake submission")
        verbose_name_plural = _("intake submissions")

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """A short label for staff; the receipt is never derived from or shown with it."""
        return f"R-{self.id.hex[:8].upper()}"


class Recipient(models.Model):
    """An organisation whose intake handlers see a submission, and whether they have read it."""

    class Reason(models.TextChoices):
        RECEIVING = "receiving", _("Receiving organisation")
        NHRI_REPRISAL = "nhri_reprisal", _("Reprisal against an NHRI: network secretariat")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="recipients")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="intake_recipients"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    unread = models.BooleanField(default=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["submission", "organisation"], name="intake_recipient_once"
            )
        ]
        indexes: ClassVar = [models.Index(fields=["organisation", "unread"])]

    def __str__(self) -> str:
        return f"{self.submission} → {self.organisation}"


class Message(models.Model):
    """A message between the reporter and staff, shown to both on their pages."""

    class Author(models.TextChoices):
        REPORTER = "reporter", _("Reporter")
        STAFF = "staff", _("Staff")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="messages")
    position = models.PositiveIntegerField()
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The key that seals this row's identifying content (amparo.core.custody); None for a row
    # still under the server's key ring, until `amparo keys migrate` moves it.
    data_key = models.ForeignKey(
        DataKey, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    body = EncryptedTextField(_("message"), sealed_by="data_key")
    sent_on = models.DateField()

    class Meta:
        ordering = ["position"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["submission", "position"], name="intake_message_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission} #{self.position}"


class Attachment(models.Model):
    """A file the reporter sent, stripped of metadata; its sealed bytes are in AttachmentBlob."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    position = models.PositiveIntegerField()
    # The key that seals this row's identifying content (amparo.core.custody); None for a row
    # still under the server's key ring, until `amparo keys migrate` moves it.
    data_key = models.ForeignKey(
        DataKey, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    name = EncryptedTextField(_("file name"), sealed_by="data_key")
    media_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = EncryptedTextField(_("SHA-256 of the stored file"), sealed_by="data_key")
    # The file's own AES-256 key (base64), sealed with the submission's data key.
    file_key = EncryptedTextField(sealed_by="data_key")
    added_on = models.DateField()
    # Set when the file could not be cleaned: it is then kept as sent and never served.
    quarantine = models.CharField(
        _("quarantined because"), max_length=20, choices=Quarantine.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["position"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["submission", "position"], name="intake_attachment_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission} file #{self.position}"


class AttachmentBlob(models.Model):
    """The sealed bytes of one attachment (see `amparo.intake.files`)."""

    attachment = models.OneToOneField(
        Attachment, on_delete=models.CASCADE, primary_key=True, related_name="blob"
    )
    sealed = models.BinaryField()

    def __str__(self) -> str:
        return f"{self.attachment}"


class Note(models.Model):
    """An internal note by staff. The reporter never sees it."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # The key that seals this row's identifying content (amparo.core.custody); None for a row
    # still under the server's key ring, until `amparo keys migrate` moves it.
    data_key = models.ForeignKey(
        DataKey, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    body = EncryptedTextField(_("note"), sealed_by="data_key")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.submission} note #{self.pk}"


class LoadCounter(models.Model):
    """How many requests of one kind arrived in one period, shared by every server process.

    Nothing else: no address, no client, no form. Only the current and the previous period are
    kept (amparo.intake.ratelimit deletes older ones), so the table never holds a history."""

    pk = models.CompositePrimaryKey("action", "period")
    action = models.CharField(max_length=30)
    # Seconds since the epoch divided by the period's length.
    period = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("intake load counter")

    def __str__(self) -> str:
        return f"{self.action} #{self.period}: {self.count}"


class SpentToken(models.Model):
    """The nonce of a public form that was sent once, so that it cannot be sent again.

    Kept to the day after (a form token lives hours, not days), then deleted."""

    nonce = models.CharField(max_length=64, primary_key=True)
    expires_on = models.DateField(db_index=True)

    class Meta:
        verbose_name = _("spent form token")

    def __str__(self) -> str:
        return self.nonce

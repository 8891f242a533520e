"""A stand-in for a real record with identifying data (a person's name, contacts, notes)."""

from __future__ import annotations

from django.db import models

from amparo.core.fields import BlindIndexField, EncryptedJSONField, EncryptedTextField


class Secret(models.Model):
    name = EncryptedTextField(null=True, blank=True)
    name_index = BlindIndexField(source="name")
    details = EncryptedJSONField(null=True, blank=True)
    notes = EncryptedTextField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Secret #{self.pk}"


class SealedSecret(models.Model):
    """A record sealed with a data key of its own (issue 16)."""

    data_key = models.ForeignKey(
        "core.DataKey", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = EncryptedTextField(null=True, blank=True, sealed_by="data_key")
    details = EncryptedJSONField(null=True, blank=True, sealed_by="data_key")
    label = models.CharField(max_length=20, blank=True, default="")

    def __str__(self) -> str:
        return f"Sealed secret #{self.pk}"

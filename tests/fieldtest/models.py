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

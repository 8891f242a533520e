"""Personal API tokens of staff members.

A token is shown once, when it is made; the database keeps only its SHA-256 digest. A token
carries 256 random bits, so a fast unsalted digest is as strong as a slow one here and lets the
digest itself be the lookup key. The prefix is kept in clear so that a person can tell their
tokens apart in a list.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core.models import User


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for."))
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # The day only: enough to spot an unused token, without recording when someone works.
    last_used_on = models.DateField(_("last used"), null=True, blank=True)
    # The organisation keys the person had unlocked when they made the token, wrapped under a
    # key derived from the token's secret (amparo.core.custody.keep_for_token): the API opens
    # them with the token, and a copy of the database without the token opens nothing.
    sealed_keys = models.BinaryField(null=True, editable=False)
    keys_salt = models.BinaryField(null=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

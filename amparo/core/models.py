"""Organisations, the people who log in, their roles; the audit log; controlled vocabularies."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import pycountry
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def validate_country_code(value: str) -> None:
    if pycountry.countries.get(alpha_2=value) is None:
        raise ValidationError(
            _("%(value)s is not an ISO 3166-1 two-letter country code."), params={"value": value}
        )


class Clearance(models.IntegerChoices):
    """How confidential a record may be for someone to see it. Ordered: higher sees more."""

    PUBLIC = 0, _("Public")
    RESTRICTED = 1, _("Restricted")
    CONFIDENTIAL = 2, _("Confidential")
    STRICTLY_CONFIDENTIAL = 3, _("Strictly confidential")


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    DOCUMENTALIST = "documentalist", _("Documentalist")
    ANALYST = "analyst", _("Analyst")
    FOCAL_POINT = "focal_point", _("Focal point")
    REVIEWER = "reviewer", _("Reviewer")
    READ_ONLY = "read_only", _("Read only")
    STATE_REPRESENTATIVE = "state_representative", _("State representative")
    MECHANISM = "mechanism", _("International or regional mechanism")
    NETWORK_SECRETARIAT = "network_secretariat", _("Network secretariat")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        NHRI = "nhri", _("National human rights institution")
        CSO = "cso", _("Civil-society organisation")
        STATE = "state", _("State institution")
        MECHANISM = "mechanism", _("International or regional mechanism")
        SECRETARIAT = "secretariat", _("Network secretariat")

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_code = models.SlugField(
        _("short code"),
        max_length=20,
        unique=True,
        help_text=_("Used in reference codes, e.g. NHRI-KE."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        validators=[validate_country_code],
        help_text=_("ISO 3166-1 alpha-2; empty for international bodies."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in. Reporters using the intake channel never have an account."""

    # Raised by "log out everywhere": every session remembers the generation it was opened in.
    session_generation = models.PositiveIntegerField(default=0)
    # The language last chosen with the switcher (a code of settings.LANGUAGES, or "" for none
    # yet): set again in the browser at each login. `services.remember_language` writes it.
    language = models.CharField(_("language"), max_length=8, blank=True, default="")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    clearance = models.PositiveSmallIntegerField(
        _("clearance"), choices=Clearance.choices, default=Clearance.PUBLIC
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="one_role_once_per_organisation"
            )
        ]
        ordering = ["organisation__name", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained audit log.

    `entry_hash` is the HMAC-SHA256, under the audit key `key_id` of the key ring, of this
    entry's canonical content including `previous_hash` and `key_id`, so changing or deleting
    any entry breaks the chain from there on, and nobody without the key can forge a chain
    (`amparo audit verify`, amparo.core.audit). Entries from before the chain was keyed have no
    `key_id` and a plain SHA-256. Nothing here identifies a client machine: no IP address, no
    user agent.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    # Blank on entries written before the chain was keyed (plain SHA-256).
    key_id = models.CharField(max_length=32, blank=True, default="")
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes: ClassVar = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class Thesaurus(models.Model):
    """A controlled vocabulary: a HURIDOCS micro-thesaurus or one of Amparo's own HRD lists."""

    code = models.CharField(max_length=40, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    label_en = models.CharField(max_length=200)
    label_fr = models.CharField(max_length=200, blank=True)
    label_es = models.CharField(max_length=200, blank=True)
    label_ar = models.CharField(max_length=200, blank=True)
    source = models.CharField(
        max_length=40, help_text=_("huridocs_esf, huridocs_local or amparo_hrd")
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("thesaurus")
        verbose_name_plural = _("thesauri")

    def __str__(self) -> str:
        return self.label()

    def label(self, language: str | None = None) -> str:
        return localised_label(self, language)


class Term(models.Model):
    thesaurus = models.ForeignKey(Thesaurus, on_delete=models.PROTECT, related_name="terms")
    code = models.CharField(max_length=40)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)
    label_en = models.CharField(max_length=300)
    label_fr = models.CharField(max_length=300, blank=True)
    label_es = models.CharField(max_length=300, blank=True)
    label_ar = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=40)
    source_code = models.CharField(
        max_length=40,
        blank=True,
        help_text=_("The code in the source system (HURIDOCS vocab_number) for data exchange."),
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["thesaurus__code", "position", "code"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["thesaurus", "code"], name="term_code_unique_in_list")
        ]
        verbose_name = _("term")
        verbose_name_plural = _("terms")

    def __str__(self) -> str:
        return self.label()

    def label(self, language: str | None = None) -> str:
        return localised_label(self, language)


# The label columns of thesauri and terms, one per language of the interface.
LABEL_COLUMNS = frozenset({"label_en", "label_fr", "label_es", "label_ar"})


def label_column(language: str | None = None) -> str:
    """The label column of `language` (default: the active one); English for any other."""
    column = f"label_{(language or get_language() or 'en')[:2]}"
    return column if column in LABEL_COLUMNS else "label_en"


def localised_label(obj: Thesaurus | Term, language: str | None = None) -> str:
    """The label in the active language, falling back to English where a translation is missing."""
    return str(getattr(obj, label_column(language)) or obj.label_en)


# --- keys that only people hold (issue 16: a seized server reveals nothing) -------------------
# amparo/core/custody.py creates and uses these; amparo/core/sealing.py has the primitives and
# docs/security.md the design. No column here holds a private key or a data key in the clear.


class OrganisationKey(models.Model):
    """An organisation's X25519 key pair for one confidentiality level.

    The public key is in the clear: anyone may encrypt to it (an anonymous reporter, an import).
    The private key exists only sealed to members (`KeyGrant`), except while no member can hold
    it yet: then it is kept wrapped under the server's key ring (`server_custody`), and the
    first grant deletes that copy."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="keys")
    level = models.PositiveSmallIntegerField(choices=Clearance.choices)
    # What it protects: the app whose access rule decides who holds it
    # (core.access.register_key_readers): "intake", "cases"...
    purpose = models.CharField(max_length=30)
    public_key = models.BinaryField()
    # HMAC of the public key and its owner under the server's key ring: a key swapped in the
    # database behind the application's back is refused before anything is sealed to it.
    public_key_mac = models.CharField(max_length=64, editable=False)
    server_custody = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "level", "purpose"],
                name="one_key_per_organisation_level_purpose",
            )
        ]
        verbose_name = _("organisation key")
        verbose_name_plural = _("organisation keys")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_level_display()} · {self.purpose}"


class PersonalKey(models.Model):
    """A person's X25519 key pair; the private key wrapped under Argon2id(password) and, apart,
    under the recovery key shown once when it was made."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="personal_key")
    public_key = models.BinaryField()
    public_key_mac = models.CharField(max_length=64, editable=False)  # as OrganisationKey's
    password_salt = models.BinaryField()
    # The Argon2id parameters the password wrapper was made with ({"t", "m", "p"}).
    password_parameters = models.JSONField()
    wrapped_by_password = models.BinaryField()
    recovery_salt = models.BinaryField()
    wrapped_by_recovery = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("personal key")
        verbose_name_plural = _("personal keys")

    def __str__(self) -> str:
        return f"{self.user}"


class KeyGrant(models.Model):
    """An organisation's private key for one level, sealed to one member's personal key."""

    organisation_key = models.ForeignKey(
        OrganisationKey, on_delete=models.CASCADE, related_name="grants"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="key_grants")
    sealed = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation_key", "user"], name="one_grant_per_key")
        ]
        verbose_name = _("key grant")
        verbose_name_plural = _("key grants")

    def __str__(self) -> str:
        return f"{self.organisation_key} → {self.user}"


class DataKey(models.Model):
    """A random 256-bit key for one record (a report and everything in it), never stored in the
    clear: its copies (`DataKeyCopy`) are sealed to organisation keys or wrapped under a secret
    that only someone outside the server holds (a reporter's receipt)."""

    id = models.UUIDField(primary_key=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="data_keys"
    )
    level = models.PositiveSmallIntegerField(choices=Clearance.choices)
    purpose = models.CharField(max_length=30)  # as its organisation key's
    # Only the rows of one record use it (a report; an event and its acts, sources and
    # comments; a person), so it can be sealed to a partner without opening anything else. A
    # key that is not dedicated seals the rows one request or job wrote (an import's thousands
    # of persons); sharing moves the shared rows to a dedicated key first (`custody.dedicate`).
    dedicated = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("data key")
        verbose_name_plural = _("data keys")

    def __str__(self) -> str:
        return f"{self.pk}"


class DataKeyCopy(models.Model):
    """One way to open a data key: sealed to an organisation key (the owner's, or a partner's
    it was shared with), to one person's key (a reader who is a person, not an organisation:
    a seat on the network's steering group), or wrapped under a key derived from a secret with
    `salt`."""

    data_key = models.ForeignKey(DataKey, on_delete=models.CASCADE, related_name="copies")
    organisation_key = models.ForeignKey(
        OrganisationKey, on_delete=models.CASCADE, null=True, related_name="data_key_copies"
    )
    # Sealed to this person alone: their colleagues who hold their organisation's keys do not
    # open it. A personal key made again (a lost password and recovery key) drops its copies.
    personal_key = models.ForeignKey(
        PersonalKey, on_delete=models.CASCADE, null=True, related_name="data_key_copies"
    )
    salt = models.BinaryField(null=True)
    sealed = models.BinaryField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["data_key", "organisation_key"], name="one_copy_per_organisation_key"
            ),
            models.UniqueConstraint(
                fields=["data_key", "personal_key"], name="one_copy_per_personal_key"
            ),
            models.CheckConstraint(
                condition=models.Q(organisation_key__isnull=False)
                | models.Q(personal_key__isnull=False)
                | models.Q(salt__isnull=False),
                name="data_key_copy_opens_somehow",
            ),
        ]
        verbose_name = _("data key copy")
        verbose_name_plural = _("data key copies")

    def __str__(self) -> str:
        return f"{self.data_key_id} copy"


class IndexKey(models.Model):
    """An organisation's key for the blind indexes of one purpose (a `BlindIndexField` with
    `keyed_by`: the persons' names of "cases"), so that only its members can compute a name's
    index: the server's key ring cannot, and a seized server cannot test a guessed name.

    The key is a data key, sealed to the organisation's key of the lowest protected level, which
    every holder of that purpose's keys of the organisation holds (clearance covers the levels
    below it), and never to a partner: an index answers "is this name here?" about every person
    of the organisation, not only the shared ones. Not dedicated, so it is never shared."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="index_keys"
    )
    purpose = models.CharField(max_length=30)  # as its data key's
    data_key = models.OneToOneField(
        DataKey, on_delete=models.PROTECT, related_name="index_key", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "purpose"], name="one_index_key_per_organisation_purpose"
            )
        ]
        verbose_name = _("index key")
        verbose_name_plural = _("index keys")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.purpose}"


class SealedRecord(models.Model):
    """A row whose identifying fields are sealed with a data key (issue 16): declare them
    `EncryptedTextField(..., sealed_by="data_key")` and say whose and of what level the row is.

    Saving gives the row its data key first (`custody.assign_data_key`): the key of the request
    or job for the row's organisation and level, or its parent's (`sealing_parent`: an act is
    sealed with its event's key). A row whose level or organisation changed moves to a key of
    the new one, its fields sealed again; a row whose values the keys at hand do not open keeps
    its key and its ciphertexts. `amparo.core.bulk_insert` does the same for many rows."""

    data_key = models.ForeignKey(
        DataKey, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    data_key_id: uuid.UUID | None

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        from amparo.core import custody

        if custody.assign_data_key(self) and kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "data_key",
                *custody.sealed_field_names(type(self)),
            }
        super().save(*args, **kwargs)

    def sealing_scope(self) -> tuple[int, int]:
        """(organisation id, clearance level) that the row's data key is sealed to, with the
        key of the purpose named after the model's app (core.access.register_key_readers)."""
        raise NotImplementedError

    def sealing_parent(self) -> SealedRecord | None:
        """The row whose data key this one is sealed with, if any (an act: its event)."""
        return None

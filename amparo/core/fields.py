"""Model fields whose values are encrypted at rest, and blind indexes for exact-match lookups.

    class Person(models.Model):
        name = EncryptedTextField()
        name_index = BlindIndexField(source="name")
        contacts = EncryptedJSONField(default=dict)

    Person.objects.filter(name_index=blind_index("  ana MARÍA "))

A lookup with `blind_index(value)` compares the column with the value's index under every index
key in the ring (amparo.core.crypto), so rows still indexed under an older key are found while
`amparo keys promote` recomputes them; writes always use the primary index key.

An index of what identifies a person is keyed by organisation instead
(`BlindIndexField(source="full_name", keyed_by="organisation")`): computed with the row's
organisation's index key, which only its members hold (amparo.core.custody.index_key), so the
key ring cannot test a guessed name. A lookup compares with the value's index under every
organisation index key the keys unlocked here open.

Values are encrypted in `get_prep_value` and decrypted in `from_db_value`, so model instances,
forms and `values()` always hold plaintext and the database only ever sees ciphertext. Each
ciphertext is bound to its field's *purpose* (by default "app_label.model.field"): a ciphertext
copied into another column fails to decrypt. Renaming a model or an encrypted field changes the
default purpose, so pass the old one explicitly (`purpose="cases.person.name"`) when renaming.

The database cannot compare ciphertexts (every encryption of a value differs), so every lookup
except `isnull` is refused with an explanation instead of silently matching nothing.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import (
    FieldDoesNotExist,
    FieldError,
    ImproperlyConfigured,
    ValidationError,
)
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import lookups
from django.db.models.expressions import Expression
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.core import crypto, sealing

if TYPE_CHECKING:
    import uuid

    from django.db.models.lookups import Lookup, Transform
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

    _Field = models.Field
    _CharField = models.CharField
    _Exact = lookups.Exact[Any]
else:
    _Exact = lookups.Exact

    # django-stubs types a field by what may be assigned to it and what reading it gives
    # (Field[set type, get type]); Django's classes cannot be subscripted, so these can, and the
    # subscript is dropped at run time. mypy sees the real generic classes.
    class _Field(models.Field):
        def __class_getitem__(cls, params: object) -> type:
            return cls

    class _CharField(models.CharField):
        def __class_getitem__(cls, params: object) -> type:
            return cls


_ST = TypeVar("_ST", contravariant=True)
_GT = TypeVar("_GT", covariant=True)


class LockedValue(str):
    """A sealed value that the keys unlocked here do not open.

    It reads as a label saying so (in the active language), so pages show "locked" instead of an
    error or an empty string; it keeps the stored ciphertext, and saving it writes that back
    unchanged, so a row saved by someone who could not read it loses nothing."""

    ciphertext: str

    def __new__(cls, ciphertext: str) -> LockedValue:
        value = super().__new__(cls, str(LOCKED_LABEL))
        value.ciphertext = ciphertext
        return value

    def __repr__(self) -> str:
        return "LockedValue(…)"


def holds_locked(value: Any) -> bool:
    """Whether `value` (a JSON value, a row of values) holds a LockedValue anywhere."""
    # A loop, not recursion: every version's snapshot is walked (a tenth of writing an event).
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if isinstance(item, LockedValue):
                return True
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


LOCKED_LABEL = gettext_lazy("[Locked: your keys do not open this. Sign in again to unlock them.]")


def _may_hold_locked(text: str) -> bool:
    """Whether a JSON text may hold a LockedValue: a LockedValue reads as the label, in the
    language active when it was read, and JSON writes it so."""
    return any(label in text for label in _locked_labels())


@functools.cache
def _locked_labels() -> tuple[str, ...]:
    """The label as JSON text writes it, in every language of the site."""
    labels = set()
    for code in {settings.LANGUAGE_CODE, *(code for code, _name in settings.LANGUAGES)}:
        with translation.override(code):
            labels.add(json.dumps(str(LOCKED_LABEL), ensure_ascii=False)[1:-1])
    return tuple(labels)


class _Ciphertext(str):
    """What `pre_save` made of a sealed value: stored as it is."""


class EncryptedField(_Field[_ST, _GT]):
    """What both encrypted fields share: a text column of ciphertext and no searching."""

    def __init__(
        self,
        *args: Any,
        purpose: str | None = None,
        sealed_by: str | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("unique") or kwargs.get("primary_key"):
            raise ImproperlyConfigured(
                "An encrypted field cannot be unique or a primary key: every encryption of a "
                "value differs. Put unique=True on a BlindIndexField instead."
            )
        self._purpose = purpose
        # The name of the model's ForeignKey to core.DataKey whose key seals this field.
        self.sealed_by = sealed_by
        super().__init__(*args, **kwargs)

    @property
    def purpose(self) -> str:
        """What the associated data binds each ciphertext to (see the module docstring)."""
        return self._purpose or f"{self.model._meta.label_lower}.{self.name}"

    def get_internal_type(self) -> str:
        return "TextField"

    def deconstruct(self) -> tuple[str, str, Any, dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if self._purpose is not None:
            kwargs["purpose"] = self._purpose
        if self.sealed_by is not None:
            kwargs["sealed_by"] = self.sealed_by
        return name, path, args, kwargs

    def encode(self, value: Any) -> str:
        """The plaintext text stored for a Python value."""
        raise NotImplementedError

    def decode(self, text: str) -> Any:
        """The Python value for a decrypted plaintext."""
        raise NotImplementedError

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        return self.sealed_value(model_instance, {})

    def sealed_value(
        self,
        model_instance: models.Model,
        sealers: dict[tuple[uuid.UUID, int], sealing.FieldSealer],
    ) -> Any:
        """`pre_save`'s value, sealed with the sealer of `sealers` for this field and data key
        (made there if it has none; keyed by the field's id): a bulk write passes the same
        dictionary for all its rows."""
        value = getattr(model_instance, self.attname)
        if self.sealed_by is None or value is None or isinstance(value, LockedValue):
            return value
        data_key_id = getattr(model_instance, self.sealed_by + "_id")
        if data_key_id is None:
            # A row not yet moved to a data key (`amparo keys migrate` moves it): the ring.
            return _Ciphertext(crypto.encrypt_text(self.encode(value), self.purpose))
        sealer = sealers.get((data_key_id, id(self)))
        if sealer is None:
            from amparo.core import custody

            raw = custody.require_data_key(data_key_id)
            sealer = sealers[data_key_id, id(self)] = sealing.FieldSealer(
                raw, data_key_id, self.purpose
            )
        return _Ciphertext(sealer.seal(self.encode(value)))

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, LockedValue):
            # Saved back as it was read: a value nobody here could open is never overwritten.
            return value.ciphertext
        if isinstance(value, _Ciphertext):
            return str(value)
        if self.sealed_by is not None:
            raise FieldError(
                _(
                    "%(field)s is sealed with its row's data key, which only save() and "
                    "amparo.core.bulk_insert apply: QuerySet.update() and bulk_update() cannot "
                    "write it."
                )
                % {"field": self.purpose}
            )
        return crypto.encrypt_text(self.encode(value), self.purpose)

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> Any:
        if value is None:
            return None
        if sealing.is_field_ciphertext(value):
            from amparo.core import custody

            raw = custody.open_data_key(sealing.data_key_id_of(value))
            if raw is None:
                return LockedValue(value)
            return self.decode(sealing.decrypt_field(raw, value, self.purpose))
        return self.decode(crypto.decrypt_text(value, self.purpose))

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise self._unsearchable(lookup_name)

    def get_transform(self, lookup_name: str) -> type[Transform] | None:
        raise self._unsearchable(lookup_name)

    def _unsearchable(self, lookup_name: str) -> FieldError:
        return FieldError(
            _(
                "%(field)s is encrypted, so the database cannot compare or search it (lookup "
                '"%(lookup)s"). Use %(name)s__isnull, a BlindIndexField for exact matches, or '
                "filter the decrypted values in Python."
            )
            % {"field": self.purpose, "lookup": lookup_name, "name": self.name}
        )


class EncryptedTextField(EncryptedField[_ST, _GT]):
    """Text encrypted at rest. Empty text is encrypted too: only None is stored as NULL."""

    _pyi_private_set_type: str
    _pyi_private_get_type: str

    description = gettext_lazy("Encrypted text")

    def encode(self, value: Any) -> str:
        return value if isinstance(value, str) else str(value)

    def decode(self, text: str) -> str:
        return text

    def to_python(self, value: Any) -> str | None:
        return None if value is None else self.encode(value)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        if self.choices is None:
            kwargs.setdefault("widget", forms.Textarea)
        return super().formfield(form_class, choices_form_class, **kwargs)


class EncryptedJSONField(EncryptedField[_ST, _GT]):
    """A JSON value encrypted at rest. Python None is stored as NULL, not as JSON null."""

    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    description = gettext_lazy("Encrypted JSON")
    empty_strings_allowed = False

    def __init__(
        self, *args: Any, encoder: type[json.JSONEncoder] | None = None, **kwargs: Any
    ) -> None:
        self.encoder = encoder
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Any, dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if self.encoder is not None:
            kwargs["encoder"] = self.encoder
        return name, path, args, kwargs

    def encode(self, value: Any) -> str:
        text = json.dumps(value, cls=self.encoder, ensure_ascii=False, separators=(",", ":"))
        # Walking the value for a LockedValue is a tenth of writing a version: done only when
        # the text reads as the label one would show.
        if _may_hold_locked(text) and holds_locked(value):
            from amparo.core.custody import KeysLocked

            # A snapshot or list built from rows the keys here do not open would store the
            # "locked" label in place of a name, for good: refused, nothing is written.
            raise KeysLocked(
                _(
                    "%(field)s would keep a value that your keys do not open: nothing was "
                    "written. Sign in again, or ask someone whose keys open it."
                )
                % {"field": self.purpose}
            )
        return text

    def decode(self, text: str) -> Any:
        return json.loads(text)

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        try:
            self.encode(value)
        except (TypeError, ValueError):
            raise ValidationError(_("Value must be valid JSON."), code="invalid") from None

    def value_to_string(self, obj: models.Model) -> Any:
        # Serializers (dumpdata) embed the value as JSON, as for Django's own JSONField.
        return self.value_from_object(obj)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        kwargs.setdefault("encoder", self.encoder)
        return super().formfield(form_class or forms.JSONField, choices_form_class, **kwargs)


@dataclass(frozen=True)
class BlindIndexQuery:
    """A value to look up in a BlindIndexField; the field computes the HMAC with its own purpose."""

    value: str


def blind_index(value: str) -> BlindIndexQuery:
    """What to compare a BlindIndexField with: `filter(name_index=blind_index("Ana"))`."""
    return BlindIndexQuery(value)


class BlindIndexField(_CharField[_ST, _GT]):
    """The HMAC of another field's normalised value, kept up to date on save.

    NULL when the source is None or blank, so a lookup for a blank value finds nothing.

    The index is computed in `pre_save`, so `save()` and `bulk_create()` maintain it. Paths that
    skip `pre_save` do not: list the index in `update_fields` (`save(update_fields=["name",
    "name_index"])`), and do not change the source with `QuerySet.update()` or `bulk_update()`.
    Each index is keyed by its source's purpose, so equal values in different columns get
    different indexes and columns cannot be joined on them.
    """

    # Nullable whatever the declaration says: a None source leaves the index NULL.
    _pyi_private_set_type: str | None  # type: ignore[assignment]
    _pyi_private_get_type: str | None  # type: ignore[assignment]
    _pyi_lookup_exact_type: str | BlindIndexQuery | None

    description = gettext_lazy("Blind index")
    _DEFAULTS: dict[str, Any] = {
        "max_length": 64,
        "null": True,
        "editable": False,
        "db_index": True,
    }

    def __init__(
        self,
        *args: Any,
        source: str,
        purpose: str | None = None,
        keyed_by: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.source = source
        self._purpose = purpose
        # The name of the model's ForeignKey to core.Organisation whose index key computes this
        # index (see the module docstring); None: the key ring's index key.
        self.keyed_by = keyed_by
        super().__init__(*args, **{**self._DEFAULTS, **kwargs})

    def deconstruct(self) -> tuple[str, str, Any, dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        for option, default in self._DEFAULTS.items():
            if kwargs.get(option, False) == default:
                kwargs.pop(option, None)
        kwargs["source"] = self.source
        if self._purpose is not None:
            kwargs["purpose"] = self._purpose
        if self.keyed_by is not None:
            kwargs["keyed_by"] = self.keyed_by
        return name, path, args, kwargs

    @property
    def purpose(self) -> str:
        """The source field's purpose: an explicit purpose kept over a rename applies here too."""
        if self._purpose:
            return self._purpose
        source = self.model._meta.get_field(self.source)
        if isinstance(source, EncryptedField):
            return source.purpose
        return f"{self.model._meta.label_lower}.{self.source}"

    @property
    def key_purpose(self) -> str:
        """The purpose of the organisation keys that seal an index key of `keyed_by`: the app's,
        as for the data keys of its rows (core.models.SealedRecord)."""
        return self.model._meta.app_label

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        try:
            self.model._meta.get_field(self.source)
        except FieldDoesNotExist:
            errors.append(
                checks.Error(
                    f"BlindIndexField source {self.source!r} is not a field of "
                    f"{self.model._meta.label}.",
                    obj=self,
                    id="amparo.E001",
                )
            )
        return errors

    def pre_save(self, model_instance: models.Model, add: bool) -> str | None:
        value = getattr(model_instance, self.source)
        if value is not None and not isinstance(value, str):
            raise TypeError(
                f"{self.model._meta.label}.{self.name} indexes {self.source}, which must be text "
                f"or None, not {type(value).__name__}."
            )
        if isinstance(value, LockedValue):
            # Saved by someone whose keys do not open the value: its index stays as it was
            # (not the index of the "locked" label).
            existing: str | None = getattr(model_instance, self.attname)
            return existing
        if value is None:
            digest = None
        elif self.keyed_by is not None:
            digest = self.organisation_digest(value, getattr(model_instance, f"{self.keyed_by}_id"))
        else:
            digest = self.digest(value)
        setattr(model_instance, self.attname, digest)
        return digest

    def digest(self, value: str, ring: crypto.KeyRing | None = None) -> str | None:
        """The index of `value` under the primary index key of `ring` (default: the configured
        one); None for blank text, so rows without a name never match."""
        if not crypto.normalise(value):
            return None
        return (ring or crypto.keyring()).index_value(value, self.purpose)

    def organisation_digest(self, value: str, organisation_id: int) -> str | None:
        """The index of `value` under the organisation's index key; None for blank text, and
        when the keys here do not open that key (the row is indexed again by the next save with
        it, or by `amparo keys migrate --as` one of the organisation's members)."""
        from amparo.core import custody

        if not crypto.normalise(value):
            return None
        key = custody.index_key(organisation_id, self.key_purpose)
        return None if key is None else crypto.organisation_index_value(key, value, self.purpose)

    def lookup_values(self, value: str) -> list[str]:
        """What a lookup of `value` compares the column with: its index under every index key
        (of the ring; for an index keyed by organisation, also of every organisation whose index
        key opens here, first); for blank text, a value no row holds (not NULL, which would
        match every blank row)."""
        if not crypto.normalise(value):
            return [""]
        ring = crypto.index_values(value, self.purpose)
        if self.keyed_by is None:
            return ring
        from amparo.core import custody

        # The ring's values find the rows `amparo keys migrate` has not reached yet.
        return [
            *(
                crypto.organisation_index_value(key, value, self.purpose)
                for key in custody.held_index_keys(self.key_purpose)
            ),
            *ring,
        ]

    def get_prep_value(self, value: Any) -> str | None:
        if isinstance(value, BlindIndexQuery):
            return self.lookup_values(value.value)[0]
        if value is None or (
            isinstance(value, str) and crypto.INDEX_VALUE_PATTERN.fullmatch(value)
        ):
            return value
        raise ValueError(
            _(
                "%(field)s holds blind indexes: compare it with blind_index(value), "
                "not with a plain value."
            )
            % {"field": f"{self.model._meta.label}.{self.name}"}
        )


@BlindIndexField.register_lookup
class BlindIndexExact(_Exact):
    """`index=blind_index(value)`: the value's index under any key of the ring (a SQL IN)."""

    def get_prep_lookup(self) -> Any:
        if isinstance(self.rhs, BlindIndexQuery):
            return self.rhs
        return super().get_prep_lookup()

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _AsSqlType:
        if not isinstance(self.rhs, BlindIndexQuery):
            return super().as_sql(compiler, connection)
        field = self.lhs.output_field
        assert isinstance(field, BlindIndexField)
        values = field.lookup_values(self.rhs.value)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs_sql} IN ({placeholders})", (*lhs_params, *values)


@dataclass(frozen=True)
class EncryptedColumn:
    """One encrypted field of one concrete model: where `amparo keys` finds ciphertexts."""

    model: type[models.Model]
    field: EncryptedField[Any, Any]

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted field of every installed model, in every app.

    Read from Django's app registry rather than collected as fields are declared, so abstract
    parents (which have no table), proxies (which share their parent's) and the historical models
    built by migrations never appear, and a field inherited by several models appears once for
    each table that holds it.
    """
    return list(_encrypted_columns())


def _encrypted_columns() -> Iterator[EncryptedColumn]:
    for model, field in _concrete_fields():
        if isinstance(field, EncryptedField):
            yield EncryptedColumn(model=model, field=field)


@dataclass(frozen=True)
class IndexColumn:
    """One blind index of one concrete model: what `amparo keys promote` recomputes."""

    model: type[models.Model]
    field: BlindIndexField[Any, Any]

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


def index_columns() -> list[IndexColumn]:
    """Every BlindIndexField of every installed model (found as encrypted_columns finds theirs)."""
    return [
        IndexColumn(model=model, field=field)
        for model, field in _concrete_fields()
        if isinstance(field, BlindIndexField)
    ]


def _concrete_fields() -> Iterator[tuple[type[models.Model], models.Field[Any, Any]]]:
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.local_concrete_fields:
            yield model, field

"""The append-only, hash-chained audit log: record, verify, export, and who may read a trail.

Every entry stores the SHA-256 of the entry before it (`previous_hash`) and its own hash
(`entry_hash`) over a canonical form of its content, so changing, inserting or deleting an entry
anywhere breaks the chain from that point on. The canonical form, which an external auditor can
recompute from `amparo audit export`, is the JSON object

    {"action", "actor_id", "actor_label", "at", "changes", "object_id", "object_type",
     "organisation_id", "previous_hash"}

serialised with sorted keys, separators "," and ":", ASCII-only escapes, and encoded as ASCII;
`at` is UTC in the form 2025-01-31T09:15:02.123456Z, the ids are strings (or null). An export line
is that object plus "id" and "entry_hash". The first entry's previous_hash is 64 zeros.

The chain cannot show that entries were cut off its *end*: keep the last hash that
`amparo audit verify` prints somewhere outside this database to catch that.

Nothing that identifies a client machine (IP address, user agent) is ever recorded, and values of
encrypted fields enter the log only as "[encrypted]" (see `diff`).
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.core import access
from amparo.core.fields import BlindIndexField, EncryptedField
from amparo.core.models import AuditEntry, Organisation, Term, Thesaurus, User

GENESIS_HASH = "0" * 64
REDACTED = "[encrypted]"

# Any constant works as long as nothing else in the database takes the same advisory lock.
# (Reads as "amparoAL": Amparo audit log.)
AUDIT_CHAIN_LOCK_ID = int.from_bytes(b"amparoAL", "big")


# --- Making values fit for the log -------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """`value` as plain JSON data that reads back from SQLite and PostgreSQL unchanged.

    Dates become ISO strings, Decimals strings, model instances their primary key. Integral
    floats become ints because PostgreSQL's jsonb gives 1e16 back as 10000000000000000.
    Bytes are refused: they are most likely key material or ciphertext.
    """
    if isinstance(value, enum.Enum):  # before int and str: choices are both
        return jsonable(value.value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        if "\x00" in value:  # PostgreSQL cannot store it: refuse it on SQLite too
            raise ValueError("The audit log cannot hold text with a NUL character.")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"The audit log cannot hold the number {value!r}.")
        return int(value) if value.is_integer() else value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso_timestamp(value) if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, UUID | Promise):
        return str(value)
    if isinstance(value, models.Model):
        return jsonable(value.pk)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(item) for item in value), key=canonical_json)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    raise TypeError(
        f"The audit log cannot hold a {type(value).__name__}; record a description of it instead."
    )


def diff(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    secret_fields: Collection[str] = (),
) -> dict[str, dict[str, Any]]:
    """{"field": {"from": old, "to": new}} for every field whose value changed.

    Values of `secret_fields` (see `secret_field_names`) are written as "[encrypted]", so a
    decrypted secret never enters the log; only whether it was set or cleared shows.
    """
    changes: dict[str, dict[str, Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = jsonable(before.get(name)), jsonable(after.get(name))
        if old == new:
            continue
        if name in secret_fields:
            old = None if old is None else REDACTED
            new = None if new is None else REDACTED
        changes[name] = {"from": old, "to": new}
    return changes


def secret_field_names(model: type[models.Model]) -> frozenset[str]:
    """The fields of `model` whose values must not enter the log: encrypted fields and blind
    indexes (a keyed hash of identifying data is still identifying)."""
    return frozenset(
        field.name
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedField | BlindIndexField)
    )


# --- The chain ---------------------------------------------------------------------------------


def iso_timestamp(moment: datetime) -> str:
    if timezone.is_naive(moment):
        raise ValueError("Audit timestamps must be timezone-aware.")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _id_text(pk: int | None) -> str | None:
    return None if pk is None else str(pk)


def content(entry: AuditEntry) -> dict[str, Any]:
    """What `entry_hash` covers: every field except the database id and the hash itself."""
    return {
        "action": entry.action,
        "actor_id": _id_text(entry.actor_id),
        "actor_label": entry.actor_label,
        "at": iso_timestamp(entry.at),
        "changes": entry.changes,
        "object_id": entry.object_id,
        "object_type": entry.object_type,
        "organisation_id": _id_text(entry.organisation_id),
        "previous_hash": entry.previous_hash,
    }


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical_json(content(entry)).encode("ascii")).hexdigest()


def _default_organisation(obj: models.Model) -> Organisation | None:
    candidates = [
        obj,
        *(getattr(obj, name, None) for name in ("organisation", "owner_organisation")),
    ]
    for candidate in candidates:
        # A deleted organisation (no pk) cannot be referred to any more.
        if isinstance(candidate, Organisation) and candidate.pk is not None:
            return candidate
    return None


def _check_lengths(entry: AuditEntry) -> None:
    """SQLite would store a value too long for its column where PostgreSQL refuses it."""
    for name in ("actor_label", "action", "object_type", "object_id"):
        field = AuditEntry._meta.get_field(name)
        assert isinstance(field, models.CharField)
        limit = field.max_length
        if limit is not None and len(getattr(entry, name)) > limit:
            raise ValueError(f"An audit entry's {name} is limited to {limit} characters.")


def _lock_chain() -> None:
    """Make concurrent writers append one after the other, never onto the same last entry.

    PostgreSQL: a transaction-scoped advisory lock, held until the caller's transaction ends.
    SQLite: every transaction begins IMMEDIATE (settings), so holding the database write lock
    already serialises writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK_ID])


def record(
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    *,
    organisation: Organisation | None = None,
    changes: Mapping[str, Any] | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
) -> AuditEntry:
    """Append an entry to the log, in the caller's transaction if there is one.

    `object_type` defaults to the object's "app_label.model", `object_id` to its primary key and
    `organisation` to the object's (own) organisation. On PostgreSQL the chain lock is held until
    the caller's transaction ends, so record as the last step of a service.
    """
    if obj is not None:
        if object_type is None:
            object_type = obj._meta.label_lower
        if object_id is None:
            if obj.pk is None:
                raise ValueError(
                    "Record the audit entry before deleting the object, or pass object_id."
                )
            object_id = str(obj.pk)
        if organisation is None:
            organisation = _default_organisation(obj)
    entry = AuditEntry(
        actor=actor,
        actor_label=actor.get_username() if actor is not None else "",
        organisation=organisation,
        action=action,
        object_type=object_type or "",
        object_id=object_id or "",
        changes=jsonable(dict(changes or {})),
    )
    _check_lengths(entry)
    with transaction.atomic():
        _lock_chain()
        # Taken under the lock, so that the chain's order is also the order in time.
        entry.at = timezone.now()
        entry.previous_hash = (
            AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
            or GENESIS_HASH
        )
        entry.entry_hash = compute_hash(entry)
        entry.save(force_insert=True)
    return entry


# --- Verification ------------------------------------------------------------------------------


class Problem(enum.Enum):
    CONTENT_CHANGED = "content_changed"
    BROKEN_LINK = "broken_link"
    MISSING_ENTRIES = "missing_entries"


@dataclass(frozen=True)
class VerificationResult:
    checked: int
    last_hash: str
    broken_entry_id: int | None = None
    previous_entry_id: int | None = None
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        values = {
            "count": self.checked,
            "hash": self.last_hash,
            "id": self.broken_entry_id,
            "previous": self.previous_entry_id,
        }
        if self.problem is None:
            return (
                ngettext(
                    "OK: %(count)d entry, chain intact, last hash %(hash)s",
                    "OK: %(count)d entries, chain intact, last hash %(hash)s",
                    self.checked,
                )
                % values
            )
        if self.problem is Problem.CONTENT_CHANGED:
            message = _("Entry #%(id)s has been altered: its content no longer matches its hash.")
        elif self.previous_entry_id is None:
            message = _(
                "Entry #%(id)s is the oldest entry but does not start the chain: "
                "older entries have probably been deleted."
            )
        elif self.problem is Problem.MISSING_ENTRIES:
            message = _(
                "Entry #%(id)s does not link to entry #%(previous)s before it, and the entries "
                "between them are missing: they have probably been deleted."
            )
        else:
            message = _(
                "Entry #%(id)s does not link to entry #%(previous)s before it: one of the two "
                "has been altered or replaced."
            )
        return _("BROKEN: %(message)s") % {"message": message % values}


def verify(batch_size: int = 2000) -> VerificationResult:
    """Walk the whole chain in id order, in bounded memory, and stop at the first broken entry.

    Gaps in the ids alone are normal (PostgreSQL does not reuse the id of a rolled-back insert);
    a gap only suggests deletion where the link across it is broken too."""
    checked = 0
    previous_hash = GENESIS_HASH
    previous_id: int | None = None
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size):
        problem = None
        if compute_hash(entry) != entry.entry_hash:
            problem = Problem.CONTENT_CHANGED
        elif entry.previous_hash != previous_hash:
            gap = previous_id is None or entry.pk != previous_id + 1
            problem = Problem.MISSING_ENTRIES if gap else Problem.BROKEN_LINK
        if problem is not None:
            return VerificationResult(checked, previous_hash, entry.pk, previous_id, problem)
        checked += 1
        previous_hash, previous_id = entry.entry_hash, entry.pk
    return VerificationResult(checked, previous_hash)


# --- Export --------------------------------------------------------------------------------------


def export_record(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.pk, **content(entry), "entry_hash": entry.entry_hash}


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def export(since: datetime | None, out: Writable, batch_size: int = 2000) -> int:
    """Write the entries from `since` on (all if None) as JSON lines; return how many."""
    entries = AuditEntry.objects.order_by("id")
    if since is not None:
        entries = entries.filter(at__gte=since)
    count = 0
    for entry in entries.iterator(chunk_size=batch_size):
        out.write(canonical_json(export_record(entry)) + "\n")
        count += 1
    return count


# --- Who may read the trail of which record ----------------------------------------------------

CanView = Callable[[User, str], bool]
_object_access: dict[str, CanView] = {}


def register_object_access(object_type: str, can_view: CanView) -> None:
    """Declare who may read the audit trail of records of `object_type` ("app_label.model").

    Each app registers its own types (in `AppConfig.ready`) with the same predicate its views use,
    so the trail of a record is readable exactly by those who may see the record."""
    registered = _object_access.get(object_type)
    if registered is not None and registered is not can_view:
        raise ValueError(f"Audit trail access for {object_type!r} is already registered.")
    _object_access[object_type] = can_view


def is_registered(object_type: str) -> bool:
    return object_type in _object_access


def can_view_trail(user: User, object_type: str, object_id: str) -> bool:
    """Unknown object types are nobody's to read, so that a trail's existence leaks nothing."""
    can_view = _object_access.get(object_type)
    if can_view is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or can_view(user, object_id)


def _pk(object_id: str) -> int | None:
    return int(object_id) if object_id.isascii() and object_id.isdigit() else None


def _can_view_organisation(user: User, object_id: str) -> bool:
    pk = _pk(object_id)
    return pk is not None and access.administered_organisations(user).filter(pk=pk).exists()


def _can_view_user(user: User, object_id: str) -> bool:
    pk = _pk(object_id)
    if pk is None:
        return False
    if pk == user.pk:
        return True
    return (
        access.administered_organisations(user)
        .filter(memberships__user_id=pk, memberships__is_active=True)
        .exists()
    )


def _can_view_vocabulary(user: User, object_id: str) -> bool:
    return access.has_rule(user, "vocabulary.view")


register_object_access(Organisation._meta.label_lower, _can_view_organisation)
register_object_access(User._meta.label_lower, _can_view_user)
register_object_access(Thesaurus._meta.label_lower, _can_view_vocabulary)
register_object_access(Term._meta.label_lower, _can_view_vocabulary)


def trail(object_type: str, object_id: str) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=object_type, object_id=object_id)

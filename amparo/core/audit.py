"""The append-only audit log, chained with a key and anchored outside the database: record,
verify, export, and who may read a trail.

Every entry stores the hash of the entry before it (`previous_hash`) and its own hash
(`entry_hash`) over a canonical form of its content, so changing, inserting or deleting an entry
anywhere breaks the chain from that point on. The hash is an HMAC-SHA256 under the key ring's
audit key that the entry names (`key_id`): someone who can write the database but does not hold
the key cannot recompute the chain after changing an entry. The canonical form, which an auditor
given the audit key can recompute from `amparo audit export`, is the JSON object

    {"action", "actor_id", "actor_label", "at", "changes", "key_id", "object_id", "object_type",
     "organisation_id", "previous_hash"}

serialised with sorted keys, separators "," and ":", ASCII-only escapes, and encoded as ASCII;
`at` is UTC in the form 2025-01-31T09:15:02.123456Z, the ids are strings (or null). An export line
is that object plus "id" and "entry_hash". The first entry's previous_hash is 64 zeros.

Entries written before the chain was keyed have no `key_id` (and no "key_id" in their canonical
form) and a plain SHA-256. They still verify, as a prefix: no unkeyed entry may follow a keyed one,
and the first keyed entry's HMAC covers the last unkeyed entry's hash, so rewriting the old
entries breaks the link into the keyed part. Nothing needs migrating.

A chain cannot show that entries were cut off its *end*: what remains still chains. So every
append's head is also written outside the database (amparo.core.audit_anchor), and `verify`
checks that the log still holds the anchored entry with the anchored hash.

Nothing that identifies a client machine (IP address, user agent) is ever recorded, and values of
encrypted fields enter the log only as "[encrypted]" (see `diff`).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import math
from collections.abc import Collection, Mapping, Sequence
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

from amparo.core import audit_actions, audit_anchor, crypto
from amparo.core.bulk_insert import insert
from amparo.core.fields import BlindIndexField, EncryptedField
from amparo.core.models import AuditEntry, Organisation, User

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
    kind = type(value)
    if kind is int or kind is bool or value is None:  # the common cases first: a version
        return value  # holds thousands of values
    if kind is str:
        if "\x00" in value:  # PostgreSQL cannot store it: refuse it on SQLite too
            raise ValueError("The audit log cannot hold text with a NUL character.")
        return value
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


@functools.cache
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
    return _utc_text(moment)


# The rows of a bulk write share one moment, which a version writes once per row.
@functools.lru_cache(maxsize=64)
def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _id_text(pk: int | None) -> str | None:
    return None if pk is None else str(pk)


def content(entry: AuditEntry) -> dict[str, Any]:
    """What `entry_hash` covers: every field except the database id and the hash itself."""
    covered = {
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
    if entry.key_id:  # unkeyed entries keep the form they were hashed in
        covered["key_id"] = entry.key_id
    return covered


def compute_hash(entry: AuditEntry, ring: crypto.KeyRing | None = None) -> str:
    """The HMAC-SHA256 of the entry under the audit key it names; the plain SHA-256 of an
    entry from before the chain was keyed. UnknownKey if the ring lacks the named key."""
    message = canonical_json(content(entry)).encode("ascii")
    if not entry.key_id:
        return hashlib.sha256(message).hexdigest()
    return (ring or crypto.keyring()).audit_mac(entry.key_id, message)


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


@dataclass(frozen=True)
class Record:
    """One entry to append, as `record` takes it (see there)."""

    actor: User | None
    action: str
    obj: models.Model | None = None
    organisation: Organisation | None = None
    changes: Mapping[str, Any] | None = None
    object_type: str | None = None
    object_id: str | None = None


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
    the caller's transaction ends, so record as the last step of a service. `action` is one of
    `AuditAction` (core/audit_actions.py); any other name is refused.
    """
    return record_many([Record(actor, action, obj, organisation, changes, object_type, object_id)])[
        0
    ]


def record_many(records: Sequence[Record]) -> list[AuditEntry]:
    """Append entries in the order given, as `record` does each, under one lock and with one
    insert: for a writer of many records at once (the demo world)."""
    entries = [_new_entry(item) for item in records]
    if not entries:
        return entries
    ring = crypto.keyring()
    key_id = ring.primary(crypto.Purpose.AUDIT).id
    with transaction.atomic():
        _lock_chain()
        # Taken under the lock, so that the chain's order is also the order in time.
        moment = timezone.now()
        previous = (
            AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
            or GENESIS_HASH
        )
        for entry in entries:
            entry.at = moment
            entry.previous_hash = previous
            entry.key_id = key_id
            entry.entry_hash = previous = compute_hash(entry, ring)
        # One statement for all, numbered first (under the chain's lock): the anchor needs the
        # last id.
        insert(entries, numbered=True)
        audit_anchor.anchor_on_commit(head_of(entries[-1]))
    return entries


def _new_entry(item: Record) -> AuditEntry:
    obj, object_type, object_id, organisation = (
        item.obj,
        item.object_type,
        item.object_id,
        item.organisation,
    )
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
        actor=item.actor,
        actor_label=item.actor.get_username() if item.actor is not None else "",
        organisation=organisation,
        action=str(item.action),
        object_type=object_type or "",
        object_id=object_id or "",
        changes=jsonable(dict(item.changes or {})),
    )
    _check_lengths(entry)
    if not audit_actions.is_registered(item.action):
        raise ValueError(
            f"{item.action!r} is not an audit action: add it to AuditAction "
            "(core/audit_actions.py)."
        )
    return entry


def head_of(entry: AuditEntry) -> audit_anchor.Head:
    return audit_anchor.Head(
        entry_id=entry.pk,
        entry_hash=entry.entry_hash,
        key_id=entry.key_id,
        at=iso_timestamp(entry.at),
    )


# --- Verification ------------------------------------------------------------------------------


class Problem(enum.Enum):
    CONTENT_CHANGED = "content_changed"
    BROKEN_LINK = "broken_link"
    MISSING_ENTRIES = "missing_entries"
    UNKEYED_AFTER_KEYED = "unkeyed_after_keyed"
    UNKNOWN_KEY = "unknown_key"
    ANCHOR_MISSING = "anchor_missing"
    ANCHOR_UNREADABLE = "anchor_unreadable"
    ANCHORED_ENTRY_MISSING = "anchored_entry_missing"
    ANCHORED_ENTRY_CHANGED = "anchored_entry_changed"
    EXPECTED_ENTRY_MISSING = "expected_entry_missing"
    EXPECTED_ENTRY_CHANGED = "expected_entry_changed"


@dataclass(frozen=True)
class VerificationResult:
    checked: int
    last_hash: str
    broken_entry_id: int | None = None
    previous_entry_id: int | None = None
    problem: Problem | None = None
    last_entry_id: int | None = None
    # Entries from before the chain was keyed (plain SHA-256).
    unkeyed: int = 0
    anchor: audit_anchor.Head | None = None
    anchor_path: str = ""
    # Entries after the anchored one: appended after the last anchor write (see audit_anchor).
    unanchored: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        anchor = self.anchor
        values = {
            "count": self.checked,
            "hash": self.last_hash,
            "id": self.broken_entry_id,
            "previous": self.previous_entry_id,
            "last": self.last_entry_id,
            "path": self.anchor_path,
            "detail": self.detail,
            "anchored": anchor.entry_id if anchor else None,
            "anchored_at": anchor.at if anchor else None,
        }
        if self.problem is None:
            lines = [
                ngettext(
                    "OK: %(count)d entry, chain intact, last hash %(hash)s",
                    "OK: %(count)d entries, chain intact, last hash %(hash)s",
                    self.checked,
                )
                % values
            ]
            if self.unkeyed:
                lines.append(
                    ngettext(
                        "%(count)d entry is from before the chain was keyed (plain SHA-256); the "
                        "keyed entries after it protect it.",
                        "%(count)d entries are from before the chain was keyed (plain SHA-256); "
                        "the keyed entries after them protect them.",
                        self.unkeyed,
                    )
                    % {"count": self.unkeyed}
                )
            if self.unanchored:
                lines.append(
                    ngettext(
                        "%(count)d entry after the anchored entry #%(anchored)s is not anchored "
                        "yet: it was appended while this check ran, or by a process that stopped "
                        "between its commit and the anchor's update. The next append anchors it.",
                        "%(count)d entries after the anchored entry #%(anchored)s are not "
                        "anchored yet: they were appended while this check ran, or by a process "
                        "that stopped between its commit and the anchor's update. The next "
                        "append anchors them.",
                        self.unanchored,
                    )
                    % {**values, "count": self.unanchored}
                )
            return "\n".join(lines)
        return _("BROKEN: %(message)s") % {"message": self._problem_message() % values}

    def _problem_message(self) -> str:
        problem = self.problem
        if problem is Problem.CONTENT_CHANGED:
            return _("Entry #%(id)s has been altered: its content no longer matches its hash.")
        if problem is Problem.UNKEYED_AFTER_KEYED:
            return _(
                "Entry #%(id)s has no audit key although entries before it have one: it was "
                "forged, or altered and re-hashed without the key."
            )
        if problem is Problem.UNKNOWN_KEY:
            return _(
                "Entry #%(id)s names audit key %(detail)s, which is not in the key ring: restore "
                "or copy the key file that holds it, then verify again."
            )
        if problem is Problem.ANCHOR_MISSING:
            return _(
                "There is no anchor at %(path)s, so entries cut off the end of the log cannot be "
                "ruled out. If the anchor was moved, or this installation was just upgraded, run "
                "`amparo audit anchor` to anchor the current head (it records that it did)."
            )
        if problem is Problem.ANCHOR_UNREADABLE:
            return _("%(detail)s Entries cut off the end of the log cannot be ruled out.")
        if problem is Problem.ANCHORED_ENTRY_MISSING and self.last_entry_id is None:
            return _(
                "The anchor (%(path)s) names entry #%(anchored)s, recorded at %(anchored_at)s, "
                "but the log is empty: every entry was deleted, or the database was replaced."
            )
        if problem is Problem.ANCHORED_ENTRY_MISSING and self.detail == "sqlite":
            return _(
                "The anchor (%(path)s) names entry #%(anchored)s, recorded at %(anchored_at)s, "
                "but the log ends at entry #%(last)s: the newest entries were deleted, or the "
                "database was restored from an older backup, or the last entries were lost in a "
                "power failure before SQLite wrote them to disk."
            )
        if problem is Problem.ANCHORED_ENTRY_MISSING:
            return _(
                "The anchor (%(path)s) names entry #%(anchored)s, recorded at %(anchored_at)s, "
                "but the log ends at entry #%(last)s: the newest entries were deleted, or the "
                "database was restored from an older backup."
            )
        if problem is Problem.ANCHORED_ENTRY_CHANGED:
            return _(
                "Entry #%(anchored)s does not have the hash the anchor (%(path)s) recorded: the "
                "log was rewritten from that entry or an earlier one, every hash recomputed."
            )
        if problem is Problem.EXPECTED_ENTRY_MISSING:
            return _("The log has no entry #%(id)s, which the head you gave names.")
        if problem is Problem.EXPECTED_ENTRY_CHANGED:
            return _(
                "Entry #%(id)s does not have the hash you gave: the log was rewritten from that "
                "entry or an earlier one."
            )
        if self.previous_entry_id is None:
            return _(
                "Entry #%(id)s is the oldest entry but does not start the chain: "
                "older entries have probably been deleted."
            )
        if problem is Problem.MISSING_ENTRIES:
            return _(
                "Entry #%(id)s does not link to entry #%(previous)s before it, and the entries "
                "between them are missing: they have probably been deleted."
            )
        return _(
            "Entry #%(id)s does not link to entry #%(previous)s before it: one of the two "
            "has been altered or replaced."
        )


def verify(batch_size: int = 2000, expect: tuple[int, str] | None = None) -> VerificationResult:
    """Walk the whole chain in id order, in bounded memory, and stop at the first broken entry;
    then compare the log with the anchor, and with `expect` (an entry id and hash a sink
    recorded) if given.

    Gaps in the ids alone are normal (PostgreSQL does not reuse the id of a rolled-back insert);
    a gap only suggests deletion where the link across it is broken too."""
    ring = crypto.keyring(recheck=True)
    audit_anchor.flush()
    path = audit_anchor.anchor_file()
    # Read before the walk: an append during the walk may move the anchor past what it saw.
    try:
        anchor, anchor_problem = audit_anchor.read(path), ""
    except audit_anchor.AnchorUnreadable as error:
        anchor, anchor_problem = None, str(error)
    watched = {
        entry_id for entry_id in (anchor and anchor.entry_id, expect and expect[0]) if entry_id
    }
    seen: dict[int, str] = {}
    checked = unkeyed = 0
    previous_hash = GENESIS_HASH
    previous_id: int | None = None

    def broken(problem: Problem, entry: AuditEntry, detail: str = "") -> VerificationResult:
        return VerificationResult(
            checked, previous_hash, entry.pk, previous_id, problem, previous_id, unkeyed,
            anchor, str(path), detail=detail,
        )  # fmt: skip

    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size):
        if not entry.key_id and checked > unkeyed:
            return broken(Problem.UNKEYED_AFTER_KEYED, entry)
        try:
            expected_hash = compute_hash(entry, ring)
        except crypto.UnknownKey:
            return broken(Problem.UNKNOWN_KEY, entry, entry.key_id)
        if expected_hash != entry.entry_hash:
            return broken(Problem.CONTENT_CHANGED, entry)
        if entry.previous_hash != previous_hash:
            gap = previous_id is None or entry.pk != previous_id + 1
            return broken(Problem.MISSING_ENTRIES if gap else Problem.BROKEN_LINK, entry)
        checked += 1
        unkeyed += not entry.key_id
        previous_hash, previous_id = entry.entry_hash, entry.pk
        if entry.pk in watched:
            seen[entry.pk] = entry.entry_hash

    result = VerificationResult(
        checked, previous_hash, last_entry_id=previous_id, unkeyed=unkeyed, anchor=anchor,
        anchor_path=str(path),
    )  # fmt: skip
    problem, detail, broken_id = _compare_heads(result, anchor, anchor_problem, expect, seen)
    if problem is None and anchor is not None:
        unanchored = AuditEntry.objects.filter(pk__gt=anchor.entry_id, pk__lte=previous_id or 0)
        return dataclasses.replace(result, unanchored=unanchored.count())
    return dataclasses.replace(result, problem=problem, detail=detail, broken_entry_id=broken_id)


class AuditError(Exception):
    """An audit operation cannot be done as asked; the message says why."""


def anchor_current_head() -> AuditEntry:
    """Anchor a log that has no usable anchor: check the chain, then record an entry (which the
    normal path anchors) naming what was found. Refused while an anchor is in place, so that a
    cut the anchor shows cannot be papered over: move a broken anchor aside first, as evidence."""
    result = verify()
    if result.problem not in {None, Problem.ANCHOR_MISSING, Problem.ANCHOR_UNREADABLE}:
        raise AuditError(result.describe())
    if result.anchor is not None:
        raise AuditError(
            _("The log is already anchored (%(path)s names entry #%(id)s); nothing to do.")
            % {"path": result.anchor_path, "id": result.anchor.entry_id}
        )
    if result.problem is Problem.ANCHOR_UNREADABLE:
        raise AuditError(
            _("%(detail)s Move it aside (keep it: it may be evidence), then run this again.")
            % {"detail": result.detail}
        )
    return record(
        None,
        "audit.anchor",
        changes={"entries": result.checked, "head_id": result.last_entry_id},
    )


def _compare_heads(
    result: VerificationResult,
    anchor: audit_anchor.Head | None,
    anchor_problem: str,
    expect: tuple[int, str] | None,
    seen: dict[int, str],
) -> tuple[Problem | None, str, int | None]:
    """What the anchor and the expected head say about an intact chain: (problem, detail, id)."""
    if expect is not None:
        entry_id, entry_hash = expect
        if entry_id not in seen:
            return Problem.EXPECTED_ENTRY_MISSING, "", entry_id
        if seen[entry_id] != entry_hash:
            return Problem.EXPECTED_ENTRY_CHANGED, "", entry_id
    if anchor_problem:
        return Problem.ANCHOR_UNREADABLE, anchor_problem, None
    if anchor is None:
        return (Problem.ANCHOR_MISSING, "", None) if result.checked else (None, "", None)
    if anchor.entry_id not in seen:
        # SQLite with synchronous=NORMAL may lose the last commits in a power failure.
        return Problem.ANCHORED_ENTRY_MISSING, connection.vendor, anchor.entry_id
    if seen[anchor.entry_id] != anchor.entry_hash:
        return Problem.ANCHORED_ENTRY_CHANGED, "", anchor.entry_id
    return None, "", None


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


# --- One record's trail (who may read it: core.access.can_view_trail) ---------------------------


def trail(object_type: str, object_id: str) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=object_type, object_id=object_id)

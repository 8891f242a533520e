"""The steps every change to an event shares, written once: lock → check → snapshot → write →
version → audit. A service says what it writes; `changing` does the rest:

    with changing(actor, event, VersionAction.ADD_SOURCE, AuditAction.EVENT_ADD_SOURCE) as change:
        source = save_source(change.event, ..., change.shared)
        change.audit_changes = {"source": source.pk}

Every version that changes content (all but the workflow's own steps) sends a submitted or
verified event back to review (`return_to_review`). A person may take part in several events:
a change to them is a change to each of those events, which `SharedPersons` versions too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access, hooks
from amparo.cases.models import (
    Act,
    Event,
    EventVersion,
    Intervention,
    Involvement,
    Person,
    Source,
    VersionAction,
)
from amparo.cases.services import sharing
from amparo.cases.services.snapshots import audit_summary, row, snapshot, snapshot_diff
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.core.services import DomainError


def clean(obj: models.Model, prefix: str, exclude: Iterable[str] = ()) -> None:
    """full_clean, with error keys prefixed by where the object sits in the input
    ("acts.1.type_of_act"), so a form can show each error next to its field."""
    try:
        # Unique constraints are checked by the callers, which can say which field clashes.
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise ValidationError(
            {
                (f"{prefix}{key}" if key != "__all__" else (prefix.rstrip(".") or "__all__")): value
                for key, value in error.message_dict.items()
            }
        ) from None


def lock(event: Event) -> Event:
    """The event re-read under a row lock, so two writers do not interleave on one event."""
    return Event.objects.select_for_update().select_related("organisation").get(pk=event.pk)


def open_for_change(actor: User, event: Event, action: str = access.EDIT) -> Event:
    """The event, locked for this transaction, once `actor` may do `action` to it now (its
    permission and its workflow state: `access.ensure`)."""
    event = lock(event)
    access.ensure(actor, action, event)
    return event


# The workflow's own steps: every other version changes what the event says.
WORKFLOW_STEPS = frozenset({VersionAction.SUBMIT, VersionAction.VERIFY, VersionAction.CLOSE})
# What `return_to_review` sets on the event.
REVIEW_FIELDS = ("status", "submitted_by", "submitted_at", "verified_by", "verified_at")


def return_to_review(actor: User | None, event: Event) -> bool:
    """Changed content needs a fresh check by a second person: a submitted or verified event
    becomes submitted again, with whoever changed it as its submitter (so the page says who
    sent it back, and `access.has_contributed` keeps them from verifying it). A draft stays a
    draft; a closed event stays closed (a shared person's new contact details do not reopen
    a closed case; the change shows in its history). Whether the event changed."""
    if event.status not in (Event.Status.SUBMITTED, Event.Status.VERIFIED):
        return False
    event.status = Event.Status.SUBMITTED
    event.submitted_by = actor
    event.submitted_at = timezone.now()
    event.verified_by = None
    event.verified_at = None
    return True


def new_version(
    actor: User | None,
    event: Event,
    action: VersionAction,
    before: Mapping[str, Any] | None,
    extra: Mapping[str, Any] | None = None,
) -> EventVersion:
    """Number and keep the event aggregate as it is now; a change of content sends the event
    back to review first."""
    number = event.version + 1
    columns: dict[str, Any] = {"version": number}
    if action not in WORKFLOW_STEPS and return_to_review(actor, event):
        columns.update({name: getattr(event, name) for name in REVIEW_FIELDS})
    Event.objects.filter(pk=event.pk).update(**columns)
    event.version = number
    sharing.seal_event_rows(event)
    after = snapshot(event)
    changes = {**snapshot_diff(before, after), **(extra or {})}
    # Every change to an event's aggregate passes here: what is derived from it follows.
    hooks.events_changed([event.pk])
    return EventVersion.objects.create(
        event=event,
        number=number,
        action=action,
        actor=actor,
        snapshot=after,
        changes=changes,
    )


def check_expected_version(event: Event, expected_version: int | None) -> None:
    """Refuse to overwrite a change someone made since `expected_version` was read."""
    if expected_version is not None and expected_version != event.version:
        raise DomainError(
            _(
                "Someone else changed this event while you were editing it. Open it again "
                "to see their changes, then make yours."
            )
        )


def events_of(person: Person) -> models.QuerySet[Event]:
    """Every event the person takes part in, as victim, perpetrator, source or intervener."""
    return Event.objects.filter(
        models.Q(pk__in=Act.objects.filter(victim=person).values("event_id"))
        | models.Q(pk__in=Involvement.objects.filter(perpetrator=person).values("act__event_id"))
        | models.Q(pk__in=Source.objects.filter(source_person=person).values("event_id"))
        | models.Q(pk__in=Intervention.objects.filter(intervening_person=person).values("event_id"))
    )


# What a person's audit entry and comparison leave out: bookkeeping, and the blind index (it
# follows the name, and is only recomputed on save).
_PERSON_BOOKKEEPING = frozenset({"updated_at", "updated_by_id", "full_name_index"})


def person_state(person: Person, defender_types: Iterable[Any] | None = None) -> dict[str, Any]:
    """The person's recorded values, as compared before and after a change (defender types as
    sorted ids: those given, or else those saved)."""
    types = person.defender_types.all() if defender_types is None else defender_types
    state = {k: v for k, v in row(person).items() if k not in _PERSON_BOOKKEEPING}
    state["defender_types"] = sorted(t.pk for t in types)
    return state


@dataclass
class SharedPersons:
    """Existing persons that a change to one event (or to the person alone: `update_person`)
    changes, as they appear in other events too.

    A person is one record shared by every event they take part in: renaming them in one event
    renames them in all. So each other event gets a new version (its history shows the change)
    and each changed person an audit entry naming the events, never the values of identifying
    fields. `PersonWriter` calls `before` ahead of writing a person whose values change;
    `publish` runs after the writes, in the same transaction."""

    event: Event | None  # the event changed (None: the person alone)
    others: dict[int, tuple[Event, dict[str, Any]]] = field(default_factory=dict)
    persons: dict[int, tuple[Person, dict[str, Any]]] = field(default_factory=dict)

    def before(self, person: Person, state: dict[str, Any]) -> None:
        """Remember `person` as it is (`state`) and the other events they appear in as they
        are, locked until the transaction ends."""
        if person.pk in self.persons:
            return
        self.persons[person.pk] = (person, state)
        others = events_of(person).select_for_update().order_by("pk")
        if self.event is not None:
            others = others.exclude(pk=self.event.pk)
        for other in others:
            if other.pk not in self.others:
                self.others[other.pk] = (other, snapshot(other))

    def publish(self, actor: User) -> None:
        changed = {
            pk: (person, old)
            for pk, (person, old) in self.persons.items()
            if person_state(person) != old
        }
        events: dict[int, list[int]] = {pk: [] for pk in changed}
        for other, before in self.others.values():
            present = {p["id"] for p in before["persons"]} & set(changed)
            if not present:
                continue
            new_version(
                actor,
                other,
                VersionAction.UPDATE_PERSON,
                before,
                {"shared_persons": sorted(present)},
            )
            for pk in present:
                events[pk].append(other.pk)
        for pk, (person, old) in changed.items():
            changes = {
                **audit.diff(old, person_state(person), audit.secret_field_names(Person)),
                "events": sorted(events[pk]),
            }
            audit.record(actor, AuditAction.PERSON_UPDATE, person, changes=changes)


@dataclass
class EventChange:
    """A change in progress. The service writes through `event` (locked, checked) and may say
    what the audit entry and the version should add; by default the audit entry lists which
    fields and rows changed (`audit_summary`), never their values."""

    event: Event
    before: dict[str, Any]
    shared: SharedPersons
    audit_changes: Mapping[str, Any] | None = None
    version_extra: Mapping[str, Any] = field(default_factory=dict)
    version: EventVersion | None = None


@contextmanager
def changing(
    actor: User,
    event: Event,
    version_action: VersionAction,
    audit_action: AuditAction,
    *,
    check: str = access.EDIT,
) -> Iterator[EventChange]:
    """One change to an event, in one transaction: the event is locked and `check` ensured,
    its aggregate snapshotted; after the caller's writes, a new version and an audit entry."""
    with transaction.atomic():
        locked = open_for_change(actor, event, check)
        change = EventChange(event=locked, before=snapshot(locked), shared=SharedPersons(locked))
        yield change
        change.shared.publish(actor)
        change.version = new_version(
            actor, locked, version_action, change.before, change.version_extra
        )
        changes = change.audit_changes
        if changes is None:
            changes = audit_summary(change.version.changes)
        audit.record(actor, audit_action, locked, changes=changes)

"""Merging two records of one person (found by `amparo dedupe`, or by a documentalist), and
undoing it exactly.

A merge re-points every act, involvement, source and intervention of the duplicate to the
survivor, in one transaction, and writes a new version of every event it touched (so the
statistics follow, and each event's history says what happened). Nothing is deleted: the
duplicate's own record (its spelling of the name, its contacts, its consents) stays as it was,
each source still reports what it reported, and `PersonMerge.moved` lists exactly which rows
moved, so that `undo_merge` puts back those rows, and only those.

Who may: staff who may change both persons (`access.may_change_person`), see who both are
(a merge decided on names must be decided by someone who can read them), and edit every event
concerned now (a closed event cannot change). Both persons belong to one organisation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access
from amparo.cases.models import (
    Act,
    Event,
    Intervention,
    Involvement,
    Person,
    PersonMerge,
    Source,
    VersionAction,
)
from amparo.cases.services.changes import events_of, new_version
from amparo.cases.services.snapshots import snapshot
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.core.services import DomainError

# What points at a person, by the name `moved` keeps it under.
POINTERS: Mapping[str, tuple[type[models.Model], str]] = {
    "acts": (Act, "victim_id"),
    "involvements": (Involvement, "perpetrator_id"),
    "sources": (Source, "source_person_id"),
    "interventions": (Intervention, "intervening_person_id"),
}


def _check_persons(actor: User, persons: Sequence[Person]) -> None:
    presenter = access.PersonPresenter(actor)
    for person in persons:
        if not access.may_change_person(actor, person) or not presenter.identity_visible(person):
            raise PermissionDenied(_("You may not merge these persons."))


def _lock_events(actor: User, events: models.QuerySet[Event]) -> list[Event]:
    locked = list(events.select_for_update().select_related("organisation").order_by("pk"))
    for event in locked:
        access.ensure(actor, access.EDIT, event)
    return locked


def live_merge_of(person: Person) -> PersonMerge | None:
    """The merge that folded `person` into another, if it stands."""
    return PersonMerge.objects.filter(duplicate=person, undone_at__isnull=True).first()


@transaction.atomic
def merge_persons(actor: User, survivor: Person, duplicate: Person) -> PersonMerge:
    """Make `duplicate`'s records point at `survivor`. Raises PermissionDenied or DomainError
    (with the reason) and changes nothing when it cannot."""
    if survivor.pk == duplicate.pk:
        raise DomainError(_("A person cannot be merged with themselves."))
    persons = list(
        Person.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk]).order_by("pk")
    )
    if len(persons) != 2:
        raise DomainError(_("One of these persons no longer exists."))
    survivor, duplicate = sorted(persons, key=lambda p: p.pk != survivor.pk)
    if survivor.organisation_id != duplicate.organisation_id:
        raise DomainError(_("Records of two organisations cannot be merged."))
    _check_persons(actor, persons)
    for person in persons:
        if live_merge_of(person) is not None:
            raise DomainError(_("One of these records was already merged into another."))
    events = _lock_events(actor, events_of(duplicate))
    before = {event.pk: snapshot(event) for event in events}
    moved: dict[str, list[int]] = {}
    for name, (model, column) in POINTERS.items():
        rows = model._default_manager.filter(**{column: duplicate.pk})
        moved[name] = sorted(rows.values_list("pk", flat=True))
        rows.update(**{column: survivor.pk})
    merge = PersonMerge.objects.create(
        organisation=survivor.organisation,
        survivor=survivor,
        duplicate=duplicate,
        moved=moved,
        merged_by=actor,
    )
    for event in events:
        new_version(
            actor, event, VersionAction.MERGE_PERSON, before[event.pk], {"person_merge": merge.pk}
        )
    audit.record(
        actor,
        AuditAction.PERSON_MERGE,
        survivor,
        changes={"duplicate": duplicate.pk, "merge": merge.pk, **_counts(moved)},
    )
    return merge


def _counts(moved: Mapping[str, Sequence[int]]) -> dict[str, Any]:
    return {name: len(ids) for name, ids in moved.items()}


@transaction.atomic
def undo_merge(actor: User, merge: PersonMerge) -> PersonMerge:
    """Point back exactly the rows `merge` moved. Refused (DomainError) when one of them has
    changed since: then the records must be put right by hand."""
    merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise DomainError(_("This merge was already undone."))
    survivor, duplicate = merge.survivor, merge.duplicate
    _check_persons(actor, [survivor, duplicate])
    for name, (model, column) in POINTERS.items():
        ids = merge.moved.get(name, [])
        still = model._default_manager.filter(pk__in=ids, **{column: survivor.pk}).count()
        if still != len(ids):
            raise DomainError(
                _(
                    "Some records this merge moved have been changed or removed since; "
                    "put them right by hand."
                )
            )
    event_ids = set(
        Act.objects.filter(pk__in=merge.moved.get("acts", [])).values_list("event_id", flat=True)
    )
    event_ids |= set(
        Involvement.objects.filter(pk__in=merge.moved.get("involvements", [])).values_list(
            "act__event_id", flat=True
        )
    )
    for name in ("sources", "interventions"):
        model, _column = POINTERS[name]
        event_ids |= set(
            model._default_manager.filter(pk__in=merge.moved.get(name, [])).values_list(
                "event_id", flat=True
            )
        )
    events = _lock_events(actor, Event.objects.filter(pk__in=event_ids))
    before = {event.pk: snapshot(event) for event in events}
    for name, (model, column) in POINTERS.items():
        model._default_manager.filter(pk__in=merge.moved.get(name, [])).update(
            **{column: duplicate.pk}
        )
    merge.undone_by = actor
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_by", "undone_at"])
    for event in events:
        new_version(
            actor, event, VersionAction.UNMERGE_PERSON, before[event.pk], {"person_merge": merge.pk}
        )
    audit.record(
        actor,
        AuditAction.PERSON_MERGE_UNDO,
        survivor,
        changes={"duplicate": duplicate.pk, "merge": merge.pk, **_counts(merge.moved)},
    )
    return merge

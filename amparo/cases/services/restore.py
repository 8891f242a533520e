"""Putting an event back as it was in an earlier version."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import models
from django.utils.translation import gettext as _

from amparo.cases import access
from amparo.cases.models import (
    Act,
    ChainLink,
    Event,
    EventVersion,
    Intervention,
    Involvement,
    Person,
    Source,
    VersionAction,
)
from amparo.cases.services.changes import EventChange, changing, person_state
from amparo.cases.services.snapshots import SNAPSHOT_FORMAT
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.core.services import DomainError

M = TypeVar("M", bound=models.Model)

# Workflow and bookkeeping stay as they are now: a restore changes content, not history.
NOT_RESTORED = frozenset(
    {
        "id",
        "organisation_id",
        "reference_code",
        "status",
        "submitted_by_id",
        "submitted_at",
        "verified_by_id",
        "verified_at",
        "closed_by_id",
        "closed_at",
        "version",
        "created_by_id",
        "created_at",
        "updated_by_id",
        "updated_at",
    }
)


def _assign(obj: models.Model, row: Mapping[str, Any], skip: Iterable[str] = ()) -> None:
    skipped = set(skip)
    for f in obj._meta.concrete_fields:
        if f.attname in row and f.attname not in skipped and not f.primary_key:
            setattr(obj, f.attname, f.to_python(row[f.attname]))


def _restore_rows(
    model: type[M],
    rows: Sequence[Mapping[str, Any]],
    current: models.QuerySet[M],
    after_save: Callable[[M, Mapping[str, Any]], None] | None = None,
) -> None:
    """Make `current` hold exactly `rows`: update the ones still there, re-create the deleted
    ones under their old ids, delete the ones added since."""
    wanted = {row["id"]: row for row in rows}
    current.exclude(pk__in=list(wanted)).delete()
    present = model._default_manager.in_bulk(list(wanted))
    for pk, row in wanted.items():
        obj = present.get(pk) or model(pk=pk)
        _assign(obj, row)
        obj.save()
        if after_save is not None:
            after_save(obj, row)


def restore_version(actor: User, event: Event, version: EventVersion) -> Event:
    """Put the event aggregate back as it was in `version`; recorded as a new version.

    Persons are restored in place (they may also appear in other events of the organisation,
    which then show the restored values too); workflow status is not rolled back, and restored
    content needs a fresh verification."""
    with changing(
        actor, event, VersionAction.RESTORE, AuditAction.EVENT_RESTORE, check=access.RESTORE
    ) as change:
        _restore(actor, change, version)
        change.version_extra = {"restored_from": version.number}
        change.audit_changes = {
            "restored_from": version.number,
            "version": change.event.version + 1,
        }
    return change.event


def _restore(actor: User, change: EventChange, version: EventVersion) -> None:
    event = change.event
    if version.event_id != event.pk:
        raise DomainError(_("This version belongs to another event."))
    if version.number == event.version:
        raise DomainError(_("This is already the current version."))
    data = version.snapshot
    if data.get("format") != SNAPSHOT_FORMAT:
        raise DomainError(_("This version was saved in a format that cannot be restored."))
    _assign(event, data["event"], skip=NOT_RESTORED)
    access.require(actor, access.RESTORE, event)
    event.updated_by = actor
    event.save()

    for row in data["persons"]:
        person = Person.objects.filter(pk=row["id"]).first()
        if person is None:
            continue
        if person.organisation_id != event.organisation_id:
            raise DomainError(_("A person of this version now belongs to another organisation."))
        # Restored in place: a person who changed since is changed back in their other events.
        now = person_state(person)
        restored = Person(pk=person.pk)
        _assign(restored, row)
        if now != {**person_state(restored, []), "defender_types": sorted(row["defender_types"])}:
            change.shared.before(person, now)
    _restore_rows(
        Person,
        data["persons"],
        Person.objects.none(),
        lambda person, row: person.defender_types.set(row["defender_types"]),
    )
    for person, _state in change.shared.persons.values():
        person.refresh_from_db()  # SharedPersons compares the person as restored
    _restore_rows(
        Act,
        data["acts"],
        Act.objects.filter(event=event),
        lambda act, row: act.consequences.set(row["consequences"]),
    )
    _restore_rows(Involvement, data["involvements"], Involvement.objects.filter(act__event=event))
    _restore_rows(Source, data["sources"], Source.objects.filter(event=event))
    _restore_rows(Intervention, data["interventions"], Intervention.objects.filter(event=event))
    links = [row for row in data["links"] if Event.objects.filter(pk=row["to_event_id"]).exists()]
    _restore_rows(ChainLink, links, ChainLink.objects.filter(from_event=event))

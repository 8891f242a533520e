"""The event aggregate as plain JSON data (what a version keeps), and what changed."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models

from amparo.cases.models import (
    Act,
    ChainLink,
    Event,
    Intervention,
    Involvement,
    Person,
    Source,
)
from amparo.core import audit, instances

SNAPSHOT_FORMAT = 1
M = TypeVar("M", bound=models.Model)


# Whether an import is still writing a record is not part of it: a version never keeps it, so
# a restore can never hide a record again. Nor is the data key a row is sealed with (issue 16):
# a restore seals the values again with the keys of the moment.
NOT_RECORDED = frozenset({"pending_import_id", "data_key_id"})


def row(obj: models.Model) -> dict[str, Any]:
    """Every concrete column of `obj` as JSON data, keyed by attribute name (FKs as *_id)."""
    jsonable = audit.jsonable
    names, read = _recorded(type(obj))
    return {name: jsonable(value) for name, value in zip(names, read(obj), strict=True)}


@functools.cache
def _recorded(
    model: type[models.Model],
) -> tuple[tuple[str, ...], Callable[[models.Model], tuple[Any, ...]]]:
    """The attribute names a version keeps of a model's rows, and a function reading them
    all in one call (an import makes thousands of rows)."""
    names = tuple(f.attname for f in model._meta.concrete_fields if f.attname not in NOT_RECORDED)
    return names, instances.reader(names)


@dataclass
class Aggregate:
    """An event and everything a version of it keeps, as model instances: read from the
    database (`snapshot`), or built in memory (the demo world), and serialised the same way.
    The many-to-many terms come as ids: acts' consequences and persons' defender types."""

    event: Event
    acts: Sequence[Act] = ()
    involvements: Sequence[Involvement] = ()
    persons: Sequence[Person] = ()
    sources: Sequence[Source] = ()
    interventions: Sequence[Intervention] = ()
    links: Sequence[ChainLink] = ()
    consequences: Mapping[int, Iterable[int]] = field(default_factory=dict)
    defender_types: Mapping[int, Iterable[int]] = field(default_factory=dict)


def snapshot_of(aggregate: Aggregate) -> dict[str, Any]:
    """The aggregate as plain JSON data: what a version keeps and a restore puts back."""

    def by_pk(items: Iterable[M]) -> list[M]:
        return sorted(items, key=lambda item: item.pk)

    return {
        "format": SNAPSHOT_FORMAT,
        "event": row(aggregate.event),
        "acts": [
            {**row(a), "consequences": sorted(aggregate.consequences.get(a.pk, ()))}
            for a in by_pk(aggregate.acts)
        ],
        "involvements": [row(i) for i in by_pk(aggregate.involvements)],
        "persons": [
            {**row(p), "defender_types": sorted(aggregate.defender_types.get(p.pk, ()))}
            for p in by_pk(aggregate.persons)
        ],
        "sources": [row(s) for s in by_pk(aggregate.sources)],
        "interventions": [row(i) for i in by_pk(aggregate.interventions)],
        "links": [row(link) for link in by_pk(aggregate.links)],
    }


def snapshot(event: Event) -> dict[str, Any]:
    """The event aggregate as it is in the database, as plain JSON data (`snapshot_of`)."""
    acts = list(Act.objects.filter(event=event).prefetch_related("consequences"))
    involvements = list(Involvement.objects.filter(act__event=event))
    sources = list(Source.objects.filter(event=event))
    interventions = list(Intervention.objects.filter(event=event))
    person_ids = (
        {a.victim_id for a in acts}
        | {i.perpetrator_id for i in involvements}
        | {s.source_person_id for s in sources}
        | {i.intervening_person_id for i in interventions}
    ) - {None}
    persons = list(Person.objects.filter(pk__in=person_ids).prefetch_related("defender_types"))
    return snapshot_of(
        Aggregate(
            event=event,
            acts=acts,
            involvements=involvements,
            persons=persons,
            sources=sources,
            interventions=interventions,
            links=list(ChainLink.objects.filter(from_event=event)),
            consequences={a.pk: [t.pk for t in a.consequences.all()] for a in acts},
            defender_types={p.pk: [t.pk for t in p.defender_types.all()] for p in persons},
        )
    )


COLLECTIONS: dict[str, type[models.Model]] = {
    "acts": Act,
    "involvements": Involvement,
    "persons": Person,
    "sources": Source,
    "interventions": Intervention,
    "links": ChainLink,
}


def snapshot_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    """What changed between two snapshots, readable, with encrypted values as "[encrypted]"."""
    if before is None:
        return {
            "created": {name: len(after[name]) for name in COLLECTIONS if after[name]},
        }
    changes: dict[str, Any] = {}
    ignored = {"updated_at", "version"}
    event_changes = audit.diff(
        {k: v for k, v in before["event"].items() if k not in ignored},
        {k: v for k, v in after["event"].items() if k not in ignored},
        audit.secret_field_names(Event),
    )
    if event_changes:
        changes["event"] = event_changes
    for name, model in COLLECTIONS.items():
        old = {row["id"]: row for row in before.get(name, [])}
        new = {row["id"]: row for row in after.get(name, [])}
        secret = audit.secret_field_names(model)
        part: dict[str, Any] = {}
        if added := sorted(set(new) - set(old)):
            part["added"] = added
        if removed := sorted(set(old) - set(new)):
            part["removed"] = removed
        changed = {}
        for pk in sorted(set(old) & set(new)):
            if old[pk] == new[pk]:
                continue  # most rows of an aggregate are untouched by a change
            row_changes = audit.diff(
                {k: v for k, v in old[pk].items() if k not in ignored},
                {k: v for k, v in new[pk].items() if k not in ignored},
                secret,
            )
            if row_changes:
                changed[str(pk)] = row_changes
        if changed:
            part["changed"] = changed
        if part:
            changes[name] = part
    return changes


def audit_summary(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Which fields and rows changed, without their values: the audit log is append-only and
    readable as JSON, so a name typed into a description by mistake and removed again must not
    stay there. The values are kept in the (encrypted) version."""
    summary: dict[str, Any] = {}
    if "event" in changes:
        summary["event"] = sorted(changes["event"])
    for name in COLLECTIONS:
        part = changes.get(name)
        if part:
            summary[name] = {key: sorted(int(pk) for pk in value) for key, value in part.items()}
    return summary

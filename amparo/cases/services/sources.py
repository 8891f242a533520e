"""Sources (HURIDOCS "Information") of an event."""

from __future__ import annotations

from amparo.cases import access
from amparo.cases.models import (
    Event,
    Source,
    VersionAction,
)
from amparo.cases.services.changes import changing, clean
from amparo.cases.services.inputs import SourceInput
from amparo.cases.services.persons import PersonWriter
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User


def save_source(
    event: Event, data: SourceInput, persons: PersonWriter, actor: User, key: str
) -> Source:
    source = Source(
        event=event,
        source_person=None
        if data.source_person is None
        else persons.save(data.source_person, f"{key}.source_person"),
        received_on=data.received_on,
        reliability=data.reliability,
        connection=data.connection,
        material_type=data.material_type,
        material=data.material.strip(),
        language=data.language,
        created_by=actor,
    )
    clean(source, f"{key}.", exclude=["event", "created_by"])
    source.save()
    return source


def add_source(actor: User, event: Event, data: SourceInput) -> Source:
    with changing(actor, event, VersionAction.ADD_SOURCE, AuditAction.EVENT_ADD_SOURCE) as change:
        persons = PersonWriter(
            actor, change.event.organisation, access.PersonPresenter(actor), change.shared
        )
        source = save_source(change.event, data, persons, actor, "source")
        change.audit_changes = {"source": source.pk}
    return source

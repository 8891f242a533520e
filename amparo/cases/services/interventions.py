"""Interventions: what someone did about an event."""

from __future__ import annotations

from amparo.cases import access
from amparo.cases.models import (
    Event,
    Intervention,
    VersionAction,
)
from amparo.cases.services.changes import changing, clean
from amparo.cases.services.inputs import InterventionInput
from amparo.cases.services.persons import PersonWriter
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User


def add_intervention(actor: User, event: Event, data: InterventionInput) -> Intervention:
    with changing(
        actor, event, VersionAction.ADD_INTERVENTION, AuditAction.EVENT_ADD_INTERVENTION
    ) as change:
        persons = PersonWriter(
            actor, change.event.organisation, access.PersonPresenter(actor), change.shared
        )
        intervention = Intervention(
            event=change.event,
            intervention_type=data.intervention_type,
            intervening_person=None
            if data.intervening_person is None
            else persons.save(data.intervening_person, "intervention.intervening_person"),
            intervening_organisation=data.intervening_organisation,
            date=data.date,
            status=data.status,
            result=data.result.strip(),
            created_by=actor,
        )
        clean(intervention, "", exclude=["event", "created_by"])
        intervention.save()
        change.audit_changes = {"intervention": intervention.pk}
    return intervention

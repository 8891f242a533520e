"""Recording and changing an event with its acts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from amparo.cases import access
from amparo.cases.models import (
    Event,
    VersionAction,
)
from amparo.cases.services.acts import write_acts
from amparo.cases.services.changes import (
    SharedPersons,
    changing,
    check_expected_version,
    clean,
    new_version,
)
from amparo.cases.services.inputs import EVENT_INPUT_FIELDS, EventInput
from amparo.cases.services.persons import PersonWriter
from amparo.cases.services.references import allocate_reference_code, claim_reference_code
from amparo.cases.services.sources import save_source
from amparo.core import audit, instances
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Organisation, User
from amparo.core.services import DomainError


def apply_event_fields(event: Event, data: EventInput) -> None:
    for name in EVENT_INPUT_FIELDS:
        setattr(event, name, getattr(data, name))
    event.title = event.title.strip()
    event.description = event.description.strip()
    event.country = event.country.upper()
    event.region = event.region.upper()
    event.locality = event.locality.strip()
    event.external_id = event.external_id.strip()
    if data.notes is not None:
        event.notes = data.notes.strip()


def check_external_id(event: Event) -> None:
    if not event.external_id:
        return
    clash = Event.objects.filter(
        organisation_id=event.organisation_id, external_id=event.external_id
    ).exclude(pk=event.pk)
    if clash.exists():
        raise ValidationError(
            {"external_id": _("Another event of the organisation has this identifier.")}
        )


def new_event(
    actor: User,
    organisation: Organisation,
    data: EventInput,
    viewer: access.Viewer | None = None,
    *,
    check_links: bool = True,
) -> Event:
    """The event `data` describes, checked but not saved (its acts apart): permission, fields.
    Without `check_links`, its terms are not looked up again (they come from a resolver of the
    right lists)."""
    event = instances.new(Event, organisation=organisation, confidentiality=data.confidentiality)
    access.require(actor, access.CREATE, event, viewer)
    if not organisation.is_active:
        raise DomainError(_("This organisation is no longer active."))
    apply_event_fields(event, data)
    if data.notes is None:
        event.notes = ""
    event.created_by = event.updated_by = actor
    exclude = ["organisation", "reference_code", "created_by", "updated_by"]
    clean(event, "", exclude=exclude if check_links else [*exclude, "monitoring_status"])
    return event


def event_recorded_with(actor: User, creation_token: str) -> Event | None:
    """The event `actor` recorded with the form (or request) of `creation_token`, if any."""
    if not creation_token:
        return None
    return Event.objects.filter(created_by=actor, creation_token=creation_token).first()


@transaction.atomic
def create_event(actor: User, organisation: Organisation, data: EventInput) -> Event:
    """Record a new event with its acts, victims, perpetrators (and first sources) at once.

    Raises PermissionDenied, or ValidationError whose keys say where in `data` the problem is
    ("title", "acts.0.victim.region", ...). Nothing is written unless all of it is valid.
    Idempotent for a `data.creation_token`: sent again by the same actor, it returns the event
    it recorded the first time, unchanged.
    """
    recorded = event_recorded_with(actor, data.creation_token)
    if recorded is not None:
        return recorded
    event = new_event(actor, organisation, data)
    event.creation_token = data.creation_token or None
    check_external_id(event)
    try:
        with transaction.atomic():
            event.reference_code = (
                claim_reference_code(organisation, data.reference_code)
                if data.reference_code.strip()
                else allocate_reference_code(organisation)
            )
            event.save()
    except IntegrityError:
        # The same form, sent twice at once: the other request recorded it first.
        recorded = event_recorded_with(actor, data.creation_token)
        if recorded is None:
            raise
        return recorded
    shared = SharedPersons(event)
    persons = PersonWriter(actor, organisation, access.PersonPresenter(actor), shared)
    write_acts(event, data.acts, persons, replace=False)
    for index, source in enumerate(data.sources):
        save_source(event, source, persons, actor, f"sources.{index}")
    shared.publish(actor)
    new_version(actor, event, VersionAction.CREATE, None)
    audit.record(
        actor,
        AuditAction.EVENT_CREATE,
        event,
        changes=creation_changes(event, acts=len(data.acts), sources=len(data.sources)),
    )
    return event


def creation_changes(event: Event, *, acts: int, sources: int) -> dict[str, Any]:
    """What the audit entry of a new event says: no content, only its shape."""
    return {
        "reference_code": event.reference_code,
        "acts": acts,
        "sources": sources,
        "confidentiality": event.confidentiality,
    }


def update_event(
    actor: User, event: Event, data: EventInput, *, expected_version: int | None = None
) -> Event:
    """Replace the event's fields and acts (acts without an id are new; acts left out are
    deleted). `expected_version` guards against overwriting someone else's change."""
    if data.sources:
        raise ValueError("update_event does not take sources; use add_source.")
    with changing(actor, event, VersionAction.UPDATE, AuditAction.EVENT_UPDATE) as change:
        event = change.event
        check_expected_version(event, expected_version)
        apply_event_fields(event, data)
        # The new confidentiality must not lock the editor out of what they are editing.
        access.require(actor, access.EDIT, event)
        event.updated_by = actor
        clean(
            event,
            "",
            exclude=["organisation", "reference_code", "created_by", "updated_by", "submitted_by"],
        )
        check_external_id(event)
        event.save()
        persons = PersonWriter(
            actor, event.organisation, access.PersonPresenter(actor), change.shared
        )
        write_acts(event, data.acts, persons, replace=True)
    return event

"""Every write to case records: one function per change, each checking permission through
`amparo.cases.access`, validating, writing in one transaction, versioning the event aggregate
and recording an audit entry.

The web pages, the API, imports, the demo generator and the secure-intake channel ("open a case
from a report") all call these functions. `create_event` takes the whole aggregate at once:

    victim = PersonInput(full_name="…", sex=woman, defender_types=[journalist])
    create_event(actor, organisation, EventInput(
        title="Death threats against a community radio journalist",
        start_date=date(2026, 3, 2), country="KE",
        acts=[ActInput(victim=victim, type_of_act=death_threat,
                       involvements=[InvolvementInput(perpetrator_type=police)])],
    ))

The same PersonInput object used in several acts is one person. Identifying fields of a
PersonInput left as None are kept as they are (on a new person: empty).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access
from amparo.cases.models import (
    EVENT_DESCRIPTION_FIELDS,
    IDENTIFYING_FIELDS,
    Act,
    ChainLink,
    Comment,
    ConsentRecord,
    DatePrecision,
    Event,
    EventVersion,
    Intervention,
    Involvement,
    Person,
    RecipientKind,
    ReferenceCounter,
    SharingGrant,
    Source,
    Vocab,
    validate_terms,
)
from amparo.core import audit
from amparo.core.models import Clearance, Organisation, Term, User
from amparo.core.services import DomainError

# --- Input --------------------------------------------------------------------------------------


@dataclass(eq=False)
class PersonInput:
    """A new person, or changes to an existing one (`person`). Compared by identity."""

    kind: str = Person.Kind.INDIVIDUAL
    full_name: str | None = None
    other_names: str | None = None
    contact: str | None = None
    id_numbers: str | None = None
    address: str | None = None
    notes: str | None = None
    sex: Term | None = None
    age_group: Term | None = None
    defender_types: Sequence[Term] = ()
    country: str = ""
    region: str = ""
    # None: unchanged; for a new person Confidential, or the recorder's clearance if lower.
    confidentiality: int | None = None
    external_id: str = ""
    person: Person | None = None

    @classmethod
    def existing(cls, person: Person) -> PersonInput:
        """An existing person, linked as they are (no change)."""
        return cls(
            kind=person.kind,
            sex=person.sex,
            age_group=person.age_group,
            defender_types=list(person.defender_types.all()),
            country=person.country,
            region=person.region,
            confidentiality=person.confidentiality,
            external_id=person.external_id,
            person=person,
        )


@dataclass(eq=False)
class InvolvementInput:
    perpetrator: PersonInput | None = None
    perpetrator_type: Term | None = None
    degree_of_involvement: Term | None = None
    id: int | None = None


@dataclass(eq=False)
class ActInput:
    victim: PersonInput
    type_of_act: Term
    method: Term | None = None
    date: datetime.date | None = None
    date_precision: str = DatePrecision.UNKNOWN
    consequences: Sequence[Term] = ()
    targeted_activity: Term | None = None
    country: str = ""
    region: str = ""
    locality: str = ""
    remarks: str | None = None
    involvements: Sequence[InvolvementInput] = ()
    id: int | None = None


@dataclass(eq=False)
class SourceInput:
    source_person: PersonInput | None = None
    received_on: datetime.date | None = None
    reliability: Term | None = None
    connection: Term | None = None
    material_type: Term | None = None
    material: str = ""
    language: Term | None = None


@dataclass(eq=False)
class InterventionInput:
    intervention_type: Term
    intervening_person: PersonInput | None = None
    intervening_organisation: Organisation | None = None
    date: datetime.date | None = None
    status: Term | None = None
    result: str = ""


@dataclass(eq=False)
class EventInput:
    """The whole event as recorded on the guided page. `sources` are used by `create_event`
    only; later sources, interventions and chain links have their own services."""

    title: str
    description: str = ""
    start_date: datetime.date | None = None
    start_precision: str = DatePrecision.DAY
    end_date: datetime.date | None = None
    end_precision: str = DatePrecision.UNKNOWN
    country: str = ""
    region: str = ""
    locality: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    coordinate_precision: str = ""
    confidentiality: int = Clearance.CONFIDENTIAL
    monitoring_status: Term | None = None
    notes: str | None = None
    external_id: str = ""
    reference_code: str = ""
    acts: Sequence[ActInput] = ()
    sources: Sequence[SourceInput] = field(default_factory=list)


EVENT_INPUT_FIELDS = (
    *EVENT_DESCRIPTION_FIELDS,
    "confidentiality",
    "monitoring_status",
    "external_id",
)


def recorded_input(event: Event, persons: dict[int, PersonInput]) -> EventInput:
    """The event as it is, as the services' input: acts and involvements keep their ids and
    persons stay as they are (one input per person, in `persons`), and encrypted free text is
    left out (None: unchanged), so changing one act leaves the others untouched."""

    def person(item: Person) -> PersonInput:
        if item.pk not in persons:
            persons[item.pk] = PersonInput.existing(item)
        return persons[item.pk]

    acts = []
    for act in event.acts.order_by("pk").prefetch_related("consequences", "involvements"):
        assert act.type_of_act is not None  # required by the model
        acts.append(
            ActInput(
                id=act.pk,
                victim=person(act.victim),
                type_of_act=act.type_of_act,
                method=act.method,
                date=act.date,
                date_precision=act.date_precision,
                consequences=list(act.consequences.all()),
                targeted_activity=act.targeted_activity,
                country=act.country,
                region=act.region,
                locality=act.locality,
                involvements=[
                    InvolvementInput(
                        id=item.pk,
                        perpetrator=person(item.perpetrator) if item.perpetrator else None,
                        perpetrator_type=item.perpetrator_type,
                        degree_of_involvement=item.degree_of_involvement,
                    )
                    for item in act.involvements.all()
                ],
            )
        )
    values = {name: getattr(event, name) for name in EVENT_INPUT_FIELDS}
    return EventInput(**values, acts=acts)


# --- Validation -----------------------------------------------------------------------------------


def _clean(obj: models.Model, prefix: str, exclude: Iterable[str] = ()) -> None:
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


def _open_for_change(actor: User, event: Event, action: str = access.EDIT) -> Event:
    """The event, locked for this transaction, once `actor` may do `action` to it and it is not
    closed: the first step of every change to an event's content."""
    event = _lock(event)
    access.require(actor, action, event)
    if event.status == Event.Status.CLOSED:
        raise DomainError(_("This event is closed and can no longer be changed."))
    return event


# --- Reference codes --------------------------------------------------------------------------


def reference_prefix(organisation: Organisation, year: int) -> str:
    return f"{organisation.short_code.upper()}-{year:04d}-"


def allocate_reference_code(organisation: Organisation, year: int | None = None) -> str:
    """The next code of the organisation for the year: NHRI-KE-2026-0042.

    Must run inside the caller's transaction. The counter row is incremented with an UPDATE, which
    on PostgreSQL holds the row lock until commit, so concurrent transactions number one after
    the other; on SQLite every transaction takes the write lock when it begins.
    """
    year = year or timezone.localdate().year
    counter, _created = ReferenceCounter.objects.get_or_create(organisation=organisation, year=year)
    prefix = reference_prefix(organisation, year)
    while True:
        ReferenceCounter.objects.filter(pk=counter.pk).update(last_number=F("last_number") + 1)
        number = ReferenceCounter.objects.values_list("last_number", flat=True).get(pk=counter.pk)
        code = f"{prefix}{number:04d}"
        # A code taken over from an import may already be in use: skip it.
        if not Event.objects.filter(reference_code=code).exists():
            return code


def _claim_reference_code(organisation: Organisation, code: str) -> str:
    """Keep an imported code, and move the counter past it so it is never given again."""
    code = code.strip()
    if Event.objects.filter(reference_code=code).exists():
        raise ValidationError({"reference_code": _("This reference code is already in use.")})
    match = re.fullmatch(re.escape(organisation.short_code.upper()) + r"-(\d{4})-(\d+)", code)
    if match:
        year, number = int(match.group(1)), int(match.group(2))
        counter, _created = ReferenceCounter.objects.get_or_create(
            organisation=organisation, year=year
        )
        if counter.last_number < number:
            ReferenceCounter.objects.filter(pk=counter.pk, last_number__lt=number).update(
                last_number=number
            )
    return code


# --- Snapshots and versions -------------------------------------------------------------------

SNAPSHOT_FORMAT = 1
M = TypeVar("M", bound=models.Model)


def _row(obj: models.Model) -> dict[str, Any]:
    """Every concrete column of `obj` as JSON data, keyed by attribute name (FKs as *_id)."""
    return {f.attname: audit.jsonable(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def _m2m_ids(obj: models.Model, name: str) -> list[int]:
    return sorted(t.pk for t in getattr(obj, name).all())


def snapshot(event: Event) -> dict[str, Any]:
    """The event aggregate as plain JSON data: what a version keeps and a restore puts back."""
    acts = list(Act.objects.filter(event=event).prefetch_related("consequences").order_by("pk"))
    involvements = list(Involvement.objects.filter(act__event=event).order_by("pk"))
    sources = list(Source.objects.filter(event=event).order_by("pk"))
    interventions = list(Intervention.objects.filter(event=event).order_by("pk"))
    links = list(ChainLink.objects.filter(from_event=event).order_by("pk"))
    person_ids = (
        {a.victim_id for a in acts}
        | {i.perpetrator_id for i in involvements}
        | {s.source_person_id for s in sources}
        | {i.intervening_person_id for i in interventions}
    ) - {None}
    persons = Person.objects.filter(pk__in=person_ids).prefetch_related("defender_types")
    return {
        "format": SNAPSHOT_FORMAT,
        "event": _row(event),
        "acts": [{**_row(a), "consequences": _m2m_ids(a, "consequences")} for a in acts],
        "involvements": [_row(i) for i in involvements],
        "persons": [
            {**_row(p), "defender_types": _m2m_ids(p, "defender_types")}
            for p in persons.order_by("pk")
        ],
        "sources": [_row(s) for s in sources],
        "interventions": [_row(i) for i in interventions],
        "links": [_row(link) for link in links],
    }


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


def _new_version(
    actor: User | None,
    event: Event,
    action: str,
    before: Mapping[str, Any] | None,
    extra: Mapping[str, Any] | None = None,
) -> EventVersion:
    number = event.version + 1
    Event.objects.filter(pk=event.pk).update(version=number)
    event.version = number
    after = snapshot(event)
    changes = {**snapshot_diff(before, after), **(extra or {})}
    return EventVersion.objects.create(
        event=event,
        number=number,
        action=action,
        actor=actor,
        snapshot=after,
        changes=changes,
    )


def _lock(event: Event) -> Event:
    """The event re-read under a row lock, so two writers do not interleave on one event."""
    return Event.objects.select_for_update().select_related("organisation").get(pk=event.pk)


# --- Writing persons and acts -------------------------------------------------------------------

PERSON_FIELDS = ("kind", "sex", "age_group", "country", "region", "confidentiality", "external_id")


class _PersonWriter:
    """Turns PersonInputs into saved persons, once per input object."""

    def __init__(self, actor: User, organisation: Organisation, presenter: access.PersonPresenter):
        self.actor = actor
        self.organisation = organisation
        self.presenter = presenter
        self.saved: dict[int, Person] = {}  # by id() of the input
        self.by_pk: dict[int, Person] = {}

    def save(self, data: PersonInput, key: str) -> Person:
        done = self.saved.get(id(data))
        if done is not None:
            return done
        if data.person is not None and data.person.pk in self.by_pk:
            return self._again(data, self.by_pk[data.person.pk], key)
        person = data.person
        if person is None:
            person = Person(organisation=self.organisation, created_by=self.actor)
            for name in IDENTIFYING_FIELDS:
                setattr(person, name, (getattr(data, name) or "").strip())
        else:
            if person.organisation_id != self.organisation.pk:
                raise ValidationError({key: _("This person belongs to another organisation.")})
            changes_identity = any(
                getattr(data, name) is not None
                and getattr(data, name).strip() != getattr(person, name)
                for name in IDENTIFYING_FIELDS
            )
            if changes_identity and not self.presenter.identity_visible(person):
                raise PermissionDenied(_("You may not change who this person is."))
            for name in IDENTIFYING_FIELDS:
                if getattr(data, name) is not None:
                    setattr(person, name, getattr(data, name).strip())
        previous_confidentiality = person.confidentiality if person.pk else None
        for name in PERSON_FIELDS:
            if name != "confidentiality":
                setattr(person, name, getattr(data, name))
        own = self.presenter.viewer.clearance_for(self.organisation.pk, access.EDIT)
        if data.confidentiality is not None:
            person.confidentiality = data.confidentiality
        elif person.pk is None:
            person.confidentiality = min(Clearance.CONFIDENTIAL, own or Clearance.CONFIDENTIAL)
        raised = person.confidentiality != previous_confidentiality
        if raised and own is not None and person.confidentiality > own:
            raise ValidationError(
                {f"{key}.confidentiality": _("This is above your own clearance.")}
            )
        person.country = person.country.upper()
        person.region = person.region.upper()
        person.updated_by = self.actor
        _clean(person, f"{key}.", exclude=["organisation", "created_by", "updated_by"])
        validate_terms(data.defender_types, Vocab.DEFENDER_TYPE, f"{key}.defender_types")
        if person.external_id and (
            Person.objects.filter(organisation=self.organisation, external_id=person.external_id)
            .exclude(pk=person.pk)
            .exists()
        ):
            raise ValidationError(
                {f"{key}.external_id": _("Another person already has this identifier.")}
            )
        person.save()
        person.defender_types.set(data.defender_types)
        self.saved[id(data)] = person
        self.by_pk[person.pk] = person
        return person

    def _again(self, data: PersonInput, person: Person, key: str) -> Person:
        """The same existing person reached through a second input: it must say the same."""
        differs = any(
            getattr(data, name) is not None and getattr(data, name).strip() != getattr(person, name)
            for name in IDENTIFYING_FIELDS
        ) or any(
            getattr(data, name) != getattr(person, name)
            for name in PERSON_FIELDS
            if not (name == "confidentiality" and data.confidentiality is None)
        )
        if differs or {t.pk for t in data.defender_types} != {
            t.pk for t in person.defender_types.all()
        }:
            raise ValidationError(
                {key: _("This person appears twice in the input with different details.")}
            )
        self.saved[id(data)] = person
        return person


def _write_acts(
    event: Event, acts: Sequence[ActInput], persons: _PersonWriter, *, replace: bool
) -> None:
    existing = {a.pk: a for a in Act.objects.filter(event=event)} if replace else {}
    kept: set[int] = set()
    for index, data in enumerate(acts):
        key = f"acts.{index}"
        if data.id is not None:
            act = existing.get(data.id)
            if act is None:
                raise ValidationError({key: _("This act does not belong to the event.")})
        else:
            act = Act(event=event)
        act.victim = persons.save(data.victim, f"{key}.victim")
        for name in (
            "type_of_act",
            "method",
            "date",
            "date_precision",
            "targeted_activity",
            "country",
            "region",
            "locality",
        ):
            setattr(act, name, getattr(data, name))
        act.country, act.region = act.country.upper(), act.region.upper()
        if data.remarks is not None:
            act.remarks = data.remarks.strip()
        elif act.pk is None:
            act.remarks = ""
        _clean(act, f"{key}.", exclude=["event"])
        validate_terms(data.consequences, Vocab.CONSEQUENCE, f"{key}.consequences")
        act.save()
        kept.add(act.pk)
        act.consequences.set(data.consequences)
        _write_involvements(act, data.involvements, persons, key)
    if replace:
        Act.objects.filter(event=event).exclude(pk__in=kept).delete()


def _write_involvements(
    act: Act, involvements: Sequence[InvolvementInput], persons: _PersonWriter, key: str
) -> None:
    existing = {i.pk: i for i in Involvement.objects.filter(act=act)}
    kept: set[int] = set()
    for index, data in enumerate(involvements):
        item_key = f"{key}.involvements.{index}"
        if data.id is not None:
            involvement = existing.get(data.id)
            if involvement is None:
                raise ValidationError({item_key: _("This involvement does not belong to the act.")})
            kept.add(involvement.pk)
        else:
            involvement = Involvement(act=act)
        involvement.perpetrator = (
            None
            if data.perpetrator is None
            else persons.save(data.perpetrator, f"{item_key}.perpetrator")
        )
        involvement.perpetrator_type = data.perpetrator_type
        involvement.degree_of_involvement = data.degree_of_involvement
        _clean(involvement, f"{item_key}.", exclude=["act"])
        involvement.save()
        kept.add(involvement.pk)
    Involvement.objects.filter(act=act).exclude(pk__in=kept).delete()


def _apply_event_fields(event: Event, data: EventInput) -> None:
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


def _check_external_id(event: Event) -> None:
    if not event.external_id:
        return
    clash = Event.objects.filter(
        organisation_id=event.organisation_id, external_id=event.external_id
    ).exclude(pk=event.pk)
    if clash.exists():
        raise ValidationError(
            {"external_id": _("Another event of the organisation has this identifier.")}
        )


def _save_source(
    event: Event, data: SourceInput, persons: _PersonWriter, actor: User, key: str
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
    _clean(source, f"{key}.", exclude=["event", "created_by"])
    source.save()
    return source


# --- Events -----------------------------------------------------------------------------------


@transaction.atomic
def create_event(actor: User, organisation: Organisation, data: EventInput) -> Event:
    """Record a new event with its acts, victims, perpetrators (and first sources) at once.

    Raises PermissionDenied, or ValidationError whose keys say where in `data` the problem is
    ("title", "acts.0.victim.region", ...). Nothing is written unless all of it is valid.
    """
    event = Event(organisation=organisation, confidentiality=data.confidentiality)
    access.require(actor, access.CREATE, event)
    if not organisation.is_active:
        raise DomainError(_("This organisation is no longer active."))
    _apply_event_fields(event, data)
    if data.notes is None:
        event.notes = ""
    event.created_by = event.updated_by = actor
    _clean(event, "", exclude=["organisation", "reference_code", "created_by", "updated_by"])
    _check_external_id(event)
    event.reference_code = (
        _claim_reference_code(organisation, data.reference_code)
        if data.reference_code.strip()
        else allocate_reference_code(organisation)
    )
    event.save()
    persons = _PersonWriter(actor, organisation, access.PersonPresenter(actor))
    _write_acts(event, data.acts, persons, replace=False)
    for index, source in enumerate(data.sources):
        _save_source(event, source, persons, actor, f"sources.{index}")
    _new_version(actor, event, "create", None)
    audit.record(
        actor,
        "event.create",
        event,
        changes={
            "reference_code": event.reference_code,
            "acts": len(data.acts),
            "sources": len(data.sources),
            "confidentiality": event.confidentiality,
        },
    )
    return event


def _reopen_for_review(actor: User, event: Event) -> None:
    """Changed content needs a fresh check by a second person: whoever changed it counts as
    its submitter, so they cannot verify it themselves."""
    if event.status in (Event.Status.SUBMITTED, Event.Status.VERIFIED):
        event.status = Event.Status.SUBMITTED
        event.submitted_by = actor
        event.submitted_at = timezone.now()
        event.verified_by = None
        event.verified_at = None


@transaction.atomic
def update_event(
    actor: User, event: Event, data: EventInput, *, expected_version: int | None = None
) -> Event:
    """Replace the event's fields and acts (acts without an id are new; acts left out are
    deleted). `expected_version` guards against overwriting someone else's change."""
    if data.sources:
        raise ValueError("update_event does not take sources; use add_source.")
    event = _open_for_change(actor, event)
    if expected_version is not None and expected_version != event.version:
        raise DomainError(
            _(
                "Someone else changed this event while you were editing it. Open it again "
                "to see their changes, then make yours."
            )
        )
    before = snapshot(event)
    _apply_event_fields(event, data)
    # The new confidentiality must not lock the editor out of what they are editing.
    access.require(actor, access.EDIT, event)
    event.updated_by = actor
    _reopen_for_review(actor, event)
    _clean(
        event,
        "",
        exclude=["organisation", "reference_code", "created_by", "updated_by", "submitted_by"],
    )
    _check_external_id(event)
    event.save()
    persons = _PersonWriter(actor, event.organisation, access.PersonPresenter(actor))
    _write_acts(event, data.acts, persons, replace=True)
    version = _new_version(actor, event, "update", before)
    audit.record(actor, "event.update", event, changes=audit_summary(version.changes))
    return event


def _move(actor: User, event: Event, *, action: str, to: Event.Status, stamp: str) -> Event:
    """One step of draft → submitted → verified → closed: who and when in `<stamp>_by/_at`,
    a version and an audit entry. The caller has locked the event and checked the rule."""
    before = snapshot(event)
    event.status = to
    setattr(event, f"{stamp}_by", actor)
    setattr(event, f"{stamp}_at", timezone.now())
    event.save(update_fields=["status", f"{stamp}_by", f"{stamp}_at", "updated_at"])
    _new_version(actor, event, action, before)
    audit.record(actor, f"event.{action}", event)
    return event


@transaction.atomic
def submit_event(actor: User, event: Event) -> Event:
    event = _lock(event)
    access.require(actor, access.SUBMIT, event)
    if event.status != Event.Status.DRAFT:
        raise DomainError(_("Only a draft can be submitted."))
    if not event.acts.exists():
        raise DomainError(_("Record at least one act before submitting the event."))
    return _move(actor, event, action="submit", to=Event.Status.SUBMITTED, stamp="submitted")


@transaction.atomic
def verify_event(actor: User, event: Event) -> Event:
    event = _lock(event)
    access.require(actor, access.VERIFY, event)
    if event.status != Event.Status.SUBMITTED:
        raise DomainError(_("Only a submitted event can be verified."))
    if event.submitted_by_id == actor.pk:
        raise DomainError(_("A second person must verify an event: you submitted this one."))
    return _move(actor, event, action="verify", to=Event.Status.VERIFIED, stamp="verified")


@transaction.atomic
def close_event(actor: User, event: Event) -> Event:
    event = _lock(event)
    access.require(actor, access.CLOSE, event)
    if event.status != Event.Status.VERIFIED:
        raise DomainError(_("Only a verified event can be closed."))
    return _move(actor, event, action="close", to=Event.Status.CLOSED, stamp="closed")


# --- Restoring a version ----------------------------------------------------------------------

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


@transaction.atomic
def restore_version(actor: User, event: Event, version: EventVersion) -> Event:
    """Put the event aggregate back as it was in `version`; recorded as a new version.

    Persons are restored in place (they may also appear in other events of the organisation,
    which then show the restored values too); workflow status is not rolled back, and restored
    content needs a fresh verification."""
    event = _open_for_change(actor, event, access.RESTORE)
    if version.event_id != event.pk:
        raise DomainError(_("This version belongs to another event."))
    if version.number == event.version:
        raise DomainError(_("This is already the current version."))
    data = version.snapshot
    if data.get("format") != SNAPSHOT_FORMAT:
        raise DomainError(_("This version was saved in a format that cannot be restored."))
    before = snapshot(event)
    _assign(event, data["event"], skip=NOT_RESTORED)
    access.require(actor, access.RESTORE, event)
    event.updated_by = actor
    _reopen_for_review(actor, event)
    event.save()

    for row in data["persons"]:
        person = Person.objects.filter(pk=row["id"]).first()
        if person is not None and person.organisation_id != event.organisation_id:
            raise DomainError(_("A person of this version now belongs to another organisation."))
    _restore_rows(
        Person,
        data["persons"],
        Person.objects.none(),
        lambda person, row: person.defender_types.set(row["defender_types"]),
    )
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
    new = _new_version(actor, event, "restore", before, {"restored_from": version.number})
    audit.record(
        actor,
        "event.restore",
        event,
        changes={"restored_from": version.number, "version": new.number},
    )
    return event


# --- Persons -------------------------------------------------------------------------------------


def events_of(person: Person) -> models.QuerySet[Event]:
    """Every event the person takes part in, as victim, perpetrator, source or intervener."""
    return Event.objects.filter(
        models.Q(pk__in=Act.objects.filter(victim=person).values("event_id"))
        | models.Q(pk__in=Involvement.objects.filter(perpetrator=person).values("act__event_id"))
        | models.Q(pk__in=Source.objects.filter(source_person=person).values("event_id"))
        | models.Q(pk__in=Intervention.objects.filter(intervening_person=person).values("event_id"))
    )


@transaction.atomic
def update_person(actor: User, person: Person, data: PersonInput) -> Person:
    """Change a person outside an event edit (e.g. new contact details). Staff who may edit
    cases in the owning organisation, with clearance for the person; identity changes only by
    those who may see the identity. Every event the person appears in gets a new version."""
    clearance = access.Viewer.of(actor).clearance_for(person.organisation_id, access.EDIT)
    if clearance is None or clearance < person.confidentiality:
        raise PermissionDenied(_("You may not change this person."))
    person = Person.objects.select_for_update().select_related("organisation").get(pk=person.pk)
    events = list(events_of(person).select_for_update().order_by("pk"))
    before = {event.pk: snapshot(event) for event in events}
    old = _row(person)
    data.person = person
    writer = _PersonWriter(actor, person.organisation, access.PersonPresenter(actor))
    person = writer.save(data, "person")
    for event in events:
        _new_version(actor, event, "update_person", before[event.pk], {"person": person.pk})
    changes = audit.diff(
        {k: v for k, v in old.items() if k != "updated_at"},
        {k: v for k, v in _row(person).items() if k != "updated_at"},
        audit.secret_field_names(Person),
    )
    audit.record(actor, "person.update", person, changes=changes)
    return person


@transaction.atomic
def create_person(actor: User, organisation: Organisation, data: PersonInput) -> Person:
    """Record a person outside any event (e.g. a defender under protection before anything has
    happened), for staff who may record events in `organisation`. The person's confidentiality
    may not exceed the actor's clearance there. Raises PermissionDenied, DomainError or
    ValidationError (keys prefixed "person.")."""
    clearance = access.Viewer.of(actor).clearance_for(organisation.pk, access.CREATE)
    if clearance is None:
        raise PermissionDenied(_("You may not record persons for this organisation."))
    if not organisation.is_active:
        raise DomainError(_("This organisation is no longer active."))
    if data.person is not None:
        raise DomainError(_("This person is already recorded."))
    if data.confidentiality is not None and data.confidentiality > clearance:
        raise ValidationError({"person.confidentiality": _("This is above your own clearance.")})
    writer = _PersonWriter(actor, organisation, access.PersonPresenter(actor))
    person = writer.save(data, "person")
    # Which identifying fields were filled in, never their (decrypted) values.
    audit.record(
        actor,
        "person.create",
        person,
        changes={
            "kind": person.kind,
            "confidentiality": person.confidentiality,
            "identifying_fields": [name for name in IDENTIFYING_FIELDS if getattr(person, name)],
        },
    )
    return person


# --- Sources, interventions, chain links, comments -------------------------------------------


@transaction.atomic
def add_source(actor: User, event: Event, data: SourceInput) -> Source:
    event = _open_for_change(actor, event)
    before = snapshot(event)
    persons = _PersonWriter(actor, event.organisation, access.PersonPresenter(actor))
    source = _save_source(event, data, persons, actor, "source")
    _new_version(actor, event, "add_source", before)
    audit.record(actor, "event.add_source", event, changes={"source": source.pk})
    return source


@transaction.atomic
def add_intervention(actor: User, event: Event, data: InterventionInput) -> Intervention:
    event = _open_for_change(actor, event)
    before = snapshot(event)
    persons = _PersonWriter(actor, event.organisation, access.PersonPresenter(actor))
    intervention = Intervention(
        event=event,
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
    _clean(intervention, "", exclude=["event", "created_by"])
    intervention.save()
    _new_version(actor, event, "add_intervention", before)
    audit.record(actor, "event.add_intervention", event, changes={"intervention": intervention.pk})
    return intervention


@transaction.atomic
def add_chain_link(actor: User, event: Event, to_event: Event, chain_type: Term) -> ChainLink:
    """Link `event` to another event the actor may see (it may belong to a partner)."""
    event = _open_for_change(actor, event)
    if not access.can(actor, access.VIEW, to_event):
        raise PermissionDenied(_("You may not see the event you are linking to."))
    if to_event.pk == event.pk:
        raise DomainError(_("An event cannot be linked to itself."))
    if ChainLink.objects.filter(from_event=event, to_event=to_event).exists():
        raise DomainError(_("These events are already linked."))
    before = snapshot(event)
    link = ChainLink(from_event=event, to_event=to_event, chain_type=chain_type, created_by=actor)
    _clean(link, "", exclude=["from_event", "to_event", "created_by"])
    link.save()
    _new_version(actor, event, "add_chain_link", before)
    audit.record(
        actor, "event.add_chain_link", event, changes={"to_event": to_event.reference_code}
    )
    return link


@transaction.atomic
def remove_from_event(actor: User, item: Source | Intervention | ChainLink) -> None:
    """Remove a source, an intervention or a chain link entered by mistake (restorable)."""
    parent = item.from_event if isinstance(item, ChainLink) else item.event
    event = _open_for_change(actor, parent)
    before = snapshot(event)
    kind = item._meta.model_name
    pk = item.pk
    item.delete()
    _new_version(actor, event, f"remove_{kind}", before)
    audit.record(actor, f"event.remove_{kind}", event, changes={kind or "item": pk})


@transaction.atomic
def add_comment(actor: User, event: Event, body: str) -> Comment:
    access.require(actor, access.COMMENT, event)
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    comment = Comment.objects.create(event=event, author=actor, body=body)
    # The comment text is encrypted at rest and stays out of the log.
    audit.record(actor, "event.comment", event, changes={"comment": comment.pk})
    return comment


# --- Sharing ----------------------------------------------------------------------------------


@transaction.atomic
def grant_sharing(
    actor: User,
    event: Event,
    *,
    organisation: Organisation | None = None,
    user: User | None = None,
    level: str = SharingGrant.Level.READ,
    expires_at: datetime.datetime | None = None,
    purpose: str = "",
) -> SharingGrant:
    """Let another organisation's members (or one user) see the event until revoked/expired."""
    access.require(actor, access.SHARE, event)
    if (organisation is None) == (user is None):
        raise DomainError(_("Share with either an organisation or a person, not both."))
    if level not in SharingGrant.Level.values:
        raise DomainError(_("Unknown access level."))
    if organisation is not None:
        if organisation.pk == event.organisation_id:
            raise DomainError(_("The owning organisation sees its events already."))
        if not organisation.is_active:
            raise DomainError(_("This organisation is no longer active."))
    if user is not None and not user.is_active:
        raise DomainError(_("This account is no longer active."))
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    grant = SharingGrant.objects.create(
        event=event,
        organisation=organisation,
        user=user,
        level=level,
        expires_at=expires_at,
        purpose=purpose.strip(),
        granted_by=actor,
    )
    audit.record(
        actor,
        "event.share",
        event,
        changes={
            "grant": grant.pk,
            "organisation": organisation.pk if organisation else None,
            "user": user.pk if user else None,
            "level": level,
            "expires_at": expires_at,
        },
    )
    return grant


@transaction.atomic
def revoke_sharing(actor: User, grant: SharingGrant) -> SharingGrant:
    grant = SharingGrant.objects.select_for_update().select_related("event").get(pk=grant.pk)
    access.require(actor, access.SHARE, grant.event)
    if grant.revoked_at is not None:
        raise DomainError(_("This grant was already revoked."))
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(actor, "event.unshare", grant.event, changes={"grant": grant.pk})
    return grant


# --- Consent ----------------------------------------------------------------------------------


def can_record_consent(actor: User, person: Person) -> bool:
    """Staff of the owning organisation who may record consent and may know who the person is:
    consent is asked of a person one knows."""
    viewer = access.Viewer.of(actor)
    clearance = viewer.clearance_for(person.organisation_id, access.RECORD_CONSENT)
    return clearance is not None and clearance >= person.confidentiality


@transaction.atomic
def give_consent(
    actor: User,
    person: Person,
    *,
    recipient_kind: str,
    purpose: str,
    given_on: datetime.date | None = None,
    recipient_organisation: Organisation | None = None,
) -> ConsentRecord:
    if not can_record_consent(actor, person):
        raise PermissionDenied(_("You may not record consent for this person."))
    if recipient_kind not in RecipientKind.values:
        raise DomainError(_("Unknown kind of recipient."))
    if recipient_organisation is not None and recipient_kind in (
        RecipientKind.OWN_ORGANISATION,
        RecipientKind.PUBLICATION,
    ):
        raise ValidationError(
            {"recipient_organisation": _("Name an organisation only for partners and mechanisms.")}
        )
    given_on = given_on or timezone.localdate()
    consent = ConsentRecord(
        person=person,
        recipient_kind=recipient_kind,
        recipient_organisation=recipient_organisation,
        purpose=purpose.strip(),
        given_on=given_on,
        recorded_by=actor,
    )
    consent.full_clean(exclude=["person", "recorded_by"])
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": _("This date is in the future.")})
    consent.save()
    audit.record(
        actor,
        "person.consent_given",
        person,
        changes={
            "consent": consent.pk,
            "recipient_kind": recipient_kind,
            "recipient_organisation": recipient_organisation.pk if recipient_organisation else None,
            "given_on": given_on,
        },
    )
    return consent


@transaction.atomic
def withdraw_consent(
    actor: User, consent: ConsentRecord, withdrawn_on: datetime.date | None = None
) -> ConsentRecord:
    """Effective at once: the next page, export or API call shows the pseudonym again."""
    consent = ConsentRecord.objects.select_for_update().select_related("person").get(pk=consent.pk)
    if not can_record_consent(actor, consent.person):
        raise PermissionDenied(_("You may not record consent for this person."))
    if consent.withdrawn_at is not None:
        raise DomainError(_("This consent was already withdrawn."))
    consent.withdrawn_on = withdrawn_on or timezone.localdate()
    consent.withdrawn_by = actor
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_on", "withdrawn_by", "withdrawn_at"])
    audit.record(
        actor,
        "person.consent_withdrawn",
        consent.person,
        changes={"consent": consent.pk, "withdrawn_on": consent.withdrawn_on},
    )
    return consent

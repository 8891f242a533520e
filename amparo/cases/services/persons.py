"""Recording and changing persons, in an event or on their own."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.cases import access
from amparo.cases.models import (
    IDENTIFYING_FIELDS,
    PERSON_FIELDS,
    Person,
    Vocab,
    validate_terms,
)
from amparo.cases.services.changes import (
    SharedPersons,
    clean,
    person_state,
)
from amparo.cases.services.inputs import PersonInput
from amparo.core import audit, instances
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Clearance, Organisation, User
from amparo.core.services import DomainError

# What the writer copies as it is (identifying fields are stripped, defender types are a set).
PERSON_TERMS = ("sex", "age_group")
COPIED_FIELDS = tuple(
    name for name in PERSON_FIELDS if name not in IDENTIFYING_FIELDS and name != "defender_types"
)


class PersonWriter:
    """Turns PersonInputs into saved persons, once per input object. With `shared` (a change to
    one event), the other events of an existing person it changes get versions (SharedPersons)."""

    def __init__(
        self,
        actor: User,
        organisation: Organisation,
        presenter: access.PersonPresenter,
        shared: SharedPersons | None = None,
    ):
        self.actor = actor
        self.organisation = organisation
        self.presenter = presenter
        self.shared = shared
        self.saved: dict[int, Person] = {}  # by id() of the input
        self.by_pk: dict[int, Person] = {}

    def save(self, data: PersonInput, key: str) -> Person:
        done = self.saved.get(id(data))
        if done is not None:
            return done
        if data.person is not None and data.person.pk in self.by_pk:
            return self._again(data, self.by_pk[data.person.pk], key)
        person = data.person
        before = None if person is None else person_state(person)
        if person is None:
            person = self.build_new(data, key)
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
            self._give_values(person, data, key)
        if person.external_id and (
            Person.objects.filter(organisation=self.organisation, external_id=person.external_id)
            .exclude(pk=person.pk)
            .exists()
        ):
            raise ValidationError(
                {f"{key}.external_id": _("Another person already has this identifier.")}
            )
        changed = before is not None and person_state(person, data.defender_types) != before
        if self.shared is not None and before is not None and changed:
            self.shared.before(person, before)
        person.save()
        person.defender_types.set(data.defender_types)
        self.saved[id(data)] = person
        self.by_pk[person.pk] = person
        return person

    def build_new(self, data: PersonInput, key: str, *, check_links: bool = True) -> Person:
        """The new person `data` describes, checked but not saved (nor is their identifier
        checked against the organisation's other persons). Without `check_links`, their
        terms are not looked up again."""
        person = instances.new(Person, organisation=self.organisation, created_by=self.actor)
        for name in IDENTIFYING_FIELDS:
            setattr(person, name, (getattr(data, name) or "").strip())
        self._give_values(person, data, key, check_links=check_links)
        return person

    def _give_values(
        self, person: Person, data: PersonInput, key: str, *, check_links: bool = True
    ) -> None:
        previous_confidentiality = person.confidentiality if person.pk else None
        for name in COPIED_FIELDS:
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
        exclude = ["organisation", "created_by", "updated_by"]
        clean(person, f"{key}.", exclude=exclude if check_links else [*exclude, *PERSON_TERMS])
        validate_terms(data.defender_types, Vocab.DEFENDER_TYPE, f"{key}.defender_types")

    def _again(self, data: PersonInput, person: Person, key: str) -> Person:
        """The same existing person reached through a second input: it must say the same."""
        if input_differs(data, person):
            raise ValidationError(
                {key: _("This person appears twice in the input with different details.")}
            )
        self.saved[id(data)] = person
        return person


def input_differs(data: PersonInput, person: Person) -> bool:
    """Whether saving `data` would change the recorded `person`."""
    return (
        any(
            getattr(data, name) is not None and getattr(data, name).strip() != getattr(person, name)
            for name in IDENTIFYING_FIELDS
        )
        or any(
            getattr(data, name) != getattr(person, name)
            for name in COPIED_FIELDS
            if not (name == "confidentiality" and data.confidentiality is None)
        )
        or {t.pk for t in data.defender_types} != {t.pk for t in person.defender_types.all()}
    )


@transaction.atomic
def update_person(actor: User, person: Person, data: PersonInput) -> Person:
    """Change a person outside an event edit (e.g. new contact details). Staff who may edit
    cases in the owning organisation, with clearance for the person; identity changes only by
    those who may see the identity. Every event the person appears in gets a new version."""
    if not access.may_change_person(actor, person):
        raise PermissionDenied(_("You may not change this person."))
    person = Person.objects.select_for_update().select_related("organisation").get(pk=person.pk)
    shared = SharedPersons(event=None)
    data.person = person
    writer = PersonWriter(actor, person.organisation, access.PersonPresenter(actor), shared)
    person = writer.save(data, "person")
    shared.publish(actor)
    return person


@transaction.atomic
def create_person(actor: User, organisation: Organisation, data: PersonInput) -> Person:
    """Record a person outside any event (e.g. a defender under protection before anything has
    happened), for staff who may record events in `organisation`. The person's confidentiality
    may not exceed the actor's clearance there. Raises PermissionDenied, DomainError or
    ValidationError (keys prefixed "person.")."""
    clearance = access.clearance_for_new_persons(actor, organisation)
    if clearance is None:
        raise PermissionDenied(_("You may not record persons for this organisation."))
    if not organisation.is_active:
        raise DomainError(_("This organisation is no longer active."))
    if data.person is not None:
        raise DomainError(_("This person is already recorded."))
    if data.confidentiality is not None and data.confidentiality > clearance:
        raise ValidationError({"person.confidentiality": _("This is above your own clearance.")})
    writer = PersonWriter(actor, organisation, access.PersonPresenter(actor))
    person = writer.save(data, "person")
    # Which identifying fields were filled in, never their (decrypted) values.
    audit.record(
        actor,
        AuditAction.PERSON_CREATE,
        person,
        changes={
            "kind": person.kind,
            "confidentiality": person.confidentiality,
            "identifying_fields": [name for name in IDENTIFYING_FIELDS if getattr(person, name)],
        },
    )
    return person

"""The services' input: an event aggregate as plain dataclasses, and an event as it is."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from amparo.cases.models import (
    EVENT_DESCRIPTION_FIELDS,
    DatePrecision,
    Person,
)
from amparo.core.models import Clearance, Organisation, Term


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
    # The random token of the form (or request) that records the event: sent again, it finds
    # the event it recorded instead of recording a second one (`create_event`).
    creation_token: str = ""


EVENT_INPUT_FIELDS = (
    *EVENT_DESCRIPTION_FIELDS,
    "confidentiality",
    "monitoring_status",
    "external_id",
)

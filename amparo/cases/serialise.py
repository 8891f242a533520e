"""Events, acts and persons as plain data, written once for the readers that show them to
people and programs: the API (`cases/api.py`) and the JSON export (`exchange/exports.py`). What
differs between them is a `Style`: how a term is written (the API: code, list and label in the
reader's language; an export: code, HURIDOCS number and English label, for another system),
how a partial date is written (the API: the date and its precision; an export: "2024-03"), and
whether rows carry this database's ids (the API) or not (an export, which an import reads back).
Identities go through the consent presenter either way.

Two readers keep a form of their own, because they are not a view of the record:
* a version's snapshot (`services/snapshots.py`) keeps every stored column, ids, foreign keys
  and free text, so that a restore can put the aggregate back exactly; consent does not apply
  to what stays inside the database;
* HURIDOCS (`exchange/huridocs.py`) writes another standard's records, field names and
  vocabulary numbers.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from amparo.cases import access
from amparo.cases.models import Act, Event, Involvement, Person, partial_date_iso
from amparo.core.models import Clearance, Term


@dataclass(frozen=True)
class Style:
    term: Callable[[Term | None], Any]
    # (value key, precision key, date, precision) -> the keys this reader writes
    partial_date: Callable[[str, str, datetime.date | None, str], dict[str, Any]]
    number: Callable[[object], Any]
    with_ids: bool


def clearance_name(level: int) -> str:
    return Clearance(level).name.lower()


def person_values(
    person: Person, presenter: access.PersonPresenter, style: Style
) -> dict[str, Any]:
    """The person as the presenter lets this reader see them, with their counted attributes."""
    return {
        **presenter.present(person),
        "sex": style.term(person.sex),
        "age_group": style.term(person.age_group),
        "defender_types": [style.term(t) for t in person.defender_types.all()],
    }


Persons = Callable[[Person], dict[str, Any]]


def involvement_values(involvement: Involvement, style: Style, persons: Persons) -> dict[str, Any]:
    return {
        **({"id": involvement.pk} if style.with_ids else {}),
        "perpetrator": persons(involvement.perpetrator) if involvement.perpetrator else None,
        "perpetrator_type": style.term(involvement.perpetrator_type),
        "degree_of_involvement": style.term(involvement.degree_of_involvement),
    }


def act_values(act: Act, style: Style, persons: Persons, *, internal: bool) -> dict[str, Any]:
    """The act (its relations prefetched); `internal`: whether its encrypted remarks are shown."""
    return {
        "type_of_act": style.term(act.type_of_act),
        "method": style.term(act.method),
        **style.partial_date("date", "date_precision", act.date, act.date_precision),
        "consequences": [style.term(t) for t in act.consequences.all()],
        "targeted_activity": style.term(act.targeted_activity),
        "country": act.country,
        "region": act.region,
        "locality": act.locality,
        "remarks": act.remarks if internal else None,
        "victim": persons(act.victim),
        "involvements": [involvement_values(i, style, persons) for i in act.involvements.all()],
    }


def event_values(event: Event, style: Style, *, internal: bool) -> dict[str, Any]:
    """The event's own fields; `internal`: whether its encrypted notes are shown."""
    return {
        "reference_code": event.reference_code,
        "organisation": event.organisation.short_code,
        "title": event.title,
        "description": event.description,
        **style.partial_date(
            "start_date", "start_precision", event.start_date, event.start_precision
        ),
        **style.partial_date("end_date", "end_precision", event.end_date, event.end_precision),
        "country": event.country,
        "region": event.region,
        "locality": event.locality,
        "latitude": style.number(event.latitude),
        "longitude": style.number(event.longitude),
        "coordinate_precision": event.coordinate_precision,
        "confidentiality": clearance_name(event.confidentiality),
        "status": event.status,
        "monitoring_status": style.term(event.monitoring_status),
        "notes": event.notes if internal else None,
    }


# --- The two styles ---------------------------------------------------------------------------


def _api_term(term: Term | None) -> dict[str, str] | None:
    if term is None:
        return None
    return {"code": term.code, "thesaurus": term.thesaurus.code, "label": term.label()}


def _api_date(
    key: str, precision_key: str, value: datetime.date | None, precision: str
) -> dict[str, Any]:
    return {key: value, precision_key: precision}


def _export_term(term: Term | None) -> dict[str, str] | None:
    if term is None:
        return None
    return {"code": term.code, "source_code": term.source_code, "label": term.label_en}


def _export_date(
    key: str, precision_key: str, value: datetime.date | None, precision: str
) -> dict[str, Any]:
    return {key: partial_date_iso(value, precision)}


def _export_number(value: object) -> str | None:
    return None if value is None else str(value)


API = Style(term=_api_term, partial_date=_api_date, number=lambda value: value, with_ids=True)
EXPORT = Style(term=_export_term, partial_date=_export_date, number=_export_number, with_ids=False)

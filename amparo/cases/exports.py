"""Export of the events a user may export, as the flat table (CSV, XLSX) or nested JSON.

Rows come from `access.exportable_events` and persons pass through the consent presenter, so an
export shows exactly what its user may see: a person whose identity they may not see appears
under the pseudonym, with every identifying column empty. Events are read in batches with their
relations prefetched, so the number of queries grows with the number of batches only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from amparo.cases import access, queries, tabular
from amparo.cases.models import (
    IDENTIFYING_FIELDS,
    Act,
    ChainLink,
    Event,
    Intervention,
    Involvement,
    Person,
    Source,
    partial_date_iso,
)
from amparo.core import audit
from amparo.core.models import Clearance, Term, User

BATCH = 500
FORMATS = ("csv", "xlsx", "json")
JSON_FORMAT = "amparo-cases/1"


def clearance_name(level: int) -> str:
    return Clearance(level).name.lower()


def person_reference(person: Person) -> str:
    """The person's identifier in exports: their external id, or one made from this database's
    id and pseudonym, which an import into the same database recognises (and no other can)."""
    return person.external_id or f"P{person.pk}-{access.pseudonym_code(person)}"


def _code(term: Term | None) -> str:
    return term.code if term is not None else ""


def _codes(terms: Iterable[Term]) -> str:
    return tabular.MULTI_SEPARATOR.join(sorted(t.code for t in terms))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def export_queryset(events: QuerySet[Event]) -> QuerySet[Event]:
    """`events` with everything an export reads, fetched per batch in a fixed number of queries."""
    return events.select_related("organisation", "monitoring_status").prefetch_related(
        Prefetch(
            "acts",
            # In the order they were recorded, which an import keeps: rows map to acts by position.
            queryset=queries.with_act_relations(Act.objects.order_by("pk")),
        )
    )


def batches(events: QuerySet[Event], size: int = BATCH) -> Iterator[list[Event]]:
    """The events in pages of `size` by primary key, each page with its relations prefetched."""
    ids = list(events.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), size):
        page = ids[start : start + size]
        yield list(export_queryset(Event.objects.filter(pk__in=page)).order_by("pk"))


def _person_columns(
    prefix: str, person: Person | None, presenter: access.PersonPresenter
) -> dict[str, str]:
    if person is None:
        return {}
    identified = presenter.identity_visible(person)
    row = {
        f"{prefix}_id": person_reference(person),
        f"{prefix}_identified": "yes" if identified else "no",
        f"{prefix}_kind": person.kind,
        f"{prefix}_name": person.full_name if identified else access.pseudonym(person),
        f"{prefix}_sex": _code(person.sex),
        f"{prefix}_age_group": _code(person.age_group),
        f"{prefix}_defender_types": _codes(person.defender_types.all()),
        f"{prefix}_country": person.country,
        f"{prefix}_region": person.region,
        f"{prefix}_confidentiality": clearance_name(person.confidentiality),
    }
    if identified:
        for name in IDENTIFYING_FIELDS[1:]:  # full_name has the column "name"
            row[f"{prefix}_{name}"] = getattr(person, name)
    return row


def _event_columns(event: Event, internal: bool) -> dict[str, str]:
    return {
        "event_id": event.external_id or event.reference_code,
        "event_reference": event.reference_code,
        "event_title": event.title,
        "event_description": event.description,
        "event_start_date": partial_date_iso(event.start_date, event.start_precision),
        "event_end_date": partial_date_iso(event.end_date, event.end_precision),
        "event_country": event.country,
        "event_region": event.region,
        "event_locality": event.locality,
        "event_latitude": _text(event.latitude),
        "event_longitude": _text(event.longitude),
        "event_coordinate_precision": event.coordinate_precision,
        "event_confidentiality": clearance_name(event.confidentiality),
        "event_status": event.status,
        "event_monitoring_status": _code(event.monitoring_status),
        "event_notes": event.notes if internal else "",
    }


def _act_columns(act: Act, index: int, internal: bool) -> dict[str, str]:
    return {
        "act_id": str(index + 1),
        "act_type": _code(act.type_of_act),
        "act_method": _code(act.method),
        "act_date": partial_date_iso(act.date, act.date_precision),
        "act_consequences": _codes(act.consequences.all()),
        "act_targeted_activity": _code(act.targeted_activity),
        "act_country": act.country,
        "act_region": act.region,
        "act_locality": act.locality,
        "act_remarks": act.remarks if internal else "",
    }


def _involvement_columns(
    involvement: Involvement, presenter: access.PersonPresenter
) -> dict[str, str]:
    return {
        **_person_columns(tabular.PERPETRATOR, involvement.perpetrator, presenter),
        "perpetrator_type": _code(involvement.perpetrator_type),
        "perpetrator_involvement": _code(involvement.degree_of_involvement),
    }


def internal_text(presenter: access.PersonPresenter, event: Event) -> bool:
    """Whether the export shows the event's encrypted free text (notes, remarks, material)."""
    return access.internal_text_visible(presenter.user, event, presenter.viewer)


def _persons_of(events: Iterable[Event]) -> list[Person]:
    found: list[Person] = []
    for event in events:
        for act in event.acts.all():
            found.append(act.victim)
            found.extend(i.perpetrator for i in act.involvements.all() if i.perpetrator)
    return found


def event_rows(event: Event, presenter: access.PersonPresenter) -> Iterator[dict[str, str]]:
    """The rows of one event (prefetched as `export_queryset` does): one per act and perpetrator."""
    internal = internal_text(presenter, event)
    base = _event_columns(event, internal)
    acts = list(event.acts.all())
    if not acts:
        yield {name: base.get(name, "") for name in tabular.COLUMNS}
        return
    for index, act in enumerate(acts):
        act_row = {
            **base,
            **_act_columns(act, index, internal),
            **_person_columns(tabular.VICTIM, act.victim, presenter),
        }
        involvements: list[Involvement | None] = list(act.involvements.all()) or [None]
        for involvement in involvements:
            row = dict(act_row)
            if involvement is not None:
                row.update(_involvement_columns(involvement, presenter))
            yield {name: row.get(name, "") for name in tabular.COLUMNS}


def flat_rows(user: User, events: QuerySet[Event]) -> Iterator[dict[str, str]]:
    presenter = access.PersonPresenter(user)
    for page in batches(events):
        presenter.prime(_persons_of(page))
        for event in page:
            yield from event_rows(event, presenter)


# --- nested JSON ------------------------------------------------------------------------------


def _term(term: Term | None) -> dict[str, str] | None:
    if term is None:
        return None
    return {"code": term.code, "source_code": term.source_code, "label": term.label_en}


def _person_document(person: Person | None, presenter: access.PersonPresenter) -> Any:
    if person is None:
        return None
    shown = presenter.present(person)
    shown["id"] = person_reference(person)
    shown["confidentiality"] = clearance_name(person.confidentiality)
    for name in ("sex", "age_group"):
        shown[name] = _term(getattr(person, name))
    shown["defender_types"] = [_term(t) for t in person.defender_types.all()]
    return shown


def event_document(event: Event, presenter: access.PersonPresenter) -> dict[str, Any]:
    """One event with its acts, perpetrators, sources, interventions and outgoing chain links."""
    internal = internal_text(presenter, event)
    return {
        "id": event.external_id or event.reference_code,
        "reference_code": event.reference_code,
        "organisation": event.organisation.short_code,
        "title": event.title,
        "description": event.description,
        "start_date": partial_date_iso(event.start_date, event.start_precision),
        "end_date": partial_date_iso(event.end_date, event.end_precision),
        "country": event.country,
        "region": event.region,
        "locality": event.locality,
        "latitude": _text(event.latitude) or None,
        "longitude": _text(event.longitude) or None,
        "coordinate_precision": event.coordinate_precision,
        "confidentiality": clearance_name(event.confidentiality),
        "status": event.status,
        "monitoring_status": _term(event.monitoring_status),
        "notes": event.notes if internal else None,
        "acts": [
            {
                "type_of_act": _term(act.type_of_act),
                "method": _term(act.method),
                "date": partial_date_iso(act.date, act.date_precision),
                "consequences": [_term(t) for t in act.consequences.all()],
                "targeted_activity": _term(act.targeted_activity),
                "country": act.country,
                "region": act.region,
                "locality": act.locality,
                "remarks": act.remarks if internal else None,
                "victim": _person_document(act.victim, presenter),
                "involvements": [
                    {
                        "perpetrator": _person_document(i.perpetrator, presenter),
                        "perpetrator_type": _term(i.perpetrator_type),
                        "degree_of_involvement": _term(i.degree_of_involvement),
                    }
                    for i in act.involvements.all()
                ],
            }
            for act in event.acts.all()
        ],
        "sources": [
            {
                "source": _person_document(source.source_person, presenter),
                "received_on": _text(source.received_on) or None,
                "reliability": _term(source.reliability),
                "connection": _term(source.connection),
                "material_type": _term(source.material_type),
                "language": _term(source.language),
                "material": source.material if internal else None,
            }
            for source in event.sources.all()
        ],
        "interventions": [
            {
                "type": _term(item.intervention_type),
                "intervening_person": _person_document(item.intervening_person, presenter),
                "intervening_organisation": item.intervening_organisation.short_code
                if item.intervening_organisation
                else None,
                "date": _text(item.date) or None,
                "status": _term(item.status),
                "result": item.result,
            }
            for item in event.interventions.all()
        ],
        "chain_links": [
            {"to_event": link.to_event.reference_code, "type": _term(link.chain_type)}
            for link in event.links_out.all()
        ],
    }


def _with_relations(events: QuerySet[Event]) -> QuerySet[Event]:
    persons = Person.objects.select_related("sex", "age_group").prefetch_related("defender_types")
    return export_queryset(events).prefetch_related(
        Prefetch(
            "sources",
            queryset=Source.objects.select_related(
                "reliability", "connection", "material_type", "language"
            ).prefetch_related(Prefetch("source_person", queryset=persons)),
        ),
        Prefetch(
            "interventions",
            queryset=Intervention.objects.select_related(
                "intervention_type", "status", "intervening_organisation"
            ).prefetch_related(Prefetch("intervening_person", queryset=persons)),
        ),
        Prefetch("links_out", queryset=ChainLink.objects.select_related("to_event", "chain_type")),
    )


def documents(user: User, events: QuerySet[Event]) -> Iterator[dict[str, Any]]:
    presenter = access.PersonPresenter(user)
    ids = list(events.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        page = list(
            _with_relations(Event.objects.filter(pk__in=ids[start : start + BATCH])).order_by("pk")
        )
        persons = _persons_of(page)
        for event in page:
            persons.extend(s.source_person for s in event.sources.all() if s.source_person)
            persons.extend(
                i.intervening_person for i in event.interventions.all() if i.intervening_person
            )
        presenter.prime(persons)
        for event in page:
            yield event_document(event, presenter)


def json_chunks(user: User, events: QuerySet[Event]) -> Iterator[str]:
    """The JSON document piece by piece, one event at a time, for streaming."""
    head = {"format": JSON_FORMAT, "exported_at": timezone.now().isoformat(timespec="seconds")}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "events": ['
    for index, document in enumerate(documents(user, events)):
        yield ("," if index else "") + "\n" + json.dumps(document, ensure_ascii=False)
    yield "\n]}\n"


# --- the export as a whole --------------------------------------------------------------------


def exportable(user: User, organisation_code: str | None = None) -> QuerySet[Event]:
    events = access.exportable_events(user)
    if organisation_code:
        events = events.filter(organisation__short_code=organisation_code)
    return events


def record_export(user: User, fmt: str, events: QuerySet[Event]) -> int:
    """Audit an export before it is written: who took how many events out, in which format."""
    count = events.count()
    audit.record(user, "cases.export", None, changes={"format": fmt, "events": count})
    return count


def export(user: User, fmt: str, out: IO[Any], organisation_code: str | None = None) -> int:
    """Write the export to `out` (text for csv/json, binary for xlsx); the number of events."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}")
    events = exportable(user, organisation_code)
    count = record_export(user, fmt, events)
    if fmt == "csv":
        tabular.write_csv(flat_rows(user, events), out)
    elif fmt == "xlsx":
        tabular.write_xlsx(flat_rows(user, events), out)
    else:
        for chunk in json_chunks(user, events):
            out.write(chunk)
    return count

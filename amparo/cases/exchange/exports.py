"""Export of the events a user may export, as the flat table (CSV, XLSX) or nested JSON.

Rows come from `access.exportable_events` and persons pass through the consent presenter, so an
export shows exactly what its user may see: a person whose identity they may not see appears
under the pseudonym, with every identifying column empty. Events are read in batches with their
relations prefetched, so the number of queries grows with the number of batches only.

`begin` records the export and every identity it will show before anything is written (the
presenter is then sealed to those), so an export stopped half-way was still recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, TypeVar

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access, queries, serialise, services
from amparo.cases.exchange import tabular
from amparo.cases.models import (
    IDENTIFYING_FIELDS,
    Act,
    ChainLink,
    DisclosureChannel,
    Event,
    Intervention,
    Involvement,
    Person,
    Source,
    partial_date_iso,
)
from amparo.cases.serialise import clearance_name
from amparo.core import custody
from amparo.core.fields import holds_locked
from amparo.core.models import Term, User

BATCH = 500
FORMATS = ("csv", "xlsx", "json")
# One row per act: victims and perpetrators only. The other formats show the persons of sources
# and interventions too.
TABULAR_FORMATS = ("csv", "xlsx")
JSON_FORMAT = "amparo-cases/1"


T = TypeVar("T")


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
    identified = presenter.discloses(person)
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


def persons_of(events: Iterable[Event]) -> list[Person]:
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


def unlocked(values: T) -> T:
    """`values` (a row, a document) about to be written to an export; KeysLocked if one of
    them is a sealed value the keys at hand do not open: an export never writes a "locked"
    label in place of a name (`amparo export-cases` run without anyone's keys)."""
    if holds_locked(values):
        raise custody.KeysLocked(
            _(
                "The export would name persons or quote notes that your keys do not open here: "
                "nothing was exported. Run it as a member whose keys open them."
            )
        )
    return values


def flat_rows(
    presenter: access.PersonPresenter, events: QuerySet[Event]
) -> Iterator[dict[str, str]]:
    for page in batches(events):
        presenter.prime(persons_of(page))
        for event in page:
            for row in event_rows(event, presenter):
                yield unlocked(row)


# --- nested JSON ------------------------------------------------------------------------------


def _person_document(person: Person | None, presenter: access.PersonPresenter) -> Any:
    if person is None:
        return None
    return {
        **serialise.person_values(person, presenter, serialise.EXPORT),
        "id": person_reference(person),
        "confidentiality": clearance_name(person.confidentiality),
    }


def event_document(event: Event, presenter: access.PersonPresenter) -> dict[str, Any]:
    """One event with its acts, perpetrators, sources, interventions and outgoing chain links."""
    internal = internal_text(presenter, event)
    style = serialise.EXPORT
    term = style.term

    def persons(person: Person) -> Any:
        return _person_document(person, presenter)

    return {
        "id": event.external_id or event.reference_code,
        **serialise.event_values(event, style, internal=internal),
        "acts": [
            serialise.act_values(act, style, persons, internal=internal) for act in event.acts.all()
        ],
        "sources": [
            {
                "source": _person_document(source.source_person, presenter),
                "received_on": _text(source.received_on) or None,
                "reliability": term(source.reliability),
                "connection": term(source.connection),
                "material_type": term(source.material_type),
                "language": term(source.language),
                "material": source.material if internal else None,
            }
            for source in event.sources.all()
        ],
        "interventions": [
            {
                "type": term(item.intervention_type),
                "intervening_person": _person_document(item.intervening_person, presenter),
                "intervening_organisation": item.intervening_organisation.short_code
                if item.intervening_organisation
                else None,
                "date": _text(item.date) or None,
                "status": term(item.status),
                "result": item.result,
            }
            for item in event.interventions.all()
        ],
        "chain_links": [
            {"to_event": link.to_event.reference_code, "type": term(link.chain_type)}
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


def documents(
    presenter: access.PersonPresenter, events: QuerySet[Event]
) -> Iterator[dict[str, Any]]:
    ids = list(events.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        page = list(
            _with_relations(Event.objects.filter(pk__in=ids[start : start + BATCH])).order_by("pk")
        )
        persons = persons_of(page)
        for event in page:
            persons.extend(s.source_person for s in event.sources.all() if s.source_person)
            persons.extend(
                i.intervening_person for i in event.interventions.all() if i.intervening_person
            )
        presenter.prime(persons)
        for event in page:
            yield unlocked(event_document(event, presenter))


def json_chunks(presenter: access.PersonPresenter, events: QuerySet[Event]) -> Iterator[str]:
    """The JSON document piece by piece, one event at a time, for streaming."""
    head = {"format": JSON_FORMAT, "exported_at": timezone.now().isoformat(timespec="seconds")}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "events": ['
    for index, document in enumerate(documents(presenter, events)):
        yield ("," if index else "") + "\n" + json.dumps(document, ensure_ascii=False)
    yield "\n]}\n"


# --- the export as a whole --------------------------------------------------------------------


def exportable(user: User, organisation_code: str | None = None) -> QuerySet[Event]:
    events = access.exportable_events(user)
    if organisation_code:
        events = events.filter(organisation__short_code=organisation_code)
    return events


@dataclass(frozen=True)
class Export:
    """An export, recorded and ready to write: its events and the presenter sealed to the
    identities recorded as shown."""

    events: QuerySet[Event]
    presenter: access.PersonPresenter
    count: int


def _shown_persons(event_ids: list[int], every_role: bool) -> QuerySet[Person]:
    """The persons an export of these events shows: victims and perpetrators, and with
    `every_role` the persons of sources and interventions. Only what the decision reads."""
    condition = Q(acts_as_victim__event__in=event_ids) | Q(involvements__act__event__in=event_ids)
    if every_role:
        condition |= Q(sources_given__event__in=event_ids) | Q(interventions__event__in=event_ids)
    return Person.objects.filter(pk__in=Person.objects.filter(condition).values("pk")).only(
        "pk", "organisation_id", "confidentiality"
    )


def begin(
    user: User, fmt: str, channel: DisclosureChannel, organisation_code: str | None = None
) -> Export:
    """Start an export of `fmt`: decide whose identity it shows, record the export and those
    identities, and seal the presenter to them, all before anything is written."""
    events = exportable(user, organisation_code)
    presenter = access.PersonPresenter(user)
    ids = list(events.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        persons = list(_shown_persons(ids[start : start + BATCH], fmt not in TABULAR_FORMATS))
        presenter.prime(persons)
        for person in persons:
            presenter.discloses(person)
    services.record_export(user, fmt, len(ids), presenter.seal(), channel)
    return Export(events=events, presenter=presenter, count=len(ids))


def export(
    user: User,
    fmt: str,
    out: IO[Any],
    organisation_code: str | None = None,
    channel: DisclosureChannel = DisclosureChannel.CLI_EXPORT,
) -> int:
    """Write the export to a file `out` (text for csv/json, binary for xlsx), as the command
    line does; the number of events. (The web streams its own: see exchange/views.py.)"""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}")
    started = begin(user, fmt, channel, organisation_code)
    if fmt == "csv":
        tabular.write_csv(flat_rows(started.presenter, started.events), out)
    elif fmt == "xlsx":
        tabular.write_xlsx(flat_rows(started.presenter, started.events), out)
    else:
        for chunk in json_chunks(started.presenter, started.events):
            out.write(chunk)
    return started.count

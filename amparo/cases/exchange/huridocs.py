"""Exchange with HURIDOCS-based tools: the Events Standard Formats (ESF) as one JSON document.

The document has one list of records per ESF format (event, person, act, involvement,
information, intervention, chain_of_events). Field names are the ESF `field_name`s of the
OpenEvSys data dictionary (shared/vocabularies/fields.csv); controlled values are HURIDOCS
micro-thesaurus `vocab_number`s (term code + list number, e.g. "01010000000024"), repeatable
fields are lists, links between records use record numbers. Amparo's own terms (our HRD lists)
are exported as their closest HURIDOCS term; the exact Amparo values travel in an `x_amparo`
object on each record, which other tools ignore and Amparo reads back, so an exchange between two
Amparo installations loses nothing. docs/import-format.md documents the mapping.

Export applies the same rules as every export (exportable events, consent presenter). Import
maps the records onto the flat import's structures and writes them through the same all-or-
nothing writer (`imports.import_specs`); sources, interventions and chain links are added to the
events the import creates.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from functools import partial
from typing import IO, Any

import pycountry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access, serialise, services
from amparo.cases.exchange import exports, files, imports
from amparo.cases.exchange.imports import ActSpec, EventSpec, InvolvementSpec, PersonSpec, RowError
from amparo.cases.models import DatePrecision, DisclosureChannel, Event, ImportJob, Person, Vocab
from amparo.cases.services import bulk
from amparo.core.models import Clearance, Organisation, Term, User
from amparo.core.services import DomainError

FORMAT = "huridocs"
DOCUMENT_FORMAT = "huridocs-esf"
DOCUMENT_VERSION = "1"
COUNTING_UNIT = {
    Person.Kind.INDIVIDUAL: "01000000000007",
    Person.Kind.ORGANISATION: "03000000000007",
}
# List 48, types of dates: how much of a date is known.
DATE_TYPE: dict[str, str] = {
    DatePrecision.MONTH: "02000000000048",
    DatePrecision.YEAR: "03000000000048",
}
PRECISION_OF_DATE_TYPE: dict[str, str] = {value: key for key, value in DATE_TYPE.items()}
FORMATS = (
    "event",
    "person",
    "act",
    "involvement",
    "information",
    "intervention",
    "chain_of_events",
)


# --- values -----------------------------------------------------------------------------------


def vocab_number(term: Term | None) -> str | None:
    """The HURIDOCS value of a term: its own vocab_number, or its HURIDOCS equivalent's."""
    return (term.source_code or None) if term is not None else None


def _numbers(terms: Any) -> list[str]:
    return [n for n in (vocab_number(t) for t in terms) if n]


def _date(value: datetime.date | None, precision: str) -> tuple[str | None, str | None]:
    if value is None or precision == DatePrecision.UNKNOWN:
        return None, None
    return value.isoformat(), DATE_TYPE.get(precision)


_GEOGRAPHY: dict[str, str | None] = {}


def geographical_term(country: str) -> str | None:
    """The list-15 vocab_number of a country, matched on its English names."""
    if not country:
        return None
    if country not in _GEOGRAPHY:
        from amparo.core.vocabulary import TermLookupError, TermResolver

        resolver = TermResolver("15")
        found = None
        record = pycountry.countries.get(alpha_2=country)
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(record, attribute, None)
            if not name:
                continue
            try:
                found = resolver.resolve(name).source_code
                break
            except TermLookupError:
                continue
        _GEOGRAPHY[country] = found
    return _GEOGRAPHY[country]


def _codes(terms: Any) -> list[str]:
    return [t.code for t in terms]


def _code(term: Term | None) -> str | None:
    return term.code if term is not None else None


# --- export -----------------------------------------------------------------------------------


class _Document:
    def __init__(self, presenter: access.PersonPresenter) -> None:
        self.presenter = presenter
        self.records: dict[str, list[dict[str, Any]]] = {name: [] for name in FORMATS}
        self.persons: set[int] = set()

    def person(self, person: Person | None) -> str | None:
        if person is None:
            return None
        number = exports.person_reference(person)
        if person.pk in self.persons:
            return number
        self.persons.add(person.pk)
        identified = self.presenter.discloses(person)
        record: dict[str, Any] = {
            "person_record_number": number,
            "counting_unit": COUNTING_UNIT[Person.Kind(person.kind)],
            "person_name": person.full_name if identified else access.pseudonym(person),
            "confidentiality": "y" if person.confidentiality > Clearance.PUBLIC else "n",
            "sex": vocab_number(person.sex),
            "occupation": _numbers(person.defender_types.all()),
            "citizenship": [g] if (g := geographical_term(person.country)) else [],
        }
        extra: dict[str, Any] = {
            "identified": identified,
            "kind": person.kind,
            "sex": _code(person.sex),
            "age_group": _code(person.age_group),
            "defender_types": _codes(person.defender_types.all()),
            "country": person.country,
            "region": person.region,
            "confidentiality": serialise.clearance_name(person.confidentiality),
        }
        if identified:
            record["other_names"] = person.other_names
            record["identification_documents"] = person.id_numbers
            record["remarks"] = person.notes
            if person.address or person.contact:
                record["person_addresses"] = [{"address": person.address, "phone": person.contact}]
            extra["contact"] = person.contact
            extra["address"] = person.address
        record["x_amparo"] = extra
        self.records["person"].append(record)
        return number

    def event(self, event: Event) -> None:
        internal = exports.internal_text(self.presenter, event)
        number = event.external_id or event.reference_code
        start, start_type = _date(event.start_date, event.start_precision)
        end, end_type = _date(event.end_date, event.end_precision)
        self.records["event"].append(
            {
                "event_record_number": number,
                "event_title": event.title,
                "confidentiality": "y" if event.confidentiality > Clearance.PUBLIC else "n",
                "geographical_term": [g] if (g := geographical_term(event.country)) else [],
                "initial_date": start,
                "initial_date_type": start_type,
                "final_date": end,
                "final_date_type": end_type,
                "event_description": event.description,
                "monitoring_status": vocab_number(event.monitoring_status),
                "comments": event.notes if internal else "",
                "date_of_entry": event.created_at.date().isoformat(),
                "event_location": {
                    "latitude": str(event.latitude),
                    "longitude": str(event.longitude),
                }
                if event.latitude is not None
                else None,
                "x_amparo": {
                    "reference_code": event.reference_code,
                    "organisation": event.organisation.short_code,
                    "status": event.status,
                    "confidentiality": serialise.clearance_name(event.confidentiality),
                    "country": event.country,
                    "region": event.region,
                    "locality": event.locality,
                    "coordinate_precision": event.coordinate_precision,
                    "monitoring_status": _code(event.monitoring_status),
                },
            }
        )
        for index, act in enumerate(event.acts.all(), start=1):
            act_number = f"{number}/A{index}"
            date, date_type = _date(act.date, act.date_precision)
            self.records["act"].append(
                {
                    "act_record_number": act_number,
                    "victim": self.person(act.victim),
                    "event": number,
                    "type_of_act": vocab_number(act.type_of_act),
                    "initial_date": date,
                    "initial_date_type": date_type,
                    "method_of_violence": _numbers([act.method] if act.method else []),
                    "status_at_end_of_act": next(iter(_numbers(act.consequences.all())), None),
                    "remarks": act.remarks if internal else "",
                    "x_amparo": {
                        "type_of_act": _code(act.type_of_act),
                        "method": _code(act.method),
                        "consequences": _codes(act.consequences.all()),
                        "targeted_activity": _code(act.targeted_activity),
                        "country": act.country,
                        "region": act.region,
                        "locality": act.locality,
                    },
                }
            )
            for position, item in enumerate(act.involvements.all(), start=1):
                self.records["involvement"].append(
                    {
                        "involvement_record_number": f"{act_number}/I{position}",
                        "perpetrator": self.person(item.perpetrator),
                        "event": number,
                        "act": act_number,
                        "degree_of_involvement": vocab_number(item.degree_of_involvement),
                        "type_of_perpetrator": _numbers(
                            [item.perpetrator_type] if item.perpetrator_type else []
                        ),
                        "x_amparo": {
                            "perpetrator_type": _code(item.perpetrator_type),
                            "degree_of_involvement": _code(item.degree_of_involvement),
                        },
                    }
                )
        for index, source in enumerate(event.sources.all(), start=1):
            self.records["information"].append(
                {
                    "information_record_number": f"{number}/S{index}",
                    "source": self.person(source.source_person),
                    "event": number,
                    "source_connection_to_information": vocab_number(source.connection),
                    "language_of_source_material": _numbers(
                        [source.language] if source.language else []
                    ),
                    "date_of_source_material": source.received_on.isoformat()
                    if source.received_on
                    else None,
                    "type_of_source_material": _numbers(
                        [source.material_type] if source.material_type else []
                    ),
                    "reliability_of_information": vocab_number(source.reliability),
                    "remarks": source.material if internal else "",
                }
            )
        for index, intervention in enumerate(event.interventions.all(), start=1):
            self.records["intervention"].append(
                {
                    "intervention_record_number": f"{number}/N{index}",
                    "intervening_party": self.person(intervention.intervening_person),
                    "event": number,
                    "type_of_intervention": _numbers([intervention.intervention_type]),
                    "date_of_intervention": intervention.date.isoformat()
                    if intervention.date
                    else None,
                    "intervention_status": vocab_number(intervention.status),
                    "remarks": intervention.result,
                    "x_amparo": {
                        "intervening_organisation": intervention.intervening_organisation.short_code
                        if intervention.intervening_organisation
                        else None
                    },
                }
            )
        for index, link in enumerate(event.links_out.all(), start=1):
            self.records["chain_of_events"].append(
                {
                    "chain_of_events_record_number": f"{number}/C{index}",
                    "event": number,
                    "related_event": link.to_event.external_id or link.to_event.reference_code,
                    "type_of_chain_of_events": vocab_number(link.chain_type),
                }
            )


def document(presenter: access.PersonPresenter, events: Any) -> dict[str, Any]:
    builder = _Document(presenter)
    ids = list(events.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), exports.BATCH):
        page = list(
            exports._with_relations(
                Event.objects.filter(pk__in=ids[start : start + exports.BATCH])
            ).order_by("pk")
        )
        for event in page:
            builder.event(event)
    exports.unlocked(builder.records)
    return {
        "format": DOCUMENT_FORMAT,
        "version": DOCUMENT_VERSION,
        "standard": "HURIDOCS Events Standard Formats (field names of OpenEvSys' data dictionary)",
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        **builder.records,
    }


def export(
    user: User,
    out: IO[Any],
    organisation_code: str | None = None,
    channel: DisclosureChannel = DisclosureChannel.CLI_EXPORT,
) -> int:
    started = exports.begin(user, FORMAT, channel, organisation_code)
    json.dump(document(started.presenter, started.events), out, ensure_ascii=False, indent=1)
    return started.count


# --- import -----------------------------------------------------------------------------------


class _Reader:
    """Maps ESF records to the flat import's specs, naming each problem by record and field."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: list[RowError] = []
        self.vocabularies = imports.Vocabularies()
        self.persons: dict[str, PersonSpec] = {}
        self.person_records = {
            str(r.get("person_record_number")): r for r in self.records("person")
        }

    def records(self, name: str) -> list[dict[str, Any]]:
        records = self.data.get(name) or []
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise DomainError(_("“%(name)s” must be a list of records.") % {"name": name})
        return records

    def error(
        self, record: dict[str, Any], name: str, field: str, value: Any, message: str
    ) -> None:
        number = record.get(f"{name}_record_number", "?")
        self.errors.append(
            RowError(len(self.errors) + 1, f"{name} {number}: {field}", str(value or ""), message)
        )

    def term(
        self,
        record: dict[str, Any],
        name: str,
        field: str,
        codes: tuple[str, ...],
        own: Any,
        value: Any,
    ) -> Term | None:
        """The Amparo term (x_amparo) or else the HURIDOCS vocab_number's term."""
        for text, thesauri in ((own, codes), (value, codes)):
            if not text:
                continue
            try:
                return self.vocabularies.resolve(thesauri, str(text), broadest=text is value)
            except imports.CellError as error:
                if text is value:
                    self.error(record, name, field, text, error.message)
        return None

    def person(
        self, number: Any, name: str, record: dict[str, Any], field: str
    ) -> PersonSpec | None:
        if not number:
            return None
        number = str(number)
        if number in self.persons:
            return self.persons[number]
        source = self.person_records.get(number)
        if source is None:
            self.error(record, name, field, number, _("No person record has this number."))
            return None
        extra = source.get("x_amparo") or {}
        identified = extra.get("identified", True) is not False
        kind = extra.get("kind") or (
            Person.Kind.ORGANISATION
            if source.get("counting_unit") == COUNTING_UNIT[Person.Kind.ORGANISATION]
            else Person.Kind.INDIVIDUAL
        )
        country = extra.get("country") or ""
        spec = PersonSpec(
            row=0,
            prefix="person",
            key=("id", number),
            external_id=number,
            identified=identified,
            kind=kind,
            sex=self.term(source, "person", "sex", Vocab.SEX, extra.get("sex"), source.get("sex")),
            age_group=self.term(
                source, "person", "age_group", Vocab.AGE_GROUP, extra.get("age_group"), None
            ),
            defender_types=[
                t
                for code in extra.get("defender_types") or []
                if (t := self.term(source, "person", "occupation", Vocab.DEFENDER_TYPE, code, None))
            ],
            country=country,
            region=extra.get("region") or "",
            confidentiality=_clearance(extra.get("confidentiality"), source.get("confidentiality")),
        )
        if identified:
            spec.full_name = source.get("person_name") or ""
            spec.other_names = source.get("other_names") or ""
            spec.id_numbers = source.get("identification_documents") or ""
            spec.notes = source.get("remarks") or ""
            addresses = source.get("person_addresses") or [{}]
            spec.contact = extra.get("contact", addresses[0].get("phone") or "")
            spec.address = extra.get("address", addresses[0].get("address") or "")
        self.persons[number] = spec
        return spec

    def events(self) -> list[EventSpec]:
        events: dict[str, EventSpec] = {}
        for record in self.records("event"):
            number = str(record.get("event_record_number") or "")
            if not number:
                self.error(
                    record,
                    "event",
                    "event_record_number",
                    "",
                    _("Every event needs its record number."),
                )
                continue
            extra = record.get("x_amparo") or {}
            start = _parse_date(record.get("initial_date"), record.get("initial_date_type"))
            end = _parse_date(record.get("final_date"), record.get("final_date_type"))
            events[number] = EventSpec(
                row=len(events) + 1,
                external_id=number,
                reference_code=extra.get("reference_code"),
                title=record.get("event_title") or "",
                description=record.get("event_description") or "",
                start_date=start[0],
                start_precision=start[1],
                end_date=end[0],
                end_precision=end[1],
                country=extra.get("country") or _country_of(record.get("geographical_term")),
                region=extra.get("region") or "",
                locality=extra.get("locality") or "",
                confidentiality=_clearance(
                    extra.get("confidentiality"), record.get("confidentiality")
                ),
                monitoring_status=self.term(
                    record,
                    "event",
                    "monitoring_status",
                    Vocab.MONITORING_STATUS,
                    extra.get("monitoring_status"),
                    record.get("monitoring_status"),
                ),
                notes=record.get("comments") or "",
            )
            if not events[number].title:
                self.error(record, "event", "event_title", "", _("The event needs a title."))
        acts: dict[str, ActSpec] = {}
        for record in self.records("act"):
            event = events.get(str(record.get("event")))
            if event is None:
                self.error(
                    record,
                    "act",
                    "event",
                    record.get("event"),
                    _("No event record has this number."),
                )
                continue
            extra = record.get("x_amparo") or {}
            victim = self.person(record.get("victim"), "act", record, "victim")
            type_of_act = self.term(
                record,
                "act",
                "type_of_act",
                Vocab.TYPE_OF_ACT,
                extra.get("type_of_act"),
                record.get("type_of_act"),
            )
            if victim is None or type_of_act is None:
                if victim is None:
                    self.error(
                        record,
                        "act",
                        "victim",
                        record.get("victim"),
                        _("Every act needs a victim."),
                    )
                continue
            date = _parse_date(record.get("initial_date"), record.get("initial_date_type"))
            methods = record.get("method_of_violence") or []
            consequences = extra.get("consequences")
            act = ActSpec(
                row=event.row,
                key=str(record.get("act_record_number")),
                victim=victim,
                type_of_act=type_of_act,
                method=self.term(
                    record,
                    "act",
                    "method_of_violence",
                    Vocab.METHOD,
                    extra.get("method"),
                    methods[0] if methods else None,
                ),
                date=date[0],
                date_precision=date[1],
                consequences=[
                    t
                    for code in (
                        consequences
                        if consequences is not None
                        else [record.get("status_at_end_of_act")]
                    )
                    if code
                    and (
                        t := self.term(
                            record, "act", "status_at_end_of_act", Vocab.CONSEQUENCE, code, None
                        )
                    )
                ],
                targeted_activity=self.term(
                    record,
                    "act",
                    "targeted_activity",
                    Vocab.DEFENDER_TYPE,
                    extra.get("targeted_activity"),
                    None,
                ),
                country=extra.get("country") or "",
                region=extra.get("region") or "",
                locality=extra.get("locality") or "",
                remarks=record.get("remarks") or "",
            )
            acts[act.key] = act
            event.acts.append(act)
        for record in self.records("involvement"):
            target = acts.get(str(record.get("act")))
            if target is None:
                self.error(
                    record,
                    "involvement",
                    "act",
                    record.get("act"),
                    _("No act record has this number."),
                )
                continue
            extra = record.get("x_amparo") or {}
            types = record.get("type_of_perpetrator") or []
            target.involvements.append(
                InvolvementSpec(
                    row=target.row,
                    perpetrator=self.person(
                        record.get("perpetrator"), "involvement", record, "perpetrator"
                    ),
                    perpetrator_type=self.term(
                        record,
                        "involvement",
                        "type_of_perpetrator",
                        Vocab.PERPETRATOR_TYPE,
                        extra.get("perpetrator_type"),
                        types[0] if types else None,
                    ),
                    degree_of_involvement=self.term(
                        record,
                        "involvement",
                        "degree_of_involvement",
                        Vocab.DEGREE_OF_INVOLVEMENT,
                        extra.get("degree_of_involvement"),
                        record.get("degree_of_involvement"),
                    ),
                )
            )
        return list(events.values())


def _clearance(level: Any, flag: Any) -> int:
    if isinstance(level, str) and level.upper() in Clearance.__members__:
        return int(Clearance[level.upper()])
    return int(Clearance.RESTRICTED if flag != "n" else Clearance.PUBLIC)


def _parse_date(value: Any, date_type: Any) -> tuple[datetime.date | None, str]:
    if not value:
        return None, DatePrecision.UNKNOWN
    try:
        day = datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None, DatePrecision.UNKNOWN
    return day, PRECISION_OF_DATE_TYPE.get(str(date_type or ""), DatePrecision.DAY)


def _country_of(terms: Any) -> str:
    """An ISO code from the first list-15 country term, if it names one."""
    for number in terms or []:
        term = Term.objects.filter(thesaurus__code="15", source_code=str(number)).first()
        if term is None:
            continue
        try:
            return str(pycountry.countries.lookup(term.label_en).alpha_2)
        except LookupError:
            continue
    return ""


# Fields whose value is a list (of values; of objects for addresses) or an object; every other
# field of a record holds one value. Checked before the records are read, so that a document of
# the wrong shape is refused with the field's name rather than failing half-way.
LIST_FIELDS = frozenset(
    {
        "geographical_term",
        "occupation",
        "citizenship",
        "method_of_violence",
        "type_of_perpetrator",
        "type_of_source_material",
        "language_of_source_material",
        "type_of_intervention",
        "defender_types",
        "consequences",
    }
)
OBJECT_LIST_FIELDS = frozenset({"person_addresses"})
OBJECT_FIELDS = frozenset({"x_amparo", "event_location"})
_VALUE = (str, int, float, bool, type(None))


def read_document(data: bytes) -> dict[str, Any]:
    document = files.load_json(data)
    if not isinstance(document, dict) or document.get("format") != DOCUMENT_FORMAT:
        raise DomainError(
            _("This is not a HURIDOCS exchange document (format “%(format)s”).")
            % {"format": DOCUMENT_FORMAT}
        )
    for name in FORMATS:
        records = document.get(name) or []
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise DomainError(_("“%(name)s” must be a list of records.") % {"name": name})
        for record in records:
            _check_record(name, record, record, nested=False)
    return document


def _check_record(name: str, record: dict[str, Any], fields: dict[str, Any], nested: bool) -> None:
    for field, value in fields.items():
        if field in OBJECT_FIELDS and not nested:
            good = isinstance(value, dict | None)
            if isinstance(value, dict):
                _check_record(name, record, value, nested=True)
        elif field in OBJECT_LIST_FIELDS and not nested:
            good = isinstance(value, list | None) and all(
                isinstance(item, dict) and all(isinstance(v, _VALUE) for v in item.values())
                for item in value or []
            )
        elif field in LIST_FIELDS:
            good = isinstance(value, list | None) and all(
                isinstance(v, _VALUE) for v in value or []
            )
        else:
            good = isinstance(value, _VALUE)
        if not good:
            number = record.get(f"{name}_record_number")
            raise DomainError(
                _("Record %(number)s of “%(name)s”: the field “%(field)s” has the wrong shape.")
                % {
                    "number": str(number)[:50] if isinstance(number, _VALUE) else "?",
                    "name": name,
                    "field": str(field)[:50],
                }
            )


def import_document(
    actor: User,
    organisation: Organisation,
    data: bytes,
    *,
    dry_run: bool = False,
    job: ImportJob | None = None,
    progress: imports.Progress | None = None,
) -> imports.ImportResult:
    """Import an ESF document: events, acts, persons, involvements; and for new events their
    sources (information), interventions and chain links. All or nothing."""
    if not access.can_create_in(actor, organisation):
        raise PermissionDenied(_("You may not record events for this organisation."))
    document = read_document(data)
    with bulk.collecting_seldom():
        reader = _Reader(document)
        specs = reader.events()
        result = imports.ImportResult(dry_run=dry_run, rows=len(specs), errors=reader.errors)
        if result.errors:
            return result
        return imports.write_specs(
            actor,
            organisation,
            specs,
            result,
            after=lambda writer, created: _add_relations(actor, reader, writer, created),
            job=job,
            progress=progress,
        )


def _first(values: Any) -> Any:
    return next(iter(values or []), None)


def _add_relations(
    actor: User, reader: _Reader, writer: imports._Writer, created: dict[str, Event]
) -> None:
    """Sources, interventions and chain links of the events this import created; problems go
    to `writer.errors`, which rolls the whole import back."""
    made: dict[int, services.PersonInput] = {}

    def person(number: Any, record: dict[str, Any], name: str) -> services.PersonInput | None:
        spec = reader.person(number, name, record, "person")
        return None if spec is None else writer.person_input(spec, [], made)

    def term(
        record: dict[str, Any], name: str, field: str, codes: tuple[str, ...], value: Any
    ) -> Term | None:
        return reader.term(record, name, field, codes, None, value)

    def attempt(record: dict[str, Any], name: str, write: Callable[[], object]) -> None:
        try:
            with transaction.atomic():
                write()
        except (ValidationError, PermissionDenied, DomainError) as error:
            reader.error(record, name, "", "", _message(error))

    for record in reader.records("information"):
        event = created.get(str(record.get("event")))
        if event is None:
            continue
        source = services.SourceInput(
            source_person=person(record.get("source"), record, "information"),
            received_on=_parse_date(record.get("date_of_source_material"), None)[0],
            reliability=term(
                record,
                "information",
                "reliability_of_information",
                Vocab.RELIABILITY,
                record.get("reliability_of_information"),
            ),
            connection=term(
                record,
                "information",
                "source_connection_to_information",
                Vocab.SOURCE_CONNECTION,
                record.get("source_connection_to_information"),
            ),
            material_type=term(
                record,
                "information",
                "type_of_source_material",
                Vocab.SOURCE_MATERIAL,
                _first(record.get("type_of_source_material")),
            ),
            language=term(
                record,
                "information",
                "language_of_source_material",
                Vocab.LANGUAGE,
                _first(record.get("language_of_source_material")),
            ),
            material=record.get("remarks") or "",
        )
        attempt(record, "information", partial(services.add_source, actor, event, source))
    for record in reader.records("intervention"):
        event = created.get(str(record.get("event")))
        if event is None:
            continue
        kind = term(
            record,
            "intervention",
            "type_of_intervention",
            Vocab.INTERVENTION_TYPE,
            _first(record.get("type_of_intervention")),
        )
        if kind is None:
            reader.error(
                record,
                "intervention",
                "type_of_intervention",
                "",
                _("Every intervention needs its type."),
            )
            continue
        extra = record.get("x_amparo") or {}
        intervention = services.InterventionInput(
            intervention_type=kind,
            intervening_person=person(record.get("intervening_party"), record, "intervention"),
            intervening_organisation=Organisation.objects.filter(
                short_code=extra.get("intervening_organisation") or ""
            ).first(),
            date=_parse_date(record.get("date_of_intervention"), None)[0],
            status=term(
                record,
                "intervention",
                "intervention_status",
                Vocab.INTERVENTION_STATUS,
                record.get("intervention_status"),
            ),
            result=record.get("remarks") or "",
        )
        attempt(
            record,
            "intervention",
            partial(services.add_intervention, actor, event, intervention),
        )
    for record in reader.records("chain_of_events"):
        event = created.get(str(record.get("event")))
        if event is None:
            continue
        related = str(record.get("related_event") or "")
        target = (
            created.get(related)
            or Event.objects.filter(organisation=event.organisation, external_id=related).first()
        )
        chain = term(
            record,
            "chain_of_events",
            "type_of_chain_of_events",
            Vocab.CHAIN_TYPE,
            record.get("type_of_chain_of_events"),
        )
        if target is None or chain is None:
            reader.error(
                record,
                "chain_of_events",
                "related_event",
                related,
                _("No such event, or no type of chain."),
            )
            continue
        attempt(
            record,
            "chain_of_events",
            partial(services.add_chain_link, actor, event, target, chain),
        )
    writer.errors.extend(reader.errors)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error) or _("Refused.")

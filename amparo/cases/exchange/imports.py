"""Import of events with their acts, victims and perpetrators from the flat table.

The format is described in docs/import-format.md and `amparo.cases.exchange.tabular`. An import
is all or nothing, and holds the database only for short moments:

1. Every row is parsed and checked (values, vocabulary terms, consistency between the rows of
   one event), then every event is checked as the services would record it: new events are
   built in memory (`services.bulk.NewEvents`), recorded ones compared with what they would
   export. Nothing is written; the problems of all events are reported, each with its row,
   column, value and reason. A dry run stops here (after trying the changes to recorded events
   in a transaction rolled back).
2. New events are written in short batches, hidden until the end (`services/bulk.py` explains
   why and how), with the job's progress.
   A large file of new events about new persons is checked and sealed half by this process
   and half by a copy of it, on the other core (see "in two processes" below).
3. One short transaction changes the recorded events and persons through their services
   (`update_event`, `update_person`: versions and audit entries), publishes the new events and
   records the import in the audit log. If anything fails, what was written is deleted.

Re-importing is idempotent: an event whose `event_id` is already the external identifier (or the
reference code) of one of the organisation's events updates that event, and an event whose rows
say exactly what is already recorded is left alone, so the same file imported twice changes
nothing the second time.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, TypeVar

import pycountry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, TextChoices
from django.utils import translation
from django.utils.translation import gettext as _

from amparo.cases import access, hooks, queries, services
from amparo.cases.exchange import exports, tabular
from amparo.cases.exchange.tabular import PERPETRATOR, VICTIM, Table
from amparo.cases.models import (
    IDENTIFYING_FIELDS,
    PERSON_FIELDS,
    CoordinatePrecision,
    DatePrecision,
    Event,
    ImportJob,
    Person,
    Vocab,
)
from amparo.cases.services import bulk
from amparo.core import custody, forked
from amparo.core.keychain import Scope
from amparo.core.models import Clearance, Organisation, Term, User
from amparo.core.services import DomainError
from amparo.core.vocabulary import AmbiguousTerm, TermLookupError, TermResolver

T = TypeVar("T")

YES = frozenset({"yes", "y", "true", "1", "oui", "sí", "si", "نعم"})
NO = frozenset({"no", "n", "false", "0", "non", "لا"})
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_DATE_OF_PRECISION = {
    "start_precision": "start_date",
    "end_precision": "end_date",
    "date_precision": "date",
}
_OWN_REFERENCE = re.compile(r"P(\d+)-([0-9A-Z]{6})")


@dataclass(frozen=True)
class RowError:
    row: int  # line in the file: the header is line 1
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = _("row %(row)d") % {"row": self.row}
        if self.column:
            where += f", {self.column}"
        if self.value:
            where += f" “{self.value}”"
        return f"{where}: {self.message}"


# --- parsed rows ------------------------------------------------------------------------------
# Every value is None when its column is absent from the file: "leave as it is".


@dataclass(eq=False)
class PersonSpec:
    row: int
    prefix: str
    key: tuple[str, ...]
    external_id: str
    identified: bool
    kind: str | None = None
    full_name: str | None = None
    other_names: str | None = None
    contact: str | None = None
    id_numbers: str | None = None
    address: str | None = None
    notes: str | None = None
    sex: Term | None = None
    age_group: Term | None = None
    defender_types: list[Term] | None = None
    country: str | None = None
    region: str | None = None
    confidentiality: int | None = None


# A person's fields but their identifier, which the import keys persons by.
PERSON_VALUES = tuple(name for name in PERSON_FIELDS if name != "external_id")


@dataclass(eq=False)
class InvolvementSpec:
    row: int
    perpetrator: PersonSpec | None
    perpetrator_type: Term | None
    degree_of_involvement: Term | None


@dataclass(eq=False)
class ActSpec:
    row: int
    key: str
    victim: PersonSpec
    type_of_act: Term
    method: Term | None = None
    date: datetime.date | None = None
    date_precision: str | None = None
    consequences: list[Term] | None = None
    targeted_activity: Term | None = None
    country: str | None = None
    region: str | None = None
    locality: str | None = None
    remarks: str | None = None
    involvements: list[InvolvementSpec] = field(default_factory=list)


@dataclass(eq=False)
class EventSpec:
    row: int
    external_id: str
    reference_code: str | None = None
    title: str | None = None
    description: str | None = None
    start_date: datetime.date | None = None
    start_precision: str | None = None
    end_date: datetime.date | None = None
    end_precision: str | None = None
    country: str | None = None
    region: str | None = None
    locality: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    coordinate_precision: str | None = None
    confidentiality: int | None = None
    monitoring_status: Term | None = None
    notes: str | None = None
    acts: list[ActSpec] = field(default_factory=list)


EVENT_VALUES = tuple(
    f.name
    for f in fields(EventSpec)
    if f.name not in {"row", "external_id", "reference_code", "acts"}
)
ACT_VALUES = tuple(
    f.name for f in fields(ActSpec) if f.name not in {"row", "key", "victim", "involvements"}
)

# Where a value of the services' input lives in the table, for their validation errors.
EVENT_COLUMN = {
    "title": "event_title",
    "description": "event_description",
    "start_date": "event_start_date",
    "start_precision": "event_start_date",
    "end_date": "event_end_date",
    "end_precision": "event_end_date",
    "country": "event_country",
    "region": "event_region",
    "locality": "event_locality",
    "latitude": "event_latitude",
    "longitude": "event_longitude",
    "coordinate_precision": "event_coordinate_precision",
    "confidentiality": "event_confidentiality",
    "monitoring_status": "event_monitoring_status",
    "notes": "event_notes",
    "external_id": "event_id",
    "reference_code": "event_reference",
}
ACT_COLUMN = {
    "type_of_act": "act_type",
    "method": "act_method",
    "date": "act_date",
    "date_precision": "act_date",
    "consequences": "act_consequences",
    "targeted_activity": "act_targeted_activity",
    "country": "act_country",
    "region": "act_region",
    "locality": "act_locality",
    "remarks": "act_remarks",
    "victim": "victim_id",
}
PERSON_COLUMN = {
    "full_name": "name",
    "external_id": "id",
    **{name: name for name in PERSON_VALUES if name != "full_name"},
}
INVOLVEMENT_COLUMN = {
    "perpetrator": "perpetrator_id",
    "perpetrator_type": "perpetrator_type",
    "degree_of_involvement": "perpetrator_involvement",
}


# --- reading values ---------------------------------------------------------------------------


class CellError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_partial_date(text: str) -> tuple[datetime.date | None, str]:
    """ "2024", "2024-03" or "2024-03-05" (empty or "unknown": no date) and its precision."""
    if not text or text.casefold() == "unknown":
        return None, DatePrecision.UNKNOWN
    match = _DATE.fullmatch(text)
    if match is None:
        raise CellError(_("Write dates as YYYY-MM-DD, YYYY-MM or YYYY."))
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        value = datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise CellError(_("This date does not exist.")) from None
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    return value, precision


def _labels(choices: type[TextChoices] | type[Clearance]) -> dict[str, Any]:
    """Each choice by its value, its name and its label in every language."""
    from amparo.core.vocabulary import LANGUAGES, normalise_label

    found: dict[str, Any] = {}
    for choice in choices:
        found[normalise_label(str(choice.value))] = choice.value
        found[normalise_label(choice.name.replace("_", " "))] = choice.value
        found[normalise_label(choice.name)] = choice.value
        for language in LANGUAGES:
            with translation.override(language):
                found[normalise_label(str(choice.label))] = choice.value
    return found


def _choice(text: str, table: dict[str, Any], allowed: Sequence[Any]) -> Any:
    from amparo.core.vocabulary import normalise_label

    value = table.get(normalise_label(text))
    if value is None:
        raise CellError(
            _("Use one of: %(values)s.") % {"values": ", ".join(str(v).lower() for v in allowed)}
        )
    return value


@functools.lru_cache(maxsize=1024)
def parse_country(text: str) -> str:
    if not text:
        return ""
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        raise CellError(_("Not a country: use the ISO 3166 two-letter code, e.g. KE.")) from None


@functools.lru_cache(maxsize=4096)
def parse_region(text: str, country: str) -> str:
    """An ISO 3166-2 code (KE-110) or the region's name within the country."""
    if not text:
        return ""
    if "-" in text and pycountry.subdivisions.get(code=text.upper()):  # type: ignore[no-untyped-call]
        return text.upper()
    from amparo.core.vocabulary import normalise_label

    if country:
        wanted = normalise_label(text)
        for subdivision in pycountry.subdivisions.get(country_code=country) or []:  # type: ignore[no-untyped-call]
            if normalise_label(subdivision.name) == wanted:
                return str(subdivision.code)
    raise CellError(_("Not a region of the country: use its ISO 3166-2 code, e.g. KE-30."))


def parse_decimal(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise CellError(_("Not a number.")) from None


def parse_yes_no(text: str) -> bool:
    lowered = text.casefold()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise CellError(_("Write yes or no."))


class Vocabularies:
    """One TermResolver per thesaurus, for the whole import."""

    def __init__(self) -> None:
        self._resolvers: dict[str, TermResolver] = {}
        # A file repeats its values: each is looked up once (the term, or why there is none).
        self._known: dict[tuple[tuple[str, ...], str, bool], Term | str] = {}

    def resolve(self, codes: tuple[str, ...], text: str, *, broadest: bool = False) -> Term:
        """The term `text` names in the first of the thesauri `codes` that knows it. With
        `broadest`, a value several terms share (a HURIDOCS code that a term of our lists and its
        narrower terms all map to) means the one at the top of the tree."""
        key = (codes, text, broadest)
        if key not in self._known:
            try:
                self._known[key] = self._resolve(codes, text, broadest)
            except CellError as error:
                self._known[key] = error.message
        found = self._known[key]
        if isinstance(found, str):
            raise CellError(found)
        return found

    def _resolve(self, codes: tuple[str, ...], text: str, broadest: bool) -> Term:
        failure: TermLookupError | None = None
        for code in codes:
            if code not in self._resolvers:
                self._resolvers[code] = TermResolver(code)
            try:
                return self._resolvers[code].resolve(text)
            except AmbiguousTerm as error:
                top = [t for t in error.candidates if t.parent_id is None]
                if broadest and len(top) == 1:
                    return top[0]
                failure = failure or error
            except TermLookupError as error:
                failure = failure or error
        assert failure is not None
        raise CellError(str(failure))


# --- the parser -------------------------------------------------------------------------------


class Parser:
    """Turns the table into EventSpecs, collecting every problem instead of stopping."""

    def __init__(self, table: Table, vocabularies: Vocabularies | None = None) -> None:
        self.table = table
        self.present = set(table.columns)
        self.vocabularies = vocabularies or Vocabularies()
        self.errors: list[RowError] = []
        self._clearances = _labels(Clearance)
        self._kinds = _labels(Person.Kind)
        self._precisions = _labels(CoordinatePrecision)

    def error(self, row: int, column: str, value: str, message: str) -> None:
        self.errors.append(RowError(row, column, value, message))

    def check_columns(self) -> bool:
        known = set(tabular.COLUMNS)
        for column in self.table.columns:
            if column and column not in known:
                self.error(1, column, "", _("Unknown column (see docs/import-format.md)."))
        for column in tabular.REQUIRED:
            if column not in self.present:
                self.error(1, column, "", _("This column is required."))
        seen: set[str] = set()
        for column in self.table.columns:
            if column in seen:
                self.error(1, column, "", _("This column appears twice."))
            seen.add(column)
        return not self.errors

    def _value(
        self, row: int, values: dict[str, str], column: str, read: Callable[[str], T]
    ) -> T | None:
        """`read(text)` of the column, or None if the file has no such column or it failed."""
        if column not in self.present:
            return None
        text = values.get(column, "")
        try:
            return read(text)
        except CellError as error:
            self.error(row, column, text, error.message)
            return None

    def _term(self, codes: tuple[str, ...]) -> Callable[[str], Term | None]:
        return lambda text: self.vocabularies.resolve(codes, text) if text else None

    def _terms(self, codes: tuple[str, ...]) -> Callable[[str], list[Term]]:
        def read(text: str) -> list[Term]:
            parts = [p.strip() for p in text.split(tabular.MULTI_SEPARATOR) if p.strip()]
            return [self.vocabularies.resolve(codes, part) for part in parts]

        return read

    def _clearance(self, text: str) -> int | None:
        if not text:
            return None
        return int(_choice(text, self._clearances, [c.name for c in Clearance]))

    def parse(self) -> list[EventSpec]:
        if not self.check_columns():
            return []
        events: dict[str, EventSpec] = {}
        acts: dict[tuple[str, str], ActSpec] = {}
        persons: dict[tuple[str, ...], PersonSpec] = {}
        for number, values in self.table.rows:
            event_id = values.get("event_id", "")
            if not event_id:
                self.error(number, "event_id", "", _("Every row needs the event's identifier."))
                continue
            parsed = self._event(number, values)
            event = events.get(event_id)
            if event is None:
                event = events[event_id] = parsed
                if not event.title:
                    self.error(number, "event_title", "", _("The event needs a title."))
            else:
                self._merge(event, parsed, number, EVENT_VALUES, EVENT_COLUMN)
            self._act_row(number, values, event, acts, persons)
        return list(events.values())

    def _event(self, row: int, values: dict[str, str]) -> EventSpec:
        v = values
        start = self._value(row, v, "event_start_date", parse_partial_date)
        end = self._value(row, v, "event_end_date", parse_partial_date)
        country = self._value(row, v, "event_country", parse_country)
        return EventSpec(
            row=row,
            external_id=v["event_id"],
            reference_code=self._value(row, v, "event_reference", str),
            title=self._value(row, v, "event_title", str),
            description=self._value(row, v, "event_description", str),
            start_date=start[0] if start else None,
            start_precision=start[1] if start else None,
            end_date=end[0] if end else None,
            end_precision=end[1] if end else None,
            country=country,
            region=self._value(row, v, "event_region", lambda t: parse_region(t, country or "")),
            locality=self._value(row, v, "event_locality", str),
            latitude=self._value(row, v, "event_latitude", parse_decimal),
            longitude=self._value(row, v, "event_longitude", parse_decimal),
            coordinate_precision=self._value(
                row,
                v,
                "event_coordinate_precision",
                lambda t: _choice(t, self._precisions, CoordinatePrecision.values) if t else "",
            ),
            confidentiality=self._value(row, v, "event_confidentiality", self._clearance),
            monitoring_status=self._value(
                row, v, "event_monitoring_status", self._term(Vocab.MONITORING_STATUS)
            ),
            notes=self._value(row, v, "event_notes", str),
        )

    def _merge(
        self,
        first: Any,
        later: Any,
        row: int,
        names: Sequence[str],
        columns: dict[str, str] | Callable[[str], str],
    ) -> None:
        """Rows that repeat a record must agree with its first row (or leave the cell empty)."""
        for name in names:
            new, old = getattr(later, name), getattr(first, name)
            if new in (None, "", []) or _same(new, old):
                continue
            if name in _DATE_OF_PRECISION and getattr(later, _DATE_OF_PRECISION[name]) is None:
                continue  # an empty date cell says nothing
            if old in (None, "", []):
                setattr(first, name, new)
                continue
            column = columns(name) if callable(columns) else columns.get(name, name)
            self.error(
                row,
                column,
                _display(new),
                _("Differs from row %(row)d, which describes the same record.")
                % {"row": first.row},
            )

    def _person(
        self,
        row: int,
        values: dict[str, str],
        prefix: str,
        persons: dict[tuple[str, ...], PersonSpec],
    ) -> PersonSpec | None:
        def col(suffix: str) -> str:
            return f"{prefix}_{suffix}"

        external_id = values.get(col("id"), "")
        name = values.get(col("name"), "")
        identified = self._value(
            row, values, col("identified"), lambda t: parse_yes_no(t) if t else True
        )
        if identified is None:
            identified = True
        if not external_id and not name:
            return None
        if not external_id and not identified:
            self.error(row, col("id"), "", _("A pseudonymised person needs their identifier."))
            return None
        country = self._value(row, values, col("country"), parse_country)
        spec = PersonSpec(
            row=row,
            prefix=prefix,
            key=("id", external_id) if external_id else ("name", name.casefold()),
            external_id=external_id,
            identified=identified,
            kind=self._value(
                row,
                values,
                col("kind"),
                lambda t: _choice(t, self._kinds, Person.Kind.values) if t else None,
            ),
            sex=self._value(row, values, col("sex"), self._term(Vocab.SEX)),
            age_group=self._value(row, values, col("age_group"), self._term(Vocab.AGE_GROUP)),
            defender_types=self._value(
                row, values, col("defender_types"), self._terms(Vocab.DEFENDER_TYPE)
            ),
            country=country,
            region=self._value(
                row, values, col("region"), lambda t: parse_region(t, country or "")
            ),
            confidentiality=self._value(row, values, col("confidentiality"), self._clearance),
        )
        if identified:
            spec.full_name = self._value(row, values, col("name"), str)
            for suffix in IDENTIFYING_FIELDS[1:]:  # full_name has the column "name"
                setattr(spec, suffix, self._value(row, values, col(suffix), str))
        known = persons.get(spec.key)
        if known is None:
            persons[spec.key] = spec
            return spec
        self._merge(known, spec, row, PERSON_VALUES, lambda n: col(PERSON_COLUMN[n]))
        return known

    def _act_row(
        self,
        row: int,
        values: dict[str, str],
        event: EventSpec,
        acts: dict[tuple[str, str], ActSpec],
        persons: dict[tuple[str, ...], PersonSpec],
    ) -> None:
        """The act a row describes, or (same act_id as an earlier row) one more perpetrator."""
        key = values.get("act_id", "") or f"row {row}"
        act = acts.get((event.external_id, key))
        victim = self._person(row, values, VICTIM, persons)
        perpetrator = self._person(row, values, PERPETRATOR, persons)
        involvement = InvolvementSpec(
            row=row,
            perpetrator=perpetrator,
            perpetrator_type=self._value(
                row, values, "perpetrator_type", self._term(Vocab.PERPETRATOR_TYPE)
            ),
            degree_of_involvement=self._value(
                row, values, "perpetrator_involvement", self._term(Vocab.DEGREE_OF_INVOLVEMENT)
            ),
        )
        involved = bool(
            perpetrator or involvement.perpetrator_type or involvement.degree_of_involvement
        )
        described = any(values.get(c) for c in tabular.ACT_COLUMNS if c != "act_id")
        if act is None and not described and victim is None:
            if involved:
                self.error(row, "act_type", "", _("A perpetrator needs an act."))
            return  # a row that only describes the event
        continuation = act is not None and not described and victim is None
        spec = (
            None
            if continuation
            else self._act(
                row, values, key, victim if victim is not None else act.victim if act else None
            )
        )
        if act is None:
            if spec is None:
                return
            act = acts[(event.external_id, key)] = spec
            event.acts.append(act)
        else:
            if spec is not None:
                self._merge(act, spec, row, ACT_VALUES, ACT_COLUMN)
            if victim is not None and victim is not act.victim:
                self.error(
                    row,
                    "victim_id",
                    victim.external_id or victim.full_name or "",
                    _("Differs from row %(row)d, which describes the same act.") % {"row": act.row},
                )
        if involved:
            act.involvements.append(involvement)

    def _act(
        self, row: int, values: dict[str, str], key: str, victim: PersonSpec | None
    ) -> ActSpec | None:
        """The act's own columns; None (and the reason recorded) if they cannot make an act."""
        type_of_act = self._value(row, values, "act_type", self._term(Vocab.TYPE_OF_ACT))
        if not values.get("act_type"):
            self.error(row, "act_type", "", _("Every act needs its type."))
        if victim is None:
            self.error(
                row, "victim_name", "", _("Every act needs a victim: a name or an identifier.")
            )
        date = self._value(row, values, "act_date", parse_partial_date)
        country = self._value(row, values, "act_country", parse_country)
        if victim is None or type_of_act is None:
            return None
        return ActSpec(
            row=row,
            key=key,
            victim=victim,
            type_of_act=type_of_act,
            method=self._value(row, values, "act_method", self._term(Vocab.METHOD)),
            date=date[0] if date else None,
            date_precision=date[1] if date else None,
            consequences=self._value(
                row, values, "act_consequences", self._terms(Vocab.CONSEQUENCE)
            ),
            targeted_activity=self._value(
                row, values, "act_targeted_activity", self._term(Vocab.DEFENDER_TYPE)
            ),
            country=country,
            region=self._value(row, values, "act_region", lambda t: parse_region(t, country or "")),
            locality=self._value(row, values, "act_locality", str),
            remarks=self._value(row, values, "act_remarks", str),
        )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(_key(x) for x in a) == sorted(_key(x) for x in b)
    return bool(_key(a) == _key(b))


def _key(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()  # as the services record text
    if isinstance(value, Term):
        return ("term", value.pk)
    if isinstance(value, PersonSpec):
        return ("person", value.key)
    return value


def _display(value: Any) -> str:
    if isinstance(value, Term):
        return value.code
    if isinstance(value, list):
        return tabular.MULTI_SEPARATOR.join(_display(v) for v in value)
    return "" if value is None else str(value)


def parse_table(
    table: Table, vocabularies: Vocabularies | None = None
) -> tuple[list[EventSpec], list[RowError]]:
    parser = Parser(table, vocabularies)
    events = parser.parse()
    return events, parser.errors


# --- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventOutcome:
    row: int
    external_id: str
    action: str  # "create", "update" or "unchanged"
    reference_code: str
    title: str


@dataclass
class ImportResult:
    dry_run: bool
    rows: int
    outcomes: list[EventOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run


def _chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_events(organisation: Organisation, specs: Sequence[EventSpec]) -> dict[str, Event]:
    """The organisation's events that rows refer to, by external identifier or reference code."""
    ids = [spec.external_id for spec in specs]
    found: dict[str, Event] = {}
    by_reference: dict[str, Event] = {}
    for chunk in _chunks(ids):
        for event in Event.objects.filter(organisation=organisation, **access.PUBLISHED).filter(
            Q(external_id__in=chunk) | Q(reference_code__in=chunk)
        ):
            if event.external_id:
                found[event.external_id] = event
            by_reference[event.reference_code] = event
    for key, event in by_reference.items():
        found.setdefault(key, event)
    return found


class PersonRefused(DomainError):
    """A person of the file names a recorded person the importer may not work with."""

    def __init__(self, spec: PersonSpec) -> None:
        # One message whatever the file says of the person (a name that matches or not, none at
        # all) and whatever the reason: it must not confirm who the recorded person is.
        super().__init__(
            _("This identifier is not available to you: give the person another identifier.")
        )
        self.spec = spec


class _Writer:
    """Writes the parsed events through the services, one savepoint per event."""

    def __init__(
        self, actor: User, organisation: Organisation, cells: dict[int, dict[str, str]]
    ) -> None:
        self.actor = actor
        self.organisation = organisation
        self.cells = cells
        self.presenter = access.PersonPresenter(actor)
        self.vocabularies = Vocabularies()
        self.saved: dict[tuple[str, ...], Person] = {}
        self.errors: list[RowError] = []
        self.new_events = bulk.NewEvents(actor, organisation)
        # The organisation's recorded persons the file names, read at once (`prefetch_persons`).
        self.by_external_id: dict[str, Person] = {}
        self.by_pk: dict[int, Person] = {}
        # One input per new person of the file, whichever events they appear in.
        self.new_inputs: dict[tuple[str, ...], services.PersonInput] = {}
        # What becomes of each event of the file: "create", "update" or "unchanged".
        self.actions: list[tuple[EventSpec, str, Event | None]] = []

    def prefetch_persons(self, specs: Sequence[EventSpec]) -> None:
        """Read the recorded persons that the file's identifiers name, a few queries in all."""
        ids = {
            person.external_id
            for spec in specs
            for person in _persons_of(spec)
            if person.external_id
        }
        own = [int(m.group(1)) for i in ids if (m := _OWN_REFERENCE.fullmatch(i))]
        persons = queries.with_person_terms(
            Person.objects.filter(organisation=self.organisation, **access.PUBLISHED)
        )
        for some_ids in _chunks(sorted(ids)):
            for person in persons.filter(external_id__in=some_ids):
                self.by_external_id[person.external_id] = person
        for some_pks in _chunks(own):
            for person in persons.filter(pk__in=some_pks, external_id=""):
                self.by_pk[person.pk] = person

    # persons

    def _recorded_person(self, spec: PersonSpec, event_persons: list[Person]) -> Person | None:
        """The recorded person the spec names: by Amparo's own reference (an export's
        P<id>-<code>), by external identifier, or (no identifier) by name among the event's
        persons whose identity the importer sees."""
        if spec.key in self.saved:
            return self.saved[spec.key]
        if spec.external_id:
            own = _OWN_REFERENCE.fullmatch(spec.external_id)
            if own:
                person = self.by_pk.get(int(own.group(1)))
                if person is not None and access.pseudonym_code(person) == own.group(2):
                    return person
            return self.by_external_id.get(spec.external_id)
        for person in event_persons:
            if (
                self.presenter.identity_visible(person)
                and person.full_name.casefold() == spec.key[1]
            ):
                return person
        return None

    def _existing_person(self, spec: PersonSpec, event_persons: list[Person]) -> Person | None:
        """`_recorded_person`, if the importer may reuse them. A person they may not is kept
        as they are only where they already take part in the event and the file leaves their
        identity out; otherwise PersonRefused."""
        person = self._recorded_person(spec, event_persons)
        if person is None or access.may_reuse_person(self.presenter, person):
            return person
        if not spec.identified and person in event_persons:
            return person
        raise PersonRefused(spec)

    def person_input(
        self, spec: PersonSpec, event_persons: list[Person], made: dict[int, services.PersonInput]
    ) -> services.PersonInput:
        """The services' input for a person of the file: an existing person (by identifier,
        or by name among the event's persons), or a new one; one input per spec and event."""
        if id(spec) in made:
            return made[id(spec)]
        person = self._existing_person(spec, event_persons)
        if person is not None:
            data = services.PersonInput.existing(person)
        elif spec.key in self.new_inputs:
            data = made[id(spec)] = self.new_inputs[spec.key]
            return data
        else:
            data = self.new_inputs[spec.key] = services.PersonInput(external_id=spec.external_id)
            for name in IDENTIFYING_FIELDS:
                setattr(data, name, "")
        for name in PERSON_VALUES:
            value = getattr(spec, name)
            if value is not None:
                setattr(data, name, value)
        made[id(spec)] = data
        return data

    # events

    def _event_input(self, spec: EventSpec, event: Event | None) -> services.EventInput:
        values: dict[str, Any] = {}
        if event is not None:
            values = {name: getattr(event, name) for name in services.EVENT_INPUT_FIELDS}
            values["notes"] = None
        for name in EVENT_VALUES:
            value = getattr(spec, name)
            if value is not None:
                values[name] = value
        if event is None and spec.start_precision is None:
            values["start_precision"] = DatePrecision.UNKNOWN
        values["external_id"] = spec.external_id if event is None else event.external_id
        if event is None and spec.reference_code and self._may_claim(spec.reference_code):
            values["reference_code"] = spec.reference_code
        return services.EventInput(**values)

    def _may_claim(self, code: str) -> bool:
        """Keep an exported reference code when it is this organisation's and still free."""
        prefix = self.organisation.short_code.upper() + "-"
        return code.startswith(prefix) and not Event.objects.filter(reference_code=code).exists()

    def _acts(self, spec: EventSpec, event: Event | None) -> list[services.ActInput]:
        existing = list(event.acts.order_by("pk").prefetch_related("involvements")) if event else []
        event_persons = self._event_persons(event) if event else []
        made: dict[int, services.PersonInput] = {}
        acts = []
        for index, act_spec in enumerate(spec.acts):
            old = existing[index] if index < len(existing) else None
            old_involvements = list(old.involvements.all()) if old else []
            values: dict[str, Any] = {}
            for name in ACT_VALUES:
                value = getattr(act_spec, name)
                if value is None and old is not None:
                    value = (
                        list(old.consequences.all())
                        if name == "consequences"
                        else getattr(old, name)
                    )
                if value is not None:
                    values[name] = value
            involvements = [
                services.InvolvementInput(
                    perpetrator=None
                    if item.perpetrator is None
                    else self.person_input(item.perpetrator, event_persons, made),
                    perpetrator_type=item.perpetrator_type,
                    degree_of_involvement=item.degree_of_involvement,
                    id=old_involvements[i].pk if i < len(old_involvements) else None,
                )
                for i, item in enumerate(act_spec.involvements)
            ]
            acts.append(
                services.ActInput(
                    victim=self.person_input(act_spec.victim, event_persons, made),
                    involvements=involvements,
                    id=old.pk if old else None,
                    **values,
                )
            )
        return acts

    @staticmethod
    def _event_persons(event: Event) -> list[Person]:
        return list(
            Person.objects.filter(
                Q(acts_as_victim__event=event) | Q(involvements__act__event=event)
            ).distinct()
        )

    def current_specs(self, events: Sequence[Event]) -> dict[int, EventSpec]:
        """What is recorded of `events`, exported and parsed back as the file's rows are, so
        that a row compares with what it would export (events that do not parse back are
        left out: they count as changed)."""
        current: dict[int, EventSpec] = {}
        by_id = {event.external_id or event.reference_code: event.pk for event in events}
        for page in exports.batches(Event.objects.filter(pk__in=list(by_id.values()))):
            self.presenter.prime(exports.persons_of(page))
            rows = [row for event in page for row in exports.event_rows(event, self.presenter)]
            table = Table(columns=list(tabular.COLUMNS), rows=list(enumerate(rows, start=2)))
            parsed, errors = parse_table(table, self.vocabularies)
            broken = {rows[error.row - 2].get("event_id") for error in errors if error.row >= 2}
            for spec in parsed:
                if spec.external_id not in broken and spec.external_id in by_id:
                    current[by_id[spec.external_id]] = spec
        return current

    def new_event(self, spec: EventSpec) -> None:
        """Build and check the new event (written later, with all others: bulk.NewEvents)."""
        data = self._event_input(spec, None)
        data.acts = self._acts(spec, None)
        self.new_events.add(data, spec)

    def remember_persons(self, spec: EventSpec, event: Event) -> None:
        """Persons named (not identified) in the file are found again by name in later events."""
        named = [
            person
            for person in _persons_of(spec)
            if not person.external_id and person.key not in self.saved
        ]
        persons = self._event_persons(event) if named else []
        for person_spec in _persons_of(spec):
            if person_spec.key in self.saved:
                continue
            person = self._recorded_person(person_spec, persons)
            if person is not None:
                self.saved[person_spec.key] = person

    # errors

    def report(self, spec: EventSpec, error: Exception) -> None:
        if isinstance(error, PersonRefused):
            person = error.spec
            self.errors.append(
                RowError(person.row, f"{person.prefix}_id", person.external_id, str(error))
            )
        elif isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for key, messages in error.message_dict.items():
                row, column = self._locate(spec, key)
                value = self.cells.get(row, {}).get(column, "")
                for message in messages:
                    self.errors.append(RowError(row, column, value, message))
        elif isinstance(error, ValidationError):
            for message in error.messages:
                self.errors.append(RowError(spec.row, "", "", message))
        else:
            message = str(error) or _("You may not record or change this event.")
            self.errors.append(RowError(spec.row, "event_id", spec.external_id, message))

    def _locate(self, spec: EventSpec, key: str) -> tuple[int, str]:
        parts = key.split(".")
        if parts[0] != "acts" or len(parts) < 2 or not parts[1].isdigit():
            return spec.row, EVENT_COLUMN.get(parts[0], "")
        act = spec.acts[int(parts[1])]
        rest = parts[2:]
        if not rest:
            return act.row, ""
        if rest[0] == "victim" and len(rest) > 1:
            return act.row, f"{VICTIM}_{PERSON_COLUMN.get(rest[1], 'id')}"
        if rest[0] == "involvements" and len(rest) > 2 and rest[1].isdigit():
            involvement = act.involvements[int(rest[1])]
            if rest[2] == "perpetrator" and len(rest) > 3:
                return involvement.row, f"{PERPETRATOR}_{PERSON_COLUMN.get(rest[3], 'id')}"
            return involvement.row, INVOLVEMENT_COLUMN.get(rest[2], "")
        return act.row, ACT_COLUMN.get(rest[0], "")


def _matches(new: EventSpec, old: EventSpec) -> bool:
    if not _same_values(new, old, EVENT_VALUES) or len(new.acts) != len(old.acts):
        return False
    for act, old_act in zip(new.acts, old.acts, strict=True):
        if not _same_values(act, old_act, ACT_VALUES) or not _same_person(
            act.victim, old_act.victim
        ):
            return False
        if len(act.involvements) != len(old_act.involvements):
            return False
        for item, old_item in zip(act.involvements, old_act.involvements, strict=True):
            if not _same(item.perpetrator_type, old_item.perpetrator_type) or not _same(
                item.degree_of_involvement, old_item.degree_of_involvement
            ):
                return False
            if (item.perpetrator is None) != (old_item.perpetrator is None):
                return False
            if (
                item.perpetrator
                and old_item.perpetrator
                and not _same_person(item.perpetrator, old_item.perpetrator)
            ):
                return False
    return True


def _same_values(new: Any, old: Any, names: Sequence[str]) -> bool:
    return all(
        getattr(new, name) is None or _same(getattr(new, name), getattr(old, name))
        for name in names
    )


def _same_person(new: PersonSpec, old: PersonSpec) -> bool:
    if new.external_id and new.external_id != old.external_id:
        return False
    return _same_values(new, old, PERSON_VALUES)


def import_table(
    actor: User,
    organisation: Organisation,
    table: Table,
    *,
    dry_run: bool = False,
    job: ImportJob | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the table for `organisation` as `actor`: everything, or (on any problem) nothing.

    With `dry_run`, every check runs and nothing is written: the result says what a real
    import would do. `progress(stage, done, total)` is told how far it got."""
    if not access.can_create_in(actor, organisation):
        raise PermissionDenied(_("You may not record events for this organisation."))
    result = ImportResult(dry_run=dry_run, rows=len(table.rows))
    with bulk.collecting_seldom():
        specs, result.errors = parse_table(table)
        if result.errors:
            return result
        return write_specs(
            actor, organisation, specs, result, cells=dict(table.rows), job=job, progress=progress
        )


After = Callable[["_Writer", dict[str, Event]], None]
# progress(stage, done, total), the stage an ImportJob.Status: what a command line's bar or a
# job's page shows.
Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 500


def write_specs(
    actor: User,
    organisation: Organisation,
    specs: Sequence[EventSpec],
    result: ImportResult,
    *,
    cells: dict[int, dict[str, str]] | None = None,
    after: After | None = None,
    job: ImportJob | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Write parsed events, all or nothing, in short transactions (services/bulk.py explains
    how): every event is checked first, without writing; new events are then written in
    batches, hidden; changes to recorded events and persons go through their services in the
    last transaction, which publishes everything. A dry run checks the new events in memory and
    the changes in a transaction rolled back. `after(writer, created)` may add more to the
    events just created (by external id), reporting its problems in `writer.errors`."""
    writer = _Writer(actor, organisation, cells or {})
    existing = _existing_events(organisation, specs)
    if not result.dry_run:
        writer.new_events.expect(sum(1 for spec in specs if spec.external_id not in existing))
    try:
        _check_and_write(writer, specs, existing, result, after, job, progress)
    finally:
        writer.new_events.close()
    if not result.errors:
        result.outcomes = [
            EventOutcome(
                spec.row,
                spec.external_id,
                action,
                event.reference_code if event is not None else "",
                spec.title or (event.title if event is not None else ""),
            )
            for spec, action, event in _with_created(writer, writer.actions)
        ]
    return result


def _check_and_write(
    writer: _Writer,
    specs: Sequence[EventSpec],
    existing: dict[str, Event],
    result: ImportResult,
    after: After | None,
    job: ImportJob | None,
    progress: Progress | None,
) -> None:
    writer.prefetch_persons(specs)
    if _may_halve(writer, specs, existing, after, result) and _in_halves(
        writer, specs, result, job, progress
    ):
        return
    current = writer.current_specs([e for s in specs if (e := existing.get(s.external_id))])
    _check(writer, specs, existing, current, progress)
    if not writer.errors:
        if result.dry_run:
            with transaction.atomic(), hooks.batched():
                _change_recorded(writer, writer.actions, after, {})
                transaction.set_rollback(True)
        else:
            _write(writer, writer.actions, after, result, job, progress)
    result.errors = writer.errors


def _check(
    writer: _Writer,
    specs: Sequence[EventSpec],
    existing: dict[str, Event],
    current: dict[int, EventSpec],
    progress: Progress | None,
    *,
    share: int = 1,
) -> None:
    """Check every event (what becomes of each goes to `writer.actions`, its problems to
    `writer.errors`). `share`: how many processes check as many events at the same pace, for
    the progress reported."""
    actions = writer.actions
    total = len(specs) * share
    for index, spec in enumerate(specs, start=1):
        event = existing.get(spec.external_id)
        try:
            if event is None:
                writer.new_event(spec)
                actions.append((spec, "create", None))
            elif (known := current.get(event.pk)) is not None and _matches(spec, known):
                writer.remember_persons(spec, event)
                actions.append((spec, "unchanged", event))
            else:
                actions.append((spec, "update", event))
        except (ValidationError, PermissionDenied, DomainError) as error:
            writer.report(spec, error)
        if progress is not None and (index % PROGRESS_EVERY == 0 or index == len(specs)):
            progress(ImportJob.Status.CHECKING, min(index * share, total), total)


# --- in two processes -------------------------------------------------------------------------
# A large file of new events about new persons is checked and sealed half by this process and
# half by a copy of it on the other core (`amparo.core.forked`): both halves are checked at once,
# their problems reported together, in the file's order; if there are none, this process numbers
# its half's rows first, then the copy its own (so the events keep the file's order), and the
# writing process gets one batch of each in turn. Everything else is as in one process: the same
# checks, the same rows, all or nothing.


def _may_halve(
    writer: _Writer,
    specs: Sequence[EventSpec],
    existing: dict[str, Event],
    after: After | None,
    result: ImportResult,
) -> bool:
    """Whether the file can be done in halves: large, only new events (an event recorded
    already, or a recorded person, may be named in both halves: their changes are made in one
    place), no reference code twice (each half claims its own), and this process may fork."""
    codes = [spec.reference_code for spec in specs if spec.reference_code]
    return (
        len(specs) >= bulk.HALVES_FROM_EVENTS
        and after is None
        and not existing
        and not writer.by_external_id
        and not writer.by_pk
        and len(set(codes)) == len(codes)
        and (result.dry_run or writer.new_events.writes_elsewhere())
        and forked.possible()
    )


def _in_halves(
    writer: _Writer,
    specs: Sequence[EventSpec],
    result: ImportResult,
    job: ImportJob | None,
    progress: Progress | None,
) -> bool:
    """Check and write the file in two processes; False (nothing done) if a person both halves
    name fails their checks: one process then checks the file, and reports them as it does."""
    first, second = specs[: len(specs) // 2], specs[len(specs) // 2 :]
    if not _share_persons(writer, first, second):
        return False
    # What is alive now (the file's records) stays alive in both processes until the import
    # ends: out of the collector's sight, its pages are not copied for the copy by collections.
    bulk.built()
    half = _OtherHalf(writer, second)
    try:
        _check(writer, first, {}, {}, progress, share=2)
        writer.errors.extend(half.errors())
        half.scopes |= writer.new_events.key_scopes()
        if writer.errors or result.dry_run:
            half.stop()
        if not writer.errors:
            writer.actions.extend((spec, "create", None) for spec in second)
            if not result.dry_run:
                _write(writer, writer.actions, None, result, job, progress, half)
    finally:
        half.close()
    result.errors = writer.errors
    return True


def _share_persons(
    writer: _Writer, first: Sequence[EventSpec], second: Sequence[EventSpec]
) -> bool:
    """Build now the new persons whom both halves name (`NewEvents.share_person`), in the order
    the first half names them; False, and none built, if one fails their checks."""
    later = {person.key for spec in second for person in _persons_of(spec)}
    shared: dict[tuple[str, ...], PersonSpec] = {}
    for spec in first:
        for person in _persons_of(spec):
            if person.key in later:
                shared.setdefault(person.key, person)
    try:
        # Their problems are never reported from here (one process checks the file then), so
        # the key errors would carry does not matter.
        for person in shared.values():
            writer.new_events.share_person(writer.person_input(person, [], {}), "person")
    except (ValidationError, PermissionDenied, DomainError):
        writer.new_inputs.clear()
        writer.new_events.forget_shared()
        return False
    return True


def _persons_of(spec: EventSpec) -> Iterator[PersonSpec]:
    """The persons the event's rows name: each act's victim, then its perpetrators."""
    for act in spec.acts:
        yield act.victim
        for involvement in act.involvements:
            if involvement.perpetrator is not None:
                yield involvement.perpetrator


class _OtherHalf:
    """The copy of this process that checks and seals the second half of the file (`_helper`),
    as `bulk.Elsewhere`."""

    def __init__(self, writer: _Writer, specs: Sequence[EventSpec]) -> None:
        self.specs = specs
        self.events = len(specs)
        # The writing keys both halves seal with (`start`).
        self.scopes: set[Scope] = set()
        self._helper = forked.Helper(partial(_helper, writer, specs))

    def errors(self) -> list[RowError]:
        errors: list[RowError]
        errors, scopes = self._helper.receive()
        self.scopes |= scopes
        return errors

    def stop(self) -> None:
        self._helper.send(None)

    def start(self, job: ImportJob, shared: Sequence[tuple[Any, ...]]) -> None:
        """Tell the copy to seal its batches: the job, the shared persons as written here, and
        the keys (made here if need be: made in both processes at once, an organisation's key
        would be made twice)."""
        self._helper.send((job.pk, shared, custody.writing_keys(self.scopes)))

    def next_batch(self) -> tuple[bytes, int] | None:
        batch: tuple[bytes, int] | None = self._helper.receive()
        return batch

    def created(self) -> list[bulk.Created]:
        written: list[tuple[Event, int]] = self._helper.receive()
        return [
            bulk.Created(spec, event, acts)
            for spec, (event, acts) in zip(self.specs, written, strict=True)
        ]

    def close(self) -> None:
        self._helper.close()


def _helper(writer: _Writer, specs: Sequence[EventSpec], helper: forked.Helper) -> None:
    """The copy's part (`_OtherHalf`): check its half and send the problems; then, if told the
    job and the shared persons as written, send its batches one by one, and what it wrote."""
    _check(writer, specs, {}, {}, None)
    new = writer.new_events
    helper.send((writer.errors, set() if writer.errors else new.key_scopes()))
    order = helper.receive()
    if order is None:
        return
    job_pk, shared, keys = order
    custody.take_writing_keys(keys)
    job = ImportJob.objects.get(pk=job_pk)
    new.take_shared(shared)
    for batch in new.batches(job):
        helper.send(batch)
    helper.send(None)
    helper.send([(item.event, len(item.acts)) for item in new.events])


def _with_created(
    writer: _Writer, actions: list[tuple[EventSpec, str, Event | None]]
) -> Iterator[tuple[EventSpec, str, Event | None]]:
    """The actions, each creation with its event once written (a dry run has none)."""
    written = {id(item.handle): item.event for item in writer.new_events.created()}
    for spec, action, event in actions:
        created = written.get(id(spec)) if action == "create" else None
        yield spec, action, created if created is not None and created.pk else event


def _change_recorded(
    writer: _Writer,
    actions: list[tuple[EventSpec, str, Event | None]],
    after: After | None,
    created: dict[str, Event],
) -> None:
    """The changes to recorded events and persons, through their services, each event in a
    savepoint so that the problems of all are reported; then `after`."""
    for spec, action, event in actions:
        if action != "update" or event is None:
            continue
        try:
            with transaction.atomic():
                data = writer._event_input(spec, event)
                data.acts = writer._acts(spec, event)
                services.update_event(writer.actor, event, data)
        except (ValidationError, PermissionDenied, DomainError) as error:
            writer.report(spec, error)
    for person, details in writer.new_events.person_changes.values():
        try:
            with transaction.atomic():
                services.update_person(writer.actor, person, details)
        except (ValidationError, PermissionDenied, DomainError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            writer.errors.append(RowError(0, "", person.external_id, "; ".join(messages)))
    if after is not None and not writer.errors:
        after(writer, created)


def _write(
    writer: _Writer,
    actions: list[tuple[EventSpec, str, Event | None]],
    after: After | None,
    result: ImportResult,
    job: ImportJob | None,
    progress: Progress | None,
    other_half: _OtherHalf | None = None,
) -> None:
    actor, organisation = writer.actor, writer.organisation
    new = writer.new_events
    elsewhere = 0 if other_half is None else other_half.events
    job = bulk.start(actor, organisation, job, rows=result.rows, events=len(new.events) + elsewhere)
    try:
        new.write(
            job,
            None if progress is None else partial(progress, ImportJob.Status.WRITING),
            other_half,
        )
        # The new persons are recorded now: changes to recorded events link them, not again.
        for item in new.events:
            for person in item.new_persons:
                data = writer.new_inputs.get(("id", person.external_id))
                if data is not None:
                    data.person = person
        # What derives from the events (statistics) follows once, for all of them, as they
        # are published; what can be read of it is read now, so that the transaction that
        # publishes holds the database only to write. Not for events that change in it: those
        # whose persons the import changes, and all when `after` adds to them.
        changed_persons = set(new.person_changes)
        changing = {
            item.event.pk
            for item in new.events
            if any(person.pk in changed_persons for person in item.persons)
        }
        prepared = hooks.prepare(
            ()
            if after is not None
            else (item.event.pk for item in new.created() if item.event.pk not in changing)
        )
        with transaction.atomic(), hooks.batched():
            created = {item.event.external_id: item.event for item in new.created()}
            _change_recorded(writer, actions, after, created)
            if writer.errors:
                transaction.set_rollback(True)
            else:
                hooks.events_changed((event.pk for event in created.values()), prepared)
                counts = {
                    action: sum(1 for _s, a, _e in actions if a == action)
                    for action in ("create", "update", "unchanged")
                }
                bulk.publish(job, counts["create"], counts["update"], counts["unchanged"])
    except IntegrityError:
        # Only another writer of the same identifiers at the same time gets here: every
        # identifier was checked against the database before anything was written.
        writer.errors.append(
            RowError(
                0,
                "",
                "",
                _("Someone else recorded some of these events meanwhile. Import the file again."),
            )
        )
    except BaseException:
        bulk.fail(job)
        raise
    if writer.errors:
        bulk.fail(job)
    else:
        new.record_creations()


def import_file(
    actor: User,
    organisation: Organisation,
    data: bytes,
    filename: str,
    *,
    dry_run: bool = False,
    job: ImportJob | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Read a .csv or .xlsx file and import it (TableError if it is not a readable table)."""
    table = tabular.read_table(data, filename)
    return import_table(actor, organisation, table, dry_run=dry_run, job=job, progress=progress)

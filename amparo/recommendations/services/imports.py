"""Importing recommendations from a UHRI export, a UPR Info style CSV or Amparo's template.

The layouts (docs/recommendations-import.md):

* **UHRI** (the Universal Human Rights Index export): `Annotation Id, Text, Countries Concerned,
  Recommending Body, UPR Position, Session, Type, Document Symbol, Themes, Affected Persons,
  SDGs`, in any order and case; `Themes`, `Affected Persons` and `SDGs` are lists separated by
  ", " (a name that itself holds ", " is recognised whole). `Recommending Body` is
  "UPR - <State>" or the name or abbreviation of a mechanism; `Type` is not read.
* **UPR Info style**: `Recommendation, State under Review, Recommending State, Response,
  Issues, Session` and optionally `Cycle, Document, Paragraph, Annotation Id`; always the UPR.
* **Amparo's template** (`template_workbook`, CSV or XLSX): TEMPLATE_COLUMNS, lists separated
  by "|".

An import is all or nothing: every row is read and checked first, and any problem is reported
with its row, column and reason while nothing is written. It is idempotent: a row updates the
recommendation with the same annotation id or, without one, with the same State, document
symbol and paragraph (UPR Info rows without either get an id made from their content), and a
row that says what is recorded changes nothing. Themes, affected persons and SDGs that come with
a row are added (never removed); themes are confirmed labels. Themes and affected groups not in
the reference lists are added as imported terms and named in the summary.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar, cast

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases.exchange.imports import RowError
from amparo.cases.exchange.tabular import Table, TableError, read_table
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.recommendations import access
from amparo.recommendations.models import (
    LANGUAGES,
    AffectedGroup,
    ImplementationStatus,
    Mechanism,
    Recommendation,
    RecommendationText,
    SdgTarget,
    Theme,
    ThemeLabel,
)
from amparo.recommendations.services.recommendations import session_numbers
from amparo.recommendations.services.reference import SDG_CODE, ensure_reference, resolve_country

UHRI = "uhri"
UPR_INFO = "upr_info"
TEMPLATE = "template"
FORMAT_LABELS = {UHRI: "UHRI", UPR_INFO: "UPR Info", TEMPLATE: "Amparo"}

TEMPLATE_COLUMNS = (
    "annotation_id",
    "mechanism",
    "session",
    "document_symbol",
    "paragraph",
    "state",
    "recommending_state",
    "date",
    "language",
    "text",
    "text_en",
    "text_fr",
    "text_es",
    "text_ar",
    "position",
    "state_response",
    "themes",
    "affected_persons",
    "sdgs",
)
LIST_SEPARATOR = "|"
BATCH = 500
T = TypeVar("T")
Progress = Callable[[int, int], None]

POSITIONS = {
    "supported": Recommendation.Position.SUPPORTED,
    "accepted": Recommendation.Position.SUPPORTED,
    "noted": Recommendation.Position.NOTED,
    "rejected": Recommendation.Position.NOTED,
    "partially supported": Recommendation.Position.PARTIALLY_SUPPORTED,
    "partially accepted": Recommendation.Position.PARTIALLY_SUPPORTED,
    "supported/noted": Recommendation.Position.PARTIALLY_SUPPORTED,
    "partially_supported": Recommendation.Position.PARTIALLY_SUPPORTED,
    "pending": "",
    "no response": "",
    "": "",
}
# "UPR - Austria", with a hyphen, an en dash or a colon
UPR_BODY = re.compile(r"^\s*UPR\s*[-\u2013:]\s*(?P<state>.+)$", re.IGNORECASE)
LIMITS = {
    name: getattr(Recommendation._meta.get_field(name), "max_length", 0) or 0
    for name in ("annotation_id", "session", "document_symbol", "paragraph")
}
LABEL_LIMIT = Theme._meta.get_field("label_en").max_length or 300


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """A name as compared: case, accents and spacing do not matter."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def column_name(header: str) -> str:
    return " ".join(header.replace("_", " ").split()).lower()


# --- What a row says ----------------------------------------------------------------------------


@dataclass
class ParsedRow:
    row: int
    key: tuple[str, ...]
    values: dict[str, Any]  # Recommendation field → value
    themes: list[str] = field(default_factory=list)  # names as written
    groups: list[str] = field(default_factory=list)
    sdgs: list[str] = field(default_factory=list)  # codes
    translations: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    format: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    imported_themes: list[str] = field(default_factory=list)
    imported_groups: list[str] = field(default_factory=list)
    sdg_targets_as_goals: list[str] = field(default_factory=list)
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "imported_themes": self.imported_themes,
            "imported_groups": self.imported_groups,
            "sdg_targets_as_goals": self.sdg_targets_as_goals,
            "errors": [str(e) for e in self.errors],
            "dry_run": self.dry_run,
        }


class Vocabulary:
    """Names → terms of one reference list, read once; unknown names become imported terms."""

    def __init__(self, model: type[Theme] | type[AffectedGroup]) -> None:
        self.model = model
        self.by_name: dict[str, Any] = {}
        for term in model.objects.all():
            for name in (term.code, term.label_en, term.label_fr, term.label_es, term.label_ar):
                if name:
                    self.by_name.setdefault(fold(name), term)
        self.new: dict[str, str] = {}  # folded → name as first written

    def known(self, name: str) -> bool:
        return fold(name) in self.by_name or fold(name) in self.new

    def note(self, name: str) -> None:
        if not self.known(name):
            self.new[fold(name)] = name

    def create_new(self) -> list[str]:
        """Create the imported terms; their names."""
        taken = set(self.model.objects.values_list("code", flat=True))
        position = (self.model.objects.aggregate(last=models.Max("position"))["last"] or 0) + 1
        for folded, name in self.new.items():
            code = _imported_code(name, taken)
            taken.add(code)
            self.by_name[folded] = self.model.objects.create(
                code=code,
                label_en=name,
                origin=self.model.Origin.IMPORTED,
                position=position,
            )
            position += 1
        return sorted(self.new.values(), key=fold)

    def __getitem__(self, name: str) -> Any:
        return self.by_name[fold(name)]


def _imported_code(name: str, taken: set[str]) -> str:
    base = "imported_" + (re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")[:40] or "term")
    code, number = base, 2
    while code in taken:
        code, number = f"{base}_{number}", number + 1
    return code


def split_list(value: str, known: Callable[[str], bool]) -> list[str]:
    """Items of a list cell: separated by "|", or by ", " where a known name holding ", " is
    kept whole ("Lesbian, gay, bisexual, transgender and intersex persons")."""
    value = value.strip()
    if not value:
        return []
    if LIST_SEPARATOR in value:
        return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
    pieces = [piece.strip() for piece in value.split(", ")]
    items, start = [], 0
    while start < len(pieces):
        end = len(pieces)
        while end > start + 1 and not known(", ".join(pieces[start:end])):
            end -= 1
        item = ", ".join(pieces[start:end])
        if item:
            items.append(item)
        start = end
    return items


SDG_ITEM = re.compile(r"^(?:(?:sdg|goal|target)\s*)?(?P<code>\d{1,2}(?:\.[0-9a-z]{1,2})?)\b", re.I)


# --- Reading the rows -------------------------------------------------------------------------


class Reader:
    """Turns the rows of one file into ParsedRows, collecting RowErrors."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = {column_name(c): c for c in table.columns}
        self.format = detect_format(set(self.columns))
        self.errors: list[RowError] = []
        self.mechanisms = self._mechanism_names()
        self.upr = Mechanism.objects.filter(kind=Mechanism.Kind.UPR, active=True).first()
        self.themes = Vocabulary(Theme)
        self.groups = Vocabulary(AffectedGroup)
        self.sdgs = {sdg.code.lower(): sdg for sdg in SdgTarget.objects.filter(active=True)}
        self.sdg_as_goal: set[str] = set()
        self.keys: dict[tuple[str, ...], int] = {}

    @staticmethod
    def _mechanism_names() -> dict[str, Mechanism]:
        names: dict[str, Mechanism] = {}
        for mechanism in Mechanism.objects.filter(active=True):
            for name in (
                mechanism.code,
                mechanism.abbreviation,
                mechanism.label_en,
                mechanism.label_fr,
                mechanism.label_es,
                mechanism.label_ar,
                *mechanism.aliases.split("|"),
            ):
                if name.strip():
                    names.setdefault(fold(name), mechanism)
        return names

    def cell(self, values: dict[str, str], name: str) -> str:
        column = self.columns.get(name)
        return values.get(column, "").strip() if column is not None else ""

    def error(self, row: int, column: str, value: str, message: str) -> None:
        self.errors.append(RowError(row, column, value[:80], message))

    def read(self, progress: Progress | None = None) -> list[ParsedRow]:
        parsed: list[ParsedRow] = []
        total = len(self.table.rows)
        for done, (number, values) in enumerate(self.table.rows, start=1):
            row = self.parse(number, values)
            if row is not None:
                parsed.append(row)
            if progress is not None and (done % BATCH == 0 or done == total):
                progress(done, total)
        return parsed

    def parse(self, number: int, values: dict[str, str]) -> ParsedRow | None:
        errors_before = len(self.errors)
        if self.format == UHRI:
            fields = self._uhri(number, values)
        elif self.format == UPR_INFO:
            fields = self._upr_info(number, values)
        else:
            fields = self._template(number, values)
        if fields is None:
            return None
        fields.setdefault("language", "en")
        for name, limit in LIMITS.items():
            if len(fields.get(name, "")) > limit:
                self.error(
                    number,
                    name,
                    fields[name],
                    _("longer than %(limit)d characters") % {"limit": limit},
                )
        if not fields.get("text"):
            self.error(number, self._column_of("text"), "", _("the text is empty"))
        key = self._key(number, fields)
        row = ParsedRow(row=number, key=key or ("",), values=fields)
        self._lists(number, values, row)
        if len(self.errors) > errors_before or key is None:
            return None
        return row

    def _column_of(self, name: str) -> str:
        return {
            UHRI: {"text": "Text", "state": "Countries Concerned"},
            UPR_INFO: {"text": "Recommendation", "state": "State under Review"},
        }.get(self.format, {}).get(name, name)

    def _state(self, number: int, column: str, value: str, *, required: bool) -> str | None:
        code = resolve_country(value)
        if code is None:
            if ", " in value:
                self.error(number, column, value, _("one State per row"))
            else:
                self.error(number, column, value, _("not a country this import knows"))
            return None
        if required and not code:
            self.error(number, column, value, _("the State under review is missing"))
            return None
        return code

    def _position(self, number: int, column: str, value: str) -> str | None:
        position = POSITIONS.get(fold(value))
        if position is None:
            self.error(
                number,
                column,
                value,
                _("the position must be supported, partially supported or noted"),
            )
        return position

    def _mechanism(self, number: int, column: str, value: str) -> Mechanism | None:
        mechanism = self.mechanisms.get(fold(value))
        if mechanism is None:
            self.error(number, column, value, _("not a mechanism of the reference list"))
        return mechanism

    def _uhri(self, number: int, values: dict[str, str]) -> dict[str, Any] | None:
        body = self.cell(values, "recommending body")
        fields: dict[str, Any] = {
            "annotation_id": self.cell(values, "annotation id"),
            "text": self.cell(values, "text"),
            "session": self.cell(values, "session"),
            "document_symbol": self.cell(values, "document symbol"),
            "paragraph": self.cell(values, "paragraph"),
        }
        state = self._state(
            number, "Countries Concerned", self.cell(values, "countries concerned"), required=True
        )
        upr = UPR_BODY.match(body)
        mechanism: Mechanism | None
        recommending = ""
        if upr is not None:
            mechanism = self.upr
            found = self._state(number, "Recommending Body", upr["state"], required=False)
            recommending = found or ""
        else:
            mechanism = self._mechanism(number, "Recommending Body", body)
        position = self._position(number, "UPR Position", self.cell(values, "upr position"))
        if state is None or mechanism is None or position is None:
            return None
        fields.update(
            state=state, mechanism=mechanism, recommending_state=recommending, position=position
        )
        return fields

    def _upr_info(self, number: int, values: dict[str, str]) -> dict[str, Any] | None:
        session = self.cell(values, "session")
        if session.isdigit():
            session = f"UPR session {session}"
        fields: dict[str, Any] = {
            "annotation_id": self.cell(values, "annotation id") or self.cell(values, "id"),
            "text": self.cell(values, "recommendation"),
            "session": session,
            "document_symbol": self.cell(values, "document"),
            "paragraph": self.cell(values, "paragraph"),
        }
        state = self._state(
            number, "State under Review", self.cell(values, "state under review"), required=True
        )
        recommending = self._state(
            number, "Recommending State", self.cell(values, "recommending state"), required=False
        )
        response = self.cell(values, "response") or self.cell(values, "position")
        position = self._position(number, "Response", response)
        if state is None or recommending is None or position is None or self.upr is None:
            if self.upr is None:
                self.error(number, "", "", _("the UPR is missing from the mechanisms"))
            return None
        if not fields["annotation_id"] and not (fields["document_symbol"] and fields["paragraph"]):
            content = "\x1f".join((state, session, recommending, fields["text"]))
            digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]
            fields["annotation_id"] = f"uprinfo-{digest}"
        fields.update(
            state=state, mechanism=self.upr, recommending_state=recommending, position=position
        )
        return fields

    def _template(self, number: int, values: dict[str, str]) -> dict[str, Any] | None:
        fields: dict[str, Any] = {
            name: self.cell(values, column_name(name))
            for name in ("annotation_id", "session", "document_symbol", "paragraph", "text")
        }
        fields["state_response"] = self.cell(values, "state response")
        state = self._state(number, "state", self.cell(values, "state"), required=True)
        recommending = self._state(
            number, "recommending_state", self.cell(values, "recommending state"), required=False
        )
        mechanism = self._mechanism(number, "mechanism", self.cell(values, "mechanism"))
        position = self._position(number, "position", self.cell(values, "position"))
        language = (self.cell(values, "language") or "en").lower()[:2]
        if language not in LANGUAGES:
            self.error(number, "language", language, _("use en, fr, es or ar"))
        date_text = self.cell(values, "date")
        date: datetime.date | None = None
        if date_text:
            try:
                date = datetime.date.fromisoformat(date_text[:10])
            except ValueError:
                self.error(number, "date", date_text, _("write the date as YYYY-MM-DD"))
        if state is None or recommending is None or mechanism is None or position is None:
            return None
        fields.update(
            state=state,
            recommending_state=recommending,
            mechanism=mechanism,
            position=position,
            language=language,
            date=date,
        )
        return fields

    def _key(self, number: int, fields: dict[str, Any]) -> tuple[str, ...] | None:
        if fields.get("annotation_id"):
            key: tuple[str, ...] = ("id", fields["annotation_id"])
        elif fields.get("document_symbol") and fields.get("paragraph"):
            key = ("symbol", fields["state"], fields["document_symbol"], fields["paragraph"])
        else:
            self.error(
                number,
                "",
                "",
                _("give an annotation id, or a document symbol and a paragraph"),
            )
            return None
        first = self.keys.get(key)
        if first is not None:
            self.error(
                number,
                "",
                key[-1],
                _("the same recommendation as row %(row)d") % {"row": first},
            )
            return None
        self.keys[key] = number
        return key

    def _lists(self, number: int, values: dict[str, str], row: ParsedRow) -> None:
        theme_column = "issues" if self.format == UPR_INFO else "themes"
        group_column = "affected persons"
        row.themes = split_list(self.cell(values, theme_column), self.themes.known)
        row.groups = split_list(self.cell(values, group_column), self.groups.known)
        for kind, names in ((self.themes, row.themes), (self.groups, row.groups)):
            for name in names:
                if len(name) > LABEL_LIMIT:
                    self.error(number, theme_column, name, _("this name is too long"))
                else:
                    kind.note(name)
        for item in split_list(self.cell(values, "sdgs"), lambda _name: False):
            match = SDG_ITEM.match(item)
            if match is None:
                if row.sdgs:  # the rest of a label that holds ", " ("16 - Peace, justice…")
                    continue
                self.error(number, "SDGs", item, _("not an SDG goal or target number"))
                continue
            code = match["code"].lower()
            parts = SDG_CODE.fullmatch(code)
            if parts is None or not 1 <= int(parts["goal"]) <= 17:
                self.error(number, "SDGs", item, _("not an SDG goal or target number"))
                continue
            if code not in self.sdgs:
                self.sdg_as_goal.add(code)
                code = parts["goal"]
            row.sdgs.append(code)
        if self.format == TEMPLATE:
            for language in LANGUAGES:
                text = self.cell(values, f"text {language}")
                if text and language != row.values.get("language"):
                    row.translations[language] = text


def detect_format(columns: set[str]) -> str:
    if {"countries concerned", "recommending body"} <= columns:
        if "text" not in columns:
            raise TableError(_("A UHRI file needs the column Text."))
        return UHRI
    if {"recommendation", "state under review"} <= columns:
        return UPR_INFO
    if {"mechanism", "state", "text"} <= columns:
        return TEMPLATE
    raise TableError(
        _(
            "The columns are not those of a UHRI export (Annotation Id, Text, Countries "
            "Concerned, Recommending Body, …), a UPR Info export (Recommendation, State under "
            "Review, …) or Amparo's template (mechanism, state, text, …)."
        )
    )


# --- Writing --------------------------------------------------------------------------------------

COMPARED = (
    "annotation_id",
    "mechanism_id",
    "session",
    "session_number",
    "cycle",
    "document_symbol",
    "paragraph",
    "state",
    "recommending_state",
    "date",
    "language",
    "text",
    "position",
    "state_response",
)


def _chunks(items: Sequence[T], size: int = BATCH) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(
    model: type[models.Model], names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Plain INSERTs through one statement: a fraction of the time bulk_create takes to build
    and compile thousands of instances. `rows` hold what the database stores (ids, adapted
    dates), in the order of the field `names`."""
    if not rows:
        return
    quote = connection.ops.quote_name
    fields = [cast("models.Field[Any, Any]", model._meta.get_field(name)) for name in names]
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join(["%s"] * len(names))
    # Names come from the model's own fields, quoted; values are parameters.
    statement = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({values})"  # noqa: S608
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, 2000):
            cursor.executemany(statement, chunk)


def _key_of(annotation_id: str, state: str, symbol: str, paragraph: str) -> tuple[str, ...]:
    if annotation_id:
        return ("id", annotation_id)
    return ("symbol", state, symbol, paragraph)


def _existing(rows: list[ParsedRow]) -> dict[tuple[str, ...], Recommendation]:
    found: dict[tuple[str, ...], Recommendation] = {}
    ids = [row.key[1] for row in rows if row.key[0] == "id"]
    for chunk in _chunks(ids):
        for recommendation in Recommendation.objects.filter(annotation_id__in=chunk):
            found[("id", recommendation.annotation_id)] = recommendation
    symbols = [row.key for row in rows if row.key[0] == "symbol"]
    for keys in _chunks(symbols):
        states = {key[1] for key in keys}
        documents = {key[2] for key in keys}
        for recommendation in Recommendation.objects.filter(
            state__in=states, document_symbol__in=documents, annotation_id=""
        ):
            key = _key_of(
                "", recommendation.state, recommendation.document_symbol, recommendation.paragraph
            )
            found.setdefault(key, recommendation)
    return found


def _wanted(values: dict[str, Any]) -> dict[str, Any]:
    """The row's values as the recommendation's fields."""
    number, cycle = session_numbers(values.get("session", ""))
    wanted = {
        **{
            name: values.get(name, "")
            for name in (
                "annotation_id",
                "session",
                "document_symbol",
                "paragraph",
                "state",
                "recommending_state",
                "language",
                "text",
                "position",
            )
        },
        "mechanism_id": values["mechanism"].pk,
        "session_number": number,
        "cycle": cycle,
        "date": values.get("date"),
    }
    if "state_response" in values:
        wanted["state_response"] = values["state_response"]
    return wanted


def _fill(recommendation: Recommendation, values: dict[str, Any]) -> bool:
    """Set the row's values; whether anything changed."""
    changed = False
    for name, value in _wanted(values).items():
        if getattr(recommendation, name) != value:
            setattr(recommendation, name, value)
            changed = True
    return changed


NEW_COLUMNS = (
    "annotation_id",
    "mechanism",
    "session",
    "session_number",
    "cycle",
    "document_symbol",
    "paragraph",
    "state",
    "recommending_state",
    "date",
    "language",
    "text",
    "position",
    "state_response",
    "status",
    "contested",
    "organisation",
    "created_by",
    "created_at",
    "updated_at",
)


class Writer:
    def __init__(self, reader: Reader, actor: User | None, organisation: Any) -> None:
        self.reader = reader
        self.actor = actor
        self.organisation = organisation
        self.now = timezone.now()
        self.stamp = connection.ops.adapt_datetimefield_value(self.now)

    def write(self, rows: list[ParsedRow], result: ImportResult, progress: Progress | None) -> None:
        result.imported_themes = self.reader.themes.create_new()
        result.imported_groups = self.reader.groups.create_new()
        existing = _existing(rows)
        fresh = [row for row in rows if row.key not in existing]
        changed = []
        for row in rows:
            recommendation = existing.get(row.key)
            if recommendation is not None and _fill(recommendation, row.values):
                recommendation.updated_at = self.now
                changed.append(recommendation)
        ids = self._insert(fresh)
        Recommendation.objects.bulk_update(
            changed,
            [*(n for n in COMPARED if n != "annotation_id"), "updated_at"],
            batch_size=BATCH,
        )
        ids.update({key: recommendation.pk for key, recommendation in existing.items()})
        new_ids = {ids[row.key] for row in fresh}
        touched = self._relations(rows, ids, new_ids, progress)
        result.created = len(fresh)
        result.updated = len({r.pk for r in changed} | touched)
        result.unchanged = len(rows) - result.created - result.updated

    def _insert(self, rows: list[ParsedRow]) -> dict[tuple[str, ...], int]:
        """Insert the new recommendations; key → id."""
        last = Recommendation.objects.aggregate(last=models.Max("pk"))["last"] or 0
        adapt_date = connection.ops.adapt_datefield_value
        organisation_id = getattr(self.organisation, "pk", None)
        actor_id = getattr(self.actor, "pk", None)
        values = []
        for row in rows:
            wanted = _wanted(row.values)
            values.append(
                (
                    wanted["annotation_id"],
                    wanted["mechanism_id"],
                    wanted["session"],
                    wanted["session_number"],
                    wanted["cycle"],
                    wanted["document_symbol"],
                    wanted["paragraph"],
                    wanted["state"],
                    wanted["recommending_state"],
                    adapt_date(wanted["date"]),
                    wanted["language"],
                    wanted["text"],
                    wanted["position"],
                    wanted.get("state_response", ""),
                    ImplementationStatus.NOT_STARTED.value,
                    False,
                    organisation_id,
                    actor_id,
                    self.stamp,
                    self.stamp,
                )
            )
        insert_rows(Recommendation, NEW_COLUMNS, values)
        return {
            _key_of(*found[1:]): found[0]
            for found in Recommendation.objects.filter(pk__gt=last).values_list(
                "pk", "annotation_id", "state", "document_symbol", "paragraph"
            )
        }

    def _relations(
        self,
        rows: list[ParsedRow],
        ids: dict[tuple[str, ...], int],
        new_ids: set[int],
        progress: Progress | None,
    ) -> set[int]:
        """Add the rows' themes, groups, SDGs and translations; the ids of existing
        recommendations that gained any."""
        touched: set[int] = set()
        actor_id = getattr(self.actor, "pk", None)
        groups_through = Recommendation.affected_groups.through
        sdgs_through = Recommendation.sdgs.through
        total, done = len(rows), 0
        for chunk in _chunks(rows):
            old = [ids[row.key] for row in chunk if ids[row.key] not in new_ids]
            labels = {
                (recommendation, theme): (pk, status)
                for pk, recommendation, theme, status in ThemeLabel.objects.filter(
                    recommendation_id__in=old
                ).values_list("pk", "recommendation_id", "theme_id", "status")
            }
            groups = set(
                groups_through.objects.filter(recommendation_id__in=old).values_list(
                    "recommendation_id", "affectedgroup_id"
                )
            )
            goals = set(
                sdgs_through.objects.filter(recommendation_id__in=old).values_list(
                    "recommendation_id", "sdgtarget_id"
                )
            )
            texts = {
                (recommendation, language): (pk, text)
                for pk, recommendation, language, text in RecommendationText.objects.filter(
                    recommendation_id__in=old
                ).values_list("pk", "recommendation_id", "language", "text")
            }
            new_labels: list[tuple[Any, ...]] = []
            promoted: list[int] = []
            new_groups: list[tuple[int, int]] = []
            new_goals: list[tuple[int, int]] = []
            new_texts: list[tuple[int, str, str]] = []
            for row in chunk:
                pk = ids[row.key]
                before = len(new_labels) + len(promoted) + len(new_groups) + len(new_goals)
                before += len(new_texts)
                for name in dict.fromkeys(row.themes):
                    theme = self.reader.themes[name].pk
                    label = labels.get((pk, theme))
                    if label is None:
                        labels[(pk, theme)] = (0, ThemeLabel.Status.CONFIRMED)
                        new_labels.append(
                            (
                                pk,
                                theme,
                                ThemeLabel.Status.CONFIRMED.value,
                                ThemeLabel.Source.IMPORT.value,
                                actor_id,
                                self.stamp,
                                self.stamp,
                            )
                        )
                    elif label[1] != ThemeLabel.Status.CONFIRMED:
                        promoted.append(label[0])
                for name in dict.fromkeys(row.groups):
                    group = self.reader.groups[name].pk
                    if (pk, group) not in groups:
                        groups.add((pk, group))
                        new_groups.append((pk, group))
                for code in dict.fromkeys(row.sdgs):
                    sdg = self.reader.sdgs[code].pk
                    if (pk, sdg) not in goals:
                        goals.add((pk, sdg))
                        new_goals.append((pk, sdg))
                text_changed = False
                for language, text in row.translations.items():
                    current = texts.get((pk, language))
                    if current is None:
                        new_texts.append((pk, language, text))
                    elif current[1] != text:
                        RecommendationText.objects.filter(pk=current[0]).update(text=text)
                        text_changed = True
                after = len(new_labels) + len(promoted) + len(new_groups) + len(new_goals)
                after += len(new_texts)
                if (after != before or text_changed) and pk not in new_ids:
                    touched.add(pk)
            insert_rows(
                ThemeLabel,
                (
                    "recommendation",
                    "theme",
                    "status",
                    "source",
                    "confirmed_by",
                    "confirmed_at",
                    "created_at",
                ),
                new_labels,
            )
            ThemeLabel.objects.filter(pk__in=promoted).update(
                status=ThemeLabel.Status.CONFIRMED, confirmed_by=self.actor, confirmed_at=self.now
            )
            insert_rows(groups_through, ("recommendation", "affectedgroup"), new_groups)
            insert_rows(sdgs_through, ("recommendation", "sdgtarget"), new_goals)
            insert_rows(RecommendationText, ("recommendation", "language", "text"), new_texts)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        return touched


class _RollBack(Exception):
    pass


def import_recommendations(
    actor: User | None,
    data: bytes,
    filename: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    write_progress: Progress | None = None,
) -> ImportResult:
    """Import the recommendations of a file (see the module). `actor` None: the command line,
    run by the deployment's operator. Problems with the rows come back in the result (nothing
    written); a file that is not a table at all raises TableError."""
    started = time.perf_counter()
    organisation = access.require(actor, access.CREATE) if actor is not None else None
    ensure_reference()
    table = read_table(data, filename)
    reader = Reader(table)
    result = ImportResult(format=reader.format, rows=len(table.rows), dry_run=dry_run)
    rows = reader.read(progress)
    result.sdg_targets_as_goals = sorted(reader.sdg_as_goal)
    if reader.errors:
        result.errors = reader.errors
        result.seconds = time.perf_counter() - started
        return result
    try:
        with transaction.atomic():
            Writer(reader, actor, organisation).write(rows, result, write_progress)
            audit.record(
                actor,
                AuditAction.RECOMMENDATIONS_IMPORT,
                organisation=organisation,
                changes={
                    "file": filename[:200],
                    **{k: v for k, v in result.as_dict().items() if k not in ("errors",)},
                },
            )
            if dry_run:
                raise _RollBack
    except _RollBack:
        pass
    result.seconds = time.perf_counter() - started
    return result


# --- The template ---------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """Amparo's import template: the columns, one example row, and a sheet of accepted values."""
    from openpyxl import Workbook

    ensure_reference()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Recommendations")
    sheet.append(list(TEMPLATE_COLUMNS))
    example = {
        "annotation_id": "",
        "mechanism": "UPR",
        "session": "UPR session 35",
        "document_symbol": "A/HRC/44/9",
        "paragraph": "117.52",
        "state": "KE",
        "recommending_state": "NO",
        "language": "en",
        "text": "Ensure that human rights defenders can carry out their work without fear.",
        "position": "supported",
        "themes": "Human rights defenders|Civic space",
        "affected_persons": "Human rights defenders",
        "sdgs": "16.10",
    }
    sheet.append([example.get(column, "") for column in TEMPLATE_COLUMNS])
    values = workbook.create_sheet(_("Accepted values"))
    values.append([_("column"), _("value"), _("meaning")])
    for mechanism in Mechanism.objects.filter(active=True):
        values.append(["mechanism", mechanism.abbreviation or mechanism.code, mechanism.label()])
    for code, label in Recommendation.Position.choices:
        values.append(["position", code, str(label)])
    for language in LANGUAGES:
        values.append(["language", language, ""])
    for theme in Theme.objects.filter(active=True):
        values.append(["themes", theme.label_en, theme.label()])
    for sdg in SdgTarget.objects.filter(active=True):
        values.append(["sdgs", sdg.code, sdg.label()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

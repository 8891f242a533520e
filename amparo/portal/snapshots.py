"""Building a publication's content: only whitelisted fields, sanitised, in every language.

The content is plain JSON and self-contained (terms carry their labels in the four languages),
so that the public pages never read a live record: what the reviewer approved is what stays
public, until it is withdrawn.

* Persons appear under a pseudonym made for the portal alone (a keyed digest of their id under
  the portal's purpose: the public cannot link it to the pseudonyms partners see), and under
  their name only while a live consent to publication exists when the snapshot is built.
* Regions are published at the first level of ISO 3166-2; localities and coordinates never.
* Dates are published no more precisely than the whitelist's `coarsen`.
* Statistics tables are counted over the publishing organisation's own facts that the editor
  may see, with small cells suppressed as for the public (`amparo.analysis.crosstab`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pycountry
from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from amparo.analysis.crosstab import Suppression, crosstab
from amparo.analysis.dimensions import LANGUAGES
from amparo.cases import access as cases_access
from amparo.cases.models import Act, DatePrecision, Event, Involvement, Person, RecipientKind
from amparo.core import crypto
from amparo.core.models import Clearance, Term, User
from amparo.portal.whitelist import FieldRule, Whitelist, load
from amparo.stats import access as stats_access
from amparo.stats.services import snapshot as facts_snapshot
from amparo.stats.services import tables

FORMAT = 1
# Least to most precise, as the whitelist coarsens.
PRECISION_ORDER = (
    DatePrecision.UNKNOWN,
    DatePrecision.YEAR,
    DatePrecision.MONTH,
    DatePrecision.DAY,
)


@dataclass
class Built:
    """A snapshot and the live records it came from (kept beside it, never published)."""

    content: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    named_persons: list[Person] = field(default_factory=list)
    # The highest confidentiality of the records it holds: what its draft is sealed at.
    confidentiality: int = Clearance.PUBLIC


def item_code(event: Event) -> str:
    """An event's code on the portal: stable, and not its internal reference or number."""
    return crypto.keyed_digest(str(event.pk), "portal.event")[:10]


def person_code(person: Person) -> str:
    return crypto.keyed_digest(str(person.pk), "portal.person")[:6].upper()


def term_value(term: Term | None) -> dict[str, Any] | None:
    if term is None:
        return None
    return {
        "code": term.code,
        "label": {
            language: getattr(term, f"label_{language}") or term.label_en for language in LANGUAGES
        },
    }


@cache
def first_level_region(code: str) -> str:
    """The ISO 3166-2 first-level region that `code` is in (itself when it is first-level)."""
    subdivision = pycountry.subdivisions.get(code=code.upper()) if code else None  # type: ignore[no-untyped-call]
    seen = 0
    while subdivision is not None and subdivision.parent_code and seen < 5:
        parent = pycountry.subdivisions.get(code=subdivision.parent_code)  # type: ignore[no-untyped-call]
        if parent is None:
            break
        subdivision = parent
        seen += 1
    return subdivision.code if subdivision is not None else ""


def coarse_date(value: datetime.date | None, precision: str, rule: FieldRule) -> str:
    """The date as far as it is known, and no further than the rule allows: 2024, 2024-03."""
    if value is None or precision not in PRECISION_ORDER:
        return ""
    if rule.coarsen is not None:
        limit = PRECISION_ORDER.index(DatePrecision(rule.coarsen))
        precision = PRECISION_ORDER[min(PRECISION_ORDER.index(DatePrecision(precision)), limit)]
    if precision == DatePrecision.UNKNOWN:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def _pick(values: dict[str, Any], rules: dict[str, FieldRule]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if name in rules}


def consenting_to_publication() -> QuerySet[Any]:
    """The ids (`person_id`) of the persons with a live consent to publication now."""
    return (
        cases_access.live_consents()
        .filter(recipient_kind=RecipientKind.PUBLICATION)
        .values("person_id")
    )


def publicly_named(persons: Iterable[Person]) -> set[int]:
    """The persons with a live consent to publication now: the only ones shown by name."""
    ids = {p.pk for p in persons}
    return set(
        consenting_to_publication().filter(person_id__in=ids).values_list("person_id", flat=True)
    )


def _victim(person: Person, named: set[int], rules: dict[str, FieldRule]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": person.kind,
        "sex": term_value(person.sex),
        "age_group": term_value(person.age_group),
        "defender_types": [term_value(t) for t in person.defender_types.all()],
        "country": person.country,
        "region": first_level_region(person.region),
    }
    shown = _pick(values, rules)
    # Always there: the public must tell victims apart, and needs a word for each.
    shown["pseudonym"] = person_code(person)
    shown["defender"] = bool(person.defender_types.all())
    shown["organisation"] = person.kind == Person.Kind.ORGANISATION
    if "name" in rules and person.pk in named:
        shown["name"] = person.full_name
    return shown


def _act(act: Act, named: set[int], whitelist: Whitelist) -> dict[str, Any]:
    rules = whitelist.fields("act")
    perpetrator_types: list[dict[str, Any]] = []
    for involvement in act.involvements.all():
        value = term_value(involvement.perpetrator_type)
        if value is not None and value not in perpetrator_types:
            perpetrator_types.append(value)
    values: dict[str, Any] = {
        "type_of_act": term_value(act.type_of_act),
        "method": term_value(act.method),
        "date": coarse_date(act.date, act.date_precision, rules.get("date", FieldRule("date"))),
        "consequences": [term_value(t) for t in act.consequences.all()],
        "targeted_activity": term_value(act.targeted_activity),
        "country": act.country,
        "region": first_level_region(act.region),
        "perpetrator_types": perpetrator_types,
    }
    return {
        **_pick(values, rules),
        "victim": _victim(act.victim, named, whitelist.fields("victim")),
    }


def event_record(event: Event, named: set[int], whitelist: Whitelist) -> dict[str, Any]:
    """One event as the public may see it (`event` with its acts prefetched)."""
    rules = whitelist.fields("event")
    values: dict[str, Any] = {
        "start_date": coarse_date(
            event.start_date,
            event.start_precision,
            rules.get("start_date", FieldRule("start_date")),
        ),
        "end_date": coarse_date(
            event.end_date, event.end_precision, rules.get("end_date", FieldRule("end_date"))
        ),
        "country": event.country,
        "region": first_level_region(event.region),
        "monitoring_status": term_value(event.monitoring_status),
    }
    return {
        "code": item_code(event),
        **_pick(values, rules),
        "acts": [_act(act, named, whitelist) for act in event.acts.all()],
    }


def events_for_snapshot(ids: Sequence[int]) -> QuerySet[Event]:
    involvements = Involvement.objects.select_related("perpetrator_type")
    acts = Act.objects.select_related(
        "type_of_act", "method", "targeted_activity", "victim__sex", "victim__age_group"
    ).prefetch_related(
        "consequences",
        "victim__defender_types",
        Prefetch("involvements", queryset=involvements),
    )
    return (
        Event.objects.filter(pk__in=ids)
        .select_related("monitoring_status")
        .prefetch_related(Prefetch("acts", queryset=acts))
        .order_by("start_date", "pk")
    )


def build_events(events: Sequence[Event], whitelist: Whitelist | None = None) -> Built:
    whitelist = whitelist or load()
    loaded = list(events_for_snapshot([e.pk for e in events]))
    victims = [act.victim for event in loaded for act in event.acts.all()]
    named = publicly_named(victims) if whitelist.allows("victim", "name") else set()
    records = [event_record(event, named, whitelist) for event in loaded]
    return Built(
        content={"format": FORMAT, "kind": "events", "events": records},
        events=loaded,
        named_persons=[p for p in {v.pk: v for v in victims}.values() if p.pk in named],
        # As a version of an event is (cases.models.Version): a member not cleared for one of
        # its events or victims does not read them from a draft either.
        confidentiality=max(
            [e.confidentiality for e in loaded] + [v.confidentiality for v in victims],
            default=Clearance.PUBLIC,
        ),
    )


# --- Statistics ---------------------------------------------------------------------------------


def publishable_facts(editor: User, organisation_id: int) -> pa.Table:
    """The facts of the publishing organisation's own events that `editor` may count."""
    facts = stats_access.visible_facts(editor, facts_snapshot.current())
    return facts.filter(pc.equal(facts.column("organisation_id"), organisation_id))


def build_statistics(
    editor: User, organisation_id: int, parameters: tables.TableParameters
) -> Built:
    """The table in every language, small cells suppressed as for the public (the caller checks
    the query against the whitelist first)."""
    query = tables.parse_query(parameters)
    facts = publishable_facts(editor, organisation_id)
    suppression = Suppression(
        viewer_organisation_id=None, threshold=settings.AMPARO_STATS_SMALL_CELL_THRESHOLD
    )
    names = tables.value_names({*query.rows, *query.columns, *(f.dimension for f in query.filters)})
    by_language: dict[str, Any] = {}
    for language in LANGUAGES:
        table = crosstab(facts, query, language=language, names=names, suppression=suppression)
        wide = table.wide()
        with translation.override(language):
            description = _("Chart of the table below; small counts are left out of it.")
        by_language[language] = {
            # Drawn once, here: the SVG of the suppressed table, whose cells hidden as small are
            # not drawn (tables.chart_svg), with its text in the table's language.
            "chart": tables.chart_svg(table, title=tables.describe(table), description=description)
            or "",
            "title": tables.describe(table),
            "header": wide.column_names,
            "rows": [list(row.values()) for row in wide.to_pylist()],
            "notes": list(table.notes),
            "suppressed_text": table.suppressed_text or "",
        }
    return Built(
        content={
            "format": FORMAT,
            "kind": "statistics",
            "query": {
                "rows": list(parameters.rows),
                "columns": list(parameters.columns),
                "measure": parameters.measure,
                "verified_only": parameters.verified_only,
            },
            "tables": by_language,
        }
    )

"""Cross-tabs for a viewer: the facts they may count, named in their language, small cells hidden.

    table = cross_tab(user, Query(rows=("country", "year"), columns=("defender_type",),
                                  filters=(Filter("type_of_act", ("killing",), True),)), "fr")

The counting, naming and suppression are `amparo.analysis.crosstab`'s; this module chooses the
facts (`access.visible_facts`), the suppression (`access.suppression_for`) and the names of the
values the catalogue does not hold (terms, countries, regions, organisations, laws), and reads a
query from the plain parameters a page or the API receives (`parse_query`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyarrow as pa
import pycountry
from django.utils.translation import gettext as _

from amparo.analysis import charts
from amparo.analysis.crosstab import MAX_DIMENSIONS, CrossTab, Filter, Period, Query, QueryError
from amparo.analysis.dimensions import LANGUAGES, ValueNames, catalogue
from amparo.cases.models import Vocab
from amparo.core.countries import country_choices
from amparo.core.models import Organisation, Term, User
from amparo.stats import access
from amparo.stats.models import LegalMeasure, LegalProvision
from amparo.stats.services import snapshot

# The vocabularies whose terms name each dimension's values.
TERM_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "type_of_act": Vocab.TYPE_OF_ACT,
    "consequence": Vocab.CONSEQUENCE,
    "defender_type": Vocab.DEFENDER_TYPE,
    "sex": Vocab.SEX,
    "age_group": Vocab.AGE_GROUP,
    "perpetrator_type": Vocab.PERPETRATOR_TYPE,
    "source_kind": Vocab.SOURCE_MATERIAL,
}
PERIODS = ("year", "quarter", "month")
# What a page offers to break counts down by (the catalogue has more: status, confidentiality…).
DIMENSION_CHOICES = (
    "type_of_act",
    "consequence",
    "defender_type",
    "sex",
    "age_group",
    "perpetrator_type",
    "country",
    "region",
    "year",
    "quarter",
    "month",
    "organisation",
    "source_kind",
    "law",
    "law_provision",
    "verified",
    "event_status",
    "victim_kind",
)


def language_of(code: str | None) -> str:
    language = (code or "en")[:2]
    return language if language in LANGUAGES else "en"


def _labels(row: Mapping[str, Any], prefix: str = "label_") -> dict[str, str]:
    english = row[f"{prefix}en"]
    return {language: row[f"{prefix}{language}"] or english for language in LANGUAGES}


@cache
def _country_names() -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        for code, name in country_choices(language):
            names.setdefault(code, {})[language] = name
    english = {code: labels["en"] for code, labels in names.items()}
    return dict(sorted(names.items(), key=lambda item: english[item[0]].casefold()))


@cache
def _region_names() -> dict[str, dict[str, str]]:
    return {
        subdivision.code: dict.fromkeys(LANGUAGES, subdivision.name)
        for subdivision in sorted(pycountry.subdivisions, key=lambda s: s.code)
    }


def value_names(dimensions: Iterable[str]) -> ValueNames:
    """The names of the values of these dimensions, in every language, in the order tables show
    them (the vocabularies' order, countries by English name)."""
    names: dict[str, dict[str, dict[str, str]]] = {}
    for dimension in set(dimensions):
        thesauri = TERM_DIMENSIONS.get(dimension)
        if thesauri is not None:
            rows = Term.objects.filter(thesaurus__code__in=thesauri).values(
                "code",
                "thesaurus__code",
                "position",
                "label_en",
                "label_fr",
                "label_es",
                "label_ar",
            )
            ordered = sorted(
                rows, key=lambda r: (thesauri.index(r["thesaurus__code"]), r["position"])
            )
            names[dimension] = {row["code"]: _labels(row) for row in ordered}
        elif dimension == "country":
            names[dimension] = _country_names()
        elif dimension == "region":
            names[dimension] = _region_names()
        elif dimension == "organisation":
            names[dimension] = {
                str(pk): dict.fromkeys(LANGUAGES, name)
                for pk, name in Organisation.objects.values_list("pk", "name")
            }
        elif dimension == "law":
            names[dimension] = {
                measure.code: dict.fromkeys(LANGUAGES, f"{measure.title} ({measure.country})")
                for measure in LegalMeasure.objects.all()
            }
        elif dimension == "law_provision":
            names[dimension] = {
                provision.code: dict.fromkeys(
                    LANGUAGES, f"{provision.measure.title}: {provision.reference}"
                )
                for provision in LegalProvision.objects.select_related("measure")
            }
    return ValueNames(names)


def counted_facts(user: User | None) -> pa.Table:
    """The facts `user` may count (every fact for the operator at the command line)."""
    access.require(user, access.VIEW)
    return access.visible_facts(user, snapshot.current())


def cross_tab(user: User | None, query: Query, language: str) -> CrossTab:
    """`query` counted over the facts `user` may see, suppressed for them, in `language`."""
    return cross_tab_of(counted_facts(user), user, query, language)


def cross_tab_of(facts: pa.Table, user: User | None, query: Query, language: str) -> CrossTab:
    """`cross_tab` over facts already chosen for `user` (a page that draws several tables)."""
    from amparo.analysis.crosstab import crosstab

    shown = {*query.rows, *query.columns}
    named = shown | {f.dimension for f in query.filters}
    book = catalogue()
    narrower_shown = any(
        f.include_narrower
        and f.dimension in shown
        and f.dimension in book.dimensions
        and book.dimensions[f.dimension].multi_valued
        for f in query.filters
    )
    return crosstab(
        facts,
        query,
        language=language_of(language),
        names=value_names(named),
        tree=snapshot.term_tree() if narrower_shown else None,
        suppression=access.suppression_for(user, facts),
    )


# --- Reading a query from plain parameters -----------------------------------------------------


@dataclass(frozen=True)
class TableParameters:
    """A cross-tab as a page's form or the API gives it: dimension keys, a measure, filters as
    {dimension: [codes]} (broader terms include their narrower ones), a period."""

    rows: Sequence[str]
    columns: Sequence[str] = ()
    measure: str = "acts"
    filters: Mapping[str, Sequence[str]] | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None
    verified_only: bool = False


def parse_query(parameters: TableParameters) -> Query:
    """The Query of `parameters`; QueryError (with a message for people) if it cannot be."""
    book = catalogue()
    rows = tuple(key for key in parameters.rows if key)
    columns = tuple(key for key in parameters.columns if key)
    for key in (*rows, *columns, *(parameters.filters or {})):
        if key not in book.dimensions:
            raise QueryError(
                _("%(key)s is not something tables can be broken down by.") % {"key": key}
            )
    if not rows:
        raise QueryError(_("Choose what the rows show."))
    if len(rows) + len(columns) > MAX_DIMENSIONS:
        raise QueryError(
            _("A table shows at most %(count)d things at once.") % {"count": MAX_DIMENSIONS}
        )
    if len(set(rows + columns)) < len(rows + columns):
        raise QueryError(_("Choose each thing to break down by only once."))
    if parameters.measure not in book.measures:
        raise QueryError(_("Count acts, victims or events."))
    filters = [
        Filter(key, tuple(values), include_narrower=book.dimensions[key].hierarchical)
        for key, values in (parameters.filters or {}).items()
        if values
    ]
    if parameters.verified_only:
        filters.append(Filter("verified", ("true",)))
    if parameters.start and parameters.end and parameters.end < parameters.start:
        raise QueryError(_("The period ends before it starts."))
    period = (
        Period(parameters.start, parameters.end) if parameters.start or parameters.end else None
    )
    return Query(
        rows=rows,
        columns=columns,
        measure=parameters.measure,
        filters=tuple(filters),
        period=period,
    )


# --- Charts ---------------------------------------------------------------------------------------


def chart_svg(table: CrossTab, *, title: str, description: str) -> str | None:
    """The chart that suits `table`: a line over time when its rows are a period, a map when
    they are countries alone, bars otherwise; None when there is nothing to draw."""
    drawable = [
        c
        for c in table.cells.to_pylist()
        if not (c["all_rows"] or c["all_columns"] or c["suppressed"])
    ]
    if not drawable:
        return None
    keys = [d.key for d in table.rows]
    if len(keys) == 1 and keys[0] in PERIODS:
        spec = charts.line_chart(table, title=title, description=description)
    elif keys == ["country"] and not table.columns:
        spec = charts.choropleth(table, title=title, description=description)
    else:
        spec = charts.bar_chart(table, title=title, description=description)
    return charts.render_svg(spec)


def describe(table: CrossTab) -> str:
    """A chart's title: what it counts by what."""
    by = " / ".join(d.label(table.language) for d in (*table.rows, *table.columns))
    return f"{table.measure_label} — {by}"

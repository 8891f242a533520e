"""The dashboard: trends of killings and attacks by year and country, who the victims were and
who attacked them, a map, and documented beside estimated killings.

Every panel is a cross-tab of the facts the viewer may count (suppressed for them) drawn as an
SVG chart with its table; the estimate is `estimates.estimate` for one country (the one chosen,
else the one with most documented killings), and says plainly when none is possible.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from amparo.analysis import charts
from amparo.analysis.crosstab import CrossTab, Filter, Period, Query
from amparo.core.models import User
from amparo.stats import catalogue
from amparo.stats.services import estimates, exports, tables

TREND_COUNTRIES = 6


@dataclass(frozen=True)
class Choice:
    country: str = ""
    first_year: int | None = None
    last_year: int | None = None

    @property
    def period(self) -> Period | None:
        if self.first_year is None and self.last_year is None:
            return None
        return Period(
            datetime.date(self.first_year, 1, 1) if self.first_year else None,
            datetime.date(self.last_year, 12, 31) if self.last_year else None,
        )


@dataclass(frozen=True)
class Panel:
    title: str
    sheet: exports.Sheet
    chart: SafeString | None
    description: str


@dataclass
class Board:
    choice: Choice
    totals: list[tuple[str, str]] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    estimate: estimates.VictimEstimate | None = None
    estimate_text: str = ""
    estimate_country: str = ""
    empty: bool = False


def _filters(choice: Choice, *extra: Filter) -> tuple[Filter, ...]:
    country = (Filter("country", (choice.country,)),) if choice.country else ()
    return (*country, *extra)


def _panel(table: CrossTab, title: str, description: str) -> Panel:
    svg = tables.chart_svg(table, title=title, description=description)
    return Panel(
        title=title,
        sheet=exports.crosstab_sheet(table, title),
        chart=mark_safe(svg) if svg else None,  # noqa: S308 (SVG we rendered, text escaped)
        description=description,
    )


def _top_countries(by_country: CrossTab) -> tuple[str, ...]:
    """The countries with the largest counts in a table by country (suppressed ones aside)."""
    cells = [
        c
        for c in by_country.cells.to_pylist()
        if not c["all_rows"] and not c["suppressed"] and c["country"] and c["value"]
    ]
    ranked = sorted(cells, key=lambda c: (-c["value"], c["country"]))
    return tuple(c["country"] for c in ranked[:TREND_COUNTRIES])


def build(user: User | None, choice: Choice, language: str) -> Board:
    facts = tables.counted_facts(user)
    board = Board(choice=choice, empty=facts.num_rows == 0)
    if board.empty:
        return board
    period = choice.period
    killing = catalogue.violations()["killing"]
    killings = Filter("type_of_act", killing.type_of_act, include_narrower=True)

    def table(
        rows: tuple[str, ...],
        measure: str,
        *extra: Filter,
        columns: tuple[str, ...] = (),
    ) -> CrossTab:
        query = Query(
            rows=rows,
            columns=columns,
            measure=measure,
            filters=_filters(choice, *extra),
            period=period,
        )
        return tables.cross_tab_of(facts, user, query, language)

    for measure in ("acts", "victims", "events"):
        total = table(("verified",), measure)
        shown = next((c["shown"] for c in total.cells.to_pylist() if c["all_rows"]), "0")
        board.totals.append((total.measure_label, shown))
    killed = table(("verified",), "victims", killings)
    board.totals.append(
        (
            _("Victims of killing"),
            next((c["shown"] for c in killed.cells.to_pylist() if c["all_rows"]), "0"),
        )
    )

    by_country = () if choice.country else ("country",)
    acts_by_country = table(("country",), "acts")
    countries = () if choice.country else _top_countries(acts_by_country)
    trend_filter = (Filter("country", countries),) if countries else ()
    suppressed = _("Counts hidden as small are left out of the chart; the table shows them.")
    board.panels.append(
        _panel(
            table(("year",), "victims", killings, *trend_filter, columns=by_country),
            _("Victims of killing, by year"),
            suppressed,
        )
    )
    board.panels.append(
        _panel(
            table(("year",), "acts", *trend_filter, columns=by_country),
            _("Attacks (all acts), by year"),
            suppressed,
        )
    )
    board.panels.append(
        _panel(
            table(("defender_type",), "victims"),
            _("Victims by type of defender"),
            _("A victim with several types of defender is counted under each."),
        )
    )
    board.panels.append(
        _panel(
            table(("perpetrator_type",), "acts"),
            _("Acts by type of perpetrator"),
            _("An act with several perpetrators is counted under each type."),
        )
    )
    if not choice.country:
        board.panels.append(_panel(acts_by_country, _("Acts by country"), suppressed))
    elif choice.country in charts.region_map_countries():
        regions = table(("region",), "acts")
        svg = charts.render_svg(
            charts.choropleth(
                regions,
                title=_("Acts by region"),
                description=suppressed,
                country=choice.country,
            )
        )
        board.panels.append(
            Panel(
                _("Acts by region"),
                exports.crosstab_sheet(regions, _("Acts by region")),
                mark_safe(svg),  # noqa: S308 (SVG we rendered, text escaped)
                suppressed,
            )
        )
    _estimate(board, user, choice, table(("country",), "victims", killings))
    return board


def _estimate(board: Board, user: User | None, choice: Choice, killed: CrossTab) -> None:
    ranked = _top_countries(killed)
    country = choice.country or (ranked[0] if ranked else "")
    if not country:
        board.estimate_text = _(
            "No estimate is possible: no killing is documented in the records you may count."
        )
        return
    board.estimate_country = country
    board.estimate = estimates.estimate(
        user,
        estimates.EstimateRequest(
            violation="killing",
            country=country,
            first_year=choice.first_year,
            last_year=choice.last_year,
        ),
    )
    board.estimate_text = estimates.describe(board.estimate)

"""SDG indicator 16.10.1: verified cases of killing, kidnapping, enforced disappearance,
arbitrary detention and torture of journalists and associated media personnel, trade unionists
and human rights defenders, per country and year.

The categories and how our vocabularies' codes map to them are data (data/sdg_16_10_1.yaml and
data/violations.yaml). A case is a victim: distinct (de-duplicated) victims of verified events,
counted per country and year of the act; a victim in several groups counts in each, and once in
"all victims". Each count is a cross-tab of the facts the viewer may count, with the same
small-cell suppression as every other table.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from amparo.analysis.crosstab import CrossTab, Filter, Period, Query
from amparo.core.models import User
from amparo.stats import catalogue
from amparo.stats.services import exports, tables

ALL_VICTIMS = "all"


@dataclass(frozen=True)
class Choice:
    country: str = ""
    first_year: int | None = None
    last_year: int | None = None


@dataclass
class Block:
    """One country and year: a count per (victim group, violation)."""

    country: str
    country_label: str
    year: str
    counts: dict[tuple[str, str], str] = field(default_factory=dict)
    # For people: (group of victims, one count per violation), filled once all are counted.
    rows: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class IndicatorTable:
    choice: Choice
    violations: list[tuple[str, str]]  # (key, label)
    groups: list[tuple[str, str]]  # (key, label), "all" last
    blocks: list[Block]
    notes: list[str]


def indicator(user: User | None, choice: Choice, language: str) -> IndicatorTable:
    definition = catalogue.indicator()
    facts = tables.counted_facts(user)
    language = tables.language_of(language)
    period = None
    if choice.first_year or choice.last_year:
        period = Period(
            datetime.date(choice.first_year, 1, 1) if choice.first_year else None,
            datetime.date(choice.last_year, 12, 31) if choice.last_year else None,
        )
    groups: list[tuple[str, str, tuple[str, ...]]] = [
        (group.key, group.label(language), group.defender_types) for group in definition.victims
    ]
    groups.append(
        (
            ALL_VICTIMS,
            _("All of them"),
            tuple(code for g in definition.victims for code in g.defender_types),
        )
    )
    blocks: dict[tuple[str, str], Block] = {}
    notes: set[str] = set()
    for violation in definition.violations:
        for key, _label, defender_types in groups:
            filters = [
                Filter("type_of_act", violation.type_of_act, include_narrower=True),
                Filter("defender_type", defender_types),
                Filter("verified", ("true",)),
            ]
            if choice.country:
                filters.append(Filter("country", (choice.country,)))
            table = tables.cross_tab_of(
                facts,
                user,
                Query(
                    rows=("country", "year"),
                    measure="victims",
                    filters=tuple(filters),
                    period=period,
                    margins=False,
                ),
                language,
            )
            notes.update(table.notes)
            _collect(blocks, table, key, violation.key)
    ordered = sorted(blocks.values(), key=lambda b: (b.country_label, b.year))
    for block in ordered:
        block.rows = [
            (label, [block.counts.get((key, v.key), "0") for v in definition.violations])
            for key, label, _codes in groups
        ]
    return IndicatorTable(
        choice=choice,
        violations=[(v.key, v.label(language)) for v in definition.violations],
        groups=[(key, label) for key, label, _codes in groups],
        blocks=ordered,
        notes=sorted(notes),
    )


def _collect(
    blocks: dict[tuple[str, str], Block], table: CrossTab, group: str, violation: str
) -> None:
    for cell in table.cells.to_pylist():
        if cell["all_rows"] or cell["country"] is None or cell["year"] is None:
            continue
        key = (cell["country"], cell["year"])
        block = blocks.setdefault(key, Block(cell["country"], cell["country_label"], cell["year"]))
        block.counts[(group, violation)] = cell["shown"]


def sheet(table: IndicatorTable) -> exports.Sheet:
    """The indicator in long form, as SDG reporting takes it: one row per country, year,
    violation and group of victims."""
    rows = [
        [block.country, block.year, violation_label, group_label, block.counts.get((g, v), "0")]
        for block in table.blocks
        for v, violation_label in table.violations
        for g, group_label in table.groups
    ]
    return exports.Sheet(
        title=_("SDG indicator 16.10.1"),
        header=[_("Country"), _("Year"), _("Violation"), _("Victims"), _("Verified cases")],
        rows=rows,
        notes=table.notes,
        data={
            "indicator": "16.10.1",
            "country": table.choice.country or None,
            "from": table.choice.first_year,
            "to": table.choice.last_year,
        },
    )

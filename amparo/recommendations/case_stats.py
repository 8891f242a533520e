"""How many documented acts a recommendation's case links cover, year by year.

Counts only, never which events or persons: the page of a recommendation shows whether attacks
of the linked types went down or up in the country since it was made. The acts counted are
those of events the reader may see (`amparo.cases.access.visible_events`), so the same page
shows different counts to different readers and never counts what a reader may not see.

This is the one function the page asks; when the statistics app offers its facts table, the
lead swaps the body of `acts_by_year` for a query on it (same arguments, same answer).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Coalesce, ExtractYear

from amparo.cases import access as cases_access
from amparo.cases import queries as cases_queries
from amparo.cases.models import Act
from amparo.core.models import Term, User
from amparo.recommendations.models import CaseLink


@dataclass(frozen=True)
class YearCount:
    year: int | None  # None: acts whose date is unknown
    count: int
    by_type: tuple[tuple[str, int], ...]  # (type of act label, count), largest first


def acts_by_year(user: User | Any, link: CaseLink) -> list[YearCount]:
    """The visible acts of the link's types (and narrower ones) in its country and period, by
    the year of the act (or of its event when the act has no date)."""
    terms: set[int] = set()
    for term in link.types_of_act.all():
        terms.update(cases_queries.term_and_descendants(term))
    if not terms:
        return []
    events = cases_access.visible_events(user).values("pk")
    acts = (
        Act.objects.filter(event__in=events, type_of_act__in=terms)
        .filter(Q(country=link.country) | Q(country="", event__country=link.country))
        .annotate(day=Coalesce("date", "event__start_date"))
    )
    if link.period_start is not None:
        acts = acts.filter(day__gte=link.period_start)
    if link.period_end is not None:
        acts = acts.filter(day__lte=link.period_end)
    grouped = (
        acts.annotate(year=ExtractYear("day"))
        .values("year", "type_of_act_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    rows = list(grouped)
    labels = {
        pk: term.label()
        for pk, term in Term.objects.in_bulk({row["type_of_act_id"] for row in rows}).items()
    }
    totals: dict[int | None, int] = defaultdict(int)
    types: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        year = row["year"]
        totals[year] += row["count"]
        label = labels[row["type_of_act_id"]]
        types[year][label] += row["count"]
    return [
        YearCount(
            year=year,
            count=totals[year],
            by_type=tuple(sorted(types[year].items(), key=lambda item: (-item[1], item[0]))),
        )
        for year in sorted(totals, key=lambda y: (y is None, y or 0))
    ]

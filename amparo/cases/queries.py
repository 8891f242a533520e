"""Searching and filtering events: the same filters for the list page, exports and the API.

Every filter narrows a queryset that `access.visible_events` produced; filters over acts and
persons use `pk__in` subqueries, so no row is repeated and no DISTINCT is needed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, QuerySet

from amparo.cases import access
from amparo.cases.models import Act, Event, Involvement, Person
from amparo.core.models import Term, User


@dataclass(frozen=True)
class EventFilters:
    q: str = ""
    name: str = ""
    country: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    type_of_act: Term | None = None
    defender_type: Term | None = None
    status: str = ""
    confidentiality: int | None = None


def term_and_descendants(term: Term) -> list[int]:
    """The ids of `term` and every term below it (a filter on "Threats" finds death threats)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Term.objects.filter(thesaurus_id=term.thesaurus_id).values_list(
        "pk", "parent_id"
    ):
        children[parent].append(pk)
    found, queue = [term.pk], [term.pk]
    while queue:
        for child in children[queue.pop()]:
            found.append(child)
            queue.append(child)
    return found


def text_search(q: str) -> Q:
    """Every word must appear in the title, description, locality or reference code.
    Encrypted fields cannot be searched; names are found with the exact-name search."""
    condition = Q()
    for word in q.split():
        condition &= (
            Q(title__icontains=word)
            | Q(description__icontains=word)
            | Q(locality__icontains=word)
            | Q(reference_code__icontains=word)
        )
    return condition


def filter_events(
    events: QuerySet[Event],
    filters: EventFilters,
    user: User,
    viewer: access.Viewer | None = None,
) -> QuerySet[Event]:
    if filters.q.strip():
        events = events.filter(text_search(filters.q))
    if filters.name.strip():
        events = events.filter(access.events_naming(user, filters.name, viewer))
    if filters.country:
        events = events.filter(country=filters.country.upper())
    if filters.date_from:
        # Overlap with the period: an event still going on, or ending after it began, counts.
        events = events.filter(
            Q(end_date__gte=filters.date_from)
            | Q(end_date__isnull=True, start_date__gte=filters.date_from)
        )
    if filters.date_to:
        events = events.filter(start_date__lte=filters.date_to)
    if filters.type_of_act is not None:
        terms = term_and_descendants(filters.type_of_act)
        events = events.filter(pk__in=Act.objects.filter(type_of_act__in=terms).values("event_id"))
    if filters.defender_type is not None:
        terms = term_and_descendants(filters.defender_type)
        victims = Person.objects.filter(defender_types__in=terms).values("pk")
        events = events.filter(pk__in=Act.objects.filter(victim__in=victims).values("event_id"))
    if filters.status:
        events = events.filter(status=filters.status)
    if filters.confidentiality is not None:
        events = events.filter(confidentiality=filters.confidentiality)
    return events


def for_listing(events: QuerySet[Event]) -> QuerySet[Event]:
    """What a list row shows, in a fixed number of queries whatever the page size."""
    return (
        events.select_related("organisation")
        .prefetch_related(
            Prefetch(
                "acts",
                queryset=Act.objects.select_related("type_of_act").only(
                    "pk", "event_id", "date", "type_of_act"
                ),
            )
        )
        .order_by(F("start_date").desc(nulls_last=True), "-pk")
    )


_PERSONS = Person.objects.select_related("sex__thesaurus", "age_group__thesaurus").prefetch_related(
    "defender_types__thesaurus"
)
_TERM_RELATIONS = (
    "type_of_act__thesaurus",
    "method__thesaurus",
    "targeted_activity__thesaurus",
)


def with_act_relations(acts: QuerySet[Act]) -> QuerySet[Act]:
    """Acts with everything shown of them (terms, victim, perpetrators) in a fixed number of
    queries: the API and exports present the same act."""
    return acts.select_related(*_TERM_RELATIONS).prefetch_related(
        "consequences__thesaurus",
        Prefetch("victim", queryset=_PERSONS),
        Prefetch(
            "involvements",
            queryset=Involvement.objects.select_related(
                "perpetrator_type__thesaurus", "degree_of_involvement__thesaurus"
            )
            .prefetch_related(Prefetch("perpetrator", queryset=_PERSONS))
            .order_by("pk"),
        ),
    )

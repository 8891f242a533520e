"""Searching and filtering events: the same filters for the list page, exports and the API.

Every filter narrows a queryset that `access.visible_events` produced; filters over acts and
persons use EXISTS subqueries, so no row is repeated and no DISTINCT is needed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db import connection, models
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.cases import access
from amparo.cases.models import (
    Act,
    Event,
    IdentityDisclosure,
    Intervention,
    Involvement,
    Person,
    Source,
)
from amparo.core.models import AuditEntry, Term, User

# The text index matches substrings of at least three characters; shorter words are compared
# row by row.
TRIGRAM = 3


# "Recently", for the work lists below: what changed in the last RECENT_DAYS days.
RECENT_DAYS = 14


class Work(models.TextChoices):
    """The lists of a person's work: the home page's panels count them, and link to the event
    list showing one (`?show=to_verify`)."""

    TO_VERIFY = "to_verify", _("Waiting for my verification")
    MY_DRAFTS = "my_drafts", _("My drafts")
    SHARED_RECENTLY = "shared_recently", _("Shared with me recently")
    CONSENT_CHANGED = "consent_changed", _("Consent given or withdrawn recently")


def work_condition(work: str, user: User, viewer: access.Viewer) -> Q:
    """The events of one of the person's work lists (visibility is applied by the caller)."""
    since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
    condition: Q | None
    if work == Work.TO_VERIFY:
        condition = access.verifiable_q(viewer)
    elif work == Work.MY_DRAFTS:
        condition = Q(status=Event.Status.DRAFT, created_by=user.pk)
    elif work == Work.SHARED_RECENTLY:
        condition = access.shared_since_q(viewer, since)
    elif work == Work.CONSENT_CHANGED:
        condition = access.consent_changed_since_q(viewer, since)
    else:
        raise ValueError(f"Unknown work list {work!r}")
    return Q(pk__in=[]) if condition is None else condition


@dataclass(frozen=True)
class EventFilters:
    q: str = ""
    name: str = ""
    work: str = ""
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
    """Every word must appear in the title, description, locality or reference code, in any
    case. Encrypted fields cannot be searched; names are found with the exact-name search.

    On SQLite, words of three characters or more are looked up in the trigram text index
    (migration 0004); PostgreSQL's trigram indexes serve the ILIKE itself."""
    condition = Q()
    indexed: list[str] = []
    for word in q.split():
        if connection.vendor == "sqlite" and len(word) >= TRIGRAM:
            indexed.append('"' + word.replace('"', '""') + '"')
            continue
        condition &= (
            Q(title__icontains=word)
            | Q(description__icontains=word)
            | Q(locality__icontains=word)
            | Q(reference_code__icontains=word)
        )
    if indexed:
        match = RawSQL(
            "SELECT rowid FROM cases_event_text WHERE cases_event_text MATCH %s",
            [" AND ".join(indexed)],
        )
        condition &= Q(pk__in=match)
    return condition


@dataclass(frozen=True)
class EventConditions:
    """The filters as conditions on events (visibility is the caller's), written two ways that
    select the same events. A query that stops early (a page read in list order, a count that
    stops at COUNT_LIMIT) checks the acts of each event it reads: `per_event` (EXISTS). One that
    reads every match (an exact count, sorting all matches) first collects the events from the
    matching acts: `from_acts` (IN), through the acts' (type of act, event) index."""

    per_event: Q = field(default_factory=Q)
    from_acts: Q = field(default_factory=Q)

    def narrowed(self, condition: Q) -> EventConditions:
        """Both forms, with one more condition on the events themselves."""
        return EventConditions(self.per_event & condition, self.from_acts & condition)


def event_conditions(
    filters: EventFilters, user: User, viewer: access.Viewer | None = None
) -> EventConditions:
    condition = Q()
    if filters.q.strip():
        condition &= text_search(filters.q)
    if filters.name.strip():
        condition &= access.events_naming(user, filters.name, viewer)
    if filters.country:
        condition &= Q(country=filters.country.upper())
    if filters.date_from:
        # Overlap with the period: an event still going on, or ending after it began, counts.
        condition &= Q(end_date__gte=filters.date_from) | Q(
            end_date__isnull=True, start_date__gte=filters.date_from
        )
    if filters.date_to:
        condition &= Q(start_date__lte=filters.date_to)
    if filters.status:
        condition &= Q(status=filters.status)
    if filters.work:
        condition &= work_condition(filters.work, user, viewer or access.Viewer.of(user))
    if filters.confidentiality is not None:
        condition &= Q(confidentiality=filters.confidentiality)
    acts: list[QuerySet[Act]] = []
    if filters.type_of_act is not None:
        terms = term_and_descendants(filters.type_of_act)
        acts.append(Act.objects.filter(type_of_act__in=terms))
    if filters.defender_type is not None:
        terms = term_and_descendants(filters.defender_type)
        acts.append(Act.objects.filter(victim__defender_types__in=terms))
    per_event, from_acts = condition, condition
    for matching in acts:
        per_event &= Q(Exists(matching.filter(event=OuterRef("pk"))))
        from_acts &= Q(pk__in=matching.values("event_id"))
    return EventConditions(per_event=per_event, from_acts=from_acts)


# The event fields a row of the list shows.
LIST_FIELDS = (
    "reference_code",
    "title",
    "start_date",
    "start_precision",
    "country",
    "locality",
    "status",
    "confidentiality",
    "organisation",
)


def for_listing(events: QuerySet[Event]) -> QuerySet[Event]:
    """What a list row shows, in a fixed number of queries whatever the page size; nothing
    encrypted is read (or decrypted) for it."""
    return (
        events.select_related("organisation")
        .only(*LIST_FIELDS, "organisation__short_code")
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


# Terms with their list in one query (a term shows its list's code). Records' terms are
# prefetched, not joined: a join builds a term and its list again for every row, a prefetch
# each term once per page. Reading back 47,676 imported events (a file imported again) took
# 36.4 s instead of 54.8 s.
_TERMS = Term.objects.select_related("thesaurus")
# An act's terms: three of one each, its consequences many.
_ACT_TERMS = ("type_of_act", "method", "targeted_activity", "consequences")


def with_person_terms(persons: QuerySet[Person]) -> QuerySet[Person]:
    """Persons with their terms (sex, age group, defender types), a query each per page."""
    return persons.prefetch_related(
        Prefetch("sex", queryset=_TERMS),
        Prefetch("age_group", queryset=_TERMS),
        Prefetch("defender_types", queryset=_TERMS),
    )


_PERSONS = with_person_terms(Person.objects.all())


def with_act_relations(acts: QuerySet[Act]) -> QuerySet[Act]:
    """Acts with everything shown of them (terms, victim, perpetrators) in a fixed number of
    queries: the API and exports present the same act."""
    return acts.prefetch_related(
        *(Prefetch(name, queryset=_TERMS) for name in _ACT_TERMS),
        Prefetch("victim", queryset=_PERSONS),
        Prefetch(
            "involvements",
            queryset=Involvement.objects.prefetch_related(
                Prefetch("perpetrator_type", queryset=_TERMS),
                Prefetch("degree_of_involvement", queryset=_TERMS),
                Prefetch("perpetrator", queryset=_PERSONS),
            ).order_by("pk"),
        ),
    )


# The list counts its matches up to this many and says "more than" past it: an exact count
# reads every match, which the first page of a long list should not have to wait for.
COUNT_LIMIT = 1000
# Rows SQLite may read in date order to fill a page without first comparing plans.
WALK_BUDGET = 10_000


@dataclass(frozen=True)
class EventPage:
    """One page of the event list."""

    events: list[Event]
    number: int
    size: int
    count: int  # the matching events; when not `exact`, more than COUNT_LIMIT
    exact: bool

    @property
    def pages(self) -> int | None:
        """How many pages there are, when the count is exact."""
        return max(1, -(-self.count // self.size)) if self.exact else None

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number * self.size < self.count

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


def _matching(
    user: User, viewer: access.Viewer, condition: Q, *, walk_in_order: bool = False
) -> QuerySet[Event]:
    return access.visible_events(user, viewer, walk_in_order=walk_in_order).filter(condition)


def _counted(
    user: User, viewer: access.Viewer, conditions: EventConditions, *, exact: bool
) -> tuple[int, bool]:
    """How many events match, and whether that is exact: unless asked, counting stops past
    COUNT_LIMIT."""
    if exact:
        return _matching(user, viewer, conditions.from_acts).order_by().count(), True
    early = _matching(user, viewer, conditions.per_event).order_by()
    count = early[: COUNT_LIMIT + 1].count()
    return count, count <= COUNT_LIMIT


def _walk_in_order(
    user: User,
    viewer: access.Viewer,
    conditions: EventConditions,
    reach: int,
    count: int,
    exact: bool,
) -> tuple[bool, int, bool]:
    """Whether SQLite should read the events in list order until it has the first `reach`
    matches, rather than fetch every match through another index and sort them all; with the
    count, made exact if the choice needed it.

    SQLite keeps no statistics to make this choice, so it is made here: the walk reads about
    `reach` * events / matches rows. With a count that is only a lower bound, that is an upper
    bound; when it exceeds WALK_BUDGET the exact count decides.

    Kept because the figures do not hold without it (issue 10, `python -m tests.bench
    cases_list`, 100,000 events, same world, planner on then off): page 40 took 145 ms
    (p50) with it and 492 ms without, the exact count 154 ms and 478 ms, type of act with
    an exact count 245 ms and 630 ms; the other filters were within the machine's noise."""
    if connection.vendor != "sqlite":
        return False, count, exact
    rows = Event.objects.aggregate(last=Max("pk"))["last"] or 0  # rowids: O(1) in SQLite
    read = reach * rows / max(count, 1)
    if not exact and read > WALK_BUDGET:
        count, exact = _counted(user, viewer, conditions, exact=True)
        read = reach * rows / max(count, 1)
    return read <= max(count, WALK_BUDGET), count, exact


def _in_order(
    user: User, viewer: access.Viewer, conditions: EventConditions, walk: bool
) -> QuerySet[Event]:
    if walk:
        return _matching(user, viewer, conditions.per_event, walk_in_order=True)
    return _matching(user, viewer, conditions.from_acts)


@dataclass(frozen=True)
class Listing:
    """The visible events matching some conditions, to read the first `reach` of in an order,
    and how many they are: exact up to COUNT_LIMIT or when asked (`exact`), else more than
    COUNT_LIMIT (`count` is then COUNT_LIMIT + 1)."""

    events: QuerySet[Event]
    count: int
    exact: bool


def listed_events(
    user: User,
    viewer: access.Viewer,
    conditions: EventConditions,
    *,
    reach: int,
    count_all: bool = False,
) -> Listing:
    """The events for a list read in another order than the page's (the API's cursor), with
    the same capped count as the page (`event_page`)."""
    count, exact = _counted(user, viewer, conditions, exact=count_all)
    walk, count, exact = _walk_in_order(user, viewer, conditions, reach, count, exact)
    return Listing(_in_order(user, viewer, conditions, walk), count, exact)


def event_page(
    user: User,
    viewer: access.Viewer,
    conditions: EventConditions,
    *,
    number: int,
    size: int,
    count_all: bool = False,
) -> EventPage:
    """The `number`th page (from 1) of the visible events matching `conditions`, newest first.

    The count is exact when asked for, when it is at most COUNT_LIMIT, when the page reaches
    past COUNT_LIMIT (whether it exists, and is the last, must be known) and when the plan
    needs it."""
    count, exact = _counted(user, viewer, conditions, exact=count_all)
    number = max(1, number)
    if not exact and number * size > COUNT_LIMIT:
        count, exact = _counted(user, viewer, conditions, exact=True)
    if exact:
        number = min(number, max(1, -(-count // size)))
    walk, count, exact = _walk_in_order(user, viewer, conditions, number * size, count, exact)
    offset = (number - 1) * size
    events = for_listing(_in_order(user, viewer, conditions, walk))[offset : offset + size]
    return EventPage(events=list(events), number=number, size=size, count=count, exact=exact)


def persons_in(event_ids: Collection[int]) -> QuerySet[Person]:
    """Every person who takes part in these events (victims, perpetrators, sources and
    intervening persons), in one query."""
    return Person.objects.filter(
        Q(pk__in=Act.objects.filter(event__in=event_ids).values("victim_id"))
        | Q(pk__in=Involvement.objects.filter(act__event__in=event_ids).values("perpetrator_id"))
        | Q(pk__in=Source.objects.filter(event__in=event_ids).values("source_person_id"))
        | Q(pk__in=Intervention.objects.filter(event__in=event_ids).values("intervening_person_id"))
    )


def disclosures_of(person: Person) -> QuerySet[AuditEntry]:
    """The audit entries that record `person`'s identity as seen, newest first, found through
    their index by person (`IdentityDisclosure`), not by reading every entry's JSON."""
    entries = IdentityDisclosure.objects.filter(person=person).values("entry_id")
    return AuditEntry.objects.filter(pk__in=entries).order_by("-id")


# --- Aggregate counts that name no one ---------------------------------------------------------

# Acts count in aggregate figures once a second person has verified their event.
COUNTED_STATUSES = (Event.Status.VERIFIED, Event.Status.CLOSED)


def _codes_and_below(thesaurus: str, codes: Collection[str]) -> list[int]:
    """The ids of the terms `codes` of `thesaurus` and of every term below them (one query)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    queue = []
    for pk, parent, code in Term.objects.filter(thesaurus__code=thesaurus).values_list(
        "pk", "parent_id", "code"
    ):
        children[parent].append(pk)
        if code in codes:
            queue.append(pk)
    found = list(queue)
    while queue:
        for child in children[queue.pop()]:
            found.append(child)
            queue.append(child)
    return found


def act_counts(
    *,
    countries: Collection[str],
    start: datetime.date,
    end: datetime.date,
    act_types: Collection[str] = (),
    victim_types: Collection[str] = (),
) -> dict[str, int]:
    """How many acts happened in each of `countries` in [start, end): acts of verified or closed
    events, in the act's country (else the event's), on the act's date (else the event's start).
    With `act_types` (codes of hrd_violations) or `victim_types` (codes of defender_types), each
    with the terms below it, an act counts when it is of one of those types *or* against a victim
    of one of those types. Counts only, over every organisation's records: for figures such as
    the network's scorecard, which name no event and no person; undated acts are left out."""
    acts = Act.objects.filter(event__status__in=COUNTED_STATUSES).annotate(
        counted_country=Coalesce(NullIf("country", Value("")), "event__country"),
        counted_date=Coalesce("date", "event__start_date"),
    )
    acts = acts.filter(
        counted_country__in=[code.upper() for code in countries],
        counted_date__gte=start,
        counted_date__lt=end,
    )
    if act_types or victim_types:
        kinds = Q(pk__in=[])
        if act_types:
            kinds |= Q(type_of_act__in=_codes_and_below("hrd_violations", act_types))
        if victim_types:
            victims = Person.objects.filter(
                defender_types__in=_codes_and_below("defender_types", victim_types)
            )
            kinds |= Q(victim__in=victims.values("pk"))
        acts = acts.filter(kinds)
    rows = acts.values("counted_country").annotate(count=Count("pk")).order_by()
    return {row["counted_country"]: row["count"] for row in rows}

"""Reading recommendations: the same filters for the list page, exports and the API; the
text in the reader's language; the matrix of themes and mechanisms; a State's dashboard; overdue
indicators. Every read starts from `access.visible_recommendations`."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from amparo.core.models import User
from amparo.recommendations import access
from amparo.recommendations.models import (
    LANGUAGES,
    ImplementationStatus,
    Indicator,
    Instrument,
    Mechanism,
    ProgressReport,
    Ratification,
    Recommendation,
    RecommendationText,
    RegionalSystem,
    Review,
    SdgTarget,
    Theme,
    ThemeLabel,
)


@dataclass(frozen=True)
class RecommendationFilters:
    q: str = ""
    mechanism: Mechanism | None = None
    theme: Theme | None = None
    state: str = ""
    position: str = ""
    status: str = ""
    sdg: SdgTarget | None = None
    contested: bool = False


def filtered(
    user: User | Any | None,
    filters: RecommendationFilters,
    viewer: access.Viewer | None = None,
) -> QuerySet[Recommendation]:
    """The visible recommendations matching every filter. Themes are confirmed themes; an SDG
    goal also finds its targets."""
    recommendations = access.visible_recommendations(user, viewer)
    for word in filters.q.split():
        translated = RecommendationText.objects.filter(
            recommendation=OuterRef("pk"), text__icontains=word
        )
        recommendations = recommendations.filter(
            Q(text__icontains=word)
            | Q(Exists(translated))
            | Q(document_symbol__iexact=word)
            | Q(annotation_id__iexact=word)
        )
    if filters.mechanism is not None:
        recommendations = recommendations.filter(mechanism=filters.mechanism)
    if filters.theme is not None:
        labelled = ThemeLabel.objects.filter(
            recommendation=OuterRef("pk"),
            theme=filters.theme,
            status=ThemeLabel.Status.CONFIRMED,
        )
        recommendations = recommendations.filter(Exists(labelled))
    if filters.state:
        recommendations = recommendations.filter(state=filters.state.upper())
    if filters.position:
        recommendations = recommendations.filter(position=filters.position)
    if filters.status:
        recommendations = recommendations.filter(status=filters.status)
    if filters.contested:
        recommendations = recommendations.filter(contested=True)
    if filters.sdg is not None:
        through = Recommendation.sdgs.through.objects.filter(recommendation_id=OuterRef("pk"))
        if filters.sdg.is_goal:
            through = through.filter(sdgtarget__goal=filters.sdg.goal)
        else:
            through = through.filter(sdgtarget=filters.sdg)
        recommendations = recommendations.filter(Exists(through))
    return recommendations


def for_listing(recommendations: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    """What a list row shows, in a fixed number of queries whatever the page size."""
    return recommendations.select_related("mechanism").prefetch_related(
        Prefetch(
            "theme_labels",
            queryset=ThemeLabel.objects.filter(status=ThemeLabel.Status.CONFIRMED).select_related(
                "theme"
            ),
            to_attr="confirmed_labels",
        ),
        "translations",
    )


def for_detail(recommendations: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    return recommendations.select_related("mechanism", "organisation").prefetch_related(
        Prefetch(
            "theme_labels", queryset=ThemeLabel.objects.select_related("theme", "confirmed_by")
        ),
        "translations",
        "affected_groups",
        "sdgs",
        "actions__indicators__values",
        Prefetch(
            "progress_reports",
            queryset=ProgressReport.objects.select_related(
                "organisation", "submitted_by"
            ).prefetch_related(
                Prefetch("reviews", queryset=Review.objects.select_related("organisation"))
            ),
        ),
        "case_links__types_of_act",
    )


@dataclass(frozen=True)
class ShownText:
    text: str
    language: str
    original: bool  # the original text, in the reader's language
    fallback: bool  # the original shown because no translation into the reader's language


def shown_text(recommendation: Recommendation, language: str | None = None) -> ShownText:
    """The text in the reader's language: the original, a translation, or the original marked
    as a fallback. Reads the prefetched translations."""
    wanted = (language or get_language() or "en")[:2]
    wanted = wanted if wanted in LANGUAGES else "en"
    if recommendation.language == wanted:
        return ShownText(recommendation.text, wanted, original=True, fallback=False)
    for translation in recommendation.translations.all():
        if translation.language == wanted:
            return ShownText(translation.text, wanted, original=False, fallback=False)
    return ShownText(recommendation.text, recommendation.language, original=True, fallback=True)


# --- The matrix -----------------------------------------------------------------------------------

STATUS_ORDER = [value for value, _label in ImplementationStatus.choices]


@dataclass
class MatrixCell:
    counts: dict[str, int] = field(default_factory=dict)  # status → recommendations

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def main_status(self) -> str:
        """The most frequent status (the least advanced one on a tie): the cell's colour."""
        if not self.counts:
            return ""
        return max(STATUS_ORDER, key=lambda s: (self.counts.get(s, 0), -STATUS_ORDER.index(s)))

    def ordered(self) -> list[tuple[str, str, int]]:
        """(status, its label, count) for the statuses present, least advanced first."""
        labels = dict(ImplementationStatus.choices)
        return [(s, str(labels[s]), self.counts[s]) for s in STATUS_ORDER if self.counts.get(s)]


@dataclass
class Matrix:
    themes: list[Theme]
    mechanisms: list[Mechanism]
    cells: dict[tuple[int, int], MatrixCell]

    def rows(self) -> list[tuple[Theme, list[MatrixCell]]]:
        return [
            (theme, [self.cells.get((theme.pk, m.pk), MatrixCell()) for m in self.mechanisms])
            for theme in self.themes
        ]


def matrix(recommendations: QuerySet[Recommendation]) -> Matrix:
    """Confirmed themes by mechanisms, each cell counting the recommendations by status."""
    rows = (
        ThemeLabel.objects.filter(
            status=ThemeLabel.Status.CONFIRMED, recommendation__in=recommendations.values("pk")
        )
        .values("theme_id", "recommendation__mechanism_id", "recommendation__status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    cells: dict[tuple[int, int], MatrixCell] = defaultdict(MatrixCell)
    for row in rows:
        cell = cells[(row["theme_id"], row["recommendation__mechanism_id"])]
        cell.counts[row["recommendation__status"]] = row["count"]
    theme_ids = {key[0] for key in cells}
    mechanism_ids = {key[1] for key in cells}
    return Matrix(
        themes=list(Theme.objects.filter(pk__in=theme_ids)),
        mechanisms=list(Mechanism.objects.filter(pk__in=mechanism_ids)),
        cells=dict(cells),
    )


# --- Indicators -------------------------------------------------------------------------------


def overdue_indicators(
    user: User | Any, state: str = "", today: datetime.date | None = None
) -> QuerySet[Indicator]:
    """Indicators whose next value is past due, the longest overdue first."""
    indicators = Indicator.objects.filter(
        next_due__lt=today or timezone.localdate(),
        action__recommendation__in=access.visible_recommendations(user).values("pk"),
    )
    if state:
        indicators = indicators.filter(action__recommendation__state=state.upper())
    return indicators.select_related("action__recommendation__mechanism").order_by("next_due", "pk")


# --- A State's dashboard ----------------------------------------------------------------------


@dataclass
class InstrumentRow:
    instrument: Instrument
    ratification: Ratification | None
    depth: int


def instruments_for(state: str) -> list[Instrument]:
    """The core UN instruments and the regional instruments of the systems `state` belongs to,
    each protocol after its instrument."""
    regions = [
        r.pk for r in RegionalSystem.objects.filter(active=True) if state in r.member_codes()
    ]
    return list(
        Instrument.objects.filter(active=True)
        .filter(Q(region__isnull=True) | Q(region__in=regions))
        .select_related("parent")
        .order_by("position")
    )


def ratification_rows(state: str) -> list[InstrumentRow]:
    statuses = {r.instrument_id: r for r in Ratification.objects.filter(state=state.upper())}
    rows = []
    for instrument in instruments_for(state.upper()):
        depth = 0
        parent = instrument.parent
        while parent is not None and depth < 3:
            depth += 1
            parent = parent.parent
        rows.append(InstrumentRow(instrument, statuses.get(instrument.pk), depth))
    return rows


@dataclass
class Dashboard:
    state: str
    total: int
    by_position: list[tuple[str, str, int]]  # (value, label, count)
    by_status: list[tuple[str, str, int]]
    by_mechanism: list[tuple[Mechanism, int]]
    contested: int
    reports: list[ProgressReport]
    ratifications: list[InstrumentRow]
    overdue: list[Indicator]


def dashboard(user: User | Any, state: str, *, reports: int = 10) -> Dashboard:
    state = state.upper()
    recommendations = access.visible_recommendations(user).filter(state=state)
    positions = Counter(dict(recommendations.values_list("position").annotate(n=Count("pk"))))
    statuses = Counter(dict(recommendations.values_list("status").annotate(n=Count("pk"))))
    mechanisms = dict(recommendations.values_list("mechanism").annotate(n=Count("pk")))
    by_mechanism = [(m, mechanisms[m.pk]) for m in Mechanism.objects.filter(pk__in=mechanisms)]
    return Dashboard(
        state=state,
        total=sum(statuses.values()),
        by_position=[
            (value, str(label), positions.get(value, 0))
            for value, label in [*Recommendation.Position.choices]
        ]
        + ([("", "", positions[""])] if positions.get("") else []),
        by_status=[
            (value, str(label), statuses.get(value, 0))
            for value, label in ImplementationStatus.choices
        ],
        by_mechanism=by_mechanism,
        contested=recommendations.filter(contested=True).count(),
        reports=list(
            ProgressReport.objects.filter(recommendation__in=recommendations.values("pk"))
            .select_related("recommendation__mechanism", "organisation")
            .prefetch_related(
                Prefetch("reviews", queryset=Review.objects.select_related("organisation"))
            )
            .order_by("-submitted_at", "-pk")[:reports]
        ),
        ratifications=ratification_rows(state),
        overdue=list(overdue_indicators(user, state)[:50]),
    )


def states_with_recommendations(user: User | Any) -> list[tuple[str, int, int]]:
    """(State, recommendations, contested) for every State with recommendations."""
    rows = (
        access.visible_recommendations(user)
        .values("state")
        .annotate(n=Count("pk"), contested=Count("pk", filter=Q(contested=True)))
        .order_by("state")
    )
    return [(row["state"], row["n"], row["contested"]) for row in rows]


# --- For the network's scorecard (amparo/network/scorecard/feeds.py) ---------------------------

# Themes and affected groups that make a recommendation one about human rights defenders.
HRD_THEMES = ("human_rights_defenders", "women_human_rights_defenders")
HRD_GROUPS = ("human_rights_defenders",)
# The scorecard's four words for how far a recommendation is implemented.
SCORECARD_STATUS = {
    ImplementationStatus.IMPLEMENTED: "implemented",
    ImplementationStatus.PARTIALLY_IMPLEMENTED: "partially_implemented",
    ImplementationStatus.IN_PROGRESS: "partially_implemented",
    ImplementationStatus.NOT_STARTED: "not_implemented",
    ImplementationStatus.REGRESSED: "not_implemented",
}


def hrd_recommendations(
    *, countries: Sequence[str], start: datetime.date, end: datetime.date
) -> dict[str, dict[str, Any]]:
    """For each of `countries`, the recommendations to it on human rights defenders (a
    confirmed HRD theme, or defenders among the affected persons) made before `end`, each with
    how far the State's latest progress report says it is implemented ("no_information" without
    any report); one query for them all. Recommendations are public documents: nothing here
    depends on who asks."""
    codes = sorted({c.upper() for c in countries})
    hrd = Q(
        theme_labels__theme__code__in=HRD_THEMES,
        theme_labels__status=ThemeLabel.Status.CONFIRMED,
    ) | Q(affected_groups__code__in=HRD_GROUPS)
    rows = (
        Recommendation.objects.filter(hrd, state__in=codes)
        .filter(Q(date__isnull=True) | Q(date__lt=end))
        .annotate(reported=Exists(ProgressReport.objects.filter(recommendation=OuterRef("pk"))))
        .values_list("pk", "state", "status", "reported")
        .distinct()
    )
    items: dict[str, list[dict[str, Any]]] = {code: [] for code in codes}
    for _pk, state, status, reported in rows:
        items[state].append(
            {
                "status": SCORECARD_STATUS[ImplementationStatus(status)]
                if reported
                else "no_information"
            }
        )
    return {
        code: {"items": found, "url": reverse("recommendations:state", args=[code])}
        for code, found in items.items()
    }

"""What the public may read: live publications only, from their snapshots.

Every public page, the feed and the downloads go through here, and each asks for the state
`published` itself: a draft, a submitted, a withdrawn publication (by a person or by a withdrawn
consent) answers as if it never existed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Count, Max, Q, QuerySet

from amparo.analysis.dimensions import LANGUAGES
from amparo.core.countries import country_name, region_name
from amparo.portal import implementation, snapshots
from amparo.portal.models import Publication, PublicItem, PublicRecommendation

# Whom the acts of a published event targeted: the list's filter.
TARGETS = ("individual", "organisation")


def _unconsented() -> QuerySet[Any]:
    """Publications naming someone without a live consent to publication now. The withdrawal
    hook takes them down; this also holds when a consent ended without it (edited in the
    database, a failed hook): a name is never public on a consent that is gone."""
    return Publication.named_persons.through.objects.exclude(
        person_id__in=snapshots.consenting_to_publication()
    ).values("publication_id")


def live() -> QuerySet[Publication]:
    """The publications on the portal now; their drafts (`content`) are not even loaded."""
    return (
        Publication.objects.filter(state=Publication.State.PUBLISHED)
        .exclude(pk__in=_unconsented())
        .defer("content")
    )


def generation() -> str:
    """Changes whenever any publication changes, or drops out of `live`: the public pages'
    cache key."""
    found = Publication.objects.aggregate(latest=Max("changed_at"), count=Count("pk"))
    latest = found["latest"].isoformat() if found["latest"] else "-"
    hidden = list(
        Publication.objects.filter(state=Publication.State.PUBLISHED, pk__in=_unconsented())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return hashlib.sha256(f"{latest}/{found['count']}/{hidden}".encode()).hexdigest()[:16]


def live_publication(slug: str) -> Publication | None:
    return live().filter(slug=slug).first()


# The list of records each kind of publication holds in its content.
RECORDS: dict[str, str] = {
    Publication.Kind.EVENTS: "events",
    Publication.Kind.RECOMMENDATIONS: "recommendations",
}


def live_item(slug: str, code: str) -> tuple[Publication, dict[str, Any]] | None:
    """One event or one recommendation of a live publication: its permalink."""
    publication = live_publication(slug)
    if publication is None or publication.kind not in RECORDS:
        return None
    for record in publication.public_content.get(RECORDS[publication.kind], []):
        if record.get("code") == code:
            return publication, record
    return None


@dataclass(frozen=True)
class ItemFilters:
    country: str = ""
    act_type: str = ""
    defender_type: str = ""
    target: str = ""
    year: int | None = None
    words: str = ""

    @property
    def any(self) -> bool:
        return bool(
            self.country
            or self.act_type
            or self.defender_type
            or self.target
            or self.year
            or self.words
        )


def items(filters: ItemFilters | None = None) -> QuerySet[PublicItem]:
    found = PublicItem.objects.filter(publication__in=live())
    if filters is not None:
        if filters.country:
            found = found.filter(country=filters.country.upper())
        if filters.act_type:
            found = found.filter(act_types__contains=f"|{filters.act_type}|")
        if filters.defender_type:
            found = found.filter(defender_types__contains=f"|{filters.defender_type}|")
        if filters.target in TARGETS:
            found = found.filter(targets__contains=f"|{filters.target}|")
        if filters.year:
            found = found.filter(year=filters.year)
        for word in filters.words.casefold().split()[:8]:
            found = found.filter(Q(search_text__contains=word))
    # The snapshots are read once per publication (`with_records`), not once per row.
    return found.select_related("publication", "publication__organisation").defer(
        "publication__content", "publication__public_content"
    )


def with_records(found: Iterable[PublicItem]) -> list[tuple[PublicItem, dict[str, Any]]]:
    """Each item with its record from its publication's snapshot (one query for them all)."""
    return _with_snapshot_records(found, "events")


_Indexed = TypeVar("_Indexed", PublicItem, PublicRecommendation)


def _with_snapshot_records(
    found: Iterable[_Indexed], records: str
) -> list[tuple[_Indexed, dict[str, Any]]]:
    rows = list(found)
    contents = dict(
        Publication.objects.filter(
            pk__in={item.publication_id for item in rows}, state=Publication.State.PUBLISHED
        ).values_list("pk", "public_content")
    )
    by_code = {
        pk: {record.get("code"): record for record in content.get(records, [])}
        for pk, content in contents.items()
    }
    return [(item, dict(by_code.get(item.publication_id, {}).get(item.code, {}))) for item in rows]


@dataclass(frozen=True)
class FacetValue:
    code: str
    label: str


def facets(language: str) -> dict[str, list[FacetValue]]:
    """The values the public list can be filtered by: those the live items hold."""
    countries: set[str] = set()
    years: set[int] = set()
    act_types: dict[str, str] = {}
    defender_types: dict[str, str] = {}
    for item in items():
        if item.country:
            countries.add(item.country)
        if item.year:
            years.add(item.year)
    for publication in live().filter(kind=Publication.Kind.EVENTS):
        for record in publication.public_content.get("events", []):
            for act in record.get("acts", []):
                term = act.get("type_of_act")
                if term:
                    act_types[term["code"]] = label(term, language)
                for defender in act.get("victim", {}).get("defender_types", []):
                    defender_types[defender["code"]] = label(defender, language)
    return {
        "country": sorted(
            (FacetValue(c, country_name(c, language)) for c in countries), key=lambda v: v.label
        ),
        "year": [FacetValue(str(y), str(y)) for y in sorted(years, reverse=True)],
        "act_type": sorted(
            (FacetValue(c, t) for c, t in act_types.items()), key=lambda v: v.label.casefold()
        ),
        "defender_type": sorted(
            (FacetValue(c, t) for c, t in defender_types.items()),
            key=lambda v: v.label.casefold(),
        ),
    }


def label(term: dict[str, Any] | None, language: str) -> str:
    if not term:
        return ""
    labels = term.get("label", {})
    return str(labels.get(language) or labels.get("en") or term.get("code", ""))


# --- Open data ---------------------------------------------------------------------------------

# The columns of the open data, in order; their meaning is the data dictionary
# (`public_views.DATA_DICTIONARY`).
COLUMNS = (
    "publication",
    "item",
    "published_at",
    "country",
    "region",
    "start_date",
    "end_date",
    "type_of_act",
    "act_date",
    "consequences",
    "targeted_activity",
    "perpetrator_types",
    "victim",
    "victim_kind",
    "victim_sex",
    "victim_age_group",
    "victim_defender_types",
)


def open_data_rows(language: str) -> Iterator[dict[str, str]]:
    """One row per published act, labels in `language`, from the live snapshots only."""
    language = language if language in LANGUAGES else "en"
    publications = live().filter(kind=Publication.Kind.EVENTS).order_by("published_at", "pk")
    for publication in publications.iterator(chunk_size=20):
        for record in publication.public_content.get("events", []):
            yield from _act_rows(publication, record, language)


def _act_rows(
    publication: Publication, record: dict[str, Any], language: str
) -> Iterator[dict[str, str]]:
    for act in record.get("acts", []):
        victim = act.get("victim", {})
        yield {
            "publication": publication.slug,
            "item": record.get("code", ""),
            "published_at": publication.published_at.date().isoformat()
            if publication.published_at
            else "",
            "country": record.get("country", "") or act.get("country", ""),
            "region": record.get("region", "") or act.get("region", ""),
            "start_date": record.get("start_date", ""),
            "end_date": record.get("end_date", ""),
            "type_of_act": label(act.get("type_of_act"), language),
            "act_date": act.get("date", ""),
            "consequences": "; ".join(label(t, language) for t in act.get("consequences", [])),
            "targeted_activity": label(act.get("targeted_activity"), language),
            "perpetrator_types": "; ".join(
                label(t, language) for t in act.get("perpetrator_types", [])
            ),
            "victim": victim.get("name") or victim.get("pseudonym", ""),
            "victim_kind": victim.get("kind", ""),
            "victim_sex": label(victim.get("sex"), language),
            "victim_age_group": label(victim.get("age_group"), language),
            "victim_defender_types": "; ".join(
                label(t, language) for t in victim.get("defender_types", [])
            ),
        }


def place(record: dict[str, Any], language: str) -> str:
    parts = []
    if record.get("region"):
        parts.append(region_name(record["region"], language))
    if record.get("country"):
        parts.append(country_name(record["country"], language))
    return ", ".join(parts)


# --- Recommendations and their implementation status ----------------------------------------


@dataclass(frozen=True)
class RecommendationFilters:
    country: str = ""
    mechanism: str = ""
    mechanism_kind: str = ""
    theme: str = ""
    implementation: str = ""  # an implementation status
    response: str = ""
    words: str = ""

    @property
    def any(self) -> bool:
        return any(
            (
                self.country,
                self.mechanism,
                self.mechanism_kind,
                self.theme,
                self.implementation,
                self.response,
                self.words,
            )
        )


def recommendation_items(
    filters: RecommendationFilters | None = None,
) -> QuerySet[PublicRecommendation]:
    found = PublicRecommendation.objects.filter(publication__in=live())
    if filters is not None:
        if filters.country:
            found = found.filter(country=filters.country.upper())
        if filters.mechanism:
            found = found.filter(mechanism=filters.mechanism)
        if filters.mechanism_kind:
            found = found.filter(mechanism_kind=filters.mechanism_kind)
        if filters.theme:
            found = found.filter(themes__contains=f"|{filters.theme}|")
        if filters.implementation:
            found = found.filter(status=filters.implementation)
        if filters.response:
            found = found.filter(response=filters.response)
        for word in filters.words.casefold().split()[:8]:
            found = found.filter(search_text__contains=word)
    return found.select_related("publication", "publication__organisation").defer(
        "publication__content", "publication__public_content"
    )


def with_recommendations(
    found: Iterable[PublicRecommendation],
) -> list[tuple[PublicRecommendation, dict[str, Any]]]:
    """Each item with its record from its publication's snapshot (one query for them all)."""
    return _with_snapshot_records(found, "recommendations")


def _live_recommendation_records() -> Iterator[tuple[Publication, dict[str, Any]]]:
    publications = (
        live().filter(kind=Publication.Kind.RECOMMENDATIONS).order_by("published_at", "pk")
    )
    for publication in publications.iterator(chunk_size=20):
        for record in publication.public_content.get("recommendations", []):
            yield publication, record


def recommendation_facets(language: str) -> dict[str, list[FacetValue]]:
    """The values the recommendations list can be filtered by: those live items hold."""
    found: dict[str, dict[str, str]] = {
        "country": {},
        "mechanism": {},
        "mechanism_kind": {},
        "theme": {},
        "status": {},
        "response": {},
    }
    for _publication, record in _live_recommendation_records():
        if record.get("state"):
            found["country"][record["state"]] = country_name(record["state"], language)
        mechanism = record.get("mechanism")
        if mechanism:
            found["mechanism"][mechanism["code"]] = label(mechanism, language)
            if mechanism.get("kind"):
                found["mechanism_kind"][mechanism["kind"]["code"]] = label(
                    mechanism["kind"], language
                )
        for theme in record.get("themes", []):
            found["theme"][theme["code"]] = label(theme, language)
        for name in ("status", "position"):
            value = record.get(name)
            if value:
                found["response" if name == "position" else name][value["code"]] = label(
                    value, language
                )
    return {
        name: sorted(
            (FacetValue(c, t) for c, t in values.items()), key=lambda v: v.label.casefold()
        )
        for name, values in found.items()
    }


# The columns of the recommendations' open data, in order (`public_views.DATA_DICTIONARY`).
RECOMMENDATION_COLUMNS = (
    "publication",
    "item",
    "published_at",
    "state",
    "mechanism",
    "mechanism_kind",
    "session",
    "cycle",
    "document_symbol",
    "paragraph",
    "recommending_state",
    "date",
    "text",
    "text_language",
    "state_position",
    "state_response",
    "themes",
    "affected_groups",
    "sdgs",
    "implementation_status",
    "contested",
    "latest_report_status",
    "assessment",
)


def recommendation_rows(language: str) -> Iterator[dict[str, str]]:
    """One row per published recommendation, labels in `language`, from live snapshots only."""
    language = language if language in LANGUAGES else "en"
    for publication, record in _live_recommendation_records():
        text, text_language, _fallback = implementation.text_in(record, language)
        progress = record.get("progress", [])
        latest = progress[0] if progress else {}
        assessments = [a for report in progress for a in report.get("assessments", [])]
        mechanism = record.get("mechanism") or {}
        yield {
            "publication": publication.slug,
            "item": record.get("code", ""),
            "published_at": publication.published_at.date().isoformat()
            if publication.published_at
            else "",
            "state": record.get("state", ""),
            "mechanism": label(mechanism, language),
            "mechanism_kind": label(mechanism.get("kind"), language),
            "session": str(record.get("session", "")),
            "cycle": str(record.get("cycle") or ""),
            "document_symbol": record.get("document_symbol", ""),
            "paragraph": record.get("paragraph", ""),
            "recommending_state": record.get("recommending_state", ""),
            "date": record.get("date", ""),
            "text": text,
            "text_language": text_language if text else "",
            "state_position": label(record.get("position"), language),
            "state_response": record.get("state_response", ""),
            "themes": "; ".join(label(t, language) for t in record.get("themes", [])),
            "affected_groups": "; ".join(
                label(t, language) for t in record.get("affected_groups", [])
            ),
            "sdgs": "; ".join(t["code"] for t in record.get("sdgs", []) if t),
            "implementation_status": label(record.get("status"), language),
            "contested": "" if "contested" not in record else str(bool(record["contested"])),
            "latest_report_status": label(latest.get("status"), language),
            "assessment": "; ".join(
                label(a.get("verdict"), language) for a in assessments if a.get("verdict")
            ),
        }

"""The source side of an editor's preview: the live records a publication was made from, as
the reader may see them, so that they can check what the public side leaves out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language

from amparo.cases import access as cases_access
from amparo.cases.models import Event
from amparo.core.fields import holds_locked
from amparo.core.models import User
from amparo.portal import implementation, snapshots
from amparo.portal.models import Publication
from amparo.recommendations import access as recommendations_access
from amparo.stats.services import tables


@dataclass(frozen=True)
class SourceAct:
    type_of_act: str
    date: str
    place: str
    victim: str


@dataclass(frozen=True)
class SourceEvent:
    code: str  # the item code it has on the portal, to pair the two sides
    reference_code: str
    title: str
    description: str
    date: str
    place: str
    status: str
    acts: tuple[SourceAct, ...]
    visible: bool = True


def _place(country: str, region: str, locality: str) -> str:
    return ", ".join(part for part in (locality, region, country) if part)


def _opened_draft(publication: Publication) -> dict[str, Any]:
    """The draft, or nothing when the reader's keys do not open it (the page says it is
    locked): the sources beside it are then those of nothing."""
    return {} if holds_locked(publication.content) else publication.content


def sources(
    user: User, publication: Publication, presenter: cases_access.PersonPresenter
) -> dict[str, Any]:
    if publication.kind == Publication.Kind.STATISTICS:
        return {"table": _source_table(user, publication)}
    if publication.kind == Publication.Kind.RECOMMENDATIONS:
        return {"recommendations": _source_recommendations(user, publication)}
    events = snapshots.events_for_snapshot(list(publication.events.values_list("pk", flat=True)))
    shown = []
    for event in events:
        if not cases_access.can(user, cases_access.VIEW, event):
            shown.append(
                SourceEvent(
                    snapshots.item_code(event),
                    event.reference_code,
                    "",
                    "",
                    "",
                    "",
                    "",
                    (),
                    visible=False,
                )
            )
            continue
        shown.append(_source_event(event, presenter))
    return {"events": shown}


def _source_event(event: Event, presenter: cases_access.PersonPresenter) -> SourceEvent:
    presenter.prime([act.victim for act in event.acts.all()])
    return SourceEvent(
        code=snapshots.item_code(event),
        reference_code=event.reference_code,
        title=event.title,
        description=event.description,
        date=event.start_display,
        place=_place(event.country, event.region, event.locality),
        status=event.get_status_display(),
        acts=tuple(
            SourceAct(
                type_of_act=act.type_of_act.label() if act.type_of_act else "",
                date=act.date_display,
                place=_place(act.country, act.region, act.locality),
                victim=str(presenter.present(act.victim)["display_name"]),
            )
            for act in event.acts.all()
        ),
    )


def _source_table(user: User, publication: Publication) -> dict[str, Any] | None:
    """The same table over the same facts as the editor's organisation sees it (its own small
    counts shown): what suppression hides on the public side shows as the difference."""
    query = _opened_draft(publication).get("query", {})
    try:
        parsed = tables.parse_query(
            tables.TableParameters(
                rows=tuple(query.get("rows", ())),
                columns=tuple(query.get("columns", ())),
                measure=query.get("measure", "acts"),
                verified_only=bool(query.get("verified_only")),
            )
        )
    except ValueError:
        return None
    facts = snapshots.publishable_facts(user, publication.organisation_id)
    table = tables.cross_tab_of(facts, user, parsed, get_language() or "en")
    wide = table.wide()
    return {
        "title": tables.describe(table),
        "header": wide.column_names,
        "rows": [list(row.values()) for row in wide.to_pylist()],
    }


@dataclass(frozen=True)
class SourceRecommendation:
    code: str  # the item code it has on the portal, to pair the two sides
    reference: str
    status: str
    reports: int
    reviews: int


def _source_recommendations(user: User, publication: Publication) -> list[SourceRecommendation]:
    """The live recommendations the snapshot holds, as the reader may see them now, with how
    many progress reports and reviews they have (the public side shows what the whitelist
    keeps of them)."""
    records = _opened_draft(publication).get("recommendations", [])
    wanted = {record.get("code") for record in records}
    states = {record.get("state") for record in records}
    live = recommendations_access.visible_recommendations(user).filter(state__in=states)
    found = []
    for recommendation in implementation.for_snapshot(live.values_list("pk", flat=True)):
        code = implementation.item_code(recommendation)
        if code not in wanted:
            continue
        reports = list(recommendation.progress_reports.all())
        found.append(
            SourceRecommendation(
                code=code,
                reference=recommendation.reference,
                status=recommendation.get_status_display(),
                reports=len(reports),
                reviews=sum(len(r.reviews.all()) for r in reports),
            )
        )
    return found

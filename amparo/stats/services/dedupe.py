"""Finding duplicate persons and events across sources, and the review queue.

`find_duplicates(user, organisation)` runs on behalf of a user, in their process (`amparo dedupe
--as U`, or the page's button): it reads the organisation's persons whose identity that user
may see, through the case records' presenter (`cases.access.PersonPresenter`), so decrypted names
exist only in this process's memory, only for what the user may read, and go no further than
`amparo.analysis.linkage` (Splink on an in-memory DuckDB). A background worker holding no user's
rights could not do this, and must not.

Pairs likely enough to be one person (match probability ≥ CANDIDATE_THRESHOLD), and pairs of
events the event rules pair, go to the review queue (`DuplicateCandidate`) with the evidence:
how each comparison came out (level codes and weights), never the values compared. A reviewer
sees the two records side by side, read live with their own rights, and merges (the case
records' `merge_persons`, which keeps every source's provenance and can be undone) or rejects; a
rejected pair is not proposed again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.analysis.linkage import LinkageInputError, link_events, link_persons
from amparo.cases import access as cases_access
from amparo.cases import services as cases_services
from amparo.cases.models import Act, Person, PersonMerge, Source
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.fields import LockedValue
from amparo.core.models import Organisation, User
from amparo.core.services import DomainError
from amparo.stats import access
from amparo.stats.models import DedupeRun, DuplicateCandidate

CANDIDATE_THRESHOLD = 0.5
# Fewer persons than this, and the model has nothing to learn from.
MIN_PERSONS = 4


def _persons(
    user: User, organisation: Organisation
) -> tuple[list[dict[str, Any]], dict[int, list[Act]]]:
    """The organisation's persons who were victims, as the linkage takes them: only those whose
    identity `user` may see, names read through the presenter (decrypted, in memory only)."""
    presenter = cases_access.PersonPresenter(user)
    merged_away = PersonMerge.objects.filter(undone_at__isnull=True).values("duplicate_id")
    persons = list(
        cases_access.visible_persons(user)
        .filter(organisation=organisation, acts_as_victim__isnull=False)
        .exclude(pk__in=merged_away)
        .distinct()
        .select_related("sex", "age_group", "organisation")
        .prefetch_related("defender_types")
    )
    presenter.prime(persons)
    visible_events = cases_access.visible_events(user).values("pk")
    acts: dict[int, list[Act]] = defaultdict(list)
    for act in Act.objects.filter(
        victim__in=[p.pk for p in persons], event__in=visible_events
    ).select_related("event", "type_of_act"):
        acts[act.victim_id].append(act)
    records = []
    for person in persons:
        if not presenter.identity_visible(person) or not acts.get(person.pk):
            continue
        shown = presenter.present(person)
        mine = acts[person.pk]
        records.append(
            {
                "record_id": str(person.pk),
                "source": str(mine[0].event.organisation_id),
                "organisation": str(person.organisation_id),
                "full_name": _opened(shown["full_name"]) or None,
                "other_names": [
                    n.strip()
                    for n in (_opened(shown["other_names"]) or "").splitlines()
                    if n.strip()
                ],
                "sex": person.sex.code if person.sex else None,
                "age_group": person.age_group.code if person.age_group else None,
                "country": person.country or mine[0].event.country or None,
                "region": person.region or mine[0].event.region or None,
                "locality": mine[0].locality or mine[0].event.locality or None,
                "event_dates": sorted(
                    {d for d in (a.date or a.event.start_date for a in mine) if d is not None}
                ),
                "defender_types": [t.code for t in person.defender_types.all()],
                "act_types": sorted({a.type_of_act.code for a in mine if a.type_of_act}),
            }
        )
    return records, acts


def _opened(value: str | None) -> str | None:
    """A name as the linkage may compare it: None for one the keys at hand do not open, whose
    "locked" label would make every such person look like the same person."""
    return None if isinstance(value, LockedValue) else value


def _events(user: User, organisation: Organisation) -> list[dict[str, Any]]:
    presenter = cases_access.PersonPresenter(user)
    events = list(
        cases_access.visible_events(user)
        .filter(organisation=organisation, start_date__isnull=False)
        .prefetch_related("acts__type_of_act", "acts__victim")
    )
    records = []
    for event in events:
        acts = list(event.acts.all())
        victims = [a.victim for a in acts]
        presenter.prime(victims)
        records.append(
            {
                "event_id": str(event.pk),
                "country": event.country or "",
                "start_date": event.start_date,
                "end_date": event.end_date,
                "act_types": sorted({a.type_of_act.code for a in acts if a.type_of_act}),
                "victim_names": [
                    v.full_name
                    for v in victims
                    if _opened(v.full_name) and presenter.identity_visible(v)
                ],
                "region": event.region or None,
                "locality": event.locality or None,
            }
        )
    return [r for r in records if r["country"]]


@transaction.atomic
def find_duplicates(user: User, organisation: Organisation) -> DedupeRun:
    """Search `organisation`'s records for duplicates on behalf of `user`; new pairs join the
    queue, pending ones are scored again, decided ones are left as they are."""
    access.require_dedupe(user, organisation)
    persons, _acts = _persons(user, organisation)
    events = _events(user, organisation)
    run = DedupeRun.objects.create(
        organisation=organisation, started_by=user, persons=len(persons), events=len(events)
    )
    found: list[tuple[str, int, int, float | None, float | None, dict[str, Any]]] = []
    try:
        if len(persons) >= MIN_PERSONS:
            linkage = link_persons(pa.Table.from_pylist(persons))
            run.model = {  # weights only, never a record's value
                "probability_two_random_records_match": linkage.probability_two_random_records_match
            }
            for pair in linkage.pairs.to_pylist():
                if pair["match_probability"] < CANDIDATE_THRESHOLD:
                    continue
                evidence: dict[str, Any] = {  # how each comparison came out, not values
                    name.removesuffix("_level"): {
                        "level": pair[name],
                        "weight": round(pair[name.replace("_level", "_weight")], 2),
                    }
                    for name in pair
                    if name.endswith("_level")
                }
                found.append(
                    (
                        DuplicateCandidate.Kind.PERSON,
                        int(pair["left_id"]),
                        int(pair["right_id"]),
                        pair["match_probability"],
                        pair["match_weight"],
                        evidence,
                    )
                )
        if len(events) >= 2:
            for pair in link_events(pa.Table.from_pylist(events)).to_pylist():
                evidence = {
                    "days_apart": pair["days_apart"],
                    "shared_act_types": list(pair["shared_act_types"] or []),
                    "shared_victims": pair["shared_victims"],
                    "same_region": pair["same_region"],
                    "same_locality": pair["same_locality"],
                }
                found.append(
                    (
                        DuplicateCandidate.Kind.EVENT,
                        int(pair["left_id"]),
                        int(pair["right_id"]),
                        None,
                        None,
                        evidence,
                    )
                )
    except LinkageInputError as error:
        raise DomainError(
            _("The records could not be compared: %(reason)s") % {"reason": error}
        ) from error
    new = 0
    for kind, left, right, probability, weight, evidence in found:
        left, right = sorted((left, right))
        existing = DuplicateCandidate.objects.filter(
            kind=kind, left_id=left, right_id=right
        ).first()
        if existing is None:
            DuplicateCandidate.objects.create(
                run=run,
                organisation=organisation,
                kind=kind,
                left_id=left,
                right_id=right,
                probability=probability,
                weight=weight,
                evidence=evidence,
            )
            new += 1
        elif existing.status == DuplicateCandidate.Status.PENDING:
            existing.run, existing.probability, existing.weight = run, probability, weight
            existing.evidence = evidence
            existing.save(update_fields=["run", "probability", "weight", "evidence"])
    run.candidates = new
    run.save(update_fields=["candidates", "model"])
    audit.record(
        user,
        AuditAction.DEDUPE_RUN,
        run,
        organisation=organisation,
        changes={"persons": len(persons), "events": len(events), "pairs": len(found), "new": new},
    )
    return run


# --- Review -------------------------------------------------------------------------------------

LEVEL_LABELS = {
    "exact": gettext_lazy("the same"),
    "other_name": gettext_lazy("matches another name"),
    "transliteration": gettext_lazy("the same in another spelling or script"),
    "contained": gettext_lazy("one name holds the other"),
    "very_similar": gettext_lazy("very similar"),
    "similar": gettext_lazy("similar"),
    "shares_a_word": gettext_lazy("share a word"),
    "same_year": gettext_lazy("same year"),
    "within_2_years": gettext_lazy("within two years"),
    "same_age_group": gettext_lazy("same age group"),
    "same_day": gettext_lazy("same day"),
    "within_a_month": gettext_lazy("within a month"),
    "typed_alike": gettext_lazy("differ by one typing slip"),
    "within_a_year": gettext_lazy("within a year"),
    "same_locality": gettext_lazy("same locality"),
    "similar_locality": gettext_lazy("similar locality"),
    "same_region": gettext_lazy("same region"),
    "shared": gettext_lazy("shared"),
    "same": gettext_lazy("the same"),
    "different": gettext_lazy("different"),
    "missing": gettext_lazy("not known on one side"),
}
COMPARISON_LABELS = {
    "name": gettext_lazy("Name"),
    "birth": gettext_lazy("Birth or age"),
    "dates": gettext_lazy("Dates of the events"),
    "place": gettext_lazy("Place"),
    "defender_type": gettext_lazy("Type of defender"),
    "sex": gettext_lazy("Sex / gender"),
    "act_type": gettext_lazy("Types of act"),
}


@dataclass
class Side:
    record_id: int
    title: str  # a name, a pseudonym or an event's reference
    facts: list[tuple[str, str]] = field(default_factory=list)
    link: str = ""


@dataclass
class Comparison:
    left: Side | None
    right: Side | None
    evidence: list[tuple[str, str, str]]  # (what, how it came out, weight)


def _person_side(user: User, presenter: cases_access.PersonPresenter, pk: int) -> Side | None:
    person = (
        cases_access.visible_persons(user).filter(pk=pk).select_related("sex", "age_group").first()
    )
    if person is None:
        return None
    shown = presenter.present(person)
    visible = cases_access.visible_events(user).values("pk")
    acts = Act.objects.filter(victim=person, event__in=visible).select_related(
        "event", "type_of_act"
    )
    sources = (
        Source.objects.filter(event__acts__victim=person, event__in=visible).distinct().count()
    )
    side = Side(pk, shown["display_name"])
    side.facts += [
        (str(_("Other names")), shown["other_names"] or "—"),
        (str(_("Sex / gender")), shown["sex"]["label"] if shown["sex"] else "—"),
        (str(_("Age group")), shown["age_group"]["label"] if shown["age_group"] else "—"),
        (
            str(_("Types of defender")),
            ", ".join(t["label"] for t in shown["defender_types"]) or "—",
        ),
        (str(_("Country")), person.country or "—"),
        (str(_("Sources of their events")), str(sources)),
    ]
    for act in acts:
        side.facts.append(
            (act.event.reference_code, f"{_label(act.type_of_act)} · {act.date_display}")
        )
    return side


def _event_side(user: User, pk: int) -> Side | None:
    event = cases_access.visible_events(user).filter(pk=pk).first()
    if event is None:
        return None
    side = Side(pk, event.reference_code)
    side.facts += [
        (str(_("Title")), event.title),
        (str(_("Date")), event.start_display),
        (
            str(_("Place")),
            " · ".join(p for p in (event.country, event.region, event.locality) if p),
        ),
        (str(_("Acts")), str(event.acts.count())),
        (str(_("Sources")), str(event.sources.count())),
    ]
    return side


def _label(term: Any) -> str:
    return term.label() if term is not None else "—"


def side_by_side(user: User, candidate: DuplicateCandidate) -> Comparison:
    """The two records as `user` may see them now, and how the comparison came out."""
    if candidate.kind == DuplicateCandidate.Kind.PERSON:
        presenter = cases_access.PersonPresenter(user)
        left = _person_side(user, presenter, candidate.left_id)
        right = _person_side(user, presenter, candidate.right_id)
        evidence = [
            (
                str(COMPARISON_LABELS.get(name, name)),
                str(LEVEL_LABELS.get(found["level"], found["level"])),
                f"{found['weight']:+.1f}",
            )
            for name, found in candidate.evidence.items()
        ]
    else:
        left, right = _event_side(user, candidate.left_id), _event_side(user, candidate.right_id)
        found = candidate.evidence
        evidence = [
            (str(_("Days apart")), str(found.get("days_apart")), ""),
            (str(_("Victims in both")), str(found.get("shared_victims")), ""),
            (
                str(_("Types of act in both")),
                ", ".join(found.get("shared_act_types", [])) or "—",
                "",
            ),
            (str(_("Same locality")), _("yes") if found.get("same_locality") else _("no"), ""),
        ]
    return Comparison(left, right, evidence)


@transaction.atomic
def decide(
    user: User, candidate: DuplicateCandidate, decision: str, *, survivor_id: str | None = None
) -> DuplicateCandidate:
    """Merge (persons; `survivor_id` names the record kept, the left one by default), confirm as
    the same incident (events), reject, or undo a merge."""
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    access.require_candidate_action(user, candidate, decision)
    if decision == "merge":
        keep = candidate.right_id if survivor_id == str(candidate.right_id) else candidate.left_id
        other = candidate.left_id if keep == candidate.right_id else candidate.right_id
        persons = {p.pk: p for p in Person.objects.filter(pk__in=[keep, other])}
        if len(persons) != 2:
            raise DomainError(_("One of these persons no longer exists."))
        merge = cases_services.merge_persons(user, persons[keep], persons[other])
        candidate.status = DuplicateCandidate.Status.MERGED
        candidate.merge_id = merge.pk
    elif decision == "undo":
        merge = PersonMerge.objects.get(pk=candidate.merge_id or 0)
        cases_services.undo_merge(user, merge)
        candidate.status = DuplicateCandidate.Status.UNDONE
    else:
        same = decision == "same"
        candidate.status = (
            DuplicateCandidate.Status.SAME if same else DuplicateCandidate.Status.REJECTED
        )
        changes = {"kind": candidate.kind, "left": candidate.left_id, "right": candidate.right_id}
        if same:
            audit.record(
                user,
                AuditAction.DEDUPE_SAME_EVENT,
                candidate,
                organisation=candidate.organisation,
                changes=changes,
            )
        else:
            audit.record(
                user,
                AuditAction.DEDUPE_REJECT,
                candidate,
                organisation=candidate.organisation,
                changes=changes,
            )
    candidate.decided_by = user
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "merge_id", "decided_by", "decided_at"])
    return candidate

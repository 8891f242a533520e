"""The escalation engine's signals table (amparo.analysis.escalation.SIGNAL_COLUMNS), built from
the case records and from the intake reports that are not yet cases.

One row per act: its victim is the subject (a person followed across every event they appear in),
its event the incident; where and when are the act's own, else its event's; it became known on
the first source's date (else, the engine takes the end of its date's period). Intake reports not
yet linked to an event are subjects of their own, unverified, numbered below zero so that they
never meet a person's id. Codes the engine does not know (a HURIDOCS term outside Amparo's HRD
lists) are left out rather than refused: a rule cannot name them anyway.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

import pandas as pd
from django.db.models import Min, Q

from amparo.analysis.escalation import (
    RiskModel,
    RuleSet,
    Vocabularies,
    empty_signals,
    load_risk_model,
    load_rules,
)
from amparo.cases.models import Act, DatePrecision, Event, Intervention, Involvement, Person, Source
from amparo.intake.models import Disposition, Submission

# What each intervention gives the persons of its event, from its date (the risk model's
# capacities).
CAPACITY_OF_INTERVENTION = {
    "protective_measures": "protective_measures",
    "precautionary_measures": "protective_measures",
    "temporary_relocation": "protective_measures",
    "legal_support": "legal_support",
    "trial_observation": "legal_support",
    "urgent_appeal": "network_support",
    "public_statement": "network_support",
}
PRECISION = {
    DatePrecision.DAY: "day",
    DatePrecision.MONTH: "month",
    DatePrecision.YEAR: "year",
    DatePrecision.UNKNOWN: "year",
}
VERIFIED = frozenset({Event.Status.VERIFIED, Event.Status.CLOSED})
# Intake subjects: -(INTAKE_BASE + a number drawn from the report's id).
INTAKE_BASE = 1 << 40


@functools.cache
def vocabularies() -> Vocabularies:
    return Vocabularies.shipped()


@functools.cache
def ruleset() -> RuleSet:
    return load_rules(vocabularies=vocabularies())


@functools.cache
def risk_model() -> RiskModel:
    return load_risk_model(vocabularies=vocabularies())


def intake_subject(submission_pk: Any) -> int:
    """The (negative) subject id of an intake report that is not yet a case."""
    return -(INTAKE_BASE + (int(str(submission_pk).replace("-", "")[:10], 16)))


def signals(person_ids: Collection[int] | None = None, *, with_intake: bool = True) -> pd.DataFrame:
    """The signals of `person_ids` (None: everyone's) and, for the contextual rules, the acts of
    other subjects in their countries that those rules read. Intake reports are added when
    everyone is evaluated, and as context."""
    acts = Act.objects.filter(
        event__pending_import__isnull=True, victim__pending_import__isnull=True
    )
    if person_ids is not None:
        acts = acts.filter(_own_and_context(list(person_ids)))
    frame = _act_rows(acts)
    if with_intake:
        frame = pd.concat([frame, _intake_rows()], ignore_index=True)
    return frame if len(frame) else empty_signals()


def _own_and_context(person_ids: list[int]) -> Q:
    """The persons' acts, and those of others that the contextual rules may read about them: of
    the types they read, where they look (the persons' regions, or countries when a rule looks
    country-wide), within their window of the persons' own dates."""
    own = Q(victim_id__in=person_ids)
    rules = ruleset()
    contextual = [r for r in rules.rules if r.kind == "contextual_in_region"]
    if not contextual:
        return own
    places = list(
        Act.objects.filter(own).values_list(
            "country", "region", "event__country", "event__region", "date", "event__start_date"
        )
    )
    days: list[datetime.date] = [d for row in places if (d := row[4] or row[5]) is not None]
    if not days:
        return own
    by_region = all("region" in rule.same for rule in contextual)
    window = datetime.timedelta(days=rules.context_days())
    first, last = min(days) - window, max(days) + window
    context = Q(date__range=(first, last)) | Q(
        date__isnull=True, event__start_date__range=(first, last)
    )
    if by_region:
        regions = {row[1] or (row[3] if not row[0] else "") for row in places} - {""}
        context &= Q(region__in=regions) | Q(region="", event__region__in=regions)
    else:
        countries = {row[0] or row[2] for row in places} - {""}
        context &= Q(country__in=countries) | Q(country="", event__country__in=countries)
    context_acts = rules.context_acts()
    if context_acts is not None:
        context &= Q(type_of_act__code__in=vocabularies().acts.narrower(context_acts))
    return own | context


def _act_rows(acts: Any) -> pd.DataFrame:
    known_acts = vocabularies().acts.parents
    rows = list(
        acts.filter(type_of_act__code__in=list(known_acts)).values_list(
            "pk",
            "victim_id",
            "victim__kind",
            "date",
            "date_precision",
            "event_id",
            "event__start_date",
            "event__start_precision",
            "event__status",
            "type_of_act__code",
            "country",
            "region",
            "event__country",
            "event__region",
            "victim__sex__code",
        )
    )
    rows = [row for row in rows if (row[3] or row[6]) is not None]
    if not rows:
        return empty_signals()
    act_ids = [row[0] for row in rows]
    event_ids = sorted({row[5] for row in rows})
    victims = sorted({row[1] for row in rows})
    consequences: dict[int, list[str]] = defaultdict(list)
    for act_id, code in Act.consequences.through.objects.filter(act_id__in=act_ids).values_list(
        "act_id", "term__code"
    ):
        consequences[act_id].append(code)
    perpetrators: dict[int, list[str]] = defaultdict(list)
    for act_id, code in Involvement.objects.filter(
        act_id__in=act_ids, perpetrator_type__isnull=False
    ).values_list("act_id", "perpetrator_type__code"):
        perpetrators[act_id].append(code)
    known_types = vocabularies().defender_types.parents
    defender_types: dict[int, list[str]] = defaultdict(list)
    for person_id, code in Person.defender_types.through.objects.filter(
        person_id__in=victims
    ).values_list("person_id", "term__code"):
        if code in known_types:
            defender_types[person_id].append(code)
    known_on = dict(
        Source.objects.filter(event_id__in=event_ids, received_on__isnull=False)
        .values("event_id")
        .annotate(first=Min("received_on"))
        .values_list("event_id", "first")
    )
    capacities = _capacities(event_ids)
    victims_of_event: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        victims_of_event[row[5]].add(row[1])
    granted: dict[tuple[int, str], datetime.date] = {}
    for event_id, capacity, day in capacities:
        for person_id in victims_of_event.get(event_id, ()):
            key = (person_id, capacity)
            granted[key] = min(granted.get(key, day), day)
    sexes = vocabularies().sexes.parents
    columns: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        (pk, victim, kind, date, precision, event_id, start, start_precision, status) = row[:9]
        act_code, country, region, event_country, event_region, sex = row[9:]
        day = date if date is not None else start
        columns["signal_id"].append(pk)
        columns["subject_id"].append(victim)
        columns["subject_kind"].append(kind)
        columns["date"].append(day)
        columns["date_precision"].append(
            PRECISION.get(precision if date is not None else start_precision, "year")
        )
        first_source = known_on.get(event_id)
        columns["known_on"].append(first_source)
        columns["incident_id"].append(event_id)
        columns["origin"].append("act")
        columns["unverified"].append(status not in VERIFIED)
        columns["act"].append(act_code)
        columns["consequences"].append(tuple(consequences.get(pk, ())))
        columns["perpetrator_types"].append(tuple(perpetrators.get(pk, ())))
        columns["country"].append(country or event_country or "")
        columns["region"].append(region or (event_region if not country else "") or "")
        columns["defender_types"].append(tuple(defender_types.get(victim, ())))
        columns["sex"].append(sex if sex in sexes else "")
        for capacity in ("protective_measures", "network_support", "legal_support"):
            since = granted.get((victim, capacity))
            columns[capacity].append(since is not None and since <= (first_source or day))
    return pd.DataFrame(columns)


def _capacities(event_ids: Iterable[int]) -> list[tuple[int, str, datetime.date]]:
    found: list[tuple[int, str, datetime.date]] = []
    for event_id, code, day in Intervention.objects.filter(
        event_id__in=list(event_ids),
        date__isnull=False,
        intervention_type__code__in=list(CAPACITY_OF_INTERVENTION),
    ).values_list("event_id", "intervention_type__code", "date"):
        if day is not None:
            found.append((event_id, CAPACITY_OF_INTERVENTION[code], day))
    return found


def _intake_rows() -> pd.DataFrame:
    """One row per (report not yet a case, type of act it names), unverified."""
    known_acts = vocabularies().acts.parents
    known_types = vocabularies().defender_types.parents
    columns: dict[str, list[Any]] = defaultdict(list)
    reports = Submission.objects.filter(
        event__isnull=True, disposition=Disposition.GENUINE
    ).exclude(status="closed")
    for report in reports.only(
        "pk", "received_on", "target", "acts", "country", "defender_types", "incident_date"
    ):
        subject = intake_subject(report.pk)
        day = _parse_day(report.incident_date) or report.received_on
        types = tuple(t for t in (report.defender_types or []) if t in known_types)
        number = 0
        country = (report.country or "").strip().upper()
        for code in report.acts or []:
            if code not in known_acts:
                continue
            number += 1
            columns["signal_id"].append(subject * 100 - number)
            columns["subject_id"].append(subject)
            columns["subject_kind"].append(
                "organisation" if report.target in {"organisation", "nhri"} else "individual"
            )
            columns["date"].append(min(day, report.received_on))
            columns["date_precision"].append("day")
            columns["known_on"].append(report.received_on)
            columns["origin"].append("intake")
            columns["unverified"].append(True)
            columns["act"].append(code)
            columns["country"].append(country if len(country) == 2 else "")
            columns["defender_types"].append(types)
    return pd.DataFrame(columns) if columns else empty_signals()


def _parse_day(text: str) -> datetime.date | None:
    text = (text or "").strip()
    for size in (10, 7, 4):
        try:
            if size == 10:
                return datetime.date.fromisoformat(text[:10])
            if size == 7:
                return datetime.date.fromisoformat(text[:7] + "-01")
            return datetime.date(int(text[:4]), 1, 1)
        except ValueError:
            continue
    return None


def subjects_of_events(event_ids: Iterable[int]) -> set[int]:
    """The victims of the acts of these events (the subjects a change may concern)."""
    return set(Act.objects.filter(event_id__in=list(event_ids)).values_list("victim_id", flat=True))

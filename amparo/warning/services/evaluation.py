"""Evaluating the escalation rules and the risk model over the recorded facts, and storing what
comes out: assessments (history kept) and alerts.

`evaluate(person_ids)` is the incremental path (the task queued when case records change: the
persons' facts and the context their countries give the contextual rules); `evaluate_all()` the
nightly one (`amparo warning evaluate`), which also reads the intake reports not yet cases and
escalates the alerts left unacknowledged past their deadline. Both only ever look at the facts
known on the day they evaluate for, as the engine guarantees.
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from amparo.analysis.escalation import Facts, assess, from_day, to_day
from amparo.analysis.escalation import evaluate as evaluate_rules
from amparo.cases.models import Person
from amparo.intake.models import Submission
from amparo.warning.models import ALERTING_LEVELS, LEVEL_ORDER, Alert, RiskAssessment
from amparo.warning.routing import routing
from amparo.warning.services import alerts as alert_services
from amparo.warning.services import signals as signal_services

# How far back the rules a person's assessment lists ("what fired lately") reach.
FIRINGS_SHOWN_DAYS = 365


@dataclass(frozen=True)
class Outcome:
    subjects: int
    signals: int
    assessments_written: int
    alerts_raised: int
    alerts_escalated: int
    seconds: float


def evaluate(person_ids: Collection[int], *, today: datetime.date | None = None) -> Outcome:
    """Evaluate these persons (victims of the case records) as of `today`."""
    ids = sorted({int(pk) for pk in person_ids})
    if not ids:
        return Outcome(0, 0, 0, 0, 0, 0.0)
    frame = signal_services.signals(ids, with_intake=True)
    return _run(frame, ids, today or timezone.localdate())


def evaluate_all(*, today: datetime.date | None = None, escalate: bool = True) -> Outcome:
    """Evaluate everyone (persons and intake reports not yet cases), then escalate overdue
    alerts."""
    frame = signal_services.signals(None, with_intake=True)
    outcome = _run(frame, None, today or timezone.localdate())
    if escalate:
        escalated = len(alert_services.escalate_overdue())
        outcome = Outcome(**{**outcome.__dict__, "alerts_escalated": escalated})
    return outcome


def _run(frame: pd.DataFrame, subjects: list[int] | None, today: datetime.date) -> Outcome:
    started = time.perf_counter()
    vocabularies = signal_services.vocabularies()
    rules = signal_services.ruleset()
    model = signal_services.risk_model()
    facts = Facts.from_frame(frame, vocabularies)
    day = int(to_day([today])[0])
    firings = evaluate_rules(facts, rules, as_of=day, subjects=subjects)
    assessments = assess(facts, model, as_of=day, subjects=subjects)
    rows = _rows_by_signal(frame)

    person_ids = {int(s) for s in assessments.subject_id if s > 0}
    person_ids |= {int(s) for s in firings.subject_id if s > 0}
    persons = {
        pk: (organisation, country, region)
        for pk, organisation, country, region in Person.objects.filter(
            pk__in=person_ids
        ).values_list("pk", "organisation_id", "country", "region")
    }
    types: dict[int, list[str]] = defaultdict(list)
    for person_id, code in Person.defender_types.through.objects.filter(
        person_id__in=list(persons)
    ).values_list("person_id", "term__code"):
        types[person_id].append(code)

    recent_firings = _recent_firings(firings, day)
    raises: list[alert_services.Raise] = []
    written = 0
    with transaction.atomic():
        written = _store_assessments(
            assessments, recent_firings, persons, types, rows, today, raises
        )
        raises += _rule_raises(firings, day, persons, types, rows)
        raised = alert_services.raise_alerts(raises)
    return Outcome(
        subjects=len(assessments),
        signals=len(frame),
        assessments_written=written,
        alerts_raised=len(raised),
        alerts_escalated=0,
        seconds=round(time.perf_counter() - started, 3),
    )


def _rows_by_signal(frame: pd.DataFrame) -> dict[int, tuple[str, str, str]]:
    if not len(frame):
        return {}
    columns = [frame["signal_id"], frame["act"]]
    for name in ("country", "region"):
        columns.append(frame[name] if name in frame.columns else pd.Series([""] * len(frame)))
    return {
        int(signal): (str(act or ""), str(country or ""), str(region or ""))
        for signal, act, country, region in zip(*columns, strict=True)
    }


def _recent_firings(firings: Any, day: int) -> dict[int, list[dict[str, Any]]]:
    """Per subject, the latest firing of each rule in the last FIRINGS_SHOWN_DAYS."""
    table = firings.table()
    found: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    if not len(table):
        return {}
    fired = to_day(table["fired_on"])
    for position, row in enumerate(table.itertuples(index=False)):
        if fired[position] < day - FIRINGS_SHOWN_DAYS:
            continue
        found[int(row.subject_id)][str(row.rule)] = {
            "rule": str(row.rule),
            "fired_on": from_day(int(fired[position])),
            "level": str(row.level),
            "signal_ids": [int(s) for s in row.signal_ids],
        }
    return {
        subject: sorted(rules.values(), key=lambda f: f["rule"]) for subject, rules in found.items()
    }


def _store_assessments(
    assessments: Any,
    recent_firings: dict[int, list[dict[str, Any]]],
    persons: dict[int, tuple[int, str, str]],
    types: dict[int, list[str]],
    rows: dict[int, tuple[str, str, str]],
    today: datetime.date,
    raises: list[alert_services.Raise],
) -> int:
    table = assessments.table()
    reasons = assessments.reasons()
    by_subject: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in reasons.itertuples(index=False):
        if float(row.value) == 0:
            continue
        by_subject[int(row.subject_id)].append(
            {
                "factor": str(row.factor),
                "kind": str(row.kind),
                "value": float(row.value),
                "signal_ids": sorted(int(s) for s in row.signal_ids),
            }
        )
    subject_ids = [int(s) for s in table["subject_id"] if int(s) in persons]
    current = {
        a.person_id: a
        for a in RiskAssessment.objects.filter(person_id__in=subject_ids, is_current=True)
    }
    new: list[RiskAssessment] = []
    for row in table.itertuples(index=False):
        person_id = int(row.subject_id)
        if person_id not in persons:
            continue
        level = str(row.level)
        explained = sorted(by_subject.get(person_id, []), key=lambda r: (r["kind"], r["factor"]))
        fired = recent_firings.get(person_id, [])
        before = current.get(person_id)
        if before is not None and (before.computed_level, before.reasons, before.firings) == (
            level,
            explained,
            fired,
        ):
            continue
        organisation, country, region = persons[person_id]
        new.append(
            RiskAssessment(
                person_id=person_id,
                organisation_id=organisation,
                level=level,
                computed_level=level,
                score=float(row.score),
                threat=float(row.threat),
                vulnerability=float(row.vulnerability),
                capacity=float(row.capacity),
                reasons=explained,
                firings=fired,
                as_of=today,
            )
        )
        previous = before.level if before is not None else "low"
        if level in ALERTING_LEVELS and LEVEL_ORDER[level] > LEVEL_ORDER[previous]:
            signal_ids = tuple(sorted({s for r in explained for s in r["signal_ids"]}))
            raises.append(
                alert_services.Raise(
                    person_id=person_id,
                    submission_id=None,
                    organisation_id=organisation,
                    kind=Alert.Kind.LEVEL_RISE,
                    level=level,
                    reasons=(f"risk_level:{level}",),
                    signal_ids=signal_ids,
                    country=country or _first(rows, signal_ids, 1),
                    region=region or _first(rows, signal_ids, 2),
                    raised_on=today,
                    defender_types=tuple(types.get(person_id, ())),
                    acts=tuple({rows[s][0] for s in signal_ids if s in rows}),
                )
            )
    if new:
        RiskAssessment.objects.filter(
            person_id__in=[a.person_id for a in new], is_current=True
        ).update(is_current=False)
        RiskAssessment.objects.bulk_create(new, batch_size=2000)
    return len(new)


def _first(rows: dict[int, tuple[str, str, str]], signal_ids: Collection[int], index: int) -> str:
    for signal in sorted(signal_ids, reverse=True):
        value = rows.get(signal, ("", "", ""))[index]
        if value:
            return value
    return ""


def _rule_raises(
    firings: Any,
    day: int,
    persons: dict[int, tuple[int, str, str]],
    types: dict[int, list[str]],
    rows: dict[int, tuple[str, str, str]],
) -> list[alert_services.Raise]:
    if not len(firings):
        return []
    since = day - routing().raise_within_days
    starts = firings.episode_starts() & (firings.fired_on >= since)
    chosen = np.flatnonzero(starts)
    if not len(chosen):
        return []
    signal_lists = firings.signal_ids()
    reports: dict[int, tuple[str, int]] = {}
    if (firings.subject_id[chosen] < 0).any():
        for pk, organisation in Submission.objects.filter(event__isnull=True).values_list(
            "pk", "organisation_id"
        ):
            reports[signal_services.intake_subject(pk)] = (str(pk), organisation)
    levels = firings.level()
    raises = []
    for index in chosen:
        subject = int(firings.subject_id[index])
        signal_ids = signal_lists[index]
        anchor = int(firings.anchor_signal_id[index])
        _act, country, region = rows.get(anchor, ("", "", ""))
        level = ("low", "medium", "high", "extreme")[int(levels[index])]
        rule = firings.rules[int(firings.rule[index])].id
        if subject > 0:
            if subject not in persons:
                continue
            organisation, person_country, person_region = persons[subject]
            person_id, submission_id = subject, None
            country = country or person_country
            region = region or person_region
        else:
            if subject not in reports:
                continue
            submission_id, organisation = reports[subject]
            person_id = None
        raises.append(
            alert_services.Raise(
                person_id=person_id,
                submission_id=submission_id,
                organisation_id=organisation,
                kind=Alert.Kind.RULE,
                level=level,
                reasons=(rule,),
                signal_ids=tuple(signal_ids),
                country=country,
                region=region,
                raised_on=datetime.date.fromisoformat(from_day(int(firings.fired_on[index]))),
                defender_types=tuple(types.get(subject, ())),
                acts=tuple({rows[s][0] for s in signal_ids if s in rows}),
            )
        )
    return raises

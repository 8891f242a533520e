"""The backtest: would the rules and the risk model have warned before the killings and grave
attacks that happened, how early, and at what cost in alerts?

`replay` raises the alerts the engine would have raised day by day over a period, each from the
facts known that day only (rule firings are causal by construction, see rules.py; risk levels are
assessed on each day a fact becomes known, and on the day before, to see a rise). An alert is one
subject on one day, with every reason that fired that day: rules starting an episode, and the
risk level rising to high or extreme (reasons `risk_level:high`, `risk_level:extreme`).

`backtest` then measures, for the grave outcomes of the period (the rule file's `outcomes`, one per
subject and incident): the share that had an alert of level high or extreme between
`max_lead_days` and `lead_days` before (recall), the median lead time from the first such alert,
the alert burden (alerts per 100 persons at risk per month; a subject is at risk from the day its
first fact is known), and, per reason, how many alerts and the share followed by a grave outcome
of the same subject within `precision_days` (precision). With a baseline rule set (the naive
"every threat" of baseline_rules.yaml), the same figures for it, side by side.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from amparo.analysis.escalation.risk import LEVELS, RiskModel, assess_points
from amparo.analysis.escalation.rules import RuleSet, evaluate
from amparo.analysis.escalation.signals import Facts, IntArray, from_day
from amparo.analysis.escalation.windows import day_key, first_of_groups

ALERTING = LEVELS.index("high")
RISK_REASONS = {level: f"risk_level:{LEVELS[level]}" for level in range(ALERTING, len(LEVELS))}


@dataclass(frozen=True)
class Settings:
    lead_days: int = 7
    max_lead_days: int = 365
    precision_days: int = 180


@dataclass(frozen=True)
class Alerts:
    """Alerts raised over a period, one per (subject, day), and the items (reasons) behind them."""

    subject_id: IntArray
    day: IntArray
    level: IntArray
    item_subject_id: IntArray
    item_day: IntArray
    item_level: IntArray
    item_reason: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.subject_id)

    def table(self) -> pd.DataFrame:
        """subject_id, day (date), level, reasons (tuple of rule ids and risk_level:*)."""
        reasons: dict[tuple[int, int], list[str]] = {}
        for subject, day, reason in zip(
            self.item_subject_id, self.item_day, self.item_reason, strict=True
        ):
            reasons.setdefault((int(subject), int(day)), []).append(reason)
        return pd.DataFrame(
            {
                "subject_id": self.subject_id,
                "day": self.day.astype("datetime64[D]"),
                "level": [LEVELS[level] for level in self.level],
                "reasons": [
                    tuple(sorted(set(reasons[(int(s), int(d))])))
                    for s, d in zip(self.subject_id, self.day, strict=True)
                ],
            }
        )


def replay(facts: Facts, ruleset: RuleSet, model: RiskModel | None, start: int, end: int) -> Alerts:
    """The alerts raised from day `start` to day `end` (inclusive), each from what was known on
    its day."""
    known = facts.known_by(end)
    subjects: list[IntArray] = []
    days: list[IntArray] = []
    levels: list[IntArray] = []
    reasons: list[str] = []
    firings = evaluate(known, ruleset)
    chosen = firings.episode_starts() & (firings.fired_on >= start) & (firings.fired_on <= end)
    subjects.append(firings.subject_id[chosen])
    days.append(firings.fired_on[chosen])
    levels.append(firings.level()[chosen])
    reasons.extend(firings.rules[r].id for r in firings.rule[chosen])
    if model is not None:
        in_period = (known.available >= start) & (known.available <= end)
        order, first = first_of_groups(known.subject[in_period], known.available[in_period])
        point_subject = known.subject[in_period][order][first]
        point_day = known.available[in_period][order][first]
        now = assess_points(known, model, point_subject, point_day, explain=False).level
        before = assess_points(known, model, point_subject, point_day - 1, explain=False).level
        rose = (now >= ALERTING) & (now > before)
        subjects.append(known.subjects[point_subject[rose]])
        days.append(point_day[rose])
        levels.append(now[rose])
        reasons.extend(RISK_REASONS[int(level)] for level in now[rose])
    item_subject = np.concatenate(subjects)
    item_day = np.concatenate(days)
    item_level = np.concatenate(levels)
    order, first = first_of_groups(item_subject, item_day)
    group = np.cumsum(first) - 1
    alert_level = np.zeros(int(first.sum()), dtype=np.int64)
    np.maximum.at(alert_level, group, item_level[order])
    return Alerts(
        subject_id=item_subject[order][first],
        day=item_day[order][first],
        level=alert_level,
        item_subject_id=item_subject,
        item_day=item_day,
        item_level=item_level,
        item_reason=tuple(reasons),
    )


def outcomes(facts: Facts, ruleset: RuleSet) -> tuple[IntArray, IntArray, IntArray]:
    """The grave outcomes, one per subject and incident, on its first day: subject ids, days and
    rows (of the first act)."""
    rows = np.flatnonzero(ruleset.outcomes.mask(facts) & (facts.act >= 0))
    order, first = first_of_groups(facts.subject[rows], facts.incident[rows])
    chosen = rows[order][first]
    return facts.subject_id[chosen], facts.day[chosen], chosen


def backtest(
    facts: Facts,
    ruleset: RuleSet,
    model: RiskModel | None,
    start: int,
    end: int,
    settings: Settings | None = None,
    baseline: RuleSet | None = None,
) -> dict[str, Any]:
    """The backtest report as a JSON-able dict (see the module's docstring); with `baseline`,
    its figures under "baseline" and how the two compare under "comparison"."""
    settings = settings or Settings()
    report = _measure(facts, ruleset, model, start, end, settings)
    if baseline is not None:
        naive = _measure(facts, baseline, None, start, end, settings)
        report["baseline"] = naive
        report["comparison"] = {
            "recall_7d_difference": round(report["recall_7d"] - naive["recall_7d"], 3)
            if report["outcomes"]
            else None,
            "baseline_alerts_ratio": round(naive["alerts"] / report["alerts"], 2)
            if report["alerts"]
            else None,
            "baseline_extra_alerts": naive["alerts"] - report["alerts"],
        }
    return report


def _measure(
    facts: Facts,
    ruleset: RuleSet,
    model: RiskModel | None,
    start: int,
    end: int,
    settings: Settings,
) -> dict[str, Any]:
    alerts = replay(facts, ruleset, model, start, end)
    outcome_subject, outcome_day, outcome_row = outcomes(facts, ruleset)
    in_period = (outcome_day >= start) & (outcome_day <= end)

    # Recall: a high or extreme alert of the same subject in [day - max_lead, day - lead].
    warning = alerts.level >= ALERTING
    warned_subject = facts.subject_rank(alerts.subject_id[warning])
    warned_day = alerts.day[warning]
    order = np.lexsort((warned_day, warned_subject))
    keys = day_key(warned_subject[order], warned_day[order])
    subject = facts.subject_rank(outcome_subject[in_period])
    day = outcome_day[in_period]
    low = np.searchsorted(keys, day_key(subject, day - settings.max_lead_days), side="left")
    high = np.searchsorted(keys, day_key(subject, day - settings.lead_days), side="right")
    alerted = high > low
    first_warning = warned_day[order][np.minimum(low, max(len(keys) - 1, 0))] if len(keys) else day
    leads = (day - first_warning)[alerted]

    person_months, persons = _person_months(facts, start, end)
    reasons = np.array(alerts.item_reason, dtype=object)
    followed = _followed(
        facts, alerts.item_subject_id, alerts.item_day, outcome_subject, outcome_day, settings
    )
    rules = []
    names = [rule.id for rule in ruleset.rules]
    if model is not None:
        names += list(RISK_REASONS.values())
    for name in names:
        mine = reasons == name if len(reasons) else np.zeros(0, dtype=bool)
        count = int(mine.sum())
        rules.append(
            {
                "rule": name,
                "alerts": count,
                "precision": round(float(followed[mine].mean()), 3) if count else None,
            }
        )
    alert_followed = _followed(
        facts, alerts.subject_id, alerts.day, outcome_subject, outcome_day, settings
    )
    outcomes_count = int(in_period.sum())
    acts = np.array(facts.codebooks["acts"], dtype=object)[facts.act[outcome_row[in_period]]]
    by_act = {}
    for act in sorted(set(acts)):
        mine = acts == act
        by_act[str(act)] = {
            "outcomes": int(mine.sum()),
            "alerted_7d": int(alerted[mine].sum()),
            "recall_7d": round(float(alerted[mine].mean()), 3),
        }
    return {
        "from": from_day(start),
        "to": from_day(end),
        "outcomes": outcomes_count,
        "alerted_7d": int(alerted.sum()),
        "recall_7d": round(float(alerted.mean()), 3) if outcomes_count else None,
        "median_lead_days": float(np.median(leads)) if len(leads) else None,
        "alerts": len(alerts),
        "high_or_extreme_alerts": int(warning.sum()),
        "persons_at_risk": persons,
        "person_months": round(person_months, 1),
        "alerts_per_100_persons_month": round(100 * len(alerts) / person_months, 3)
        if person_months
        else None,
        "precision": round(float(alert_followed.mean()), 3) if len(alerts) else None,
        "rules": rules,
        "by_act": by_act,
        "settings": asdict(settings),
    }


def _followed(
    facts: Facts,
    subject_id: IntArray,
    day: IntArray,
    outcome_subject: IntArray,
    outcome_day: IntArray,
    settings: Settings,
) -> np.ndarray:
    """Whether each (subject, day) is followed by a grave outcome of the subject within
    precision_days (after the day, not on it)."""
    outcome_rank = facts.subject_rank(outcome_subject)
    order = np.lexsort((outcome_day, outcome_rank))
    keys = day_key(outcome_rank[order], outcome_day[order])
    rank = facts.subject_rank(subject_id)
    low = np.searchsorted(keys, day_key(rank, day + 1), side="left")
    high = np.searchsorted(keys, day_key(rank, day + settings.precision_days), side="right")
    return high > low


def _person_months(facts: Facts, start: int, end: int) -> tuple[float, int]:
    """Σ over the months of the period of the subjects at risk by the month's end, each month
    weighted by its share inside the period; and the subjects at risk by the end."""
    first_known = np.full(len(facts.subjects), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_known, facts.subject, facts.available)
    first_known.sort()
    total = 0.0
    month = datetime.date.fromisoformat(from_day(start)).replace(day=1)
    last = datetime.date.fromisoformat(from_day(end))
    while month <= last:
        days_in_month = calendar.monthrange(month.year, month.month)[1]
        month_start = int(np.datetime64(month, "D").astype(np.int64))
        month_end = month_start + days_in_month - 1
        inside = min(month_end, end) - max(month_start, start) + 1
        at_risk = int(np.searchsorted(first_known, min(month_end, end), side="right"))
        total += at_risk * inside / days_in_month
        month = (month + datetime.timedelta(days=days_in_month)).replace(day=1)
    return total, int(np.searchsorted(first_known, end, side="right"))


HEADINGS = {
    "title": "Backtest from {start} to {end}",
    "engine": "Rules and risk",
    "baseline": "Alert on every threat",
    "outcomes": "Killings and grave attacks",
    "alerted": "Alerted {lead}+ days before",
    "recall": "Lead-time recall",
    "lead": "Median lead time (days)",
    "alerts": "Alerts",
    "burden": "Alerts per 100 persons at risk per month",
    "precision": "Alerts followed by a grave outcome within {days} days",
    "rule": "Reason",
    "rule_alerts": "Alerts",
    "rule_precision": "Precision",
}


def format_report(
    report: Mapping[str, Any],
    headings: Mapping[str, str] | None = None,
    rule_labels: Mapping[str, str] | None = None,
) -> str:
    """The report as a readable text table. `headings` (see HEADINGS) and `rule_labels`
    (rule id → label) let the caller translate it."""
    text = {**HEADINGS, **(headings or {})}
    labels = rule_labels or {}
    settings = report["settings"]
    columns = [report] + ([report["baseline"]] if "baseline" in report else [])
    names = [text["engine"]] + ([text["baseline"]] if "baseline" in report else [])

    def percent(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}%"

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:g}"

    lines = [
        (text["outcomes"], [str(c["outcomes"]) for c in columns]),
        (
            text["alerted"].format(lead=settings["lead_days"]),
            [str(c["alerted_7d"]) for c in columns],
        ),
        (text["recall"], [percent(c["recall_7d"]) for c in columns]),
        (text["lead"], [number(c["median_lead_days"]) for c in columns]),
        (text["alerts"], [str(c["alerts"]) for c in columns]),
        (text["burden"], [number(c["alerts_per_100_persons_month"]) for c in columns]),
        (
            text["precision"].format(days=settings["precision_days"]),
            [percent(c["precision"]) for c in columns],
        ),
    ]
    width = max(len(label) for label, _ in lines) + 2
    cell = max(14, *(len(name) + 2 for name in names))
    out = [text["title"].format(start=report["from"], end=report["to"]), ""]
    out.append(" " * width + "".join(name.rjust(cell) for name in names))
    for label, values in lines:
        out.append(label.ljust(width) + "".join(value.rjust(cell) for value in values))
    out.append("")
    rule_width = (
        max([len(text["rule"])] + [len(labels.get(r["rule"], r["rule"])) for r in report["rules"]])
        + 2
    )
    out.append(
        text["rule"].ljust(rule_width)
        + text["rule_alerts"].rjust(10)
        + text["rule_precision"].rjust(12)
    )
    for rule in report["rules"]:
        out.append(
            labels.get(rule["rule"], rule["rule"]).ljust(rule_width)
            + str(rule["alerts"]).rjust(10)
            + percent(rule["precision"]).rjust(12)
        )
    return "\n".join(out)

"""Risk assessment: how much danger a person or organisation is in on a given day, and why.

It follows the risk equation that protection manuals for defenders use (Protection International,
Front Line Defenders): risk = threat x vulnerability / capacity, written here as

    score = threat points * (1 + sum of vulnerability weights)
            * (1 - min(sum of capacity weights, max_capacity))

Threat points come from the subject's documented facts within each indicator's window (threats,
surveillance, smear campaigns, judicial harassment, attacks on relatives, prior attacks), counted
per incident and capped; unverified intake reports count for `unverified_weight` of an incident.
Vulnerability factors (type of defender, women defenders, indigenous, land or environmental work,
rural or isolated, no protective measures) and capacities (protective measures, network and legal
support) are read from the subject's latest row known that day. Without any threat indicator the
score is 0: vulnerability alone does not make an alert. The score's level is the highest whose
threshold it reaches. Factors, weights and thresholds are data: risk_model.yaml.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from amparo.analysis.escalation.documents import Document, Labels
from amparo.analysis.escalation.filters import Filter, parse_filter
from amparo.analysis.escalation.signals import Facts, IntArray
from amparo.analysis.escalation.vocabulary import Vocabularies
from amparo.analysis.escalation.windows import day_key, first_of_groups, looking_back

RISK_FILE = Path(__file__).with_name("risk_model.yaml")
LEVELS = ("low", "medium", "high", "extreme")
KINDS = ("threat", "vulnerability", "capacity")


@dataclass(frozen=True)
class ThreatIndicator:
    id: str
    labels: Labels
    when: Filter
    within_days: int
    points: float
    max_points: float


@dataclass(frozen=True)
class Factor:
    """A vulnerability factor or a capacity: a weight when the subject's latest row matches."""

    id: str
    labels: Labels
    when: Filter
    weight: float


@dataclass(frozen=True)
class RiskModel:
    threat_indicators: tuple[ThreatIndicator, ...]
    vulnerabilities: tuple[Factor, ...]
    capacities: tuple[Factor, ...]
    thresholds: tuple[float, float, float, float]  # where low, medium, high, extreme start
    level_labels: tuple[Labels, Labels, Labels, Labels]
    unverified_weight: float
    max_capacity: float
    file: str = ""

    def labels(self, factor_id: str) -> Labels:
        for indicator in self.threat_indicators:
            if indicator.id == factor_id:
                return indicator.labels
        for factor in (*self.vulnerabilities, *self.capacities):
            if factor.id == factor_id:
                return factor.labels
        raise KeyError(factor_id)

    def level_of(self, score: np.ndarray) -> IntArray:
        return (np.searchsorted(np.array(self.thresholds), score, side="right") - 1).astype(
            np.int64
        )

    def with_values(
        self,
        thresholds: Sequence[float] | None = None,
        points: dict[str, float] | None = None,
    ) -> RiskModel:
        """The same model with other thresholds or points per incident (for tuning)."""
        from dataclasses import replace

        indicators = tuple(
            replace(i, points=points[i.id]) if points and i.id in points else i
            for i in self.threat_indicators
        )
        chosen = tuple(thresholds) if thresholds is not None else self.thresholds
        return replace(self, threat_indicators=indicators, thresholds=chosen)  # type: ignore[arg-type]


def load_risk_model(
    path: Path | None = None, vocabularies: Vocabularies | None = None
) -> RiskModel:
    """The risk model file (the shipped one by default), checked: DefinitionError lists every
    problem with its file, line and path."""
    vocabularies = vocabularies or Vocabularies.shipped()
    document = Document(path or RISK_FILE)
    top = document.mapping(
        document.data,
        "",
        required=(
            "version",
            "levels",
            "threat_indicators",
            "vulnerability_factors",
            "capacities",
            "unverified_weight",
            "max_capacity",
        ),
    )
    if top is None:
        document.raise_problems()
        raise AssertionError
    document.integer(top.get("version"), "version", 1, 1)
    unverified = document.number(top.get("unverified_weight"), "unverified_weight", 0, 1)
    max_capacity = document.number(top.get("max_capacity"), "max_capacity", 0, 0.95)
    levels = document.mapping(top.get("levels"), "levels", required=LEVELS)
    thresholds: list[float] = []
    level_labels: list[Labels] = []
    for level in LEVELS:
        fields = document.mapping(
            (levels or {}).get(level), f"levels.{level}", required=("from", "label")
        )
        if fields is None:
            continue
        start = document.number(fields.get("from"), f"levels.{level}.from", 0, 1e6)
        label = document.labels(fields.get("label"), f"levels.{level}.label")
        if start is not None and label is not None:
            if level == "low" and start != 0:
                document.problem(f"levels.{level}.from", "the lowest level should start at 0")
            elif thresholds and start <= thresholds[-1]:
                document.problem(f"levels.{level}.from", "should be above the level below")
            thresholds.append(start)
            level_labels.append(label)
    ids: dict[str, str] = {}
    indicators = []
    for index, item in enumerate(
        document.items(top.get("threat_indicators"), "threat_indicators") or []
    ):
        where = f"threat_indicators[{index}]"
        fields = document.mapping(
            item, where, required=("id", "label", "when", "within_days", "points", "max_points")
        )
        if fields is None:
            continue
        parts = (
            document.code(fields.get("id"), f"{where}.id"),
            document.labels(fields.get("label"), f"{where}.label"),
            parse_filter(document, fields.get("when"), f"{where}.when", vocabularies),
            document.integer(fields.get("within_days"), f"{where}.within_days", 1, 3660),
            document.number(fields.get("points"), f"{where}.points", 0, 1000),
            document.number(fields.get("max_points"), f"{where}.max_points", 0, 10000),
        )
        if isinstance(parts[0], str):
            ids[f"{where}.id"] = parts[0]
        if all(part is not None for part in parts):
            indicators.append(ThreatIndicator(*parts))  # type: ignore[arg-type]
    factors: dict[str, list[Factor]] = {"vulnerability_factors": [], "capacities": []}
    for section, found in factors.items():
        for index, item in enumerate(document.items(top.get(section), section) or []):
            where = f"{section}[{index}]"
            fields = document.mapping(item, where, required=("id", "label", "when", "weight"))
            if fields is None:
                continue
            factor_parts = (
                document.code(fields.get("id"), f"{where}.id"),
                document.labels(fields.get("label"), f"{where}.label"),
                parse_filter(document, fields.get("when"), f"{where}.when", vocabularies),
                document.number(fields.get("weight"), f"{where}.weight", 0, 10),
            )
            if isinstance(factor_parts[0], str):
                ids[f"{where}.id"] = factor_parts[0]
            if all(part is not None for part in factor_parts):
                found.append(Factor(*factor_parts))  # type: ignore[arg-type]
    document.unique_ids(ids)
    document.raise_problems()
    assert unverified is not None and max_capacity is not None
    return RiskModel(
        tuple(indicators),
        tuple(factors["vulnerability_factors"]),
        tuple(factors["capacities"]),
        (thresholds[0], thresholds[1], thresholds[2], thresholds[3]),
        (level_labels[0], level_labels[1], level_labels[2], level_labels[3]),
        unverified,
        max_capacity,
        document.file,
    )


@dataclass(frozen=True)
class Assessments:
    """Risk at some (subject, day) points: aligned arrays, and the reasons for each."""

    model: RiskModel
    subject_id: IntArray
    as_of: IntArray
    threat: np.ndarray
    vulnerability: np.ndarray
    capacity: np.ndarray
    score: np.ndarray
    level: IntArray  # index into LEVELS
    reason_point: IntArray
    reason_factor: tuple[str, ...]
    reason_kind: tuple[str, ...]
    reason_value: np.ndarray
    reason_signals: tuple[tuple[int, ...], ...]

    def __len__(self) -> int:
        return len(self.subject_id)

    def table(self) -> pd.DataFrame:
        """One row per assessment: subject_id, as_of (date), score, level, threat, vulnerability,
        capacity."""
        return pd.DataFrame(
            {
                "subject_id": self.subject_id,
                "as_of": self.as_of.astype("datetime64[D]"),
                "score": np.round(self.score, 2),
                "level": [LEVELS[level] for level in self.level],
                "threat": np.round(self.threat, 2),
                "vulnerability": np.round(self.vulnerability, 3),
                "capacity": np.round(self.capacity, 3),
            }
        )

    def reasons(self) -> pd.DataFrame:
        """What produced each assessment: subject_id, as_of, factor (its id in the model), kind
        (threat, vulnerability or capacity), value (points or weight), signal_ids (the facts
        behind a threat indicator; empty for the others, which read the subject's latest row)."""
        return pd.DataFrame(
            {
                "subject_id": self.subject_id[self.reason_point],
                "as_of": self.as_of[self.reason_point].astype("datetime64[D]"),
                "factor": list(self.reason_factor),
                "kind": list(self.reason_kind),
                "value": np.round(self.reason_value, 3),
                "signal_ids": list(self.reason_signals),
            }
        )


def assess(
    facts: Facts,
    model: RiskModel,
    as_of: int,
    subjects: Sequence[int] | IntArray | None = None,
) -> Assessments:
    """Every subject's risk as of day `as_of` (days since 1970-01-01), from the facts known that
    day; with `subjects`, only theirs (subjects without a known fact are left out)."""
    known = facts.known_by(as_of)
    ranks = np.arange(len(known.subjects), dtype=np.int64)
    if subjects is not None:
        ranks = known.subject_rank(np.asarray(subjects, dtype=np.int64))
        ranks = ranks[ranks >= 0]
    return assess_points(known, model, ranks, np.full(len(ranks), as_of, dtype=np.int64))


def assess_points(
    facts: Facts, model: RiskModel, subjects: IntArray, days: IntArray, *, explain: bool = True
) -> Assessments:
    """Risk for each (subject rank in `facts`, day) point, each from the facts known on its day."""
    points = len(subjects)
    threat = np.zeros(points)
    reason_point: list[IntArray] = []
    reason_factor: list[str] = []
    reason_kind: list[str] = []
    reason_value: list[np.ndarray] = []
    reason_signals: list[tuple[int, ...]] = []
    usable = facts.act >= 0
    for indicator in model.threat_indicators:
        owner, rows = looking_back(
            facts, subjects, days, indicator.when.mask(facts) & usable, indicator.within_days
        )
        known = facts.available[rows] <= days[owner]
        owner, rows = owner[known], rows[known]
        weight = np.where(facts.unverified[rows], model.unverified_weight, 1.0)
        # One incident counts once, fully if any of its facts is verified.
        order, start = first_of_groups(owner, facts.incident[rows], -weight)
        incidents = np.bincount(owner[order][start], weights=weight[order][start], minlength=points)
        earned = np.minimum(incidents * indicator.points, indicator.max_points)
        threat += earned
        if explain:
            _explain(
                indicator.id,
                "threat",
                earned,
                owner,
                facts.signal_id[rows],
                reason_point,
                reason_factor,
                reason_kind,
                reason_value,
                reason_signals,
            )
    latest = _latest_rows(facts, subjects, days)
    sums = {}
    for kind, factors in (("vulnerability", model.vulnerabilities), ("capacity", model.capacities)):
        total = np.zeros(points)
        for factor in factors:
            holds = np.append(factor.when.mask(facts), False)[latest]
            total += np.where(holds, factor.weight, 0.0)
            if explain:
                _explain(
                    factor.id,
                    kind,
                    np.where(holds, factor.weight, 0.0),
                    np.zeros(0, np.int64),
                    np.zeros(0, np.int64),
                    reason_point,
                    reason_factor,
                    reason_kind,
                    reason_value,
                    reason_signals,
                )
        sums[kind] = total
    capacity = np.minimum(sums["capacity"], model.max_capacity)
    score = threat * (1 + sums["vulnerability"]) * (1 - capacity)
    return Assessments(
        model=model,
        subject_id=facts.subjects[subjects] if len(subjects) else np.zeros(0, np.int64),
        as_of=days,
        threat=threat,
        vulnerability=sums["vulnerability"],
        capacity=capacity,
        score=score,
        level=model.level_of(score),
        reason_point=np.concatenate(reason_point) if reason_point else np.zeros(0, np.int64),
        reason_factor=tuple(reason_factor),
        reason_kind=tuple(reason_kind),
        reason_value=np.concatenate(reason_value) if reason_value else np.zeros(0),
        reason_signals=tuple(reason_signals),
    )


def _latest_rows(facts: Facts, subjects: IntArray, days: IntArray) -> IntArray:
    """Each point's subject's latest row known by its day (len(facts), i.e. none, if there is no
    such row)."""
    order = np.lexsort((np.arange(len(facts)), facts.available, facts.subject))
    keys = day_key(facts.subject[order], facts.available[order])
    position = np.searchsorted(keys, day_key(subjects, days), side="right") - 1
    safe = np.maximum(position, 0)
    found = (position >= 0) & (len(order) > 0)
    if len(order):
        found &= facts.subject[order[safe]] == subjects
    return np.where(found, order[safe] if len(order) else 0, len(facts)).astype(np.int64)


def _explain(
    factor: str,
    kind: str,
    value: np.ndarray,
    owner: IntArray,
    signals: IntArray,
    reason_point: list[IntArray],
    reason_factor: list[str],
    reason_kind: list[str],
    reason_value: list[np.ndarray],
    reason_signals: list[tuple[int, ...]],
) -> None:
    """Record, for each point where the factor counted, its value and the facts behind it."""
    counted = np.flatnonzero(value > 0)
    if not len(counted):
        return
    reason_point.append(counted)
    reason_factor.extend([factor] * len(counted))
    reason_kind.extend([kind] * len(counted))
    reason_value.append(value[counted])
    if len(owner):
        order = np.lexsort((signals, owner))
        owner, signals = owner[order], signals[order]
        bounds_low = np.searchsorted(owner, counted, side="left")
        bounds_high = np.searchsorted(owner, counted, side="right")
        reason_signals.extend(
            tuple(int(s) for s in signals[low:high])
            for low, high in zip(bounds_low, bounds_high, strict=True)
        )
    else:
        reason_signals.extend([()] * len(counted))

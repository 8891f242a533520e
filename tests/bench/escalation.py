"""Early warning engine: synthetic histories, backtest figures and evaluation at scale.

`generate_world(stories, seed)` writes, without Django, the signals table of a world built as
`amparo demo` builds its case world (amparo/demo/cases.py): one story per defender, escalating
from warnings (threats, surveillance, smear campaigns) to pressure (judicial harassment, raids) to
violence, 5% of stories ending in a killing, four in five of those after an opening death threat;
companion acts, colleagues attacked together, relatives threatened, organisations as victims,
imprecise dates, sources received 0-30 days after the act (the day a fact becomes known), and
interventions that grant capacities. tests/cases/test_demo_matches_escalation_world.py checks that
its tables stay those of the demo. With `persons`, every victim is drawn from a pool of that many
people instead (denser histories, for the scale benchmark).

`escalation`: the backtest of the shipped rules and risk model, and of the naive "alert on every
threat", on worlds from the tuning seeds and from the validation seeds; then, on a world of
AMPARO_BENCH_ESCALATION_ACTS acts (default 1,000,000) among AMPARO_BENCH_ESCALATION_PERSONS
persons (default 100,000): the nightly evaluation of all rules and of every subject's risk (time,
and peak memory traced by tracemalloc in a second run), the backtest's time, and the incremental
evaluation of one subject (its facts plus the context its region gives contextual rules): p50/p95.
AMPARO_BENCH_ESCALATION_SCALE_ONLY=1 measures only the latter.

`escalation_tuning`: the grid search that chose the thresholds and threat points of
risk_model.yaml, on the tuning seeds, and the chosen values' figures on the validation seeds.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import os
import random
import statistics
import time
import tracemalloc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

from amparo.analysis.escalation import (
    BASELINE_FILE,
    Facts,
    RiskModel,
    RuleSet,
    Vocabularies,
    assess,
    backtest,
    evaluate,
    load_risk_model,
    load_rules,
    to_day,
)
from tests.bench import Figures, benchmark

T = TypeVar("T")

TUNING_SEEDS = (101, 102, 103)
VALIDATION_SEEDS = (201, 202, 203)
BACKTEST_STORIES = int(os.environ.get("AMPARO_BENCH_ESCALATION_STORIES", "20000"))
SCALE_ACTS = int(os.environ.get("AMPARO_BENCH_ESCALATION_ACTS", "1000000"))
SCALE_PERSONS = int(os.environ.get("AMPARO_BENCH_ESCALATION_PERSONS", "100000"))
INCREMENTAL_SAMPLES = 300
# AMPARO_BENCH_ESCALATION_SCALE_ONLY=1: only the evaluation at scale, not the seeds' backtests.
SCALE_ONLY = os.environ.get("AMPARO_BENCH_ESCALATION_SCALE_ONLY", "") not in {"", "0"}
# The backtest period: the demo's last three years.
PERIOD = ("2023-07-01", "2026-06-30")

# --- the demo's tables (amparo/demo/cases.py) -----------------------------------------------------

ANCHOR = datetime.date(2026, 6, 30)
FIRST_DAY = datetime.date(2019, 1, 1)
COUNTRIES: list[tuple[str, int]] = [
    ("KE", 6), ("UG", 2), ("CD", 2), ("ZW", 1), ("CO", 5), ("MX", 4),
    ("HN", 2), ("GT", 2), ("BR", 4), ("PH", 3), ("IN", 2), ("TN", 1),
]  # fmt: skip
DEFENDER_TYPES = {
    "journalist": 14, "environmental": 14, "indigenous": 10, "community_leader": 12, "lawyer": 8,
    "women_hrd": 8, "lgbti": 5, "trade_unionist": 6, "ngo_worker": 8, "anti_corruption": 4,
    "student_academic": 3, "afro_descendant": 3, "victims_relatives": 3, "digital_rights": 3,
    "migrant_rights": 2, "health_worker": 2, "religious_leader": 2,
}  # fmt: skip
SEXES = {
    "woman": 41,
    "man": 52,
    "trans_woman": 1.5,
    "trans_man": 0.5,
    "non_binary": 1,
    "unknown": 4,
}
COLLEAGUE_CHANCE = 0.5
WARNING, PRESSURE, VIOLENCE, KILLING = range(4)
MAIN_ACTS: dict[int, dict[str, float]] = {
    WARNING: {
        "threat_death": 16, "threat_anonymous": 8, "threat_online": 8, "threat_family": 4,
        "surveillance_physical": 7, "surveillance_digital": 4, "stigmatisation_officials": 6,
        "stigmatisation_online": 6, "stigmatisation_media": 4, "coordinated_harassment": 3,
    },
    PRESSURE: {
        "criminalisation": 12, "arbitrary_detention": 12, "slapp": 4, "law_defamation": 3,
        "law_public_order": 3, "law_counter_terrorism": 2, "raid": 8, "registration_denial": 2,
        "arbitrary_audit": 2, "doxxing": 2, "hacking": 3, "travel_ban": 2,
    },
    VIOLENCE: {
        "physical_attack": 14, "attempted_killing": 5, "abduction": 4, "torture": 3,
        "sexual_violence": 2, "enforced_disappearance": 2, "internal_displacement": 4, "exile": 2,
    },
    KILLING: {"killing": 1},
}  # fmt: skip
COMPANIONS: dict[str, list[tuple[str, float]]] = {
    "threat_death": [
        ("threat_family", 0.72), ("surveillance_physical", 0.64), ("threat_online", 0.48),
    ],
    "threat_anonymous": [("threat_death", 0.8), ("surveillance_physical", 0.48)],
    "threat_online": [
        ("coordinated_harassment", 0.8), ("doxxing", 0.48), ("stigmatisation_online", 0.64),
    ],
    "surveillance_physical": [("threat_death", 0.8), ("surveillance_digital", 0.48)],
    "stigmatisation_officials": [("stigmatisation_media", 0.8), ("threat_online", 0.64)],
    "criminalisation": [("arbitrary_detention", 0.8), ("stigmatisation_officials", 0.8)],
    "arbitrary_detention": [("criminalisation", 0.9), ("torture", 0.32), ("threat_death", 0.48)],
    "raid": [("theft_information", 0.9), ("arbitrary_detention", 0.64), ("threat_death", 0.48)],
    "hacking": [("theft_information", 0.8), ("doxxing", 0.64)],
    "physical_attack": [
        ("threat_death", 0.9), ("theft_information", 0.48), ("threat_family", 0.48),
    ],
    "attempted_killing": [("threat_death", 0.8), ("internal_displacement", 0.64)],
    "abduction": [("torture", 0.8), ("threat_death", 0.8)],
    "killing": [("threat_family", 0.8), ("threat_death", 0.48)],
}  # fmt: skip
PERPETRATORS: dict[int, dict[str, float]] = {
    WARNING: {
        "24:990000000000": 30, "24:010100000000": 15, "organised_crime": 10,
        "online_troll_network": 10, "extractive_company": 6, "private_security_company": 6,
        "political_party": 4, "anti_rights_group": 4,
    },
    PRESSURE: {
        "24:010100000000": 40, "public_prosecutor": 20, "24:010300000000": 10,
        "extractive_company": 6, "agribusiness_company": 4, "surveillance_vendor": 3,
        "24:990000000000": 8,
    },
    VIOLENCE: {
        "24:010100000000": 20, "24:990000000000": 25, "organised_crime": 15,
        "private_security_company": 10, "24:020300000000": 8, "24:020500000000": 6,
        "illegal_mining_logging": 6,
    },
    KILLING: {
        "24:990000000000": 40, "organised_crime": 15, "24:010100000000": 12,
        "illegal_mining_logging": 8, "private_security_company": 8, "24:020300000000": 8,
        "drug_trafficking": 6,
    },
}  # fmt: skip
CONSEQUENCES = {
    "killing": {"010100000000": 1},
    "attempted_killing": {"010200000000": 1},
    "physical_attack": {"010200000000": 1},
    "torture": {"010200000000": 1},
    "arbitrary_detention": {"020100000000": 70, "020200000000": 30},
    "abduction": {"010400000000": 70, "010300000000": 30},
    "enforced_disappearance": {"010300000000": 1},
    "internal_displacement": {"030300000000": 1},
    "exile": {"030200000000": 1},
    "travel_ban": {"030100000000": 1},
}
INTERVENTIONS = {
    "urgent_appeal": 20, "protective_measures": 15, "demand_investigation": 12,
    "un_special_procedure": 10, "legal_support": 10, "public_statement": 8,
    "precautionary_measures": 5, "nhri_inquiry": 5, "trial_observation": 5,
    "temporary_relocation": 4, "digital_security": 3, "un_reprisals": 3,
}  # fmt: skip
STORY_LENGTHS = {1: 40, 2: 25, 3: 15, 4: 10, 5: 6, 6: 4}
FIRST_STAGES = {WARNING: 70, PRESSURE: 25, VIOLENCE: 5}
PRECISIONS = {"day": 82, "month": 14, "year": 4}
ORGANISATION_ACTS = ("raid", "theft_information", "registration_denial", "arbitrary_audit")

# --- what the signals table makes of the demo's interventions (a suggestion for the warning app) --

CAPACITY_OF_INTERVENTION = {
    "protective_measures": "protective_measures",
    "precautionary_measures": "protective_measures",
    "temporary_relocation": "protective_measures",
    "legal_support": "legal_support",
    "trial_observation": "legal_support",
    "urgent_appeal": "network_support",
    "public_statement": "network_support",
}


_CUMULATIVE: dict[int, tuple[Mapping[Any, float], list[Any], list[float]]] = {}


def weighted(rng: random.Random, weights: Mapping[T, float]) -> T:
    """A key drawn in proportion to its weight, as the demo's `weighted` (each table summed once;
    the cache holds the table itself, so that its id cannot be reused by another)."""
    cached = _CUMULATIVE.get(id(weights))
    if cached is None or cached[0] is not weights:
        cached = (weights, list(weights), list(itertools.accumulate(weights.values())))
        _CUMULATIVE[id(weights)] = cached
    keys, cumulative = cached[1], cached[2]
    return keys[bisect.bisect(cumulative, rng.random() * cumulative[-1])]  # type: ignore[no-any-return]


def plan(rng: random.Random) -> list[int]:
    """The stages of a story's events (demo.Generator._plan)."""
    if rng.random() < 0.05:
        if rng.random() < 0.2:
            return [KILLING]
        before = [rng.choice([WARNING, WARNING, PRESSURE]) for _ in range(rng.randint(1, 4))]
        before[0] = WARNING
        return [*before, KILLING]
    length = weighted(rng, STORY_LENGTHS)
    stage = weighted(rng, FIRST_STAGES)
    stages = []
    for _ in range(length):
        stages.append(stage)
        if rng.random() < 0.35:
            stage = min(VIOLENCE, stage + 1)
    return stages


_REGIONS: dict[str, list[str]] = {}


def regions(country: str) -> list[str]:
    import pycountry

    if country not in _REGIONS:
        subdivisions = pycountry.subdivisions.get(country_code=country) or []  # type: ignore[no-untyped-call]
        _REGIONS[country] = sorted(
            s.code for s in subdivisions if s.parent_code is None and len(s.code) <= 6
        )
    return _REGIONS[country]


@dataclass
class Person:
    id: int
    kind: str
    country: str
    region: str
    sex: str
    types: tuple[str, ...]
    capacities: set[str] = field(default_factory=set)
    capacity_days: dict[str, datetime.date] = field(default_factory=dict)


@dataclass
class World:
    signals: pd.DataFrame
    stories: int
    killings: int = 0
    killings_after_threats: int = 0

    def figures(self) -> dict[str, Any]:
        return {
            "stories": self.stories,
            "signals": len(self.signals),
            "subjects": int(self.signals["subject_id"].nunique()),
            "killings": self.killings,
            "killings_after_threats": self.killings_after_threats,
        }


class _Writer:
    """Builds the signals table column by column (fast enough for a million rows)."""

    COLUMNS = (
        "signal_id", "subject_id", "subject_kind", "date", "date_precision", "known_on",
        "incident_id", "act", "consequences", "perpetrator_types", "country", "region",
        "defender_types", "sex", "protective_measures", "network_support", "legal_support",
    )  # fmt: skip

    def __init__(self, seed: int, persons: int | None) -> None:
        self.seed = seed
        self.columns: dict[str, list[Any]] = {name: [] for name in self.COLUMNS}
        self.next_person = 1
        self.next_incident = 1
        self.pool: dict[int, Person] = {}
        self.pool_size = persons
        self.killings = 0
        self.killings_after_threats = 0

    def person(
        self,
        rng: random.Random,
        country: str,
        region: str,
        types: tuple[str, ...] = (),
        kind: str = "individual",
    ) -> Person:
        if self.pool_size:
            return self._pooled(rng.randrange(self.pool_size), kind)
        person = Person(
            self.next_person,
            kind,
            country,
            region,
            "not_applicable" if kind == "organisation" else weighted(rng, SEXES),
            types,
        )
        self.next_person += 1
        return person

    def _pooled(self, number: int, kind: str = "individual") -> Person:
        if number not in self.pool:
            rng = random.Random(f"{self.seed}:person:{number}")
            country = rng.choices([c for c, _ in COUNTRIES], weights=[w for _, w in COUNTRIES])[0]
            places = regions(country)
            types = {weighted(rng, DEFENDER_TYPES)}
            if rng.random() < 0.3:
                types.add(weighted(rng, DEFENDER_TYPES))
            self.pool[number] = Person(
                number + 1,
                kind,
                country,
                rng.choice(places) if places else "",
                weighted(rng, SEXES) if kind == "individual" else "not_applicable",
                tuple(sorted(types)) if kind == "individual" else ("cso",),
            )
        return self.pool[number]

    def row(
        self,
        person: Person,
        day: datetime.date,
        precision: str,
        known: datetime.date | None,
        incident: int | None,
        act: str,
        consequences: tuple[str, ...] = (),
        perpetrators: tuple[str, ...] = (),
    ) -> None:
        columns = self.columns
        columns["signal_id"].append(len(columns["signal_id"]) + 1)
        columns["subject_id"].append(person.id)
        columns["subject_kind"].append(person.kind)
        columns["date"].append(day)
        columns["date_precision"].append(precision)
        columns["known_on"].append(known)
        columns["incident_id"].append(incident)
        columns["act"].append(act)
        columns["consequences"].append(consequences)
        columns["perpetrator_types"].append(perpetrators)
        columns["country"].append(person.country)
        columns["region"].append(person.region)
        columns["defender_types"].append(person.types)
        columns["sex"].append(person.sex)
        for capacity in ("protective_measures", "network_support", "legal_support"):
            granted = person.capacity_days.get(capacity)
            columns[capacity].append(granted is not None and granted <= (known or day))

    def story(self, seed: int, index: int) -> int:
        """One defender's story, as demo.Generator.story tells it; the number of acts written."""
        rng = random.Random(f"{seed}:{index}")
        written = len(self.columns["signal_id"])
        if self.pool_size:
            defender = self._pooled(rng.randrange(self.pool_size))
            country, region = defender.country, defender.region
            types = list(defender.types)
        else:
            country = rng.choices([c for c, _ in COUNTRIES], weights=[w for _, w in COUNTRIES])[0]
            places = regions(country)
            region = rng.choice(places) if places else ""
            types = [weighted(rng, DEFENDER_TYPES)]
            if rng.random() < 0.3:
                types.append(weighted(rng, DEFENDER_TYPES))
            defender = self.person(rng, country, region, tuple(sorted(set(types))))
        organisation = None
        if rng.random() < 0.3:
            organisation = (
                self._pooled(rng.randrange(self.pool_size), "organisation")
                if self.pool_size
                else self.person(rng, country, region, ("cso",), "organisation")
            )
        stages = plan(rng)
        day = FIRST_DAY + datetime.timedelta(days=rng.randrange((ANCHOR - FIRST_DAY).days))
        threatened = False
        for position, stage in enumerate(stages):
            if position:
                day += datetime.timedelta(days=rng.randint(7, 150))
            day = min(day, ANCHOR)
            warned = stages[-1] == KILLING and position == 0 and stage == WARNING
            main = "threat_death" if warned else weighted(rng, MAIN_ACTS[stage])
            if stage == KILLING:
                self.killings += 1
                self.killings_after_threats += threatened
            precision = weighted(rng, PRECISIONS)
            start = (
                day
                if precision == "day"
                else day.replace(day=1)
                if precision == "month"
                else day.replace(month=1, day=1)
            )
            sources = rng.randint(2, 4) if stage >= VIOLENCE else (1 if rng.random() < 0.7 else 2)
            known = min(
                ANCHOR,
                start + datetime.timedelta(days=min(rng.randint(0, 30) for _ in range(sources))),
            )
            incident = self.next_incident
            self.next_incident += 1
            codes = [main] + [
                code for code, chance in COMPANIONS.get(main, []) if rng.random() < chance
            ]
            relative = None
            for code in codes:
                victim = defender
                if code == "threat_family":
                    relative = relative or self.person(rng, country, region)
                    victim = relative
                elif code in ORGANISATION_ACTS and organisation and rng.random() < 0.5:
                    victim = organisation
                self._act(rng, victim, start, precision, known, incident, stage, code)
            threatened = threatened or any(code.startswith("threat") for code in codes)
            if rng.random() < COLLEAGUE_CHANCE:
                colleague = self.person(rng, country, region, (types[0],))
                self._act(rng, colleague, start, precision, known, incident, stage, main)
            if organisation is not None and stage == WARNING and rng.random() < 0.3:
                self._act(
                    rng,
                    organisation,
                    start,
                    precision,
                    known,
                    incident,
                    stage,
                    "stigmatisation_officials",
                )
            self._interventions(rng, defender, start, stage)
        return len(self.columns["signal_id"]) - written

    def _act(
        self,
        rng: random.Random,
        victim: Person,
        start: datetime.date,
        precision: str,
        known: datetime.date,
        incident: int,
        stage: int,
        code: str,
    ) -> None:
        consequences = (weighted(rng, CONSEQUENCES[code]),) if code in CONSEQUENCES else ()
        perpetrators = (weighted(rng, PERPETRATORS[stage]),) if rng.random() < 0.85 else ()
        self.row(victim, start, precision, known, incident, code, consequences, perpetrators)

    def _interventions(
        self, rng: random.Random, defender: Person, start: datetime.date, stage: int
    ) -> None:
        if rng.random() >= (0.75 if stage >= VIOLENCE else 0.2):
            return
        for _ in range(rng.randint(1, 2)):
            kind = weighted(rng, INTERVENTIONS)
            on = min(ANCHOR, start + datetime.timedelta(days=rng.randint(1, 45)))
            capacity = CAPACITY_OF_INTERVENTION.get(kind)
            if capacity and capacity not in defender.capacity_days:
                defender.capacity_days[capacity] = on
                # A status row: the subject's capacities changed on that day.
                self.row(defender, on, "day", on, None, "")


def generate_world(
    stories: int, seed: int, *, persons: int | None = None, acts: int | None = None
) -> World:
    """The signals of `stories` stories (or as many as make `acts` rows), the same for a seed."""
    writer = _Writer(seed, persons)
    written = index = 0
    while (index < stories) if acts is None else (written < acts):
        written += writer.story(seed, index)
        index += 1
    frame = pd.DataFrame(writer.columns)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["known_on"] = pd.to_datetime(frame["known_on"])
    frame["incident_id"] = frame["incident_id"].astype("Int64")
    return World(frame, index, writer.killings, writer.killings_after_threats)


# --- backtests ----------------------------------------------------------------------------------


def backtest_world(
    world: World,
    rules: RuleSet,
    model: RiskModel,
    baseline: RuleSet | None,
    vocabularies: Vocabularies,
    facts: Facts | None = None,
) -> dict[str, Any]:
    facts = facts or Facts.from_frame(world.signals, vocabularies)
    start, end = (int(d) for d in to_day(list(PERIOD)))
    return backtest(facts, rules, model, start, end, baseline=baseline)


def _summary(report: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("outcomes", "alerted_7d", "recall_7d", "median_lead_days", "alerts",
            "alerts_per_100_persons_month", "precision")  # fmt: skip
    summary = {key: report[key] for key in keys}
    if "baseline" in report:
        summary["baseline"] = {key: report["baseline"][key] for key in keys}
        summary["comparison"] = report["comparison"]
    summary["rules"] = report["rules"]
    return summary


def _pooled_figures(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Figures over several worlds: outcomes and alerts added up, medians of the lead times."""

    def pool(key: str, source: list[dict[str, Any]]) -> dict[str, Any]:
        outcomes = sum(r["outcomes"] for r in source)
        alerted = sum(r["alerted_7d"] for r in source)
        return {
            "outcomes": outcomes,
            "alerted_7d": alerted,
            "recall_7d": round(alerted / outcomes, 3) if outcomes else None,
            "median_lead_days_per_world": [r["median_lead_days"] for r in source],
            "alerts": sum(r["alerts"] for r in source),
            "alerts_per_100_persons_month": round(
                statistics.mean(r["alerts_per_100_persons_month"] for r in source), 3
            ),
            "precision": round(statistics.mean(r["precision"] or 0 for r in source), 3),
        }

    return {
        "engine": pool("engine", reports),
        "naive_every_threat": pool("baseline", [r["baseline"] for r in reports]),
    }


def backtest_seeds(
    seeds: tuple[int, ...], rules: RuleSet, model: RiskModel, vocabularies: Vocabularies
) -> dict[str, Any]:
    baseline = load_rules(BASELINE_FILE, vocabularies)
    reports = []
    for seed in seeds:
        world = generate_world(BACKTEST_STORIES, seed)
        reports.append(backtest_world(world, rules, model, baseline, vocabularies))
    return {
        "seeds": list(seeds),
        "stories_per_world": BACKTEST_STORIES,
        "period": list(PERIOD),
        **_pooled_figures(reports),
        "worlds": [_summary(r) for r in reports],
    }


# --- benchmarks ---------------------------------------------------------------------------------


def _median_seconds(work: Any, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def _peak_megabytes(work: Any) -> float:
    tracemalloc.start()
    try:
        work()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def incremental_signals(world: pd.DataFrame, subject: int, rules: RuleSet) -> pd.DataFrame:
    """What the warning app reads to evaluate one subject: its rows, and the rows of others in its
    regions whose acts contextual rules read, within their window."""
    own = world[world["subject_id"] == subject]
    context_acts = rules.context_acts()
    window = pd.Timedelta(days=rules.context_days())
    others = world[
        world["region"].isin(set(own["region"]) - {""})
        & (world["subject_id"] != subject)
        & (world["act"].isin(context_acts) if context_acts is not None else True)
        & (world["date"] >= own["date"].min() - window)
        & (world["date"] <= own["date"].max() + window)
    ]
    return pd.concat([own, others])


@benchmark("escalation")
def escalation() -> Figures:
    vocabularies = Vocabularies.shipped()
    rules = load_rules(vocabularies=vocabularies)
    model = load_risk_model(vocabularies=vocabularies)
    figures: Figures = {}
    if not SCALE_ONLY:
        figures["tuning"] = backtest_seeds(TUNING_SEEDS, rules, model, vocabularies)
        figures["validation"] = backtest_seeds(VALIDATION_SEEDS, rules, model, vocabularies)

    started = time.perf_counter()
    world = generate_world(0, 7, persons=SCALE_PERSONS, acts=SCALE_ACTS)
    scale: dict[str, Any] = {
        "world": world.figures(),
        "generation_seconds": round(time.perf_counter() - started, 1),
    }
    facts = Facts.from_frame(world.signals, vocabularies)
    today = int(to_day([ANCHOR.isoformat()])[0])

    def nightly() -> None:
        evaluate(facts, rules, as_of=today)
        assess(facts, model, today)

    scale["check_and_index_seconds"] = _median_seconds(
        lambda: Facts.from_frame(world.signals, vocabularies), repeats=1
    )
    scale["firings"] = len(evaluate(facts, rules, as_of=today))
    scale["rules_seconds"] = _median_seconds(lambda: evaluate(facts, rules, as_of=today))
    scale["risk_seconds"] = _median_seconds(lambda: assess(facts, model, today))
    scale["nightly_seconds"] = _median_seconds(nightly)
    scale["nightly_peak_mb"] = _peak_megabytes(nightly)
    start, end = (int(d) for d in to_day(list(PERIOD)))
    scale["backtest_seconds"] = _median_seconds(
        lambda: backtest(facts, rules, model, start, end), repeats=1
    )

    rng = random.Random(7)
    subjects = rng.sample(sorted(set(world.signals["subject_id"])), INCREMENTAL_SAMPLES)
    latencies, sizes = [], []
    for subject in subjects:
        rows = incremental_signals(world.signals, subject, rules)
        sizes.append(len(rows))
        started = time.perf_counter()
        subject_facts = Facts.from_frame(rows, vocabularies)
        evaluate(subject_facts, rules, as_of=today, subjects=[subject])
        assess(subject_facts, model, today, subjects=[subject])
        latencies.append(1000 * (time.perf_counter() - started))
    latencies.sort()
    scale["incremental"] = {
        "subjects": INCREMENTAL_SAMPLES,
        "rows_read_median": statistics.median(sizes),
        "rows_read_max": max(sizes),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)], 2),
    }
    figures["scale"] = scale
    return figures


# --- tuning -------------------------------------------------------------------------------------

# The grid: where high and extreme start, and the points of a threat.
GRID = {
    "high": (20, 25, 30, 35),
    "extreme": (40, 50, 60),
    "threats": (8, 10, 12),
}
# Recall counts first; among settings within this much of the best recall, the fewest alerts.
RECALL_TOLERANCE = 0.01


def _tuned(model: RiskModel, values: Mapping[str, float]) -> RiskModel:
    thresholds = (
        0.0,
        min(10.0, values["high"] / 2),
        float(values["high"]),
        float(values["extreme"]),
    )
    return model.with_values(thresholds=thresholds, points={"threats": values["threats"]})


@benchmark("escalation_tuning")
def escalation_tuning() -> Figures:
    vocabularies = Vocabularies.shipped()
    rules = load_rules(vocabularies=vocabularies)
    model = load_risk_model(vocabularies=vocabularies)
    start, end = (int(d) for d in to_day(list(PERIOD)))
    tuning = [
        Facts.from_frame(generate_world(BACKTEST_STORIES, seed).signals, vocabularies)
        for seed in TUNING_SEEDS
    ]
    results = []
    for combination in itertools.product(*GRID.values()):
        values = dict(zip(GRID, combination, strict=True))
        if values["extreme"] <= values["high"]:
            continue
        candidate = _tuned(model, values)
        reports = [backtest(facts, rules, candidate, start, end) for facts in tuning]
        outcomes = sum(r["outcomes"] for r in reports)
        results.append(
            {
                **values,
                "recall_7d": round(sum(r["alerted_7d"] for r in reports) / outcomes, 4),
                "alerts_per_100_persons_month": round(
                    statistics.mean(r["alerts_per_100_persons_month"] for r in reports), 3
                ),
            }
        )
    best_recall = max(r["recall_7d"] for r in results)
    eligible = [r for r in results if r["recall_7d"] >= best_recall - RECALL_TOLERANCE]
    chosen = min(eligible, key=lambda r: (r["alerts_per_100_persons_month"], -r["recall_7d"]))
    values = {key: chosen[key] for key in GRID}
    tuned = _tuned(model, values)
    return {
        "grid": {key: list(options) for key, options in GRID.items()},
        "chosen": chosen,
        "tuning": backtest_seeds(TUNING_SEEDS, rules, tuned, vocabularies),
        "validation": backtest_seeds(VALIDATION_SEEDS, rules, tuned, vocabularies),
        "all": sorted(results, key=lambda r: (-r["recall_7d"], r["alerts_per_100_persons_month"])),
    }

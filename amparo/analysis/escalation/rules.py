"""Escalation rules: declared in YAML, evaluated for one subject or for everyone, never ahead.

Five kinds of rule (see escalation_rules.yaml for the file's format):

- single_event: one fact matching `when` (a reprisal against an NHRI).
- count_in_window: `at_least` distinct incidents matching `when` within `within_days` of each
  other (two threats in 90 days; the acts of one event are one incident).
- sequence: a fact matching `then` preceded, within `within_days`, by a fact matching `first`
  from another incident (a threat followed by surveillance or a physical attack).
- co_occurrence: facts matching each filter of `all_of`, all within `within_days` (judicial
  harassment together with a smear campaign).
- contextual_in_region: a fact matching `when` and, within `within_days` before or after it, a
  fact matching `context` against another subject in the same region (or country) and, with
  `defender_type` in `same`, sharing a type of defender (a killing of a defender of the same type
  in the same region within 12 months).

A firing is anchored on one fact of the subject (the last of its facts, the subject's own one for
contextual rules) and happens on `fired_on`: the first day on which the facts known by then
satisfy the rule. Every fact a firing lists was known on that day, so evaluating as of any day
gives exactly the firings with fired_on up to that day, whatever is recorded later (no look-ahead
by construction; tests/analysis/escalation checks it). Successive firings of one rule for one
subject less than `quiet_days` apart form one episode: only its first firing starts an alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from amparo.analysis.escalation.documents import Document, Labels
from amparo.analysis.escalation.filters import Filter, parse_filter
from amparo.analysis.escalation.signals import BoolArray, Facts, IntArray
from amparo.analysis.escalation.vocabulary import Vocabularies
from amparo.analysis.escalation.windows import (
    CAP,
    NEVER,
    day_key,
    expand,
    first_of_groups,
    group_min,
    kth_smallest,
    looking_back,
)

RULES_FILE = Path(__file__).with_name("escalation_rules.yaml")
BASELINE_FILE = Path(__file__).with_name("baseline_rules.yaml")
KINDS = ("single_event", "count_in_window", "sequence", "co_occurrence", "contextual_in_region")
LEVELS = ("low", "medium", "high", "extreme")
SAME = ("region", "country", "defender_type")
MAX_WINDOW_DAYS = 3660


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    labels: Labels
    level: str
    quiet_days: int
    count_unverified: bool
    within_days: int = 0
    when: Filter | None = None
    at_least: int = 1
    first: Filter | None = None
    then: Filter | None = None
    all_of: tuple[Filter, ...] = ()
    context: Filter | None = None
    same: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """The rules of a file, and what the backtest counts as a grave outcome."""

    rules: tuple[Rule, ...]
    outcomes: Filter
    outcome_labels: Labels
    file: str = ""
    by_id: dict[str, Rule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {rule.id: rule for rule in self.rules})

    def context_acts(self) -> frozenset[str] | None:
        """The types of act that contextual rules read about other subjects (None: any), so
        that the incremental path fetches only those from the subject's region."""
        found: set[str] = set()
        for rule in self.rules:
            if rule.kind == "contextual_in_region" and rule.context is not None:
                acts = rule.context.acts()
                if acts is None:
                    return None
                found |= acts
        return frozenset(found)

    def context_days(self) -> int:
        """How far before and after a subject's facts contextual rules look."""
        return max(
            (r.within_days for r in self.rules if r.kind == "contextual_in_region"), default=0
        )


def load_rules(path: Path | None = None, vocabularies: Vocabularies | None = None) -> RuleSet:
    """The rule file (the shipped one by default), checked: DefinitionError lists every
    problem with its file, line and path."""
    vocabularies = vocabularies or Vocabularies.shipped()
    document = Document(path or RULES_FILE)
    top = document.mapping(
        document.data, "", required=("version", "rules", "outcomes"), optional=("defaults",)
    )
    if top is None:
        document.raise_problems()
        raise AssertionError  # raise_problems raised
    if "version" in top:
        document.integer(top["version"], "version", 1, 1)
    defaults = {"quiet_days": 90, "count_unverified": True}
    if "defaults" in top:
        given = document.mapping(top["defaults"], "defaults", optional=defaults)
        if given is not None:
            if "quiet_days" in given:
                defaults["quiet_days"] = (
                    document.integer(given["quiet_days"], "defaults.quiet_days", 0, MAX_WINDOW_DAYS)
                    or 0
                )
            if "count_unverified" in given:
                defaults["count_unverified"] = bool(
                    document.boolean(given["count_unverified"], "defaults.count_unverified")
                )
    outcome_filter = outcome_labels = None
    outcomes = document.mapping(top.get("outcomes"), "outcomes", required=("label", "when"))
    if outcomes is not None:
        outcome_labels = document.labels(outcomes.get("label"), "outcomes.label")
        outcome_filter = parse_filter(document, outcomes.get("when"), "outcomes.when", vocabularies)
    items = document.items(top.get("rules"), "rules") or []
    rules = [
        _rule(document, item, f"rules[{i}]", defaults, vocabularies) for i, item in enumerate(items)
    ]
    document.unique_ids(
        {
            f"rules[{i}].id": item["id"]
            for i, item in enumerate(items)
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        }
    )
    document.raise_problems()
    assert outcome_filter is not None and outcome_labels is not None
    return RuleSet(
        tuple(rule for rule in rules if rule is not None),
        outcome_filter,
        outcome_labels,
        document.file,
    )


def _rule(
    document: Document,
    value: object,
    path: str,
    defaults: dict[str, Any],
    vocabularies: Vocabularies,
) -> Rule | None:
    common = ("id", "kind", "label", "level")
    optional = ("quiet_days", "count_unverified", "description")
    per_kind = {
        "single_event": (("when",), ()),
        "count_in_window": (("when", "at_least", "within_days"), ()),
        "sequence": (("first", "then", "within_days"), ()),
        "co_occurrence": (("all_of", "within_days"), ()),
        "contextual_in_region": (("when", "context", "within_days", "same"), ()),
    }
    if not isinstance(value, dict):
        document.mapping(value, path)
        return None
    kind = document.choice(value.get("kind"), f"{path}.kind", KINDS)
    if kind is None:
        return None
    required, extra = per_kind[kind]
    fields = document.mapping(
        value, path, required=(*common, *required), optional=(*optional, *extra)
    )
    if fields is None:
        return None
    rule_id = document.code(fields.get("id"), f"{path}.id")
    labels = document.labels(fields.get("label"), f"{path}.label")
    level = document.choice(fields.get("level"), f"{path}.level", LEVELS[1:])
    quiet = defaults["quiet_days"]
    if "quiet_days" in fields:
        quiet = document.integer(fields["quiet_days"], f"{path}.quiet_days", 0, MAX_WINDOW_DAYS)
    unverified = defaults["count_unverified"]
    if "count_unverified" in fields:
        unverified = document.boolean(fields["count_unverified"], f"{path}.count_unverified")
    if "description" in fields:
        document.labels(fields["description"], f"{path}.description")

    def parsed(name: str) -> Filter | None:
        return parse_filter(document, fields.get(name), f"{path}.{name}", vocabularies)

    values: dict[str, Any] = {}
    ok = True
    if "within_days" in required:
        values["within_days"] = document.integer(
            fields.get("within_days"), f"{path}.within_days", 0, MAX_WINDOW_DAYS
        )
        ok &= values["within_days"] is not None
    for name in ("when", "first", "then", "context"):
        if name in required:
            values[name] = parsed(name)
            ok &= values[name] is not None
    if kind == "count_in_window":
        values["at_least"] = document.integer(fields.get("at_least"), f"{path}.at_least", 2, 50)
        ok &= values["at_least"] is not None
    if kind == "co_occurrence":
        listed = document.items(fields.get("all_of"), f"{path}.all_of")
        if listed is not None and len(listed) < 2:
            document.problem(f"{path}.all_of", "should list at least two filters")
            listed = None
        options = [
            parse_filter(document, item, f"{path}.all_of[{i}]", vocabularies)
            for i, item in enumerate(listed or [])
        ]
        ok &= listed is not None and all(o is not None for o in options)
        values["all_of"] = tuple(o for o in options if o is not None)
    if kind == "contextual_in_region":
        same = document.items(fields.get("same"), f"{path}.same")
        checked = document.each(same, f"{path}.same", lambda v, p: document.choice(v, p, SAME))
        if checked is not None and not {"region", "country"} & set(checked):
            document.problem(f"{path}.same", "should include region or country")
            checked = None
        ok &= checked is not None
        values["same"] = tuple(checked or ())
    if not ok or None in (rule_id, labels, level, quiet, unverified):
        return None
    assert rule_id is not None and labels is not None and level is not None
    return Rule(
        id=rule_id,
        kind=kind,
        labels=labels,
        level=level,
        quiet_days=int(quiet),
        count_unverified=bool(unverified),
        **values,
    )


# --- evaluation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Firings:
    """Rule firings: one per (rule, anchor fact) whose rule holds, with the facts that made it.

    Arrays are aligned by firing; `fact_firing`/`fact_signal` list each firing's facts (signal ids).
    """

    rules: tuple[Rule, ...]
    rule: IntArray  # index into `rules`
    subject_id: IntArray
    anchor_signal_id: IntArray
    fired_on: IntArray  # days since 1970-01-01
    fact_firing: IntArray
    fact_signal: IntArray

    def __len__(self) -> int:
        return len(self.rule)

    def level(self) -> IntArray:
        """Each firing's alert level, as an index into LEVELS."""
        levels = np.array([LEVELS.index(r.level) for r in self.rules], dtype=np.int64)
        return levels[self.rule] if len(self.rule) else np.zeros(0, dtype=np.int64)

    def episode_starts(self) -> BoolArray:
        """Firings that start an episode: no firing of the same rule for the same subject in
        the rule's quiet_days before (so an alert is raised once per episode)."""
        if not len(self.rule):
            return np.zeros(0, dtype=bool)
        quiet = np.array([r.quiet_days for r in self.rules], dtype=np.int64)
        order, _ = first_of_groups(self.rule, self.subject_id, self.fired_on, self.anchor_signal_id)
        rule, subject, day = self.rule[order], self.subject_id[order], self.fired_on[order]
        same = np.zeros(len(order), dtype=bool)
        same[1:] = (rule[1:] == rule[:-1]) & (subject[1:] == subject[:-1])
        gap = np.full(len(order), NEVER, dtype=np.int64)
        gap[1:] = day[1:] - day[:-1]
        new = ~same | (gap > quiet[rule])
        result = np.zeros(len(order), dtype=bool)
        result[order] = new
        return result

    def key(self) -> list[tuple[str, int, int]]:
        """(rule id, subject id, anchor signal id) per firing: stable across evaluations."""
        return [
            (self.rules[r].id, int(s), int(a))
            for r, s, a in zip(self.rule, self.subject_id, self.anchor_signal_id, strict=True)
        ]

    def signal_ids(self) -> list[tuple[int, ...]]:
        """The signals each firing lists, in order."""
        order = np.lexsort((self.fact_signal, self.fact_firing))
        firing, signal = self.fact_firing[order], self.fact_signal[order]
        bounds = np.searchsorted(firing, np.arange(len(self.rule) + 1))
        return [
            tuple(int(s) for s in signal[bounds[i] : bounds[i + 1]]) for i in range(len(self.rule))
        ]

    def table(self) -> pd.DataFrame:
        """One row per firing: rule, subject_id, anchor_signal_id, fired_on (date), level,
        starts_episode, signal_ids (tuple). Sorted by fired_on, subject, rule."""
        frame = pd.DataFrame(
            {
                "rule": [self.rules[r].id for r in self.rule],
                "subject_id": self.subject_id,
                "anchor_signal_id": self.anchor_signal_id,
                "fired_on": self.fired_on.astype("datetime64[D]"),
                "level": [LEVELS[level] for level in self.level()],
                "starts_episode": self.episode_starts(),
                "signal_ids": self.signal_ids(),
            }
        )
        return frame.sort_values(
            ["fired_on", "subject_id", "rule", "anchor_signal_id"]
        ).reset_index(drop=True)


@dataclass
class _Found:
    """One rule's firings while they are being collected."""

    anchors: IntArray  # rows
    fired_on: IntArray
    fact_owner: IntArray  # index into anchors
    fact_row: IntArray


def evaluate(
    facts: Facts,
    ruleset: RuleSet,
    *,
    as_of: int | None = None,
    subjects: Sequence[int] | IntArray | None = None,
) -> Firings:
    """Every firing of every rule, using only facts known by `as_of` (a day number; None: all).

    With `subjects`, only firings about those subjects are sought (the incremental path: pass
    the subject's facts plus, for contextual rules, other subjects' facts from its region, see
    RuleSet.context_acts); the facts of others are then read as context only.
    """
    if as_of is not None:
        facts = facts.known_by(as_of)
    among = np.ones(len(facts), dtype=bool)
    if subjects is not None:
        among = np.isin(facts.subject_id, np.asarray(subjects, dtype=np.int64))
    parts: list[tuple[int, _Found]] = []
    for index, rule in enumerate(ruleset.rules):
        usable = facts.act >= 0
        if not rule.count_unverified:
            usable &= ~facts.unverified
        found = _EVALUATORS[rule.kind](facts, rule, usable, among)
        fires = found.fired_on < NEVER
        if not fires.all():
            found = _only(found, fires)
        parts.append((index, found))
    return _collect(facts, ruleset.rules, parts)


def _only(found: _Found, keep: BoolArray) -> _Found:
    renumber = np.cumsum(keep) - 1
    kept_facts = keep[found.fact_owner]
    return _Found(
        found.anchors[keep],
        found.fired_on[keep],
        renumber[found.fact_owner[kept_facts]],
        found.fact_row[kept_facts],
    )


def _collect(facts: Facts, rules: tuple[Rule, ...], parts: list[tuple[int, _Found]]) -> Firings:
    offsets = np.cumsum([0] + [len(found.anchors) for _, found in parts])
    anchors = np.concatenate([f.anchors for _, f in parts] or [np.zeros(0, np.int64)])
    fact_firing = np.concatenate(
        [f.fact_owner + offsets[i] for i, (_, f) in enumerate(parts)] or [np.zeros(0, np.int64)]
    )
    fact_row = np.concatenate([f.fact_row for _, f in parts] or [np.zeros(0, np.int64)])
    # A fact listed twice for one firing (context pairs through two shared types) shows once.
    order, start = first_of_groups(fact_firing, fact_row)
    fact_firing, fact_row = fact_firing[order][start], fact_row[order][start]
    return Firings(
        rules=rules,
        rule=np.concatenate(
            [np.full(len(f.anchors), i, np.int64) for i, f in parts] or [np.zeros(0, np.int64)]
        ),
        subject_id=facts.subject_id[anchors],
        anchor_signal_id=facts.signal_id[anchors],
        fired_on=np.concatenate([f.fired_on for _, f in parts] or [np.zeros(0, np.int64)]),
        fact_firing=fact_firing,
        fact_signal=facts.signal_id[fact_row],
    )


def _listed(
    facts: Facts, anchors: IntArray, fired_on: IntArray, owner: IntArray, rows: IntArray
) -> _Found:
    """The anchors' firings listing the anchor and the paired rows known by fired_on."""
    known = facts.available[rows] <= fired_on[owner]
    self_owner = np.arange(len(anchors), dtype=np.int64)
    return _Found(
        anchors,
        fired_on,
        np.concatenate([self_owner, owner[known]]),
        np.concatenate([anchors, rows[known]]),
    )


def _single_event(facts: Facts, rule: Rule, usable: BoolArray, among: BoolArray) -> _Found:
    assert rule.when is not None
    anchors = np.flatnonzero(rule.when.mask(facts) & usable & among)
    return _Found(anchors, facts.available[anchors], np.arange(len(anchors)), anchors)


def _count_in_window(facts: Facts, rule: Rule, usable: BoolArray, among: BoolArray) -> _Found:
    assert rule.when is not None
    matching = rule.when.mask(facts) & usable
    anchors = np.flatnonzero(matching & among)
    owner, rows = looking_back(
        facts,
        facts.subject[anchors],
        facts.day[anchors],
        matching,
        rule.within_days,
        anchor_rows=anchors,
    )
    # One incident counts once, from the day its first fact was known.
    order, start = first_of_groups(owner, facts.incident[rows], facts.available[rows])
    first_owner = owner[order][start]
    first_known = facts.available[rows][order][start]
    enough = kth_smallest(first_owner, first_known, rule.at_least, len(anchors))
    fired_on = np.where(enough < NEVER, np.maximum(enough, facts.available[anchors]), NEVER)
    return _listed(facts, anchors, fired_on, owner, rows)


def _sequence(facts: Facts, rule: Rule, usable: BoolArray, among: BoolArray) -> _Found:
    assert rule.first is not None and rule.then is not None
    anchors = np.flatnonzero(rule.then.mask(facts) & usable & among)
    owner, rows = looking_back(
        facts,
        facts.subject[anchors],
        facts.day[anchors],
        rule.first.mask(facts) & usable,
        rule.within_days,
        anchor_rows=anchors,
    )
    earlier = facts.incident[rows] != facts.incident[anchors[owner]]
    owner, rows = owner[earlier], rows[earlier]
    first_known = group_min(owner, facts.available[rows], len(anchors))
    fired_on = np.where(
        first_known < NEVER, np.maximum(first_known, facts.available[anchors]), NEVER
    )
    return _listed(facts, anchors, fired_on, owner, rows)


def _co_occurrence(facts: Facts, rule: Rule, usable: BoolArray, among: BoolArray) -> _Found:
    masks = [option.mask(facts) & usable for option in rule.all_of]
    anchors = np.flatnonzero(np.logical_or.reduce(masks) & among)
    fired_on = facts.available[anchors].copy()
    owners, rows_found = [], []
    for mask in masks:
        owner, rows = looking_back(
            facts,
            facts.subject[anchors],
            facts.day[anchors],
            mask,
            rule.within_days,
            anchor_rows=anchors,
        )
        first_known = group_min(owner, facts.available[rows], len(anchors))
        fired_on = np.where(first_known < NEVER, np.maximum(fired_on, first_known), NEVER)
        owners.append(owner)
        rows_found.append(rows)
    return _listed(facts, anchors, fired_on, np.concatenate(owners), np.concatenate(rows_found))


def _contextual_in_region(facts: Facts, rule: Rule, usable: BoolArray, among: BoolArray) -> _Found:
    assert rule.when is not None and rule.context is not None
    place = facts.region if "region" in rule.same else facts.country
    anchors = np.flatnonzero(rule.when.mask(facts) & usable & among & (place >= 0))
    context = np.flatnonzero(rule.context.mask(facts) & usable & (place >= 0))
    anchor_entry, anchor_group = _groups(facts, anchors, place, "defender_type" in rule.same)
    context_entry, context_group = _groups(facts, context, place, "defender_type" in rule.same)
    # Context facts sorted by (group, day); each anchor entry finds its group's window.
    order = np.lexsort((facts.day[context[context_entry]], context_group))
    context_rows = context[context_entry][order]
    keys = day_key(context_group[order], facts.day[context_rows])
    anchor_rows = anchors[anchor_entry]
    low = np.searchsorted(keys, day_key(anchor_group, facts.day[anchor_rows] - rule.within_days))
    high = np.searchsorted(
        keys, day_key(anchor_group, facts.day[anchor_rows] + rule.within_days), side="right"
    )
    # The earliest CAP context facts of the window: the first known among them decides.
    entry, position = expand(low, np.minimum(high, low + CAP))
    owner, rows = anchor_entry[entry], context_rows[position]
    other = facts.subject[rows] != facts.subject[anchors[owner]]
    owner, rows = owner[other], rows[other]
    first_known = group_min(owner, facts.available[rows], len(anchors))
    fired_on = np.where(
        first_known < NEVER, np.maximum(first_known, facts.available[anchors]), NEVER
    )
    return _listed(facts, anchors, fired_on, owner, rows)


def _groups(facts: Facts, rows: IntArray, place: Any, by_type: bool) -> tuple[IntArray, IntArray]:
    """(entry → index into rows, group) for each row: its place, and with `by_type` one entry
    per top-level type of defender of the row's subject."""
    if not by_type:
        return np.arange(len(rows), dtype=np.int64), place[rows].astype(np.int64)
    tree = facts.vocabularies.defender_types
    book = facts.codebooks["defender_types"]
    roots = sorted({tree.root(code) for code in book})
    root_of = np.array([roots.index(tree.root(code)) for code in book], dtype=np.int64)
    position = np.full(len(facts), -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    pairs = facts.defender_types
    chosen = position[pairs.row] >= 0
    entry = position[pairs.row[chosen]]
    group = (
        place[pairs.row[chosen]].astype(np.int64) * (len(roots) + 1) + root_of[pairs.code[chosen]]
    )
    order, start = first_of_groups(entry, group)
    return entry[order][start], group[order][start]


_EVALUATORS = {
    "single_event": _single_event,
    "count_in_window": _count_in_window,
    "sequence": _sequence,
    "co_occurrence": _co_occurrence,
    "contextual_in_region": _contextual_in_region,
}

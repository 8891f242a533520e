"""Each kind of escalation rule fires inside its window and not a day outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from amparo.analysis.escalation import RuleSet, evaluate
from tests.analysis.escalation.helpers import LABEL, day, facts, rules, signal

COUNT = f"""
- id: two_threats
  kind: count_in_window
  label: {LABEL}
  level: high
  when: {{acts: [threat]}}
  at_least: 2
  within_days: 90
"""
SEQUENCE = f"""
- id: threat_then_attack
  kind: sequence
  label: {LABEL}
  level: high
  first: {{acts: [threat]}}
  then: {{acts: [surveillance, physical_attack]}}
  within_days: 180
"""
CO_OCCURRENCE = f"""
- id: harassment_and_smear
  kind: co_occurrence
  label: {LABEL}
  level: medium
  all_of:
    - {{acts: [judicial_harassment]}}
    - {{acts: [stigmatisation]}}
  within_days: 180
"""
CONTEXTUAL = f"""
- id: peer_killed
  kind: contextual_in_region
  label: {LABEL}
  level: high
  when: {{acts: [threat]}}
  context: {{acts: [killing]}}
  same: [region, defender_type]
  within_days: 365
"""
SINGLE = f"""
- id: nhri_reprisal
  kind: single_event
  label: {LABEL}
  level: high
  when: {{acts: [nhri_reprisal]}}
"""


def fired(ruleset: RuleSet, *rows: dict[str, object]) -> list[tuple[str, int, int]]:
    """(rule, subject, day fired) of every firing."""
    found = evaluate(facts(*rows), ruleset)
    return sorted(
        (ruleset.rules[r].id, int(s), int(d))
        for r, s, d in zip(found.rule, found.subject_id, found.fired_on, strict=True)
    )


@pytest.mark.parametrize(("gap", "fires"), [(0, True), (90, True), (91, False)])
def test_two_threats_fire_within_the_window_and_not_a_day_later(
    tmp_path: Path, gap: int, fires: bool
) -> None:
    ruleset = rules(tmp_path, COUNT)
    got = fired(ruleset, signal(1, 0, "threat_death"), signal(1, gap, "threat_online"))
    assert got == ([("two_threats", 1, day(gap))] if fires else [])


def test_two_acts_of_one_event_are_one_incident(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, COUNT)
    one_event = [
        signal(1, 0, "threat_death", incident_id=5),
        signal(1, 0, "threat_online", incident_id=5),
    ]
    assert fired(ruleset, *one_event) == []
    assert fired(ruleset, *one_event, signal(1, 30, "threat")) == [("two_threats", 1, day(30))]


def test_threats_against_two_subjects_do_not_add_up(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, COUNT)
    assert fired(ruleset, signal(1, 0, "threat"), signal(2, 1, "threat")) == []


def test_a_status_row_is_no_act(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, COUNT)
    assert fired(ruleset, signal(1, 0, "threat"), signal(1, 1, "", protective_measures=True)) == []


def test_unverified_reports_count_unless_the_rule_says_not(tmp_path: Path) -> None:
    rows = [signal(1, 0, "threat"), signal(1, 5, "threat", unverified=True, origin="intake")]
    assert fired(rules(tmp_path, COUNT), *rows) == [("two_threats", 1, day(5))]
    strict = rules(tmp_path, COUNT + "  count_unverified: false\n", "strict.yaml")
    assert fired(strict, *rows) == []


def test_a_rule_fires_on_the_day_its_last_fact_became_known(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, COUNT)
    late = signal(1, 10, "threat", known_on=day_date(40))
    assert fired(ruleset, signal(1, 0, "threat"), late) == [("two_threats", 1, day(40))]


def test_a_month_precise_date_is_known_at_the_end_of_its_month(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, COUNT)
    # Day 31 is 1 February 2024: known on 29 February, day 59.
    vague = signal(1, 31, "threat", date_precision="month")
    assert fired(ruleset, signal(1, 0, "threat"), vague) == [("two_threats", 1, day(59))]


@pytest.mark.parametrize(("gap", "fires"), [(0, True), (180, True), (181, False)])
def test_a_threat_followed_by_an_attack_fires_within_the_window(
    tmp_path: Path, gap: int, fires: bool
) -> None:
    ruleset = rules(tmp_path, SEQUENCE)
    got = fired(ruleset, signal(1, 0, "threat_death"), signal(1, gap, "physical_attack"))
    assert got == ([("threat_then_attack", 1, day(gap))] if fires else [])


def test_an_attack_followed_by_a_threat_is_not_that_sequence(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, SEQUENCE)
    assert fired(ruleset, signal(1, 0, "physical_attack"), signal(1, 10, "threat")) == []


def test_a_threat_during_the_attack_itself_is_not_a_sequence(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, SEQUENCE)
    same_event = [
        signal(1, 0, "physical_attack", incident_id=9),
        signal(1, 0, "threat_death", incident_id=9),
    ]
    assert fired(ruleset, *same_event) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [("criminalisation", "stigmatisation_media"), ("stigmatisation_online", "slapp")],
)
@pytest.mark.parametrize(("gap", "fires"), [(180, True), (181, False)])
def test_judicial_harassment_and_a_smear_fire_together_in_either_order(
    tmp_path: Path, first: str, second: str, gap: int, fires: bool
) -> None:
    ruleset = rules(tmp_path, CO_OCCURRENCE)
    got = fired(ruleset, signal(1, 0, first), signal(1, gap, second))
    assert got == ([("harassment_and_smear", 1, day(gap))] if fires else [])


def test_one_of_the_two_alone_does_not_fire(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, CO_OCCURRENCE)
    assert fired(ruleset, signal(1, 0, "criminalisation"), signal(1, 5, "slapp")) == []


def journalist(
    subject: int, days: int, act: str, region: str = "KE-30", **values: object
) -> dict[str, object]:
    return signal(subject, days, act, region=region, defender_types=["journalist"], **values)


@pytest.mark.parametrize(("gap", "fires"), [(365, True), (366, False)])
def test_a_peer_killed_in_the_region_within_a_year_before_fires(
    tmp_path: Path, gap: int, fires: bool
) -> None:
    ruleset = rules(tmp_path, CONTEXTUAL)
    got = fired(ruleset, journalist(2, 0, "killing"), journalist(1, gap, "threat"))
    assert got == ([("peer_killed", 1, day(gap))] if fires else [])


def test_a_peer_killed_after_the_threat_fires_when_the_killing_is_known(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, CONTEXTUAL)
    got = fired(
        ruleset, journalist(1, 0, "threat"), journalist(2, 200, "killing", known_on=day_date(210))
    )
    assert got == [("peer_killed", 1, day(210))]


def test_a_narrower_type_of_the_same_defender_type_is_a_peer(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, CONTEXTUAL)
    community = signal(2, 0, "killing", region="KE-30", defender_types=["community_journalist"])
    assert fired(ruleset, community, journalist(1, 10, "threat")) == [("peer_killed", 1, day(10))]


@pytest.mark.parametrize(
    "killing",
    [
        {"region": "KE-31", "defender_types": ["journalist"]},
        {"region": "KE-30", "defender_types": ["lawyer"]},
        {"region": "", "defender_types": ["journalist"]},
    ],
    ids=["another region", "another type", "no region"],
)
def test_a_killing_elsewhere_or_of_another_type_does_not_fire(
    tmp_path: Path, killing: dict[str, object]
) -> None:
    ruleset = rules(tmp_path, CONTEXTUAL)
    assert fired(ruleset, signal(2, 0, "killing", **killing), journalist(1, 10, "threat")) == []


def test_the_subjects_own_killing_is_no_context_for_itself(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, CONTEXTUAL)
    assert fired(ruleset, journalist(1, 0, "threat"), journalist(1, 5, "killing")) == []


def test_a_reprisal_against_an_nhri_fires_on_its_own(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, SINGLE)
    nhri = {"subject_kind": "organisation", "defender_types": ["nhri"]}
    assert fired(ruleset, signal(7, 3, "nhri_budget_cut", **nhri)) == [("nhri_reprisal", 7, day(3))]
    assert fired(ruleset, signal(7, 3, "threat", **nhri)) == []


def test_a_rule_that_keeps_firing_starts_one_episode_until_it_is_quiet(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, COUNT + "  quiet_days: 60\n")
    rows = [signal(1, d, "threat") for d in (0, 10, 50, 100, 200, 210)]
    found = evaluate(facts(*rows), ruleset)
    starts = sorted(int(d) for d in found.fired_on[found.episode_starts()])
    # Firings on days 10, 50, 100 (each within 60 days of the last), then 210 after a gap.
    assert sorted(int(d) for d in found.fired_on) == [day(d) for d in (10, 50, 100, 210)]
    assert starts == [day(10), day(210)]


def test_a_firing_lists_the_facts_that_made_it(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, SEQUENCE)
    threat, attack = signal(1, 0, "threat"), signal(1, 30, "physical_attack")
    table = evaluate(facts(threat, attack), ruleset).table()
    assert table.loc[0, "signal_ids"] == (threat["signal_id"], attack["signal_id"])
    assert table.loc[0, "anchor_signal_id"] == attack["signal_id"]
    assert table.loc[0, "level"] == "high"
    assert bool(table.loc[0, "starts_episode"])


def test_evaluating_one_subject_finds_what_the_bulk_evaluation_finds_for_it(tmp_path: Path) -> None:
    ruleset = rules(tmp_path, COUNT + SEQUENCE + CONTEXTUAL)
    rows = [
        journalist(1, 0, "threat"),
        journalist(1, 20, "threat"),
        journalist(1, 40, "surveillance"),
        journalist(2, 30, "killing"),
        journalist(3, 35, "threat"),
    ]
    everyone = evaluate(facts(*rows), ruleset).table()
    alone = evaluate(facts(*rows), ruleset, subjects=[1]).table()
    assert alone.equals(everyone[everyone["subject_id"] == 1].reset_index(drop=True))


def day_date(days: int) -> object:
    from tests.analysis.escalation.helpers import on

    return on(days)

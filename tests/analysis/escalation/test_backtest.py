"""The backtest replays history without looking ahead and measures recall, lead time and burden."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from amparo.analysis.escalation import (
    BASELINE_FILE,
    Facts,
    backtest,
    evaluate,
    format_report,
    load_risk_model,
    load_rules,
    replay,
)
from tests.analysis.escalation.helpers import VOCABULARIES, day, facts, signal
from tests.bench.escalation import generate_world

RULES = load_rules(vocabularies=VOCABULARIES)
BASELINE = load_rules(BASELINE_FILE, VOCABULARIES)
MODEL = load_risk_model(vocabularies=VOCABULARIES)
REQUIRED = {
    "outcomes",
    "alerted_7d",
    "recall_7d",
    "median_lead_days",
    "alerts_per_100_persons_month",
    "rules",
}


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    return generate_world(600, 11).signals


def test_the_report_has_the_shape_the_issue_asks_for(world: pd.DataFrame) -> None:
    loaded = Facts.from_frame(world, VOCABULARIES)
    report = backtest(loaded, RULES, MODEL, day(-365), day(900), baseline=BASELINE)
    assert set(report) >= REQUIRED
    assert set(report["baseline"]) >= REQUIRED
    assert all(set(rule) >= {"rule", "alerts", "precision"} for rule in report["rules"])
    assert [r["rule"] for r in report["rules"]] == [r.id for r in RULES.rules] + [
        "risk_level:high",
        "risk_level:extreme",
    ]
    assert report["outcomes"] > 0 and 0 <= report["recall_7d"] <= 1
    json.dumps(report)  # plain JSON, nothing else
    text = format_report(report)
    assert "Lead-time recall" in text and "Alert on every threat" in text


def test_the_same_history_gives_the_same_report(world: pd.DataFrame) -> None:
    again = generate_world(600, 11).signals
    assert again.equals(world)
    reports = [
        backtest(Facts.from_frame(table, VOCABULARIES), RULES, MODEL, day(-365), day(900))
        for table in (world, again.sample(frac=1, random_state=3))
    ]
    assert reports[0] == reports[1]


def test_facts_recorded_later_change_no_earlier_firing_or_alert(world: pd.DataFrame) -> None:
    everything = Facts.from_frame(world, VOCABULARIES)
    cut = day(400)
    past = world[world["known_on"] <= pd.Timestamp("2025-02-04")]
    assert 0 < len(past) < len(world)
    # As of the cut, the full history and the history known then give the same firings.
    full = evaluate(everything, RULES, as_of=cut).table()
    known = evaluate(Facts.from_frame(past, VOCABULARIES), RULES).table()
    assert full.equals(known)
    # And the alerts raised up to the cut do not depend on what was recorded after it.
    start = day(-365)
    with_future = replay(everything, RULES, MODEL, start, cut).table()
    without = replay(Facts.from_frame(past, VOCABULARIES), RULES, MODEL, start, cut).table()
    assert with_future.equals(without)


def test_appending_future_facts_leaves_past_firings_unchanged() -> None:
    history = [signal(1, 0, "threat"), signal(1, 30, "threat"), signal(1, 60, "surveillance")]
    future = [signal(1, 61, "threat"), signal(1, 70, "killing"), signal(2, 65, "killing")]
    before = evaluate(facts(*history), RULES).table()
    after = evaluate(facts(*history, *future), RULES).table()
    assert after[after["fired_on"] <= pd.Timestamp("2024-03-01")].equals(before)


def killing_after(alert_days_before: int) -> dict[str, object]:
    """A defender threatened twice, the second threat `alert_days_before` days before being
    killed on day 200: the repeated-threats rule alerts on the day of the second threat."""
    rows = [
        signal(1, 150, "threat"),
        signal(1, 200 - alert_days_before, "threat"),
        signal(1, 200, "killing"),
    ]
    return backtest(facts(*rows), RULES, None, day(0), day(365))


def test_an_alert_seven_days_before_a_killing_counts_with_its_lead_time() -> None:
    report = killing_after(7)
    assert (report["outcomes"], report["alerted_7d"], report["recall_7d"]) == (1, 1, 1.0)
    assert report["median_lead_days"] == 7


def test_an_alert_six_days_before_is_too_late_to_count() -> None:
    report = killing_after(6)
    assert (report["outcomes"], report["alerted_7d"], report["recall_7d"]) == (1, 0, 0.0)
    assert report["median_lead_days"] is None


def test_precision_is_the_share_of_a_rules_alerts_followed_by_a_grave_outcome() -> None:
    rows = [
        signal(1, 0, "threat"), signal(1, 10, "threat"), signal(1, 50, "killing"),
        signal(2, 0, "threat"), signal(2, 10, "threat"),
    ]  # fmt: skip
    report = backtest(facts(*rows), RULES, None, day(0), day(365))
    repeated = next(r for r in report["rules"] if r["rule"] == "repeated_threats")
    assert (repeated["alerts"], repeated["precision"]) == (2, 0.5)


def test_the_burden_is_alerts_per_100_persons_at_risk_per_month() -> None:
    # Two subjects known from 1 January, one alert, over the 31 days of January 2024.
    rows = [signal(1, 0, "threat"), signal(1, 10, "threat"), signal(2, 0, "travel_ban")]
    report = backtest(facts(*rows), RULES, None, day(0), day(30))
    assert report["person_months"] == 2
    assert report["alerts_per_100_persons_month"] == 50


def test_the_naive_rule_alerts_on_every_threat() -> None:
    rows = [signal(1, 0, "threat"), signal(1, 10, "threat_death"), signal(1, 20, "surveillance")]
    report = backtest(facts(*rows), RULES, None, day(0), day(60), baseline=BASELINE)
    assert report["baseline"]["alerts"] == 2
    assert (
        report["comparison"]["baseline_extra_alerts"]
        == report["baseline"]["alerts"] - report["alerts"]
    )

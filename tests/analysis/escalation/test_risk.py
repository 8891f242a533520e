"""Risk assessment: the score follows the model's data, counts only what was known, and says why."""

from __future__ import annotations

import pytest

from amparo.analysis.escalation import assess, load_risk_model
from tests.analysis.escalation.helpers import VOCABULARIES, day, facts, on, signal

MODEL = load_risk_model(vocabularies=VOCABULARIES)
POINTS = {i.id: i for i in MODEL.threat_indicators}
WEIGHTS = {f.id: f.weight for f in (*MODEL.vulnerabilities, *MODEL.capacities)}


def man(subject: int, days: int, act: str, **values: object) -> dict[str, object]:
    """A man with no vulnerability factor but the lack of protective measures."""
    return signal(subject, days, act, sex="man", defender_types=["lawyer"], **values)


def assessed(rows: list[dict[str, object]], days: int, subject: int = 1) -> dict[str, object]:
    table = assess(facts(*rows), MODEL, day(days), subjects=[subject]).table()
    return table.iloc[0].to_dict()


def test_without_a_threat_indicator_the_risk_is_low_whatever_the_vulnerability() -> None:
    row = signal(1, 0, "travel_ban", sex="woman", defender_types=["environmental"], rural=True)
    result = assessed([row], 10)
    assert result["score"] == 0 and result["level"] == "low"


def test_the_score_is_threat_times_vulnerability_times_what_capacities_leave() -> None:
    rows = [
        signal(1, 0, "threat_death", sex="woman", defender_types=["environmental"]),
        signal(
            1,
            40,
            "",
            sex="woman",
            defender_types=["environmental"],
            protective_measures=True,
            legal_support=True,
        ),
    ]
    result = assessed(rows, 50)
    vulnerability = WEIGHTS["women_hrd"] + WEIGHTS["indigenous_land_environment"]
    capacity = min(WEIGHTS["protective_measures"] + WEIGHTS["legal_support"], MODEL.max_capacity)
    expected = POINTS["threats"].points * (1 + vulnerability) * (1 - capacity)
    assert result["score"] == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(("days", "counted"), [(180, True), (181, False)])
def test_a_threat_counts_for_its_indicators_window(days: int, counted: bool) -> None:
    result = assessed([man(1, 0, "threat")], days)
    expected = POINTS["threats"].points * (1 + WEIGHTS["no_protective_measures"]) if counted else 0
    assert result["score"] == pytest.approx(expected)


def test_points_per_incident_stop_at_the_indicators_maximum() -> None:
    rows = [man(1, d, "threat") for d in range(0, 100, 10)]
    assert assessed(rows, 100)["threat"] == POINTS["threats"].max_points


def test_an_unverified_report_counts_for_part_of_an_incident() -> None:
    result = assessed([man(1, 0, "threat", unverified=True, origin="intake")], 1)
    assert result["threat"] == POINTS["threats"].points * MODEL.unverified_weight


def test_a_fact_not_yet_known_does_not_count() -> None:
    rows = [man(1, 0, "travel_ban"), man(1, 0, "threat", known_on=on(20))]
    assert assessed(rows, 19)["threat"] == 0
    assert assessed(rows, 20)["threat"] == POINTS["threats"].points


def test_attributes_are_read_from_the_latest_row_known_that_day() -> None:
    rows = [man(1, 0, "threat"), man(1, 30, "", protective_measures=True, known_on=on(30))]
    before, after = assessed(rows, 29), assessed(rows, 30)
    assert before["capacity"] == 0
    assert after["capacity"] == WEIGHTS["protective_measures"]
    assert after["score"] < before["score"]


def test_levels_follow_the_thresholds_of_the_model() -> None:
    rows = [man(1, d, "threat") for d in (0, 30, 60)] + [man(1, 70, "physical_attack")]
    result = assessed(rows, 80)
    score = result["score"]
    expected = max(i for i, start in enumerate(MODEL.thresholds) if score >= start)
    assert result["level"] == ("low", "medium", "high", "extreme")[expected]


def test_the_reasons_name_each_factor_and_the_facts_behind_it() -> None:
    threat, attack = man(1, 0, "threat"), man(1, 5, "physical_attack")
    reasons = assess(facts(threat, attack), MODEL, day(10)).reasons()
    by_factor = {r.factor: r for r in reasons.itertuples()}
    assert by_factor["threats"].signal_ids == (threat["signal_id"],)
    assert by_factor["prior_attacks"].signal_ids == (attack["signal_id"],)
    assert by_factor["no_protective_measures"].kind == "vulnerability"
    assert set(by_factor) == {"threats", "prior_attacks", "no_protective_measures"}


def test_a_subject_unknown_on_the_day_is_not_assessed() -> None:
    assert len(assess(facts(man(1, 10, "threat")), MODEL, day(5))) == 0

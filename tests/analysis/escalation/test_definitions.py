"""Rule and risk files are checked whole at load, and every problem says file, line and path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amparo.analysis.escalation import (
    BASELINE_FILE,
    DefinitionError,
    load_risk_model,
    load_rules,
)
from amparo.analysis.escalation.risk import RISK_FILE
from tests.analysis.escalation.helpers import LABEL, VOCABULARIES, rules


def test_the_shipped_files_load() -> None:
    ruleset = load_rules(vocabularies=VOCABULARIES)
    assert {r.kind for r in ruleset.rules} == {
        "single_event",
        "count_in_window",
        "sequence",
        "co_occurrence",
        "contextual_in_region",
    }
    assert load_rules(BASELINE_FILE, VOCABULARIES).rules[0].id == "every_threat"
    model = load_risk_model(vocabularies=VOCABULARIES)
    assert model.thresholds[0] == 0


def test_every_rule_and_factor_is_labelled_in_four_languages() -> None:
    ruleset = load_rules(vocabularies=VOCABULARIES)
    model = load_risk_model(vocabularies=VOCABULARIES)
    labelled = (
        [r.labels for r in ruleset.rules] + [ruleset.outcome_labels] + list(model.level_labels)
    )
    labelled += [
        f.labels for f in (*model.threat_indicators, *model.vulnerabilities, *model.capacities)
    ]
    for labels in labelled:
        assert all(labels.get(language) for language in ("en", "fr", "es", "ar"))
        assert labels.get("ar") != labels.get("en")


def problems_of(error: pytest.ExceptionInfo[DefinitionError]) -> list[str]:
    return [str(p) for p in error.value.problems]


def test_an_unknown_type_of_act_is_reported_with_file_line_and_path(tmp_path: Path) -> None:
    body = f"""
- id: two_threats
  kind: count_in_window
  label: {LABEL}
  level: high
  when: {{acts: [threat, treat]}}
  at_least: 2
  within_days: 90
"""
    with pytest.raises(DefinitionError) as raised:
        rules(tmp_path, body)
    assert problems_of(raised) == [
        "rules.yaml, line 11, rules[0].when.acts[1]: treat is not a code of the hrd_violations list"
    ]


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    body = """
- id: Bad Id
  kind: count_in_window
  label: {en: Two threats, fr: Deux menaces}
  level: severe
  when: {acts: [threat]}
  at_least: 1
  within_days: 90
  colour: red
- id: other
  kind: telepathy
"""
    with pytest.raises(DefinitionError) as raised:
        rules(tmp_path, body)
    found = problems_of(raised)
    code = "should be a code: lower-case letters, digits and _, 1-40 long"
    assert f"rules.yaml, line 7, rules[0].id: {code}" in found
    assert any("rules[0].label: lacks es" in p for p in found)
    assert any("rules[0].label: lacks ar" in p for p in found)
    assert any("rules[0].level: should be one of medium, high, extreme" in p for p in found)
    assert any("rules[0].at_least: should be between 2 and 50" in p for p in found)
    assert any("rules[0].colour: is not a known key here" in p for p in found)
    assert any("rules[1].kind: should be one of single_event" in p for p in found)


def test_two_rules_with_one_id_are_refused(tmp_path: Path) -> None:
    rule = f"""
- id: reprisal
  kind: single_event
  label: {LABEL}
  level: high
  when: {{acts: [nhri_reprisal]}}
"""
    with pytest.raises(
        DefinitionError, match=r"rules\[1\]\.id: reprisal is already the id of rules\[0\]\.id"
    ):
        rules(tmp_path, rule + rule)


def test_a_key_given_twice_is_refused_rather_than_the_last_one_kept(tmp_path: Path) -> None:
    body = f"""
- id: reprisal
  kind: single_event
  label: {LABEL}
  level: high
  level: medium
  when: {{acts: [nhri_reprisal]}}
"""
    with pytest.raises(DefinitionError, match=r"line 11, rules\[0\]\.level: appears twice"):
        rules(tmp_path, body)


def test_a_file_that_is_not_yaml_says_where(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\nrules: [unclosed\n", encoding="utf-8")
    with pytest.raises(
        DefinitionError, match=r"broken\.yaml, line \d+, document: is not valid YAML"
    ):
        load_rules(path, VOCABULARIES)


def test_a_contextual_rule_needs_a_place(tmp_path: Path) -> None:
    body = f"""
- id: peer
  kind: contextual_in_region
  label: {LABEL}
  level: high
  when: {{acts: [threat]}}
  context: {{acts: [killing]}}
  same: [defender_type]
  within_days: 365
"""
    with pytest.raises(
        DefinitionError, match=r"rules\[0\]\.same: should include region or country"
    ):
        rules(tmp_path, body)


def test_risk_levels_must_rise(tmp_path: Path) -> None:
    text = RISK_FILE.read_text(encoding="utf-8")
    high = re.search(r"high:\n    from: (\d+)", text)
    assert high is not None
    text = re.sub(r"(extreme:\n    from: )\d+", rf"\g<1>{high.group(1)}", text)
    path = tmp_path / "risk.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as raised:
        load_risk_model(path, VOCABULARIES)
    assert [p.path for p in raised.value.problems] == ["levels.extreme.from"]
    assert raised.value.problems[0].file == "risk.yaml"
    assert raised.value.problems[0].line is not None


def test_a_risk_factor_with_an_unknown_defender_type_is_refused(tmp_path: Path) -> None:
    text = RISK_FILE.read_text(encoding="utf-8").replace("[community_leader,", "[community_leeder,")
    path = tmp_path / "risk.yaml"
    path.write_text(text, encoding="utf-8")
    expected = "community_leeder is not a code of the defender_types list"
    with pytest.raises(DefinitionError, match=rf"\.defender_types\[0\]: {expected}"):
        load_risk_model(path, VOCABULARIES)

"""The Django-free world of tests/bench/escalation.py tells the demo's stories: same tables.

The escalation engine is tuned on that world and the warning app's backtest runs on the demo's;
if the demo's escalation changes, the generator must follow (copy the changed table there).
"""

from __future__ import annotations

import random

import pytest

from amparo.demo import cases as demo
from tests.bench import escalation

# The cases tests' fixtures load the vocabularies; these tests read only module tables.
pytestmark = pytest.mark.django_db


def test_the_escalation_world_uses_the_demos_tables() -> None:
    assert escalation.MAIN_ACTS == demo.MAIN_ACTS
    assert escalation.COMPANIONS == demo.COMPANIONS
    assert escalation.PERPETRATORS == demo.PERPETRATORS
    assert escalation.CONSEQUENCES == demo.CONSEQUENCES
    assert escalation.INTERVENTIONS == demo.INTERVENTIONS
    assert escalation.DEFENDER_TYPES == demo.DEFENDER_TYPES
    assert escalation.SEXES == demo.SEXES
    assert escalation.COLLEAGUE_CHANCE == demo.COLLEAGUE_CHANCE
    assert escalation.ANCHOR == demo.ANCHOR and escalation.FIRST_DAY == demo.FIRST_DAY
    assert [(code, weight) for code, _r, _l, weight in demo.COUNTRIES] == escalation.COUNTRIES


def test_the_escalation_world_plans_stories_as_the_demo_does() -> None:
    generator = demo.Generator.__new__(demo.Generator)
    for seed in range(300):
        assert escalation.plan(random.Random(seed)) == generator._plan(random.Random(seed))

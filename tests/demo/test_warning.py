"""The demo world's early warning: the engine run over the demo's cases, and alerts in every
state (open, acknowledged, escalated, closed), once."""

from __future__ import annotations

import pytest

from amparo.demo import accounts as demo_accounts
from amparo.demo import cases as demo_cases
from amparo.demo import response as demo_response
from amparo.demo import warning as demo_warning
from amparo.response.models import Action, Communication, ResponsePlan
from amparo.warning.models import Acknowledgement, Alert, RiskAssessment

pytestmark = pytest.mark.django_db


def test_the_demo_has_alerts_in_every_state_and_plans_once() -> None:
    demo_accounts.build_accounts()
    demo_cases.build_cases(events=200, seed=7)
    said = demo_warning.build_warning()
    statuses = set(Alert.objects.values_list("status", flat=True))
    assert statuses == {"open", "acknowledged", "escalated", "closed"}, said
    assert RiskAssessment.objects.filter(level__in=["high", "extreme"]).exists()
    assert Acknowledgement.objects.count() == 1
    assert demo_warning.build_warning() == "alerts exist; nothing to do"
    said = demo_response.build_response()
    assert ResponsePlan.objects.exists() and Communication.objects.exists(), said
    assert set(Action.objects.values_list("status", flat=True)) == {"planned", "in_progress"}
    assert demo_response.build_response() == "plans exist; nothing to do"

"""`amparo warning ...` at the command line, and the figures the network's scorecard reads."""

from __future__ import annotations

import datetime
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from amparo.cases.models import RecipientKind
from amparo.network.scorecard import compute
from amparo.warning import queries
from amparo.warning.models import Alert, AlertRecipient
from amparo.warning.services import alerts, evaluation
from tests.factories import network_member
from tests.warning.conftest import World, consent, days_ago, record_act

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("warning", *args, stdout=out)
    return out.getvalue()


def test_nightly_evaluation_prints_what_it_did(escalating: World) -> None:
    figures = json.loads(run("evaluate", "--json"))
    assert figures["alerts_raised"] >= 1 and figures["subjects"] == 1
    assert "alerts raised" in run("evaluate")


def test_the_backtest_reports_the_figures_the_issue_asks_for(world: World) -> None:
    for days in (200, 150, 120):
        record_act(world.defender, "threat_death", days_ago(days))
    record_act(world.defender, "killing", days_ago(60))
    start, end = days_ago(365).isoformat(), days_ago(0).isoformat()
    report = json.loads(run("backtest", "--from", start, "--to", end, "--json"))
    for key in (
        "outcomes",
        "alerted_7d",
        "recall_7d",
        "median_lead_days",
        "alerts_per_100_persons_month",
        "rules",
    ):
        assert key in report
    assert report["outcomes"] == 1 and report["alerted_7d"] == 1
    assert {"rule", "alerts", "precision"} <= set(report["rules"][0])
    assert report["baseline"]["alerts"] >= report["alerts"] or report["baseline"]["alerts"] >= 1
    assert "Lead-time recall" in run("backtest", "--from", start, "--to", end)


def test_a_backtest_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(CommandError, match="ends before it starts"):
        run("backtest", "--from", "2026-01-02", "--to", "2026-01-01")


def test_a_wrong_routing_file_is_refused_at_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text("version: 1\ndeadline_hours: {medium: 1, high: 1, extreme: 1}\nroutes: []\n")
    with pytest.raises(CommandError, match=r"routing.yaml, line 3, routes: should be a non-empty"):
        run("routing", "--check", str(path))
    assert "correct" in run("routing")


def test_alerts_to_state_answers_for_every_country_asked_in_one_call(escalating: World) -> None:
    consent(escalating.defender, RecipientKind.STATE, escalating.documentalist)
    evaluation.evaluate([escalating.defender.pk])
    overdue = timezone.now() - datetime.timedelta(hours=1)
    for _step in range(2):
        Alert.objects.update(deadline=overdue)
        alerts.escalate_overdue()
    sent = AlertRecipient.objects.filter(organisation=escalating.state)
    assert sent.count() == Alert.objects.count()
    answer = queries.alerts_to_state(countries=["KE", "UG"], start=days_ago(30), end=days_ago(-1))
    assert set(answer) == {"KE"}
    assert len(answer["KE"]["items"]) == sent.count()
    assert answer["KE"]["items"][0] == {"sent_on": days_ago(0), "acknowledged_on": None}
    assert answer["KE"]["url"] == "/warning/"


def test_the_network_scorecard_reads_the_alerts_left_unacknowledged_by_the_state(
    escalating: World,
) -> None:
    consent(escalating.defender, RecipientKind.STATE, escalating.documentalist)
    evaluation.evaluate([escalating.defender.pk])
    for _step in range(2):
        Alert.objects.update(deadline=timezone.now() - datetime.timedelta(hours=1))
        alerts.escalate_overdue()
    # Sent long enough ago for the network's acknowledgement period to have passed.
    AlertRecipient.objects.filter(organisation=escalating.state).update(sent_on=days_ago(60))
    card = compute.for_member(network_member("KE"))
    found = next(s for s in card.signals if s.id == "unacknowledged_alerts")
    assert found.available and found.value == Alert.objects.count()
    assert found.source_url == "/warning/"

"""Evaluating the recorded facts: assessments with their reasons and history, alerts raised once
per subject and day, routed to focal points (the State only with consent), escalated past their
deadline, acknowledged; the background evaluation queued by a change to case records."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from amparo.cases import hooks
from amparo.cases.models import RecipientKind
from amparo.core.models import AuditEntry, User
from amparo.warning.models import (
    Acknowledgement,
    Alert,
    AlertRecipient,
    Notification,
    RiskAssessment,
)
from amparo.warning.services import alerts, evaluation, signals
from tests.factories import intake_report
from tests.warning.conftest import World, consent, days_ago, record_act

pytestmark = pytest.mark.django_db


def recipients(alert: Alert) -> dict[str, int]:
    return {r.organisation.short_code: r.step for r in alert.recipients.all()}


def latest(world: World) -> Alert:
    return Alert.objects.filter(person=world.defender).order_by("-raised_on", "-pk").first()  # type: ignore[return-value]


def test_two_threats_and_surveillance_raise_alerts_routed_to_the_network(
    escalating: World,
) -> None:
    outcome = evaluation.evaluate([escalating.defender.pk])
    # One alert per subject and day a reason arose (as the backtest counts them): the second
    # threat (repeated threats), the surveillance after a threat, and today's risk level.
    by_day = {a.raised_on: set(a.reasons) for a in Alert.objects.all()}
    assert outcome.alerts_raised == len(by_day) == 3
    assert by_day[days_ago(20)] == {"repeated_threats"}
    assert "threat_then_surveillance_or_attack" in by_day[days_ago(5)]
    assert any(r.startswith("risk_level:") for r in by_day[days_ago(0)])
    alert = latest(escalating)
    assert alert.person == escalating.defender and alert.level in {"high", "extreme"}
    # The owner, and the defenders' network of the country (no other NHRI in Kenya); no State:
    # the defender did not consent to it.
    assert recipients(alert) == {"KNCHR": 0, "HRDKE": 1}
    assert alert.status == Alert.Status.OPEN and alert.deadline > timezone.now()
    assert AuditEntry.objects.filter(action="warning.alert.raise").count() == 3


def test_evaluating_again_raises_nothing_new_and_writes_no_new_assessment(
    escalating: World,
) -> None:
    evaluation.evaluate([escalating.defender.pk])
    again = evaluation.evaluate([escalating.defender.pk])
    assert again.alerts_raised == 0 and again.assessments_written == 0
    assert Alert.objects.count() == 3
    assert RiskAssessment.objects.filter(person=escalating.defender).count() == 1


def test_the_assessment_says_why_and_keeps_its_history(escalating: World) -> None:
    evaluation.evaluate([escalating.defender.pk])
    first = RiskAssessment.objects.get(is_current=True)
    assert {r["factor"] for r in first.reasons} >= {"threats"} or first.reasons
    assert any(r["signal_ids"] for r in first.reasons)
    assert {f["rule"] for f in first.firings} >= {"repeated_threats"}
    record_act(escalating.defender, "physical_attack", days_ago(1))
    evaluation.evaluate([escalating.defender.pk])
    history = list(RiskAssessment.objects.filter(person=escalating.defender))
    assert len(history) == 2 and [a.is_current for a in history] == [True, False]


def test_nightly_evaluation_covers_everyone_and_reads_intake_reports(
    escalating: World, settings: object
) -> None:
    from django.conf import settings as django_settings

    django_settings.AMPARO_INTAKE_ORGANISATION = escalating.nhri.short_code
    intake_report(acts=["threat_death", "surveillance_physical"], country="KE")
    frame = signals.signals(None)
    assert set(frame["origin"]) == {"act", "intake"}
    outcome = evaluation.evaluate_all()
    assert outcome.subjects >= 2
    assert Alert.objects.filter(person=escalating.defender).exists()


def test_the_state_mechanism_receives_an_alert_only_with_the_persons_consent(
    escalating: World,
) -> None:
    evaluation.evaluate([escalating.defender.pk])
    alert = latest(escalating)
    Alert.objects.filter(pk=alert.pk).update(deadline=timezone.now() - datetime.timedelta(hours=1))
    alerts.escalate_overdue()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ESCALATED and "KEPM" not in recipients(alert)

    consent(escalating.defender, RecipientKind.STATE, escalating.documentalist)
    Alert.objects.filter(pk=alert.pk).update(deadline=timezone.now() - datetime.timedelta(hours=1))
    alerts.escalate_overdue()
    alert.refresh_from_db()
    assert recipients(alert)["KEPM"] == 2 and alert.deadline > timezone.now()
    assert Notification.objects.filter(alert=alert, user=escalating.state_rep).exists()


def test_an_acknowledged_alert_does_not_escalate(escalating: World) -> None:
    evaluation.evaluate([escalating.defender.pk])
    Alert.objects.exclude(pk=latest(escalating).pk).delete()
    alert = latest(escalating)
    alerts.acknowledge(escalating.network_focal, alert, "We are calling her.")
    Alert.objects.filter(pk=alert.pk).update(deadline=timezone.now() - datetime.timedelta(hours=1))
    assert alerts.escalate_overdue() == []
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    acknowledgement = Acknowledgement.objects.get()
    assert acknowledgement.organisation == escalating.network
    assert AlertRecipient.objects.get(organisation=escalating.network).acknowledged_on
    assert AuditEntry.objects.filter(action="warning.alert.acknowledge").exists()


def test_the_email_says_an_alert_waits_and_nothing_about_whom(
    escalating: World, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        evaluation.evaluate([escalating.defender.pk])
    assert mail.outbox, "the focal points are e-mailed"
    recipients_ = {address for message in mail.outbox for address in message.to}
    assert escalating.network_focal.email in recipients_
    assert escalating.outsider.email not in recipients_
    for message in mail.outbox:
        text = message.subject + message.body
        for secret in ("Wanjiru", "Kamau", "KE", "Kenya", "threat", "high", "extreme", "lawyer"):
            assert secret not in text


def test_recording_an_act_queues_the_evaluation_of_its_victims(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    record_act(world.defender, "threat_death", days_ago(30))
    record_act(world.defender, "threat", days_ago(3))
    event_ids = set(world.defender.acts_as_victim.values_list("event_id", flat=True))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
        hooks.events_changed(event_ids)
    assert callbacks  # the evaluation, then the e-mails it queued
    reasons = {r for a in Alert.objects.filter(person=world.defender) for r in a.reasons}
    assert "repeated_threats" in reasons


def test_a_killing_of_a_peer_in_the_region_counts_when_one_person_is_evaluated(
    world: World,
) -> None:
    from tests.factories import PersonFactory, hrd_term

    peer = PersonFactory(organisation=world.nhri, country="KE", region="KE-30")
    peer.defender_types.add(hrd_term("lawyer", "defender_types"))
    record_act(peer, "killing", days_ago(100))
    record_act(world.defender, "threat", days_ago(2))
    evaluation.evaluate([world.defender.pk])
    reasons = {r for a in Alert.objects.filter(person=world.defender) for r in a.reasons}
    assert "peer_killed_in_region" in reasons
    assert not Alert.objects.filter(person=peer).exists()  # the peer was only context


def test_a_notice_is_marked_emailed_only_for_users_who_were_emailed(escalating: World) -> None:
    from amparo.warning import tasks

    evaluation.evaluate([escalating.defender.pk])
    alert = latest(escalating)
    User.objects.filter(pk=escalating.network_focal.pk).update(email="")
    notices = Notification.objects.filter(alert=alert)
    users = list(notices.values_list("user_id", flat=True))
    assert escalating.network_focal.pk in users
    tasks.email_alert.call(alert.pk, users)
    assert notices.get(user=escalating.network_focal).emailed_at is None


def test_an_alert_closed_meanwhile_is_not_reopened_by_an_acknowledgement(
    escalating: World,
) -> None:
    evaluation.evaluate([escalating.defender.pk])
    alert = latest(escalating)
    on_the_page = Alert.objects.get(pk=alert.pk)  # read before someone else closed it
    alerts.close(escalating.focal_point, alert)
    with pytest.raises(PermissionDenied):
        alerts.acknowledge(escalating.focal_point, on_the_page, "Too late.")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED
    assert not Acknowledgement.objects.filter(alert=alert).exists()


def test_a_second_click_does_not_acknowledge_twice(escalating: World) -> None:
    evaluation.evaluate([escalating.defender.pk])
    alert = latest(escalating)
    on_the_page = Alert.objects.get(pk=alert.pk)
    alerts.acknowledge(escalating.network_focal, alert, "We are calling her.")
    with pytest.raises(PermissionDenied):
        alerts.acknowledge(escalating.network_focal, on_the_page, "We are calling her.")
    assert Acknowledgement.objects.filter(alert=alert).count() == 1


def test_an_alert_acknowledged_while_the_escalation_ran_is_not_escalated(
    escalating: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluation.evaluate([escalating.defender.pk])
    Alert.objects.exclude(pk=latest(escalating).pk).delete()
    alert = latest(escalating)
    Alert.objects.filter(pk=alert.pk).update(deadline=timezone.now() - datetime.timedelta(hours=1))
    step = Alert.objects.get(pk=alert.pk).step
    overdue = alerts._overdue
    calls = []

    def acknowledged_after_the_list_was_read(now: datetime.datetime) -> QuerySet[Alert]:
        calls.append(now)
        if len(calls) > 1:
            return overdue(now)
        # The list as it was read, then someone acknowledges before the escalation gets there.
        listed = Alert.objects.filter(pk__in=list(overdue(now).values_list("pk", flat=True)))
        alerts.acknowledge(escalating.network_focal, alert, "Taken in hand.")
        return listed

    monkeypatch.setattr(alerts, "_overdue", acknowledged_after_the_list_was_read)
    assert alerts.escalate_overdue() == []
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED and alert.step == step


def level_rise(world: World, level: str) -> alerts.Raise:
    """What the engine asks when the defender's risk level rises to `level` today."""
    return alerts.Raise(
        person_id=world.defender.pk,
        submission_id=None,
        organisation_id=world.nhri.pk,
        kind=Alert.Kind.LEVEL_RISE,
        level=level,
        reasons=(f"risk_level:{level}",),
        signal_ids=(),
        country="KE",
        region="",
        raised_on=timezone.localdate(),
    )


def test_a_level_rising_the_same_day_tells_the_recipients_again_and_shortens_the_deadline(
    escalating: World,
) -> None:
    first = level_rise(escalating, "high")
    (alert,) = alerts.raise_alerts([first])
    assert alert.deadline > timezone.now() + datetime.timedelta(hours=20)
    Notification.objects.filter(alert=alert).update(read_at=timezone.now())

    later = dataclasses.replace(first, level="extreme", reasons=("risk_level:extreme",))
    assert alerts.raise_alerts([later]) == []  # still one alert per subject and day
    alert.refresh_from_db()
    assert alert.level == "extreme"
    assert alert.deadline < timezone.now() + datetime.timedelta(hours=7)
    assert Notification.objects.filter(alert=alert).exists()
    assert not Notification.objects.filter(alert=alert, read_at__isnull=False).exists()
    rise = AuditEntry.objects.get(action="warning.alert.level_rise")
    assert rise.changes["level"] == ["high", "extreme"]

    alerts.raise_alerts([dataclasses.replace(later, reasons=("risk_level:high",))])
    assert AuditEntry.objects.filter(action="warning.alert.level_rise").count() == 1


def test_an_alert_raised_meanwhile_by_another_evaluation_takes_the_reasons_instead_of_failing(
    escalating: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two evaluations of one person at once (two workers; an import's and the nightly run) both
    found no alert for the day; the second to write hit the unique key and failed, losing its
    reasons. Simulated: the other evaluation's alert appears between the read and the write."""
    wanted, other = level_rise(escalating, "extreme"), level_rise(escalating, "high")
    real_routing = alerts.routing
    raced: list[bool] = []

    class RoutingWhileAnotherEvaluationRaises:
        def __init__(self) -> None:
            self.plan = real_routing()

        def __getattr__(self, name: str) -> object:
            return getattr(self.plan, name)

        def route_for(self, **kwargs: Any) -> object:
            if not raced:
                raced.append(True)
                alerts.raise_alerts([other])
            return self.plan.route_for(**kwargs)

    monkeypatch.setattr(alerts, "routing", RoutingWhileAnotherEvaluationRaises)
    assert alerts.raise_alerts([wanted]) == []
    alert = Alert.objects.get(key=wanted.key)
    assert alert.level == "extreme"
    assert set(alert.reasons) == {"risk_level:extreme", "risk_level:high"}


def test_a_response_done_after_someone_closed_the_alert_does_not_close_it_again(
    escalating: World,
) -> None:
    evaluation.evaluate([escalating.defender.pk])
    alert = latest(escalating)
    as_the_plan_read_it = Alert.objects.get(pk=alert.pk)
    alerts.close(escalating.focal_point, alert)
    alerts.resolve(as_the_plan_read_it, escalating.network_focal)
    assert AuditEntry.objects.filter(action="warning.alert.close").count() == 1
    alert.refresh_from_db()
    assert alert.closed_by == escalating.focal_point

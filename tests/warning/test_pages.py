"""The pages of early warning: the board by level with the overdue alerts, an alert acknowledged
from its page, a person's risk and its override, the home page's panel."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from amparo.core import home
from amparo.warning import home as warning_home
from amparo.warning.models import Alert, RiskAssessment
from amparo.warning.services import evaluation
from tests.warning.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def test_the_board_shows_open_alerts_by_level_and_which_are_overdue(
    client: Client, escalating: World
) -> None:
    evaluation.evaluate([escalating.defender.pk])
    late = Alert.objects.order_by("raised_on").first()
    assert late is not None
    Alert.objects.filter(pk=late.pk).update(deadline=timezone.now() - datetime.timedelta(hours=2))
    text = sign_in(client, escalating.focal_point).get("/warning/").content.decode()
    assert "1 alert is past its deadline to acknowledge." in text
    assert text.index("High") < text.index(f"/warning/alerts/{late.pk}/") or "Extreme" in text
    for alert in Alert.objects.all():
        assert f"/warning/alerts/{alert.pk}/" in text
    closed = sign_in(client, escalating.focal_point).get("/warning/?status=closed")
    assert f"/warning/alerts/{late.pk}/" not in closed.content.decode()


def test_a_focal_point_acknowledges_an_alert_from_its_page(
    client: Client, escalating: World
) -> None:
    evaluation.evaluate([escalating.defender.pk])
    alert = Alert.objects.order_by("-raised_on").first()
    assert alert is not None
    page = sign_in(client, escalating.network_focal)
    before = page.get(f"/warning/alerts/{alert.pk}/").content.decode()
    assert "Acknowledge" in before and "Close the alert" not in before
    response = page.post(f"/warning/alerts/{alert.pk}/acknowledge/", {"note": "Calling now."})
    assert response.status_code == 302
    after = page.get(f"/warning/alerts/{alert.pk}/").content.decode()
    assert "Calling now." in after and 'action="/warning/alerts/' not in after
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED


def test_the_risk_page_says_why_keeps_history_and_takes_an_override(
    client: Client, escalating: World
) -> None:
    evaluation.evaluate([escalating.defender.pk])
    page = sign_in(client, escalating.documentalist)
    url = f"/warning/persons/{escalating.defender.pk}/"
    text = page.get(url).content.decode()
    assert "Wanjiru Kamau" in text and "Two or more threats within 90 days" in text
    refused = page.post(url + "override/", {"level": "low", "reason": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    assert RiskAssessment.objects.count() == 1
    done = page.post(url + "override/", {"level": "low", "reason": "Relocated abroad."})
    assert done.status_code == 302
    text = page.get(url).content.decode()
    assert "Relocated abroad." in text and "Set by staff" in text
    analyst = sign_in(Client(), escalating.analyst)
    assert "Set the level" not in analyst.get(url).content.decode()
    assert analyst.post(url + "override/", {"level": "low", "reason": "x"}).status_code == 200
    assert RiskAssessment.objects.count() == 2


def test_the_home_panel_lists_the_alerts_to_acknowledge_in_few_queries(
    escalating: World, django_assert_max_num_queries: object
) -> None:
    evaluation.evaluate([escalating.defender.pk])
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        content = warning_home.to_acknowledge(escalating.network_focal)
    assert content is not None and content.urgent and content.count == Alert.objects.count()
    assert all("Wanjiru" not in item.label for item in content.items)
    assert warning_home.to_acknowledge(escalating.outsider) is not None
    assert warning_home.to_acknowledge(escalating.outsider).count == 0  # type: ignore[union-attr]
    titles = [c.title for c in home.panels_for(escalating.network_focal)]
    assert "Alerts to acknowledge" in titles

"""The demo world's recommendations and their follow-up."""

from __future__ import annotations

import pytest

from amparo.demo import accounts as core_demo
from amparo.demo import base as demo_base
from amparo.demo import recommendations as demo
from amparo.recommendations.models import ProgressReport, Ratification, Recommendation, Review

pytestmark = pytest.mark.django_db


def test_the_demo_builds_recommendations_with_a_contested_follow_up_once() -> None:
    core_demo.build_accounts()

    report = demo.build_recommendations()
    again = demo.build_recommendations()

    assert report.recommendations == 371 == Recommendation.objects.count()
    assert report.reports == demo.FOLLOWED_UP == ProgressReport.objects.count()
    assert Review.objects.filter(verdict="contested").count() == report.contested > 0
    assert Recommendation.objects.filter(state="KE", contested=True).exists()
    assert Ratification.objects.filter(state="KE", instrument__code="maputo").exists()
    assert again.skipped


def test_the_demo_refuses_to_run_outside_demo_mode(settings: object) -> None:
    settings.DEMO = settings.TESTING = False  # type: ignore[attr-defined]
    with pytest.raises(demo_base.DemoError):
        demo.build_recommendations()

"""What the recommendations app tells the network's scorecard: its HRD recommendations."""

from __future__ import annotations

import datetime

import pytest

from amparo.recommendations import queries
from amparo.recommendations.models import (
    AffectedGroup,
    ImplementationStatus,
    ProgressReport,
    Theme,
    ThemeLabel,
)
from tests.factories import OrganisationFactory, UserFactory
from tests.recommendations.conftest import MakeRecommendation

pytestmark = pytest.mark.django_db
HRD_GROUP = "human_rights_defenders"


def test_the_scorecard_gets_each_hrd_recommendation_with_its_status(
    make_recommendation: MakeRecommendation,
) -> None:
    make_recommendation(themes=["human_rights_defenders"], text="A confirmed HRD theme.")
    suggested = make_recommendation(text="Only a suggested HRD theme.")
    ThemeLabel.objects.create(
        recommendation=suggested,
        theme=Theme.objects.get(code="human_rights_defenders"),
        status=ThemeLabel.Status.SUGGESTED,
        source=ThemeLabel.Source.CLASSIFIER,
    )
    by_group = make_recommendation(text="Defenders among the affected persons.")
    by_group.affected_groups.add(AffectedGroup.objects.get(code=HRD_GROUP))
    by_group.status = ImplementationStatus.IN_PROGRESS
    by_group.save()
    ProgressReport.objects.create(
        recommendation=by_group,
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        status=ImplementationStatus.IN_PROGRESS,
        organisation=OrganisationFactory(),
        submitted_by=UserFactory(),
    )
    later = make_recommendation(text="Made after the window.", date=datetime.date(2030, 1, 1))
    later.affected_groups.add(AffectedGroup.objects.get(code=HRD_GROUP))
    elsewhere = make_recommendation(text="To another State.", state="UG")
    elsewhere.affected_groups.add(AffectedGroup.objects.get(code=HRD_GROUP))

    answers = queries.hrd_recommendations(
        countries=["ke", "TN"], start=datetime.date(2019, 1, 1), end=datetime.date(2025, 1, 1)
    )
    answer = answers["KE"]
    assert answers["TN"]["items"] == []

    assert sorted(item["status"] for item in answer["items"]) == [
        "no_information",
        "partially_implemented",
    ]
    assert answer["url"] == "/recommendations/states/KE/"

"""The statistics part of the demo world: laws and their uses, killings with overlapping sources,
victims recorded twice, the review queue; the facts as a rebuild would write them."""

from __future__ import annotations

import pytest

from amparo.cases.models import Source
from amparo.demo import accounts
from amparo.demo import cases as demo_cases
from amparo.demo import stats as demo_stats
from amparo.stats.models import DuplicateCandidate, Fact, LawUse, LegalMeasure
from amparo.stats.services import estimates

pytestmark = pytest.mark.django_db


def test_the_demo_gives_laws_overlapping_sources_and_pairs_to_review_once() -> None:
    accounts.build_accounts()
    demo_cases.build_cases(events=20, seed=3)
    report = demo_stats.build_stats(seed=3, events=20)
    assert report.laws == len(demo_stats.LAWS) == LegalMeasure.objects.count()
    assert report.uses == LawUse.objects.count()
    assert report.killed == demo_stats.FEWEST_KILLED
    assert 0 < report.killings <= report.killed + demo_stats.DUPLICATES
    sources = Source.objects.filter(event__country="CO", event__acts__type_of_act__code="killing")
    assert sources.values("source_person").distinct().count() >= 3
    assert report.duplicates >= 1
    assert DuplicateCandidate.objects.exists()
    result = estimates.estimate(None, estimates.EstimateRequest("killing", "CO"))
    assert len(result.lists) >= 3
    rows = list(Fact.objects.order_by("act_id").values())
    from amparo.stats.services import facts

    facts.rebuild()
    assert list(Fact.objects.order_by("act_id").values()) == rows
    assert demo_stats.build_stats(seed=3, events=20).skipped

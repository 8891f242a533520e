"""Reviews: opened by the `open_review` step with the scorecard as it stands; the State
self-assesses, the NHRI and civil society submit; the secretariat summarises, the steering group
recommends; each reads what its capacity allows."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.network import access
from amparo.network.models import Review
from amparo.network.services import lifecycle, reviews
from tests.network.conftest import Delegation

pytestmark = pytest.mark.django_db
NEEDS_VOCABULARIES = False


@pytest.fixture
def review(kenya: Delegation, secretariat: User) -> Review:
    lifecycle.transition(secretariat, kenya.member, "open_review", reason="Periodic review.")
    return Review.objects.get(member=kenya.member)


def test_opening_a_review_keeps_the_scorecard_as_it_stands(review: Review) -> None:
    assert review.number == 1 and review.stage == "open"
    kept = reviews.kept_scorecard(review)
    assert kept is not None
    assert [s.id for s in kept.signals][:3] == ["killings", "attacks", "nhri_reprisals"]


def test_each_part_submits_in_its_own_name_and_reads_its_own(
    review: Review, kenya: Delegation, secretariat: User, steering: User
) -> None:
    reviews.submit(kenya.state, review, "Self-assessment.")
    reviews.submit(kenya.nhri, review, "Threats against our staff.")
    reviews.submit(kenya.civil_society, review, "Three defenders killed.")
    assert {s.part for s in review.submissions.all()} == {"state", "nhri", "civil_society"}
    assert [s.text for s in access.visible_submissions(kenya.state, review)] == ["Self-assessment."]
    assert len(access.visible_submissions(secretariat, review)) == 3
    assert len(access.visible_submissions(steering, review)) == 3


def test_a_co_chair_reads_the_outcome_but_not_the_submissions(
    review: Review, co_chair: User, kenya: Delegation
) -> None:
    reviews.submit(kenya.civil_society, review, "Three defenders killed.")
    assert "view_review" in access.review_actions_on(co_chair, review)
    assert not access.visible_submissions(co_chair, review).exists()


def test_the_review_moves_from_submissions_to_summary_to_recommendation(
    review: Review, kenya: Delegation, secretariat: User, steering: User
) -> None:
    with pytest.raises(DomainError, match="not summarised"):
        reviews.recommend(steering, review, "concerns", "Too early.")
    reviews.summarise(secretariat, review, "Reprisals against the NHRI.")
    review.refresh_from_db()
    assert review.stage == "summarised" and "summarised" in review.scorecard
    with pytest.raises(DomainError, match="no longer takes submissions"):
        reviews.submit(kenya.state, review, "Late.")
    with pytest.raises(PermissionDenied):
        reviews.recommend(secretariat, review, "concerns", "Not the steering group.")
    with pytest.raises(ValidationError):
        reviews.recommend(steering, review, "expel", "No such outcome.")
    reviews.recommend(steering, review, "suspension_recommended", "Repeated reprisals.")
    review.refresh_from_db()
    assert review.stage == "concluded" and review.outcome == "suspension_recommended"
    with pytest.raises(DomainError, match="concluded"):
        reviews.summarise(secretariat, review, "Again.")


def test_the_kept_scorecard_reads_in_the_readers_language(review: Review) -> None:
    with translation.override("fr"):
        kept = reviews.kept_scorecard(review)
        assert kept is not None
        assert kept.signals[0].label == "Assassinats de défenseurs"


def test_a_scorecard_kept_in_an_unreadable_form_is_left_out(review: Review) -> None:
    review.scorecard = {"opened": {"signals": "broken"}}
    review.save()
    assert reviews.kept_scorecard(review) is None


def test_the_next_periodic_review_is_due_a_cycle_after_the_last(
    kenya: Delegation, review: Review
) -> None:
    kenya.member.status = "active"
    kenya.member.save()
    due = reviews.next_review_due(kenya.member)
    assert due is not None and due.year == review.opened_on.year + 3

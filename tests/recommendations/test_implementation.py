"""The follow-up: the State's plan and reports, and their review by the NHRI and civil society."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.timezone import localdate

from amparo.core.models import Clearance, Organisation, Role, User
from amparo.recommendations import services
from amparo.recommendations.models import Indicator, Review
from amparo.recommendations.models import Recommendation as Rec
from amparo.recommendations.services.implementation import next_due_after
from tests.factories import member

pytestmark = pytest.mark.django_db


def year_ago() -> datetime.date:
    return localdate() - datetime.timedelta(days=365)


def report(user: User, recommendation: Rec, status: str = "in_progress"):  # type: ignore[no-untyped-def]
    return services.submit_progress_report(
        user,
        recommendation,
        services.ProgressInput(year_ago(), localdate(), status, "A protection law was drafted."),
    )


def test_the_state_reports_and_the_status_follows_its_latest_report(
    recommendation: Rec, state_rep: User
) -> None:
    report(state_rep, recommendation, "partially_implemented")
    recommendation.refresh_from_db()
    assert recommendation.status == "partially_implemented" and not recommendation.contested


def test_a_state_may_not_report_on_another_states_recommendation(
    recommendation: Rec, state_ug: Organisation
) -> None:
    uganda = member(Role.STATE_REPRESENTATIVE, Clearance.RESTRICTED, state_ug)
    with pytest.raises(PermissionDenied):
        report(uganda, recommendation)
    with pytest.raises(PermissionDenied):
        services.add_action(
            uganda, recommendation, services.ActionInput("Anything", "Ministry of Justice")
        )


def test_civil_society_contests_with_a_comment_and_the_disagreement_shows(
    recommendation: Rec, state_rep: User, cso_staff: User, documentalist: User
) -> None:
    made = report(state_rep, recommendation, "implemented")
    with pytest.raises(ValidationError):
        services.review_report(cso_staff, made, verdict="contested")

    services.review_report(documentalist, made, verdict="endorsed")
    services.review_report(
        cso_staff,
        made,
        verdict="contested",
        comment="Two defenders were killed after the law passed.",
        assessed_status="regressed",
    )

    recommendation.refresh_from_db()
    assert recommendation.status == "implemented" and recommendation.contested
    parties = dict(made.reviews.values_list("party", "verdict"))
    assert parties == {"nhri": "endorsed", "civil_society": "contested"}


def test_reviewing_again_replaces_the_organisations_review(
    recommendation: Rec, state_rep: User, cso_staff: User
) -> None:
    made = report(state_rep, recommendation)
    services.review_report(cso_staff, made, verdict="contested", comment="Not true.")
    services.review_report(cso_staff, made, verdict="endorsed")
    assert made.reviews.get().verdict == Review.Verdict.ENDORSED
    recommendation.refresh_from_db()
    assert not recommendation.contested


def test_an_nhri_of_another_country_may_not_review(recommendation: Rec, state_rep: User) -> None:
    other = member(
        Role.DOCUMENTALIST,
        Clearance.RESTRICTED,
        Organisation.objects.create(
            name="Uganda NHRI", short_code="UHRC", kind="nhri", country="UG"
        ),
    )
    made = report(state_rep, recommendation)
    with pytest.raises(PermissionDenied):
        services.review_report(other, made, verdict="endorsed")


def test_the_state_may_not_review_its_own_report(recommendation: Rec, state_rep: User) -> None:
    made = report(state_rep, recommendation)
    with pytest.raises(PermissionDenied):
        services.review_report(state_rep, made, verdict="endorsed")


def test_a_report_period_must_make_sense(recommendation: Rec, state_rep: User) -> None:
    with pytest.raises(ValidationError):
        services.submit_progress_report(
            state_rep,
            recommendation,
            services.ProgressInput(localdate(), year_ago(), "in_progress", "x"),
        )
    with pytest.raises(ValidationError):
        services.submit_progress_report(
            state_rep,
            recommendation,
            services.ProgressInput(year_ago(), localdate(), "finished", "x"),
        )


def test_an_indicator_is_overdue_until_its_value_comes_and_then_due_again(
    recommendation: Rec, state_rep: User
) -> None:
    action = services.add_action(
        state_rep,
        recommendation,
        services.ActionInput("Fund the protection mechanism", "Ministry of Interior"),
    )
    indicator = services.add_indicator(
        state_rep,
        action,
        services.IndicatorInput(
            "Defenders under protection",
            "500",
            frequency="quarterly",
            next_due=localdate() - datetime.timedelta(days=10),
        ),
    )
    assert indicator.is_overdue()

    services.record_indicator_value(state_rep, indicator, value="320", measured_on=localdate())

    indicator.refresh_from_db()
    assert not indicator.is_overdue() and indicator.next_due is not None
    assert indicator.next_due > localdate()


@pytest.mark.parametrize(
    ("frequency", "due", "measured", "expected"),
    [
        (
            "monthly",
            datetime.date(2025, 1, 31),
            datetime.date(2025, 2, 5),
            datetime.date(2025, 2, 28),
        ),
        (
            "annual",
            datetime.date(2024, 2, 29),
            datetime.date(2024, 3, 1),
            datetime.date(2025, 2, 28),
        ),
        ("once", datetime.date(2025, 1, 1), datetime.date(2025, 1, 2), None),
    ],
)
def test_the_next_due_date_steps_by_the_frequency(
    frequency: str, due: datetime.date, measured: datetime.date, expected: datetime.date | None
) -> None:
    indicator = Indicator(frequency=frequency, next_due=due)
    assert next_due_after(indicator, measured) == expected


def test_only_the_state_responds_to_its_recommendation(
    recommendation: Rec, state_rep: User, documentalist: User
) -> None:
    services.respond(state_rep, recommendation, position="noted", state_response="Under study.")
    recommendation.refresh_from_db()
    assert recommendation.position == "noted"
    with pytest.raises(PermissionDenied):
        services.respond(documentalist, recommendation, position="supported", state_response="")

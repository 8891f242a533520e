"""Commitments: pledged with indicators and a due date, published, reported on by the State,
commented by the NHRI and civil society, closed by the secretariat."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from amparo.core.models import AuditEntry, User
from amparo.core.services import DomainError
from amparo.network import access
from amparo.network.models import Commitment, ProgressReport
from amparo.network.queries import today
from amparo.network.services import commitments
from amparo.network.services.commitments import CommitmentInput, IndicatorInput
from tests.network.conftest import Delegation

pytestmark = pytest.mark.django_db
NEEDS_VOCABULARIES = False


def pledge(**overrides: object) -> CommitmentInput:
    values: dict[str, object] = {
        "kind": "protection_law",
        "title": "Adopt a law on the protection of defenders",
        "due_on": today() + datetime.timedelta(days=365),
        "indicators": [IndicatorInput("Bill tabled", "Within six months")],
    }
    values.update(overrides)
    return CommitmentInput(**values)  # type: ignore[arg-type]


def test_the_state_pledges_a_commitment_with_its_indicators(kenya: Delegation) -> None:
    commitment = commitments.add_commitment(kenya.state, kenya.member, pledge(publish=True))
    assert commitment.published_on == today() and commitment.pledged_on == today()
    assert [i.description for i in commitment.indicators.all()] == ["Bill tabled"]
    entry = AuditEntry.objects.get(action="network.commitment.create")
    assert entry.changes["indicators"] == 1 and entry.changes["published"] is True


DATES = ("pledged_on", "due_on")


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"kind": "world_peace"}, "kind"),
        ({"title": "  "}, "title"),
        ({"indicators": []}, "indicators"),
        ({"indicators": [IndicatorInput("  ", " ")]}, "indicators"),
        ({"due_on": None}, "due_on"),
        # Days from today, read when the test runs (see the clock check of test_architecture).
        ({"pledged_on": 3}, "pledged_on"),
        ({"pledged_on": 0, "due_on": -1}, "due_on"),
        ({"indicators": [IndicatorInput(f"I{n}") for n in range(21)]}, "indicators"),
    ],
)
def test_a_pledge_that_cannot_be_kept_is_refused_at_its_field_and_nothing_is_written(
    kenya: Delegation, overrides: dict[str, object], field: str
) -> None:
    # The dates are given in days from today (read now, not at import): see above.
    dated = {
        name: today() + datetime.timedelta(days=value)
        if name in DATES and isinstance(value, int)
        else value
        for name, value in overrides.items()
    }
    with pytest.raises(ValidationError) as refused:
        commitments.add_commitment(kenya.state, kenya.member, pledge(**dated))
    assert field in refused.value.message_dict
    assert not Commitment.objects.exists()


def test_the_nhri_does_not_pledge_for_the_state(kenya: Delegation) -> None:
    with pytest.raises(PermissionDenied):
        commitments.add_commitment(kenya.nhri, kenya.member, pledge())


def test_a_commitment_is_published_once(kenya: Delegation) -> None:
    commitment = commitments.add_commitment(kenya.state, kenya.member, pledge())
    commitments.publish_commitment(kenya.state, commitment)
    with pytest.raises(DomainError, match="published already"):
        commitments.publish_commitment(kenya.state, commitment)


def test_progress_is_reported_by_the_state_and_commented_by_the_nhri_and_civil_society(
    kenya: Delegation,
) -> None:
    commitment = commitments.add_commitment(kenya.state, kenya.member, pledge(publish=True))
    with pytest.raises(DomainError, match="not reported progress"):
        commitments.comment_progress(
            kenya.nhri,
            ProgressReport(commitment=commitment, pk=0),
            "Too early.",
        )
    report = commitments.report_progress(
        kenya.state, commitment, ProgressReport.Assessment.ON_TRACK, "The bill is tabled."
    )
    nhri = commitments.comment_progress(kenya.nhri, report, "It leaves out land defenders.")
    civil = commitments.comment_progress(kenya.civil_society, report, "Consultation was late.")
    assert (nhri.part, civil.part) == ("nhri", "civil_society")
    with pytest.raises(PermissionDenied):
        commitments.comment_progress(kenya.state, report, "We comment our own report.")
    with pytest.raises(PermissionDenied):
        commitments.report_progress(kenya.nhri, commitment, "on_track", "Not theirs to report.")


def test_comments_are_read_by_the_delegation_and_the_network_leaders_only(
    kenya: Delegation, observer: User, steering: User
) -> None:
    commitment = commitments.add_commitment(kenya.state, kenya.member, pledge(publish=True))
    report = commitments.report_progress(kenya.state, commitment, "delayed", "Budget cut.")
    assert access.comments_visible(steering, report)
    assert access.comments_visible(kenya.state, report)
    assert not access.comments_visible(observer, report)


def test_the_secretariat_closes_a_commitment_with_its_date(
    kenya: Delegation, secretariat: User
) -> None:
    commitment = commitments.add_commitment(kenya.state, kenya.member, pledge())
    with pytest.raises(PermissionDenied):
        commitments.close_commitment(kenya.state, commitment, "fulfilled")
    with pytest.raises(ValidationError):
        commitments.close_commitment(secretariat, commitment, "forgotten")
    commitments.close_commitment(secretariat, commitment, "fulfilled")
    commitment.refresh_from_db()
    assert commitment.state == "fulfilled" and commitment.closed_on == today()
    with pytest.raises(DomainError, match="no longer open"):
        commitments.report_progress(kenya.state, commitment, "done", "Done.")

"""Governance: the co-chairs' rotation computed ahead from the rules, confirmed terms, the
steering group; meetings with their decisions and action items."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from amparo.core.models import AuditEntry, User
from amparo.network import access
from amparo.network.models import CoChairTerm, Meeting, SteeringMember
from amparo.network.queries import today
from amparo.network.services import governance, meetings
from amparo.network.services.governance import SteeringInput
from amparo.network.services.meetings import ActionItemInput, MeetingInput
from tests.factories import network_member
from tests.network.conftest import Delegation

pytestmark = pytest.mark.django_db
NEEDS_VOCABULARIES = False


def joined(country: str, days_ago: int) -> object:
    return network_member(country, "active", joined_on=today() - datetime.timedelta(days=days_ago))


def countries(term: governance.ScheduledTerm) -> list[str]:
    return [m.country for m in term.members]


def test_the_rotation_takes_the_members_in_the_order_they_joined_two_at_a_time() -> None:
    for country, days in (("CR", 900), ("CA", 800), ("CI", 700), ("ID", 600), ("KE", 500)):
        joined(country, days)
    network_member("MX", "under_review")  # not active: not in the rotation
    schedule = governance.rotation_schedule(today(), terms_ahead=3)
    assert [countries(t) for t in schedule] == [["CR", "CA"], ["CI", "ID"], ["KE", "CR"]]
    assert schedule[0].starts_on == today() and not schedule[0].confirmed
    assert schedule[1].starts_on == schedule[0].ends_on + datetime.timedelta(days=1)
    assert schedule[0].ends_on.year == today().year + 1


def test_the_rotation_continues_after_the_last_confirmed_term(secretariat: User) -> None:
    for country, days in (("CR", 900), ("CA", 800), ("CI", 700), ("ID", 600)):
        joined(country, days)
    term = governance.confirm_next_term(secretariat)
    assert sorted(m.country for m in term.members.all()) == ["CA", "CR"]
    schedule = governance.rotation_schedule(today(), terms_ahead=2)
    assert schedule[0].confirmed and schedule[0].term == term
    assert countries(schedule[1]) == ["CI", "ID"] and not schedule[1].confirmed
    assert schedule[1].starts_on == term.ends_on + datetime.timedelta(days=1)
    assert AuditEntry.objects.filter(action="network.co_chairs.confirm").exists()


def test_a_lone_active_member_is_shown_short_of_co_chairs() -> None:
    joined("CR", 10)
    schedule = governance.rotation_schedule(today(), terms_ahead=1)
    assert countries(schedule[0]) == ["CR"] and schedule[0].short


def test_a_term_needs_two_active_states_and_may_not_overlap(secretariat: User) -> None:
    cr, ca = joined("CR", 10), joined("CA", 10)
    suspended = network_member("HN", "suspended")
    end = today() + datetime.timedelta(days=365)
    with pytest.raises(ValidationError, match="At least two"):
        governance.confirm_term(secretariat, starts_on=today(), ends_on=end, members=[cr, cr])
    with pytest.raises(ValidationError, match="Honduras"):
        governance.confirm_term(
            secretariat, starts_on=today(), ends_on=end, members=[cr, suspended]
        )
    with pytest.raises(ValidationError):
        governance.confirm_term(secretariat, starts_on=end, ends_on=today(), members=[cr, ca])
    governance.confirm_term(secretariat, starts_on=today(), ends_on=end, members=[cr, ca])
    with pytest.raises(ValidationError, match="overlaps"):
        governance.confirm_term(
            secretariat, starts_on=end, ends_on=end + datetime.timedelta(days=9), members=[cr, ca]
        )
    assert CoChairTerm.objects.count() == 1


def test_only_the_secretariat_confirms_terms_and_seats(co_chair: User, steering: User) -> None:
    with pytest.raises(PermissionDenied):
        governance.confirm_next_term(co_chair)
    with pytest.raises(PermissionDenied):
        governance.add_steering_member(
            steering, SteeringInput("Me", "Self-appointed", "independent_expert", today())
        )


def test_a_steering_seat_linked_to_an_account_acts_until_it_ends(
    secretariat: User, observer: User, kenya: Delegation
) -> None:
    seat = governance.add_steering_member(
        secretariat,
        SteeringInput(
            "Regional Rapporteur",
            "Rapporteur on defenders",
            "regional_rapporteur",
            today(),
            observer,
        ),
    )
    assert access.SG in access.Viewer.of(observer).capacities(kenya.member)
    governance.end_steering_seat(secretariat, seat)
    assert access.SG not in access.Viewer.of(observer).capacities(kenya.member)
    with pytest.raises(ValidationError):
        governance.end_steering_seat(secretariat, SteeringMember.objects.get(pk=seat.pk))


def test_a_meeting_is_recorded_with_its_agenda_participants_decisions_and_actions(
    secretariat: User, kenya: Delegation
) -> None:
    meeting = meetings.create_meeting(
        secretariat,
        MeetingInput(
            "Plenary",
            "plenary",
            today(),
            agenda="1. Reviews",
            minutes="Kenya's NHRI reported threats.",
            members=[kenya.member],
        ),
    )
    meetings.add_decision(secretariat, meeting, "Open the review of Kenya.")
    meetings.add_decision(secretariat, meeting, "Meet again in June.")
    item = meetings.add_action_item(
        secretariat, meeting, ActionItemInput("Send the questionnaire", member=kenya.member)
    )
    meetings.complete_action_item(secretariat, item)
    with pytest.raises(ValidationError):
        meetings.complete_action_item(secretariat, item)
    assert [d.position for d in meeting.decisions.all()] == [1, 2]
    assert list(meeting.members.all()) == [kenya.member]


def test_changed_minutes_enter_the_log_as_encrypted(secretariat: User) -> None:
    meeting = meetings.create_meeting(secretariat, MeetingInput("Plenary", "plenary", today()))
    meetings.update_meeting(
        secretariat,
        meeting,
        MeetingInput("Plenary", "plenary", today(), minutes="Confidential words"),
    )
    entry = AuditEntry.objects.get(action="network.meeting.update")
    assert entry.changes["minutes"] == {"from": "[encrypted]", "to": "[encrypted]"}
    assert "Confidential" not in str(entry.changes)


def test_meetings_are_for_the_network_not_for_every_staff_member(
    secretariat: User, observer: User, kenya: Delegation
) -> None:
    meetings.create_meeting(secretariat, MeetingInput("Plenary", "plenary", today()))
    assert access.visible_meetings(kenya.civil_society).count() == 1
    assert not access.visible_meetings(observer).exists()
    with pytest.raises(PermissionDenied):
        meetings.create_meeting(kenya.state, MeetingInput("Ours", "plenary", today()))
    with pytest.raises(ValidationError):
        meetings.create_meeting(secretariat, MeetingInput("No date", "plenary", None))
    assert Meeting.objects.count() == 1

"""Two records of one person merged, and the merge undone exactly."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from amparo.cases import services
from amparo.cases.models import Act, EventVersion, Person, PersonMerge, Source
from amparo.core.models import AuditEntry, Clearance, Role
from amparo.core.services import DomainError
from tests.factories import OrganisationFactory, member
from tests.stats.world import institution, record, victim

pytestmark = pytest.mark.django_db


@pytest.fixture
def twice(documentalist, nhri):
    """The same defender recorded from two sources, as two persons."""
    first = record(
        documentalist,
        nhri,
        acts=[(victim("María José Pérez"), "killing")],
        sources=[institution("Observatory")],
        date=datetime.date(2024, 5, 1),
    )
    second = record(
        documentalist,
        nhri,
        acts=[(victim("Maria Jose Perez"), "killing")],
        sources=[institution("Radio")],
        date=datetime.date(2024, 5, 1),
    )
    keep = Act.objects.get(event=first).victim
    duplicate = Act.objects.get(event=second).victim
    return first, second, keep, duplicate


def test_a_merge_repoints_the_duplicates_acts_and_keeps_every_source(documentalist, twice) -> None:
    _first, second, keep, duplicate = twice
    merge = services.merge_persons(documentalist, keep, duplicate)
    assert Act.objects.get(event=second).victim_id == keep.pk
    assert Source.objects.filter(event=second).count() == 1  # the second source still reports it
    assert Person.objects.filter(pk=duplicate.pk).exists()  # nothing deleted
    assert merge.moved["acts"] == [Act.objects.get(event=second).pk]
    assert EventVersion.objects.filter(event=second, action="merge_person").exists()
    assert AuditEntry.objects.filter(action="person.merge", object_id=str(keep.pk)).exists()


def test_undoing_a_merge_puts_back_exactly_what_moved(documentalist, twice) -> None:
    _first, _second, keep, duplicate = twice
    before = {a.pk: a.victim_id for a in Act.objects.all()}
    merge = services.merge_persons(documentalist, keep, duplicate)
    services.undo_merge(documentalist, merge)
    assert {a.pk: a.victim_id for a in Act.objects.all()} == before
    merge.refresh_from_db()
    assert merge.undone_at is not None
    with pytest.raises(DomainError):
        services.undo_merge(documentalist, merge)
    # Undone, the two may be merged again.
    services.merge_persons(documentalist, keep, duplicate)


def test_an_undo_is_refused_when_a_moved_record_changed_since(documentalist, twice) -> None:
    _first, second, keep, duplicate = twice
    merge = services.merge_persons(documentalist, keep, duplicate)
    Act.objects.filter(event=second).update(victim=duplicate)  # behind the app's back
    with pytest.raises(DomainError):
        services.undo_merge(documentalist, merge)
    assert PersonMerge.objects.get(pk=merge.pk).undone_at is None


def test_a_person_merged_away_cannot_be_merged_again(documentalist, twice) -> None:
    _first, _second, keep, duplicate = twice
    services.merge_persons(documentalist, keep, duplicate)
    with pytest.raises(DomainError):
        services.merge_persons(documentalist, duplicate, keep)


def test_records_of_two_organisations_are_never_merged(documentalist, twice) -> None:
    _first, _second, keep, _duplicate = twice
    other = OrganisationFactory()
    theirs = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, other)
    event = record(theirs, other, acts=[(victim("Maria Jose Perez"), "killing")])
    with pytest.raises((DomainError, PermissionDenied)):
        services.merge_persons(documentalist, keep, Act.objects.get(event=event).victim)


@pytest.mark.parametrize(
    ("role", "clearance"),
    [(Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL), (Role.DOCUMENTALIST, Clearance.PUBLIC)],
)
def test_who_may_not_change_or_see_both_persons_may_not_merge_them(
    nhri, twice, role, clearance
) -> None:
    _first, _second, keep, duplicate = twice
    with pytest.raises(PermissionDenied):
        services.merge_persons(member(role, clearance, nhri), keep, duplicate)
    assert not PersonMerge.objects.exists()


def test_a_closed_event_refuses_the_merge_and_nothing_changes(documentalist, nhri, twice) -> None:
    _first, second, keep, duplicate = twice
    verifier = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    services.submit_event(documentalist, second)
    second.refresh_from_db()
    services.verify_event(verifier, second)
    second.refresh_from_db()
    services.close_event(verifier, second)
    with pytest.raises(DomainError):
        services.merge_persons(documentalist, keep, duplicate)
    assert Act.objects.get(event=second).victim_id == duplicate.pk

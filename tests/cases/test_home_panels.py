"""The cases panels of the home page: events waiting for the person's verification, their
drafts, events shared with them recently and events whose people's consent changed recently.
Each counts what the event list shows at its link, only for those whose role the panel is for,
in a bounded number of queries."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.cases import access, home, queries
from amparo.cases.models import ConsentRecord, Event, RecipientKind, SharingGrant
from amparo.core.models import Clearance, Organisation, Role, User
from tests.cases.conftest import sign_in
from tests.factories import ActFactory, EventFactory, OrganisationFactory, member

SUBMITTED = Event.Status.SUBMITTED


def _listed(client: Client, link: str) -> set[int]:
    response = client.get(link + "&per_page=100")
    assert response.status_code == 200
    return {event.pk for event in response.context["page"].events}


def _submitted(organisation: Organisation, by: User, **fields: object) -> Event:
    return EventFactory(
        organisation=organisation,
        status=SUBMITTED,
        submitted_by=by,
        submitted_at=timezone.now(),
        **fields,
    )


# --- Waiting for verification ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_events_a_colleague_submitted_wait_for_my_verification(
    client: Client, nhri: Organisation, documentalist: User
) -> None:
    colleague = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)
    waiting = {_submitted(nhri, colleague).pk, _submitted(nhri, colleague).pk}
    _submitted(nhri, documentalist)  # mine: someone else verifies it
    EventFactory(organisation=nhri)  # a draft
    _submitted(OrganisationFactory(), colleague)  # another organisation's

    panel = home.to_verify(documentalist)

    assert panel is not None and panel.count == 2 and panel.summary == "2 events"
    assert {item.link for item in panel.items} == {
        reverse("cases:event_detail", args=[pk]) for pk in waiting
    }
    assert _listed(sign_in(client, documentalist), panel.link) == waiting


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.ADMINISTRATOR, True),
        (Role.DOCUMENTALIST, True),
        (Role.ANALYST, False),
        (Role.FOCAL_POINT, False),
        (Role.REVIEWER, False),
        (Role.READ_ONLY, False),
        (Role.STATE_REPRESENTATIVE, False),
    ],
)
def test_only_those_who_may_verify_see_the_verification_panel(
    nhri: Organisation, role: str, shown: bool
) -> None:
    user = member(role, Clearance.CONFIDENTIAL, nhri)

    assert (home.to_verify(user) is not None) is shown


@pytest.mark.django_db
def test_the_verification_list_is_what_the_event_page_lets_each_person_verify(
    nhri: Organisation,
) -> None:
    # Every combination of role, clearance, status and submitter: the list (a query) and the
    # event page (actions_on) must agree on each event.
    people = [
        member(role, clearance, nhri)
        for role, clearance in itertools.product(
            (Role.DOCUMENTALIST, Role.ADMINISTRATOR, Role.FOCAL_POINT, Role.ANALYST),
            (Clearance.RESTRICTED, Clearance.STRICTLY_CONFIDENTIAL),
        )
    ]
    events = [
        EventFactory(
            organisation=nhri,
            status=status,
            submitted_by=submitter,
            confidentiality=level,
        )
        for status, submitter, level in itertools.product(
            Event.Status.values, people[:3], (Clearance.RESTRICTED, Clearance.CONFIDENTIAL)
        )
    ]
    for person in people:
        viewer = access.Viewer.of(person)
        listed = set(
            access.visible_events(person, viewer)
            .filter(queries.work_condition(queries.Work.TO_VERIFY, person, viewer))
            .values_list("pk", flat=True)
        )
        verifiable = {e.pk for e in events if access.VERIFY in access.actions_on(person, e)}
        assert listed == verifiable, person


# --- Drafts ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_drafts_are_the_drafts_i_recorded(
    client: Client, nhri: Organisation, documentalist: User
) -> None:
    colleague = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)
    mine = EventFactory(organisation=nhri, created_by=documentalist, title="My draft")
    EventFactory(organisation=nhri, created_by=colleague)
    _submitted(nhri, documentalist, created_by=documentalist)

    panel = home.my_drafts(documentalist)

    assert panel is not None and panel.count == 1
    assert [item.label for item in panel.items] == [f"{mine.reference_code} · My draft"]
    assert _listed(sign_in(client, documentalist), panel.link) == {mine.pk}
    assert home.my_drafts(member(Role.FOCAL_POINT, Clearance.CONFIDENTIAL, nhri)) is None


# --- Shared recently ------------------------------------------------------------------------


@pytest.mark.django_db
def test_events_shared_with_me_or_my_organisation_recently_are_counted(
    client: Client, nhri: Organisation, documentalist: User
) -> None:
    state = OrganisationFactory(kind=Organisation.Kind.STATE)
    representative = member(Role.STATE_REPRESENTATIVE, Clearance.CONFIDENTIAL, state)
    long_ago = timezone.now() - datetime.timedelta(days=queries.RECENT_DAYS + 1)

    def shared(**grant: object) -> Event:
        event = EventFactory(organisation=nhri)
        made = SharingGrant.objects.create(event=event, granted_by=documentalist, **grant)
        if "granted_at" in grant:  # auto_now_add: set it afterwards
            SharingGrant.objects.filter(pk=made.pk).update(granted_at=grant["granted_at"])
        return event

    recent = {shared(organisation=state).pk, shared(user=representative).pk}
    shared(organisation=state, granted_at=long_ago)
    shared(organisation=state, revoked_at=timezone.now(), revoked_by=documentalist)
    shared(organisation=OrganisationFactory())

    panel = home.shared_recently(representative)

    assert panel is not None and panel.count == 2
    assert _listed(sign_in(client, representative), panel.link) == recent
    assert "In the last 14 days." in panel.note


# --- Consent changed ------------------------------------------------------------------------


@pytest.mark.django_db
def test_events_whose_peoples_consent_changed_recently_are_counted(
    client: Client, nhri: Organisation, documentalist: User
) -> None:
    given = ActFactory(event__organisation=nhri)
    withdrawn = ActFactory(event__organisation=nhri)
    old = ActFactory(event__organisation=nhri)
    ActFactory(event__organisation=nhri)  # nobody's consent changed
    today = timezone.localdate()
    long_ago = timezone.now() - datetime.timedelta(days=queries.RECENT_DAYS + 1)
    for act in (given, withdrawn, old):
        ConsentRecord.objects.create(
            person=act.victim,
            recipient_kind=RecipientKind.STATE,
            purpose="Protection",
            given_on=today,
            recorded_by=documentalist,
        )
    ConsentRecord.objects.filter(person=withdrawn.victim).update(
        recorded_at=long_ago, withdrawn_at=timezone.now(), withdrawn_on=today
    )
    ConsentRecord.objects.filter(person=old.victim).update(recorded_at=long_ago)

    focal = member(Role.FOCAL_POINT, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    for person in (documentalist, focal):
        panel = home.consent_changed(person)
        assert panel is not None and panel.count == 2, person
        assert _listed(sign_in(Client(), person), panel.link) == {
            given.event_id,
            withdrawn.event_id,
        }
    partner = member(Role.STATE_REPRESENTATIVE, Clearance.CONFIDENTIAL)
    assert home.consent_changed(partner) is None


# --- Bounded ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("build", [p[2] for p in home.PANELS], ids=[p[0] for p in home.PANELS])
def test_each_panel_needs_the_same_few_queries_whatever_the_number_of_events(
    nhri: Organisation, documentalist: User, build, django_assert_max_num_queries
) -> None:
    colleague = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)

    def world(events: int) -> None:
        for _ in range(events):
            act = ActFactory(
                event=_submitted(nhri, colleague, created_by=documentalist),
            )
            ConsentRecord.objects.create(
                person=act.victim,
                recipient_kind=RecipientKind.STATE,
                purpose="Protection",
                given_on=timezone.localdate(),
                recorded_by=documentalist,
            )
            EventFactory(organisation=nhri, created_by=documentalist)
            SharingGrant.objects.create(
                event=EventFactory(), user=documentalist, granted_by=colleague
            )

    world(2)
    with django_assert_max_num_queries(4):
        build(documentalist)
    world(30)
    with django_assert_max_num_queries(4):
        content = build(documentalist)
    assert content is not None and content.count >= 30 and len(content.items) == 5


@pytest.mark.django_db
def test_the_home_page_shows_a_documentalists_work(
    client: Client, nhri: Organisation, documentalist: User, django_assert_max_num_queries
) -> None:
    colleague = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)
    event = _submitted(nhri, colleague, title="Threats after the hearing")
    sign_in(client, documentalist)

    # Each installed app's panels read a few queries (warning and response: three).
    with django_assert_max_num_queries(34):
        html = client.get(reverse("core:home")).content.decode()

    assert "Waiting for your verification" in html and "Threats after the hearing" in html
    assert f'href="{reverse("cases:event_list")}?show=to_verify"' in html
    assert reverse("cases:event_detail", args=[event.pk]) in html
    assert "Your drafts" in html

"""Four eyes: nobody verifies a version of an event they recorded, imported, changed or
submitted, and any change to a verified event, through any service, sends it back to review.

Each contribution is made through the service the web pages, the API and imports call."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from amparo.cases import access, services
from amparo.cases.exchange import imports
from amparo.cases.models import Event, EventVersion, Person
from amparo.cases.services import ActInput, EventInput, InterventionInput, PersonInput, SourceInput
from amparo.core.models import Clearance, Organisation, Role, Term, User
from amparo.core.services import DomainError
from tests.cases.conftest import TermGetter, sign_in
from tests.cases.exchange import csv_bytes
from tests.factories import member

pytestmark = pytest.mark.django_db

EXTERNAL_ID = "EV-4EYES"


def _input(term: TermGetter, person: PersonInput | None = None, **fields: object) -> EventInput:
    victim = person or PersonInput(full_name="Amina Wanjiru", country="KE")
    values: dict[str, object] = {
        "title": "Threats against a radio journalist",
        "start_date": datetime.date(2026, 3, 2),
        "country": "KE",
        "confidentiality": Clearance.CONFIDENTIAL,
        "external_id": EXTERNAL_ID,
        "acts": [ActInput(victim=victim, type_of_act=term("threat_death", "hrd_violations"))],
        **fields,
    }
    return EventInput(**values)  # type: ignore[arg-type]


def _import(actor: User, organisation: Organisation, title: str) -> Event:
    row = {
        "event_id": EXTERNAL_ID,
        "event_title": title,
        "event_start_date": "2026-03-02",
        "event_country": "KE",
        "event_confidentiality": "confidential",
        "act_id": "1",
        "act_type": "threat_death",
        "victim_id": "V-1",
        "victim_name": "Amina Wanjiru",
        "victim_country": "KE",
    }
    result = imports.import_file(actor, organisation, csv_bytes([row]), "cases.csv")
    assert result.ok, result.errors
    return Event.objects.get(organisation=organisation, external_id=EXTERNAL_ID)


class World:
    """An organisation, its event, and the documentalists who take turns with it."""

    def __init__(self, nhri: Organisation, term: TermGetter) -> None:
        self.nhri = nhri
        self.term = term
        self.creator, self.contributor, self.submitter, self.verifier = (
            member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, nhri) for _ in range(4)
        )

    def record(self, actor: User) -> Event:
        return services.create_event(actor, self.nhri, _input(self.term))

    def event(self) -> Event:
        return Event.objects.get(organisation=self.nhri, external_id=EXTERNAL_ID)

    def victim(self) -> Person:
        return self.event().acts.get().victim

    def other_event_of_the_victim(self) -> Event:
        """A second event in which the same person is the victim."""
        return services.create_event(
            self.creator,
            self.nhri,
            _input(self.term, PersonInput.existing(self.victim()), external_id="EV-OTHER"),
        )


def _type(world: World) -> Term:
    return world.term("surveillance", "hrd_violations")


def edit(world: World, actor: User) -> None:
    services.update_event(
        actor,
        world.event(),
        _input(world.term, PersonInput.existing(world.victim()), title="Corrected title"),
    )


def add_act(world: World, actor: User) -> None:
    victim = PersonInput(full_name="Joseph Otieno")
    services.add_act(actor, world.event(), ActInput(victim=victim, type_of_act=_type(world)))


def change_act(world: World, actor: User) -> None:
    act = world.event().acts.get()
    services.change_act(
        actor, act, ActInput(victim=PersonInput.existing(act.victim), type_of_act=_type(world))
    )


def add_person(world: World, actor: User) -> None:
    """A person enters the event as the source of its information."""
    source = SourceInput(source_person=PersonInput(full_name="A neighbour"))
    services.add_source(actor, world.event(), source)


def change_person(world: World, actor: User) -> None:
    change = PersonInput.existing(world.victim())
    change.contact = "+254 700 000 002"
    services.update_person(actor, world.victim(), change)


def change_person_through_another_event(world: World, actor: User) -> None:
    """The victim takes part in a second event too; a change made there is a change here."""
    other = Event.objects.get(external_id="EV-OTHER")
    data = _input(world.term, PersonInput.existing(world.victim()), external_id="EV-OTHER")
    data.acts[0].victim.full_name = "Amina W. Wanjiru"
    data.acts[0].id = other.acts.get().pk
    services.update_event(actor, other, data)


def add_source(world: World, actor: User) -> None:
    services.add_source(actor, world.event(), SourceInput(material="Statement by phone."))


def remove_source(world: World, actor: User) -> None:
    services.remove_from_event(actor, world.event().sources.get())


def add_intervention(world: World, actor: User) -> None:
    services.add_intervention(
        actor, world.event(), InterventionInput(intervention_type=world.term("010600000000", "20"))
    )


def link_event(world: World, actor: User) -> None:
    services.add_chain_link(
        actor,
        world.event(),
        Event.objects.get(external_id="EV-OTHER"),
        world.term("010000000000", "22"),
    )


def restore(world: World, actor: User) -> None:
    event = world.event()
    services.restore_version(actor, event, event.versions.get(number=1))


def submit(world: World, actor: User) -> None:
    services.submit_event(actor, world.event())


def reimport(world: World, actor: User) -> None:
    _import(actor, world.nhri, "Threats against a radio journalist, corrected")


Contribution = Callable[[World, User], None]

# Each way to have a hand in an event's content, and what it needs to exist first.
CHANGES: list[tuple[str, Contribution, str]] = [
    ("edited", edit, ""),
    ("imported again with changes", reimport, ""),
    ("added an act", add_act, ""),
    ("changed an act", change_act, ""),
    ("added a person", add_person, ""),
    ("changed a person", change_person, ""),
    ("changed a person through another event", change_person_through_another_event, "other"),
    ("added a source", add_source, ""),
    ("removed a source", remove_source, "source"),
    ("added an intervention", add_intervention, ""),
    ("linked another event", link_event, "other"),
    ("restored an earlier version", restore, "version"),
]


def _prepare(world: World, needs: str) -> None:
    if needs == "other":
        world.other_event_of_the_victim()
    elif needs == "source":
        services.add_source(world.creator, world.event(), SourceInput(material="A call."))
    elif needs == "version":
        edit(world, world.creator)


def _verify_as(user: User, event: Event) -> bool:
    """Whether `user` is offered "verify" and the service lets them; both must agree."""
    event.refresh_from_db()
    offered = access.VERIFY in access.actions_on(user, event)
    try:
        services.verify_event(user, event)
    except DomainError as error:
        assert "second person must verify" in str(error)
        assert not offered
        return False
    assert offered
    return True


# What the contributor did before the event was submitted: (name, contribution, needs, who
# submits). Recording and importing make the event; the rest change the creator's draft.
BEFORE_SUBMISSION = [
    ("recorded", None, "", "submitter"),
    ("imported", None, "", "submitter"),
    *((name, step, needs, "submitter") for name, step, needs in CHANGES if step is not reimport),
    ("submitted", submit, "", "contributor"),
]


@pytest.mark.parametrize("verifier_is_contributor", [True, False], ids=["same", "other"])
@pytest.mark.parametrize(
    "name,contribution,needs,submitted_by", BEFORE_SUBMISSION, ids=[r[0] for r in BEFORE_SUBMISSION]
)
def test_nobody_verifies_a_version_they_had_a_hand_in(
    nhri: Organisation,
    term: TermGetter,
    name: str,
    contribution: Contribution | None,
    needs: str,
    submitted_by: str,
    verifier_is_contributor: bool,
) -> None:
    world = World(nhri, term)
    if name == "recorded":
        world.record(world.contributor)
    elif name == "imported":
        _import(world.contributor, nhri, "Threats against a radio journalist")
    else:
        world.record(world.creator)
        _prepare(world, needs)
        assert contribution is not None
        contribution(world, world.contributor)
    if submitted_by == "submitter":
        submit(world, world.submitter)

    verifier = world.contributor if verifier_is_contributor else world.verifier
    assert _verify_as(verifier, world.event()) is not verifier_is_contributor
    if verifier_is_contributor:
        assert world.event().status == Event.Status.SUBMITTED


@pytest.mark.parametrize("verifier_is_contributor", [True, False], ids=["same", "other"])
@pytest.mark.parametrize("name,contribution,needs", CHANGES, ids=[change[0] for change in CHANGES])
def test_a_change_to_a_verified_event_sends_it_back_to_review(
    nhri: Organisation,
    term: TermGetter,
    name: str,
    contribution: Contribution,
    needs: str,
    verifier_is_contributor: bool,
) -> None:
    world = World(nhri, term)
    world.record(world.creator)
    _prepare(world, needs)
    submit(world, world.submitter)
    services.verify_event(world.verifier, world.event())
    if needs == "other":  # the other event is verified too: both go back to review
        other = Event.objects.get(external_id="EV-OTHER")
        services.submit_event(world.submitter, other)
        services.verify_event(world.verifier, other)

    contribution(world, world.contributor)

    event = world.event()
    assert event.status == Event.Status.SUBMITTED, name
    assert event.verified_by is None
    assert event.submitted_by == world.contributor
    # Who verified the earlier version did not change this one, and may verify it again.
    verifier = world.contributor if verifier_is_contributor else world.verifier
    assert _verify_as(verifier, event) is not verifier_is_contributor


def test_the_importer_of_an_event_cannot_verify_it_after_someone_else_submits_it(
    nhri: Organisation, term: TermGetter
) -> None:
    """The reported bypass: imported by A, submitted by B, verified by A."""
    world = World(nhri, term)
    event = _import(world.contributor, nhri, "Threats against a radio journalist")
    services.submit_event(world.submitter, event)
    with pytest.raises(DomainError, match="recorded, imported, changed or submitted"):
        services.verify_event(world.contributor, event)


def test_a_change_to_a_shared_person_versions_each_of_their_events(
    nhri: Organisation, term: TermGetter
) -> None:
    world = World(nhri, term)
    first = world.record(world.creator)
    second = world.other_event_of_the_victim()
    versions = {e.pk: e.version for e in (first, second)}

    change_person_through_another_event(world, world.contributor)

    first.refresh_from_db()
    latest = first.versions.first()
    assert first.version == versions[first.pk] + 1
    assert latest is not None and latest.action == "update_person"
    assert latest.actor == world.contributor
    assert latest.changes["persons"]["changed"][str(world.victim().pk)]["full_name"]
    assert access.has_contributed(world.contributor, first)


def test_restoring_a_shared_person_changes_their_other_events_too(
    nhri: Organisation, term: TermGetter
) -> None:
    world = World(nhri, term)
    first = world.record(world.creator)
    second = world.other_event_of_the_victim()
    change_person(world, world.creator)  # a version of both events
    first.refresh_from_db()
    before_change = first.versions.get(action="create")
    second.refresh_from_db()
    versions = second.version

    services.restore_version(world.contributor, first, before_change)

    second.refresh_from_db()
    assert second.version == versions + 1
    assert second.versions.first().action == "update_person"
    assert access.has_contributed(world.contributor, second)
    assert world.victim().contact == ""


def test_a_person_saved_unchanged_touches_no_other_event(
    nhri: Organisation, term: TermGetter
) -> None:
    world = World(nhri, term)
    first = world.record(world.creator)
    world.other_event_of_the_victim()
    before = first.version
    other = Event.objects.get(external_id="EV-OTHER")
    data = _input(world.term, PersonInput.existing(world.victim()), external_id="EV-OTHER")
    data.acts[0].id = other.acts.get().pk
    services.update_event(world.contributor, other, data)
    first.refresh_from_db()
    assert first.version == before
    assert not access.has_contributed(world.contributor, first)


def test_a_closed_event_stays_closed_when_a_shared_person_changes(
    nhri: Organisation, term: TermGetter
) -> None:
    world = World(nhri, term)
    event = world.record(world.creator)
    services.submit_event(world.submitter, event)
    services.verify_event(world.verifier, event)
    services.close_event(world.creator, event)
    change_person(world, world.contributor)
    event.refresh_from_db()
    assert event.status == Event.Status.CLOSED
    assert EventVersion.objects.filter(event=event, action="update_person").exists()


def test_the_event_page_says_why_a_verified_event_is_back_in_review(
    client: Client, nhri: Organisation, term: TermGetter
) -> None:
    world = World(nhri, term)
    event = world.record(world.creator)
    services.submit_event(world.submitter, event)
    services.verify_event(world.verifier, event)
    add_source(world, world.contributor)

    sign_in(client, world.contributor)
    page = client.get(reverse("cases:event_detail", args=[event.pk])).content.decode()
    assert "This event was verified, then changed (Source added by" in page
    assert world.contributor.username in page
    assert "Another person must verify this version" in page
    assert reverse("cases:event_verify", args=[event.pk]) not in page

    sign_in(client, world.verifier)
    page = client.get(reverse("cases:event_detail", args=[event.pk])).content.decode()
    assert "This event was verified, then changed" in page
    assert reverse("cases:event_verify", args=[event.pk]) in page

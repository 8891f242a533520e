"""Issue 16 in the network: each sealed field opens with the keys of exactly those `access`
lets read it, and the copies follow the readers (seats, co-chairs, delegations).

These tests hold no key themselves (`only_real_keys`): each reader's keychain is what their
sign-in unlocks (`tests.keys.grant_everything`: their organisations' keys and their own), and a
field counts as open when a fresh read with that keychain gives its value, not "locked".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core import custody, keychain
from amparo.core import keys as core_keys
from amparo.core.fields import LockedValue
from amparo.core.models import Clearance, DataKeyCopy, Organisation, Role, User
from amparo.network import access, keys, rules
from amparo.network.models import (
    CoChairTerm,
    Commitment,
    ContactPerson,
    Meeting,
    Outcome,
    Part,
    ProgressComment,
    ProgressReport,
    Review,
    ReviewSubmission,
    SteeringMember,
)
from amparo.network.queries import today
from amparo.network.services import commitments, governance, meetings, members, reviews
from tests.cases.conftest import sign_in as signed_in
from tests.cases.conftest import token_with_keys
from tests.factories import PASSWORD, OrganisationFactory, member
from tests.keys import grant_everything
from tests.network.conftest import Delegation, make_delegation

pytestmark = [pytest.mark.django_db, pytest.mark.only_real_keys]
NEEDS_VOCABULARIES = False

SEALED_CONTACT = rules.SEALED_CONTACT_FIELDS
MINUTES = "The plenary heard of threats against the NHRI's staff"
SUMMARY = "Reprisals against the Commission; the law is late"
RECOMMENDATION = "Continue; report on the threats within three months"


@dataclass
class World:
    kenya: Delegation
    ghana: Delegation
    people: dict[str, User]
    report: ProgressReport
    comments: list[ProgressComment]
    review: Review
    submissions: list[ReviewSubmission]
    meeting: Meeting


def _everyone(
    kenya: Delegation,
    secretariat: User,
    co_chair: User,
    steering: User,
    observer: User,
    outsider: User,
) -> tuple[Delegation, dict[str, User]]:
    ghana = make_delegation("GH")
    return ghana, {
        "secretariat": secretariat,
        "co_chair": co_chair,
        "steering": steering,
        "state": kenya.state,
        "nhri": kenya.nhri,
        "civil_society": kenya.civil_society,
        "network": ghana.civil_society,  # another member's delegate
        "observer": observer,
        "outsider": outsider,
    }


@pytest.fixture
def world(
    kenya: Delegation,
    secretariat: User,
    co_chair: User,
    steering: User,
    observer: User,
    outsider: User,
) -> World:
    """Kenya's focal points, progress with the NHRI's and civil society's comments, a review
    with the three parts' submissions, a summary and a recommendation, a meeting's minutes:
    written through the services by those who may."""
    ghana, people = _everyone(kenya, secretariat, co_chair, steering, observer, outsider)
    commitment = Commitment.objects.create(
        member=kenya.member,
        kind="protection_law",
        title="A law",
        pledged_on=today(),
        due_on=today(),
        published_on=today(),
        created_by=secretariat,
    )
    report = commitments.report_progress(kenya.state, commitment, "on_track", "A draft is out.")
    comments = [
        commitments.comment_progress(kenya.nhri, report, "The NHRI was not consulted."),
        commitments.comment_progress(kenya.civil_society, report, "Defenders were left out."),
    ]
    review = Review.objects.create(member=kenya.member, number=1, opened_on=today())
    submissions = [
        reviews.submit(kenya.user(part), review, f"The {part} submission")
        for part in (Part.STATE, Part.NHRI, Part.CIVIL_SOCIETY)
    ]
    reviews.summarise(secretariat, review, SUMMARY)
    reviews.recommend(steering, review, Outcome.CONCERNS, RECOMMENDATION)
    meeting = meetings.create_meeting(
        secretariat,
        meetings.MeetingInput(title="Plenary", kind="plenary", held_on=today(), minutes=MINUTES),
    )
    # Kenya's focal points were written before the secretariat existed: sealed to it at the
    # first page a holder of their keys opens (here: the test, which wrote them and holds them).
    keys.follow(again=True)
    return World(kenya, ghana, people, report, comments, review, submissions, meeting)


def _keychain_of(user: User) -> keychain.Keychain:
    """What `user`'s sign-in unlocks (no keys for an account with no personal key)."""
    if not user.memberships.exists():
        return keychain.Keychain()
    return grant_everything(user, PASSWORD)


def _opens(chain: keychain.Keychain, model: type[Any], pk: int, name: str) -> bool:
    with keychain.using(keychain.Keychain(**_private(chain))):
        value = getattr(model.objects.get(pk=pk), name)
    return not isinstance(value, LockedValue)


def _private(chain: keychain.Keychain) -> dict[str, Any]:
    return {
        "organisation_keys": dict(chain.organisation_keys),
        "personal_keys": dict(chain.personal_keys),
    }


def _readable(user: User, world: World) -> set[tuple[str, int, str]]:
    """What `access` lets `user` read of the sealed fields: (model, pk, field)."""
    found: set[tuple[str, int, str]] = set()
    for contact in ContactPerson.objects.filter(member=world.kenya.member):
        for name in access.contact_fields(user, contact) & set(SEALED_CONTACT):
            found.add(("contact", contact.pk, name))
    if (
        access.comments_visible(user, world.report)
        and access.visible_commitments(user).filter(pk=world.report.commitment_id).exists()
    ):
        found.update(("comment", c.pk, "text") for c in world.comments)
    if access.visible_reviews(user).filter(pk=world.review.pk).exists() and (
        access.VIEW_REVIEW in access.permitted_review_actions(user, world.review)
    ):
        found.update(("review", world.review.pk, name) for name in ("summary", "recommendation"))
        found.update(
            ("submission", s.pk, "text") for s in access.visible_submissions(user, world.review)
        )
    if access.visible_meetings(user).filter(pk=world.meeting.pk).exists():
        found.add(("meeting", world.meeting.pk, "minutes"))
    return found


MODELS: dict[str, type[Any]] = {
    "contact": ContactPerson,
    "comment": ProgressComment,
    "review": Review,
    "submission": ReviewSubmission,
    "meeting": Meeting,
}


def _every_field(world: World) -> set[tuple[str, int, str]]:
    every = {
        ("contact", c.pk, name)
        for c in ContactPerson.objects.filter(member=world.kenya.member)
        for name in SEALED_CONTACT
    }
    every.update(("comment", c.pk, "text") for c in world.comments)
    every.update(("review", world.review.pk, n) for n in ("summary", "recommendation"))
    every.update(("submission", s.pk, "text") for s in world.submissions)
    every.add(("meeting", world.meeting.pk, "minutes"))
    return every


def _opened(user: User, world: World) -> set[tuple[str, int, str]]:
    chain = _keychain_of(user)
    return {
        (kind, pk, name)
        for kind, pk, name in _every_field(world)
        if _opens(chain, MODELS[kind], pk, name)
    }


# What each capacity reads of Kenya's sealed fields (by `rules/directory.csv` and `access`):
# written out, so that a change of the rules that opens more shows here too.
def _expected(capacity: str, world: World) -> set[tuple[str, int, str]]:
    contacts = {c.part: c.pk for c in ContactPerson.objects.filter(member=world.kenya.member)}
    everything = _every_field(world)
    review = {("review", world.review.pk, n) for n in ("summary", "recommendation")}
    comments = {("comment", c.pk, "text") for c in world.comments}
    minutes = {("meeting", world.meeting.pk, "minutes")}
    submissions = {s.part: ("submission", s.pk, "text") for s in world.submissions}
    own_contacts = {("contact", pk, n) for pk in contacts.values() for n in SEALED_CONTACT}
    if capacity == "secretariat":
        return everything
    if capacity in ("state", "nhri", "civil_society"):
        return own_contacts | review | comments | minutes | {submissions[capacity]}
    leadership_contacts = (
        {("contact", contacts[Part.STATE], n) for n in SEALED_CONTACT}
        | {("contact", contacts[Part.NHRI], n) for n in SEALED_CONTACT}
        | {("contact", contacts[Part.CIVIL_SOCIETY], "name")}
    )
    if capacity == "steering":
        return leadership_contacts | review | comments | minutes | set(submissions.values())
    if capacity == "co_chair":
        return leadership_contacts | review | comments | minutes
    if capacity == "network":
        return {
            ("contact", contacts[part], n)
            for part in (Part.STATE, Part.NHRI)
            for n in ("name", "email")
        } | minutes
    return set()  # observers and outsiders hold no network key


CAPACITIES = (
    "secretariat",
    "co_chair",
    "steering",
    "state",
    "nhri",
    "civil_society",
    "network",
    "observer",
    "outsider",
)


@pytest.mark.parametrize("capacity", CAPACITIES)
def test_each_capacity_opens_exactly_what_access_lets_it_read(capacity: str, world: World) -> None:
    user = world.people[capacity]
    expected = _expected(capacity, world)
    assert _readable(user, world) == expected  # the table is access.py's
    assert _opened(user, world) == expected  # and the keys open exactly that


def test_a_seat_holder_s_colleague_opens_none_of_the_seat_s_copies(world: World) -> None:
    steering = world.people["steering"]
    organisation = steering.memberships.get().organisation
    colleague = member(Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL, organisation)
    chain = _keychain_of(colleague)
    assert chain.organisation_keys  # they hold the organisation's keys, "network" ones too
    assert _opened(colleague, world) == set()
    # The seat's copies are sealed to the seat holder's own key, never to the organisation's.
    own = DataKeyCopy.objects.filter(personal_key__user=steering)
    assert own.exists()
    assert not DataKeyCopy.objects.filter(
        data_key__purpose=keys.PURPOSE, organisation_key__organisation=organisation
    ).exists()


def _mandate_holder() -> User:
    """Someone of an international mandate, for a new seat on the steering group."""
    return member(
        Role.MECHANISM,
        Clearance.RESTRICTED,
        OrganisationFactory(kind=Organisation.Kind.MECHANISM, country=""),
    )


def test_an_ended_seat_loses_its_copies_and_a_new_seat_gets_them(
    world: World, secretariat: User
) -> None:
    steering = world.people["steering"]
    seat = SteeringMember.objects.get(user=steering)
    with keychain.using(_keychain_of(secretariat)):
        governance.end_steering_seat(secretariat, seat)
    assert not DataKeyCopy.objects.filter(personal_key__user=steering).exists()
    assert _opened(steering, world) == set()

    newcomer = _mandate_holder()
    with keychain.using(_keychain_of(secretariat)):
        governance.add_steering_member(
            secretariat,
            governance.SteeringInput(
                name="Regional Rapporteur",
                mandate="A regional commission's rapporteur",
                kind="regional_rapporteur",
                starts_on=today(),
                user=newcomer,
            ),
        )
    assert _opened(newcomer, world) == _expected("steering", world)


def _seat_added_without_keys(secretariat: User, world: World) -> User:
    """The holder of a seat the secretariat added with no key at hand (an operator's script):
    nothing could be sealed to them yet."""
    newcomer = _mandate_holder()
    with keychain.using(keychain.Keychain()):
        governance.add_steering_member(
            secretariat,
            governance.SteeringInput(
                name="Independent expert",
                mandate="Expert",
                kind="independent_expert",
                starts_on=today(),
                user=newcomer,
            ),
        )
    assert _opened(newcomer, world) == set()
    return newcomer


def test_a_seat_added_by_someone_whose_keys_open_nothing_is_sealed_at_a_keyholder_s_next_page(
    world: World, secretariat: User, client: Client
) -> None:
    newcomer = _seat_added_without_keys(secretariat, world)
    signed_in(client, world.people["state"])  # Kenya's State: its keys open Kenya's records
    assert client.get(reverse("network:member_list")).status_code == 200
    kenyan = {field for field in _expected("steering", world) if field in _expected("state", world)}
    assert kenyan and kenyan <= _opened(newcomer, world)
    signed_in(Client(), secretariat).get(reverse("network:member_list"))
    assert _opened(newcomer, world) == _expected("steering", world)


def test_a_seat_added_by_someone_whose_keys_open_nothing_is_sealed_at_a_keyholder_s_api_call(
    world: World, secretariat: User, client: Client
) -> None:
    newcomer = _seat_added_without_keys(secretariat, world)
    # The secretariat's script reads the directory through the API, with a token carrying its keys.
    header = {"HTTP_AUTHORIZATION": f"Bearer {token_with_keys(secretariat)}"}
    assert client.get("/api/v1/network/directory", **header).status_code == 200
    assert _opened(newcomer, world) == _expected("steering", world)


def test_an_ended_co_chair_term_loses_its_copies_and_the_next_term_gets_them(
    world: World, secretariat: User, chairs: tuple[Delegation, Delegation]
) -> None:
    co_chair = world.people["co_chair"]
    assert _opened(co_chair, world) == _expected("co_chair", world)
    # The term ends (time passes): at the next page anyone opens, the copies go.
    CoChairTerm.objects.update(ends_on=today() - datetime.timedelta(days=1))
    client = signed_in(Client(), world.people["observer"])
    assert client.get(reverse("network:directory")).status_code == 200
    # What remains is what any other member's delegation reads.
    assert _opened(co_chair, world) == _expected("network", world)
    # The next term: Ghana co-chairs, confirmed by the secretariat with its keys.
    with keychain.using(_keychain_of(secretariat)):
        governance.confirm_term(
            secretariat,
            starts_on=today(),
            ends_on=today() + datetime.timedelta(days=300),
            members=[world.ghana.member, chairs[1].member],
        )
    ghana_state = world.ghana.state
    assert _opened(ghana_state, world) == _expected("co_chair", world)


def test_an_organisation_removed_from_a_delegation_loses_the_copies_and_one_added_gets_them(
    world: World, secretariat: User
) -> None:
    nhri = world.kenya.nhri
    delegate = world.kenya.member.organisations.get(part=Part.NHRI)
    linked = delegate.organisation
    with keychain.using(_keychain_of(secretariat)):
        members.remove_organisation(secretariat, delegate)
    assert _opened(nhri, world) == set()
    assert not DataKeyCopy.objects.filter(
        data_key__purpose=keys.PURPOSE, organisation_key__organisation=linked
    ).exists()
    with keychain.using(_keychain_of(secretariat)):
        members.add_organisation(
            secretariat,
            world.kenya.member,
            members.OrganisationInput(part=Part.NHRI, name="The Commission", organisation=linked),
        )
    assert _opened(nhri, world) == _expected("nhri", world)


def test_writing_over_a_value_one_s_keys_do_not_open_is_refused_not_overwritten(
    world: World, secretariat: User
) -> None:
    # A secretariat officer whose key is still pending (nobody granted it yet).
    pending = member(
        Role.NETWORK_SECRETARIAT,
        Clearance.RESTRICTED,
        secretariat.memberships.get().organisation,
        personal_key=False,
    )
    Review.objects.filter(pk=world.review.pk).update(stage=Review.Stage.SUMMARISED)
    with keychain.using(keychain.Keychain()):
        review = Review.objects.get(pk=world.review.pk)
        assert isinstance(review.summary, LockedValue)
        with pytest.raises(custody.KeysLocked):
            reviews.summarise(pending, review, str(review.summary))
        meeting = Meeting.objects.get(pk=world.meeting.pk)
        with pytest.raises(custody.KeysLocked):
            meetings.update_meeting(
                pending,
                meeting,
                meetings.MeetingInput(
                    title="Plenary", kind="plenary", held_on=today(), minutes=str(meeting.minutes)
                ),
            )
    assert _opens(_keychain_of(secretariat), Review, world.review.pk, "summary")
    with keychain.using(_keychain_of(secretariat)):
        assert Review.objects.get(pk=world.review.pk).summary == SUMMARY
        assert Meeting.objects.get(pk=world.meeting.pk).minutes == MINUTES


def test_the_locked_value_shows_as_the_cases_app_shows_it_and_exports_refuse(
    world: World, secretariat: User
) -> None:
    # Ghana's delegate reads Kenya's State name; with keys that do not open it (a session whose
    # grant is pending) the page says so, and the export writes no label in its place.
    ghana = world.people["network"]
    client = signed_in(Client(), ghana)
    DataKeyCopy.objects.filter(
        organisation_key__organisation__in=[m.organisation for m in ghana.memberships.all()]
    ).delete()
    page = client.get(reverse("network:directory")).content.decode()
    assert str(LockedValue("x")) in page
    response = client.get(reverse("network:export_table", args=["focal_points"]))
    assert response.status_code == 302


def test_keys_migrate_moves_the_network_off_the_key_ring_and_values_read_the_same(
    world: World, secretariat: User, settings: Any, tmp_path: Any
) -> None:
    from django.db import connection

    from amparo.core import crypto
    from tests.keys import own_copy_of_the_ring

    own_copy_of_the_ring(settings, tmp_path)
    contact = ContactPerson.objects.filter(member=world.kenya.member).first()
    assert contact is not None
    # The rows as an installation before issue 16 had them: under the ring, with no data key.
    quote = connection.ops.quote_name
    rows = [
        (ContactPerson, contact.pk, {"name": "Old Name", "email": "old@x.org", "phone": "1"}),
        (Meeting, world.meeting.pk, {"minutes": MINUTES}),
        (Review, world.review.pk, {"summary": SUMMARY, "recommendation": RECOMMENDATION}),
    ]
    with connection.cursor() as cursor:
        for model, pk, values in rows:
            sets = []
            params: list[Any] = []
            for name, value in values.items():
                field = model._meta.get_field(name)
                sets.append(f"{quote(field.column)} = %s")
                params.append(crypto.encrypt_text(value, field.purpose))
            for slot in keys.slots(model):
                sets.append(f"{quote(slot + '_id')} = NULL")
            cursor.execute(
                f"UPDATE {quote(model._meta.db_table)} SET {', '.join(sets)} WHERE id = %s",
                [*params, pk],
            )
    result = core_keys.migrate()
    assert result.moved["network.contactperson"] == 1
    assert result.moved["network.meeting"] == 1
    assert result.moved["network.review"] == 1
    with keychain.using(_keychain_of(secretariat)):
        moved = ContactPerson.objects.get(pk=contact.pk)
        assert (moved.name, moved.email, moved.phone) == ("Old Name", "old@x.org", "1")
        assert Meeting.objects.get(pk=world.meeting.pk).minutes == MINUTES
    for model, pk, _values in rows:
        assert all(
            getattr(model.objects.get(pk=pk), f"{slot}_id") is not None
            for slot in keys.slots(model)
        )
    # The moved rows open for their readers as before (the NHRI reads the minutes).
    assert _opens(_keychain_of(world.kenya.nhri), Meeting, world.meeting.pk, "minutes")
    assert not _opens(_keychain_of(world.people["observer"]), Meeting, world.meeting.pk, "minutes")

"""Issue 16's promise for the network: a seized server reveals no focal point's name, e-mail or
phone, no comment on progress, no review submission, summary or recommendation, no minutes.

Members sign in through the real login view and record through the web: the secretariat adds
Kenya's focal points, writes the review's summary and a meeting's minutes; Kenya's NHRI comments
on the State's progress and submits to the review; the steering group's seat holder recommends.
Everyone signs out; every file of the instance is copied and attacked as in
tests/intake/test_seizure.py (the plaintexts searched for in the raw bytes, every key of the
ring tried on every sealed value, data key copy, grant and personal key). Nothing opens. With
the seat holder signed in and their keys cookie in hand, what the seat reads opens; with their
colleague's (who holds their organisation's keys), none of it.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core import keychain, services
from amparo.core.models import Clearance, Organisation, Role, User
from amparo.network.models import (
    Accreditation,
    Commitment,
    DelegateOrganisation,
    Member,
    Part,
    ProgressReport,
    Review,
    SteeringMember,
)
from amparo.network.queries import today
from tests.factories import TOTPDeviceFactory, UserFactory
from tests.intake.test_seizure import (
    attack,
    log_in,
    seize_while_nobody_is_signed_in,
    seize_while_signed_in,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.only_real_keys]
NEEDS_VOCABULARIES = False

NAMES = {
    Part.STATE: "Wanjiru Kamau",
    Part.NHRI: "Otieno Odhiambo",
    Part.CIVIL_SOCIETY: "Achieng Nyambura",
}
EMAIL = "achieng.defenders@example.org"
PHONE = "+254 700 111 222"
COMMENT = "Commissioner Njoroge was followed home after the hearing"
SUBMISSION = "Two staff of the Commission were threatened by police officers in March"
SUMMARY = "Reprisals against the staff of the Commission; the protection law is late"
RECOMMENDATION = "Continue the membership; report on the threats against Njoroge"
MINUTES = "The plenary heard Achieng Nyambura on the raids against the coalition"
SEAT = [SUBMISSION, SUMMARY, RECOMMENDATION, MINUTES, COMMENT, NAMES[Part.STATE]]
PLAINTEXTS = [*NAMES.values(), EMAIL, PHONE, COMMENT, SUBMISSION, SUMMARY, RECOMMENDATION, MINUTES]


def _staff(organisation: Organisation, username: str, role: str) -> User:
    user = UserFactory(username=username)
    services.add_member(
        None, user=user, organisation=organisation, role=role, clearance=Clearance.RESTRICTED
    )
    TOTPDeviceFactory(user=user)
    return user


@pytest.fixture
def world() -> dict[str, Any]:
    def organisation(name: str, code: str, kind: str) -> Organisation:
        return services.create_organisation(None, name=name, short_code=code, kind=kind)

    secretariat = organisation("Network Secretariat", "GNFP-T", Organisation.Kind.SECRETARIAT)
    state = organisation("Kenya Ministry", "SPM-T", Organisation.Kind.STATE)
    nhri = organisation("Kenya Commission", "NHRI-T", Organisation.Kind.NHRI)
    cso = organisation("Kenya Coalition", "CSO-T", Organisation.Kind.CSO)
    mechanism = organisation("UN Mandate", "UN-T", Organisation.Kind.MECHANISM)
    people = {
        "secretariat": _staff(secretariat, "officer", Role.NETWORK_SECRETARIAT),
        "state": _staff(state, "staterep", Role.STATE_REPRESENTATIVE),
        "nhri": _staff(nhri, "focal", Role.FOCAL_POINT),
        "civil_society": _staff(cso, "coalition", Role.ADMINISTRATOR),
        "steering": _staff(mechanism, "rapporteur", Role.MECHANISM),
        # The rapporteur's colleague holds the mandate's organisation keys, "network" included.
        "colleague": _staff(mechanism, "colleague", Role.ADMINISTRATOR),
    }
    kenya = Member.objects.create(
        country="KE", status="active", status_since=today(), joined_on=today()
    )
    for part, linked in ((Part.STATE, state), (Part.NHRI, nhri), (Part.CIVIL_SOCIETY, cso)):
        DelegateOrganisation.objects.create(
            member=kenya,
            part=part,
            name=linked.name,
            organisation=linked,
            accreditation=Accreditation.A if part == Part.NHRI else "",
        )
    SteeringMember.objects.create(
        name="Special Rapporteur",
        mandate="UN Special Rapporteur",
        kind=SteeringMember.Kind.UN_RAPPORTEUR,
        user=people["steering"],
        starts_on=today() - datetime.timedelta(days=10),
    )
    commitment = Commitment.objects.create(
        member=kenya,
        kind="protection_law",
        title="A law on defenders",
        pledged_on=today(),
        due_on=today(),
        published_on=today(),
        created_by=people["secretariat"],
    )
    ProgressReport.objects.create(
        commitment=commitment,
        assessment="on_track",
        text="A bill is before Parliament.",
        reported_on=today(),
        author=people["state"],
    )
    return {"kenya": kenya, "people": people, "commitment": commitment}


def _signed_in(user: User) -> Client:
    client = Client()
    log_in(client, user)
    return client


def _post(client: Client, name: str, args: list[Any], data: dict[str, Any]) -> None:
    response = client.post(reverse(f"network:{name}", args=args), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    follow = client.get(response["Location"])
    assert "Locked" not in follow.content.decode()


def build(world: dict[str, Any]) -> Client:
    """Everything recorded through the web by members signed in through the login view; the
    seat holder's client, still signed in."""
    people, kenya = world["people"], world["kenya"]
    secretariat = _signed_in(people["secretariat"])
    for part, name in NAMES.items():
        delegate = kenya.organisations.get(part=part)
        _post(
            secretariat,
            "contact_add",
            ["KE"],
            {
                "part": part,
                "delegate_organisation": delegate.pk,
                "name": name,
                "function": "Focal point",
                "email": EMAIL if part == Part.CIVIL_SOCIETY else "",
                "phone": PHONE if part == Part.CIVIL_SOCIETY else "",
            },
        )
    nhri = _signed_in(people["nhri"])
    report = ProgressReport.objects.get()
    _post(nhri, "progress_comment", [report.pk], {"text": COMMENT})
    secretariat.post(
        reverse("network:member_transition", args=["KE", "open_review"]),
        {"reason": "Periodic review."},
    )
    review = Review.objects.get()
    _post(nhri, "review_submit", [review.pk], {"text": SUBMISSION})
    _post(secretariat, "review_summarise", [review.pk], {"text": SUMMARY})
    steering = _signed_in(people["steering"])
    _post(
        steering, "review_recommend", [review.pk], {"outcome": "concerns", "text": RECOMMENDATION}
    )
    created = secretariat.post(
        reverse("network:meeting_create"),
        {
            "title": "Plenary",
            "kind": "plenary",
            "held_on": today().isoformat(),
            "minutes": MINUTES,
            "members": [kenya.pk],
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    # Each reader's pages show what they may read, opened with their keys.
    page = steering.get(reverse("network:review_detail", args=[review.pk])).content.decode()
    for text in (SUBMISSION, SUMMARY, RECOMMENDATION):
        assert text in page
    directory = secretariat.get(reverse("network:directory")).content.decode()
    assert all(name in directory for name in NAMES.values()) and EMAIL in directory
    for client in (secretariat, nhri):
        client.post(reverse("core:logout"))
    return steering


def test_a_seized_server_reveals_no_network_record_while_nobody_is_signed_in(
    world: dict[str, Any], tmp_path: Path
) -> None:
    steering = build(world)
    steering.post(reverse("core:logout"))

    seize_while_nobody_is_signed_in(tmp_path, PLAINTEXTS)


def test_with_the_seat_holder_signed_in_what_the_seat_reads_opens_and_not_for_a_colleague(
    world: dict[str, Any], tmp_path: Path
) -> None:
    steering = build(world)
    colleague = _signed_in(world["people"]["colleague"])
    database, ring, nothing, held = seize_while_signed_in(
        steering, world["people"]["steering"], tmp_path
    )
    assert held.personal_keys  # the seat holder's own key, under their cookie's secret
    assert attack(database, ring, nothing, PLAINTEXTS) == set()
    # The leadership reads civil society's focal point's name, not their e-mail or phone.
    assert attack(database, ring, held, PLAINTEXTS) == {*SEAT, *NAMES.values()}
    session_key = colleague.session.session_key
    assert session_key is not None
    from tests.intake.test_seizure import session_keychains

    _without, colleague_keys = session_keychains(
        database,
        session_key,
        world["people"]["colleague"],
        colleague.cookies[keychain.COOKIE_NAME].value,
    )
    assert colleague_keys.organisation_keys
    assert attack(database, ring, colleague_keys, PLAINTEXTS) == set()

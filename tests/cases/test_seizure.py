"""Issue 16's promise for the case records: a seized server reveals no name, note, remark,
source material, comment, version or import error.

A documentalist signs in through the real login view and records through the web: an event
(names, contact details, internal notes), a source, a comment (versions follow), and an import
whose file names a victim. A member of another organisation records one of theirs. Everyone
signs out; every file of the instance is copied and attacked as in tests/intake/test_seizure.py
(the plaintexts searched for in the raw bytes, every key of the ring tried on every sealed value,
data key copy, grant and personal key). Nothing opens. With the documentalist signed in and
their keys cookie in hand, their organisation's records open, and the other's do not.

The names' blind index is attacked too: the attacker computes the index of each name they guess
with every key of the ring and every data key they can open, and looks for it in the copied
person table (a dictionary attack on defenders' names). None is there while nobody is signed in.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amparo.cases.models import Event, Person
from amparo.core import crypto, keychain, services
from amparo.core.models import Clearance, Organisation, Role
from tests.cases.exchange import csv_bytes
from tests.cases.test_import import ROWS
from tests.cases.test_views import guided_post
from tests.factories import TOTPDeviceFactory, UserFactory
from tests.intake.test_seizure import (
    attack,
    candidate_keys,
    log_in,
    opened_data_keys,
    seize_while_nobody_is_signed_in,
    seize_while_signed_in,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.only_real_keys]

NOTE = "The family hides at the parish of San Isidro"
CONTACT = "+254 711 222 333 (Signal)"
MATERIAL = "Testimony of the neighbour Wairimu Njeri about the men in uniform"
COMMENT = "Ask the lawyer of Peter Mwangi before the hearing"
IMPORTED = "Akinyi Odera"  # the victim of the imported file (tests.cases.test_import.ROWS)
OTHER = "Ochieng Barasa"
OURS = ["Grace Akinyi", "Peter Mwangi", NOTE, CONTACT, MATERIAL, COMMENT, IMPORTED]
PLAINTEXTS = [*OURS, OTHER]
# The persons' names the attacker guesses, ours and the other organisation's.
OUR_NAMES = ["Grace Akinyi", "Peter Mwangi", IMPORTED]
NAMES = [*OUR_NAMES, OTHER]


@pytest.fixture
def world() -> dict[str, Any]:
    ours = services.create_organisation(
        None, name="Kenya Commission", short_code="KNCHR-T", kind=Organisation.Kind.NHRI
    )
    theirs = services.create_organisation(
        None, name="Other Commission", short_code="OTHER-T", kind=Organisation.Kind.NHRI
    )
    documentalist, other = UserFactory(username="doc"), UserFactory(username="other")
    for user, organisation in ((documentalist, ours), (other, theirs)):
        services.add_member(
            None,
            user=user,
            organisation=organisation,
            role=Role.DOCUMENTALIST,
            clearance=Clearance.STRICTLY_CONFIDENTIAL,
        )
        TOTPDeviceFactory(user=user)
    return {"ours": ours, "theirs": theirs, "documentalist": documentalist, "other": other}


def record_through_the_web(client: Client, organisation: Organisation, term: Any) -> Event:
    """An event with two named victims, contact details and notes; a source; a comment."""
    created = client.post(
        reverse("cases:event_create"),
        guided_post(term, organisation, notes=NOTE, **{"victims-0-contact": CONTACT}),
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    event = Event.objects.order_by("-pk").first()
    assert event is not None
    source = client.post(
        reverse("cases:source_add", args=[event.pk]),
        {"party_name": "A neighbour", "material": MATERIAL},
    )
    assert source.status_code == 302
    comment = client.post(reverse("cases:comment_add", args=[event.pk]), {"body": COMMENT})
    assert comment.status_code == 302
    return event


def import_through_the_web(client: Client, organisation: Organisation) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    preview = client.post(
        reverse("cases_exchange:import"),
        {
            "organisation": organisation.pk,
            "kind": "table",
            "file": SimpleUploadedFile("cases.csv", csv_bytes(ROWS)),
        },
    )
    assert preview.status_code == 200
    confirmed = client.post(
        reverse("cases_exchange:import_confirm"),
        {"token": preview.context["token"], "kind": "table", "organisation": organisation.pk},
    )
    assert confirmed.status_code == 302


def build(world: dict[str, Any], term: Any) -> tuple[Client, Event]:
    documentalist = Client()
    log_in(documentalist, world["documentalist"])
    event = record_through_the_web(documentalist, world["ours"], term)
    import_through_the_web(documentalist, world["ours"])
    page = documentalist.get(reverse("cases:event_detail", args=[event.pk])).content.decode()
    for text in ("Grace Akinyi", NOTE, CONTACT, MATERIAL, COMMENT):
        assert text in page, text
    assert "Locked" not in page
    other = Client()
    log_in(other, world["other"])
    created = other.post(
        reverse("cases:event_create"),
        guided_post(term, world["theirs"], **{"victims-0-full_name": OTHER}),
    )
    assert created.status_code == 302
    other.post(reverse("core:logout"))
    return documentalist, event


def test_a_seized_server_reveals_no_case_record_while_nobody_is_signed_in(
    world: dict[str, Any], term: Any, tmp_path: Path
) -> None:
    documentalist, event = build(world, term)
    assert event.versions.count() >= 2
    documentalist.post(reverse("core:logout"))

    database, ring = seize_while_nobody_is_signed_in(tmp_path, PLAINTEXTS)
    assert names_confirmed(database, ring, keychain.Keychain(), NAMES) == set()


def test_with_one_member_signed_in_only_their_organisation_s_case_records_open(
    world: dict[str, Any], term: Any, tmp_path: Path
) -> None:
    documentalist, _event = build(world, term)
    database, ring, nothing, held = seize_while_signed_in(
        documentalist, world["documentalist"], tmp_path
    )
    assert attack(database, ring, nothing, PLAINTEXTS) == set()
    assert attack(database, ring, held, PLAINTEXTS) == set(OURS)
    assert names_confirmed(database, ring, nothing, NAMES) == set()
    # The attack works where a key is held: the signed-in member's organisation's names.
    assert names_confirmed(database, ring, held, NAMES) == set(OUR_NAMES)


def names_confirmed(
    database: Path, ring: crypto.KeyRing, extra: keychain.Keychain, names: list[str]
) -> set[str]:
    """The guessed `names` whose blind index the attacker computes and finds in the copied
    person table: under every key of the ring (as the ring's index keys compute it, and as an
    organisation's index key would), and under every data key that the ring's keys or `extra`'s
    organisation keys open."""
    purpose = Person._meta.get_field("full_name").purpose
    with sqlite3.connect(database) as db:
        stored = {
            value
            for (value,) in db.execute(
                "SELECT full_name_index FROM cases_person WHERE full_name_index IS NOT NULL"
            )
        }
    assert stored  # the persons are indexed: the attack has something to find
    secrets = candidate_keys(ring)
    secrets += opened_data_keys(database, [*secrets, *extra.organisation_keys.values()]).values()
    confirmed = set()
    for name in names:
        guesses = {ring.index_value(name, purpose, key) for key in ring.keys.values()}
        guesses |= {crypto.organisation_index_value(secret, name, purpose) for secret in secrets}
        if guesses & stored:
            confirmed.add(name)
    return confirmed

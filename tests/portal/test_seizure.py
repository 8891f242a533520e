"""Issue 16's promise for the portal: a seized server reveals no draft.

An editor and a reviewer sign in through the real login view. The editor prepares through the
web a draft that names a victim who consented to publication, another that is submitted, and a
third that a reviewer approves and withdraws; a member of another organisation prepares one of
theirs. Everyone signs out; every file of the instance is copied and attacked as in
tests/intake/test_seizure.py (the plaintexts searched for in the raw bytes, every key of the ring
tried on every sealed value and data key copy). No draft opens. With the editor signed in and
their keys cookie in hand, their organisation's drafts open, and the other's do not.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amparo.cases import services as cases_services
from amparo.cases.models import DatePrecision, Event, RecipientKind
from amparo.core import custody, keychain, services
from amparo.core.models import Clearance, Organisation, Role
from amparo.portal.models import Publication
from amparo.portal.snapshots import item_code
from tests.factories import (
    PASSWORD,
    ActFactory,
    EventFactory,
    PersonFactory,
    TOTPDeviceFactory,
    UserFactory,
)
from tests.intake.test_seizure import (
    attack,
    log_in,
    seize_while_nobody_is_signed_in,
    seize_while_signed_in,
)

LOGOUT = reverse("core:logout")
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.only_real_keys]

NAMED = "Wanjiku Odhiambo Kamau"  # consented to publication: in the drafts
OTHER_NAMED = "Baraka Mutua Ndegwa"  # the other organisation's


def _event(organisation: Organisation, name: str) -> Event:
    """A verified event whose victim consented to publication, recorded (sealed to the
    organisation's public keys: no private key is needed to write) before anyone signs in."""
    event = EventFactory(
        organisation=organisation,
        status=Event.Status.VERIFIED,
        country="KE",
        start_date=datetime.date(2024, 5, 2),
        start_precision=DatePrecision.DAY,
    )
    victim = PersonFactory(organisation=organisation, full_name=name)
    ActFactory(event=event, victim=victim, date=datetime.date(2024, 5, 2))
    return event


@pytest.fixture
def world() -> dict[str, Any]:
    ours = services.create_organisation(
        None, name="Kenya Commission", short_code="KNCHR-T", kind=Organisation.Kind.NHRI
    )
    theirs = services.create_organisation(
        None, name="Other Commission", short_code="OTHER-T", kind=Organisation.Kind.NHRI
    )
    editor, reviewer, other = (UserFactory(username=name) for name in ("ed", "rev", "oth"))
    for user, organisation, role in (
        (editor, ours, Role.DOCUMENTALIST),
        (reviewer, ours, Role.REVIEWER),
        (other, theirs, Role.DOCUMENTALIST),
    ):
        services.add_member(
            None, user=user, organisation=organisation, role=role, clearance=Clearance.RESTRICTED
        )
        TOTPDeviceFactory(user=user)
    events = {"ours_event": _event(ours, NAMED), "theirs_event": _event(theirs, OTHER_NAMED)}
    for user, event in ((editor, events["ours_event"]), (other, events["theirs_event"])):
        with keychain.using(custody.unlock(user, PASSWORD).keychain):
            victim = event.acts.get().victim
            cases_services.give_consent(
                user, victim, recipient_kind=RecipientKind.PUBLICATION, purpose="portal"
            )
    return {"ours": ours, "theirs": theirs, "editor": editor, "reviewer": reviewer,
            "other": other, **events}  # fmt: skip


def prepare(client: Client, organisation: Organisation, event: Event, title: str) -> Publication:
    response = client.post(
        "/portal/manage/new/events/",
        {
            "organisation": organisation.pk,
            "title": title,
            "summary": "",
            "reference_codes": event.reference_code,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return Publication.objects.get(title=title)


def build(world: dict[str, Any]) -> Client:
    editor = Client()
    log_in(editor, world["editor"])
    draft = prepare(editor, world["ours"], world["ours_event"], "Draft")
    submitted = prepare(editor, world["ours"], world["ours_event"], "Submitted")
    withdrawn = prepare(editor, world["ours"], world["ours_event"], "Withdrawn")
    for publication in (submitted, withdrawn):
        assert editor.post(f"/portal/manage/{publication.pk}/submit/").status_code == 302
    page = editor.get(f"/portal/manage/{draft.pk}/").content.decode()
    assert NAMED in page and "Locked" not in page
    reviewer = Client()
    log_in(reviewer, world["reviewer"])
    assert NAMED in reviewer.get(f"/portal/manage/{submitted.pk}/").content.decode()
    reviewer.post(f"/portal/manage/{withdrawn.pk}/withdraw/")
    reviewer.post(LOGOUT)
    other = Client()
    log_in(other, world["other"])
    prepare(other, world["theirs"], world["theirs_event"], "Theirs")
    other.post(LOGOUT)
    states = dict(Publication.objects.values_list("title", "state"))
    assert states == {
        "Draft": "draft",
        "Submitted": "submitted",
        "Withdrawn": "withdrawn",
        "Theirs": "draft",
    }
    return editor


def _drafts(world: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What each organisation's drafts hold that nothing else does: the consenting victim's
    name and the event's code on the portal (no live publication holds it)."""
    ours = [NAMED, item_code(world["ours_event"])]
    theirs = [OTHER_NAMED, item_code(world["theirs_event"])]
    return ours, theirs


def test_a_seized_server_reveals_no_draft_while_nobody_is_signed_in(
    world: dict[str, Any], tmp_path: Path
) -> None:
    editor = build(world)
    editor.post(LOGOUT)
    ours, theirs = _drafts(world)
    seize_while_nobody_is_signed_in(tmp_path, ours + theirs)
    # Every draft is sealed with a data key, none under the ring.
    assert not Publication.objects.filter(data_key__isnull=True).exists()


def test_with_the_editor_signed_in_only_their_organisation_s_drafts_open(
    world: dict[str, Any], tmp_path: Path
) -> None:
    editor = build(world)
    ours, theirs = _drafts(world)
    database, ring, nothing, held = seize_while_signed_in(editor, world["editor"], tmp_path)
    assert attack(database, ring, nothing, ours + theirs) == set()
    assert attack(database, ring, held, ours + theirs) == set(ours)


def test_the_withdrawn_draft_keeps_no_name_even_for_its_readers(world: dict[str, Any]) -> None:
    build(world)
    with keychain.using(custody.unlock(world["editor"], PASSWORD).keychain):
        withdrawn = Publication.objects.get(title="Withdrawn")
        assert withdrawn.content["events"]
        assert NAMED not in json.dumps(withdrawn.content)

"""A handler whose key grant is still pending sees "locked" labels, never an error page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core.models import Organisation
from amparo.intake.models import Note
from tests.factories import TOTPDeviceFactory, intake_report
from tests.intake.conftest import handler

pytestmark = pytest.mark.django_db


def test_a_handler_without_the_key_sees_locked_labels_and_can_still_write_a_note(
    receiving: Organisation,
) -> None:
    submission, _receipt = intake_report(victim_name="Rosa Huanca")
    newcomer = handler(receiving)
    client = Client()
    client.force_login(newcomer)  # signed in, but no keys unlocked in this session
    session = client.session
    session["otp_device_id"] = TOTPDeviceFactory(user=newcomer).persistent_id
    session.save()
    detail = reverse("intake:detail", args=[submission.pk])
    page = client.get(detail)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Rosa Huanca" not in text
    assert "Locked: your keys do not open this" in text
    response = client.post(reverse("intake:note", args=[submission.pk]), {"note-body": "Called."})
    assert response.status_code == 302
    # Written under a data key of its own, sealed to the organisation: a keyholder reads it.
    note = Note.objects.get()
    assert note.data_key_id != submission.data_key_id
    assert note.body == "Called."


def test_a_case_is_never_opened_from_a_report_the_keys_here_do_not_open(
    receiving: Organisation,
) -> None:
    from amparo.core import custody, keychain
    from amparo.core.models import Clearance, Role
    from amparo.intake.services import case_opening

    submission, _receipt = intake_report()
    opener = handler(receiving, role=Role.DOCUMENTALIST, clearance=Clearance.CONFIDENTIAL)
    with keychain.using(keychain.Keychain()), pytest.raises(custody.KeysLocked):
        case_opening.open_case(opener, submission, receiving)
    assert submission.event_id is None

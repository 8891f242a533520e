"""Importing from the web: upload, preview with every problem, confirm."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from amparo.cases.models import Event
from amparo.core.models import Clearance, Role, User
from tests.cases.conftest import sign_in
from tests.cases.exchange import csv_bytes, documentalist, organisation_of
from tests.cases.test_import import ROWS
from tests.factories import member

pytestmark = pytest.mark.django_db


def upload(client: Client, user: User, data: bytes, name: str = "cases.csv") -> Any:
    return client.post(
        reverse("cases_exchange:import"),
        {
            "organisation": organisation_of(user).pk,
            "kind": "table",
            "file": SimpleUploadedFile(name, data),
        },
    )


def test_an_upload_is_previewed_and_imported_only_on_confirmation(client: Client) -> None:
    user = documentalist()
    sign_in(client, user)

    preview = upload(client, user, csv_bytes(ROWS))

    assert preview.status_code == 200
    assert b"will record 1 new event" in preview.content
    assert not Event.objects.exists()
    token = preview.context["token"]
    confirmed = client.post(
        reverse("cases_exchange:import_confirm"),
        {"token": token, "kind": "table", "organisation": organisation_of(user).pk},
    )
    assert confirmed.status_code == 302
    assert Event.objects.get().external_id == "EV-1"
    again = client.post(
        reverse("cases_exchange:import_confirm"),
        {"token": token, "kind": "table", "organisation": organisation_of(user).pk},
    )
    assert again.status_code == 302 and Event.objects.count() == 1  # the upload is gone


def test_the_preview_lists_every_problem_and_offers_no_import(client: Client) -> None:
    user = documentalist()
    sign_in(client, user)
    rows = [*ROWS, {**ROWS[0], "event_id": "EV-2", "act_type": "tea party"}]

    preview = upload(client, user, csv_bytes(rows))

    assert b"tea party" in preview.content and b"act_type" in preview.content
    assert preview.context["token"] == ""
    assert b"import_confirm" not in preview.content and not Event.objects.exists()


def test_an_unreadable_file_is_a_form_error(client: Client) -> None:
    user = documentalist()
    sign_in(client, user)
    response = upload(client, user, b"\x00\x01", "cases.xlsx")
    assert response.status_code == 200 and b"not a readable XLSX" in response.content


def test_another_user_cannot_confirm_someone_elses_upload(client: Client) -> None:
    user = documentalist()
    sign_in(client, user)
    token = upload(client, user, csv_bytes(ROWS)).context["token"]
    colleague = documentalist(organisation=organisation_of(user))
    sign_in(client, colleague)

    client.post(
        reverse("cases_exchange:import_confirm"),
        {"token": token, "kind": "table", "organisation": organisation_of(user).pk},
    )

    assert not Event.objects.exists()


def test_staff_who_may_not_record_events_cannot_import(client: Client) -> None:
    analyst = member(role=Role.ANALYST, clearance=Clearance.CONFIDENTIAL)
    sign_in(client, analyst)
    assert client.get(reverse("cases_exchange:import")).status_code == 403


def test_the_uploaded_file_waits_encrypted(client: Client, settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    user = documentalist()
    sign_in(client, user)
    upload(client, user, csv_bytes(ROWS))
    (stashed,) = (tmp_path / "imports").glob("*.upload")
    content = stashed.read_bytes()
    assert b"Akinyi" not in content and content.startswith(b"amp1:")


def test_a_huridocs_document_is_imported_from_the_web(client: Client) -> None:
    user = documentalist()
    sign_in(client, user)
    document = {
        "format": "huridocs-esf",
        "event": [{"event_record_number": "OEV-1", "event_title": "Arrest of a lawyer"}],
        "person": [{"person_record_number": "P-1", "person_name": "Tendai Moyo"}],
        "act": [
            {
                "act_record_number": "A-1",
                "event": "OEV-1",
                "victim": "P-1",
                "type_of_act": "02010302000004",
            }
        ],
    }
    preview = client.post(
        reverse("cases_exchange:import"),
        {
            "organisation": organisation_of(user).pk,
            "kind": "huridocs",
            "file": SimpleUploadedFile("oev.json", json.dumps(document).encode()),
        },
    )
    assert preview.context["result"].ok, preview.context["result"].errors
    client.post(
        reverse("cases_exchange:import_confirm"),
        {
            "token": preview.context["token"],
            "kind": "huridocs",
            "organisation": organisation_of(user).pk,
        },
    )
    assert Event.objects.get().external_id == "OEV-1"

"""Importing from the web: upload, preview with every problem, confirm."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from amparo.cases.exchange import jobs, stash
from amparo.cases.models import Event, ImportJob
from amparo.core.models import Clearance, Role, User
from amparo.core.uploads import MemoryOnlyUploadHandler
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


def test_an_upload_is_previewed_and_imported_only_on_confirmation(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = documentalist()
    sign_in(client, user)

    preview = upload(client, user, csv_bytes(ROWS))

    assert preview.status_code == 200
    assert b"will record 1 new event" in preview.content
    assert not Event.objects.exists()
    token = preview.context["token"]
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(
            reverse("cases_exchange:import_confirm"),
            {"token": token, "kind": "table", "organisation": organisation_of(user).pk},
        )
    job = ImportJob.objects.get()
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("cases_exchange:import_job", args=[job.pk])
    assert Event.objects.get().external_id == "EV-1"
    page = client.get(confirmed["Location"])
    assert b"Imported: 1 new, 0 changed, 0 unchanged" in page.content
    assert b'http-equiv="refresh"' not in page.content
    again = client.post(
        reverse("cases_exchange:import_confirm"),
        {"token": token, "kind": "table", "organisation": organisation_of(user).pk},
    )
    assert again.status_code == 302 and Event.objects.count() == 1  # the upload is gone


def test_a_queued_import_shows_its_progress_and_reloads_itself_without_script(
    client: Client,
) -> None:
    user = documentalist()
    sign_in(client, user)
    job = ImportJob.objects.create(
        organisation=organisation_of(user), created_by=user, filename="cases.csv", done=40, total=80
    )

    page = client.get(reverse("cases_exchange:import_job", args=[job.pk]))

    assert page.status_code == 200
    assert b'<meta http-equiv="refresh" content="2">' in page.content
    assert b'<progress max="100" value="50">' in page.content
    assert b"<script" not in page.content


def test_a_failed_import_shows_each_problem_to_its_importer_and_to_no_one_else(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = documentalist()
    sign_in(client, user)
    rows = [*ROWS, {**ROWS[0], "event_id": "EV-2", "act_type": "tea party"}]
    token = stash.stash(user, csv_bytes(rows), "cases.csv")
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(
            reverse("cases_exchange:import_confirm"),
            {"token": token, "kind": "table", "organisation": organisation_of(user).pk},
        )

    page = client.get(confirmed["Location"])

    assert b"Failed, nothing written" in page.content and b"tea party" in page.content
    assert not Event.objects.exists()
    with connection.cursor() as cursor:  # the problems quote the file: encrypted at rest
        cursor.execute("SELECT errors FROM cases_importjob")
        (stored,) = cursor.fetchone()
    assert "tea party" not in stored and stored.startswith("amp2:")
    colleague = documentalist(organisation=organisation_of(user))
    sign_in(client, colleague)
    assert client.get(confirmed["Location"]).status_code == 404


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
    assert response.status_code == 400 and b"not a readable XLSX" in response.content


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


def test_a_huridocs_document_is_imported_from_the_web(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
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
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("cases_exchange:import_confirm"),
            {
                "token": preview.context["token"],
                "kind": "huridocs",
                "organisation": organisation_of(user).pk,
            },
        )
    assert Event.objects.get().external_id == "OEV-1"


def _large_table(size: int) -> bytes:
    """A valid table of about `size` bytes: the rows of one event, its description long."""
    padding = "x" * size
    return csv_bytes([{**row, "event_description": padding} for row in ROWS[:1]])


def test_a_large_upload_never_touches_the_temporary_directory(
    client: Client, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above 2.5 MB Django wrote uploads to the temporary directory in clear, where they stayed
    if the worker was killed: the directory is looked at while the import reads the file."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temporary)
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    seen: list[list[str]] = []
    run = jobs.import_data

    def spying(*args: Any, **kwargs: Any) -> Any:
        seen.append(sorted(p.name for p in temporary.iterdir()))
        return run(*args, **kwargs)

    monkeypatch.setattr(jobs, "import_data", spying)
    user = documentalist()
    sign_in(client, user)

    upload(client, user, _large_table(5 * 1024 * 1024))

    assert seen == [[]]
    assert list(temporary.iterdir()) == []


def test_an_upload_above_the_limit_is_refused_before_it_is_read(
    client: Client, settings: Any
) -> None:
    settings.AMPARO_UPLOAD_MAX_BYTES = 1024 * 1024
    user = documentalist()
    sign_in(client, user)

    response = upload(client, user, _large_table(2 * 1024 * 1024))

    assert response.status_code == 413
    assert b"larger than 1 MB" in response.content
    assert not Event.objects.exists()


def test_a_body_that_hides_its_size_is_refused_while_it_is_read(settings: Any) -> None:
    """A body larger than it says (or sent without its size) stops at the limit."""
    settings.AMPARO_UPLOAD_MAX_BYTES = 1024
    handler = MemoryOnlyUploadHandler()
    handler.handle_raw_input(io.BytesIO(), {}, 10, "boundary")
    handler.new_file("file", "cases.csv", "text/csv", 0)
    handler.receive_data_chunk(b"x" * 1000, 0)
    with pytest.raises(RequestDataTooBig):
        handler.receive_data_chunk(b"x" * 1000, 1000)

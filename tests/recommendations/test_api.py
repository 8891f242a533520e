"""The recommendations API: each operation declares its permission and applies the same rules
as the pages."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.utils.timezone import localdate

from amparo.api import tokens
from amparo.api.main import api
from amparo.core.models import User
from amparo.recommendations import access
from amparo.recommendations.api import PERMISSION
from amparo.recommendations.models import Recommendation
from tests.recommendations.conftest import SAMPLE_ROWS

URL = "/api/v1"


class Api:
    def __init__(self, client: Client, user: User) -> None:
        self.client = client
        secret = tokens.issue_token(None, user, name="test").secret
        self.header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(URL + path, params, **self.header)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            URL + path, json.dumps(body), content_type="application/json", **self.header
        )

    def upload(self, path: str, name: str, data: bytes, **fields: Any) -> Any:
        from django.core.files.uploadedfile import SimpleUploadedFile

        return self.client.post(
            URL + path, {"file": SimpleUploadedFile(name, data), **fields}, **self.header
        )


OPERATIONS = [
    (method, path, operation)
    for path, methods in api.get_openapi_schema(path_params={})["paths"].items()
    for method, operation in methods.items()
    if "recommendations" in operation.get("tags", [])
]


def test_the_recommendations_api_has_its_operations() -> None:
    assert len(OPERATIONS) >= 13


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=lambda v: str(v)[:40])
def test_every_operation_declares_its_permission(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    declared = operation.get(PERMISSION, "")
    assert declared.startswith("recommendations.")
    assert declared.removeprefix("recommendations.") in access.ACTIONS


@pytest.mark.django_db
def test_list_filter_and_read_one(
    client: Client, documentalist: User, reference: None, sample: bytes
) -> None:
    api_client = Api(client, documentalist)
    imported = api_client.upload("/recommendations/import", "upr.csv", sample)
    assert imported.status_code == 200, imported.json()
    assert imported.json()["created"] == SAMPLE_ROWS

    page = api_client.get("/recommendations", state="KE", theme="human_rights_defenders", limit=5)
    body = page.json()
    assert page.status_code == 200 and body["count"] > 0 and len(body["items"]) <= 5
    one = api_client.get(f"/recommendations/{body['items'][0]['id']}").json()
    assert one["state"] == "KE" and one["actions"] == [] and one["progress_reports"] == []
    assert api_client.get("/recommendations", theme="no_such_theme").status_code == 422


@pytest.mark.django_db
def test_a_failed_import_answers_422_with_every_problem(
    client: Client, documentalist: User, reference: None, sample: bytes
) -> None:
    bad = sample.replace(b",Kenya,", b",Atlantis,", 2)
    answer = Api(client, documentalist).upload("/recommendations/import", "bad.csv", bad)
    assert answer.status_code == 422
    assert len(answer.json()["errors"]) == 2
    assert not Recommendation.objects.exists()


@pytest.mark.django_db
def test_create_plan_report_and_contest_through_the_api(
    documentalist: User, state_rep: User, cso_staff: User, reference: None
) -> None:
    nhri_api, state_api, cso_api = (Api(Client(), u) for u in (documentalist, state_rep, cso_staff))
    created = nhri_api.post(
        "/recommendations",
        {
            "mechanism": "sr_defenders",
            "state": "KE",
            "text": "Adopt a law on the protection of defenders.",
            "themes": ["protection_mechanisms_for_defenders"],
            "sdgs": ["16.10"],
            "translations": {"fr": "Adopter une loi sur la protection des défenseurs."},
        },
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]

    assert (
        state_api.post(
            f"/recommendations/{pk}/actions",
            {"measure": "Draft the bill", "responsible_agency": "Attorney General"},
        ).status_code
        == 201
    )
    assert (
        cso_api.post(
            f"/recommendations/{pk}/actions", {"measure": "x", "responsible_agency": "y"}
        ).status_code
        == 403
    )
    report = state_api.post(
        f"/recommendations/{pk}/progress",
        {
            "period_start": localdate().isoformat(),
            "period_end": localdate().isoformat(),
            "status": "implemented",
            "evidence": "Passed.",
        },
    )
    assert report.status_code == 201
    report_id = report.json()["id"]
    assert cso_api.post(f"/progress-reports/{report_id}/contest", {}).status_code == 422
    contested = cso_api.post(
        f"/progress-reports/{report_id}/contest", {"comment": "Not in force."}
    ).json()
    assert contested["contested"] and contested["reviews"][0]["party"] == "civil_society"
    endorsed = nhri_api.post(f"/progress-reports/{report_id}/endorse", {}).json()
    assert {r["verdict"] for r in endorsed["reviews"]} == {"endorsed", "contested"}
    assert state_api.post(f"/progress-reports/{report_id}/endorse", {}).status_code == 403

    one = Api(Client(), cso_staff).get(f"/recommendations/{pk}").json()
    assert one["contested"] and one["status"] == "implemented"


@pytest.mark.django_db
def test_the_export_and_the_report_come_as_files(
    client: Client, documentalist: User, recommendation: Recommendation
) -> None:
    api_client = Api(client, documentalist)
    exported = api_client.get("/recommendations/export", format="csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert rows[0]["confirmed_themes"] == "Human rights defenders"
    report = api_client.get("/recommendations/states/KE/report", format="xlsx")
    assert report.status_code == 200 and report.content.startswith(b"PK")
    assert api_client.get("/recommendations/export", format="exe").status_code == 400
    statuses = api_client.get("/recommendations/states/KE/ratifications").json()
    assert any(item["instrument"] == "maputo" for item in statuses)

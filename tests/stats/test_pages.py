"""The statistics pages answer, count what the viewer may see, and export what they show."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core.models import Clearance, Role
from tests.cases.conftest import sign_in
from tests.factories import member
from tests.stats.world import institution, record, victim

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(documentalist, nhri):
    radio = institution("Kisumu Community Radio")
    for index in range(6):
        record(
            documentalist,
            nhri,
            acts=[(victim(f"Defender {index}"), "killing" if index % 2 else "threat_death")],
            sources=[radio],
        )
    return nhri


def test_the_dashboard_shows_totals_charts_and_the_estimate(
    client: Client, documentalist, world
) -> None:
    response = sign_in(client, documentalist).get(reverse("stats:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page
    assert "Killings: documented and estimated" in page
    assert "No estimate is possible" in page  # one source: no overlap between lists


def test_the_crosstab_page_counts_and_exports_csv(client: Client, documentalist, world) -> None:
    sign_in(client, documentalist)
    url = reverse("stats:crosstab") + "?rows=type_of_act&columns=&rows_2=&measure=acts"
    response = client.get(url)
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    exported = client.get(url + "&format=csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Type of act"
    assert ["Killing", "3"] in rows
    assert ["Total", "6"] in rows
    document = json.loads(client.get(url + "&format=json").content)
    assert document["measure"] == "acts"
    assert client.get(url + "&format=xlsx")["Content-Type"].startswith("application/vnd")


def test_the_sdg_page_counts_verified_cases_only(client: Client, documentalist, world) -> None:
    response = sign_in(client, documentalist).get(reverse("stats:sdg"))
    assert response.status_code == 200
    assert "No verified case" in response.content.decode()


def test_a_read_only_member_may_not_export(client: Client, world) -> None:
    reader = member(Role.READ_ONLY, Clearance.CONFIDENTIAL, world)
    sign_in(client, reader)
    url = reverse("stats:crosstab") + "?rows=type_of_act&measure=acts&format=csv"
    assert client.get(url).status_code == 403

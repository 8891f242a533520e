"""Downloading exports from the web."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core.models import AuditEntry, Clearance, Organisation, Role
from tests.cases.conftest import sign_in
from tests.cases.exchange import documentalist, record_event
from tests.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


def download(client: Client, fmt: str) -> bytes:
    response = client.get(reverse("cases_exchange:export"), {"format": fmt})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_export_page_offers_the_formats(client: Client) -> None:
    user = documentalist()
    record_event(user)
    sign_in(client, user)
    page = client.get(reverse("cases_exchange:export"))
    assert page.status_code == 200 and page.context["count"] == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "huridocs"])
def test_each_format_downloads_and_is_audited(client: Client, fmt: str) -> None:
    user = documentalist()
    record_event(user)
    sign_in(client, user)

    content = download(client, fmt)

    assert content
    if fmt == "csv":
        assert b"Akinyi Odera" in content
    if fmt in ("json", "huridocs"):
        json.loads(content)
    assert AuditEntry.objects.filter(action="cases.export", changes__format=fmt).exists()


def test_a_partner_has_nothing_to_export(client: Client) -> None:
    record_event(documentalist())
    partner = member(
        role=Role.STATE_REPRESENTATIVE,
        clearance=Clearance.CONFIDENTIAL,
        organisation=OrganisationFactory(kind=Organisation.Kind.STATE),
    )
    sign_in(client, partner)
    assert client.get(reverse("cases_exchange:export")).context["count"] == 0
    assert b"Akinyi" not in download(client, "csv")


def test_an_organisation_the_user_may_not_export_is_refused(client: Client) -> None:
    user = documentalist()
    record_event(user)
    sign_in(client, user)
    other = OrganisationFactory()
    response = client.get(
        reverse("cases_exchange:export"), {"format": "csv", "organisation": other.short_code}
    )
    assert response.status_code == 403

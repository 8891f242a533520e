"""The pages that show who a defender is (event, print, version, API person) cannot come back
from a browser's cache: each answers `Cache-Control: no-store`."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.cases.conftest import sign_in, token_with_keys
from tests.cases.exchange import documentalist, record_event

pytestmark = pytest.mark.django_db


def test_identity_pages_and_api_answers_are_no_store(client: Client) -> None:
    user = documentalist()
    event = record_event(user)
    person = event.acts.order_by("pk").first().victim
    sign_in(client, user)
    pages = {  # page -> whether it shows the name itself (a version shows what changed)
        reverse("cases:event_detail", args=[event.pk]): True,
        reverse("cases:event_print", args=[event.pk]): True,
        reverse("cases:version_detail", args=[event.pk, 1]): False,
    }
    for page, names in pages.items():
        response = client.get(page)
        assert response.status_code == 200, page
        assert (person.full_name in response.content.decode()) is names, page
        assert "no-store" in response["Cache-Control"], page

    token = token_with_keys(user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api.get(f"/api/v1/persons/{person.pk}")
    assert response.status_code == 200
    assert response.json()["full_name"] == person.full_name
    assert "no-store" in response["Cache-Control"]

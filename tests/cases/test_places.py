"""Case pages name countries and regions in the reader's language, as intake does, instead of
showing their codes (`KE · KE-17`)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core.models import Organisation, User
from tests.cases.conftest import sign_in
from tests.factories import ActFactory, EventFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "country"),
    [("en", "Kenya"), ("fr", "Kenya"), ("es", "Kenia"), ("ar", "كينيا")],
)
@pytest.mark.parametrize("page", ["cases:event_detail", "cases:event_print", "cases:event_list"])
def test_case_pages_name_the_country_and_region_in_the_readers_language(
    client: Client, nhri: Organisation, documentalist: User, language: str, country: str, page: str
) -> None:
    event = EventFactory(organisation=nhri, country="KE", region="KE-17", locality="Kondele")
    ActFactory(event=event, victim__country="KE", victim__region="KE-30")
    sign_in(client, documentalist)

    url = reverse(page) if page == "cases:event_list" else reverse(page, args=[event.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert f"{country} · " in html
    assert "KE · " not in html and "KE-17" not in html and "KE-30" not in html
    if page != "cases:event_list":
        assert f"{country} · Kisumu · Kondele" in html  # the event
        assert f"{country} · Nairobi City" in html  # its victim

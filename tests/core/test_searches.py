"""Searches kept in the session under a short random id (amparo/core/searches.py)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest
from django.test import RequestFactory

from amparo.core import crypto, searches


def _request() -> HttpRequest:
    request = RequestFactory().get("/")
    request.session = SessionStore()
    return request


@pytest.mark.django_db
def test_words_come_back_for_their_own_list_only() -> None:
    request = _request()
    search_id = searches.remember(request, "cases.event_list", {"name": "Grace Akinyi"})

    assert searches.recall(request, "cases.event_list", search_id) == {"name": "Grace Akinyi"}
    assert searches.recall(request, "network.persons", search_id) is None


@pytest.mark.django_db
def test_a_search_kept_under_a_key_the_ring_no_longer_has_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request = _request()
    search_id = searches.remember(request, "cases.event_list", {"q": "hearing"})
    ring = crypto.generate_keyring()
    monkeypatch.setattr(crypto, "keyring", lambda recheck=False: ring)

    assert searches.recall(request, "cases.event_list", search_id) is None


@pytest.mark.django_db
def test_a_tampered_entry_is_no_search() -> None:
    request = _request()
    search_id = searches.remember(request, "cases.event_list", {"q": "hearing"})
    request.session[searches.SESSION_KEY][search_id] = "amp1:junk:junk"

    assert searches.recall(request, "cases.event_list", search_id) is None

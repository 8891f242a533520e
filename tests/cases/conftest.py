"""Fixtures for the cases tests: the shipped vocabularies, terms by code, and a small world."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from amparo.core import vocabulary
from amparo.core.models import Term, Thesaurus, User
from tests.factories import TOTPDeviceFactory


@pytest.fixture(scope="session")
def _vocabularies_committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Load the vocabularies once for the session, outside any test transaction."""
    with django_db_blocker.unblock():
        vocabulary.load()
    yield


@pytest.fixture(autouse=True)
def vocab(_vocabularies_committed: None, request: pytest.FixtureRequest) -> None:
    """Every cases test sees the shipped vocabularies. A transactional test elsewhere may have
    flushed the committed copy; then this test loads them again inside its own transaction."""
    if "django_db" not in {mark.name for mark in request.node.iter_markers()}:
        return
    request.getfixturevalue("db")
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()


TermGetter = Callable[[str, str], Term]


@pytest.fixture
def term() -> TermGetter:
    """term("threat_death", "hrd_violations"): a term by code and thesaurus code."""

    def get(code: str, thesaurus: str) -> Term:
        return Term.objects.select_related("thesaurus").get(thesaurus__code=thesaurus, code=code)

    return get


def sign_in(client: Client, user: User) -> Client:
    """Log in as `user`, past two-factor (staff with clearance above public must use it)."""
    client.force_login(user)
    device = TOTPDeviceFactory(user=user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client

"""Fixtures for the intake tests: the receiving organisation, the secretariat, handlers, and a
clean slate of rate-limit counters for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from amparo.core.models import Clearance, Organisation, Role, User
from amparo.intake.forms import forget_vocabularies

# The shipped vocabularies for every database test, as the cases tests load them.
from tests.cases.conftest import sign_in, vocab  # noqa: F401
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

# Generous limits, so that only the tests about limits meet them.
HIGH_LIMITS = {
    name: (10_000, 60)
    for name in (
        "submit",
        "submit_without_pow",
        "receipt",
        "receipt_without_pow",
        "receipt_failure",
        "receipt_failure_per_form",
        "reply",
        "reply_per_access",
    )
}


@pytest.fixture(autouse=True)
def _intake_settings(settings: pytest.FixtureRequest) -> Iterator[None]:
    settings.AMPARO_INTAKE_ORGANISATION = "NHRI-T"  # type: ignore[attr-defined]
    settings.AMPARO_INTAKE_NHRI_REPRISALS_TO = "SEC-T"  # type: ignore[attr-defined]
    settings.AMPARO_INTAKE_RATE_LIMITS = dict(HIGH_LIMITS)  # type: ignore[attr-defined]
    cache.clear()
    forget_vocabularies()
    yield
    cache.clear()


@pytest.fixture
def receiving(db: None) -> Organisation:
    return OrganisationFactory(
        name="Test Human Rights Commission", short_code="NHRI-T", kind=Organisation.Kind.NHRI
    )


@pytest.fixture
def secretariat(db: None) -> Organisation:
    return OrganisationFactory(
        name="Test Network Secretariat",
        short_code="SEC-T",
        kind=Organisation.Kind.SECRETARIAT,
        country="",
    )


def handler(
    organisation: Organisation,
    role: str = Role.DOCUMENTALIST,
    clearance: int = Clearance.CONFIDENTIAL,
    **fields: object,
) -> User:
    user = UserFactory(**fields)
    MembershipFactory(user=user, organisation=organisation, role=role, clearance=clearance)
    return user


@pytest.fixture
def documentalist(receiving: Organisation) -> User:
    return handler(receiving, first_name="Doc", email="doc@example.org")


@pytest.fixture
def staff_client(documentalist: User) -> Client:
    return sign_in(Client(), documentalist)

"""Fixtures for the intake tests: the receiving organisation, the secretariat, handlers, budgets
high enough for forms without proof of work, cheap proofs of work, and a solver for them."""

from __future__ import annotations

import itertools
import re

import pytest
from django.test import Client

from amparo.core.models import Clearance, Organisation, Role, User
from amparo.intake import conf, tokens
from amparo.intake.forms import forget_vocabularies

# The shipped vocabularies for every database test, as the cases tests load them.
from tests.cases.conftest import sign_in, vocab  # noqa: F401
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

# Generous budgets for forms without proof of work, so that only the tests about them meet them.
HIGH_LIMITS = {name: (10_000, 60) for name in conf.DEFAULT_LIMITS}
# Proofs of work a test can find in a few milliseconds; tests about the cost raise them.
TEST_POW_BITS = 4


@pytest.fixture(autouse=True)
def _intake_settings(settings: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.AMPARO_INTAKE_ORGANISATION = "NHRI-T"  # type: ignore[attr-defined]
    settings.AMPARO_INTAKE_NHRI_REPRISALS_TO = "SEC-T"  # type: ignore[attr-defined]
    settings.AMPARO_INTAKE_RATE_LIMITS = dict(HIGH_LIMITS)  # type: ignore[attr-defined]
    monkeypatch.setattr(conf, "POW_BASE_BITS", TEST_POW_BITS)
    forget_vocabularies()


def proof_of_work(html: str) -> str:
    """What the page's script would put in the form's "pow" field: the first n whose hash has
    the zero bits the page asks for."""
    prefix = re.search(r'data-pow-prefix="([^"]+)"', html)
    bits = re.search(r'data-pow-bits="(\d+)"', html)
    assert prefix and bits, "the form carries a proof-of-work puzzle"
    token = tokens.FormToken("", prefix.group(1).rstrip(":"), "", int(bits.group(1)))
    return next(str(n) for n in itertools.count() if tokens.work(token, str(n)) >= token.bits)


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

"""Fixtures for the recommendations tests: the reference lists, a small world of organisations
(an NHRI, a civil-society organisation and a State institution of Kenya, a State institution of
Uganda), recommendations, and the placeholder theme classifier."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from amparo.core.models import Clearance, Organisation, Role, User
from amparo.recommendations import services
from amparo.recommendations.models import Mechanism, Recommendation, Theme
from tests.factories import OrganisationFactory, TOTPDeviceFactory, member

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "recommendations"
SAMPLE = FIXTURES / "upr_sample.csv"
SAMPLE_ROWS = 1524
CLASSIFIER = "tests.recommendations.keyword_classifier"


@pytest.fixture
def reference(db: None) -> None:
    services.load_reference(None)


@pytest.fixture
def sample() -> bytes:
    return SAMPLE.read_bytes()


@pytest.fixture
def classifier(settings: Any, tmp_path: Path) -> None:
    """The tests' placeholder classifier, its model files in a throw-away directory."""
    settings.AMPARO_THEME_CLASSIFIER = CLASSIFIER
    settings.VAR_DIR = tmp_path


@pytest.fixture
def nhri(db: None) -> Organisation:
    return OrganisationFactory(
        name="Kenya Commission", short_code="NHRC-KE", kind=Organisation.Kind.NHRI, country="KE"
    )


@pytest.fixture
def cso(db: None) -> Organisation:
    return OrganisationFactory(
        name="Defenders Network", short_code="HRDN", kind=Organisation.Kind.CSO, country="CO"
    )


@pytest.fixture
def state_ke(db: None) -> Organisation:
    return OrganisationFactory(
        name="Kenya Protection Mechanism",
        short_code="SPM-KE",
        kind=Organisation.Kind.STATE,
        country="KE",
    )


@pytest.fixture
def state_ug(db: None) -> Organisation:
    return OrganisationFactory(
        name="Uganda Ministry", short_code="MOJ-UG", kind=Organisation.Kind.STATE, country="UG"
    )


@pytest.fixture
def documentalist(nhri: Organisation) -> User:
    return member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)


@pytest.fixture
def cso_staff(cso: Organisation) -> User:
    return member(Role.DOCUMENTALIST, Clearance.RESTRICTED, cso)


@pytest.fixture
def state_rep(state_ke: Organisation) -> User:
    return member(Role.STATE_REPRESENTATIVE, Clearance.RESTRICTED, state_ke)


MakeRecommendation = Callable[..., Recommendation]


@pytest.fixture
def make_recommendation(reference: None, documentalist: User) -> MakeRecommendation:
    def make(**values: Any) -> Recommendation:
        themes = [Theme.objects.get(code=code) for code in values.pop("themes", [])]
        data: dict[str, Any] = {
            "mechanism": Mechanism.objects.get(code=values.pop("mechanism", "upr")),
            "state": "KE",
            "text": "Ensure that human rights defenders can work free from threats and attacks.",
            "session": "UPR session 8",
            "recommending_state": "NO",
            "position": Recommendation.Position.SUPPORTED,
            **values,
        }
        return services.create_recommendation(
            documentalist, services.RecommendationInput(**data, themes=themes)
        )

    return make


@pytest.fixture
def recommendation(make_recommendation: MakeRecommendation) -> Recommendation:
    return make_recommendation(themes=["human_rights_defenders"])


def sign_in(client: Client, user: User) -> Client:
    """Log in as `user`, past two-factor."""
    client.force_login(user)
    device = TOTPDeviceFactory(user=user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client

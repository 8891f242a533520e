"""On first look at the demo world, each role's home page shows work: the documentalists have
events to verify and drafts, the focal point reports of someone in danger that nobody handles,
a partner events shared with them."""

from __future__ import annotations

from typing import Any

import pytest

from amparo.core import home
from amparo.core.models import User
from amparo.demo import world as demo_world
from amparo.demo.base import DemoOptions

pytestmark = pytest.mark.django_db


def _counts(username: str) -> dict[str, int]:
    return {
        panel.title: panel.count for panel in home.panels_for(User.objects.get(username=username))
    }


def test_every_role_finds_work_on_the_demo_home_page(settings: Any) -> None:
    settings.AMPARO_INTAKE_ORGANISATION = "NHRC-KE"
    demo_world.build(DemoOptions())  # as `make run` builds it

    for username in ("nhri.documentalist", "nhri.verifier", "network.documentalist"):
        assert _counts(username)["Waiting for your verification"] > 0, username
    assert _counts("nhri.documentalist")["Your drafts"] > 0
    focal = _counts("nhri.focal")
    assert focal["Someone in immediate danger, and nobody handling it"] > 0
    assert focal["Consent given or withdrawn recently"] > 0
    assert _counts("state.rep")["Shared with you recently"] > 0

"""The demo network: about twenty States at every step of the lifecycle, built through the
network's services, once."""

from __future__ import annotations

from collections import Counter

import pytest

from amparo.core import audit
from amparo.demo import accounts as demo_accounts
from amparo.demo import network as demo_network
from amparo.network.models import CoChairTerm, Meeting, Member, Review, SteeringMember
from amparo.network.scorecard import compute

pytestmark = pytest.mark.django_db
NEEDS_VOCABULARIES = False


def test_the_demo_network_has_twenty_states_at_every_step_of_the_lifecycle() -> None:
    demo_accounts.build_accounts()
    assert demo_network.build_network() == 20
    statuses = Counter(Member.objects.values_list("status", flat=True))
    assert set(statuses) == {
        "proposed",
        "invited",
        "accepted",
        "active",
        "under_review",
        "suspended",
        "ended",
    }
    assert Member.objects.count() == 20
    kenya = Member.objects.get(country="KE")
    assert kenya.status == "active" and kenya.joined_on is not None
    assert Review.objects.get(member=kenya).outcome == "concerns"
    assert Review.objects.get(member__country="HN").outcome == "suspension_recommended"
    assert Review.objects.get(member__country="MX").stage == "open"
    assert CoChairTerm.objects.get().members.count() == 2
    assert SteeringMember.objects.filter(user__username="mechanism.officer").exists()
    assert Meeting.objects.count() == 2
    assert any(card.flagged for card in compute.compute())
    assert audit.verify().ok
    # Run again: nothing new.
    assert demo_network.build_network() == 0
    assert Member.objects.count() == 20

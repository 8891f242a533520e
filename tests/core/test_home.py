"""The home page's panels: a registry in core that the apps register into."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core import home
from amparo.core.models import User
from tests.factories import UserFactory


def _content(title: str, count: int = 1, urgent: bool = False) -> home.Content:
    return home.Content(
        title=title, count=count, summary=f"{count} things", link="/x/", urgent=urgent
    )


@pytest.fixture
def only_these_panels(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, home.Panel]]:
    panels: dict[str, home.Panel] = {}
    monkeypatch.setattr(home, "_panels", panels)
    yield panels


def test_panels_come_in_their_order_and_urgent_ones_with_something_first(
    only_these_panels: dict[str, home.Panel],
) -> None:
    home.register(home.Panel("b.changed", home.Order.CHANGED, lambda user: _content("changed")))
    home.register(home.Panel("a.waiting", home.Order.WAITING, lambda user: _content("waiting")))
    home.register(
        home.Panel("z.alerts", home.Order.CHANGED + 50, lambda user: _content("alerts", 2, True))
    )
    home.register(
        home.Panel("y.calm", home.Order.URGENT, lambda user: _content("calm", 0, urgent=True))
    )

    titles = [content.title for content in home.panels_for(UserFactory.build())]

    assert titles == ["alerts", "calm", "waiting", "changed"]


def test_a_panel_that_is_not_for_the_person_is_not_shown(
    only_these_panels: dict[str, home.Panel],
) -> None:
    home.register(home.Panel("a.for_nobody", home.Order.WAITING, lambda user: None))

    assert home.panels_for(UserFactory.build()) == []


def test_two_panels_of_one_name_are_refused(only_these_panels: dict[str, home.Panel]) -> None:
    first = home.Panel("a.panel", home.Order.WAITING, lambda user: None)
    home.register(first)
    home.register(first)  # the same registration again, e.g. ready() run twice

    with pytest.raises(ValueError, match="already registered"):
        home.register(home.Panel("a.panel", home.Order.OWN, lambda user: None))


def test_the_apps_register_their_panels() -> None:
    assert {
        "cases.to_verify",
        "cases.my_drafts",
        "cases.shared_recently",
        "cases.consent_changed",
        "intake.unhandled_danger",
    } <= set(home._panels)


@pytest.mark.django_db
def test_the_home_page_shows_each_panels_title_count_link_and_items(
    client: Client, only_these_panels: dict[str, home.Panel]
) -> None:
    def build(user: User) -> home.Content:
        return home.Content(
            title="Alerts to acknowledge",
            count=2,
            summary="2 alerts",
            link="/warning/alerts/?show=mine",
            note="Acknowledge each within a day.",
            items=[home.Item("A-1 · Threat", "/warning/alerts/1/", "raised today")],
            urgent=True,
        )

    home.register(home.Panel("warning.alerts", home.Order.URGENT, build))
    client.force_login(UserFactory())

    html = client.get(reverse("core:home")).content.decode()

    assert "Alerts to acknowledge" in html and "Acknowledge each within a day." in html
    assert '<a href="/warning/alerts/?show=mine">2 alerts</a>' in html
    assert '<a href="/warning/alerts/1/">A-1 · Threat</a>' in html and "raised today" in html
    assert "panel urgent" in html

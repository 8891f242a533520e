"""The backsliding scorecard: computed from the records, each signal explained, the flag rules
applied; the optional apps' signals read through their feeds; the same figures on the page, in
the API and from `amparo network scorecard`."""

from __future__ import annotations

import contextlib
import datetime
import json
import sys
import types
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from amparo.core.models import User
from amparo.intake.models import Submission
from amparo.network import rules
from amparo.network.checks import rules_files
from amparo.network.models import Commitment, Member
from amparo.network.queries import today
from amparo.network.scorecard import compute, feeds, readings, registry
from amparo.network.scorecard.readings import Window, add_months
from tests.factories import (
    ActFactory,
    EventFactory,
    OrganisationFactory,
    hrd_term,
    intake_report,
    network_member,
)
from tests.network.conftest import Delegation, sign_in

pytestmark = pytest.mark.django_db


def signal(card: compute.Scorecard, signal_id: str) -> compute.Signal:
    return next(s for s in card.signals if s.id == signal_id)


def act(
    country: str, code: str, when: datetime.date, status: str = "verified", **fields: object
) -> None:
    event = EventFactory(country=country, status=status, start_date=when)
    ActFactory(event=event, type_of_act=hrd_term(code), date=when, date_precision="day", **fields)


def days_ago(days: int) -> datetime.date:
    return today() - datetime.timedelta(days=days)


# --- plain readings and rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    "day,months,expected",
    [
        (datetime.date(2026, 3, 31), -1, datetime.date(2026, 2, 28)),
        (datetime.date(2024, 3, 31), -1, datetime.date(2024, 2, 29)),
        (datetime.date(2026, 1, 15), -12, datetime.date(2025, 1, 15)),
        (datetime.date(2026, 12, 31), 1, datetime.date(2027, 1, 31)),
    ],
)
def test_months_are_added_on_the_calendar(
    day: datetime.date, months: int, expected: datetime.date
) -> None:
    assert add_months(day, months) == expected


def test_a_window_and_the_one_before_it_do_not_overlap() -> None:
    window = Window(datetime.date(2026, 6, 30), 12)
    assert (window.previous_start, window.start, window.end) == (
        datetime.date(2024, 7, 1),
        datetime.date(2025, 7, 1),
        datetime.date(2026, 7, 1),
    )
    dates = [
        datetime.date(2025, 7, 1),
        datetime.date(2025, 6, 30),
        datetime.date(2026, 6, 30),
        datetime.date(2026, 7, 1),
    ]
    assert readings.split_counts(dates, window) == (2, 1)


@pytest.mark.parametrize(
    "rule,threshold,minimum,value,previous,base,flagged",
    [
        ("rise", Decimal("1.5"), 2, 3, 2, None, True),
        ("rise", Decimal("1.5"), 2, 2, 2, None, False),
        ("rise", Decimal("1.5"), 2, 2, 0, None, True),
        ("rise", Decimal("1.5"), 2, 1, 0, None, False),
        ("at_least", Decimal(1), 0, 1, 0, None, True),
        ("at_least", Decimal(1), 0, 0, 5, None, False),
        ("below", Decimal("0.3"), 5, Decimal("0.2"), None, 5, True),
        ("below", Decimal("0.3"), 5, Decimal("0.2"), None, 4, False),
        ("below", Decimal("0.3"), 5, Decimal("0.3"), None, 9, False),
        ("at_least", Decimal(1), 0, None, None, None, False),
    ],
)
def test_the_flag_rules(
    rule: str,
    threshold: Decimal,
    minimum: int,
    value: object,
    previous: object,
    base: object,
    flagged: bool,
) -> None:
    assert readings.is_flagged(rule, threshold, minimum, value, previous, base) is flagged  # type: ignore[arg-type]


def test_unacknowledged_alerts_count_those_left_past_the_deadline() -> None:
    window = Window(datetime.date(2026, 6, 30), 12)
    reading = readings.unacknowledged_alerts(
        [
            {"sent_on": datetime.date(2026, 1, 1), "acknowledged_on": None},
            {"sent_on": datetime.date(2026, 1, 1), "acknowledged_on": datetime.date(2026, 1, 30)},
            {"sent_on": datetime.date(2026, 1, 1), "acknowledged_on": datetime.date(2026, 1, 5)},
            {"sent_on": datetime.date(2026, 6, 25), "acknowledged_on": None},  # not late yet
            {"sent_on": datetime.date(2025, 3, 1), "acknowledged_on": None},  # the window before
        ],
        window,
        days=14,
    )
    assert (reading.value, reading.previous, reading.base) == (2, 1, 4)


def test_the_implementation_rate_counts_partial_implementation_by_its_weight() -> None:
    items = [
        {"status": s}
        for s in ("implemented", "partially_implemented", "not_implemented", "no_information")
    ]
    reading = readings.implementation_rate(items, Decimal("0.5"))
    assert reading.value == Decimal("0.375") and reading.base == 4
    assert readings.implementation_rate([], Decimal("0.5")).value is None


@pytest.mark.parametrize(
    "items",
    [
        "not a list",
        [{"status": "done"}],
        [{"recorded_on": "2026-01-01"}],
        [{"sent_on": datetime.datetime(2026, 1, 1)}],
    ],
)
def test_an_answer_of_the_wrong_form_is_refused_with_what_is_wrong(items: object) -> None:
    window = Window(today(), 12)
    with pytest.raises(readings.FeedError):
        readings.implementation_rate(items, Decimal("0.5"))
        readings.restrictive_laws(items, window)
        readings.unacknowledged_alerts(items, window, 14)


# --- signals from the case records and intake ------------------------------------------------


def test_killings_rising_in_the_verified_records_flag_the_member() -> None:
    member = network_member("KE")
    for days in (10, 40, 70):
        act("KE", "killing", days_ago(days))
    act("KE", "killing", days_ago(400))
    act("KE", "killing", days_ago(20), status="draft")  # not verified: not counted
    act("UG", "killing", days_ago(20))  # another country
    act("KE", "threat_death", days_ago(20))  # an attack, not a killing
    card = compute.for_member(member)
    killings = signal(card, "killings")
    assert (killings.value, killings.previous, killings.trend) == (3, 1, "rising")
    assert killings.flagged and card.flagged
    assert "3 killings" in killings.explanation
    assert "country=KE" in killings.source_url and "type_of_act=" in killings.source_url
    assert signal(card, "attacks").value == 4


def test_an_act_counts_where_and_when_it_happened_not_where_its_event_began() -> None:
    member = network_member("KE")
    event = EventFactory(country="UG", status="verified", start_date=days_ago(500))
    ActFactory(
        event=event,
        type_of_act=hrd_term("killing"),
        country="KE",
        date=days_ago(5),
        date_precision="day",
    )
    assert signal(compute.for_member(member), "killings").value == 1


def test_reprisals_against_the_nhri_join_case_records_and_reports_to_the_secretariat(
    settings: object, secretariat: User
) -> None:
    settings.AMPARO_INTAKE_ORGANISATION = OrganisationFactory(short_code="RECV").short_code  # type: ignore[attr-defined]
    secretariat_code = secretariat.memberships.get().organisation.short_code
    settings.AMPARO_INTAKE_NHRI_REPRISALS_TO = secretariat_code  # type: ignore[attr-defined]
    member = network_member("KE")
    act("KE", "nhri_budget_cut", days_ago(30))
    victim_event = EventFactory(country="KE", status="verified", start_date=days_ago(15))
    nhri_staff = ActFactory(
        event=victim_event, type_of_act=hrd_term("threat"), date=days_ago(15), date_precision="day"
    )
    nhri_staff.victim.defender_types.add(hrd_term("nhri_staff", "defender_types"))
    reported, _ = intake_report(
        target="nhri", acts=["nhri_smear"], defender_types=["nhri"], country="KE"
    )
    spam, _ = intake_report(
        target="nhri", acts=["nhri_smear"], defender_types=["nhri"], country="KE"
    )
    Submission.objects.filter(pk=spam.pk).update(disposition="spam")
    intake_report(target="nhri", acts=["nhri_smear"], defender_types=["nhri"], country="UG")
    intake_report(target="me", acts=["threat"], country="KE")  # not about an NHRI
    reprisals = signal(compute.for_member(member), "nhri_reprisals")
    assert reprisals.value == 3
    assert reprisals.reading is not None and dict(reprisals.reading.detail) == {
        "acts": 2,
        "reports": 1,
    }
    assert reprisals.record_ids == (str(reported.pk),)
    assert reprisals.flagged


def test_overdue_commitments_count_those_past_due_and_still_open(
    kenya: Delegation, secretariat: User
) -> None:
    def pledge(due: datetime.date, closed: datetime.date | None = None) -> None:
        Commitment.objects.create(
            member=kenya.member,
            kind="other",
            title="T",
            pledged_on=days_ago(800),
            due_on=due,
            state="fulfilled" if closed else "open",
            closed_on=closed,
            created_by=secretariat,
        )

    pledge(days_ago(30))
    pledge(days_ago(600))
    pledge(days_ago(600), closed=days_ago(100))
    pledge(today() + datetime.timedelta(days=30))
    overdue = signal(compute.for_member(kenya.member), "overdue_commitments")
    assert (overdue.value, overdue.previous) == (2, 2)
    assert overdue.flagged and overdue.source_url.endswith("#commitments")


@pytest.fixture
def without_stats_and_warning(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The network installed without the stats and warning apps."""
    absent = {"amparo.stats", "amparo.warning"}
    installed = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: name not in absent and installed(name))
    with registry_restored():
        registry.unregister("restrictive_laws")
        registry.unregister("unacknowledged_alerts")
        feeds.register_installed()
        yield


@contextlib.contextmanager
def registry_restored() -> Iterator[None]:
    """The providers registered when the apps were ready, as they were, after the block."""
    saved = registry.registered()
    try:
        yield
    finally:
        for signal_id in registry.registered():
            registry.unregister(signal_id)
        for provider in saved.values():
            registry.register(provider)


@pytest.mark.usefixtures("without_stats_and_warning")
def test_the_signals_of_apps_not_installed_are_not_measured_and_never_flag() -> None:
    card = compute.for_member(network_member("KE"))
    for signal_id in ("restrictive_laws", "unacknowledged_alerts"):
        found = signal(card, signal_id)
        assert not found.available and not found.flagged and found.value is None
        assert "not installed" in found.explanation


def test_the_reprisal_reports_behind_the_scorecard_are_linked_for_their_handlers_only(
    client: Client, kenya: Delegation, secretariat: User, steering: User, settings: Any
) -> None:
    from tests.factories import OrganisationFactory, intake_report

    settings.AMPARO_INTAKE_ORGANISATION = OrganisationFactory(short_code="RECV").short_code
    settings.AMPARO_INTAKE_NHRI_REPRISALS_TO = secretariat.memberships.get().organisation.short_code
    submission, _ = intake_report(
        target="nhri", acts=["nhri_smear"], defender_types=["nhri"], country="KE"
    )
    link = f"/intake/{submission.pk}/"
    assert link in sign_in(client, secretariat).get("/network/members/KE/").content.decode()
    steering_view = sign_in(client, steering).get("/network/members/KE/").content.decode()
    assert link not in steering_view
    assert "1 reports of reprisals against the NHRI received" in steering_view


# --- optional apps, through their feeds ---------------------------------------------------------


@pytest.fixture
def stats_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """amparo.stats as installed, with the function the network reads."""
    module = types.ModuleType("amparo.stats.queries")
    monkeypatch.setitem(sys.modules, "amparo.stats", types.ModuleType("amparo.stats"))
    monkeypatch.setitem(sys.modules, "amparo.stats.queries", module)
    installed = apps.is_installed
    monkeypatch.setattr(
        apps, "is_installed", lambda name: name == "amparo.stats" or installed(name)
    )
    with registry_restored():
        registry.unregister("restrictive_laws")
        yield module


def test_an_installed_app_providing_its_function_gives_a_measured_signal(
    stats_app: types.ModuleType,
) -> None:
    asked: list[dict[str, object]] = []

    def restrictive_laws(**kwargs: object) -> dict[str, object]:
        asked.append(kwargs)
        return {
            "KE": {
                "items": [{"recorded_on": days_ago(30), "title": "Foreign agents law"}],
                "url": "/stats/laws/?country=KE",
            }
        }

    stats_app.restrictive_laws = restrictive_laws  # type: ignore[attr-defined]
    feeds.register_installed()
    laws = signal(compute.for_member(network_member("KE")), "restrictive_laws")
    assert laws.available and laws.value == 1 and laws.flagged
    assert laws.source_url == "/stats/laws/?country=KE"
    assert asked == [{"countries": ["KE"], "start": asked[0]["start"], "end": asked[0]["end"]}]
    assert asked[0]["end"] == today() + datetime.timedelta(days=1)


@pytest.mark.parametrize(
    "answer",
    [
        None,
        {"KE": ["not", "a", "mapping"]},
        {"KE": {"items": [{"recorded_on": "yesterday"}]}},
        {"KE": {"items": [], "url": 3}},
        RuntimeError("db down"),
    ],
)
def test_an_app_answering_in_the_wrong_form_leaves_the_signal_not_measured(
    stats_app: types.ModuleType, answer: object
) -> None:
    def restrictive_laws(**kwargs: object) -> object:
        if isinstance(answer, Exception):
            raise answer
        return answer

    stats_app.restrictive_laws = restrictive_laws  # type: ignore[attr-defined]
    feeds.register_installed()
    laws = signal(compute.for_member(network_member("KE")), "restrictive_laws")
    assert not laws.available and not laws.flagged
    assert "amparo.stats.queries.restrictive_laws" in laws.explanation


def test_an_installed_app_without_its_function_is_reported_by_the_system_check(
    stats_app: types.ModuleType,
) -> None:
    warnings = [m for m in rules_files(None) if m.id == "network.W001"]
    assert len(warnings) == 1 and "amparo.stats.queries.restrictive_laws" in warnings[0].msg
    assert (
        "missing"
        in signal(compute.for_member(network_member("KE")), "restrictive_laws").explanation
    )


def test_every_signal_has_a_provider_or_a_feed() -> None:
    for signal_id in rules.signals():
        assert registry.provider(signal_id) is not None or signal_id in feeds.FEED_BY_SIGNAL


# --- one computation, three readers ---------------------------------------------------------------


@pytest.fixture
def scored(secretariat: User) -> Member:
    member = network_member("KE")
    network_member("UG", "proposed")
    network_member("ZW", "ended")
    for days in (5, 50):
        act("KE", "killing", days_ago(days))
    return member


def test_the_command_prints_every_members_signals_and_flag_as_json(scored: Member) -> None:
    out = StringIO()
    call_command("network", "scorecard", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [m["country"] for m in data["members"]] == [
        "KE",
        "UG",
    ]  # an ended membership is not scored
    kenya = data["members"][0]
    assert kenya["flagged"] is True
    killings = next(s for s in kenya["signals"] if s["id"] == "killings")
    assert killings["value"] == 2 and killings["flagged"] and killings["label"]["fr"]
    assert data == {
        "as_of": today().isoformat(),
        "members": [compute.card_data(card) for card in compute.compute()],
    }


def test_the_command_prints_a_readable_table_too(scored: Member) -> None:
    out = StringIO()
    call_command("network", "scorecard", stdout=out)
    text = out.getvalue()
    assert "KE  Kenya" in text and "FLAGGED" in text and "2 killings" in text


def test_the_page_shows_the_figures_the_command_prints(
    scored: Member, secretariat: User, client: Client
) -> None:
    out = StringIO()
    call_command("network", "scorecard", "--json", stdout=out)
    data = json.loads(out.getvalue())
    page = sign_in(client, secretariat).get("/network/scorecard/").content.decode()
    for card in data["members"]:
        for item in card["signals"]:
            cell = f'data-country="{card["country"]}" data-signal="{item["id"]}"'
            assert cell in page
            shown = "—" if item["value"] is None else str(item["value"])
            assert f'{cell} title="' in page
            start = page.index(cell)
            assert shown in page[start : page.index("</td>", start)]


def test_the_command_computes_for_another_day(scored: Member) -> None:
    out = StringIO()
    call_command(
        "network",
        "scorecard",
        "--json",
        "--as-of",
        (today() - datetime.timedelta(days=30)).isoformat(),
        stdout=out,
    )
    kenya = json.loads(out.getvalue())["members"][0]
    assert next(s for s in kenya["signals"] if s["id"] == "killings")["value"] == 1


def test_a_signal_reads_in_the_readers_language_including_its_trend() -> None:
    from django.utils import translation

    member = network_member("KE")
    act("KE", "killing", days_ago(5))
    with translation.override("es"):
        killings = signal(compute.for_member(member), "killings")
        assert killings.label == "Asesinatos de personas defensoras"
        assert killings.trend_label == "en aumento"
        assert "asesinato" in killings.explanation

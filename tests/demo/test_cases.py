"""The demo case world: realistic shape, synthetic people, the same world for the same seed, built
as the services build records (validation, versions, audit entries)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from amparo.cases.models import (
    ChainLink,
    ConsentRecord,
    Event,
    EventVersion,
    Intervention,
    Person,
    ReferenceCounter,
    SharingGrant,
    Source,
)
from amparo.core.models import AuditEntry
from amparo.demo import accounts as demo_accounts
from amparo.demo import cases as demo
from amparo.demo import intake as demo_intake
from amparo.demo import world as demo_world
from amparo.demo.base import DemoError, DemoOptions
from amparo.intake.models import Submission

pytestmark = pytest.mark.django_db

NAMES = Path(demo.__file__).with_name("demo_names.csv")


def world() -> list[tuple[str, str, str]]:
    return sorted(
        Event.objects.values_list("reference_code", "title", "country").order_by("reference_code")
    )


def remove_demo_cases() -> None:
    Event.objects.all().delete()
    Person.objects.all().delete()
    ReferenceCounter.objects.all().delete()


@pytest.fixture
def accounts() -> None:
    demo_accounts.build_accounts()


@pytest.mark.usefixtures("accounts")
def test_the_demo_writes_the_requested_number_of_events_with_everything_around_them() -> None:
    report = demo.build_cases(events=120, seed=11)

    assert report.events == Event.objects.count() == 120
    assert report.acts >= 2 * report.events
    assert Event.objects.values("country").distinct().count() >= 8
    assert Source.objects.exists() and Intervention.objects.exists()
    assert ChainLink.objects.exists() and SharingGrant.objects.exists()
    assert ConsentRecord.objects.filter(withdrawn_at__isnull=False).exists()
    # The versions the services would have written: recorded, then each workflow step.
    steps = {"draft": 1, "submitted": 2, "verified": 3, "closed": 4}
    for event in Event.objects.all():
        assert event.version == steps[event.status] == event.versions.count()
    assert set(EventVersion.objects.values_list("action", flat=True)) == {
        "create",
        "submit",
        "verify",
        "close",
    }
    statuses = set(Event.objects.values_list("status", flat=True))
    assert {"draft", "verified", "closed"} <= statuses
    # Serious events have several sources, and the same institutions report many events.
    assert Source.objects.values("event").annotate(n=Count("pk")).filter(n__gte=2).exists()
    assert (
        Source.objects.values("source_person")
        .annotate(n=Count("event", distinct=True))
        .filter(n__gte=3)
        .exists()
    )


@pytest.mark.usefixtures("accounts")
def test_most_killings_follow_earlier_threats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "HISTORY_UP_TO", 0)  # history is not what this test is about
    report = demo.build_cases(events=600, seed=5)
    assert report.killings >= 3
    assert report.killings_after_threats / report.killings > 0.5


@pytest.mark.usefixtures("accounts")
def test_the_same_seed_gives_the_same_world_and_another_seed_another() -> None:
    demo.build_cases(events=40, seed=3)
    first = world()
    remove_demo_cases()
    demo.build_cases(events=40, seed=3)
    assert world() == first
    remove_demo_cases()
    demo.build_cases(events=40, seed=4)
    assert world() != first


@pytest.mark.usefixtures("accounts")
def test_running_the_demo_again_adds_nothing() -> None:
    demo.build_cases(events=20, seed=1)
    again = demo.build_cases(events=20, seed=1)
    assert again.skipped and Event.objects.count() == 20


@pytest.mark.usefixtures("accounts")
def test_demo_people_are_combinations_of_the_shipped_common_names() -> None:
    with NAMES.open(encoding="utf-8") as handle:
        known = {row["name"] for row in csv.DictReader(handle)}
    demo.build_cases(events=40, seed=9)
    individuals = Person.objects.filter(kind=Person.Kind.INDIVIDUAL)
    for person in individuals:
        words = person.full_name.split()
        assert words[0] in known
        assert all(part in " ".join(known) for part in words[1:])
    contacts = [p.contact for p in individuals if p.contact]
    assert contacts and all(c.endswith("@example.org") for c in contacts)


def test_the_demo_refuses_to_run_outside_demo_mode(settings: Any) -> None:
    settings.DEMO = settings.TESTING = False
    with pytest.raises(DemoError):
        demo.build_cases(events=1)


def test_the_demo_command_builds_accounts_cases_and_intake_reports(settings: Any) -> None:
    settings.AMPARO_INTAKE_ORGANISATION = "NHRC-KE"
    out = io.StringIO()
    call_command("demo", "--events", "15", "--seed", "2", "--quiet-logins", stdout=out)
    assert "Demo cases: 15 events" in out.getvalue()
    assert f"Demo intake: {len(demo_intake.REPORTS)} intake reports" in out.getvalue()
    call_command("demo", "--events", "15", "--quiet-logins", stdout=out)
    assert "exist already" in out.getvalue()


def test_titles_read_as_english() -> None:
    from amparo.demo.cases import KILLING, WARNING, _title

    assert _title(WARNING, "Death threat", "journalist", "Kisumu") == (
        "Death threat against a journalist in Kisumu"
    )
    assert _title(WARNING, "Threat against family members", "environmental defender", "Cauca") == (
        "Threat against family members targeting an environmental defender in Cauca"
    )
    assert _title(KILLING, "Killing", "indigenous leader", "Cauca") == (
        "Killing of an indigenous leader in Cauca"
    )


@pytest.mark.usefixtures("accounts")
def test_each_step_of_history_has_the_audit_entry_the_service_would_have_written() -> None:
    demo.build_cases(events=30, seed=7)
    for version in EventVersion.objects.select_related("event"):
        entry = AuditEntry.objects.filter(
            action=f"event.{version.action}", object_id=str(version.event_id)
        )
        assert entry.count() == 1, (version.event_id, version.action)
    assert AuditEntry.objects.filter(action="event.share").count() == SharingGrant.objects.count()
    assert (
        AuditEntry.objects.filter(action="person.consent_given").count()
        == ConsentRecord.objects.count()
    )


@pytest.mark.usefixtures("accounts")
def test_the_demo_refuses_a_record_the_services_would_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.exceptions import ValidationError

    monkeypatch.setattr(demo, "_first_level_regions", lambda country: ["XX-99"])
    with pytest.raises(ValidationError):
        demo.build_cases(events=5, seed=1)
    assert not Event.objects.exists()


def test_the_world_is_built_in_order_accounts_cases_intake() -> None:
    names = [step.name for step in demo_world.STEPS]
    assert names[:3] == ["accounts", "cases", "intake"]


@pytest.mark.usefixtures("accounts")
def test_the_intake_inbox_has_reports_sent_through_the_channel_once(settings: Any) -> None:
    settings.AMPARO_INTAKE_ORGANISATION = "NHRC-KE"
    made = dict(demo_world.build(DemoOptions(events=5, seed=1)))
    assert made["intake"] == f"{len(demo_intake.REPORTS)} intake reports"
    submissions = list(Submission.objects.all())
    assert len(submissions) == len(demo_intake.REPORTS)
    # As the form would have sent them: content encrypted, routed, danger kept for the inbox.
    assert all(s.recipients.exists() for s in submissions)
    assert {s.danger for s in submissions} >= {"yes", "no"}
    made = dict(demo_world.build(DemoOptions(events=5, seed=1)))
    assert "kept" in made["intake"]
    assert Submission.objects.count() == len(demo_intake.REPORTS)

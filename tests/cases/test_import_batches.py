"""Imports write in short batches, hidden until they publish, and leave nothing when they fail."""

from __future__ import annotations

import datetime
import gc
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amparo.cases import access, services
from amparo.cases.exchange import imports
from amparo.cases.models import Event, EventVersion, ImportJob, Person
from amparo.cases.services import bulk
from amparo.core.models import AuditEntry, Clearance, Role
from amparo.core.services import DomainError
from amparo.core.statement_process import StatementProcess
from tests.cases.exchange import csv_bytes, documentalist, organisation_of
from tests.cases.test_import import ROWS
from tests.factories import EventFactory, member

pytestmark = pytest.mark.django_db


def events(count: int) -> list[dict[str, str]]:
    """`count` events of the test file's rows, each with its own identifiers."""
    return [
        {
            **row,
            "event_id": f"NEW-{n}",
            **({"victim_id": f"{row['victim_id']}-{n}"} if row.get("victim_id") else {}),
        }
        for n in range(count)
        for row in ROWS
    ]


def test_events_being_written_are_hidden_from_everyone_until_the_import_publishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "BATCH_EVENTS", 1)
    user = documentalist()
    organisation = organisation_of(user)
    colleague = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, organisation)
    seen: list[tuple[int, int, int]] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == ImportJob.Status.WRITING:
            seen.append(
                (
                    Event.objects.count(),
                    access.visible_events(colleague).count(),
                    access.visible_persons(colleague).count(),
                )
            )

    result = imports.import_file(
        user, organisation, csv_bytes(events(3)), "cases.csv", progress=progress
    )

    assert result.ok, result.errors
    assert seen == [(1, 0, 0), (2, 0, 0), (3, 0, 0)]
    assert access.visible_events(colleague).count() == 3
    assert not Event.objects.exclude(pending_import=None).exists()


def test_an_import_that_fails_after_writing_its_batches_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A change to a recorded event is made last, with the publication: when it fails, the
    new events already written in batches are deleted."""
    monkeypatch.setattr(bulk, "BATCH_EVENTS", 1)
    user = documentalist()
    organisation = organisation_of(user)
    imports.import_file(user, organisation, csv_bytes(ROWS), "cases.csv")
    before = (
        Event.objects.count(),
        Person.objects.count(),
        EventVersion.objects.count(),
        AuditEntry.objects.count(),
    )
    changed = [{**row, "event_title": "Renamed"} for row in ROWS]

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise DomainError("Someone else changed this event.")

    monkeypatch.setattr(services, "update_event", refuse)
    result = imports.import_file(user, organisation, csv_bytes(changed + events(3)), "cases.csv")

    assert [e.message for e in result.errors] == ["Someone else changed this event."]
    after = (
        Event.objects.count(),
        Person.objects.count(),
        EventVersion.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before
    last = ImportJob.objects.order_by("-pk").first()
    assert last is not None and last.status == ImportJob.Status.FAILED


def test_what_a_killed_import_left_is_deleted_by_the_next_one() -> None:
    user = documentalist()
    organisation = organisation_of(user)
    killed = ImportJob.objects.create(
        organisation=organisation,
        created_by=user,
        status=ImportJob.Status.WRITING,
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1),
    )
    left = EventFactory(organisation=organisation, pending_import=killed)

    imports.import_file(user, organisation, csv_bytes(ROWS), "cases.csv")

    assert not Event.objects.filter(pk=left.pk).exists()
    killed.refresh_from_db()
    assert killed.status == ImportJob.Status.FAILED


def test_the_first_version_of_an_imported_event_is_the_event_as_recorded() -> None:
    user = documentalist()
    imports.import_file(user, organisation_of(user), csv_bytes(events(2)), "cases.csv")

    for event in Event.objects.all():
        first = event.versions.get(number=1)
        assert first.snapshot == services.snapshot(event)
        assert "pending_import_id" not in first.snapshot["event"]
    assert AuditEntry.objects.filter(action="event.create").count() == 2


def test_a_dry_run_writes_no_row_at_all() -> None:
    user = documentalist()
    result = imports.import_file(
        user, organisation_of(user), csv_bytes(events(2)), "cases.csv", dry_run=True
    )
    assert result.ok and result.count("create") == 2
    assert not Event.objects.exists() and not Person.objects.exists()
    assert not ImportJob.objects.exists()


@pytest.mark.usefixtures("command_password")
def test_the_command_shows_its_progress(tmp_path: Any) -> None:
    user = documentalist()
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes(events(2)))
    errors = StringIO()

    call_command(
        "import-cases",
        str(path),
        organisation=organisation_of(user).short_code,
        as_user=user.username,
        stderr=errors,
        stdout=StringIO(),
    )

    lines = errors.getvalue().splitlines()
    assert "Checking the file [" in lines[0] and lines[-1].startswith("Writing [####")
    assert lines[-1].endswith("100% 2/2")


def test_an_import_collects_garbage_seldom_while_it_runs_and_restores_the_collector_after() -> None:
    user = documentalist()
    organisation = organisation_of(user)
    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    during: list[tuple[int, int, int]] = []
    frozen: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        during.append(gc.get_threshold())
        if stage == ImportJob.Status.WRITING:
            frozen.append(gc.get_freeze_count())  # what was built is out of the collector's sight

    with bulk.collecting_seldom():  # another import running in another thread meanwhile
        result = imports.import_file(
            user, organisation, csv_bytes(events(2)), "cases.csv", progress=progress
        )
        assert gc.get_threshold()[0] >= bulk.YOUNG_COLLECTION_THRESHOLD
    assert result.ok, result.errors
    assert during and all(t[0] >= bulk.YOUNG_COLLECTION_THRESHOLD for t in during)
    assert frozen and all(count > frozen_before for count in frozen)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before  # and back in it


def test_an_import_that_fails_still_restores_the_collector() -> None:
    before = gc.get_threshold()
    # Two imports at once, both failing: the last one out restores the defaults.
    with pytest.raises(RuntimeError), bulk.collecting_seldom(), bulk.collecting_seldom():
        raise RuntimeError("the file could not be read")
    assert gc.get_threshold() == before
    with bulk.collecting_seldom():
        assert gc.get_threshold()[0] >= bulk.YOUNG_COLLECTION_THRESHOLD
    assert gc.get_threshold() == before


def test_an_import_that_fails_after_its_records_are_built_unfreezes_them() -> None:
    # Frozen objects are never collected: a failed import must not keep its records for good.
    frozen_before = gc.get_freeze_count()
    with pytest.raises(RuntimeError), bulk.collecting_seldom():
        bulk.built()
        assert gc.get_freeze_count() > frozen_before
        raise RuntimeError("a batch could not be written")
    assert gc.get_freeze_count() == frozen_before
    bulk.built()  # outside an import: the collector is left as it is
    assert gc.get_freeze_count() == frozen_before


def test_writing_a_batch_takes_as_many_queries_for_many_events_as_for_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each act is sealed with its event's data key: the event built with it is at hand, not
    fetched again act by act (it was, 4,000 queries in a 5,000-row import)."""
    user = documentalist()
    organisation = organisation_of(user)
    queries: list[int] = []
    statements = bulk.NewEvents._statements

    def counted(self: bulk.NewEvents, batch: Any, job: ImportJob) -> Any:
        with CaptureQueriesContext(connection) as captured:
            made = statements(self, batch, job)
        queries.append(len(captured))
        return made

    monkeypatch.setattr(bulk.NewEvents, "_statements", counted)
    # The first import of an organisation makes its data keys: the two after are compared.
    for count, prefix in ((1, "FIRST"), (1, "ONE"), (5, "FIVE")):
        rows = [
            {
                key: f"{prefix}-{value}" if key.endswith("_id") else value
                for key, value in row.items()
            }
            for row in events(count)
        ]
        assert imports.import_file(user, organisation, csv_bytes(rows), "cases.csv").ok

    assert queries[1] == queries[2]


# Names the test file gives persons: sealed before they leave the importer.
SECRETS = ("Akinyi Odera", "Inspector Kiprono Mutai", "Radio Sauti ya Jamii")


@pytest.fixture
def writing_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imports of any size write through a process of their own, a batch per event."""
    monkeypatch.setattr(bulk, "BATCH_EVENTS", 1)
    monkeypatch.setattr(bulk, "PROCESS_FROM_EVENTS", 1)


# Last in the module: a transactional test empties the database when it ends.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("writing_process")
def test_a_large_import_hands_its_sealed_batches_to_a_process_that_writes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = documentalist()
    organisation = organisation_of(user)
    colleague = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, organisation)
    sent: list[str] = []
    write = StatementProcess.write

    def recorded(self: StatementProcess, statements: Any) -> None:
        sent.append("".join(str(value) for s in statements for row in s.values for value in row))
        write(self, statements)

    monkeypatch.setattr(StatementProcess, "write", recorded)
    written: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == ImportJob.Status.WRITING:
            written.append(done)
            assert Event.objects.count() == done  # told once the batch is in the database
            assert not access.visible_events(colleague).exists()

    result = imports.import_file(
        user, organisation, csv_bytes(events(3)), "cases.csv", progress=progress
    )

    assert result.ok, result.errors
    assert written == [1, 2, 3] and len(sent) == 3
    # What the process gets is what the database gets: no name, no place, sealed.
    assert "V-1-0" in sent[0]  # an identifier is not confidential
    assert not any(secret in batch for batch in sent for secret in SECRETS)
    assert access.visible_events(colleague).count() == 3
    assert EventVersion.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("writing_process")
def test_a_batch_the_writing_process_cannot_write_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Someone records an event with the reference code the import's third batch was given,
    between its making and its writing: the process's error reaches the import, which deletes
    what it wrote."""
    user = documentalist()
    organisation = organisation_of(user)
    before = Event.objects.count()
    statements = bulk.NewEvents._statements
    batches: list[int] = []

    def clashing(self: bulk.NewEvents, batch: Any, job: ImportJob) -> Any:
        made = statements(self, batch, job)
        batches.append(1)
        if len(batches) == 3:
            EventFactory(organisation=organisation, reference_code=batch[0].event.reference_code)
        return made

    monkeypatch.setattr(bulk.NewEvents, "_statements", clashing)

    result = imports.import_file(user, organisation, csv_bytes(events(4)), "cases.csv")

    assert [e.message for e in result.errors] == [
        "Someone else recorded some of these events meanwhile. Import the file again."
    ]
    assert Event.objects.count() == before + 1  # the other one
    assert not Event.objects.exclude(pending_import=None).exists()
    assert not Person.objects.exclude(pending_import=None).exists()
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("writing_process")
def test_the_writing_process_started_for_a_file_that_fails_its_checks_is_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It starts while the events are checked, to be ready for the first batch."""
    user = documentalist()
    organisation = organisation_of(user)
    started: list[StatementProcess] = []
    start = StatementProcess.__init__

    def recorded(self: StatementProcess, *args: Any) -> None:
        start(self, *args)
        started.append(self)

    monkeypatch.setattr(StatementProcess, "__init__", recorded)
    rows = events(2)
    rows = [
        {**row, "event_title": "x" * 301} if row["event_id"] == "NEW-1" else row for row in rows
    ]

    result = imports.import_file(user, organisation, csv_bytes(rows), "cases.csv")

    assert not result.ok and not Event.objects.exists()
    assert len(started) == 1 and started[0]._process.returncode is not None

"""A large file of new events is checked and sealed by two processes (the importer and a copy of
it, `amparo.core.forked`), and what they write is what one process would have written."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import pytest
from django.db import transaction

from amparo.cases.exchange import imports
from amparo.cases.models import Event, EventVersion, ImportJob, Person
from amparo.cases.services import bulk
from amparo.cases.services.snapshots import snapshot
from amparo.core import custody, forked
from amparo.core.models import AuditEntry, Clearance, DataKey
from tests.cases.exchange import csv_bytes, documentalist, organisation_of
from tests.cases.test_import_batches import events
from tests.factories import EventFactory

# Every test writes through the writing process, and the database is emptied after each.
pytestmark = pytest.mark.django_db(transaction=True)

PERPETRATOR = "Inspector Kiprono Mutai"  # named in every event of `events`, without identifier


@pytest.fixture
def halves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Files of any size in halves, a batch per event; the list gets one item per copy made."""
    monkeypatch.setattr(bulk, "BATCH_EVENTS", 1)
    monkeypatch.setattr(bulk, "PROCESS_FROM_EVENTS", 1)
    monkeypatch.setattr(bulk, "HALVES_FROM_EVENTS", 2)
    made: list[int] = []
    start = forked.Helper.__init__

    def counted(self: forked.Helper, *args: Any) -> None:
        start(self, *args)
        made.append(1)

    monkeypatch.setattr(forked.Helper, "__init__", counted)
    return made


def test_two_processes_write_what_one_would(halves: list[int]) -> None:
    user = documentalist()
    organisation = organisation_of(user)
    data = csv_bytes(events(4))

    result = imports.import_file(user, organisation, data, "cases.csv")

    assert result.ok, result.errors
    assert halves == [1]
    written = list(Event.objects.order_by("pk"))
    # The file's order, in ids and in reference codes, though each half numbered its own.
    assert [e.external_id for e in written] == ["NEW-0", "NEW-1", "NEW-2", "NEW-3"]
    assert [e.reference_code for e in written] == sorted(e.reference_code for e in written)
    assert [(o.external_id, o.reference_code) for o in result.outcomes] == [
        (e.external_id, e.reference_code) for e in written
    ]
    # The perpetrator both halves name is one person, written once.
    assert [p.full_name for p in Person.objects.all()].count(PERPETRATOR) == 1
    assert Person.objects.count() == 4 * 2 + 1
    # Each version keeps what was written, the shared person as the first half wrote them.
    for event in written:
        assert EventVersion.objects.get(event=event, number=1).snapshot == snapshot(event)
    assert AuditEntry.objects.filter(action="event.create").count() == 4
    assert not Event.objects.exclude(pending_import=None).exists()
    # The copy sealed with keys the importer made: every one opens (a key made by each process
    # at once came with a second organisation key, and did not).
    assert all(custody.open_data_key(pk) for pk in DataKey.objects.values_list("pk", flat=True))
    assert {p.full_name for p in Person.objects.filter(external_id="V-1-3")} == {"Akinyi Odera"}

    again = imports.import_file(user, organisation, data, "cases.csv")

    assert [o.action for o in again.outcomes] == ["unchanged"] * 4


def test_a_dry_run_checks_in_halves_and_writes_nothing(halves: list[int]) -> None:
    user = documentalist()

    result = imports.import_file(
        user, organisation_of(user), csv_bytes(events(4)), "cases.csv", dry_run=True
    )

    assert result.ok and halves == [1]
    assert [o.action for o in result.outcomes] == ["create"] * 4
    assert not Event.objects.exists() and not Person.objects.exists()


def test_the_problems_of_both_halves_are_reported_in_the_file_s_order(halves: list[int]) -> None:
    user = documentalist()
    rows = [
        {**row, "event_title": "x" * 301} if row["event_id"] in {"NEW-0", "NEW-3"} else row
        for row in events(4)
    ]

    result = imports.import_file(user, organisation_of(user), csv_bytes(rows), "cases.csv")

    assert halves == [1]
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "event_title"),
        (2 + 3 * len(events(1)), "event_title"),
    ]
    assert not Event.objects.exists() and not Person.objects.exists()
    assert not ImportJob.objects.exists()


def test_a_person_both_halves_name_who_fails_the_checks_is_reported_by_one_process(
    halves: list[int],
) -> None:
    """One process then checks the whole file, as any other: at each event that names them."""
    user = documentalist()
    rows = [
        {**row, "perpetrator_region": "KE-17"} if row.get("perpetrator_name") else row
        for row in events(4)
    ]

    result = imports.import_file(user, organisation_of(user), csv_bytes(rows), "cases.csv")

    assert halves == []
    assert [(e.row, e.column) for e in result.errors] == [
        (2 + n * len(events(1)), "perpetrator_region") for n in range(4)
    ]
    assert not Event.objects.exists()


def test_a_copy_that_fails_while_sealing_leaves_nothing(
    halves: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = documentalist()
    organisation = organisation_of(user)
    batches = bulk.NewEvents.batches

    def failing(self: bulk.NewEvents, job: ImportJob) -> Any:
        made = batches(self, job)
        yield next(made)
        raise OSError("disk on fire")

    monkeypatch.setattr(bulk.NewEvents, "batches", failing)

    with pytest.raises(RuntimeError, match="disk on fire"):
        imports.import_file(user, organisation, csv_bytes(events(6)), "cases.csv")

    assert not Event.objects.exists() and not Person.objects.exists()
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED


def test_a_process_copies_itself_only_with_no_thread_it_would_need_and_no_transaction() -> None:
    assert forked.possible()
    with transaction.atomic():
        assert not forked.possible()
    release = threading.Event()
    other = threading.Thread(target=release.wait, name="amparo-test-other")
    other.start()
    try:
        assert not forked.possible()
        forked.tolerate_thread("amparo-test-other")
        assert forked.possible()
    finally:
        release.set()
        other.join()
        forked._tolerated.discard("amparo-test-other")


def test_a_level_only_the_second_half_uses_is_sealed_with_a_key_the_importer_made(
    halves: list[int],
) -> None:
    """The copy makes no key: the importer makes the keys of both halves and gives them."""
    user = documentalist()
    rows = [
        {**row, "event_confidentiality": "strictly_confidential"}
        if row["event_id"] in {"NEW-2", "NEW-3"}
        else row
        for row in events(4)
    ]

    result = imports.import_file(user, organisation_of(user), csv_bytes(rows), "cases.csv")

    assert result.ok, result.errors
    assert halves == [1]
    event = Event.objects.get(external_id="NEW-3")
    assert event.confidentiality == Clearance.STRICTLY_CONFIDENTIAL
    assert all(custody.open_data_key(pk) for pk in DataKey.objects.values_list("pk", flat=True))


def test_a_copy_of_the_process_refuses_to_make_a_data_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes making keys at once made a second organisation key, and keys nothing opens."""
    monkeypatch.setattr(custody, "_copy_of_a_process", False)
    user = documentalist()

    custody.take_writing_keys({})

    with pytest.raises(RuntimeError, match="original's keys"):
        custody.new_data_key(organisation_of(user), 2, "cases")
    assert not DataKey.objects.exists()


def _killed() -> None:
    """What the kernel's out-of-memory killer does: no message, no cleanup."""
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("moment", ["checking", "sealing"])
def test_a_copy_killed_outright_leaves_nothing(
    halves: list[int], monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    user = documentalist()
    organisation = organisation_of(user)
    importer = os.getpid()
    copies: list[int] = []
    close = forked.Helper.close

    def closing(self: forked.Helper) -> None:
        copies.append(self._pid)
        close(self)

    monkeypatch.setattr(forked.Helper, "close", closing)
    if moment == "checking":
        check = imports._check

        def checking(*args: Any, **kwargs: Any) -> None:
            if os.getpid() != importer:
                _killed()
            check(*args, **kwargs)

        monkeypatch.setattr(imports, "_check", checking)
    else:
        batches = bulk.NewEvents.batches

        def sealing(self: bulk.NewEvents, job: ImportJob) -> Any:
            made = batches(self, job)
            yield next(made)
            _killed()

        monkeypatch.setattr(bulk.NewEvents, "batches", sealing)

    with pytest.raises(RuntimeError, match="helper process stopped"):
        imports.import_file(user, organisation, csv_bytes(events(6)), "cases.csv")

    assert halves == [1]
    assert not Event.objects.exists() and not Person.objects.exists()
    assert not ImportJob.objects.exclude(status=ImportJob.Status.FAILED).exists()
    # The copy was waited for: it is neither running nor left unreaped.
    assert len(copies) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(copies[0], os.WNOHANG)


def test_a_batch_of_the_copy_that_clashes_with_an_event_recorded_meanwhile_leaves_nothing(
    halves: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone records an event with the reference code the copy gave its first event, between
    its sealing and its writing: the writing process refuses the copy's batch, and the import
    deletes what both processes wrote."""
    user = documentalist()
    organisation = organisation_of(user)
    importer = os.getpid()
    statements = bulk.NewEvents._statements

    def clashing(self: bulk.NewEvents, batch: Any, job: ImportJob) -> Any:
        made = statements(self, batch, job)
        if os.getpid() != importer and batch[0].event.external_id == "NEW-3":
            EventFactory(organisation=organisation, reference_code=batch[0].event.reference_code)
        return made

    monkeypatch.setattr(bulk.NewEvents, "_statements", clashing)

    result = imports.import_file(user, organisation, csv_bytes(events(6)), "cases.csv")

    assert halves == [1]
    assert [e.message for e in result.errors] == [
        "Someone else recorded some of these events meanwhile. Import the file again."
    ]
    assert Event.objects.count() == 1  # the other one
    assert not Event.objects.exclude(pending_import=None).exists()
    assert not Person.objects.exclude(pending_import=None).exists()
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED

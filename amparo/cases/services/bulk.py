"""Recording many new events at once: the write path of an import, in one place.

A large import must neither hold the database for minutes (SQLite lets one writer in at a
time: reports arriving through the intake channel, sign-ins, would wait and fail) nor leave half
a file behind. So it goes in three steps:

1. `NewEvents.add` builds each event aggregate in memory and checks it as `create_event` does,
   with the same functions (`new_event`, `build_act`, `build_involvement`,
   `PersonWriter.build_new`), but writes nothing and so holds no lock. The import reports the
   problems of every event before anything is written.
2. `NewEvents.write` inserts them in batches (events with their acts, involvements, new persons,
   terms and first versions), each batch one short transaction. Every event and new person is
   marked with the import's job (`pending_import`), which hides it from everyone
   (`access.PUBLISHED`), so a batch written is not yet a half-import anyone can see. The ids of
   all rows are reserved first, so that each batch is sealed and made ready outside any
   transaction (`bulk_insert.prepare`): the transaction only runs its INSERTs, and a report or a
   sign-in waiting for the database (SQLite lets one writer in at a time) gets it while the
   next batch is made.
   With a helper (`Elsewhere`: a copy of the importer that checked and sealed the second half
   of the file), one of its batches goes to the writing process after each of ours.
3. `publish` unmarks them, one UPDATE per table, in the short transaction in which the import
   also makes its other changes (existing events and persons, through their services) and
   records its audit entry; if anything fails before, `discard` deletes the marked rows, in
   batches. All or nothing, with short transactions only.

Why marked rows rather than a staging table: publishing from a staging table copies every row
in the last transaction, which for a large file holds the database for seconds again; clearing
a marker touches one column. The cost is one condition in the access queries.

The event's own audit entries (`event.create`, one per event, as `create_event` writes) are
appended after publication, in batches (`record_creations`); the import's entry, written with
the publication, names the job whose events they are.
"""

from __future__ import annotations

import datetime
import gc
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access
from amparo.cases.models import (
    Act,
    Event,
    EventVersion,
    ImportJob,
    Involvement,
    Person,
    VersionAction,
)
from amparo.cases.services.acts import build_act, build_involvement
from amparo.cases.services.events import creation_changes, new_event
from amparo.cases.services.inputs import EventInput, PersonInput
from amparo.cases.services.persons import PersonWriter, input_differs
from amparo.cases.services.references import allocate_reference_codes, claim_reference_codes
from amparo.cases.services.snapshots import Aggregate, snapshot_diff, snapshot_of
from amparo.core import audit, custody, instances
from amparo.core.audit_actions import AuditAction
from amparo.core.bulk_insert import Statement, number, prepare, prepare_values
from amparo.core.keychain import Scope
from amparo.core.models import Organisation, Term, User
from amparo.core.statement_process import StatementProcess, pickled

# Events per write transaction: on a laptop a few hundredths of a second of writing.
BATCH_EVENTS = 200
# Reference codes allocated or checked a query at a time (SQLite takes 32,766 values a query).
CODES_PER_QUERY = 1000
# From this many events, batches are written by a process of their own (`_BatchWriter`): a
# new interpreter setting Django up takes one to three seconds to start (while the events are
# checked), which a few batches would not repay.
PROCESS_FROM_EVENTS = BATCH_EVENTS * 10
# From this many events, a file of new events about new persons is checked and sealed half by
# this process and half by a copy of it (`amparo.core.forked`), on the other core.
HALVES_FROM_EVENTS = BATCH_EVENTS * 20
DELETE_BATCH = 500
# An import writes a batch every fraction of a second: one silent this long was killed.
ABANDONED_AFTER = datetime.timedelta(minutes=10)

# While an import runs, Python's garbage collector looks at its young objects after this many
# allocations, not 700: see `collecting_seldom`.
YOUNG_COLLECTION_THRESHOLD = 20_000

Progress = Callable[[int, int], None]

_collection_lock = threading.Lock()
_collecting_seldom = 0
_default_thresholds: tuple[int, int, int] = gc.get_threshold()
_frozen = False  # whether `built` moved objects out of the collector's sight


@contextmanager
def collecting_seldom() -> Iterator[None]:
    """Run an import with fewer garbage collections. It keeps hundreds of thousands of objects
    alive (the file's rows, the records built from them) while it makes many more, and at the
    default thresholds the collector scans them again and again: a tenth of an import's time.
    Nothing is left uncollected: the collections are fewer and larger. Imports in other threads
    share the setting; the last one to end restores the defaults."""
    global _collecting_seldom, _default_thresholds, _frozen
    with _collection_lock:
        if _collecting_seldom == 0:
            _default_thresholds = gc.get_threshold()
            young, *older = _default_thresholds
            gc.set_threshold(max(young, YOUNG_COLLECTION_THRESHOLD), *older)
        _collecting_seldom += 1
    try:
        yield
    finally:
        with _collection_lock:
            _collecting_seldom -= 1
            if _collecting_seldom == 0:
                gc.set_threshold(*_default_thresholds)
                if _frozen:
                    gc.unfreeze()
                    _frozen = False


def built() -> None:
    """Within `collecting_seldom`: the import's records are built (its file read, its events
    checked) and stay alive until it ends, so the collector stops looking at the objects alive
    now (`gc.freeze`) until the last import ends. At 100,000 rows it looked at them all four
    times while the batches were written, 0.8 s each. What becomes garbage meanwhile without a
    reference cycle is freed at once, as always; a cycle waits for the end."""
    global _frozen
    with _collection_lock:
        if _collecting_seldom > 0:
            gc.freeze()
            _frozen = True


@dataclass(eq=False)
class NewEvent:
    """One event to create, built and checked, with what hangs from it."""

    handle: Any  # the caller's (the import's row)
    event: Event
    reference_code: str = ""  # an imported code to keep, else one is allocated
    acts: list[tuple[Act, list[Term]]] = field(default_factory=list)
    involvements: list[Involvement] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)  # every person it involves
    new_persons: list[Person] = field(default_factory=list)  # those first made here


@dataclass(frozen=True)
class Created:
    """An event an import wrote, by this process or by its helper (`Elsewhere`)."""

    handle: Any
    event: Event
    acts: int


class Elsewhere(Protocol):
    """The batches of the same import that another process (the import's helper) seals: it
    makes them once told the job and the persons both share as numbered and sealed here
    (`start`, with `shared_values`), and `write` passes them on to the writing process between
    its own."""

    @property
    def events(self) -> int:
        """How many events its batches hold in all."""

    def start(self, job: ImportJob, shared: Sequence[tuple[Any, ...]]) -> None: ...

    def next_batch(self) -> tuple[bytes, int] | None:
        """Its next batch (pickled statements) and how many events it holds; None after the
        last."""

    def created(self) -> list[Created]:
        """What it wrote, once its batches are all passed on."""


class NewEvents:
    """New events of one organisation, built in memory and then written in batches."""

    def __init__(self, actor: User, organisation: Organisation) -> None:
        self.actor = actor
        self.organisation = organisation
        self.viewer = access.Viewer.of(actor)
        self.persons = PersonWriter(actor, organisation, access.PersonPresenter(actor, self.viewer))
        self.events: list[NewEvent] = []
        self._made: dict[int, Person] = {}  # new persons by id() of their input
        self._types: dict[int, list[Term]] = {}  # their defender types, by id() of the person
        # Existing persons whose details the new events change: changed on publication.
        self.person_changes: dict[int, tuple[Person, PersonInput]] = {}
        # New persons built before the events, for events sealed by two processes: written
        # first, by this one (`share_person`).
        self.shared: list[Person] = []
        self.elsewhere: list[Created] = []  # what the helper wrote
        self._process: StatementProcess | None = None

    def expect(self, count: int) -> None:
        """Say how many events are about to be added, before they are checked: a large import
        starts its writing process now (`_BatchWriter`), so that it is ready when the first
        batch is. `close` ends it, whatever happens."""
        if count >= PROCESS_FROM_EVENTS and not transaction.get_connection().in_atomic_block:
            self._process = StatementProcess()

    def writes_elsewhere(self) -> bool:
        """Whether a process of its own writes the batches (`expect`)."""
        return self._process is not None

    def close(self) -> None:
        """End the writing process, if any (its batches written, or abandoned on a failure)."""
        if self._process is not None:
            process, self._process = self._process, None
            process.close()

    def add(self, data: EventInput, handle: Any) -> NewEvent:
        """Build and check the event: raises what `create_event` raises, keyed the same way."""
        if data.sources:
            raise ValueError("NewEvents takes no sources; add them with add_source.")
        event = new_event(self.actor, self.organisation, data, self.viewer, check_links=False)
        built = NewEvent(handle=handle, event=event, reference_code=data.reference_code.strip())
        for index, act_data in enumerate(data.acts):
            key = f"acts.{index}"
            victim = self._person(act_data.victim, f"{key}.victim", built)
            act = build_act(
                instances.new(Act, event=event), act_data, victim, key, check_links=False
            )
            built.acts.append((act, list(act_data.consequences)))
            for position, item in enumerate(act_data.involvements):
                item_key = f"{key}.involvements.{position}"
                perpetrator = (
                    None
                    if item.perpetrator is None
                    else self._person(item.perpetrator, f"{item_key}.perpetrator", built)
                )
                built.involvements.append(
                    build_involvement(
                        instances.new(Involvement, act=act),
                        item,
                        perpetrator,
                        item_key,
                        check_links=False,
                    )
                )
        self.events.append(built)
        return built

    def share_person(self, data: PersonInput, key: str) -> None:
        """Build and check now a new person whom events in both halves of the file name (see
        `HALVES_FROM_EVENTS`): each half's events then take them as made, and the person is
        written once, before either half's batches. Raises what `add` would for them."""
        person = self.persons.build_new(data, key, check_links=False)
        self._made[id(data)] = person
        self._types[id(person)] = list(data.defender_types)
        self.shared.append(person)

    def forget_shared(self) -> None:
        """Undo `share_person` for all: the file is then checked in one process."""
        for person in self.shared:
            self._types.pop(id(person), None)
        self._made = {key: p for key, p in self._made.items() if p not in self.shared}
        self.shared = []

    def take_shared(self, values: Sequence[tuple[Any, ...]]) -> None:
        """The shared persons as the other process numbered and sealed them (`shared_values`):
        their versions here must keep what was written."""
        names = _concrete_names(Person)
        for person, row in zip(self.shared, values, strict=True):
            for name, value in zip(names, row, strict=True):
                setattr(person, name, value)

    def key_scopes(self) -> set[Scope]:
        """The scopes of the writing keys the events and new persons will be sealed with (their
        versions' are among them: an event's level, or one of its persons')."""
        return custody.scopes_for(
            [
                *self.shared,
                *(item.event for item in self.events),
                *(person for item in self.events for person in item.new_persons),
            ]
        )

    def shared_values(self) -> list[tuple[Any, ...]]:
        read = instances.reader(_concrete_names(Person))
        return [read(person) for person in self.shared]

    def _person(self, data: PersonInput, key: str, built: NewEvent) -> Person:
        person = data.person
        if person is not None:
            if person.organisation_id != self.organisation.pk:
                raise ValidationError({key: _("This person belongs to another organisation.")})
            if input_differs(data, person):
                known = self.person_changes.get(person.pk)
                if known is not None and known[1] is not data:
                    raise ValidationError(
                        {key: _("This person appears twice in the input with different details.")}
                    )
                self.person_changes[person.pk] = (person, data)
        else:
            person = self._made.get(id(data))
            if person is None:
                person = self.persons.build_new(data, key, check_links=False)
                self._made[id(data)] = person
                self._types[id(person)] = list(data.defender_types)
                built.new_persons.append(person)
        if person not in built.persons:
            built.persons.append(person)
        return person

    # --- writing ---------------------------------------------------------------------------

    def write(
        self, job: ImportJob, progress: Progress | None = None, elsewhere: Elsewhere | None = None
    ) -> None:
        """Insert every event in batches, each in its own transaction, marked with `job`; with
        `elsewhere`, its batches too, one after each of ours.

        Every row's id is reserved first, so that each batch is made (its values sealed,
        its first versions built: most of the work) outside any transaction; a batch's
        transaction only runs its statements. A report or a sign-in waiting for the database
        gets it while the next batch is made; outside a transaction, another process runs them
        (`_BatchWriter`) while this one seals the next batch."""
        total = len(self.events) + (0 if elsewhere is None else elsewhere.events)
        process, self._process = self._process, None  # the writer ends it
        with _BatchWriter(job, total, progress, process) as writer:
            batches = self._sealed_batches(job)
            if self.shared:
                writer.write(self._persons_statements(self.shared, job), 0)
            if elsewhere is not None:
                elsewhere.start(job, self.shared_values())
            for statements, events in batches:
                writer.write(statements, events)
                if elsewhere is not None and (made := elsewhere.next_batch()) is not None:
                    writer.write_pickled(*made)
            while elsewhere is not None and (made := elsewhere.next_batch()) is not None:
                writer.write_pickled(*made)
        if elsewhere is not None:
            self.elsewhere = elsewhere.created()

    def batches(self, job: ImportJob) -> Iterator[tuple[bytes, int]]:
        """`write`'s batches, pickled for another process to pass on (`Elsewhere`), each with
        its number of events: this process is the helper."""
        for statements, events in self._sealed_batches(job):
            yield pickled(statements), events

    def _sealed_batches(self, job: ImportJob) -> Iterator[tuple[list[Statement], int]]:
        """Each batch's statements, sealed as it is asked for, with its number of events. Every
        row (the shared persons' too) is numbered now, before any is sealed."""
        built()
        self._number()
        batches = [
            self.events[start : start + BATCH_EVENTS]
            for start in range(0, len(self.events), BATCH_EVENTS)
        ]
        return ((self._statements(batch, job), len(batch)) for batch in batches)

    def created(self) -> list[Created]:
        """Every event written, this process's and its helper's, in the file's order."""
        own = [Created(item.handle, item.event, len(item.acts)) for item in self.events]
        return own + self.elsewhere

    def _number(self) -> None:
        """Ids and reference codes for every row the import writes, reserved at once."""
        number([person for person in self.shared if person.pk is None])  # a helper's have ids
        number([person for item in self.events for person in item.new_persons])
        number([item.event for item in self.events])
        number([act for item in self.events for act, _terms in item.acts])
        number([i for item in self.events for i in item.involvements])
        claimed = [item for item in self.events if item.reference_code]
        unclaimed = [item for item in self.events if not item.reference_code]
        with transaction.atomic():
            for start in range(0, len(claimed), CODES_PER_QUERY):
                some = claimed[start : start + CODES_PER_QUERY]
                codes = claim_reference_codes(self.organisation, [i.reference_code for i in some])
                for item, code in zip(some, codes, strict=True):
                    item.event.reference_code = code
            for start in range(0, len(unclaimed), CODES_PER_QUERY):
                some = unclaimed[start : start + CODES_PER_QUERY]
                codes = allocate_reference_codes(self.organisation, len(some))
                for item, code in zip(some, codes, strict=True):
                    item.event.reference_code = code

    def _persons_statements(self, persons: Sequence[Person], job: ImportJob) -> list[Statement]:
        for person in persons:
            person.pending_import = job
        return [
            prepare(persons),
            prepare_values(
                Person.defender_types.through,
                [
                    {"person_id": person.pk, "term_id": term.pk}
                    for person in persons
                    for term in self._types[id(person)]
                ],
            ),
        ]

    def _statements(self, batch: Sequence[NewEvent], job: ImportJob) -> list[Statement]:
        """The INSERTs of a batch (events with their acts, involvements, new persons, terms
        and first versions), every value sealed."""
        statements = self._persons_statements(
            [person for item in batch for person in item.new_persons], job
        )
        for item in batch:
            item.event.pending_import = job
            item.event.version = 1
        statements.append(prepare([item.event for item in batch]))
        # The related objects are set again, not their ids: setting an id clears the cached
        # object, and sealing (each act takes its event's data key) would fetch it row by row.
        acts = []
        for item in batch:
            for act, _terms in item.acts:
                act.event = item.event
                act.victim = act.victim
                acts.append(act)
        statements.append(prepare(acts))
        statements.append(
            prepare_values(
                Act.consequences.through,
                [
                    {"act_id": act.pk, "term_id": term.pk}
                    for item in batch
                    for act, terms in item.acts
                    for term in terms
                ],
            )
        )
        involvements = [i for item in batch for i in item.involvements]
        for involvement in involvements:
            involvement.act = involvement.act
            involvement.perpetrator = involvement.perpetrator
        statements.append(prepare(involvements))
        moment = timezone.now()
        statements.append(prepare([self._first_version(item, job, moment) for item in batch]))
        return statements

    def _first_version(
        self, item: NewEvent, job: ImportJob, moment: datetime.datetime
    ) -> EventVersion:
        """Version 1, as `create_event` makes it: the aggregate as written."""
        types = self._person_types(item.persons)
        after = snapshot_of(
            Aggregate(
                event=item.event,
                acts=[act for act, _terms in item.acts],
                involvements=item.involvements,
                persons=item.persons,
                consequences={act.pk: [t.pk for t in terms] for act, terms in item.acts},
                defender_types=types,
            )
        )
        return EventVersion(
            event_id=item.event.pk,
            number=1,
            action=VersionAction.CREATE.value,
            actor_id=self.actor.pk,
            created_at=moment,
            snapshot=after,
            changes={**snapshot_diff(None, after), "import": job.pk},
        )

    def _person_types(self, persons: Sequence[Person]) -> dict[int, list[int]]:
        types: dict[int, list[int]] = {}
        existing = [p.pk for p in persons if id(p) not in self._types]
        if existing:
            for person_id, term_id in Person.defender_types.through.objects.filter(
                person_id__in=existing
            ).values_list("person_id", "term_id"):
                types.setdefault(person_id, []).append(term_id)
        for person in persons:
            if id(person) in self._types:
                types[person.pk] = [t.pk for t in self._types[id(person)]]
        return types

    def record_creations(self) -> None:
        """One `event.create` audit entry per event, as `create_event` writes, in batches."""
        created = self.created()
        for start in range(0, len(created), BATCH_EVENTS * 5):
            audit.record_many(
                [
                    audit.Record(
                        self.actor,
                        AuditAction.EVENT_CREATE,
                        item.event,
                        changes=creation_changes(item.event, acts=item.acts, sources=0),
                    )
                    for item in created[start : start + BATCH_EVENTS * 5]
                ]
            )


def _concrete_names(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


class _BatchWriter:
    """Runs each batch's statements in its own transaction, and says how far the job got.

    A large import hands them to a process of its own (`StatementProcess`, started by
    `NewEvents.expect`), so that the next batch is sealed meanwhile on the other core (a thread
    would wait for Python's lock after every row it inserts). Inside the caller's transaction,
    which another connection could not see into, and for a few batches, which would not repay
    starting it, they are run here."""

    def __init__(
        self,
        job: ImportJob,
        total: int,
        progress: Progress | None,
        process: StatementProcess | None,
    ) -> None:
        self.job = job
        self.total = total
        self.progress = progress
        self.done = 0
        self._sent = 0  # events handed to the process, not yet written
        self._process = process

    def __enter__(self) -> _BatchWriter:
        return self

    def write_pickled(self, batch: bytes, events: int) -> None:
        """`write` for a batch another process made (`NewEvents.batches`)."""
        assert self._process is not None
        self._wait()
        self._process.write_pickled(batch)
        self._sent = events

    def write(self, statements: Sequence[Statement], events: int) -> None:
        if self._process is None:
            with transaction.atomic():
                for statement in statements:
                    statement.run()
            self._written(events)
            return
        self._wait()
        self._process.write(statements)
        self._sent = events

    def __exit__(self, *exc_info: object) -> None:
        if self._process is None:
            return
        try:
            if exc_info[0] is None:
                self._wait()
        finally:
            # Its rows are deleted with the job's when this failed: it ends first.
            self._process.close()

    def _wait(self) -> None:
        if self._process is not None and self._process.written():
            events, self._sent = self._sent, 0
            self._written(events)

    def _written(self, events: int) -> None:
        self.done += events
        ImportJob.objects.filter(pk=self.job.pk).update(
            done=models.F("done") + events, heartbeat_at=timezone.now()
        )
        if self.progress is not None:
            self.progress(self.done, self.total)


def queue(
    actor: User, organisation: Organisation, kind: str, filename: str, upload: str
) -> ImportJob:
    """A job to import the stashed file `upload` (the task worker runs it)."""
    return ImportJob.objects.create(
        organisation=organisation,
        created_by=actor,
        kind=kind,
        filename=filename[:200],
        upload=upload,
    )


def progress(job: ImportJob, status: str, done: int, total: int) -> None:
    """How far the job got, for its page (one short UPDATE)."""
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, done=done, total=total, heartbeat_at=timezone.now()
    )


def failed(job: ImportJob, errors: Sequence[Mapping[str, Any]]) -> None:
    """Delete what the job wrote, if anything, and keep why it failed."""
    fail(job)
    job.errors = list(errors)
    job.save(update_fields=["errors"])


def start(
    actor: User, organisation: Organisation, job: ImportJob | None, *, rows: int, events: int
) -> ImportJob:
    """The job (made now if the caller has none) about to write `events` new events; first,
    what killed imports left behind is deleted."""
    discard_abandoned()
    if job is None:
        job = ImportJob.objects.create(organisation=organisation, created_by=actor, rows=rows)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.WRITING, done=0, total=events, heartbeat_at=timezone.now()
    )
    return job


def publish(job: ImportJob, created: int, updated: int, unchanged: int) -> None:
    """Make everything `job` wrote visible at once, and record the import (in the caller's
    transaction, which also holds the import's changes to recorded events)."""
    Event.objects.filter(pending_import=job).update(pending_import=None)
    Person.objects.filter(pending_import=job).update(pending_import=None)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.PUBLISHED,
        created=created,
        updated=updated,
        unchanged=unchanged,
        finished_at=timezone.now(),
    )
    audit.record(
        job.created_by,
        AuditAction.CASES_IMPORT,
        None,
        organisation=job.organisation,
        changes={
            "job": job.pk,
            "rows": job.rows,
            "created": created,
            "updated": updated,
            "unchanged": unchanged,
        },
    )


def fail(job: ImportJob) -> None:
    """Delete what `job` wrote, and say it failed."""
    discard(job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, finished_at=timezone.now()
    )


def discard_abandoned() -> None:
    """Delete what imports left behind when their process was killed (their heartbeat stopped
    while they were writing), and say they failed."""
    moment = timezone.now() - ABANDONED_AFTER
    in_progress = [ImportJob.Status.CHECKING, ImportJob.Status.WRITING]
    for job in ImportJob.objects.filter(status__in=in_progress, heartbeat_at__lt=moment):
        fail(job)


def discard(job: ImportJob) -> None:
    """Delete what `job` wrote and did not publish, in short transactions."""
    for model in (Event, Person):
        pending = model.objects.filter(pending_import=job).order_by("pk")
        while ids := list(pending.values_list("pk", flat=True)[:DELETE_BATCH]):
            with transaction.atomic():
                model.objects.filter(pk__in=ids).delete()

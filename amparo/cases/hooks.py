"""What other apps learn when case records change, without cases knowing who listens.

Every change to an event's aggregate (the event, its acts, involvements, persons, sources) ends
in a new version (`services.changes.new_version`), and that is where `events_changed` is called,
inside the change's transaction; the bulk paths that write without versions one by one (the demo
world) call it themselves with every event they wrote. An app that keeps something derived from
case records (the statistics facts) registers a callback in its `AppConfig.ready`:

    hooks.on_events_changed(refresh_facts)      # called with the ids of the changed events

A callback runs in the same transaction as the change, so what it writes commits or rolls back
with it; an event id whose event no longer exists (deleted, or its savepoint rolled back) means
"nothing of this event any more". Within `batched()`, calls are gathered and each callback runs
once, when the outermost batch ends, with every id (an import of thousands of events).

A callback whose work is mostly reading (the facts) may register a preparation as well
(`on_events_changed_prepared`). A bulk writer whose events nobody else can change meanwhile (an
import's new events, hidden until published) calls `prepare(ids)` before its last transaction
and passes the result to `events_changed`: the callback then only writes what was prepared, and
the transaction that publishes a large import holds the database for a moment, not for seconds.

Cases imports nothing of the apps that listen: the dependency points from them to here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

EventsChanged = Callable[[frozenset[int]], None]
ConsentWithdrawn = Callable[[frozenset[int]], None]
# prepare(ids) -> what apply needs; apply(ids, [what prepare gave for some of them, ...])
Prepare = Callable[[frozenset[int]], Any]
ApplyPrepared = Callable[[frozenset[int], Sequence[Any]], None]

_callbacks: list[EventsChanged] = []
_prepared_callbacks: list[tuple[Prepare, ApplyPrepared]] = []
_consent_callbacks: list[ConsentWithdrawn] = []
_state = threading.local()


@dataclass(frozen=True)
class Prepared:
    """What the callbacks with a preparation worked out ahead for some events, by callback."""

    results: dict[ApplyPrepared, Any] = field(default_factory=dict)


def on_events_changed(callback: EventsChanged) -> None:
    """Register `callback` (once; registering it again does nothing)."""
    if callback not in _callbacks:
        _callbacks.append(callback)


def on_events_changed_prepared(prepare: Prepare, apply: ApplyPrepared) -> None:
    """Register a callback in two parts (once): `prepare(ids)`, run by a bulk writer outside its
    transaction, and `apply(ids, prepared)`, called as `on_events_changed` callbacks are, with
    what `prepare` gave for some of the ids (an empty list when nothing was prepared)."""
    if (prepare, apply) not in _prepared_callbacks:
        _prepared_callbacks.append((prepare, apply))


def prepare(event_ids: Iterable[int]) -> Prepared:
    """The preparations for these events, made now: call it only for events that nothing but
    the caller will change before it reports them with `events_changed(ids, prepared)`."""
    ids = frozenset(int(pk) for pk in event_ids)
    if not ids:
        return Prepared()
    return Prepared({apply: make(ids) for make, apply in _prepared_callbacks})


def events_changed(event_ids: Iterable[int], prepared: Prepared | None = None) -> None:
    """Tell every registered callback that these events changed (now, or at the batch's end)."""
    ids = frozenset(int(pk) for pk in event_ids)
    if not ids:
        return
    pending: set[int] | None = getattr(_state, "pending", None)
    if pending is not None:
        pending.update(ids)
        if prepared is not None:
            _state.prepared.append(prepared)
        return
    _call(ids, [] if prepared is None else [prepared])


def _call(ids: frozenset[int], prepared: list[Prepared]) -> None:
    for callback in list(_callbacks):
        callback(ids)
    for _make, apply in list(_prepared_callbacks):
        apply(ids, [p.results[apply] for p in prepared if apply in p.results])


def on_consent_withdrawn(callback: ConsentWithdrawn) -> None:
    """Register `callback` (once), called with the ids of persons whose consent was withdrawn,
    in the withdrawal's transaction: what was disclosed under it (a publication) is undone with
    it or not at all."""
    if callback not in _consent_callbacks:
        _consent_callbacks.append(callback)


def consent_withdrawn(person_ids: Iterable[int]) -> None:
    ids = frozenset(int(pk) for pk in person_ids)
    if ids:
        for callback in list(_consent_callbacks):
            callback(ids)


@contextmanager
def batched() -> Iterator[None]:
    """Gather the changes made inside and report them once, when the outermost batch ends
    without an error and its transaction is not marked to roll back (a dry run, an import with
    problems): then nothing changed, and the callbacks could not write anyway."""
    if getattr(_state, "pending", None) is not None:
        yield
        return
    _state.pending = set()
    _state.prepared = []
    try:
        yield
        ids = frozenset(_state.pending)
        prepared: list[Prepared] = list(_state.prepared)
    finally:
        _state.pending = None
        _state.prepared = []
    connection = transaction.get_connection()
    if connection.in_atomic_block and transaction.get_rollback():
        return  # the whole transaction is being undone: nothing changed after all
    if ids:
        _call(ids, prepared)

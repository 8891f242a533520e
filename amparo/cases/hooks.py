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

Cases imports nothing of the apps that listen: the dependency points from them to here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.db import transaction

EventsChanged = Callable[[frozenset[int]], None]
ConsentWithdrawn = Callable[[frozenset[int]], None]

_callbacks: list[EventsChanged] = []
_consent_callbacks: list[ConsentWithdrawn] = []
_state = threading.local()


def on_events_changed(callback: EventsChanged) -> None:
    """Register `callback` (once; registering it again does nothing)."""
    if callback not in _callbacks:
        _callbacks.append(callback)


def events_changed(event_ids: Iterable[int]) -> None:
    """Tell every registered callback that these events changed (now, or at the batch's end)."""
    ids = frozenset(int(pk) for pk in event_ids)
    if not ids:
        return
    pending: set[int] | None = getattr(_state, "pending", None)
    if pending is not None:
        pending.update(ids)
        return
    for callback in list(_callbacks):
        callback(ids)


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
    try:
        yield
        ids = frozenset(_state.pending)
    finally:
        _state.pending = None
    connection = transaction.get_connection()
    if connection.in_atomic_block and transaction.get_rollback():
        return  # the whole transaction is being undone: nothing changed after all
    events_changed(ids)

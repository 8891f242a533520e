"""Early warning inside Amparo (the Django side; the engine alone is tests/bench/escalation.py at
100,000 persons and 1,000,000 acts): on the demo world of AMPARO_BENCH_WARNING_EVENTS events
(default 2,000), the nightly `amparo warning evaluate` (signals read from the case records, every
rule and every person's risk, assessments and alerts stored: time and peak Python memory), the
incremental evaluation of one person that the worker runs after a change (p50/p95), and what
recording an act pays for it: the hook that queues that evaluation in the database task queue
(p50/p95; target under 20 ms at p95). Then recording one act for real (`cases.services.add_act`
as the event page calls it, the task queue in the database), with the warning app's hook and
without it, interleaved: the p50/p95 of each and what the hook adds.

At 1,000,000 acts the demo world cannot be built in the Django database in minutes on a small
machine: the nightly evaluation at 100,000 persons and 1,000,000 acts is measured on the engine
(`escalation`, its "scale" part); here, set AMPARO_BENCH_WARNING_EVENTS to the largest world the
machine builds in a few minutes."""

from __future__ import annotations

import datetime
import os
import statistics
import time
import tracemalloc
from typing import Any

from tests.bench import Figures, benchmark


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


RECORDINGS = int(os.environ.get("AMPARO_BENCH_WARNING_RECORDINGS", "150"))
ACTS_PER_EVENT = 10


def _recording(callback: Any, day: datetime.date) -> tuple[list[float], list[float]]:
    """Seconds to record one act through the cases service, with the warning app's hook
    (`callback`) registered and without it, interleaved so that both see the same database; a new
    draft event every ACTS_PER_EVENT acts, so that the event's size stays that of a real one."""
    from django.test import override_settings

    from amparo.cases import hooks
    from amparo.cases import services as cases
    from amparo.cases.models import DatePrecision, Person
    from amparo.core.models import Term, User

    actor = User.objects.get(username="nhri.documentalist")
    organisation = actor.memberships.get().organisation
    victim = Person.objects.filter(organisation=organisation).order_by("pk").first()
    assert victim is not None
    threat = Term.objects.get(thesaurus__code="hrd_violations", code="threat")
    timed: dict[bool, list[float]] = {True: [], False: []}
    event = None
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        for number in range(2 * RECORDINGS):
            if number % (2 * ACTS_PER_EVENT) == 0:
                event = cases.create_event(
                    actor,
                    organisation,
                    cases.EventInput(title="Bench recording", country="KE", start_date=day),
                )
            assert event is not None
            warned = number % 2 == 0
            if not warned:
                hooks._callbacks.remove(callback)
            try:
                started = time.perf_counter()
                cases.add_act(
                    actor,
                    event,
                    cases.ActInput(
                        victim=cases.PersonInput.existing(victim),
                        type_of_act=threat,
                        date=day,
                        date_precision=DatePrecision.DAY,
                        country="KE",
                    ),
                )
                timed[warned].append(time.perf_counter() - started)
            finally:
                if not warned:
                    hooks.on_events_changed(callback)
    return timed[True], timed[False]


@benchmark("warning")
def warning() -> Figures:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django_tasks import task_backends

    from amparo.cases.models import Act, Person
    from amparo.core import vocabulary
    from amparo.demo import accounts
    from amparo.demo import cases as demo
    from amparo.warning import tasks
    from amparo.warning.models import Alert, RiskAssessment
    from amparo.warning.services import evaluation
    from tests.bench.cases import _clear_cases

    events = int(os.environ.get("AMPARO_BENCH_WARNING_EVENTS", "2000"))
    call_command("migrate", verbosity=0)
    _clear_cases()
    Alert.objects.all().delete()
    RiskAssessment.objects.all().delete()
    if not vocabulary.thesauri_with_counts():
        vocabulary.load()
    accounts.build_accounts()
    demo.build_cases(events=events, seed=2026)
    acts, persons = Act.objects.count(), Person.objects.count()

    started = time.perf_counter()
    nightly = evaluation.evaluate_all(today=demo.ANCHOR, escalate=False)
    nightly_seconds = time.perf_counter() - started
    Alert.objects.all().delete()
    RiskAssessment.objects.all().delete()
    tracemalloc.start()
    evaluation.evaluate_all(today=demo.ANCHOR, escalate=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    victims = list(Act.objects.values_list("victim_id", flat=True).distinct()[:60])
    incremental = []
    for victim in victims:
        started = time.perf_counter()
        evaluation.evaluate([victim], today=demo.ANCHOR)
        incremental.append(time.perf_counter() - started)

    # What a recording request pays: the hook, then (on commit) the insert into the task queue.
    settings.TASKS = {
        **settings.TASKS,
        "queue": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    }
    # Read TASKS again: the handler keeps the settings it read first.
    task_backends._settings = None  # type: ignore[attr-defined]
    task_backends.__dict__.pop("settings", None)
    queued = tasks.evaluate_events.using(backend="queue")
    hook = []
    for event_id in list(Act.objects.values_list("event_id", flat=True).distinct()[:200]):
        started = time.perf_counter()
        with transaction.atomic():
            transaction.on_commit(lambda ids=[event_id]: queued.enqueue(ids))
        hook.append(time.perf_counter() - started)
    from django_tasks_db.models import DBTaskResult

    queued_by_hook = DBTaskResult.objects.count()
    with_hook, without_hook = _recording(tasks.events_changed, demo.ANCHOR)
    added = [a - b for a, b in zip(sorted(with_hook), sorted(without_hook), strict=True)]
    return {
        "recording_act_samples": len(with_hook),
        "queued_by_recording": DBTaskResult.objects.count() - queued_by_hook,
        "recording_act_with_warning_p50_ms": round(1000 * statistics.median(with_hook), 2),
        "recording_act_with_warning_p95_ms": round(1000 * _percentile(with_hook, 0.95), 2),
        "recording_act_without_warning_p50_ms": round(1000 * statistics.median(without_hook), 2),
        "recording_act_without_warning_p95_ms": round(1000 * _percentile(without_hook, 0.95), 2),
        "recording_act_added_p50_ms": round(1000 * statistics.median(added), 2),
        "recording_act_added_p95_ms": round(
            1000 * (_percentile(with_hook, 0.95) - _percentile(without_hook, 0.95)), 2
        ),
        "queued_evaluations": queued_by_hook,
        "events": events,
        "acts": acts,
        "persons": persons,
        "nightly_seconds": round(nightly_seconds, 2),
        "nightly_subjects": nightly.subjects,
        "nightly_alerts": nightly.alerts_raised,
        "nightly_peak_mb": round(peak / 2**20, 1),
        "incremental_p50_ms": round(1000 * statistics.median(incremental), 1),
        "incremental_p95_ms": round(1000 * _percentile(incremental, 0.95), 1),
        "recording_hook_p50_ms": round(1000 * statistics.median(hook), 2),
        "recording_hook_p95_ms": round(1000 * _percentile(hook, 0.95), 2),
    }

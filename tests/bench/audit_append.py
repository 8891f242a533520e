"""`audit_append`: audit entries appended per second, each in its own transaction, on SQLite.

Each append is what a service does at its end: `amparo.core.audit.record`, committed. Measured
with the anchor as it runs in production (handed to the background writer after each commit,
which rewrites, flushes and renames the file for the newest head; the run ends when the writer
has caught up) and with the anchor left out, which isolates its cost. Medians of 5 runs.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from django.core.management import call_command

from amparo.core import audit, audit_anchor
from tests.bench import Figures, benchmark

APPENDS = 1_000
RUNS = 5


def _rate() -> float:
    started = time.perf_counter()
    for n in range(APPENDS):
        audit.record(None, "bench.append", changes={"n": n})
    assert audit_anchor.flush()
    return APPENDS / (time.perf_counter() - started)


@benchmark("audit_append")
def run() -> Figures:
    call_command("migrate", verbosity=0)
    figures: dict[str, Any] = {"appends_per_run": APPENDS, "runs": RUNS}
    anchored, unanchored = [], []
    real = audit_anchor.anchor_on_commit
    for _ in range(RUNS):  # interleaved, so that the machine's load weighs on both alike
        anchored.append(_rate())
        audit_anchor.anchor_on_commit = lambda head: None  # type: ignore[assignment]
        try:
            unanchored.append(_rate())
        finally:
            audit_anchor.anchor_on_commit = real  # type: ignore[method-assign]
    figures["with_anchor_per_s"] = round(statistics.median(anchored))
    figures["without_anchor_per_s"] = round(statistics.median(unanchored))
    figures["anchor_ms_per_append"] = round(
        1000 / figures["with_anchor_per_s"] - 1000 / figures["without_anchor_per_s"], 3
    )
    assert audit.verify().ok
    return figures

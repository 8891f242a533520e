"""`exports`: how fast `amparo export-cases` writes, with the exporter's keys open (issue 16).

AMPARO_BENCH_EXPORT_EVENTS demo events (default 20,000) are generated, then the events one
documentalist may export (their organisation's, within their clearance) are exported as CSV (one
row per act) and as JSON, signed in with their keys as `--as` leaves them: every name the
documentalist may see is opened with its data key. Rows per second counts CSV rows (acts) and
JSON events; the best of AMPARO_BENCH_EXPORT_REPEATS runs (default 3).
Runs on the scratch database (or AMPARO_BENCH_DATABASE_URL), emptied of demo events first.
"""

from __future__ import annotations

import csv
import io
import os
import time
from typing import Any

from django.db import connection

from tests.bench import Figures, benchmark
from tests.bench.cases import _world

EXPORT_EVENTS = int(os.environ.get("AMPARO_BENCH_EXPORT_EVENTS", "20000"))
REPEATS = int(os.environ.get("AMPARO_BENCH_EXPORT_REPEATS", "3"))
EXPORTER = "nhri.documentalist"


def _best(export: Any) -> tuple[float, int]:
    """The fastest run's seconds, and what it counted."""
    best, counted = float("inf"), 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        counted = export()
        best = min(best, time.perf_counter() - started)
    return best, counted


@benchmark("exports")
def run() -> Figures:
    from amparo.cases.exchange import exports
    from amparo.core import custody, keychain
    from amparo.core.models import User
    from amparo.demo.accounts import DEMO_PASSWORD

    world = _world(EXPORT_EVENTS)
    user = User.objects.get(username=EXPORTER)
    custody.unlock(user, DEMO_PASSWORD)  # the first unlock seals the demo's keys to the member
    figures: Figures = {"database": connection.vendor, "exporter": EXPORTER, "generation": world}
    with keychain.using(custody.unlock(user, DEMO_PASSWORD).keychain):
        for fmt, unit in (("csv", "rows"), ("json", "events")):

            def export(fmt: str = fmt) -> int:
                out = io.StringIO()
                events = exports.export(user, fmt, out, None)
                if fmt == "json":
                    return events
                out.seek(0)
                return sum(1 for _ in csv.reader(out)) - 1  # one row per act, after the header

            seconds, counted = _best(export)
            figures[fmt] = {
                unit: counted,
                "seconds": round(seconds, 2),
                f"{unit}_per_s": round(counted / seconds),
            }
    figures["load_average_1m"] = os.getloadavg()[0]
    return figures

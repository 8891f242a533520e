"""Recommendations at scale.

`recommendations_import`: `amparo recommendations import` on the full UPR set of 16,741
recommendations (sessions 1 to 10) in the UHRI layout: rows per second for a first import (all
new), a re-import (all unchanged) and a dry run, medians of AMPARO_BENCH_REPEATS runs (default
3), in wall-clock and in CPU time (the machine is shared: CPU time is the steadier figure); then
the SQL queries and latency of the list, detail, matrix and dashboard pages over that data.

The file is read from AMPARO_BENCH_UPR_FILE, by default tests/bench/data/upr_sessions_1_10.csv.gz
(gzipped or plain CSV). It runs on the scratch database (or AMPARO_BENCH_DATABASE_URL) and
refuses a database that holds recommendations it did not import.
"""

from __future__ import annotations

import gzip
import os
import statistics
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.bench import Figures, benchmark

DATA = Path(__file__).resolve().parent / "data" / "upr_sessions_1_10.csv.gz"
REPEATS = int(os.environ.get("AMPARO_BENCH_REPEATS", "3"))
PAGE_REPEATS = 10


def _data() -> bytes | None:
    path = Path(os.environ.get("AMPARO_BENCH_UPR_FILE") or DATA)
    if not path.exists():
        return None
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


def _clear() -> None:
    from amparo.recommendations.models import Recommendation

    if Recommendation.objects.exclude(annotation_id__startswith="upr-").exists():
        raise SystemExit(
            "Refused: this database holds recommendations other than the benchmark's. Point "
            "AMPARO_BENCH_DATABASE_URL at a scratch database."
        )
    Recommendation.objects.all().delete()


def _timed(data: bytes, **options: Any) -> tuple[float, float, Any]:
    from amparo.recommendations import services

    wall, cpu = time.perf_counter(), time.process_time()
    result = services.import_recommendations(None, data, "upr.csv", **options)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _rates(rows: int, samples: list[tuple[float, float]]) -> dict[str, float]:
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    return {
        "median_wall_seconds": round(wall, 2),
        "median_cpu_seconds": round(cpu, 2),
        "rows_per_second_wall": round(rows / wall),
        "rows_per_second_cpu": round(rows / cpu),
    }


def _signed_in_documentalist() -> Client:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.core.models import Clearance, Organisation, Role
    from amparo.core.services import add_member, create_organisation, create_user

    organisation = Organisation.objects.filter(short_code="BENCH-NHRI").first() or (
        create_organisation(
            None, name="Bench NHRI", short_code="BENCH-NHRI", kind="nhri", country="KE"
        )
    )
    from amparo.core.models import User

    user = User.objects.filter(username="bench.documentalist").first()
    if user is None:
        user = create_user(None, username="bench.documentalist", password="bench-password-2026")
        add_member(
            None,
            user=user,
            organisation=organisation,
            role=Role.DOCUMENTALIST,
            clearance=Clearance.CONFIDENTIAL,
        )
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def _page(client: Client, url: str) -> dict[str, Any]:
    client.get(url)
    times = []
    for _ in range(PAGE_REPEATS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return {"queries": len(queries), "median_ms": round(statistics.median(times) * 1000, 1)}


@benchmark("recommendations_import")
def recommendations_import() -> Figures:
    from amparo.recommendations import services
    from amparo.recommendations.models import Recommendation

    data = _data()
    if data is None:
        return {"skipped": f"no data file: set AMPARO_BENCH_UPR_FILE or add {DATA}"}
    call_command("migrate", verbosity=0)
    services.load_reference(None)
    _clear()
    first, again, dry = [], [], []
    rows = 0
    for _ in range(REPEATS):
        _clear()
        wall, cpu, result = _timed(data)
        assert result.ok and result.created == result.rows, result.errors[:3]
        rows = result.rows
        first.append((wall, cpu))
        wall, cpu, result = _timed(data)
        assert result.unchanged == rows
        again.append((wall, cpu))
        wall, cpu, result = _timed(data, dry_run=True)
        dry.append((wall, cpu))
    load = os.getloadavg()[0]
    client = _signed_in_documentalist()
    one = Recommendation.objects.filter(state="KE").order_by("pk").first()
    assert one is not None
    pages = {
        "list": _page(client, "/recommendations/"),
        "list, State and theme": _page(
            client, "/recommendations/?state=KE&q=defenders&status=not_started"
        ),
        "detail": _page(client, f"/recommendations/{one.pk}/"),
        "matrix": _page(client, "/recommendations/matrix/"),
        "State dashboard": _page(client, "/recommendations/states/KE/"),
    }
    return {
        "rows": rows,
        "repeats": REPEATS,
        "load_average_1min": round(load, 2),
        "first_import": _rates(rows, first),
        "re_import_unchanged": _rates(rows, again),
        "dry_run": _rates(rows, dry),
        "pages": pages,
    }

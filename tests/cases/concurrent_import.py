"""A large import and the intake channel on one SQLite file, at the same time (run by
tests/cases/test_import_concurrency.py in a process of its own, which prints its figures as JSON).

`python -m tests.cases.concurrent_import DIRECTORY ROWS`: a fresh database file in DIRECTORY
(WAL, the production options), the vocabularies, an organisation receiving reports and a
documentalist; then a thread imports ROWS generated rows while the main thread fetches /report/
and posts a report, one after the other, until the import ends. Every request goes through the
real stack (middleware, views, services) with Django's test client; each thread has its own
database connection, as a server's workers do.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

ORGANISATION = "CONC-NHRI"
ANSWERS = {
    "what_happened": "Men in plain clothes photographed the presenters after the programme.",
    "when_year": "2026",
    "when_month": "2",
    "country": "KE",
    "target": "someone_else",
    "defender_types": ["journalist"],
    "acts": ["threat_death"],
    "danger": "unsure",
    "contact_method": "follow_up",
}


def _configure(directory: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.test_settings"
    os.environ["AMPARO_VAR_DIR"] = str(directory)
    os.environ["AMPARO_DATABASE_URL"] = f"sqlite:///{directory / 'amparo.sqlite3'}"
    os.environ.pop("AMPARO_TEST_DATABASE_URL", None)
    os.environ["AMPARO_INTAKE_ORGANISATION"] = ORGANISATION
    os.environ["AMPARO_INTAKE_RATE_LIMITS"] = "submit=1000000/60,submit_without_pow=1000000/60"
    import django

    django.setup()


def _world() -> Any:
    from django.core.management import call_command

    from amparo.core import vocabulary
    from amparo.core.models import Clearance, Membership, Organisation, Role, User

    call_command("migrate", verbosity=0)
    vocabulary.load()
    organisation = Organisation.objects.create(
        short_code=ORGANISATION, name="Concurrent NHRI", kind="nhri", country="KE"
    )
    user = User.objects.create(username="conc.importer")
    Membership.objects.create(
        user=user,
        organisation=organisation,
        role=Role.DOCUMENTALIST,
        clearance=Clearance.STRICTLY_CONFIDENTIAL,
    )
    return user, organisation


def _report(client: Any) -> tuple[int, int, float]:
    started = time.perf_counter()
    page = client.get("/report/")
    match = re.search(rb'name="token" value="([^"]+)"', page.content)
    if page.status_code != 200 or match is None:
        return page.status_code, 0, time.perf_counter() - started
    answer = client.post("/report/", {**ANSWERS, "token": match.group(1).decode()})
    accepted = answer.status_code == 200 and b'class="receipt"' in answer.content
    return page.status_code, 200 if accepted else answer.status_code, time.perf_counter() - started


def main(directory: Path, rows: int) -> dict[str, Any]:
    _configure(directory)
    from django.db import connection
    from django.test import Client

    from amparo.cases.exchange import imports
    from amparo.cases.services import bulk
    from amparo.core.statement_process import StatementProcess
    from tests.bench.imports import csv_file, table_rows

    # A few thousand rows, written as a large import writes them: by a process of its own,
    # whose transactions the reports wait for. The batches it is handed are counted.
    bulk.PROCESS_FROM_EVENTS = bulk.BATCH_EVENTS
    handed: list[int] = []
    write = StatementProcess.write

    def counted(process: StatementProcess, statements: Any) -> None:
        handed.append(len(statements))
        write(process, statements)

    StatementProcess.write = counted  # type: ignore[method-assign,assignment]
    user, organisation = _world()
    data = csv_file(table_rows(rows, prefix="CONC"))
    outcome: dict[str, Any] = {}

    def run_import() -> None:
        started = time.perf_counter()
        try:
            result = imports.import_file(user, organisation, data, "file.csv")
            outcome["errors"] = [str(e) for e in result.errors[:5]]
            outcome["created"] = result.count("create")
        except Exception as error:  # reported, not raised: the figures say what failed
            outcome["exception"] = repr(error)
        finally:
            outcome["import_seconds"] = round(time.perf_counter() - started, 2)
            connection.close()

    importer = threading.Thread(target=run_import)
    client = Client(raise_request_exception=False)
    reports: list[tuple[int, int, float]] = []
    importer.start()
    while importer.is_alive():
        reports.append(_report(client))
    importer.join()
    from amparo.cases.models import Event
    from amparo.intake.models import Submission

    return {
        **outcome,
        "rows": rows,
        "batches_by_process": len(handed),
        "events": Event.objects.count(),
        "reports": [[get, post, round(seconds, 3)] for get, post, seconds in reports],
        "submissions": Submission.objects.count(),
    }


if __name__ == "__main__":
    figures = main(Path(sys.argv[1]), int(sys.argv[2]))
    print(json.dumps(figures))

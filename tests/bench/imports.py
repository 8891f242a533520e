"""`imports`: how fast the flat table (CSV, XLSX) and the HURIDOCS document import, and whether
the secure intake channel keeps answering while a large import runs.

Sizes: AMPARO_BENCH_IMPORT_ROWS (default "1000,10000,100000") rows of CSV; XLSX and HURIDOCS at
AMPARO_BENCH_IMPORT_OTHER_ROWS (default 10,000). Each file is about two rows per event (one per
act, some with a second perpetrator), a new victim per act, realistic vocabulary values in
several languages. The figure is rows per second, parsed, validated and written (a dry run
alone is reported too), as `amparo import-cases` runs it in this process with the production
task backend: the jobs an import queues (early-warning evaluation of the imported events) run
in the task worker, not in the import, so they are timed apart, as `follow_up_jobs`.

Intake while importing: a gunicorn server (the intake bench's) on a scratch SQLite file, with
reports submitted (GET /report/ for the form, then POST) one every INTAKE_INTERVAL seconds from
the moment `amparo import-cases` starts importing AMPARO_BENCH_IMPORT_CONCURRENT_ROWS rows
(default 100,000) into the same database in another process, until it ends. Figures: the
import's rate, and the latency percentiles and failures of GET /report/ and of the POST.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from django.test import override_settings

from amparo.core import on_behalf
from tests.bench import Figures, benchmark

SIZES = [int(n) for n in os.environ.get("AMPARO_BENCH_IMPORT_ROWS", "1000,10000,100000").split(",")]
OTHER_ROWS = int(os.environ.get("AMPARO_BENCH_IMPORT_OTHER_ROWS", "10000"))
CONCURRENT_ROWS = int(os.environ.get("AMPARO_BENCH_IMPORT_CONCURRENT_ROWS", "100000"))
INTAKE_INTERVAL = 0.5
ORGANISATION = "BENCH-NHRI"
IMPORTER = "bench.importer"
# The importer runs `--as` itself (docs/security.md): its password reaches the command this way.
IMPORTER_PASSWORD = "bench importer password"
REPOSITORY = Path(__file__).resolve().parents[2]
# What config.settings gives a production server (AMPARO_TASKS=database): a worker runs the jobs.
PRODUCTION_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

ACTS = ["threat_death", "Menace de mort", "raid", "hacking", "surveillance_physical", "doxxing"]
ACTS += ["arbitrary_detention", "judicial_harassment", "stigmatisation_online", "slapp"]
SEXES = ["woman", "man", "Mujer", "Homme"]
DEFENDERS = ["journalist", "lawyer", "environmental", "indigenous", "women_hrd", "trade_unionist"]
PERPETRATORS = ["010100000000", "private_security_company", "organised_crime", "gang"]
INVOLVEMENT = ["Directly carried out the act", "Suspected of involvement in the act"]
REGIONS = ["KE-17", "KE-30", "KE-01", "KE-28"]
GIVEN = ["Akinyi", "Wanjiru", "Otieno", "Kamau", "Achieng", "Mutua", "Njeri", "Kiprono", "Amina"]
FAMILY = ["Odera", "Mwangi", "Ochieng", "Kariuki", "Wafula", "Chebet", "Mutai", "Hassan"]


def table_rows(count: int, seed: int = 2026, prefix: str = "EV") -> list[dict[str, str]]:
    """`count` rows of the flat table: events of one to three acts, about two rows each."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    event = 0
    while len(rows) < count:
        event += 1
        event_id = f"{prefix}-{event:07d}"
        base = {
            "event_id": event_id,
            "event_title": f"{rng.choice(['Threats', 'Raid', 'Arrest', 'Smear campaign'])} "
            f"against {rng.choice(DEFENDERS).replace('_', ' ')}s in {rng.choice(REGIONS)}",
            "event_description": "Reported by a partner network; details in the source file. "
            * rng.randint(1, 3),
            "event_start_date": f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}",
            "event_country": "KE",
            "event_region": rng.choice(REGIONS),
            "event_locality": rng.choice(["Kisumu", "Nairobi", "Mombasa", "Eldoret"]),
            "event_confidentiality": rng.choice(["restricted", "confidential"]),
        }
        for act in range(1, rng.choice([1, 1, 2, 3]) + 1):
            victim = f"{event_id}-V{act}"
            row = {
                **base,
                "act_id": str(act),
                "act_type": rng.choice(ACTS),
                "act_date": f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}",
                "victim_id": victim,
                "victim_name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                "victim_contact": f"+254 7{rng.randint(10**7, 10**8 - 1)}",
                "victim_sex": rng.choice(SEXES),
                "victim_age_group": rng.choice(["18_29", "30_49", "50_64"]),
                "victim_defender_types": "|".join(rng.sample(DEFENDERS, rng.randint(1, 2))),
                "victim_country": "KE",
                "victim_region": rng.choice(REGIONS),
            }
            if rng.random() < 0.7:
                row["perpetrator_name"] = f"Officer {rng.choice(FAMILY)}"
                row["perpetrator_type"] = rng.choice(PERPETRATORS)
                row["perpetrator_involvement"] = rng.choice(INVOLVEMENT)
            rows.append(row)
            if len(rows) < count and rng.random() < 0.2:
                rows.append(
                    {
                        **base,
                        "act_id": str(act),
                        "perpetrator_type": rng.choice(PERPETRATORS),
                        "perpetrator_involvement": INVOLVEMENT[1],
                    }
                )
            if len(rows) >= count:
                break
    return rows[:count]


def csv_file(rows: list[dict[str, str]]) -> bytes:
    from amparo.cases.exchange.tabular import COLUMNS

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_file(rows: list[dict[str, str]]) -> bytes:
    from amparo.cases.exchange import tabular

    out = io.BytesIO()
    tabular.write_xlsx(rows, out)
    return out.getvalue()


def huridocs_file(rows: list[dict[str, str]]) -> bytes:
    """The same events as an ESF exchange document (acts, persons, involvements)."""
    from amparo.core import vocabulary

    def number(thesaurus: str, code: str) -> str | None:
        return vocabulary.term(thesaurus, code).source_code or None

    events: dict[str, dict[str, Any]] = {}
    persons: dict[str, dict[str, Any]] = {}
    acts: list[dict[str, Any]] = []
    involvements: list[dict[str, Any]] = []
    for row in rows:
        if row["event_id"] not in events:
            events[row["event_id"]] = {
                "event_record_number": row["event_id"],
                "event_title": row["event_title"],
                "event_description": row["event_description"],
                "initial_date": row["event_start_date"] + "-01",
                "x_amparo": {"country": "KE", "confidentiality": row["event_confidentiality"]},
            }
        if "victim_id" not in row:
            continue
        act_number = f"{row['event_id']}/A{row['act_id']}"
        persons[row["victim_id"]] = {
            "person_record_number": row["victim_id"],
            "person_name": row["victim_name"],
            "x_amparo": {"country": "KE", "defender_types": ["journalist"]},
        }
        acts.append(
            {
                "act_record_number": act_number,
                "event": row["event_id"],
                "victim": row["victim_id"],
                "type_of_act": number("hrd_violations", "raid"),
                "x_amparo": {"type_of_act": "raid"},
            }
        )
        if row.get("perpetrator_name"):
            involvements.append(
                {
                    "involvement_record_number": f"{act_number}/I1",
                    "act": act_number,
                    "event": row["event_id"],
                    "x_amparo": {"perpetrator_type": "gang"},
                }
            )
    document = {
        "format": "huridocs-esf",
        "version": "1",
        "event": list(events.values()),
        "person": list(persons.values()),
        "act": acts,
        "involvement": involvements,
    }
    return json.dumps(document).encode()


def _prepare() -> None:
    from django.core.management import call_command

    from amparo.core import vocabulary
    from amparo.core.models import Clearance, Membership, Organisation, Role, User

    call_command("migrate", verbosity=0)
    if not vocabulary.thesauri_with_counts():
        vocabulary.load()
    organisation, _created = Organisation.objects.get_or_create(
        short_code=ORGANISATION,
        defaults={"name": "Bench Human Rights Commission", "kind": "nhri", "country": "KE"},
    )
    user, _created = User.objects.get_or_create(username=IMPORTER)
    Membership.objects.get_or_create(
        user=user,
        organisation=organisation,
        defaults={"role": Role.DOCUMENTALIST, "clearance": Clearance.STRICTLY_CONFIDENTIAL},
    )


def _import(data: bytes, name: str, *, dry_run: bool) -> tuple[float, Any]:
    from amparo.cases.exchange import huridocs, imports
    from amparo.core.models import Organisation, User

    user = User.objects.get(username=IMPORTER)
    organisation = Organisation.objects.get(short_code=ORGANISATION)
    started = time.perf_counter()
    if name.endswith(".json"):
        result = huridocs.import_document(user, organisation, data, dry_run=dry_run)
    else:
        result = imports.import_file(user, organisation, data, name, dry_run=dry_run)
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"the bench file did not import: {result.errors[:3]}")
    return elapsed, result


def _rate(rows: int, seconds: float) -> dict[str, float]:
    return {"seconds": round(seconds, 2), "rows_per_s": round(rows / seconds, 1)}


def measure_file(kind: str, rows: int, prefix: str) -> dict[str, Any]:
    table = table_rows(rows, prefix=prefix)
    build = {"csv": csv_file, "xlsx": xlsx_file, "huridocs": huridocs_file}[kind]
    data = build(table)
    name = {"csv": "bench.csv", "xlsx": "bench.xlsx", "huridocs": "bench.json"}[kind]
    with override_settings(TASKS=PRODUCTION_TASKS):
        dry, _result = _import(data, name, dry_run=True)
        real, result = _import(data, name, dry_run=False)
        follow_up = _run_queued_jobs()
        again, _result = _import(data, name, dry_run=False)  # the same file: nothing to change
        _run_queued_jobs()
    return {
        "rows": rows,
        "events": result.count("create"),
        "bytes": len(data),
        "dry_run": _rate(rows, dry),
        "import": _rate(rows, real),
        "follow_up_jobs": _rate(rows, follow_up),
        "same_file_again": _rate(rows, again),
    }


def _run_queued_jobs() -> float:
    """Seconds the task worker takes to run what was queued (`amparo db_worker`, one pass)."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    return time.perf_counter() - started


def _intake_while_importing(rows: int) -> dict[str, Any]:
    """Reports to a live server while another process imports `rows` rows."""
    from tests.bench import intake

    scratch = Path(os.environ["AMPARO_VAR_DIR"]) / "import-intake-bench"
    scratch.mkdir(parents=True, exist_ok=True)
    environment = intake._server_environment(scratch, f"sqlite:///{scratch / 'db.sqlite3'}")
    intake._prepare(environment)
    subprocess.run(
        [sys.executable, "-m", "amparo.cli", "shell", "-c", _IMPORTER_SETUP],
        cwd=REPOSITORY,
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    path = scratch / "bench.csv"
    path.write_bytes(csv_file(table_rows(rows, prefix="CONC")))
    port = intake._free_port()
    server = intake._start(environment, port)
    gets: list[float] = []
    posts: list[float] = []
    failures: dict[str, int] = {}
    try:
        started = time.perf_counter()
        importer = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "amparo.cli",
                "import-cases",
                str(path),
                "--organisation",
                intake.ORGANISATION,
                "--as",
                IMPORTER,
            ],
            cwd=REPOSITORY,
            env={**environment, on_behalf.PASSWORD_VARIABLE: IMPORTER_PASSWORD},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        lock = threading.Lock()

        def submit() -> None:
            began = time.perf_counter()
            try:
                status = intake._get(port, "/report/")[0]
            except OSError:
                status = 599
            got = time.perf_counter() - began
            latency, posted = intake._submit(port, None)
            with lock:
                if status == 200:
                    gets.append(got)
                else:
                    failures[f"GET {status}"] = failures.get(f"GET {status}", 0) + 1
                if posted == 200:
                    posts.append(latency)
                else:
                    failures[f"POST {posted}"] = failures.get(f"POST {posted}", 0) + 1

        threads = []
        while importer.poll() is None:
            thread = threading.Thread(target=submit)
            thread.start()
            threads.append(thread)
            time.sleep(INTAKE_INTERVAL)
        for thread in threads:
            thread.join()
        import_seconds = time.perf_counter() - started
        output, errors = importer.communicate()
        if importer.returncode != 0:
            raise RuntimeError(f"the import failed: {errors.decode()[-2000:]}")
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {
        "rows": rows,
        "import": _rate(rows, import_seconds),
        "import_output": output.decode().strip().splitlines()[-1:],
        "intake_get_report": intake._summary(gets),
        "intake_post_report": intake._summary(posts),
        "intake_failures": failures,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


_IMPORTER_SETUP = (
    "from amparo.core import custody; "
    "from amparo.core.models import Clearance, Membership, Organisation, PersonalKey, Role, User; "
    f"u, _ = User.objects.get_or_create(username={IMPORTER!r}); "
    f"u.set_password({IMPORTER_PASSWORD!r}); u.save(); "
    "PersonalKey.objects.filter(user=u).exists() or "
    f"custody.write_personal_key(u, {IMPORTER_PASSWORD!r}); "
    f"o = Organisation.objects.get(short_code={ORGANISATION!r}); "
    "Membership.objects.get_or_create(user=u, organisation=o, defaults=dict("
    "role=Role.DOCUMENTALIST, clearance=Clearance.STRICTLY_CONFIDENTIAL))"
)


@benchmark("imports")
def run() -> Figures:
    _prepare()
    figures: Figures = {"csv": [], "xlsx": None, "huridocs": None}
    for index, rows in enumerate(SIZES):
        figures["csv"].append(measure_file("csv", rows, prefix=f"CSV{index}"))
    figures["xlsx"] = measure_file("xlsx", OTHER_ROWS, prefix="XLSX")
    figures["huridocs"] = measure_file("huridocs", OTHER_ROWS, prefix="ESF")
    figures["intake_while_importing"] = _intake_while_importing(CONCURRENT_ROWS)
    figures["load_average_1min"] = round(os.getloadavg()[0], 2)
    figures["cpus"] = os.cpu_count()
    return figures

"""`stats`: a cross-tab of 1M acts through the statistics service, against DuckDB alone.

The facts table (stats_fact) of the scratch database is filled with AMPARO_BENCH_FACTS (default
1,000,000) synthetic acts whose codes are the shipped vocabularies' (so broader terms resolve as in
use): 30 countries, every type of act, one to three types of defender, 15 years, dates of every
precision, 12 organisations. A user who belongs to all 12 organisations (clearance strictly
confidential, so every act counts for them) asks for the cross-tab of the analysis benchmark:
country by year in rows, type of defender in columns (exploded), two filters (types of act under
three broader terms, verified events only), counting acts, with margins.

Timed, each the median of AMPARO_BENCH_REPEATS runs (default 7) after one untimed run:
- `service_cold_s`: `tables.cross_tab` with no facts in memory: the whole table read from the
  database into Arrow (and its derived columns computed and checked), the viewer's facts chosen,
  the cross-tab counted and named;
- `service_cached_s`: the same with the facts kept in memory (the usual case: one indexed query
  finds that nothing changed); the viewer owns every record, so no count is suppressed;
- `service_cached_public_s`: the same for the operator, whose tables are for the public (every
  small count suppressed);
- `service_after_one_change_s`: after one event's facts changed (the snapshot patched);
- `baseline_group_by_s`: the same GROUP BY written by hand, run by DuckDB on the same Arrow table
  in the same process.
The ratios to the baseline are the figures to watch (target ≤ 2 for the cached path).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from tests.bench import Figures, benchmark
from tests.bench import crosstab as crosstab_bench

ROWS = int(os.environ.get("AMPARO_BENCH_FACTS", "1000000"))
RUNS = int(os.environ.get("AMPARO_BENCH_REPEATS", "7"))
ORGANISATIONS = 12
COUNTRIES = crosstab_bench.COUNTRIES  # the same countries as the analysis benchmark
BROAD = ("threat", "judicial_harassment", "killing")


def _times(work: Callable[[], object], runs: int = RUNS) -> tuple[float, float]:
    work()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _fill(rows: int) -> list[int]:
    """Synthetic facts in stats_fact; the ids of the organisations they belong to."""
    from django.core.management import call_command
    from django.db import connection

    from amparo.analysis.facts import connect
    from amparo.cases.models import Vocab
    from amparo.core import vocabulary
    from amparo.core.models import Organisation, Term
    from amparo.stats.models import Fact
    from amparo.stats.services import facts as fact_service

    call_command("migrate", verbosity=0)
    if not Term.objects.exists():
        vocabulary.load()
    organisations = [
        Organisation.objects.get_or_create(
            short_code=f"BENCH{n}", defaults={"name": f"Bench {n}", "kind": "nhri"}
        )[0].pk
        for n in range(ORGANISATIONS)
    ]

    def codes(thesauri: tuple[str, ...]) -> list[str]:
        return list(
            Term.objects.filter(thesaurus__code__in=thesauri).values_list("code", flat=True)
        )

    acts, defenders = codes(Vocab.TYPE_OF_ACT), codes(Vocab.DEFENDER_TYPE)
    sexes, perpetrators = codes(Vocab.SEX), codes(Vocab.PERPETRATOR_TYPE)

    def listed(values: list[str]) -> str:
        return "[" + ", ".join(f"'{v}'" for v in values) + "]"

    sql = f"""
    WITH drawn AS (
        SELECT i AS act_id, i // 3 AS event_id, (i * 7919) % {rows * 6 // 10} AS victim_id,
            {listed([str(o) for o in organisations])}[1 + (hash(i // 3) % {ORGANISATIONS})::INT]
                ::BIGINT AS organisation_id,
            {listed(list(COUNTRIES))}[1 + (hash(i // 3, 1) % {len(COUNTRIES)})::INT] AS country,
            {listed(acts)}[1 + floor(random() * {len(acts)})::INT] AS type_of_act,
            list_distinct(list_transform(range(1 + floor(random() * 3)::INT),
                lambda k: {listed(defenders)}[1 + floor(random() * {len(defenders)})::INT])) AS d,
            {listed(sexes)}[1 + floor(random() * {len(sexes)})::INT] AS sex,
            {listed(perpetrators)}[1 + floor(random() * {len(perpetrators)})::INT] AS p,
            random() AS r_status, random() AS r_precision,
            DATE '2011-01-01' + (random() * 5474)::INT AS day
        FROM range({rows}) AS r(i)
    )
    SELECT act_id, event_id, victim_id, 'individual', organisation_id, (act_id % 4)::INT,
        CASE WHEN r_status < 0.7 THEN 'verified' WHEN r_status < 0.8 THEN 'closed'
             WHEN r_status < 0.9 THEN 'submitted' ELSE 'draft' END,
        CASE WHEN r_precision < 0.7 THEN day WHEN r_precision < 0.85 THEN date_trunc('month', day)
             WHEN r_precision < 0.97 THEN date_trunc('year', day) END::DATE::VARCHAR,
        CASE WHEN r_precision < 0.7 THEN 'day' WHEN r_precision < 0.85 THEN 'month'
             WHEN r_precision < 0.97 THEN 'year' ELSE 'unknown' END,
        country, NULL, type_of_act, '', array_to_string(d, ' '), sex, NULL, p,
        (event_id * 2)::VARCHAR || ' ' || (event_id * 2 + 1)::VARCHAR, '', NULL, NULL
    FROM drawn ORDER BY act_id
    """
    with connect() as duck:
        duck.sql("SELECT setseed(0.42)").fetchall()
        values = duck.sql(sql).fetchall()
    Fact.objects.all().delete()
    columns = ", ".join(connection.ops.quote_name(f.column) for f in Fact._meta.concrete_fields)
    marks = ", ".join(["%s"] * len(Fact._meta.concrete_fields))
    table = connection.ops.quote_name(Fact._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(values), 50_000):
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                values[start : start + 50_000],
            )
    fact_service._log([None])
    return organisations


BASELINE = """
SELECT country, year, defender_type, count(*)
FROM (
    SELECT country, year, unnest(defender_types) AS defender_type FROM facts
    WHERE list_has_any(type_of_act_with_ancestors, $broad) AND verified
)
GROUP BY country, year, defender_type
"""


@benchmark("stats")
def run() -> Figures:
    from django.conf import settings

    from amparo.analysis.crosstab import Filter, Query
    from amparo.analysis.facts import connect
    from amparo.core.models import Clearance, Membership, Role, User
    from amparo.stats.models import Fact
    from amparo.stats.services import facts as fact_service
    from amparo.stats.services import snapshot, tables

    started = time.perf_counter()
    organisations = _fill(ROWS)
    filled = time.perf_counter() - started
    user, _created = User.objects.get_or_create(username="bench.analyst")
    for organisation_id in organisations:
        Membership.objects.get_or_create(
            user=user,
            organisation_id=organisation_id,
            role=Role.ANALYST,
            defaults={"clearance": Clearance.STRICTLY_CONFIDENTIAL},
        )
    query = Query(
        rows=("country", "year"),
        columns=("defender_type",),
        filters=(
            Filter("type_of_act", BROAD, include_narrower=True),
            Filter("verified", ("true",)),
        ),
    )

    def cold() -> object:
        snapshot.forget()
        return tables.cross_tab(user, query, "en")

    cold_wall, cold_cpu = _times(cold, runs=max(3, RUNS // 2))
    read_started = time.perf_counter()
    snapshot.forget()
    facts = snapshot.facts()
    read_all = time.perf_counter() - read_started
    cached_wall, cached_cpu = _times(lambda: tables.cross_tab(user, query, "en"))
    # The operator, whose tables are for the public: every count suppressed as for outsiders.
    public_wall, public_cpu = _times(lambda: tables.cross_tab(None, query, "en"))

    one_event = Fact.objects.order_by("act_id").values_list("event_id", flat=True).first()

    def after_change() -> object:
        Fact.objects.filter(event_id=one_event).update(country="KE")
        fact_service._log([one_event])
        return tables.cross_tab(user, query, "en")

    changed_wall, _cpu = _times(after_change)

    duck = connect()
    duck.register("facts", snapshot.facts())
    broad = {"broad": list(BROAD)}
    baseline_wall, baseline_cpu = _times(lambda: duck.sql(BASELINE, params=broad).fetchall())
    cells = len(duck.sql(BASELINE, params=broad).fetchall())
    return {
        "facts": facts.num_rows,
        "baseline_cells": cells,
        "runs": RUNS,
        "fill_database_s": round(filled, 1),
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "read_database_into_arrow_s": round(read_all, 2),
        "service_cold_s": round(cold_wall, 3),
        "service_cached_s": round(cached_wall, 4),
        "service_after_one_change_s": round(changed_wall, 4),
        "baseline_group_by_s": round(baseline_wall, 4),
        "ratio_cached": round(cached_wall / baseline_wall, 2),
        "ratio_cold": round(cold_wall / baseline_wall, 1),
        "ratio_after_one_change": round(changed_wall / baseline_wall, 2),
        "service_cached_cpu_s": round(cached_cpu, 4),
        "baseline_group_by_cpu_s": round(baseline_cpu, 4),
        "ratio_cached_cpu": round(cached_cpu / baseline_cpu, 2),
        "service_cold_cpu_s": round(cold_cpu, 3),
        "service_cached_public_s": round(public_wall, 4),
        "ratio_cached_public": round(public_wall / baseline_wall, 2),
        "ratio_cached_public_cpu": round(public_cpu / baseline_cpu, 2),
        "load_average_1min": round(os.getloadavg()[0], 1),
    }

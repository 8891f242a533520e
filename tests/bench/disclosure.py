"""Recording and reading who has seen whose identity.

`cases_disclosure`: with a demo world of AMPARO_BENCH_DISCLOSURE_EVENTS events (default 2,000)
and an audit log holding AMPARO_BENCH_DISCLOSURES identity disclosures (default 100,000, each
naming five persons; one person in 1% of them), the latency of

  * the event page, the API's person answer and a CSV export, which now write their entry,
    and writing the entry alone;
  * the administrators' page "who has seen this person" (first and a far page), read through
    the index by person rather than the entries' JSON.

Runs on the scratch SQLite database, or on AMPARO_BENCH_DATABASE_URL (see tests/bench/cases.py).
"""

from __future__ import annotations

import io
import os
import random
import time
from collections.abc import Callable

from django.db import connection
from django.test import Client

from tests.bench import Figures, benchmark
from tests.bench.cases import _measure, _percentiles, _signed_in, _world

EVENTS = int(os.environ.get("AMPARO_BENCH_DISCLOSURE_EVENTS", "2000"))
DISCLOSURES = int(os.environ.get("AMPARO_BENCH_DISCLOSURES", "100000"))
BATCH = 5000
PERSONS_PER_ENTRY = 5
TARGET_SHARE = 0.01


def _fill_log(person_ids: list[int], target: int, actor_id: int) -> float:
    """DISCLOSURES chained entries and their index rows, written in batches as the service
    writes one; the seconds it took."""
    from amparo.cases.models import DisclosureChannel, IdentityDisclosure
    from amparo.core import audit
    from amparo.core.audit_actions import AuditAction
    from amparo.core.models import User

    rng = random.Random(2026)
    actor = User.objects.get(pk=actor_id)
    others = [pk for pk in person_ids if pk != target]
    channels = list(DisclosureChannel)
    started = time.perf_counter()
    for start in range(0, DISCLOSURES, BATCH):
        persons_of = []
        for _ in range(min(BATCH, DISCLOSURES - start)):
            persons = set(rng.sample(others, PERSONS_PER_ENTRY - 1))
            persons.add(target if rng.random() < TARGET_SHARE else rng.choice(others))
            persons_of.append(sorted(persons))
        entries = audit.record_many(
            [
                audit.Record(
                    actor,
                    AuditAction.PERSON_IDENTITY_DISCLOSED,
                    changes={"channel": rng.choice(channels).value, "persons": persons},
                )
                for persons in persons_of
            ]
        )
        IdentityDisclosure.objects.bulk_create(
            IdentityDisclosure(person_id=pk, entry=entry)
            for entry, persons in zip(entries, persons_of, strict=True)
            for pk in persons
        )
    return time.perf_counter() - started


def _timed(work: Callable[[], object], repeats: int) -> dict[str, float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return _percentiles(samples)


@benchmark("cases_disclosure")
def run_disclosure() -> Figures:
    from amparo.api import tokens
    from amparo.cases import services
    from amparo.cases.exchange import exports
    from amparo.cases.models import Act, DisclosureChannel, IdentityDisclosure, Person
    from amparo.core.models import AuditEntry, User

    world = _world(EVENTS)
    admin = User.objects.get(username="nhri.admin")
    act = (
        Act.objects.filter(event__organisation__memberships__user=admin)
        .select_related("victim")
        .order_by("pk")
        .first()
    )
    assert act is not None
    target = act.victim
    persons = list(Person.objects.values_list("pk", flat=True))
    filled = _fill_log(persons, target.pk, admin.pk)
    seen = IdentityDisclosure.objects.filter(person=target).count()

    documentalist = _signed_in("nhri.documentalist")
    administrator = _signed_in("nhri.admin")
    secret = tokens.issue_token(None, admin, name="bench").secret
    token_client = Client()
    pages = max(1, seen // 50)
    figures: Figures = {
        "database": connection.vendor,
        "generation": world,
        "log_entries": AuditEntry.objects.count(),
        "disclosure_entries": DISCLOSURES,
        "index_rows": IdentityDisclosure.objects.count(),
        "fill_seconds": round(filled, 1),
        "entries_naming_the_person": seen,
        "writing": {
            "event page": _measure(lambda: documentalist.get(f"/cases/{act.event_id}/")),
            "api person": _measure(
                lambda: token_client.get(
                    f"/api/v1/persons/{target.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}"
                )
            ),
        },
        "reading": {
            "who has seen, first page": _measure(
                lambda: administrator.get(f"/cases/persons/{target.pk}/disclosures/")
            ),
            "who has seen, last page": _measure(
                lambda: administrator.get(f"/cases/persons/{target.pk}/disclosures/?page={pages}")
            ),
        },
    }
    five = {pk: target.organisation_id for pk in persons[:PERSONS_PER_ENTRY]}
    figures["writing"]["the entry alone (five persons)"] = _timed(
        lambda: services.record_disclosure(admin, five, DisclosureChannel.API), repeats=50
    )
    figures["writing"]["csv export of the organisation"] = _timed(
        lambda: exports.export(admin, "csv", io.StringIO()), repeats=3
    )
    return figures

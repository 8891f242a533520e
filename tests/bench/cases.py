"""Case documentation at scale.

`cases_list`: the filtered event list with AMPARO_BENCH_EVENTS demo events (default 100,000,
about 270,000 acts): latency percentiles and SQL queries per page, through the real view
(/cases/ with the test client: middleware, access rules, template) and the API (/api/v1/events),
as a documentalist of the network, who sees most events, signed in with their keys; and the page
of the event with the most acts.

`cases_demo`: `amparo demo`'s generation rate and peak memory for AMPARO_BENCH_DEMO_EVENTS events
(default 400,000, about one million acts).

Both run on the scratch SQLite database, or on the database AMPARO_BENCH_DATABASE_URL (else
AMPARO_DATABASE_URL) names, e.g. a scratch PostgreSQL database. They empty its case tables first,
so they refuse a database that holds any event other than demo events.
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from django.core.management import call_command
from django.core.signals import request_started
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.bench import Figures, benchmark

LIST_EVENTS = int(os.environ.get("AMPARO_BENCH_EVENTS", "100000"))
DEMO_EVENTS = int(os.environ.get("AMPARO_BENCH_DEMO_EVENTS", "400000"))
REPEATS = int(os.environ.get("AMPARO_BENCH_REPEATS", "40"))
# Filters a documentalist uses, as the list page's form sends them; {term:list:code} stands for
# a term's id. Those with search words are posted (see _list_address).
QUERIES = {
    "no filter": "",
    "country": "country=CO",
    "type of act (with narrower terms)": "type_of_act={term:hrd_violations:threat}",
    "country and period": "country=MX&date_from=2023-01-01&date_to=2024-12-31",
    "status and confidentiality": "status=verified&confidentiality=2",
    "defender type": "defender_type={term:defender_types:journalist}",
    "word found in many events": "q=journalist",
    "word found in none": "q=radio",
    "page 40": "page=40",
    "exact count asked for": "count=all",
    "type of act, exact count": "type_of_act={term:hrd_violations:threat}&count=all",
}


def _with_term_ids(query: str) -> str:
    from amparo.core.models import Term

    def term_id(match: re.Match[str]) -> str:
        thesaurus, code = match.group(1), match.group(2)
        return str(Term.objects.get(thesaurus__code=thesaurus, code=code).pk)

    return re.sub(r"\{term:(\w+):(\w+)\}", term_id, query)


def _list_address(client: Client, query: str) -> str:
    """The list's address for `query`: search words are posted, and the list redirects to an
    address that keeps them in the session (`?search=<id>`), as the page's form does."""
    if "q=" not in query:
        return f"/cases/?{query}"
    response = client.post("/cases/", dict(parse_qsl(query)))
    assert response.status_code == 302, f"the form refused {query}"
    return str(response["Location"])


def _world(events: int) -> dict[str, Any]:
    from amparo.core import vocabulary
    from amparo.demo import accounts
    from amparo.demo import cases as demo

    call_command("migrate", verbosity=0)
    _clear_cases()
    if not vocabulary.thesauri_with_counts():
        vocabulary.load()
    accounts.build_accounts()
    started = time.perf_counter()
    report = demo.build_cases(events=events, seed=2026)
    return {**report.as_dict(), "wall_seconds": round(time.perf_counter() - started, 1)}


def _clear_cases() -> None:
    """Empty the case tables (another benchmark may have filled them), children first."""
    from django.apps import apps

    from amparo.cases.models import Act, Event, Person
    from amparo.demo.cases import EXTERNAL_PREFIX

    if Event.objects.exclude(external_id__startswith=EXTERNAL_PREFIX).exists():
        raise SystemExit(
            "Refused: this database holds real case records. Point AMPARO_BENCH_DATABASE_URL "
            "at a scratch database."
        )

    tables = [
        Act.consequences.through._meta.db_table,
        Person.defender_types.through._meta.db_table,
        *(
            apps.get_model("cases", name)._meta.db_table
            for name in (
                "ChainLink",
                "SharingGrant",
                "Comment",
                "EventVersion",
                "Source",
                "Intervention",
                "Involvement",
                "Act",
                "ConsentRecord",
                "Event",
                "Person",
                "ReferenceCounter",
            )
        ),
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def _signed_in(username: str) -> Client:
    """A client signed in as `username` with their keys unlocked, as the login view leaves it
    (the first unlock seals the demo's organisation keys to the members, the second opens them)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.core import custody, keychain
    from amparo.core.models import User
    from amparo.demo.accounts import DEMO_PASSWORD

    client = Client()
    user = User.objects.get(username=username)
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    session = client.session
    session["otp_device_id"] = device.persistent_id if device else ""
    custody.unlock(user, DEMO_PASSWORD)
    unlocked = custody.unlock(user, DEMO_PASSWORD).keychain
    client.cookies[keychain.COOKIE_NAME] = keychain.keep_in_session(
        session, unlocked, user_id=user.pk, generation=user.session_generation
    )
    session.save()
    return client


def _busiest_event() -> int:
    """The visible event with the most acts: the heaviest event page."""
    from django.db.models import Count

    from amparo.cases.models import Event

    return (
        Event.objects.annotate(n=Count("acts")).order_by("-n", "pk").values_list("pk", flat=True)
    )[0]


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def _measure(get: Callable[[], Any]) -> dict[str, Any]:
    get()  # warm the caches a server would have warm
    # Each request empties the connection's query log; keep it while counting.
    request_started.disconnect(reset_queries)
    try:
        with CaptureQueriesContext(connection) as queries:
            response = get()
        count = len(queries.captured_queries)
    finally:
        request_started.connect(reset_queries)
    assert response.status_code == 200, response.status_code
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        get()
        samples.append(time.perf_counter() - started)
    return {"queries": count, **_percentiles(samples)}


@benchmark("cases_list")
def run_list() -> Figures:
    from amparo.cases.models import Act, Event

    world = _world(LIST_EVENTS)
    client = _signed_in("network.documentalist")
    token_client = Client()
    from amparo.api import tokens
    from amparo.core.models import User

    secret = tokens.issue_token(
        None, User.objects.get(username="network.documentalist"), name="bench"
    ).secret
    figures: Figures = {
        "database": connection.vendor,
        "events": Event.objects.count(),
        "acts": Act.objects.count(),
        "repeats": REPEATS,
        "generation": world,
        "web": {},
        "api": {},
    }
    for label, query in QUERIES.items():
        url = _list_address(client, _with_term_ids(query))
        page = client.get(url)
        # A filter the form refuses would silently measure the unfiltered list.
        assert b'class="errorlist' not in page.content, f"{label}: the form refused {url}"
        figures["web"][label] = _measure(lambda u=url: client.get(u))
    for label, query in (("no filter", "limit=50"), ("country", "country=CO&limit=50")):
        figures["api"][label] = _measure(
            lambda q=query: token_client.get(
                f"/api/v1/events?{q}", HTTP_AUTHORIZATION=f"Bearer {secret}"
            )
        )
    figures["web_p95_ms_worst"] = max(v["p95_ms"] for v in figures["web"].values())
    event_page = f"/cases/{_busiest_event()}/"
    figures["event_page"] = _measure(lambda: client.get(event_page))
    return figures


@benchmark("cases_demo")
def run_demo() -> Figures:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    world = _world(DEMO_EVENTS)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = world["wall_seconds"]
    return {
        "database": connection.vendor,
        **world,
        "events_per_s": round(world["events"] / seconds),
        "acts_per_s": round(world["acts"] / seconds),
        "persons_per_s": round(world["persons"] / seconds),
        "process_max_rss_mb": round(after / 1024, 1),
        "max_rss_growth_mb": round((after - before) / 1024, 1),
    }

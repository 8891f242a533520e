"""Floods from one anonymous client: they make every request dearer, the flood's own first, and
never close the channel to a genuine reporter; the counters are shared by every server process."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core.models import Organisation
from amparo.intake import conf, ratelimit, tokens
from amparo.intake.models import LoadCounter, Submission
from amparo.intake.services import admission
from tests.factories import intake_answers, intake_report
from tests.intake.conftest import TEST_POW_BITS, proof_of_work
from tests.intake.test_follow_up import hidden

REPORT = reverse("intake:report")
FOLLOW_UP = reverse("intake:follow_up")
REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def shipped_limits(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The budgets as shipped, and a normal load small enough for a test to exceed quickly."""
    settings.AMPARO_INTAKE_RATE_LIMITS = ""
    monkeypatch.setattr(conf, "NORMAL_LOAD", {"submit": 4, "receipt": 4, "reply": 4})


def _receipt_attempt(client: Client, receipt: str, *, with_work: bool) -> Any:
    page = client.get(FOLLOW_UP).content.decode()
    data = {"receipt": receipt, "token": hidden(page, "token")}
    if with_work:
        data["pow"] = proof_of_work(page)
    return client.post(FOLLOW_UP, data)


def _report(client: Client, *, with_work: bool, **answers: Any) -> Any:
    page = client.get(REPORT).content.decode()
    data = {"token": hidden(page, "token"), **intake_answers(**answers)}
    if with_work:
        data["pow"] = proof_of_work(page)
    return client.post(REPORT, data)


@pytest.mark.django_db
def test_while_wrong_receipts_flood_in_a_genuine_receipt_still_opens_its_report(
    client: Client, receiving: Organisation, shipped_limits: None
) -> None:
    _submission, receipt = intake_report()
    flood = [
        _receipt_attempt(client, f"0000-0000-0000-0000-{n:04d}", with_work=True).status_code
        for n in range(30)
    ]
    flood += [
        _receipt_attempt(client, f"1111-1111-1111-1111-{n:04d}", with_work=False).status_code
        for n in range(20)
    ]
    # The wrong receipts that paid were all checked; those without work spent their budget.
    assert flood[:30] == [400] * 30
    assert flood[30:].count(429) == 20 - conf.DEFAULT_LIMITS["receipt_without_pow"][0]
    # Each of those guesses now costs more work, for the flood as for everyone.
    assert admission.required_bits(tokens.FOLLOW_UP) >= TEST_POW_BITS + 3

    response = _receipt_attempt(client, receipt.receipt, with_work=True)

    assert response.status_code == 200
    assert "Two men on a motorbike" not in response.content.decode()  # the report is not shown
    assert "waiting to be read" in response.content.decode()


@pytest.mark.django_db
def test_while_reports_flood_in_a_genuine_report_is_accepted(
    client: Client, receiving: Organisation, shipped_limits: None
) -> None:
    flood = [_report(client, with_work=True, what_happened="spam").status_code for _ in range(35)]
    flood += [_report(client, with_work=False, what_happened="spam").status_code for _ in range(10)]
    assert flood[:35] == [200] * 35
    assert flood[35:].count(429) == 10 - conf.DEFAULT_LIMITS["submit_without_pow"][0]

    response = _report(client, with_work=True, what_happened="They raided the newsroom.")

    assert response.status_code == 200
    texts = [submission.what_happened for submission in Submission.objects.all()]
    assert texts.count("They raided the newsroom.") == 1


@pytest.mark.django_db
def test_the_work_asked_for_doubles_with_each_doubling_of_the_load_up_to_a_ceiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(conf, "NORMAL_LOAD", {"submit": 10, "receipt": 10, "reply": 10})
    monkeypatch.setattr(conf, "POW_MAX_BITS", TEST_POW_BITS + 5)
    seen = []
    for requests in (0, 10, 11, 20, 21, 40, 80, 1000):
        LoadCounter.objects.all().delete()
        for _ in range(requests):
            ratelimit.add("receipt", conf.LOAD_SECONDS)
        seen.append(admission.required_bits(tokens.FOLLOW_UP) - TEST_POW_BITS)
    assert seen == [0, 0, 1, 1, 2, 2, 3, 5]


@pytest.mark.django_db
def test_forms_without_proof_of_work_cannot_raise_the_price_for_others(
    client: Client, receiving: Organisation, shipped_limits: None
) -> None:
    for n in range(40):
        _receipt_attempt(client, f"0000-0000-0000-0000-{n:04d}", with_work=False)
    assert admission.required_bits(tokens.FOLLOW_UP) == TEST_POW_BITS


@pytest.mark.django_db
def test_a_budget_is_never_overdrawn_and_the_counters_hold_no_history(settings: Any) -> None:
    assert [ratelimit.take("receipt_without_pow", 3, 60) for _ in range(5)] == [
        True, True, True, False, False,
    ]  # fmt: skip
    stale = ratelimit._period(60) - 5
    LoadCounter.objects.create(action="receipt", period=stale, count=7)
    ratelimit.add("receipt", 60)
    assert not LoadCounter.objects.filter(period=stale).exists()
    assert set(LoadCounter._meta.get_fields()) == {
        LoadCounter._meta.get_field(name) for name in ("pk", "action", "period", "count")
    }


_COUNTING = """
import django
django.setup()
from amparo.intake import ratelimit
for _ in range(200):
    ratelimit.add("receipt", 10**9)
taken = sum(ratelimit.take("receipt_without_pow", 150, 10**9) for _ in range(100))
print(taken)
"""
_CREATE = """
import django
django.setup()
from django.db import connection
from amparo.intake.models import LoadCounter
with connection.schema_editor() as editor:
    editor.create_model(LoadCounter)
"""


def _python(code: str, environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPOSITORY,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_server_processes_count_into_the_same_counters(tmp_path: Path) -> None:
    database = tmp_path / "shared.sqlite3"
    environment = {
        **os.environ,
        "AMPARO_TESTING": "1",
        "AMPARO_VAR_DIR": str(tmp_path),
        "AMPARO_DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    environment.pop("AMPARO_TEST_DATABASE_URL", None)
    create = _python(_CREATE, environment)
    assert create.wait(timeout=60) == 0, create.communicate()

    workers = [_python(_COUNTING, environment) for _ in range(2)]
    outputs = [worker.communicate(timeout=120) for worker in workers]

    assert all(worker.returncode == 0 for worker in workers), outputs
    with sqlite3.connect(database) as raw:
        counts = dict(raw.execute("SELECT action, count FROM intake_loadcounter").fetchall())
    assert counts == {"receipt": 400, "receipt_without_pow": 150}
    assert sum(int(out) for out, _err in outputs) == 150

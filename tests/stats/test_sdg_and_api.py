"""SDG indicator 16.10.1 by its categories, the cross-tab API, and rebuilding the facts."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from amparo.api import tokens
from amparo.cases import services
from amparo.core.models import AuditEntry, Clearance, Role
from amparo.stats import catalogue
from amparo.stats.services import sdg
from tests.factories import member
from tests.stats.world import record, victim

pytestmark = pytest.mark.django_db


def verified(actor, verifier, event) -> None:
    services.submit_event(actor, event)
    event.refresh_from_db()
    services.verify_event(verifier, event)


def test_the_indicator_counts_verified_victims_by_violation_and_group(documentalist, nhri) -> None:
    verifier = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    journalist = victim("J", types=["community_journalist"])  # narrower than journalist
    unionist = victim("U", types=["trade_unionist", "journalist"])
    lawyer = victim("L", types=["lawyer"])
    verified(
        documentalist,
        verifier,
        record(documentalist, nhri, acts=[(journalist, "killing"), (unionist, "killing")]),
    )
    verified(documentalist, verifier, record(documentalist, nhri, acts=[(lawyer, "torture")]))
    record(documentalist, nhri, acts=[(victim("Draft"), "killing")])  # not verified: not a case
    record(documentalist, nhri, acts=[(victim("T"), "threat_death")])  # not a category
    table = sdg.indicator(documentalist, sdg.Choice("KE", 2025, 2025), "en")
    (block,) = table.blocks
    assert (block.country, block.year) == ("KE", "2025")
    counts = block.counts
    assert counts[("journalists", "killing")] == "2"
    assert counts[("trade_unionists", "killing")] == "1"
    assert counts[("human_rights_defenders", "torture")] == "1"
    assert counts[("all", "killing")] == "2"  # the unionist journalist once
    assert ("journalists", "torture") not in counts
    assert [key for key, _label in table.violations] == [
        "killing",
        "kidnapping",
        "enforced_disappearance",
        "arbitrary_detention",
        "torture",
    ]
    rows = sdg.sheet(table).rows
    assert ["KE", "2025", "Killing", "Journalists and associated media personnel", "2"] in rows


def test_the_categories_file_is_checked_line_by_line(tmp_path) -> None:
    path = tmp_path / "violations.yaml"
    path.write_text(
        "violations:\n  - key: Killing!\n    type_of_act: [not_a_code]\n", encoding="utf-8"
    )
    with pytest.raises(catalogue.CatalogueError) as error:
        catalogue.load_violations(path)
    message = str(error.value)
    assert "violations.yaml, line 2: key" in message
    assert "line 3: type_of_act: 'not_a_code'" in message
    assert "labels: missing" in message


def test_the_api_answers_a_cross_tab_as_the_pages_do(client: Client, documentalist, nhri) -> None:
    for index in range(3):
        record(documentalist, nhri, acts=[(victim(f"V{index}"), "killing")])
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {tokens.issue_token(None, documentalist, name='t').secret}"
    }
    answer = client.get(
        "/api/v1/stats/crosstab?rows=country&columns=year&measure=victims&filter=type_of_act:killing",
        **headers,
    )
    assert answer.status_code == 200
    document = answer.json()
    assert document["header"] == ["Country", "2025", "Total"]
    assert document["table"][0] == ["Kenya", "3", "3"]
    bad = client.get("/api/v1/stats/crosstab?rows=names", **headers)
    assert bad.status_code == 400 and "names" in bad.json()["detail"]
    too_many = client.get(
        "/api/v1/stats/crosstab?rows=country&rows=year&columns=sex&columns=region", **headers
    )
    assert too_many.status_code == 400


def test_stats_rebuild_rewrites_the_facts_and_is_audited(documentalist, nhri) -> None:
    record(documentalist, nhri, acts=[(victim("V"), "killing")])
    out = io.StringIO()
    call_command("stats", "rebuild", stdout=out)
    assert "1 facts written" in out.getvalue()
    assert AuditEntry.objects.filter(action="stats.rebuild").exists()

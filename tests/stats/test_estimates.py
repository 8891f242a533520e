"""Estimates of undocumented victims from the sources that documented each victim."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from amparo.analysis import mse
from amparo.core.models import Clearance, Role
from amparo.stats.services import estimates
from tests.factories import member
from tests.stats.world import institution, record, victim

pytestmark = pytest.mark.django_db

# docs/estimation.md's example table.
OVERLAPS = """police,ngo,press,count
1,0,0,120
0,1,0,95
1,1,0,30
0,0,1,60
1,0,1,12
0,1,1,9
1,1,1,4
"""


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("estimate", *args, stdout=out)
    return out.getvalue()


def test_an_overlap_table_from_a_file_is_estimated_and_printed_as_json(tmp_path: Path) -> None:
    path = tmp_path / "overlaps.csv"
    path.write_text(OVERLAPS, encoding="utf-8")
    document = json.loads(run("--overlaps", str(path), "--json"))
    expected = mse.estimate(mse.read_overlaps_csv(OVERLAPS)).to_dict()
    assert {"estimate", "lower", "upper", "observed", "method", "models", "warnings"} <= set(
        document
    )
    assert document["observed"] == 330
    assert document["estimate"] == pytest.approx(expected["estimate"])
    assert document["method"] == "loglinear:average-aic"
    assert len(document["models"]) == 8


def test_a_bad_overlap_file_is_refused_with_where_and_why(tmp_path: Path) -> None:
    path = tmp_path / "overlaps.csv"
    path.write_text("police,ngo,count\n1,0,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2"):
        run("--overlaps", str(path))


def test_an_unknown_violation_is_refused() -> None:
    with pytest.raises(CommandError, match="not a kind of violation"):
        run("--violation", "jaywalking", "--country", "KE")


def _world(documentalist, nhri, captures: list[tuple[int, ...]]) -> None:
    """One killing per victim, its sources the lists (0, 1, 2) that documented them."""
    lists = [institution("Observatory"), institution("Radio"), institution("Clinic")]
    created: dict[int, object] = {}
    from amparo.cases.models import Person
    from amparo.cases.services import PersonInput

    for index, captured in enumerate(captures):
        sources = []
        for number in captured:
            if number in created:
                sources.append(PersonInput.existing(created[number]))
            else:
                sources.append(lists[number])
        event = record(
            documentalist, nhri, acts=[(victim(f"Victim {index}"), "killing")], sources=sources
        )
        for number, source in zip(captured, event.sources.order_by("pk"), strict=True):
            created.setdefault(number, Person.objects.get(pk=source.source_person_id))


def test_the_victims_lists_come_from_the_sources_of_their_events(documentalist, nhri) -> None:
    captures = (
        [(0,)] * 12
        + [(1,)] * 10
        + [(0, 1)] * 6
        + [(2,)] * 8
        + [(0, 2)] * 3
        + [(1, 2)] * 2
        + [(0, 1, 2)]
    )
    _world(documentalist, nhri, captures)
    result = estimates.estimate(
        documentalist, estimates.EstimateRequest("killing", "KE", 2025, 2025)
    )
    assert result.documented == len(captures)
    assert sorted(info.victims for info in result.lists) == [14, 19, 22]
    assert {info.label for info in result.lists} == {"Observatory", "Radio", "Clinic"}
    by_hand = mse.estimate(_table(captures))
    assert result.result.estimate == pytest.approx(by_hand.estimate)


def _table(captures: list[tuple[int, ...]]) -> mse.OverlapTable:
    return mse.OverlapTable.from_membership(
        {name: [1 if i in c else 0 for c in captures] for i, name in enumerate("abc")}
    )


def test_lists_are_named_by_pseudonym_for_who_may_not_see_them(documentalist, nhri) -> None:
    _world(documentalist, nhri, [(0, 1)] * 3 + [(0,)] * 2 + [(1,)] * 2)
    analyst = member(Role.ANALYST, Clearance.CONFIDENTIAL, nhri)
    result = estimates.estimate(analyst, estimates.EstimateRequest("killing", "KE"))
    assert not {"Observatory", "Radio"} & {info.label for info in result.lists}


def test_the_result_says_plainly_when_no_estimate_is_possible(documentalist, nhri) -> None:
    _world(documentalist, nhri, [(0,)] * 4)
    result = estimates.estimate(documentalist, estimates.EstimateRequest("killing", "KE"))
    assert not result.possible
    assert estimates.describe(result).startswith("No estimate is possible")
    document = json.loads(run("--violation", "killing", "--country", "KE", "--json"))
    assert document["estimate"] is None and document["warnings"]


def test_warnings_are_translated_by_their_code(documentalist, nhri) -> None:
    _world(documentalist, nhri, [(0,)] * 4)
    request = estimates.EstimateRequest("killing", "KE", 2025)
    english = estimates.estimate(documentalist, request)
    with translation.override("fr"):
        french = estimates.estimate(documentalist, request)
    assert [w.code for w in english.result.warnings] == [w.code for w in french.result.warnings]
    assert french.warnings and all(
        fr != en for fr, en in zip(french.warnings, english.warnings, strict=True)
    )

"""Candidate duplicate events: same country, close dates, same kind of act, shared victims."""

from __future__ import annotations

import datetime

import pytest

from amparo.analysis.linkage import EventRules, LinkageInputError, link_events

D = datetime.date


def events(*rows: dict) -> dict[str, list]:
    columns = (
        "event_id",
        "country",
        "start_date",
        "end_date",
        "act_types",
        "victim_names",
        "locality",
    )
    return {name: [row.get(name) for row in rows] for name in columns}


def event(event_id: str, **values) -> dict:
    return {"event_id": event_id, "country": "CO", "start_date": D(2024, 3, 1)} | values


def test_two_sources_reporting_one_killing_are_paired_with_their_evidence():
    found = link_events(
        events(
            event("a", act_types=["KILLING"], victim_names=["José Pérez"], locality="Cali"),
            event(
                "b",
                start_date=D(2024, 3, 2),
                act_types=["KILLING"],
                victim_names=["PEREZ, Jose"],
                locality="cali",
            ),
        )
    ).to_pylist()
    assert found == [
        {
            "left_id": "a",
            "right_id": "b",
            "days_apart": 1,
            "shared_act_types": ["KILLING"],
            "shared_victims": 1,
            "same_region": False,
            "same_locality": True,
        }
    ]


@pytest.mark.parametrize(
    "other",
    [
        event("b", country="MX", victim_names=["José Pérez"]),
        event("b", start_date=D(2024, 6, 1), victim_names=["José Pérez"]),
        event("b", act_types=["THREAT"], victim_names=["José Pérez"]),
        event("b", victim_names=["Ana Gómez"], locality="Medellín"),
    ],
    ids=["another country", "months apart", "another act", "other victims elsewhere"],
)
def test_events_that_differ_on_a_rule_are_not_paired(other):
    one = event("a", act_types=["KILLING"], victim_names=["José Pérez"], locality="Cali")
    other = {"act_types": ["KILLING"]} | other
    assert link_events(events(one, other)).num_rows == 0


def test_same_place_and_days_without_victim_names_are_paired():
    found = link_events(
        events(
            event("a", locality="Tumaco"), event("b", start_date=D(2024, 3, 3), locality="Tumaco")
        )
    )
    assert found.num_rows == 1
    assert (
        link_events(
            events(
                event("a", locality="Tumaco"),
                event("b", start_date=D(2024, 3, 3), locality="Tumaco"),
            ),
            EventRules(same_place_days=1),
        ).num_rows
        == 0
    )


def test_overlapping_date_ranges_are_zero_days_apart():
    found = link_events(
        events(
            event(
                "a", start_date=D(2024, 1, 1), end_date=D(2024, 3, 31), victim_names=["Ana Gómez"]
            ),
            event("b", start_date=D(2024, 3, 1), victim_names=["Ana Gomez"]),
        )
    )
    assert found.column("days_apart").to_pylist() == [0]


@pytest.mark.parametrize(
    "rows, field, row",
    [
        ((event("a"), event("a")), "event_id", 2),
        ((event("a"), event("b", country=None)), "country", 2),
        ((event("a", end_date=D(2024, 2, 1)),), "end_date", 1),
    ],
)
def test_bad_events_are_refused_with_their_row_and_field(rows, field, row):
    with pytest.raises(LinkageInputError) as refused:
        link_events(events(*rows))
    assert (refused.value.field, refused.value.row) == (field, row)

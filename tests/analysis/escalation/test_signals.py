"""The signals table is checked before anything is evaluated, and says where it is wrong."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from amparo.analysis.escalation import Facts, SignalsError, empty_signals
from tests.analysis.escalation.helpers import VOCABULARIES, day, facts, frame, signal


def problems(*rows: dict[str, object]) -> list[str]:
    with pytest.raises(SignalsError) as raised:
        Facts.from_frame(frame(*rows), VOCABULARIES)
    return [str(p) for p in raised.value.problems]


def test_a_missing_required_column_is_named() -> None:
    table = frame(signal(1, 0, "threat")).drop(columns=["subject_kind"])
    with pytest.raises(SignalsError, match="subject_kind: required column is missing"):
        Facts.from_frame(table, VOCABULARIES)


def test_an_unknown_column_is_refused_rather_than_ignored() -> None:
    table = frame(signal(1, 0, "threat", protective_measure=True))
    with pytest.raises(SignalsError, match="protective_measure: is not a signals column"):
        Facts.from_frame(table, VOCABULARIES)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"act": "treat"}, "row 1, act: treat is not a known code"),
        (
            {"subject_kind": "person"},
            "row 1, subject_kind: should be one of individual, organisation",
        ),
        ({"date": None}, "row 1, date: is empty"),
        ({"date": "last spring"}, "row 1, date: is not a date"),
        ({"date_precision": "week"}, "row 1, date_precision: should be one of day, month, year"),
        (
            {"defender_types": ["journalist", "poet"]},
            "row 1, defender_types: poet is not a known code",
        ),
        ({"defender_types": "journalist"}, "row 1, defender_types: should be a list of codes"),
        ({"sex": "female"}, "row 1, sex: female is not a known code"),
        ({"protective_measures": "yes"}, "row 1, protective_measures: should be true or false"),
        ({"rural": "maybe"}, "row 1, rural: should be true, false or empty"),
        ({"subject_id": "x7"}, "row 1, subject_id: should be a whole number"),
        ({"incident_id": -3}, "row 1, incident_id: should be a whole number ≥ 0"),
    ],
)
def test_a_wrong_value_is_reported_with_its_row_and_column(
    values: dict[str, object], expected: str
) -> None:
    good = signal(1, 0, "threat", defender_types=["journalist"])
    bad = {**signal(1, 1, "threat", defender_types=["journalist"]), **values}
    assert any(found.startswith(expected) for found in problems(good, bad))


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        signal(1, 0, "treat"),
        {**signal(1, 1, "threat"), "subject_kind": "?"},
        signal(1, 2, "threat"),
    )
    assert len(found) == 2


def test_a_signal_id_used_twice_is_refused() -> None:
    first = signal(1, 0, "threat")
    assert "row 1, signal_id: is not unique" in problems(
        first, {**signal(2, 1, "threat"), "signal_id": first["signal_id"]}
    )


def test_rows_are_sorted_by_subject_then_date() -> None:
    loaded = facts(signal(2, 5, "threat"), signal(1, 9, "threat"), signal(1, 3, "threat"))
    assert loaded.subject_id.tolist() == [1, 1, 2]
    assert loaded.day.tolist() == [day(3), day(9), day(5)]


@pytest.mark.parametrize(
    ("precision", "known_on", "available"),
    [
        ("day", None, datetime.date(2024, 3, 10)),
        ("month", None, datetime.date(2024, 3, 31)),
        ("year", None, datetime.date(2024, 12, 31)),
        ("year", datetime.date(2024, 4, 2), datetime.date(2024, 4, 2)),
        ("day", datetime.date(2024, 3, 1), datetime.date(2024, 3, 10)),
    ],
)
def test_a_fact_is_known_from_its_known_on_date_else_from_the_end_of_its_period(
    precision: str, known_on: datetime.date | None, available: datetime.date
) -> None:
    row = {
        **signal(1, 0, "threat"),
        "date": datetime.date(2024, 3, 10),
        "date_precision": precision,
        "known_on": known_on,
    }
    loaded = facts(row)
    assert loaded.available[0] == np.datetime64(available, "D").astype(np.int64)


def test_an_empty_table_is_a_valid_table() -> None:
    assert len(Facts.from_frame(empty_signals(), VOCABULARIES)) == 0


def test_acts_without_an_event_are_separate_incidents() -> None:
    loaded = facts(
        signal(1, 0, "threat"),
        signal(1, 0, "threat"),
        signal(1, 0, "threat", incident_id=3),
        signal(1, 0, "threat", incident_id=3),
    )
    assert len(set(loaded.incident.tolist())) == 3


def test_empty_cells_of_optional_columns_take_their_defaults() -> None:
    empty = {"origin": None, "date_precision": None, "unverified": None, "legal_support": np.nan}
    loaded = facts({**signal(1, 0, "threat"), **empty}, signal(1, 1, "threat", legal_support=True))
    assert loaded.intake.tolist() == [False, False]
    assert loaded.available[0] == day(0)  # a day-precise date is known that day
    assert loaded.unverified.tolist() == [False, False]
    assert loaded.flags["legal_support"].tolist() == [False, True]


def test_nullable_and_text_dtypes_read_as_the_plain_columns_do() -> None:
    rows = (
        signal(1, 0, "threat", region="MX-GRO", incident_id=4, rural=True),
        signal(2, 3, "killing", region=None, sex="woman", protective_measures=True),
        signal(1, 5, "", origin="intake", unverified=True, date_precision="month"),
    )
    plain = Facts.from_frame(frame(*rows), VOCABULARIES)
    typed = Facts.from_frame(frame(*rows).convert_dtypes(), VOCABULARIES)
    for name in ("signal_id", "subject_id", "incident", "day", "available", "act", "region"):
        assert getattr(typed, name).tolist() == getattr(plain, name).tolist(), name
    assert typed.sex.tolist() == plain.sex.tolist()
    assert typed.rural.tolist() == plain.rural.tolist() == [1, -1, -1]
    assert typed.intake.tolist() == plain.intake.tolist() == [False, True, False]
    assert typed.flags["protective_measures"].tolist() == [False, False, True]
    assert typed.codebooks == plain.codebooks


def test_reading_a_signals_table_leaves_the_callers_frame_as_it_was() -> None:
    table = frame(
        signal(1, 0, "threat", region=None, rural=None, unverified=None),
        signal(2, 1, "treat", subject_kind=None, protective_measures="yes"),
    )
    before = table.copy(deep=True)
    with pytest.raises(SignalsError):
        Facts.from_frame(table, VOCABULARIES)
    Facts.from_frame(table.iloc[:1], VOCABULARIES)
    pd.testing.assert_frame_equal(table, before)

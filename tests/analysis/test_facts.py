"""The facts table: what it may hold, what it derives, and how a bad table is refused."""

from __future__ import annotations

import datetime
import subprocess
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from amparo.analysis.facts import (
    FACTS_SCHEMA,
    RECORD_COLUMNS,
    FactsError,
    TermTree,
    periods,
    validate_facts,
    victim_pseudonym,
)
from tests.analysis.world import facts, record, small_world


def problems(error: pytest.ExceptionInfo[FactsError]) -> set[tuple[int | None, str]]:
    return {(p.row, p.column) for p in error.value.problems}


def replaced(table: pa.Table, column: str, values: list[object]) -> pa.Table:
    index = table.schema.get_field_index(column)
    return table.set_column(
        index, table.schema.field(column), pa.array(values, table.schema.field(column).type)
    )


def test_the_facts_hold_periods_and_broader_terms_derived_from_each_record():
    (row,) = facts(
        [
            record(
                1,
                type_of_act="threat_death",
                defender_types=["community_journalist", "lawyer"],
                sex="trans_woman",
                act_date=datetime.date(2024, 8, 1),
                date_precision="month",
            )
        ]
    ).to_pylist()
    assert (row["year"], row["quarter"], row["month"]) == (2024, "2024-Q3", "2024-08")
    assert row["type_of_act_with_ancestors"] == ["threat_death", "threat"]
    assert row["defender_types_with_ancestors"] == ["community_journalist", "journalist", "lawyer"]
    assert row["sex_with_ancestors"] == ["trans_woman", "woman"]
    assert row["consequences_with_ancestors"] == []


@pytest.mark.parametrize(
    "value,precision,expected",
    [
        (datetime.date(2024, 2, 29), "day", (2024, "2024-Q1", "2024-02")),
        (datetime.date(2024, 12, 1), "month", (2024, "2024-Q4", "2024-12")),
        (datetime.date(2024, 1, 1), "year", (2024, None, None)),
        (None, "unknown", (None, None, None)),
    ],
)
def test_a_date_falls_in_the_periods_its_precision_allows(value, precision, expected):
    assert periods(value, precision) == expected


def test_the_victim_pseudonym_is_stable_for_a_key_and_differs_across_keys_and_persons():
    assert victim_pseudonym(b"key one", 42) == victim_pseudonym(b"key one", 42)
    assert victim_pseudonym(b"key one", 42) != victim_pseudonym(b"key two", 42)
    assert victim_pseudonym(b"key one", 42) != victim_pseudonym(b"key one", 43)
    assert 0 <= victim_pseudonym(b"key one", 42) < 2**63


def test_a_cycle_in_the_vocabulary_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        TermTree({"type_of_act": {"a": "b", "b": "a"}})


def test_the_narrower_terms_of_a_term_are_found_at_any_depth():
    tree = TermTree({"type_of_act": {"a": None, "b": "a", "c": "b", "d": None}})
    assert tree.descendants("type_of_act", ["a"]) == {"a", "b", "c"}


def test_a_table_built_elsewhere_is_conformed_to_the_schema():
    world = small_world()
    loose = pa.table(
        {
            name: pc.cast(world.column(name), pa.int32())
            if name in ("act_id", "event_id", "organisation_id")
            else world.column(name)
            for name in reversed(world.column_names)
        }
    )
    checked = validate_facts(loose)
    assert checked.schema.equals(FACTS_SCHEMA)
    assert checked.to_pylist() == world.to_pylist()


def test_an_identifying_column_is_refused_whatever_it_holds():
    world = small_world()
    for column in ("full_name", "locality", "latitude", "notes"):
        with pytest.raises(FactsError, match="holds nothing else") as error:
            validate_facts(world.append_column(column, pa.array(["x"] * world.num_rows)))
        assert problems(error) == {(None, column)}


def test_a_missing_column_is_named():
    with pytest.raises(FactsError, match="missing") as error:
        validate_facts(small_world().drop_columns(["sex"]))
    assert problems(error) == {(None, "sex")}


def test_a_column_of_the_wrong_type_is_named():
    world = small_world()
    text_ids = world.set_column(0, "act_id", pa.array(["one"] * world.num_rows))
    with pytest.raises(FactsError, match="cannot be read as int64") as error:
        validate_facts(text_ids)
    assert problems(error) == {(None, "act_id")}


@pytest.mark.parametrize(
    "column,value,reason",
    [
        ("type_of_act", "Jane Doe, 12 Kimathi St", "not a code"),
        ("age_group", "born 1984-02-01 in Nyeri", "not a code"),
        ("law", "", "not a code"),
        ("country", "Kenya", "ISO 3166-1"),
        ("region", "Nairobi", "ISO 3166-2"),
        ("region", "UG-102", "not a region of the row's country"),
        ("event_status", "archived", "not one of"),
        ("victim_kind", "person", "not one of"),
        ("confidentiality", 7, "not a level"),
        ("act_id", 1, "another row has it"),
        ("year", 1999, "not the year"),
        ("quarter", "2024-Q2", "not the quarter"),
        ("law_provision", "s23", "a provision belongs to a law"),
        ("verified", False, "the event's status is verified"),
    ],
)
def test_a_bad_value_is_refused_with_its_row_and_column(column, value, reason):
    world = small_world()
    values = world.column(column).to_pylist()
    values[2] = value
    with pytest.raises(FactsError, match=reason) as error:
        validate_facts(replaced(world, column, values))
    assert (2, column) in problems(error)


@pytest.mark.parametrize(
    "column,value,reason",
    [
        ("defender_types", ["journalist", "journalist"], "holds a value twice"),
        ("defender_types", ["journalist", None], "holds an empty value"),
        ("consequences", ["Shot at home by J. Doe"], "not a code"),
        ("source_kinds", ["+254 700 000 000"], "not a code"),
        ("type_of_act_with_ancestors", ["threat_death"], "does not hold"),
        ("sex_with_ancestors", ["woman"], "holds broader terms, but sex is empty"),
    ],
)
def test_a_bad_list_is_refused_with_its_row_and_column(column, value, reason):
    world = small_world()
    values = world.column(column).to_pylist()
    values[2] = value
    with pytest.raises(FactsError, match=reason) as error:
        validate_facts(replaced(world, column, values))
    assert (2, column) in problems(error)


@pytest.mark.parametrize(
    "changes,reason",
    [
        ({"act_date": datetime.date(2024, 3, 5), "date_precision": "month"}, "1st of its month"),
        ({"act_date": datetime.date(2024, 3, 1), "date_precision": "year"}, "1 January"),
        ({"act_date": None, "date_precision": "day"}, "exactly when"),
        ({"verified": True, "event_status": "draft"}, "verified or closed"),
        ({"victim_id": None}, "every act has one"),
    ],
)
def test_a_record_that_contradicts_itself_is_refused(changes, reason):
    with pytest.raises(FactsError, match=reason) as error:
        facts([record(1), record(2, **changes)])
    assert {row for row, _ in problems(error)} == {1}


def test_a_record_cannot_bring_derived_or_unknown_fields():
    with pytest.raises(FactsError) as error:
        facts([record(1, year=2020, full_name="Jane Doe")])
    reasons = {p.column: p.reason for p in error.value.problems}
    assert reasons["year"] == "derived from the other columns: leave it out"
    assert "holds nothing else" in reasons["full_name"]


def test_a_record_without_a_field_is_refused():
    incomplete = record(1)
    del incomplete["country"]
    with pytest.raises(FactsError, match="country: missing"):
        facts([incomplete])


def test_every_problem_is_reported_not_only_the_first():
    world = small_world()
    countries = world.column("country").to_pylist()
    countries[0], countries[5] = "kenya", "Uganda"
    with pytest.raises(FactsError) as error:
        validate_facts(replaced(world, "country", countries))
    assert {(0, "country"), (5, "country")} <= problems(error)


def test_records_hold_every_column_but_the_derived_ones():
    assert set(RECORD_COLUMNS) | {"year", "quarter", "month"} < set(FACTS_SCHEMA.names)
    assert "act_id" in RECORD_COLUMNS and "year" not in RECORD_COLUMNS


def test_the_analysis_package_imports_no_django():
    modules = "facts, dimensions, crosstab, charts"
    code = (
        f"import sys; from amparo.analysis import {modules}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

"""Cross-tabs: counts checked by hand on a small world, filters, labels, small-cell suppression."""

from __future__ import annotations

import datetime
from typing import Any

import pyarrow as pa
import pytest

from amparo.analysis.crosstab import (
    CrossTab,
    Filter,
    Period,
    Query,
    QueryError,
    Suppression,
    crosstab,
)
from amparo.analysis.facts import FactsError
from tests.analysis.world import NAMES, TREE, facts, record, small_world

WORLD = small_world()


def counts(table: CrossTab, *keys: str) -> dict[tuple[Any, ...], Any]:
    """{(value of each key, "Total" for a total): shown count} of a cross-tab."""
    found = {}
    for cell in table.cells.to_pylist():
        key = tuple(
            "Total"
            if (cell["all_rows"] and k in {d.key for d in table.rows})
            or (cell["all_columns"] and k in {d.key for d in table.columns})
            else cell[k]
            for k in keys
        )
        found[key] = cell["shown"]
    return found


@pytest.mark.parametrize(
    "measure,kenya,uganda,total",
    [
        ("acts", "4", "3", "7"),  # acts 1, 2, 3, 7 | 4, 5, 6
        ("victims", "2", "2", "4"),  # victims 1, 2 | 3, 4
        ("events", "3", "2", "5"),  # events 1, 2, 5 | 3, 4
    ],
)
def test_acts_victims_and_events_are_counted_distinctly(measure, kenya, uganda, total):
    table = crosstab(WORLD, Query(rows=("country",), measure=measure))
    assert counts(table, "country") == {("KE",): kenya, ("UG",): uganda, ("Total",): total}


def test_a_victim_of_acts_in_two_countries_is_one_victim_in_the_total():
    world = facts([record(1, victim_id=9, country="KE"), record(2, victim_id=9, country="UG")])
    table = crosstab(world, Query(rows=("country",), measure="victims"))
    assert counts(table, "country") == {("KE",): "1", ("UG",): "1", ("Total",): "1"}


def test_a_multi_valued_dimension_counts_an_act_under_each_value_and_once_in_the_total():
    table = crosstab(WORLD, Query(rows=("defender_type",)))
    assert counts(table, "defender_type") == {
        ("journalist",): "4",  # acts 1, 2, 3, 7
        ("community_journalist",): "1",  # act 5
        ("lawyer",): "2",  # acts 2, 6
        (None,): "1",  # act 4: no type recorded
        ("Total",): "7",
    }
    assert table.sums_exceed_totals
    assert any("more than the total" in note for note in table.notes)


def test_margins_of_a_table_with_a_multi_valued_column_count_each_act_once():
    table = crosstab(WORLD, Query(rows=("country",), columns=("defender_type",)))
    found = counts(table, "country", "defender_type")
    assert found[("KE", "journalist")] == "4"
    assert found[("KE", "lawyer")] == "1"
    assert found[("KE", "Total")] == "4"  # act 2 is a journalist and a lawyer: once
    assert found[("Total", "lawyer")] == "2"
    assert found[("Total", "Total")] == "7"


def test_victims_are_counted_once_per_cell_and_once_in_each_total():
    table = crosstab(WORLD, Query(rows=("year",), columns=("country",), measure="victims"))
    found = counts(table, "year", "country")
    assert found[("2024", "KE")] == "2"  # victims 1 and 2
    assert found[("2025", "KE")] == "2"  # victim 1 (act 3) and victim 2 (act 7)
    assert found[("Total", "KE")] == "2"
    assert found[("2024", "Total")] == "3"  # victims 1, 2, 3
    assert found[(None, "UG")] == "1"  # act 6 has no date: victim 4
    assert found[("Total", "Total")] == "4"


def test_a_filter_on_a_broader_term_includes_the_narrower_ones_only_when_asked():
    broad = Filter("type_of_act", ("threat",), include_narrower=True)
    exact = Filter("type_of_act", ("threat",))
    with_narrower = crosstab(WORLD, Query(rows=("country",), filters=(broad,)))
    without = crosstab(WORLD, Query(rows=("country",), filters=(exact,)))
    assert counts(with_narrower, "country") == {("KE",): "3", ("UG",): "1", ("Total",): "4"}
    assert counts(without, "country") == {("KE",): "2", ("Total",): "2"}


def test_a_filter_on_a_shown_multi_valued_dimension_shows_only_the_matching_values():
    journalists = Filter("defender_type", ("journalist",), include_narrower=True)
    table = crosstab(WORLD, Query(rows=("defender_type",), filters=(journalists,)), tree=TREE)
    assert counts(table, "defender_type") == {
        ("journalist",): "4",
        ("community_journalist",): "1",
        ("Total",): "5",  # acts 1, 2, 3, 5, 7; act 2's lawyer is not shown
    }


def test_a_filter_on_a_multi_valued_dimension_keeps_acts_with_any_matching_value():
    lawyers = Filter("defender_type", ("lawyer",))
    table = crosstab(WORLD, Query(rows=("country",), filters=(lawyers,)))
    assert counts(table, "country") == {("KE",): "1", ("UG",): "1", ("Total",): "2"}


def test_filters_combine_and_values_of_typed_columns_are_read_from_text():
    query = Query(
        rows=("country",),
        filters=(Filter("verified", ("true",)), Filter("year", ("2024", "2025"))),
    )
    assert counts(crosstab(WORLD, query), "country") == {("KE",): "4", ("Total",): "4"}


@pytest.mark.parametrize(
    "period,acts",
    [
        (Period(datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)), {1, 2, 4, 5}),
        # Act 1 is known only to March 2024: not within 1-15 March.
        (Period(datetime.date(2024, 3, 1), datetime.date(2024, 3, 15)), {2}),
        (Period(datetime.date(2024, 3, 1), datetime.date(2024, 3, 31)), {1, 2}),
        # Act 3 is known only to 2025: not within January 2025; act 7 is.
        (Period(datetime.date(2025, 1, 1), datetime.date(2025, 1, 31)), {7}),
        (Period(start=datetime.date(2025, 1, 1)), {3, 7}),
        (Period(end=datetime.date(2024, 6, 30)), {1, 2}),
    ],
)
def test_a_period_keeps_acts_whose_date_as_far_as_known_lies_within_it(period, acts):
    query = Query(rows=("country",), period=period, measure="acts")
    table = crosstab(WORLD, query)
    assert counts(table, "country")[("Total",)] == str(len(acts))


def test_every_act_is_in_the_table_including_those_with_a_value_not_recorded():
    table = crosstab(WORLD, Query(rows=("quarter",)))
    assert counts(table, "quarter") == {
        ("2024-Q1",): "2",
        ("2024-Q3",): "2",
        ("2025-Q1",): "1",  # act 7; act 3 is known only to the year
        (None,): "2",
        ("Total",): "7",
    }


def test_labels_are_in_the_language_asked():
    french = crosstab(
        WORLD, Query(rows=("country",), columns=("verified",)), language="fr", names=NAMES
    )
    assert french.wide().column_names == ["Pays", "Vérifié", "Non vérifié", "Total"]
    assert french.wide().column(0).to_pylist() == ["Kenya", "Ouganda", "Total"]
    arabic = crosstab(WORLD, Query(rows=("defender_type",)), language="ar", names=NAMES)
    labels = arabic.cells.column("defender_type_label").to_pylist()
    assert labels == ["صحفي", "صحفي مجتمعي", "محامٍ", "غير مسجَّل", "المجموع"]
    assert arabic.right_to_left
    assert arabic.measure_label == "الأفعال"


def test_a_value_without_a_name_in_the_language_falls_back_to_english_then_to_its_code():
    table = crosstab(WORLD, Query(rows=("type_of_act",)), language="fr", names=NAMES)
    labels = dict(
        zip(
            table.cells.column("type_of_act").to_pylist(),
            table.cells.column("type_of_act_label").to_pylist(),
            strict=True,
        )
    )
    assert labels["threat"] == "Threats"
    assert labels["surveillance"] == "surveillance"


def test_values_follow_the_order_their_names_are_given_in():
    table = crosstab(WORLD, Query(rows=("defender_type",)), names=NAMES)
    assert table.cells.column("defender_type").to_pylist() == [
        "journalist",
        "community_journalist",
        "lawyer",
        None,
        None,
    ]


def test_the_wide_table_has_a_row_per_value_a_column_per_value_and_the_totals():
    table = crosstab(WORLD, Query(rows=("country",), columns=("verified",)), names=NAMES)
    assert table.wide().to_pylist() == [
        {"Country": "Kenya", "Verified": "4", "Not verified": "0", "Total": "4"},
        {"Country": "Uganda", "Verified": "1", "Not verified": "2", "Total": "3"},
        {"Country": "Total", "Verified": "5", "Not verified": "2", "Total": "7"},
    ]


def test_a_table_can_be_had_without_margins():
    table = crosstab(WORLD, Query(rows=("country",), margins=False))
    assert counts(table, "country") == {("KE",): "4", ("UG",): "3"}


@pytest.mark.parametrize(
    "query,message",
    [
        (Query(rows=("country", "year"), columns=("sex", "age_group")), "at most 3"),
        (Query(rows=()), "at least one"),
        (Query(rows=("full_name",)), "not a dimension"),
        (Query(rows=("country",), columns=("country",)), "only once"),
        (Query(rows=("country",), measure="names"), "not something"),
        (Query(rows=("country",), filters=(Filter("year", ("2024; DROP",)),)), "not a value"),
        (Query(rows=("country",), filters=(Filter("verified", ("yes",)),)), "not a value"),
        (Query(rows=("country",), filters=(Filter("year", ()),)), "at least one value"),
        (
            Query(rows=("country",), filters=(Filter("country", ("KE",), True),)),
            "no narrower",
        ),
        (
            Query(
                rows=("country",),
                period=Period(datetime.date(2025, 1, 1), datetime.date(2024, 1, 1)),
            ),
            "ends before",
        ),
    ],
)
def test_a_query_that_cannot_be_answered_is_refused_with_the_reason(query, message):
    with pytest.raises(QueryError, match=message):
        crosstab(WORLD, query)


def test_a_language_without_labels_is_refused():
    with pytest.raises(QueryError, match="No labels"):
        crosstab(WORLD, Query(rows=("country",)), language="de")


def test_filter_values_are_data_never_sql():
    hostile = Filter("country", ("KE') OR ('1'='1", "KE' --"))
    table = crosstab(WORLD, Query(rows=("country",), filters=(hostile,)))
    assert counts(table, "country") == {("Total",): "0"}


def test_facts_not_checked_against_the_schema_are_refused():
    unchecked = WORLD.append_column("full_name", pa.array(["x"] * WORLD.num_rows))
    with pytest.raises(FactsError):
        crosstab(unchecked, Query(rows=("country",)))


# --- small cells -------------------------------------------------------------------------------


def grid(cells: dict[tuple[str, str], int], organisation: int = 2) -> pa.Table:
    """Facts with `count` acts in each (country, verified) cell, all of `organisation`."""
    records = []
    for (country, verified), count in cells.items():
        for _ in range(count):
            records.append(
                record(
                    len(records) + 1,
                    country=country,
                    organisation_id=organisation,
                    verified=verified == "true",
                    event_status="verified" if verified == "true" else "submitted",
                )
            )
    return facts(records)


def shown(table: CrossTab) -> dict[tuple[Any, ...], str]:
    return counts(table, "country", "verified")


def lines_with_one_hidden(table: CrossTab) -> list[tuple[str, Any]]:
    found = shown(table)
    rows = {r for r, _ in found}
    columns = {c for _, c in found}
    bad = [("row", r) for r in rows if sum(found.get((r, c)) == "<5" for c in columns) == 1]
    bad += [("column", c) for c in columns if sum(found.get((r, c)) == "<5" for r in rows) == 1]
    return bad


def test_small_counts_of_other_organisations_are_shown_as_less_than_the_threshold():
    facts_ = grid({("KE", "true"): 20, ("KE", "false"): 30, ("UG", "true"): 2, ("UG", "false"): 40})
    table = crosstab(
        facts_,
        Query(rows=("country",), columns=("verified",)),
        suppression=Suppression(viewer_organisation_id=1),
    )
    found = shown(table)
    assert found[("UG", "true")] == "<5"
    assert "2" not in table.cells.column("shown").to_pylist()
    hidden = [c for c in table.cells.to_pylist() if c["suppressed"]]
    assert all(c["value"] is None for c in hidden)
    assert any("below 5" in note for note in table.notes)


def test_one_hidden_cell_in_a_row_or_column_hides_the_next_smallest_so_totals_reveal_nothing():
    facts_ = grid({("KE", "true"): 10, ("KE", "false"): 3, ("UG", "true"): 12, ("UG", "false"): 20})
    table = crosstab(
        facts_,
        Query(rows=("country",), columns=("verified",)),
        suppression=Suppression(viewer_organisation_id=None),
    )
    found = shown(table)
    assert found[("KE", "false")] == "<5"  # the small cell
    assert found[("KE", "true")] == "<5"  # else 13 - 10 gives it away
    assert found[("UG", "false")] == "<5"  # else 23 - 20 gives it away
    assert found[("UG", "true")] == "<5"  # then the same for the UG row
    assert found[("Total", "Total")] == "45"
    assert lines_with_one_hidden(table) == []


def test_a_small_total_is_hidden_too():
    facts_ = grid({("KE", "true"): 1, ("UG", "true"): 2})
    table = crosstab(
        facts_, Query(rows=("verified",)), suppression=Suppression(viewer_organisation_id=None)
    )
    assert set(table.cells.column("shown").to_pylist()) == {"<5"}


def test_the_threshold_can_be_set():
    facts_ = grid({("KE", "true"): 7, ("UG", "true"): 30})
    query = Query(rows=("country",))
    strict = crosstab(facts_, query, suppression=Suppression(None, threshold=10))
    usual = crosstab(facts_, query, suppression=Suppression(None))
    assert counts(strict, "country")[("KE",)] == "<10"
    assert counts(usual, "country")[("KE",)] == "7"


def test_a_viewer_sees_the_small_counts_of_their_own_organisations_records():
    facts_ = grid({("KE", "true"): 2, ("UG", "true"): 30}, organisation=1)
    table = crosstab(
        facts_, Query(rows=("country",)), suppression=Suppression(viewer_organisation_id=1)
    )
    assert counts(table, "country") == {("KE",): "2", ("UG",): "30", ("Total",): "32"}


def test_a_cell_mostly_of_the_viewers_records_is_hidden_when_others_records_in_it_are_few():
    mine = [record(i) for i in range(1, 12)]
    theirs = [
        record(100, organisation_id=2),
        *(record(200 + i, country="UG", organisation_id=2) for i in range(9)),
    ]
    table = crosstab(
        facts([*mine, *theirs]),
        Query(rows=("country",)),
        suppression=Suppression(viewer_organisation_id=1),
    )
    found = counts(table, "country")
    assert found[("KE",)] == "<5"  # 12 = 11 of the viewer's + 1 of organisation 2's
    assert found[("UG",)] == "<5"  # else 21 - 9 - the viewer's own 11 gives the 1 away
    assert found[("Total",)] == "21"


def test_hiding_a_count_the_viewer_knows_is_never_how_a_total_is_protected():
    mine = [record(i) for i in range(1, 4)]
    theirs = [record(100 + i, country="UG", organisation_id=2) for i in range(2)]
    theirs += [record(200 + i, country="NG", organisation_id=2) for i in range(40)]
    table = crosstab(
        facts([*mine, *theirs]),
        Query(rows=("country",)),
        suppression=Suppression(viewer_organisation_id=1),
    )
    found = counts(table, "country")
    assert found[("UG",)] == "<5"
    assert found[("KE",)] == "3"  # the viewer's own: hiding it would protect nothing
    assert found[("NG",)] == "<5"  # the complement: else 45 - 3 - 40 gives UG away


@pytest.mark.parametrize(
    "suppression", [None, Suppression(viewer_organisation_id=1)], ids=["as-owner", "suppressed"]
)
def test_a_filter_that_keeps_no_act_gives_an_empty_table_not_an_error(suppression):
    # Found through SDG 16.10.1: a category with no case, counted without margins.
    nothing = Filter("country", ("ZZ",))
    table = crosstab(
        WORLD,
        Query(rows=("country", "year"), filters=(nothing,), margins=False),
        suppression=suppression,
    )
    assert table.cells.num_rows == 0
    assert table.wide().num_rows == 0

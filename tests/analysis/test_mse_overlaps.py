"""The overlap table and the CSV file `amparo estimate --overlaps` reads: every problem is reported
with its line and column, and nothing half-read is returned."""

from __future__ import annotations

from pathlib import Path

import pytest

from amparo.analysis.mse import OverlapFileError, OverlapTable, load_overlaps_csv, read_overlaps_csv
from amparo.analysis.mse.overlaps import MAX_FILE_BYTES, MAX_LISTS


def problems(text: str) -> list[tuple[str, int, str | None]]:
    with pytest.raises(OverlapFileError) as caught:
        read_overlaps_csv(text, source="overlaps.csv")
    return [(problem.code, problem.line, problem.column) for problem in caught.value.problems]


def test_a_well_formed_file_gives_the_counts_of_each_pattern() -> None:
    table = read_overlaps_csv("A,B,C,count\n1,0,0,10\n0,1,0,20\n1,1,0,5\n0,0,1,7\n1,1,1,2\n")

    assert table.lists == ("A", "B", "C")
    assert table.observed == 44
    assert table.counts[0b001] == 10  # A only: list A is bit 0
    assert table.counts[0b011] == 5
    assert table.counts[0b111] == 2
    assert table.counts[0b110] == 0  # a pattern left out counts 0


def test_spreadsheet_habits_are_tolerated() -> None:
    text = "\ufeff A , B ,Count\r\n1, 0 ,3\r\n\r\n0,1, 4\r\n,,\r\n1,1,0\r\n"

    table = read_overlaps_csv(text)

    assert table.lists == ("A", "B")
    assert (table.counts[1], table.counts[2], table.counts[3]) == (3, 4, 0)


def test_a_cell_other_than_0_or_1_is_reported_at_its_line_and_column() -> None:
    assert problems("A,B,count\n1,0,3\n1,yes,4\n2,1,1\n") == [
        ("not-binary", 3, "B"),
        ("not-binary", 4, "A"),
    ]


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("-3", "negative-count"),
        ("1.5", "not-whole-number"),
        ("12.0", "not-whole-number"),
        ("abc", "not-whole-number"),
        ("", "not-whole-number"),
        ("1e3", "not-whole-number"),
        ("+4", "not-whole-number"),
        ("9" * 5000, "count-too-large"),
    ],
)
def test_a_count_that_is_not_a_whole_number_of_victims_is_refused(cell: str, code: str) -> None:
    assert problems(f"A,B,count\n1,1,2\n1,0,{cell}\n") == [(code, 3, "count")]


def test_a_hostile_cell_is_not_echoed_whole_in_the_message() -> None:
    with pytest.raises(OverlapFileError) as caught:
        read_overlaps_csv("A,B,count\n1,1," + "x" * 100_000 + "\n")

    assert len(str(caught.value)) < 200


def test_a_pattern_given_twice_names_both_lines() -> None:
    with pytest.raises(OverlapFileError) as caught:
        read_overlaps_csv("A,B,count\n1,0,3\n0,1,4\n1,0,5\n")

    (problem,) = caught.value.problems
    assert (problem.code, problem.line) == ("duplicate-pattern", 4)
    assert "line 2" in problem.message


def test_the_pattern_on_no_list_is_refused_even_with_a_count_of_zero() -> None:
    assert problems("A,B,count\n1,1,2\n0,0,0\n") == [("unobserved-pattern", 3, None)]


def test_a_file_without_a_count_column_is_refused() -> None:
    assert problems("A,B,C\n1,0,1\n") == [("no-count-column", 1, None)]


@pytest.mark.parametrize("header", ["A,count", "count"])
def test_fewer_than_two_lists_are_refused(header: str) -> None:
    assert problems(header + "\n") == [("too-few-lists", 1, None)]


def test_more_lists_than_the_limit_are_refused() -> None:
    header = ",".join(f"L{j}" for j in range(MAX_LISTS + 1)) + ",count"

    assert problems(header + "\n") == [("too-many-lists", 1, None)]


def test_header_mistakes_are_reported_together() -> None:
    assert problems("A,A,,count,count\n") == [
        ("duplicate-column", 1, "count"),
        ("duplicate-column", 1, "A"),
        ("blank-column", 1, None),
    ]


def test_a_row_of_the_wrong_width_is_reported() -> None:
    assert problems("A,B,count\n1,0\n1,1,1,1\n") == [("width", 2, None), ("width", 3, None)]


def test_every_problem_is_reported_at_once_and_nothing_is_returned() -> None:
    found = problems("A,B,count\n1,2,3\n0,0,1\n1,1,-1\n1,1,x\n")

    assert [code for code, _, _ in found] == [
        "not-binary",
        "unobserved-pattern",
        "negative-count",
        "not-whole-number",
    ]


def test_the_message_says_file_line_and_column() -> None:
    with pytest.raises(OverlapFileError) as caught:
        read_overlaps_csv("A,B,count\n1,x,3\n", source="kenya.csv")

    assert str(caught.value) == "kenya.csv, line 2, column 'B': 'x' is not 0 or 1"


def test_an_empty_file_is_refused() -> None:
    assert problems("") == [("empty", 1, None)]


def test_a_file_on_disk_is_read(tmp_path: Path) -> None:
    path = tmp_path / "overlaps.csv"
    path.write_text("police,ngo,count\n1,1,10\n1,0,20\n0,1,30\n", encoding="utf-8")

    assert load_overlaps_csv(path).observed == 60


def test_a_file_too_large_to_be_an_overlap_table_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "overlaps.csv"
    path.write_bytes(b"A,B,count\n" + b"1,1,1\n" * (MAX_FILE_BYTES // 6 + 1))

    with pytest.raises(OverlapFileError) as caught:
        load_overlaps_csv(path)

    assert caught.value.problems[0].code == "too-large"


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "overlaps.csv"
    path.write_bytes("A,B,count\n1,1,\xff\n".encode("latin-1"))

    with pytest.raises(OverlapFileError) as caught:
        load_overlaps_csv(path)

    assert caught.value.problems[0].code == "not-utf8"


def test_membership_rows_become_counts_and_nothing_else() -> None:
    table = OverlapTable.from_membership(
        {"police": [1, 0, 1, True, 0], "ngo": [1, 1, 0, False, 0], "press": [0, 1, 1, 0, 1]}
    )

    assert table.lists == ("police", "ngo", "press")
    assert table.observed == 5
    assert table.counts[0b011] == 1  # police and ngo
    assert table.counts[0b001] == 1  # police only (True counts as 1)
    assert table.counts[0b110] == 1  # ngo and press
    assert table.overlap(1, 2) == 1
    assert table.list_total(2) == 3


def test_a_victim_on_no_list_is_a_mistake_in_the_membership_table() -> None:
    with pytest.raises(ValueError, match="Victim 1 is on no list"):
        OverlapTable.from_membership({"A": [1, 0], "B": [0, 0]})


def test_membership_values_must_be_0_or_1() -> None:
    with pytest.raises(ValueError, match="not 0 or 1"):
        OverlapTable.from_membership({"A": [1, 2], "B": [0, 1]})


def test_removing_a_list_merges_the_patterns_that_differed_only_there() -> None:
    table = read_overlaps_csv("A,B,C,count\n1,0,0,1\n1,1,0,2\n0,1,1,4\n0,0,1,8\n1,0,1,16\n")

    without_b = table.without(1)

    assert without_b.lists == ("A", "C")
    assert without_b.counts == (0, 1 + 2, 8 + 4, 16)

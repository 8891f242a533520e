"""Theme descriptions: the shipped file is valid and labelled; a broken one says where."""

from __future__ import annotations

import pytest

from amparo.analysis.themes import DescriptionsError, load_descriptions
from amparo.analysis.themes.descriptions import COLUMNS
from tests.analysis.conftest import read_sample, themes_of

ISSUE_THEMES = (
    "Human rights defenders",
    "Freedom of the press",
    "Civil society",
    "Freedom of association and peaceful assembly",
    "Freedom of opinion and expression",
    "Reprisals",
)


def test_every_theme_of_the_upr_data_and_of_the_issue_is_described_in_four_languages():
    descriptions = load_descriptions()
    data_themes = {theme for row in read_sample() for theme in themes_of(row)}
    assert data_themes | set(ISSUE_THEMES) <= set(descriptions)
    for theme in ISSUE_THEMES:
        assert set(descriptions[theme].labels) == {"en", "fr", "es", "ar"}
        assert all(descriptions[theme].labels.values())
    assert "journalists" in descriptions["Freedom of the press"].description
    assert "civic space" in descriptions["Civil society"].description


def write(tmp_path, lines):
    path = tmp_path / "descriptions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


HEADER = ",".join(COLUMNS)
GOOD = (
    "Reprisals,Reprisals,Représailles,Represalias,الأعمال الانتقامية,"
    "Protect people who cooperate with the UN from reprisals."
)


@pytest.mark.parametrize(
    "lines,message",
    [
        (["theme,label_en", GOOD], "line 1: missing column"),
        ([HEADER, GOOD, GOOD], "line 3: theme 'Reprisals' is described twice"),
        (
            [HEADER, "Reprisals,Reprisals,,Represalias,x,Protect people from reprisals now."],
            "line 2: empty label_fr",
        ),
        (
            [HEADER, "Reprisals,a,b,c,d,Reprisals."],
            "line 2: the description of 'Reprisals' is too short",
        ),
        ([HEADER, GOOD + ",extra"], "line 2: more values than columns"),
        ([HEADER], "no theme is described"),
    ],
)
def test_a_broken_descriptions_file_names_the_line_and_the_reason(tmp_path, lines, message):
    with pytest.raises(DescriptionsError, match=message):
        load_descriptions(write(tmp_path, lines))


def test_every_problem_in_the_file_is_reported_at_once(tmp_path):
    path = write(tmp_path, [HEADER, GOOD, GOOD, "X,a,b,c,d,too short"])
    with pytest.raises(DescriptionsError) as raised:
        load_descriptions(path)
    assert [problem.line for problem in raised.value.problems] == [3, 4]


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "descriptions.csv"
    path.write_bytes(b"\xff\xfe\x00broken")
    with pytest.raises(DescriptionsError, match=r"descriptions\.csv"):
        load_descriptions(path)

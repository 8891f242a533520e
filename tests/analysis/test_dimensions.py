"""The catalogue of dimensions and measures: the shipped file, and how a bad one is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amparo.analysis.dimensions import (
    CATALOGUE_FILE,
    LANGUAGES,
    CatalogueError,
    catalogue,
    load_catalogue,
)
from amparo.analysis.facts import CODES, FACTS_SCHEMA

ARABIC = re.compile(r"[\u0600-\u06ff]")
ISSUE_DIMENSIONS = {
    "type_of_act",
    "consequence",
    "defender_type",
    "sex",
    "age_group",
    "perpetrator_type",
    "country",
    "region",
    "year",
    "quarter",
    "month",
    "organisation",
    "source_kind",
}


def test_the_shipped_catalogue_has_the_dimensions_and_measures_statistics_need():
    shipped = catalogue()
    assert set(shipped.dimensions) >= ISSUE_DIMENSIONS
    assert set(shipped.measures) == {"acts", "victims", "events"}
    assert {m.distinct for m in shipped.measures.values()} == {"act_id", "victim_id", "event_id"}


def test_every_label_of_the_shipped_catalogue_is_given_in_the_four_languages():
    shipped = catalogue()
    labelled = [d.labels for d in shipped.dimensions.values()]
    labelled += [m.labels for m in shipped.measures.values()]
    labelled += list(shipped.texts.values())
    labelled += [
        labels
        for d in shipped.dimensions.values()
        if isinstance(d.values, dict)
        for labels in d.values.values()
    ]
    for labels in labelled:
        assert set(labels) == set(LANGUAGES)
        assert ARABIC.search(labels["ar"])


def test_each_dimension_matches_its_column_in_the_facts():
    for dimension in catalogue().dimensions.values():
        kind = FACTS_SCHEMA.field(dimension.column).type
        assert dimension.multi_valued == (kind == CODES)
        if dimension.hierarchical:
            assert dimension.ancestors_column in FACTS_SCHEMA.names


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dimensions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


LABELS = "{en: A, fr: B, es: C, ar: د}"
TEXTS = f"""texts:
  total: {LABELS}
  not_recorded: {LABELS}
  multi_valued_note: {LABELS}
  suppressed_note: {LABELS}
"""
MEASURES = f"""measures:
  - key: acts
    distinct: act_id
    labels: {LABELS}
"""


def dimension(**fields: str) -> str:
    values = {
        "key": "country",
        "column": "country",
        "multi_valued": "false",
        "hierarchical": "false",
        "values": "supplied",
        "labels": LABELS,
        **fields,
    }
    lines = [f"    {name}: {value}" for name, value in values.items() if value != "-"]
    return "\n".join(["  -" + lines[0][3:], *lines[1:]]) + "\n"


def problems_of(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    path = write(tmp_path, text)
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path)
    assert all(p.file == str(path) for p in error.value.problems)
    assert str(path) in str(error.value)
    return [(p.line, p.reason) for p in error.value.problems]


def test_a_minimal_catalogue_loads(tmp_path):
    loaded = load_catalogue(write(tmp_path, MEASURES + "dimensions:\n" + dimension() + TEXTS))
    assert list(loaded.dimensions) == ["country"]
    assert loaded.text("total", "ar") == "د"


@pytest.mark.parametrize(
    "fields,line,reason",
    [
        ({"column": "full_name"}, 7, "full_name is not a column of the facts table"),
        ({"column": "type_of_act_with_ancestors"}, 7, "is not a column of the facts table"),
        ({"column": "act_date"}, 7, "act_date cannot be a dimension"),
        ({"multi_valued": "true"}, 8, "country does not hold a list"),
        ({"column": "defender_types"}, 8, "defender_types holds a list"),
        ({"hierarchical": "true"}, 9, "the facts carry no broader terms for country"),
        ({"hierarchical": "maybe"}, 9, "hierarchical should be true or false"),
        ({"key": "Country Name"}, 6, "should be lower-case letters"),
        ({"values": "from_the_database"}, 10, "values should be supplied, as_is or a mapping"),
        ({"labels": "{en: A, fr: B, es: C}"}, 11, "ar is missing"),
        ({"labels": "{en: A, fr: B, es: C, ar: ''}"}, 11, "label in ar is empty"),
        ({"labels": "{en: A, fr: B, es: C, ar: D, de: E}"}, 11, "unknown entry de"),
        ({"colour": "blue"}, 12, "unknown entry colour"),
        ({"values": "-"}, 6, "values is missing"),
    ],
)
def test_a_bad_dimension_is_reported_with_its_line_and_reason(tmp_path, fields, line, reason):
    text = MEASURES + "dimensions:\n" + dimension(**fields) + TEXTS
    found = problems_of(tmp_path, text)
    assert any(at == line and reason in why for at, why in found), found


def test_a_dimension_of_fixed_values_must_name_each_of_them(tmp_path):
    verified = dimension(
        key="verified",
        column="verified",
        values=f'\n      "true": {LABELS}\n      "maybe": {LABELS}',
    )
    found = problems_of(tmp_path, MEASURES + "dimensions:\n" + verified + TEXTS)
    assert (11, "dimension verified: maybe is not a value of verified") in found
    assert (11, "dimension verified: false has no labels") in found


def test_a_dimension_of_fixed_values_cannot_take_its_names_from_elsewhere(tmp_path):
    text = MEASURES + "dimensions:\n" + dimension(key="status", column="event_status") + TEXTS
    found = problems_of(tmp_path, text)
    assert any("name each of draft, submitted, verified, closed" in why for _, why in found)


def test_two_dimensions_cannot_share_a_key_or_a_column(tmp_path):
    text = MEASURES + "dimensions:\n" + dimension() + dimension() + TEXTS
    found = problems_of(tmp_path, text)
    assert (12, "the dimension key country is used twice") in found
    assert (13, "dimension country: another dimension uses country") in found


def test_a_measure_counts_an_identifier_column_only(tmp_path):
    text = MEASURES.replace("act_id", "full_name") + "dimensions:\n" + dimension() + TEXTS
    found = problems_of(tmp_path, text)
    assert any(at == 3 and "full_name is not one of" in why for at, why in found)


def test_every_text_a_table_shows_is_required(tmp_path):
    text = MEASURES + "dimensions:\n" + dimension() + TEXTS.replace("  total: " + LABELS + "\n", "")
    found = problems_of(tmp_path, text)
    assert any("total is missing" in why for _, why in found)


def test_a_file_that_is_not_yaml_is_reported_with_its_line(tmp_path):
    found = problems_of(tmp_path, MEASURES + "dimensions:\n  - key: [country\n" + TEXTS)
    assert len(found) == 1 and found[0][1].startswith("not YAML")
    assert found[0][0] in (7, 8)


def test_a_file_that_cannot_be_read_is_reported(tmp_path):
    path = tmp_path / "dimensions.yaml"
    path.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(CatalogueError, match="cannot be read"):
        load_catalogue(path)


def test_the_shipped_file_is_where_the_code_reads_it():
    assert CATALOGUE_FILE.name == "dimensions.yaml" and CATALOGUE_FILE.exists()

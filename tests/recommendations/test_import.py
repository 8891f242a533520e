"""Importing recommendations: the UHRI layout (the sample fixture of 1,524 rows), UPR Info style
files and Amparo's template; all or nothing, idempotent, row-level errors, hostile files."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from amparo.cases.exchange.tabular import TableError
from amparo.core.models import AuditEntry, User
from amparo.recommendations import services
from amparo.recommendations.models import (
    AffectedGroup,
    Recommendation,
    SdgTarget,
    Theme,
    ThemeLabel,
)
from amparo.recommendations.services.imports import split_list
from tests.recommendations.conftest import SAMPLE_ROWS

pytestmark = pytest.mark.django_db

HEADER = (
    "Annotation Id,Text,Countries Concerned,Recommending Body,UPR Position,Session,Type,"
    "Document Symbol,Themes,Affected Persons,SDGs"
)


def uhri(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


ROW = (
    'x-1,"Protect journalists from attacks.",Kenya,UPR - Norway,Supported,UPR session 8,'
    'UPR recommendation,A/HRC/WG.6/8,"Human rights defenders, Freedom of the press",,'
)


def test_the_sample_of_the_uhri_export_imports_whole_with_its_themes_confirmed(
    reference: None, sample: bytes
) -> None:
    result = services.import_recommendations(None, sample, "upr_sample.csv")

    assert result.ok, result.errors[:5]
    assert (result.format, result.rows, result.created) == ("uhri", SAMPLE_ROWS, SAMPLE_ROWS)
    assert Recommendation.objects.count() == SAMPLE_ROWS
    first = Recommendation.objects.get(annotation_id="upr-29")
    assert (first.state, first.recommending_state, first.mechanism.code) == ("AF", "CZ", "upr")
    assert (first.session_number, first.cycle, first.position) == (5, 1, "supported")
    assert sorted(first.theme_labels.values_list("theme__code", "status")) == [
        ("human_rights_education_and_training", "confirmed"),
        ("human_rights_violations_by_state_agents", "confirmed"),
        ("international_humanitarian_law", "confirmed"),
    ]
    assert not ThemeLabel.objects.exclude(status=ThemeLabel.Status.CONFIRMED).exists()
    assert result.imported_themes == []  # the 54 UPR Info themes are all in the list


def test_importing_the_same_file_again_changes_nothing(reference: None, sample: bytes) -> None:
    services.import_recommendations(None, sample, "upr_sample.csv")
    labels = ThemeLabel.objects.count()

    again = services.import_recommendations(None, sample, "upr_sample.csv")

    assert (again.created, again.updated, again.unchanged) == (0, 0, SAMPLE_ROWS)
    assert Recommendation.objects.count() == SAMPLE_ROWS
    assert ThemeLabel.objects.count() == labels


def test_a_dry_run_checks_everything_and_writes_nothing(reference: None, sample: bytes) -> None:
    entries = AuditEntry.objects.count()
    result = services.import_recommendations(None, sample, "upr_sample.csv", dry_run=True)

    assert result.ok and result.dry_run and result.created == SAMPLE_ROWS
    assert not Recommendation.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_a_changed_row_updates_its_recommendation_and_keeps_the_rest(reference: None) -> None:
    services.import_recommendations(None, uhri(ROW), "a.csv")
    changed = ROW.replace("Protect journalists", "Protect all journalists").replace(
        "Supported", "Noted"
    )

    result = services.import_recommendations(None, uhri(changed), "a.csv")

    assert (result.created, result.updated) == (0, 1)
    recommendation = Recommendation.objects.get(annotation_id="x-1")
    assert recommendation.text == "Protect all journalists from attacks."
    assert recommendation.position == "noted"


def test_columns_may_come_in_any_order_and_case(reference: None) -> None:
    header = (
        "THEMES,text,document symbol,countries concerned,Recommending Body,upr position,"
        "session,annotation id"
    )
    row = (
        '"Civil society",Create a protection mechanism.,A/HRC/1,Colombia,UPR - Chile,Noted,'
        "UPR session 3,y-1"
    )
    result = services.import_recommendations(None, uhri(row, header=header), "b.csv")

    assert result.ok, result.errors
    assert Recommendation.objects.get(annotation_id="y-1").state == "CO"


def test_every_bad_row_is_reported_with_its_row_and_column_and_nothing_is_written(
    reference: None,
) -> None:
    rows = [
        ROW,
        ROW.replace("x-1", "x-2").replace("Kenya", "Atlantis"),
        ROW.replace("x-1", "x-3").replace("UPR - Norway", "Committee of Nobody"),
        ROW.replace("x-1", "x-4").replace("Supported", "Maybe"),
        ROW,  # the same annotation id as row 2
        ROW.replace("x-1", "x-6").replace('"Protect journalists from attacks."', '""'),
    ]
    result = services.import_recommendations(None, uhri(*rows), "bad.csv")

    problems = {(e.row, e.column) for e in result.errors}
    assert problems == {
        (3, "Countries Concerned"),
        (4, "Recommending Body"),
        (5, "UPR Position"),
        (6, ""),
        (7, "Text"),
    }
    assert "row 3, Countries Concerned “Atlantis”" in str(result.errors[0])
    assert not Recommendation.objects.exists()


def test_countries_are_recognised_by_the_names_import_files_use(reference: None) -> None:
    names = {
        "Viet Nam": "VN",
        "Bosnia &amp; Herzegovina": "BA",
        "St Lucia": "LC",
        "Turkey": "TR",
        "Democratic Republic of Congo": "CD",
        "Iran": "IR",
    }
    rows = [
        ROW.replace("x-1", f"c-{i}").replace("Kenya", f'"{name}"') for i, name in enumerate(names)
    ]
    result = services.import_recommendations(None, uhri(*rows), "c.csv")

    assert result.ok, result.errors
    assert sorted(Recommendation.objects.values_list("state", flat=True)) == sorted(names.values())


def test_an_unknown_recommending_state_is_left_empty(reference: None) -> None:
    row = ROW.replace("UPR - Norway", "UPR - &#40;Unknown&#41;")
    assert services.import_recommendations(None, uhri(row), "d.csv").ok
    assert Recommendation.objects.get().recommending_state == ""


def test_themes_not_in_the_list_are_added_as_imported_terms_and_named(reference: None) -> None:
    row = ROW.replace(
        '"Human rights defenders, Freedom of the press"', '"Reprisals, Land grabbing"'
    )
    result = services.import_recommendations(None, uhri(row), "e.csv")

    assert result.imported_themes == ["Land grabbing"]
    theme = Theme.objects.get(label_en="Land grabbing")
    assert theme.origin == Theme.Origin.IMPORTED and theme.code == "imported_land_grabbing"
    services.load_reference(None)  # a reload leaves imported themes alone
    theme.refresh_from_db()
    assert theme.active


def test_list_names_that_hold_a_comma_are_recognised_whole(reference: None) -> None:
    row = ROW.replace(
        ",,",
        ',"Lesbian, gay, bisexual, transgender and intersex persons, Journalists",'
        '"16.10, 16 - Peace, justice and strong institutions, 5.9"',
    ).rstrip(",")
    result = services.import_recommendations(None, uhri(row), "f.csv")

    assert result.ok, result.errors
    recommendation = Recommendation.objects.get()
    assert sorted(g.code for g in recommendation.affected_groups.all()) == [
        "journalists",
        "lesbian_gay_bisexual_transgender_and_intersex_persons",
    ]
    assert sorted(s.code for s in recommendation.sdgs.all()) == ["16", "16.10", "5"]
    assert result.sdg_targets_as_goals == ["5.9"]


def test_split_list_prefers_the_longest_known_name() -> None:
    known = {"a, b", "c"}
    assert split_list("a, b, c, d", known.__contains__) == ["a, b", "c", "d"]
    assert split_list("x|y, z", known.__contains__) == ["x", "y, z"]


def test_a_upr_info_style_file_imports_and_reimports_without_an_id(reference: None) -> None:
    data = (
        b"Recommendation,State under Review,Recommending State,Response,Issues,Session\n"
        b'"Guarantee freedom of assembly.",Honduras,Canada,Accepted,'
        b'"Freedom of association and peaceful assembly",9\n'
    )
    first = services.import_recommendations(None, data, "uprinfo.csv")
    again = services.import_recommendations(None, data, "uprinfo.csv")

    assert first.format == "upr_info" and first.created == 1
    assert again.unchanged == 1
    recommendation = Recommendation.objects.get()
    assert recommendation.annotation_id.startswith("uprinfo-")
    assert (recommendation.state, recommendation.session, recommendation.position) == (
        "HN",
        "UPR session 9",
        "supported",
    )


def test_the_template_round_trips_with_translations(reference: None) -> None:
    template = load_workbook(io.BytesIO(services.template_workbook()))
    sheet = template.worksheets[0]
    columns = [cell.value for cell in sheet[1]]
    example = [cell.value for cell in sheet[2]]
    workbook = Workbook()
    out = workbook.active
    assert out is not None
    out.append(columns)
    values = dict(zip(columns, example, strict=True))
    values.update(annotation_id="t-1", text_fr="Garantir que les défenseurs travaillent sans peur.")
    out.append([values[c] for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = services.import_recommendations(None, buffer.getvalue(), "template.xlsx")

    assert result.ok, result.errors
    recommendation = Recommendation.objects.get(annotation_id="t-1")
    assert recommendation.translations.get().language == "fr"
    assert {label.theme.code for label in recommendation.theme_labels.all()} == {
        "human_rights_defenders",
        "civic_space",
    }


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image.csv"),
        (b"", "empty.csv"),
        (b"just,some,columns\n1,2,3\n", "other.csv"),
        (b"PK\x03\x04 not really a zip", "fake.xlsx"),
        (b"<html></html>", "page.html"),
    ],
)
def test_a_file_that_is_not_such_a_table_is_refused_with_a_reason(
    reference: None, data: bytes, name: str
) -> None:
    with pytest.raises(TableError):
        services.import_recommendations(None, data, name)
    assert not Recommendation.objects.exists()


def test_a_member_who_may_not_record_recommendations_may_not_import(
    reference: None, state_rep: User, sample: bytes
) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.import_recommendations(state_rep, sample, "upr_sample.csv")


def test_an_import_by_a_member_is_audited_once_without_the_texts(
    reference: None, documentalist: User
) -> None:
    services.import_recommendations(documentalist, uhri(ROW), "a.csv")
    entry = AuditEntry.objects.get(action="recommendations.import")
    assert entry.actor == documentalist and entry.changes["created"] == 1
    assert "journalists" not in str(entry.changes).lower()


def test_imported_groups_and_goals_exist_only_once(reference: None) -> None:
    row = ROW.replace(",,", ',"Journalists, Journalists","16, 16"')
    services.import_recommendations(None, uhri(row), "g.csv")
    recommendation = Recommendation.objects.get()
    assert recommendation.affected_groups.count() == 1
    assert recommendation.sdgs.count() == 1
    assert AffectedGroup.objects.filter(origin="imported").count() == 0
    assert SdgTarget.objects.filter(code="16").exists()


def test_a_spreadsheet_formula_in_a_cell_is_stored_as_text(reference: None) -> None:
    row = ROW.replace('"Protect journalists from attacks."', '"=HYPERLINK(""http://x"")"')
    services.import_recommendations(None, uhri(row), "h.csv")
    text = Recommendation.objects.get().text
    assert text == '=HYPERLINK("http://x")'
    out = io.BytesIO()
    services.export_themes(None, Recommendation.objects.all(), "csv", out)
    exported = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    assert exported[0]["text"].startswith("'=")

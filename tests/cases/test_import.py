"""Importing events from the flat table: values, vocabulary, errors, all-or-nothing, re-import."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook

from amparo.cases.access import pseudonym_code
from amparo.cases.exchange import imports, tabular
from amparo.cases.models import Act, Event, Involvement, Person, VersionAction
from amparo.core.models import AuditEntry, Clearance, Role
from tests.cases.exchange import csv_bytes, documentalist, organisation_of
from tests.factories import member

pytestmark = pytest.mark.django_db

BASE = {
    "event_id": "EV-1",
    "event_title": "Attack on the community radio",
    "event_start_date": "2025-03",
    "event_country": "KE",
    "event_region": "Kisumu",
    "event_confidentiality": "restricted",
}
ROWS = [
    {
        **BASE,
        "act_id": "1",
        "act_type": "Menace de mort",  # French label
        "act_date": "2025-03-02",
        "victim_id": "V-1",
        "victim_name": "Akinyi Odera",
        "victim_sex": "Mujer",  # Spanish label
        "victim_defender_types": "journalist|women_hrd",
        "victim_region": "KE-17",
        "victim_country": "KE",
        "perpetrator_name": "Inspector Kiprono Mutai",
        "perpetrator_type": "010100000000",  # HURIDOCS list 24 code
        "perpetrator_involvement": "Directly carried out the act",
    },
    {
        **BASE,
        "act_id": "1",
        "perpetrator_type": "private_security_company",
        "perpetrator_involvement": "Suspected of involvement in the act",
    },
    {
        **BASE,
        "act_id": "2",
        "act_type": "raid",
        "act_consequences": "Forbidden access to workplace",
        "victim_id": "V-2",
        "victim_kind": "organisation",
        "victim_name": "Radio Sauti ya Jamii",
    },
]


def test_a_file_creates_events_with_acts_victims_and_perpetrators() -> None:
    user = documentalist()
    result = imports.import_file(user, organisation_of(user), csv_bytes(ROWS), "cases.csv")

    assert result.ok, result.errors
    assert [o.action for o in result.outcomes] == ["create"]
    event = Event.objects.get(external_id="EV-1")
    assert event.region == "KE-17" and event.start_precision == "month"
    assert event.confidentiality == Clearance.RESTRICTED
    assert event.status == Event.Status.DRAFT
    threat, raid = event.acts.order_by("pk")
    assert threat.type_of_act.code == "threat_death"
    assert threat.victim.full_name == "Akinyi Odera"
    assert threat.victim.sex.code == "woman"
    assert {t.code for t in threat.victim.defender_types.all()} == {"journalist", "women_hrd"}
    assert threat.involvements.count() == 2
    assert raid.victim.kind == Person.Kind.ORGANISATION
    assert [t.code for t in raid.consequences.all()] == ["200400000000"]
    assert AuditEntry.objects.filter(action="cases.import").count() == 1


def test_one_bad_row_writes_nothing_and_says_where_and_why() -> None:
    user = documentalist()
    rows = [*ROWS, {**BASE, "event_id": "EV-2", "act_type": "tea party", "victim_name": "X"}]
    rows.append({**BASE, "event_id": "EV-3", "event_start_date": "03/02/2025"})

    result = imports.import_file(user, organisation_of(user), csv_bytes(rows), "cases.csv")

    assert not result.ok and not result.outcomes
    problems = {(e.row, e.column, e.value) for e in result.errors}
    assert (5, "act_type", "tea party") in problems
    assert (6, "event_start_date", "03/02/2025") in problems
    assert "YYYY-MM-DD" in next(e.message for e in result.errors if e.row == 6)
    assert not Event.objects.exists() and not Person.objects.exists()


def test_problems_found_by_the_services_are_reported_per_row_and_roll_everything_back() -> None:
    user = documentalist()
    rows = [*ROWS, {**BASE, "event_id": "EV-2", "event_start_date": "2999-01-01"}]

    result = imports.import_file(user, organisation_of(user), csv_bytes(rows), "cases.csv")

    assert [(e.row, e.column) for e in result.errors] == [(5, "event_start_date")]
    assert not Event.objects.exists()


def test_a_dry_run_reports_what_would_happen_and_writes_nothing() -> None:
    user = documentalist()
    result = imports.import_file(
        user, organisation_of(user), csv_bytes(ROWS), "cases.csv", dry_run=True
    )

    assert result.ok and result.count("create") == 1 and not result.written
    assert not Event.objects.exists()


def test_importing_the_same_file_again_changes_nothing() -> None:
    user = documentalist()
    organisation = organisation_of(user)
    imports.import_file(user, organisation, csv_bytes(ROWS), "cases.csv")
    version = Event.objects.get().version

    again = imports.import_file(user, organisation, csv_bytes(ROWS), "cases.csv")

    assert again.ok and [o.action for o in again.outcomes] == ["unchanged"]
    assert Event.objects.get().version == version
    assert (Event.objects.count(), Act.objects.count(), Person.objects.count()) == (1, 2, 3)


def test_a_changed_row_updates_the_event_in_place() -> None:
    user = documentalist()
    organisation = organisation_of(user)
    imports.import_file(user, organisation, csv_bytes(ROWS), "cases.csv")
    act_ids = sorted(Act.objects.values_list("pk", flat=True))
    changed = [{**row, "event_title": "Raid on the community radio"} for row in ROWS]

    result = imports.import_file(user, organisation, csv_bytes(changed), "cases.csv")

    assert [o.action for o in result.outcomes] == ["update"]
    assert Event.objects.get().title == "Raid on the community radio"
    assert sorted(Act.objects.values_list("pk", flat=True)) == act_ids
    assert Person.objects.count() == 3 and Involvement.objects.count() == 2


def test_rows_of_one_act_must_agree() -> None:
    user = documentalist()
    rows = [ROWS[0], {**ROWS[1], "act_type": "killing"}]

    result = imports.import_file(user, organisation_of(user), csv_bytes(rows), "cases.csv")

    assert [(e.row, e.column, e.value) for e in result.errors] == [(3, "act_type", "killing")]


def test_unknown_and_missing_columns_are_refused() -> None:
    user = documentalist()
    data = csv_bytes([{"event_id": "1", "colour": "red"}], columns=["event_id", "colour"])

    result = imports.import_file(user, organisation_of(user), data, "cases.csv")

    assert {(e.row, e.column) for e in result.errors} == {(1, "colour"), (1, "event_title")}


def test_an_xlsx_workbook_imports_like_a_csv_file() -> None:
    user = documentalist()
    workbook = Workbook()
    sheet = workbook.active
    columns = list(tabular.COLUMNS)
    sheet.append(columns)
    for row in ROWS:
        sheet.append([row.get(c) for c in columns])
    data = io.BytesIO()
    workbook.save(data)

    result = imports.import_file(user, organisation_of(user), data.getvalue(), "cases.xlsx")

    assert result.ok, result.errors
    assert Act.objects.count() == 2


def test_a_workbook_reads_as_its_cells_show() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Date", "Moment", "Flag", "Whole", "Part", "Text", "Formula", None, "Last"])
    day, moment = datetime.date(2024, 5, 1), datetime.datetime(2024, 5, 1, 13, 30)
    sheet.append([day, moment, True, 3.0, 0.1, "  text  ", "=1/0", None, 7])
    sheet.append([])  # skipped; the rows after it keep their numbers
    sheet.append(["2024-06-01"])
    data = io.BytesIO()
    workbook.save(data)

    table = tabular.read_table(data.getvalue(), "cases.xlsx")

    assert table.columns == [
        "date", "moment", "flag", "whole", "part", "text", "formula", "", "last"
    ]  # fmt: skip
    assert table.rows == [
        (
            2,
            {
                "date": "2024-05-01",
                "moment": "2024-05-01T13:30:00",
                "flag": "yes",
                "whole": "3",
                "part": "0.1",
                "text": "text",
                "last": "7",
            },
        ),
        (4, {"date": "2024-06-01"}),
    ]


def test_a_workbook_whose_first_row_is_empty_is_refused_as_empty() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A2"], sheet["B2"] = "event_id", "event_title"
    data = io.BytesIO()
    workbook.save(data)
    with pytest.raises(tabular.TableError, match="first row must name the columns"):
        tabular.read_table(data.getvalue(), "cases.xlsx")


def test_a_file_that_is_no_table_is_refused_with_a_message() -> None:
    user = documentalist()
    with pytest.raises(tabular.TableError, match="XLSX"):
        imports.import_file(user, organisation_of(user), b"not a zip", "cases.xlsx")
    with pytest.raises(tabular.TableError, match="UTF-8"):
        imports.import_file(user, organisation_of(user), "é".encode("latin-1"), "cases.csv")


def test_only_staff_who_may_record_events_can_import() -> None:
    analyst = member(role=Role.ANALYST, clearance=Clearance.STRICTLY_CONFIDENTIAL)
    with pytest.raises(PermissionDenied):
        imports.import_file(analyst, organisation_of(analyst), csv_bytes(ROWS), "cases.csv")


def test_an_event_above_the_importers_clearance_is_refused_at_its_row() -> None:
    user = documentalist(clearance=Clearance.RESTRICTED)
    rows = [{**row, "event_confidentiality": "strictly confidential"} for row in ROWS]

    result = imports.import_file(user, organisation_of(user), csv_bytes(rows), "cases.csv")

    assert [(e.row, e.column) for e in result.errors] == [(2, "event_id")]
    assert not Event.objects.exists()


def test_a_row_for_a_new_act_adds_it_to_the_event() -> None:
    user = documentalist()
    organisation = organisation_of(user)
    imports.import_file(user, organisation, csv_bytes(ROWS), "cases.csv")
    more = [*ROWS, {**BASE, "act_id": "3", "act_type": "hacking", "victim_id": "V-1"}]

    result = imports.import_file(user, organisation, csv_bytes(more), "cases.csv")

    assert [o.action for o in result.outcomes] == ["update"]
    assert sorted(Event.objects.get().acts.values_list("type_of_act__code", flat=True)) == [
        "hacking",
        "raid",
        "threat_death",
    ]


# --- a person shared by several events (#9.7) --------------------------------------------------

SECOND_EVENT = {
    "event_id": "EV-2",
    "event_title": "Arrest after the broadcast",
    "event_confidentiality": "restricted",
    "act_id": "1",
    "act_type": "raid",
    "victim_id": "V-1",
}


def test_renaming_a_shared_person_versions_and_audits_every_other_event_they_appear_in() -> None:
    user = documentalist()
    organisation = organisation_of(user)
    imports.import_file(user, organisation, csv_bytes(ROWS), "cases.csv")
    first = Event.objects.get(external_id="EV-1")

    result = imports.import_file(
        user,
        organisation,
        csv_bytes([{**SECOND_EVENT, "victim_name": "Akinyi Otieno"}]),
        "cases.csv",
    )

    assert result.ok, result.errors
    person = Person.objects.get(external_id="V-1")
    assert person.full_name == "Akinyi Otieno"
    first.refresh_from_db()
    latest = first.versions.order_by("-number").first()
    assert first.version == 2 and latest is not None
    assert latest.action == VersionAction.UPDATE_PERSON
    (changed,) = latest.changes["persons"]["changed"].values()
    assert changed["full_name"] == {"from": "[encrypted]", "to": "[encrypted]"}
    entry = AuditEntry.objects.get(action="person.update", object_id=str(person.pk))
    assert entry.changes["full_name"] == {"from": "[encrypted]", "to": "[encrypted]"}
    assert first.pk in entry.changes["events"]
    assert "Akinyi" not in str(entry.changes)


def test_a_person_above_the_importers_clearance_is_refused_whatever_the_file_says() -> None:
    """The refusal must not confirm who a hidden person is: one message, at the identifier,
    whether the file's name matches theirs, differs or is left out, and whether it names them
    by external identifier or by an export's reference (P<id>-<code>)."""
    chief = documentalist()
    organisation = organisation_of(chief)
    secret = {"victim_confidentiality": "strictly confidential"}
    hidden = {"perpetrator_confidentiality": "strictly confidential"}
    rows = [{**ROWS[0], **secret, **hidden}, ROWS[1], ROWS[2]]
    imports.import_file(chief, organisation, csv_bytes(rows), "cases.csv")
    officer = Person.objects.get(external_id="", acts_as_victim=None)
    reference = f"P{officer.pk}-{pseudonym_code(officer)}"
    clerk = documentalist(organisation=organisation, clearance=Clearance.RESTRICTED)

    def refusal(victim: dict[str, str]) -> list[tuple[int, str, str]]:
        rows = [{**SECOND_EVENT, **victim}]
        result = imports.import_file(clerk, organisation, csv_bytes(rows), "cases.csv")
        return [(e.row, e.column, e.message) for e in result.errors]

    renamed = refusal({"victim_name": "Someone Else"})
    same_name = refusal({"victim_name": "Akinyi Odera"})
    unnamed = refusal({"victim_identified": "no"})
    by_reference = refusal({"victim_id": reference, "victim_identified": "no"})

    assert renamed == same_name == unnamed
    assert [error[:2] for error in renamed] == [(2, "victim_id")]
    assert [error[2] for error in by_reference] == [error[2] for error in renamed]
    assert "change who" not in renamed[0][2]
    assert Event.objects.count() == 1
    assert Person.objects.get(external_id="V-1").full_name == "Akinyi Odera"

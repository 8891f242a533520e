"""Exports show what their user may see, and an export imported into an empty database gives the
same records back (CSV, XLSX and the HURIDOCS exchange)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook

from amparo.cases import services
from amparo.cases.exchange import exports, huridocs, imports, tabular
from amparo.cases.models import (
    Act,
    ChainLink,
    ConsentRecord,
    Event,
    EventVersion,
    Intervention,
    Involvement,
    Person,
    RecipientKind,
    SharingGrant,
    Source,
)
from amparo.core.models import AuditEntry, Clearance, Role, User
from tests.cases.exchange import documentalist, organisation_of, record_event, term
from tests.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


def csv_export(user: User) -> str:
    out = io.StringIO()
    exports.export(user, "csv", out)
    return out.getvalue()


def rows_of(text: str) -> list[dict[str, str]]:
    table = tabular.read_csv(text.encode())
    return [values for _line, values in table.rows]


def comparable(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows without what a new database numbers by itself."""
    return [{k: v for k, v in row.items() if k not in {"event_status"}} for row in rows]


def empty_the_database() -> None:
    for model in (ChainLink, Source, Intervention, Involvement, Act, EventVersion, SharingGrant):
        model.objects.all().delete()
    ConsentRecord.objects.all().delete()
    Event.objects.all().delete()
    Person.objects.all().delete()


def test_the_csv_export_has_one_row_per_act_and_perpetrator() -> None:
    user = documentalist()
    record_event(user)

    rows = rows_of(csv_export(user))

    assert len(rows) == 2
    first, second = rows
    assert first["act_type"] == "threat_death" and first["victim_name"] == "Akinyi Odera"
    assert first["victim_identified"] == "yes" and first["perpetrator_type"] == "010100000000"
    assert second["victim_kind"] == "organisation" and second["act_date"] == "2025-03"
    assert AuditEntry.objects.filter(action="cases.export").exists()


def test_an_export_round_trips_through_an_empty_database() -> None:
    user = documentalist()
    record_event(user)
    before = rows_of(csv_export(user))
    empty_the_database()

    result = imports.import_file(
        user, organisation_of(user), csv_export_bytes(before), "export.csv"
    )

    assert result.ok, result.errors
    assert comparable(rows_of(csv_export(user))) == comparable(before)


def csv_export_bytes(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    tabular.write_csv(rows, out)
    return out.getvalue().encode()


def test_the_xlsx_export_round_trips_too() -> None:
    user = documentalist()
    record_event(user)
    before = rows_of(csv_export(user))
    data = io.BytesIO()
    exports.export(user, "xlsx", data)
    sheet = load_workbook(io.BytesIO(data.getvalue()), read_only=True).worksheets[0]
    assert next(sheet.iter_rows(values_only=True))[0] == "event_id"
    empty_the_database()

    result = imports.import_file(user, organisation_of(user), data.getvalue(), "export.xlsx")

    assert result.ok, result.errors
    assert comparable(rows_of(csv_export(user))) == comparable(before)


def test_a_person_the_exporter_may_not_identify_is_exported_under_a_pseudonym() -> None:
    owner = documentalist()
    record_event(owner)
    organisation = organisation_of(owner)
    analyst = member(
        role=Role.ANALYST, clearance=Clearance.STRICTLY_CONFIDENTIAL, organisation=organisation
    )

    rows = rows_of(csv_export(analyst))

    assert rows and all(row["victim_identified"] == "no" for row in rows)
    assert "Akinyi" not in csv_export(analyst)
    assert rows[0]["victim_contact"] == "" and rows[0]["victim_name"].startswith("Defender ")


def test_an_export_leaves_out_events_above_the_users_clearance_and_other_organisations() -> None:
    owner = documentalist()
    record_event(owner)
    low = documentalist(organisation=organisation_of(owner), clearance=Clearance.RESTRICTED)
    stranger = documentalist(organisation=OrganisationFactory())

    assert rows_of(csv_export(low)) == []
    assert rows_of(csv_export(stranger)) == []


def test_a_formula_in_a_cell_is_exported_as_text() -> None:
    user = documentalist()
    record_event(user, title='=HYPERLINK("http://evil")')

    assert "'=HYPERLINK" in csv_export(user)
    assert rows_of(csv_export(user))[0]["event_title"] == '=HYPERLINK("http://evil")'


def test_the_json_export_nests_acts_sources_and_interventions() -> None:
    user = documentalist()
    event = record_event(user)
    services.add_intervention(
        user, event, services.InterventionInput(intervention_type=term("20", "010600000000"))
    )
    out = io.StringIO()
    exports.export(user, "json", out)

    document = json.loads(out.getvalue())

    (exported,) = document["events"]
    assert exported["reference_code"] == event.reference_code
    assert len(exported["acts"]) == 2
    assert exported["acts"][0]["victim"]["full_name"] == "Akinyi Odera"
    assert exported["interventions"][0]["type"]["code"] == "010600000000"


def huridocs_document(user: User) -> dict[str, Any]:
    out = io.StringIO()
    huridocs.export(user, out)
    return json.loads(out.getvalue())


def test_the_huridocs_export_uses_esf_field_names_and_vocab_numbers() -> None:
    user = documentalist()
    event = record_event(user)
    services.add_source(
        user,
        event,
        services.SourceInput(reliability=term("42", "010000000000"), material="Testimony."),
    )

    document = huridocs_document(user)

    (event_record,) = document["event"]
    assert event_record["event_record_number"] == event.reference_code
    assert event_record["initial_date"] == "2025-03-02"
    threat = document["act"][0]
    # Our "death threat" travels as its HURIDOCS equivalent in list 04.
    assert threat["type_of_act"] == "02010302000004"
    assert threat["x_amparo"]["type_of_act"] == "threat_death"
    assert document["involvement"][0]["type_of_perpetrator"] == ["01010000000024"]
    assert document["information"][0]["reliability_of_information"] == "01000000000042"
    names = {p["person_name"] for p in document["person"]}
    assert "Akinyi Odera" in names


def test_a_huridocs_document_round_trips_through_an_empty_database() -> None:
    user = documentalist()
    event = record_event(user)
    services.add_source(
        user, event, services.SourceInput(reliability=term("42", "010000000000"), material="X.")
    )
    services.add_intervention(
        user, event, services.InterventionInput(intervention_type=term("20", "010600000000"))
    )
    other = record_event(user, title="Surveillance of the radio")
    services.add_chain_link(user, event, other, term("22", "010000000000"))
    before = comparable(rows_of(csv_export(user)))
    document = huridocs_document(user)
    empty_the_database()

    result = huridocs.import_document(user, organisation_of(user), json.dumps(document).encode())

    assert result.ok, result.errors
    assert comparable(rows_of(csv_export(user))) == before
    assert Source.objects.count() == 1 and Intervention.objects.count() == 1
    assert ChainLink.objects.count() == 1


def test_a_huridocs_record_without_amparo_extensions_maps_by_vocab_number() -> None:
    user = documentalist()
    document = {
        "format": "huridocs-esf",
        "event": [
            {
                "event_record_number": "OEV-7",
                "event_title": "Arrest of a union leader",
                "initial_date": "2024-05-01",
                "initial_date_type": "02000000000048",
                "confidentiality": "y",
                "geographical_term": ["01013500000015"],
            }
        ],
        "person": [
            {"person_record_number": "P-1", "person_name": "Tendai Moyo", "sex": "01000000000039"}
        ],
        "act": [
            {
                "act_record_number": "A-1",
                "event": "OEV-7",
                "victim": "P-1",
                "type_of_act": "02010302000004",
            }
        ],
    }

    result = huridocs.import_document(user, organisation_of(user), json.dumps(document).encode())

    assert result.ok, result.errors
    event = Event.objects.get(external_id="OEV-7")
    assert event.start_precision == "month" and event.country == "KE"
    assert event.confidentiality == Clearance.RESTRICTED
    act = event.acts.get()
    assert act.victim.full_name == "Tendai Moyo" and act.victim.sex.code == "man"
    assert act.type_of_act.thesaurus.code in ("hrd_violations", "04")


def test_consent_given_to_partners_does_not_reach_an_export_of_the_owner() -> None:
    """Exports are for the owning organisation's staff, who see identities by role anyway."""
    owner = documentalist()
    event = record_event(owner)
    victim = event.acts.order_by("pk").first().victim
    services.give_consent(
        owner, victim, recipient_kind=RecipientKind.PARTNER_ORGANISATIONS, purpose="Advocacy"
    )
    assert "Akinyi Odera" in csv_export(owner)

"""Helpers shared by the import, export, API and demo tests: a small documented world."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Sequence

from amparo.cases import services
from amparo.cases.exchange.tabular import COLUMNS
from amparo.cases.models import DatePrecision, Event
from amparo.core import vocabulary
from amparo.core.models import Clearance, Organisation, Role, Term, User
from tests.factories import OrganisationFactory, member


def documentalist(
    organisation: Organisation | None = None, clearance: int = Clearance.STRICTLY_CONFIDENTIAL
) -> User:
    return member(
        role=Role.DOCUMENTALIST,
        clearance=clearance,
        organisation=organisation or OrganisationFactory(short_code="NHRI-KE"),
    )


def organisation_of(user: User) -> Organisation:
    return user.memberships.get().organisation


def term(thesaurus: str, code: str) -> Term:
    return vocabulary.term(thesaurus, code)


def record_event(actor: User, title: str = "Threats against a radio journalist") -> Event:
    """An event with two victims (a journalist and her organisation) and one perpetrator."""
    journalist = services.PersonInput(
        full_name="Akinyi Odera",
        other_names="Aki",
        contact="+254 700 000 001",
        sex=term("gender", "woman"),
        age_group=term("age_groups", "30_49"),
        defender_types=[term("defender_types", "journalist")],
        country="KE",
        region="KE-17",
    )
    station = services.PersonInput(
        kind="organisation",
        full_name="Radio Sauti ya Jamii",
        defender_types=[term("defender_types", "cso")],
        country="KE",
    )
    officer = services.PersonInput(full_name="Inspector Kiprono Mutai", country="KE")
    return services.create_event(
        actor,
        organisation_of(actor),
        services.EventInput(
            title=title,
            description="Calls and a leaflet after a broadcast on land grabbing.",
            start_date=datetime.date(2025, 3, 2),
            start_precision=DatePrecision.DAY,
            country="KE",
            region="KE-17",
            locality="Kisumu",
            confidentiality=Clearance.CONFIDENTIAL,
            notes="Met her at the office on 4 March.",
            acts=[
                services.ActInput(
                    victim=journalist,
                    type_of_act=term("hrd_violations", "threat_death"),
                    date=datetime.date(2025, 3, 2),
                    date_precision=DatePrecision.DAY,
                    targeted_activity=term("defender_types", "journalist"),
                    remarks="Three calls from a hidden number.",
                    involvements=[
                        services.InvolvementInput(
                            perpetrator=officer,
                            perpetrator_type=term("24", "010100000000"),
                            degree_of_involvement=term("18", "010100000000"),
                        )
                    ],
                ),
                services.ActInput(
                    victim=station,
                    type_of_act=term("hrd_violations", "stigmatisation_officials"),
                    date=datetime.date(2025, 3, 1),
                    date_precision=DatePrecision.MONTH,
                    consequences=[term("25", "200400000000")],
                ),
            ],
        ),
    )


def csv_bytes(rows: Sequence[dict[str, str]], columns: Sequence[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()

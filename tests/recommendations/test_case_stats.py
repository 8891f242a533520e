"""The case statistics on a recommendation's page count only the acts its reader may see."""

from __future__ import annotations

import datetime

import pytest

from amparo.core.models import Clearance, Organisation, Role, Term, Thesaurus, User
from amparo.recommendations import case_stats, services
from amparo.recommendations.models import Recommendation
from tests.factories import ActFactory, EventFactory, OrganisationFactory, member

pytestmark = pytest.mark.django_db
NEEDS_VOCABULARIES = False


@pytest.fixture
def violations() -> dict[str, Term]:
    thesaurus = Thesaurus.objects.create(
        code="hrd_violations", slug="hrd-violations", label_en="Violations", source="amparo_hrd"
    )
    killing = Term.objects.create(
        thesaurus=thesaurus, code="killing", label_en="Killing", source="x"
    )
    attack = Term.objects.create(thesaurus=thesaurus, code="attack", label_en="Attack", source="x")
    shooting = Term.objects.create(
        thesaurus=thesaurus,
        code="shooting",
        label_en="Shooting",
        parent=attack,
        depth=1,
        source="x",
    )
    threat = Term.objects.create(thesaurus=thesaurus, code="threat", label_en="Threat", source="x")
    return {"killing": killing, "attack": attack, "shooting": shooting, "threat": threat}


def act(organisation: Organisation, term: Term, day: datetime.date, **event: object) -> None:
    ActFactory(
        event=EventFactory(
            organisation=organisation,
            country=event.get("country", "KE"),
            start_date=day,
            confidentiality=event.get("confidentiality", Clearance.RESTRICTED),
        ),
        type_of_act=term,
        date=day,
        date_precision="day",
    )


def test_acts_of_the_linked_types_are_counted_by_year_for_what_the_reader_sees(
    recommendation: Recommendation,
    documentalist: User,
    nhri: Organisation,
    violations: dict[str, Term],
) -> None:
    act(nhri, violations["killing"], datetime.date(2023, 5, 1))
    act(nhri, violations["shooting"], datetime.date(2023, 7, 1))  # narrower than "attack"
    act(nhri, violations["killing"], datetime.date(2024, 1, 9))
    act(nhri, violations["threat"], datetime.date(2024, 1, 9))  # another type
    act(nhri, violations["killing"], datetime.date(2024, 2, 1), country="UG")  # another country
    act(
        nhri,
        violations["killing"],
        datetime.date(2024, 3, 1),
        confidentiality=Clearance.STRICTLY_CONFIDENTIAL,
    )
    act(OrganisationFactory(), violations["killing"], datetime.date(2024, 4, 1))  # not shared
    link = services.link_cases(
        documentalist,
        recommendation,
        country="KE",
        types_of_act=[violations["killing"], violations["attack"]],
        period_start=datetime.date(2023, 1, 1),
    )

    years = case_stats.acts_by_year(documentalist, link)

    assert [(y.year, y.count) for y in years] == [(2023, 2), (2024, 1)]
    assert dict(years[0].by_type) == {"Killing": 1, "Shooting": 1}
    reader = member(Role.READ_ONLY, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    assert [(y.year, y.count) for y in case_stats.acts_by_year(reader, link)] == [
        (2023, 2),
        (2024, 2),
    ]
    outsider = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL)
    assert case_stats.acts_by_year(outsider, link) == []

"""Events recorded through the case services, for the statistics tests."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from amparo.cases import services
from amparo.cases.models import DatePrecision, Event
from amparo.cases.services import ActInput, EventInput, InvolvementInput, PersonInput, SourceInput
from amparo.core.models import Clearance, Organisation, Term, User


def term(code: str, thesaurus: str) -> Term:
    return Term.objects.get(thesaurus__code=thesaurus, code=code)


def victim(
    name: str,
    *,
    types: Sequence[str] = ("journalist",),
    sex: str = "woman",
    country: str = "KE",
) -> PersonInput:
    return PersonInput(
        full_name=name,
        sex=term(sex, "gender"),
        age_group=term("30_49", "age_groups"),
        defender_types=[term(code, "defender_types") for code in types],
        country=country,
    )


def record(
    actor: User,
    organisation: Organisation,
    *,
    acts: Sequence[tuple[PersonInput, str]],
    date: datetime.date = datetime.date(2025, 3, 2),
    country: str = "KE",
    confidentiality: int = Clearance.CONFIDENTIAL,
    perpetrator: str | None = "24:010100000000",
    sources: Sequence[PersonInput | None] = (),
    title: str = "Attack on defenders",
) -> Event:
    """An event with one act per (victim, type of act code), each by a perpetrator of the
    given type ("thesaurus:code" or a perpetrator_types code), and sources."""
    involvements: list[InvolvementInput] = []
    if perpetrator is not None:
        thesaurus, _, code = perpetrator.rpartition(":")
        involvements = [
            InvolvementInput(perpetrator_type=term(code, thesaurus or "perpetrator_types"))
        ]
    return services.create_event(
        actor,
        organisation,
        EventInput(
            title=title,
            start_date=date,
            start_precision=DatePrecision.DAY,
            country=country,
            confidentiality=confidentiality,
            acts=[
                ActInput(
                    victim=person,
                    type_of_act=term(code, "hrd_violations"),
                    date=date,
                    date_precision=DatePrecision.DAY,
                    involvements=list(involvements),
                )
                for person, code in acts
            ],
            sources=[SourceInput(source_person=source, received_on=date) for source in sources],
        ),
    )


def institution(name: str, country: str = "KE") -> PersonInput:
    from amparo.cases.models import Person

    return PersonInput(kind=Person.Kind.ORGANISATION, full_name=name, country=country)

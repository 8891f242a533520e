"""Laws that restrict civic space, their provisions, and the acts that used them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse

from amparo.api import tokens
from amparo.cases import services
from amparo.cases.models import Act
from amparo.core.models import AuditEntry, Clearance, Role
from amparo.core.services import DomainError
from amparo.stats import access
from amparo.stats.models import LawUse, LegalMeasure
from amparo.stats.services import laws
from tests.cases.conftest import sign_in
from tests.factories import OrganisationFactory, member
from tests.stats.world import record, victim

pytestmark = pytest.mark.django_db


def law(actor, organisation, **overrides) -> LegalMeasure:
    values = dict(
        country="KE", title="Public Order Act", kind="protest", stage="adopted", source="Gazette"
    )
    values.update(overrides)
    return laws.create_law(actor, organisation, laws.LawInput(**values))


def test_a_law_is_recorded_with_its_provisions_and_audited(documentalist, nhri) -> None:
    measure = law(documentalist, nhri)
    laws.add_provision(documentalist, measure, "Section 5", "Prior authorisation")
    assert measure.provisions.get().reference == "Section 5"
    assert AuditEntry.objects.filter(action="law.create").exists()
    with pytest.raises(ValidationError):
        laws.add_provision(documentalist, measure, "section 5")


@pytest.mark.parametrize("kind", ["", "made_up", "protest;drop"])
def test_a_type_of_measure_must_come_from_the_list(documentalist, nhri, kind) -> None:
    with pytest.raises(ValidationError):
        law(documentalist, nhri, kind=kind)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.ADMINISTRATOR, True),
        (Role.DOCUMENTALIST, True),
        (Role.ANALYST, True),
        (Role.NETWORK_SECRETARIAT, True),
        (Role.FOCAL_POINT, False),
        (Role.READ_ONLY, False),
        (Role.STATE_REPRESENTATIVE, False),
    ],
)
def test_who_may_record_and_edit_laws(nhri, role, allowed) -> None:
    user = member(role, Clearance.PUBLIC, nhri)
    if not allowed:
        with pytest.raises(PermissionDenied):
            law(user, nhri)
        return
    measure = law(user, nhri)
    assert access.law_actions(user, measure) == {"edit"}
    outsider = member(role, Clearance.PUBLIC, OrganisationFactory())
    assert access.law_actions(outsider, measure) == frozenset()
    with pytest.raises(PermissionDenied):
        laws.update_law(
            outsider,
            measure,
            laws.law_input({**{f: getattr(measure, f) for f in laws.LAW_FIELDS}, "title": "X"}),
        )


def test_naming_the_law_of_an_act_needs_the_right_to_edit_its_event(documentalist, nhri) -> None:
    measure = law(documentalist, nhri)
    act = Act.objects.get(
        event=record(documentalist, nhri, acts=[(victim("A"), "criminalisation")])
    )
    with pytest.raises(PermissionDenied):
        laws.record_use(member(Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, nhri), act, measure)
    with pytest.raises(Http404):  # an event one may not see does not exist
        laws.record_use(member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL), act, measure)
    other = law(documentalist, nhri, title="Other act")
    foreign = laws.add_provision(documentalist, other, "s. 1")
    with pytest.raises(ValidationError):
        laws.record_use(documentalist, act, measure, foreign.pk)
    laws.record_use(documentalist, act, measure)
    assert LawUse.objects.get(act=act).measure == measure


def test_a_closed_event_refuses_a_new_law_use(documentalist, nhri) -> None:
    measure = law(documentalist, nhri)
    event = record(documentalist, nhri, acts=[(victim("A"), "criminalisation")])
    verifier = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    services.submit_event(documentalist, event)
    event.refresh_from_db()
    services.verify_event(verifier, event)
    event.refresh_from_db()
    services.close_event(verifier, event)
    with pytest.raises(DomainError):
        laws.record_use(documentalist, Act.objects.get(event=event), measure)


def test_the_laws_page_says_which_laws_were_used_against_whom(
    client: Client, documentalist, nhri
) -> None:
    measure = law(documentalist, nhri, title="Public <Order> Act")
    for index in range(2):
        event = record(documentalist, nhri, acts=[(victim(f"A{index}"), "criminalisation")])
        laws.record_use(documentalist, Act.objects.get(event=event), measure)
    sign_in(client, documentalist)
    page = client.get(reverse("stats:law_list") + "?country=KE").content.decode()
    assert "Public &lt;Order&gt; Act" in page and "<Order>" not in page
    assert "by the law used and the type of defender" in page
    detail = client.get(reverse("stats:law_detail", args=[measure.pk]))
    assert detail.status_code == 200


def test_the_two_step_page_records_the_law_an_act_used(client: Client, documentalist, nhri) -> None:
    measure = law(documentalist, nhri)
    provision = laws.add_provision(documentalist, measure, "Section 5")
    event = record(documentalist, nhri, acts=[(victim("A"), "criminalisation")])
    act = Act.objects.get(event=event)
    sign_in(client, documentalist)
    url = reverse("stats:law_use", args=[measure.pk]) + f"?reference_code={event.reference_code}"
    assert "Act" in client.get(url).content.decode()
    response = client.post(url, {"act": act.pk, "provision": provision.pk})
    assert response.status_code == 302
    assert LawUse.objects.get(act=act).provision == provision


def test_the_api_lists_laws_and_records_uses(client: Client, documentalist, nhri) -> None:
    measure = law(documentalist, nhri)
    act = Act.objects.get(event=record(documentalist, nhri, acts=[(victim("A"), "slapp")]))
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {tokens.issue_token(None, documentalist, name='t').secret}"
    }
    listed = client.get("/api/v1/stats/laws?country=KE", **headers).json()
    assert [item["code"] for item in listed] == [measure.code]
    answer = client.post(
        "/api/v1/stats/law-uses",
        {"act_id": act.pk, "law_id": measure.pk},
        content_type="application/json",
        **headers,
    )
    assert answer.status_code == 200
    assert LawUse.objects.filter(act=act).exists()
    stranger = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL)
    theirs = {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue_token(None, stranger, name='t').secret}"}
    refused = client.post(
        "/api/v1/stats/law-uses",
        {"act_id": act.pk, "law_id": measure.pk},
        content_type="application/json",
        **theirs,
    )
    assert refused.status_code == 404


def test_the_network_reads_the_laws_adopted_in_its_window_by_their_adoption_date(
    documentalist, nhri
) -> None:
    import datetime

    from amparo.stats import queries

    day = datetime.date
    law(documentalist, nhri, title="Foreign Agents Act", adopted_on=day(2024, 3, 1))
    law(documentalist, nhri, title="Old Act", adopted_on=day(2019, 1, 1))
    law(documentalist, nhri, title="A bill", stage="bill", introduced_on=day(2024, 5, 1))
    law(documentalist, nhri, title="Struck", stage="struck_down", adopted_on=day(2024, 6, 1))
    law(documentalist, nhri, title="Elsewhere", country="UG", adopted_on=day(2024, 3, 1))

    answers = queries.restrictive_laws(
        countries=["ke", "TN"], start=day(2023, 1, 1), end=day(2025, 1, 1)
    )
    answer = answers["KE"]
    assert answers["TN"]["items"] == []

    assert answer["items"] == [
        {"recorded_on": day(2024, 3, 1), "title": "Foreign Agents Act"},
        {"recorded_on": day(2024, 6, 1), "title": "Struck"},
    ]
    assert answer["url"] == "/stats/laws/?country=KE"

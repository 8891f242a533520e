"""The cases pages: the guided recording page, the list, the event page and its panels."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amparo.cases.models import Act, ConsentRecord, Event, EventVersion, Involvement, Person
from amparo.cases.models import SharingGrant as Grant
from amparo.core.models import Clearance, Organisation, Role, User
from tests.cases.conftest import sign_in
from tests.factories import ActFactory, EventFactory, OrganisationFactory, member


@pytest.fixture
def signed_in(client: Client, documentalist: User) -> Client:
    return sign_in(client, documentalist)


def management(prefix: str, total: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def guided_post(term, organisation: Organisation, **overrides: str) -> dict[str, Any]:
    """The guided page filled in: two victims, one perpetrator, two acts."""
    data: dict[str, Any] = {
        "organisation": str(organisation.pk),
        "title": "Defenders threatened after a land-rights meeting",
        "description": "Two community leaders were threatened by a man in uniform.",
        "start_date": "2026-02-14",
        "start_precision": "day",
        "end_precision": "unknown",
        "country": "KE",
        "region": "KE-30",
        "locality": "Kibera",
        "confidentiality": str(Clearance.CONFIDENTIAL),
        **management("victims", 2),
        "victims-0-kind": "individual",
        "victims-0-full_name": "Grace Akinyi",
        "victims-0-sex": str(term("woman", "gender").pk),
        "victims-0-defender_types": [str(term("environmental", "defender_types").pk)],
        "victims-0-confidentiality": str(Clearance.CONFIDENTIAL),
        "victims-1-kind": "individual",
        "victims-1-full_name": "Peter Mwangi",
        "victims-1-sex": str(term("man", "gender").pk),
        "victims-1-confidentiality": str(Clearance.CONFIDENTIAL),
        **management("perpetrators", 1),
        "perpetrators-0-kind": "individual",
        "perpetrators-0-full_name": "",
        "perpetrators-0-perpetrator_type": str(
            term("private_security_company", "perpetrator_types").pk
        ),
        **management("acts", 2),
        "acts-0-victim": "1",
        "acts-0-type_of_act": str(term("threat_death", "hrd_violations").pk),
        "acts-0-date": "2026-02-14",
        "acts-0-date_precision": "day",
        "acts-0-perpetrators": ["1"],
        "acts-1-victim": "2",
        "acts-1-type_of_act": str(term("threat", "hrd_violations").pk),
        "acts-1-date_precision": "unknown",
        "acts-1-perpetrators": ["1"],
        "save": "1",
    }
    data.update(overrides)
    return data


# --- Recording ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_guided_page_records_an_event_with_two_victims_and_a_perpetrator_in_one_post(
    signed_in: Client, nhri, documentalist, term
) -> None:
    assert signed_in.get(reverse("cases:event_create"), follow=True).status_code == 200

    response = signed_in.post(reverse("cases:event_create"), guided_post(term, nhri))

    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:event_detail", args=[event.pk])
    assert event.organisation == nhri and event.created_by == documentalist
    assert event.acts.count() == 2
    assert sorted(p.full_name for p in Person.objects.filter(acts_as_victim__event=event)) == [
        "Grace Akinyi",
        "Peter Mwangi",
    ]
    involvements = Involvement.objects.filter(act__event=event)
    assert involvements.count() == 2
    assert {i.perpetrator_id for i in involvements} == {None}  # unnamed: type only
    page = signed_in.get(response["Location"]).content.decode()
    assert "Grace Akinyi" in page and event.reference_code in page


@pytest.mark.django_db
def test_errors_are_shown_next_to_their_fields_and_nothing_is_written(
    signed_in: Client, nhri, term
) -> None:
    data = guided_post(
        term, nhri, title="", **{"victims-1-region": "FR-IDF", "victims-1-country": "KE"}
    )

    response = signed_in.post(reverse("cases:event_create"), data)

    assert response.status_code == 400
    html = response.content.decode()
    title_field = re.search(r'<label for="id_title">.*?</div>', html, re.S)
    assert title_field and "This field is required." in title_field.group(0)
    region_field = re.search(r'<label for="id_victims-1-region">.*?</div>', html, re.S)
    assert region_field and "FR-IDF is not a region of KE." in region_field.group(0)
    assert "Nothing was saved" in html
    assert not Event.objects.exists() and not Person.objects.exists()
    assert 'value="Grace Akinyi"' in html  # what was typed is kept


@pytest.mark.django_db
def test_an_act_must_point_at_a_filled_in_victim(signed_in: Client, nhri, term) -> None:
    data = guided_post(term, nhri, **{"acts-1-victim": "2"})
    data.update({"victims-1-full_name": "", "victims-1-sex": ""})

    response = signed_in.post(reverse("cases:event_create"), data)

    assert response.status_code == 400
    assert "Fill in this victim above first." in response.content.decode()
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_add_another_row_works_without_javascript_and_keeps_the_input(
    signed_in: Client, nhri, term
) -> None:
    data = guided_post(term, nhri, title="", add_row="victims")
    del data["save"]

    response = signed_in.post(reverse("cases:event_create"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="victims-TOTAL_FORMS" value="3"' in html
    assert 'id="victim-3"' in html
    assert 'value="Peter Mwangi"' in html
    assert "errorlist" not in html  # no complaints about unfinished rows yet
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_an_analyst_cannot_open_the_recording_page(client: Client, nhri) -> None:
    sign_in(client, member(Role.ANALYST, Clearance.CONFIDENTIAL, nhri))
    assert client.get(reverse("cases:event_create")).status_code == 403


@pytest.mark.django_db
def test_editing_on_the_guided_page_keeps_people_and_acts_and_makes_a_version(
    signed_in: Client, nhri, term
) -> None:
    signed_in.post(reverse("cases:event_create"), guided_post(term, nhri))
    event = Event.objects.get()
    act_ids = set(event.acts.values_list("pk", flat=True))
    url = reverse("cases:event_edit", args=[event.pk])
    form_page = signed_in.get(url)
    assert form_page.status_code == 200
    assert 'value="Grace Akinyi"' in form_page.content.decode()

    data = form_data(form_page)
    data["title"] = "Defenders threatened (corrected)"
    grace = next(k for k, v in data.items() if v == "Grace Akinyi")
    data[grace] = "Grace A. Akinyi"
    response = signed_in.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    event.refresh_from_db()
    assert event.title == "Defenders threatened (corrected)"
    assert set(event.acts.values_list("pk", flat=True)) == act_ids
    assert Person.objects.filter(organisation=nhri).count() == 2
    assert woman_in(event).full_name == "Grace A. Akinyi"
    assert event.version == 2


def woman_in(event: Event) -> Person:
    return Person.objects.filter(acts_as_victim__event=event, sex__code="woman").distinct().get()


def form_data(response) -> dict[str, Any]:
    """What a browser would post back from the form on the page, unchanged."""
    form = response.context["page"]
    data: dict[str, Any] = {"save": "1"}
    for bound in [form.event_form, *form.victims.forms, *form.perpetrators.forms, *form.acts.forms]:
        for field in bound:
            value = field.value()
            if value is None:
                continue
            if isinstance(value, list | tuple):
                data[field.html_name] = [str(v) for v in value]
            elif isinstance(value, datetime.date):
                data[field.html_name] = value.isoformat()
            else:
                data[field.html_name] = str(value)
    for formset in (form.victims, form.perpetrators, form.acts):
        for field in formset.management_form:
            data[field.html_name] = str(field.value())
    return data


# --- The list --------------------------------------------------------------------------------


def many_events(organisation: Organisation, count: int, term) -> None:
    for n in range(count):
        event = EventFactory(
            organisation=organisation,
            confidentiality=Clearance.RESTRICTED,
            start_date=datetime.date(2025, 1, 1) + datetime.timedelta(days=n),
        )
        ActFactory(event=event, type_of_act=term("threat_death", "hrd_violations"))
        ActFactory(event=event, type_of_act=term("surveillance", "hrd_violations"))


@pytest.mark.django_db
def test_the_list_needs_the_same_number_of_queries_whatever_the_page_size(
    signed_in: Client, nhri, term, django_assert_max_num_queries, django_assert_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    many_events(nhri, 5, term)
    with CaptureQueriesContext(connection) as small:
        assert signed_in.get(reverse("cases:event_list"), {"per_page": 5}).status_code == 200
    many_events(nhri, 45, term)
    with django_assert_num_queries(len(small.captured_queries)):
        response = signed_in.get(reverse("cases:event_list"), {"per_page": 50})
    assert len(response.context["page"].events) == 50
    searched = signed_in.post(
        reverse("cases:event_list"), {"q": "Event", "country": "KE", "status": "draft"}
    )
    with django_assert_max_num_queries(20):
        signed_in.get(searched["Location"], {"per_page": 50})


@pytest.mark.django_db
def test_the_list_shows_only_visible_events(client: Client, nhri, term) -> None:
    restricted = member(Role.READ_ONLY, Clearance.RESTRICTED, nhri)
    EventFactory(organisation=nhri, title="Open file", confidentiality=Clearance.RESTRICTED)
    EventFactory(organisation=nhri, title="Secret file", confidentiality=Clearance.CONFIDENTIAL)
    EventFactory(title="Someone else's file", confidentiality=Clearance.PUBLIC)
    sign_in(client, restricted)

    html = client.get(reverse("cases:event_list")).content.decode()

    assert "Open file" in html
    assert "Secret file" not in html and "Someone else" not in html


@pytest.mark.django_db
def test_the_list_filters(signed_in: Client, nhri, term) -> None:
    def titles(**params: Any) -> set[str]:
        response = signed_in.post(reverse("cases:event_list"), params, follow=True)
        return {event.title for event in response.context["page"].events}

    killing = EventFactory(
        organisation=nhri,
        title="Killing of a land defender",
        country="CO",
        start_date=datetime.date(2024, 5, 2),
        locality="Cauca",
        status=Event.Status.VERIFIED,
        confidentiality=Clearance.CONFIDENTIAL,
    )
    killed = ActFactory(event=killing, type_of_act=term("killing", "hrd_violations"))
    killed.victim.defender_types.set([term("environmental", "defender_types")])
    threat = EventFactory(
        organisation=nhri,
        title="Threats by phone",
        country="KE",
        start_date=datetime.date(2025, 3, 1),
        end_date=datetime.date(2025, 3, 9),
    )
    threatened = ActFactory(event=threat, type_of_act=term("threat_death", "hrd_violations"))
    threatened.victim.defender_types.set([term("nhri_staff", "defender_types")])

    assert titles(country="CO") == {"Killing of a land defender"}
    assert titles(q="cauca") == {"Killing of a land defender"}
    assert titles(q="phone threats") == {"Threats by phone"}
    assert titles(type_of_act=term("threat", "hrd_violations").pk) == {"Threats by phone"}
    assert titles(defender_type=term("nhri", "defender_types").pk) == {"Threats by phone"}
    assert titles(status="verified") == {"Killing of a land defender"}
    assert titles(confidentiality=Clearance.CONFIDENTIAL) == {"Killing of a land defender"}
    assert titles(date_from="2025-03-05", date_to="2025-12-31") == {"Threats by phone"}
    assert titles(date_to="2024-12-31") == {"Killing of a land defender"}


@pytest.mark.django_db
def test_name_search_is_offered_only_to_those_who_may_see_names(
    client: Client, signed_in: Client, nhri, term
) -> None:
    act = ActFactory(event__organisation=nhri, victim__full_name="Grace Akinyi")
    ActFactory(event__organisation=nhri, victim__full_name="Someone Else")

    response = signed_in.post(reverse("cases:event_list"), {"name": "grace  AKINYI"}, follow=True)
    assert [e.pk for e in response.context["page"].events] == [act.event.pk]

    analyst = member(Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    other = Client()
    sign_in(other, analyst)
    response = other.post(reverse("cases:event_list"), {"name": "Grace Akinyi"}, follow=True)
    assert 'name="name"' not in response.content.decode()
    assert len(response.context["page"].events) == 2  # the parameter is ignored


# --- The event page ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_that_may_not_be_seen_is_not_found(client: Client, nhri) -> None:
    event = EventFactory(organisation=nhri, confidentiality=Clearance.STRICTLY_CONFIDENTIAL)
    sign_in(client, member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri))
    for name in ("cases:event_detail", "cases:event_print", "cases:event_edit"):
        assert client.get(reverse(name, args=[event.pk])).status_code == 404


@pytest.mark.django_db
def test_submit_and_verify_buttons_follow_the_second_person_rule(
    signed_in: Client, nhri, documentalist, term
) -> None:
    signed_in.post(reverse("cases:event_create"), guided_post(term, nhri))
    event = Event.objects.get()
    detail = reverse("cases:event_detail", args=[event.pk])

    signed_in.post(reverse("cases:event_submit", args=[event.pk]))
    page = signed_in.get(detail).content.decode()
    assert "Another person must verify this version" in page
    signed_in.post(reverse("cases:event_verify", args=[event.pk]))
    event.refresh_from_db()
    assert event.status == Event.Status.SUBMITTED

    colleague = Client()
    sign_in(colleague, member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri))
    response = colleague.post(reverse("cases:event_verify", args=[event.pk]), follow=True)
    event.refresh_from_db()
    assert event.status == Event.Status.VERIFIED
    assert "Event verified." in response.content.decode()


@pytest.mark.django_db
def test_the_page_shows_history_and_restores_a_version(signed_in: Client, nhri, term) -> None:
    signed_in.post(reverse("cases:event_create"), guided_post(term, nhri))
    event = Event.objects.get()
    data = form_data(signed_in.get(reverse("cases:event_edit", args=[event.pk])))
    data["title"] = "Changed title"
    signed_in.post(reverse("cases:event_edit", args=[event.pk]), data)

    page = signed_in.get(reverse("cases:event_detail", args=[event.pk])).content.decode()
    assert "Restore this version" in page
    assert reverse("core:object_audit_trail", args=["cases.event", event.pk]) in page
    version = signed_in.get(reverse("cases:version_detail", args=[event.pk, 2]))
    assert "Changed title" in version.content.decode()

    signed_in.post(reverse("cases:version_restore", args=[event.pk, 1]))
    event.refresh_from_db()
    assert event.title == "Defenders threatened after a land-rights meeting"
    assert EventVersion.objects.filter(event=event).count() == 3


@pytest.mark.django_db
def test_sharing_and_consent_panels_grant_revoke_give_and_withdraw(
    signed_in: Client, nhri, term
) -> None:
    signed_in.post(reverse("cases:event_create"), guided_post(term, nhri))
    event = Event.objects.get()
    partner = OrganisationFactory(kind=Organisation.Kind.CSO)
    person = woman_in(event)

    bad = signed_in.post(reverse("cases:sharing_grant", args=[event.pk]), {"level": "read"})
    assert bad.status_code == 400
    assert "Choose an organisation or give a username" in bad.content.decode()
    signed_in.post(
        reverse("cases:sharing_grant", args=[event.pk]),
        {"organisation": partner.pk, "level": "comment", "purpose": "Joint follow-up"},
    )
    grant = Grant.objects.get(event=event)
    assert grant.level == "comment" and grant.organisation == partner

    prefix = f"consent-{person.pk}"
    signed_in.post(
        reverse("cases:consent_give", args=[event.pk, person.pk]),
        {
            f"{prefix}-recipient_kind": "partner_organisations",
            f"{prefix}-purpose": "Urgent appeal",
            f"{prefix}-given_on": datetime.date.today().isoformat(),
        },
    )
    consent = ConsentRecord.objects.get(person=person)

    partner_client = Client()
    sign_in(partner_client, member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, partner))
    detail = reverse("cases:event_detail", args=[event.pk])
    html = partner_client.get(detail).content.decode()
    assert "Grace Akinyi" in html and "Peter Mwangi" not in html

    signed_in.post(reverse("cases:consent_withdraw", args=[event.pk, consent.pk]))
    assert "Grace Akinyi" not in partner_client.get(detail).content.decode()

    signed_in.post(reverse("cases:sharing_revoke", args=[event.pk, grant.pk]))
    assert partner_client.get(detail).status_code == 404


@pytest.mark.django_db
def test_a_partner_may_comment_when_the_grant_allows_it(signed_in: Client, nhri, term) -> None:
    from amparo.cases import services

    signed_in.post(reverse("cases:event_create"), guided_post(term, nhri))
    event = Event.objects.get()
    partner = OrganisationFactory()
    services.grant_sharing(
        event.created_by,
        event,
        organisation=partner,
        level=Grant.Level.COMMENT,
    )
    partner_client = Client()
    sign_in(partner_client, member(Role.MECHANISM, Clearance.CONFIDENTIAL, partner))

    partner_client.post(
        reverse("cases:comment_add", args=[event.pk]), {"body": "Raised with the SR."}
    )

    assert event.comments.get().body == "Raised with the SR."
    html = partner_client.get(reverse("cases:event_detail", args=[event.pk])).content.decode()
    assert "Raised with the SR." in html
    assert reverse("cases:event_edit", args=[event.pk]) not in html
    assert partner_client.get(reverse("cases:event_edit", args=[event.pk])).status_code == 403


@pytest.mark.django_db
def test_sources_interventions_and_links_are_added_from_their_own_pages(
    signed_in: Client, nhri, term
) -> None:
    signed_in.post(reverse("cases:event_create"), guided_post(term, nhri))
    event = Event.objects.get()
    earlier = EventFactory(organisation=nhri, confidentiality=Clearance.RESTRICTED)

    assert signed_in.get(reverse("cases:source_add", args=[event.pk])).status_code == 200
    signed_in.post(
        reverse("cases:source_add", args=[event.pk]),
        {
            "party_name": "A neighbour",
            "reliability": term("010000000000", "42").pk,
            "material": "Saw the men.",
        },
    )
    signed_in.post(
        reverse("cases:intervention_add", args=[event.pk]),
        {
            "intervention_type": term("020100000000", "20").pk,
            "intervening_organisation": nhri.pk,
            "result": "Appeal sent.",
        },
    )
    bad = signed_in.post(
        reverse("cases:link_add", args=[event.pk]),
        {"reference_code": "NOPE-1", "chain_type": term("010000000000", "22").pk},
    )
    assert bad.status_code == 400
    signed_in.post(
        reverse("cases:link_add", args=[event.pk]),
        {"reference_code": earlier.reference_code, "chain_type": term("220000000000", "22").pk},
    )

    html = signed_in.get(reverse("cases:event_detail", args=[event.pk])).content.decode()
    assert "A neighbour" in html and "Highly reliable" in html
    assert "Appeal sent." in html
    assert earlier.reference_code in html
    assert [v.action for v in EventVersion.objects.filter(event=event).order_by("number")] == [
        "create",
        "add_source",
        "add_intervention",
        "add_chain_link",
    ]


@pytest.mark.django_db
def test_the_printable_view_has_the_record_without_the_forms(signed_in: Client, nhri, term) -> None:
    signed_in.post(reverse("cases:event_create"), guided_post(term, nhri))
    event = Event.objects.get()

    html = signed_in.get(reverse("cases:event_print", args=[event.pk])).content.decode()

    assert "Grace Akinyi" in html and "print.css" in html
    assert "Restore this version" not in html and 'name="level"' not in html


@pytest.mark.django_db
def test_the_navigation_links_to_the_cases(signed_in: Client) -> None:
    html = signed_in.get(reverse("core:home")).content.decode()
    assert f'href="{reverse("cases:event_list")}"' in html


@pytest.mark.django_db
def test_a_detail_page_for_a_shared_event_hides_internal_text(
    signed_in: Client, nhri, term
) -> None:
    from amparo.cases import services

    signed_in.post(
        reverse("cases:event_create"),
        guided_post(term, nhri, notes="Internal: source is the brother"),
    )
    event = Event.objects.get()
    partner = OrganisationFactory()
    services.grant_sharing(event.created_by, event, organisation=partner)
    partner_client = Client()
    sign_in(partner_client, member(Role.MECHANISM, Clearance.CONFIDENTIAL, partner))

    url = reverse("cases:event_detail", args=[event.pk])
    assert "source is the brother" in signed_in.get(url).content.decode()
    partner_page = partner_client.get(url).content.decode()
    assert "source is the brother" not in partner_page
    assert "Audit trail" not in partner_page and "history-heading" not in partner_page
    assert "comments-heading" not in partner_page  # a read grant does not open the discussion
    version_url = reverse("cases:version_detail", args=[event.pk, 1])
    assert partner_client.get(version_url).status_code == 404
    assert Act.objects.filter(event=event).count() == 2


@pytest.mark.django_db
def test_an_editor_below_a_persons_level_edits_the_event_without_seeing_or_changing_them(
    signed_in: Client, client: Client, nhri, term
) -> None:
    signed_in.post(reverse("cases:event_create"), guided_post(term, nhri))
    event = Event.objects.get()
    hidden = woman_in(event)
    Person.objects.filter(pk=hidden.pk).update(confidentiality=Clearance.STRICTLY_CONFIDENTIAL)
    colleague = Client()
    sign_in(colleague, member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri))
    url = reverse("cases:event_edit", args=[event.pk])

    page = colleague.get(url)
    html = page.content.decode()
    assert "Grace Akinyi" not in html and "Peter Mwangi" in html
    data = form_data(page)
    data["title"] = "Edited by a colleague"
    response = colleague.post(url, data)

    assert response.status_code == 302
    hidden.refresh_from_db()
    assert hidden.full_name == "Grace Akinyi"
    assert hidden.confidentiality == Clearance.STRICTLY_CONFIDENTIAL

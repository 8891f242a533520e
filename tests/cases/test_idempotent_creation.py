"""Recording an event is idempotent for the form that records it: Back and Save again, or a
double click, finds the event the form recorded instead of recording a second one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amparo.cases import services
from amparo.cases.models import Event
from amparo.cases.services import events as event_services
from amparo.core.models import AuditEntry, Clearance, Organisation, Role, User
from tests.cases.conftest import sign_in
from tests.cases.test_services import event_input
from tests.cases.test_views import guided_post
from tests.factories import member

TOKEN = "k3Jd9_fQ-2mZpLw8xVt4nA"


@pytest.mark.django_db
def test_the_same_token_sent_again_returns_the_event_it_recorded(
    nhri: Organisation, documentalist: User, term
) -> None:
    first = services.create_event(documentalist, nhri, event_input(term, creation_token=TOKEN))
    again = services.create_event(
        documentalist, nhri, event_input(term, title="Changed since", creation_token=TOKEN)
    )

    assert again.pk == first.pk and again.title == first.title
    assert Event.objects.count() == 1
    assert AuditEntry.objects.filter(action="event.create").count() == 1


@pytest.mark.django_db
def test_another_persons_token_does_not_find_their_event(
    nhri: Organisation, documentalist: User, term
) -> None:
    colleague = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    mine = services.create_event(documentalist, nhri, event_input(term, creation_token=TOKEN))

    theirs = services.create_event(colleague, nhri, event_input(term, creation_token=TOKEN))

    assert theirs.pk != mine.pk and Event.objects.count() == 2


@pytest.mark.django_db
def test_events_without_a_token_are_all_recorded(
    nhri: Organisation, documentalist: User, term
) -> None:
    services.create_event(documentalist, nhri, event_input(term))
    services.create_event(documentalist, nhri, event_input(term))

    assert Event.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_record_one_event_and_skip_no_reference_number(
    nhri: Organisation, documentalist: User, term, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = services.create_event(documentalist, nhri, event_input(term, creation_token=TOKEN))
    # The second request looked before the first one committed: it did not see the event.
    monkeypatch.setattr(event_services, "event_recorded_with", _found_only_the_second_time())

    again = services.create_event(documentalist, nhri, event_input(term, creation_token=TOKEN))

    assert again.pk == first.pk and Event.objects.count() == 1
    following = services.create_event(documentalist, nhri, event_input(term))
    assert int(following.reference_code[-4:]) == int(first.reference_code[-4:]) + 1


def _found_only_the_second_time() -> Any:
    calls: list[int] = []
    real = event_services.event_recorded_with

    def look(actor: User, token: str) -> Event | None:
        calls.append(1)
        return None if len(calls) == 1 else real(actor, token)

    return look


def _new_form(client: Client) -> str:
    """The address of a new event form: /cases/new/ sends to one with its own token."""
    response = client.get(reverse("cases:event_create"))
    assert response.status_code == 302
    assert re.fullmatch(
        re.escape(reverse("cases:event_create")) + r"\?form=[\w-]{32}", response["Location"]
    )
    return str(response["Location"])


@pytest.mark.django_db
def test_the_guided_page_sent_twice_records_one_event_and_says_so(
    client: Client, nhri: Organisation, documentalist: User, term
) -> None:
    sign_in(client, documentalist)
    form = _new_form(client)
    assert client.get(form).status_code == 200

    first = client.post(form, guided_post(term, nhri))
    second = client.post(form, guided_post(term, nhri, title="Changed since"), follow=True)

    event = Event.objects.get()
    assert event.title == guided_post(term, nhri)["title"]
    assert first["Location"] == reverse("cases:event_detail", args=[event.pk])
    assert second.redirect_chain[-1][0] == reverse("cases:event_detail", args=[event.pk])
    assert f"This form was saved already, as event {event.reference_code}" in (
        second.content.decode()
    )


@pytest.mark.django_db
def test_the_form_opened_again_after_saving_says_that_saving_opens_the_event(
    client: Client, nhri: Organisation, documentalist: User, term
) -> None:
    sign_in(client, documentalist)
    form = _new_form(client)
    client.post(form, guided_post(term, nhri))

    html = client.get(form).content.decode()

    assert "saving it again opens that event" in html
    assert Event.objects.get().reference_code in html


@pytest.mark.django_db
def test_two_forms_record_two_events(
    client: Client, nhri: Organisation, documentalist: User, term
) -> None:
    sign_in(client, documentalist)
    for _ in range(2):
        client.post(_new_form(client), guided_post(term, nhri))

    assert Event.objects.count() == 2


@pytest.mark.django_db
def test_a_forged_form_token_finds_nobody_elses_event(
    client: Client, nhri: Organisation, documentalist: User, term
) -> None:
    colleague = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    theirs = services.create_event(colleague, nhri, event_input(term, creation_token=TOKEN))
    sign_in(client, documentalist)
    form = reverse("cases:event_create") + f"?form={TOKEN}"

    assert theirs.reference_code not in client.get(form).content.decode()
    response = client.post(form, guided_post(term, nhri))

    assert Event.objects.count() == 2
    assert response["Location"] != reverse("cases:event_detail", args=[theirs.pk])


@pytest.mark.django_db
def test_a_malformed_form_token_gets_a_new_form(client: Client, documentalist: User) -> None:
    sign_in(client, documentalist)

    response = client.get(reverse("cases:event_create") + "?form=<script>")

    assert response.status_code == 302 and "script" not in response["Location"]


@pytest.mark.django_db
def test_the_edit_form_carries_no_creation_token(
    client: Client, nhri: Organisation, documentalist: User, term
) -> None:
    event = services.create_event(documentalist, nhri, event_input(term))
    sign_in(client, documentalist)

    html = client.get(reverse("cases:event_edit", args=[event.pk])).content.decode()

    assert "creation_token" not in html

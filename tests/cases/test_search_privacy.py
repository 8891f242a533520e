"""Search words and names stay out of addresses: the list takes them in a POST, keeps them in
the session (encrypted) and shows `?search=<id>` instead, so a victim's name never lands in the
browser's history or a proxy's log. A search the form refuses shows its error and no list."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from amparo.core import searches
from amparo.core.models import Clearance, Organisation, Role, User
from tests.cases.conftest import sign_in
from tests.factories import ActFactory, EventFactory, member

NAME = "Grace Akinyi"
LIST = reverse("cases:event_list")


@pytest.fixture
def signed_in(client: Client, documentalist: User) -> Client:
    return sign_in(client, documentalist)


def _named_event(nhri: Organisation, title: str = "Threats after the hearing") -> int:
    act = ActFactory(event__organisation=nhri, event__title=title, victim__full_name=NAME)
    return int(act.event.pk)


@pytest.mark.django_db
def test_a_name_search_is_posted_and_the_address_keeps_only_an_id(
    signed_in: Client, nhri: Organisation
) -> None:
    found = _named_event(nhri)
    ActFactory(event__organisation=nhri, victim__full_name="Someone Else")

    response = signed_in.post(LIST, {"name": NAME, "q": "hearing", "country": "KE"})

    assert response.status_code == 302
    address = response["Location"]
    assert "Grace" not in address and "Akinyi" not in address and "hearing" not in address
    query = parse_qs(urlsplit(address).query)
    assert query["country"] == ["KE"] and re.fullmatch(r"[\w-]{12}", query["search"][0])
    page = signed_in.get(address)
    assert [event.pk for event in page.context["page"].events] == [found]
    assert page.context["form"]["name"].value() == NAME  # the form shows what was searched


@pytest.mark.django_db
def test_the_pages_of_a_search_keep_its_id_and_never_its_words(
    signed_in: Client, nhri: Organisation
) -> None:
    for number in range(3):
        _named_event(nhri, title=f"Hearing {number}")

    address = signed_in.post(LIST, {"q": "hearing"})["Location"]
    html = signed_in.get(address + "&per_page=1").content.decode()

    links = re.findall(r'href="\?([^"]*)"', html)
    assert links and all("search=" in link and "hearing" not in link.lower() for link in links)
    second = signed_in.get(LIST + "?" + links[-1].replace("&amp;", "&"))
    assert second.context["page"].number == 2 and second.context["page"].count == 3


@pytest.mark.django_db
def test_the_words_are_kept_encrypted_in_the_session(signed_in: Client, nhri: Organisation) -> None:
    signed_in.post(LIST, {"name": NAME, "q": "hearing"})

    for session in Session.objects.all():
        raw = session.session_data
        decoded = base64.urlsafe_b64decode(raw.split(":")[0] + "==")
        for text in (raw, decoded.decode("latin-1"), str(session.get_decoded())):
            assert "Akinyi" not in text and "hearing" not in text


@pytest.mark.django_db
def test_words_in_the_address_are_not_read(signed_in: Client, nhri: Organisation) -> None:
    _named_event(nhri)
    EventFactory(organisation=nhri, title="Unrelated")

    page = signed_in.get(LIST, {"name": NAME, "q": "hearing"})

    assert len(page.context["page"].events) == 2
    assert page.context["form"]["q"].value() in (None, "")


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["q", "name"])
def test_a_search_longer_than_the_limit_shows_the_error_and_no_list(
    signed_in: Client, nhri: Organisation, field: str
) -> None:
    EventFactory(organisation=nhri, title="Any event")

    response = signed_in.post(LIST, {field: "x" * 201})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Ensure this value has at most 200 characters" in html
    assert response.context["page"] is None
    assert 'class="events"' not in html and "Any event" not in html


@pytest.mark.django_db
def test_a_filter_the_form_refuses_in_the_address_shows_no_list(
    signed_in: Client, nhri: Organisation
) -> None:
    EventFactory(organisation=nhri, title="Any event")

    response = signed_in.get(LIST, {"date_from": "not a date"})

    assert response.status_code == 400 and response.context["page"] is None
    assert "Any event" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("search_id", ["AAAAAAAAAAAA", "short", "<script>alert(1)"])
def test_an_unknown_search_shows_a_notice_and_no_list(
    signed_in: Client, nhri: Organisation, search_id: str
) -> None:
    EventFactory(organisation=nhri, title="Any event")

    response = signed_in.get(LIST, {"search": search_id})

    html = response.content.decode()
    assert "This search is no longer kept" in html
    assert response.context["page"] is None and "Any event" not in html


@pytest.mark.django_db
def test_a_search_id_finds_nothing_in_another_session(
    signed_in: Client, nhri: Organisation, documentalist: User
) -> None:
    _named_event(nhri)
    address = signed_in.post(LIST, {"name": NAME})["Location"]
    colleague = sign_in(Client(), member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri))

    response = colleague.get(address)

    assert response.context["page"] is None
    assert NAME not in response.content.decode()


@pytest.mark.django_db
def test_a_session_keeps_only_its_latest_searches(signed_in: Client, nhri: Organisation) -> None:
    first = signed_in.post(LIST, {"q": "first"})["Location"]
    for number in range(searches.KEPT):
        signed_in.post(LIST, {"q": f"later {number}"})

    assert len(signed_in.session[searches.SESSION_KEY]) == searches.KEPT
    assert signed_in.get(first).context["page"] is None

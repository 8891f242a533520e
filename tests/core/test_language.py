"""The language is remembered per person: what a signed-in person chooses with the switcher is kept
on their account and set again in the browser at their next login, wherever they sign in."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from amparo.core import services
from amparo.core.models import Clearance, Role, User
from tests.cases.conftest import sign_in
from tests.core.test_accounts import current_code, log_in
from tests.factories import TOTPDeviceFactory, member

pytestmark = pytest.mark.django_db

SWITCH = "/i18n/setlang/"


@pytest.fixture
def person() -> User:
    return member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL)


def test_the_switcher_keeps_a_signed_in_persons_choice_on_their_account(person: User) -> None:
    client = sign_in(Client(), person)
    response = client.post(SWITCH, {"language": "ar", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    person.refresh_from_db()
    assert person.language == "ar"


def test_at_the_next_login_in_another_browser_the_page_is_in_that_language(
    person: User,
) -> None:
    sign_in(Client(), person).post(SWITCH, {"language": "fr", "next": "/"})
    device = TOTPDeviceFactory(user=person)

    elsewhere = Client()
    response = log_in(elsewhere, person, current_code(device))
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"  # type: ignore[attr-defined]
    home = elsewhere.get("/")
    assert home.status_code == 200
    assert '<html lang="fr"' in home.content.decode()


def test_without_a_choice_the_login_leaves_the_browsers_language(person: User) -> None:
    response = log_in(Client(), person, current_code(TOTPDeviceFactory(user=person)))
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies  # type: ignore[attr-defined]


def test_an_anonymous_choice_or_an_unknown_language_is_not_kept(person: User) -> None:
    assert Client().post(SWITCH, {"language": "ar"}).status_code == 302
    sign_in(Client(), person).post(SWITCH, {"language": "xx"})
    person.refresh_from_db()
    assert person.language == ""
    assert services.remember_language(person, "es") is True
    assert services.remember_language(person, "de") is False
    person.refresh_from_db()
    assert person.language == "es"


@pytest.mark.parametrize("stored", ["de", "fr;x=1", "xx"])
def test_a_stored_language_that_is_not_offered_is_not_set_at_login(
    person: User, stored: str
) -> None:
    # The column edited behind the application's back: the login sends no such cookie.
    User.objects.filter(pk=person.pk).update(language=stored)
    person.refresh_from_db()
    response = log_in(Client(), person, current_code(TOTPDeviceFactory(user=person)))
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies  # type: ignore[attr-defined]


def test_the_switcher_sends_no_one_to_another_site(person: User) -> None:
    client = sign_in(Client(), person)
    for next_url in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        response = client.post(SWITCH, {"language": "es", "next": next_url})
        assert response.status_code == 302
        assert "evil.example" not in response["Location"]

"""Fixtures for the cases tests: the shipped vocabularies, terms by code, and a small world."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from amparo.api import tokens
from amparo.core import keychain, vocabulary
from amparo.core.models import Clearance, Organisation, Role, Term, Thesaurus, User
from tests.factories import PASSWORD, OrganisationFactory, TOTPDeviceFactory, member
from tests.keys import grant_everything

VOCABULARY_MODELS = (Thesaurus, Term)
_rows: dict[str, list[tuple[Any, ...]]] = {}


class _RollBack(Exception):
    pass


def _vocabulary_rows() -> dict[str, list[tuple[Any, ...]]]:
    """The rows `vocabulary.load` writes, read and validated once per process. The load itself
    is rolled back, with the audit entry it records."""
    if not _rows:
        try:
            with transaction.atomic():
                vocabulary.load()
                for model in VOCABULARY_MODELS:
                    columns = [f.attname for f in model._meta.concrete_fields]
                    _rows[model._meta.db_table] = list(
                        model.objects.order_by("pk").values_list(*columns)
                    )
                raise _RollBack
        except _RollBack:
            pass
    return _rows


def _insert(model: type[Thesaurus] | type[Term], rows: list[tuple[Any, ...]]) -> None:
    """Plain INSERTs: a tenth of the time bulk_create takes to build thousands of instances."""
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({values})", rows
        )


def _insert_vocabularies() -> None:
    for model in VOCABULARY_MODELS:
        _insert(model, _vocabulary_rows()[model._meta.db_table])


@pytest.fixture(scope="module", autouse=True)
def _module_vocabularies(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: Any
) -> Iterator[None]:
    """The vocabularies, committed while the tests of one module run and deleted after them,
    so that other apps' tests in the same process start from an empty vocabulary. (Inserting
    them in every test instead bloats PostgreSQL's table with thousands of dead rows a test.)
    A module that needs no term says so with `NEEDS_VOCABULARIES = False`."""
    if not getattr(request.module, "NEEDS_VOCABULARIES", True):
        yield
        return
    with django_db_blocker.unblock(), transaction.atomic():
        if not Thesaurus.objects.exists():
            _insert_vocabularies()
    yield
    with django_db_blocker.unblock(), transaction.atomic(), connection.cursor() as cursor:
        for model in reversed(VOCABULARY_MODELS):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


@pytest.fixture(autouse=True)
def vocab(request: pytest.FixtureRequest) -> None:
    """A transactional test (live server, threads) empties the database when it ends; the
    tests after it in the module then insert the vocabularies in their own transaction."""
    if "django_db" not in {mark.name for mark in request.node.iter_markers()}:
        return
    if not getattr(request.module, "NEEDS_VOCABULARIES", True):
        return
    request.getfixturevalue("db")
    if not Thesaurus.objects.exists():
        _insert_vocabularies()


TermGetter = Callable[[str, str], Term]


@pytest.fixture
def term() -> TermGetter:
    """term("threat_death", "hrd_violations"): a term by code and thesaurus code."""

    def get(code: str, thesaurus: str) -> Term:
        return Term.objects.select_related("thesaurus").get(thesaurus__code=thesaurus, code=code)

    return get


def sign_in(client: Client, user: User) -> Client:
    """Log in as `user`, past two-factor (staff with clearance above public must use it), with
    the organisation keys their memberships entitle them to unlocked (tests.keys)."""
    client.force_login(user)
    device = TOTPDeviceFactory(user=user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    unlocked = grant_everything(user, PASSWORD)
    client.cookies[keychain.COOKIE_NAME] = keychain.keep_in_session(
        session, unlocked, user_id=user.pk, generation=user.session_generation
    )
    session.save()
    return client


def token_with_keys(user: User, name: str = "test") -> str:
    """The secret of a new API token of `user`, issued while their keys are unlocked (as the
    token page issues it), so that it carries them."""
    with keychain.using(grant_everything(user, PASSWORD)):
        return tokens.issue_token(user, user, name=name).secret


@pytest.fixture
def nhri() -> Organisation:
    return OrganisationFactory(short_code="nhri-ke", name="Kenya NHRI")


@pytest.fixture
def documentalist(nhri: Organisation) -> User:
    """A documentalist of `nhri` cleared for everything."""
    return member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, nhri)

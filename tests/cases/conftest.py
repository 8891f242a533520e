"""Fixtures for the cases tests: the shipped vocabularies, terms by code, and a small world."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from amparo.core import vocabulary
from amparo.core.models import Term, Thesaurus, User
from tests.factories import TOTPDeviceFactory

_loaded: dict[str, list[tuple[Any, ...]]] = {}


@pytest.fixture(autouse=True)
def vocab(request: pytest.FixtureRequest) -> None:
    """Every database test here sees the shipped vocabularies, inside its own transaction (so
    nothing leaks into other apps' tests). The files are read and validated once per process;
    later tests insert the same rows in bulk, which is much faster. A module that needs no term
    says so with `NEEDS_VOCABULARIES = False`."""
    if "django_db" not in {mark.name for mark in request.node.iter_markers()}:
        return
    if not getattr(request.module, "NEEDS_VOCABULARIES", True):
        return
    request.getfixturevalue("db")
    if Thesaurus.objects.filter(code="hrd_violations").exists():
        return
    if not _loaded:
        vocabulary.load()
        for model in (Thesaurus, Term):
            columns = [f.attname for f in model._meta.concrete_fields]
            _loaded[model._meta.db_table] = list(model.objects.order_by("pk").values_list(*columns))
        return
    for model in (Thesaurus, Term):
        _insert(model, _loaded[model._meta.db_table])


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


TermGetter = Callable[[str, str], Term]


@pytest.fixture
def term() -> TermGetter:
    """term("threat_death", "hrd_violations"): a term by code and thesaurus code."""

    def get(code: str, thesaurus: str) -> Term:
        return Term.objects.select_related("thesaurus").get(thesaurus__code=thesaurus, code=code)

    return get


def sign_in(client: Client, user: User) -> Client:
    """Log in as `user`, past two-factor (staff with clearance above public must use it)."""
    client.force_login(user)
    device = TOTPDeviceFactory(user=user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client

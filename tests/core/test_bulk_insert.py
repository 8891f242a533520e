"""Ids reserved for a bulk writer are nobody else's, whatever the database's counter says."""

from __future__ import annotations

import pytest
from django.db import connection

from amparo.core import bulk_insert
from tests.fieldtest.models import Secret

pytestmark = pytest.mark.django_db


def test_ids_reserved_are_never_given_to_a_row_saved_meanwhile() -> None:
    first = Secret.objects.create(notes="before")
    reserved = bulk_insert.reserve_ids(Secret, 5)
    saved = Secret.objects.create(notes="meanwhile")

    assert reserved == list(range(first.pk + 1, first.pk + 6))
    assert saved.pk > reserved[-1]
    bulk_insert.insert([Secret(pk=pk, notes="bulk") for pk in reserved])
    assert Secret.objects.count() == 7


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's AUTOINCREMENT counter")
def test_a_counter_edited_behind_the_application_s_back_never_reserves_a_used_id() -> None:
    rows = [Secret.objects.create(notes=str(n)) for n in range(3)]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = 0 WHERE name = %s", [Secret._meta.db_table]
        )

    reserved = bulk_insert.reserve_ids(Secret, 2)

    assert reserved == [rows[-1].pk + 1, rows[-1].pk + 2]
    assert Secret.objects.create(notes="after").pk == rows[-1].pk + 3

"""What a person is given as is declared once (models.PERSON_FIELDS); everything that takes a
person follows that declaration, so a field added there and forgotten somewhere fails here."""

from __future__ import annotations

import dataclasses

from amparo.cases import api
from amparo.cases.exchange.imports import PERSON_VALUES, PersonSpec
from amparo.cases.models import PERSON_FIELDS, PERSON_TERMS
from amparo.cases.services import PersonInput


def test_the_services_input_takes_exactly_the_declared_fields() -> None:
    fields = {f.name for f in dataclasses.fields(PersonInput)} - {"person"}
    assert fields == set(PERSON_FIELDS)


def test_the_api_takes_and_changes_exactly_the_declared_fields() -> None:
    assert set(api.PersonIn.model_fields) - {"id"} == set(PERSON_FIELDS)
    assert set(api.PersonUpdate.model_fields) == set(PERSON_FIELDS)


def test_an_import_reads_every_declared_field() -> None:
    assert set(PERSON_VALUES) | {"external_id"} == set(PERSON_FIELDS)
    assert set(PERSON_FIELDS) <= {f.name for f in dataclasses.fields(PersonSpec)}


def test_every_term_field_is_a_declared_field() -> None:
    assert set(PERSON_TERMS) <= set(PERSON_FIELDS)

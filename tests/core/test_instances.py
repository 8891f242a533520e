"""`instances.new(Model, **values)` makes the instance `Model(**values)` makes, faster."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.db.models.signals import post_init

from amparo.cases.models import Act, Event, Person
from amparo.core import instances
from amparo.core.models import User
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def values_of(instance: models.Model) -> tuple[dict[str, Any], dict[str, Any], bool]:
    state = {k: v for k, v in instance.__dict__.items() if k != "_state"}
    return state, dict(instance._state.fields_cache), instance._state.adding


def test_a_new_instance_is_the_one_the_model_makes() -> None:
    organisation = OrganisationFactory()
    event = Event(organisation=organisation, confidentiality=2)

    for model, values in (
        (Event, {"organisation": organisation, "confidentiality": 2}),
        (Person, {"organisation": organisation, "full_name": "Akinyi Odera"}),
        (Act, {"event": event}),
    ):
        assert values_of(instances.new(model, **values)) == values_of(model(**values))


def test_new_instances_share_nothing() -> None:
    organisation = OrganisationFactory()
    first = instances.new(Person, organisation=organisation)
    second = instances.new(Person)

    first.full_name = "Akinyi Odera"
    first._state.adding = False

    assert second.full_name == "" and second.organisation_id is None
    assert second._state.adding and not second._state.fields_cache


def test_a_model_whose_defaults_are_functions_is_made_by_the_model() -> None:
    first, second = instances.new(User), instances.new(User)  # date_joined: timezone.now

    assert first.date_joined is not second.date_joined  # each called its own now()


def test_a_model_whose_init_someone_listens_to_is_made_by_the_model() -> None:
    heard: list[models.Model] = []

    def listen(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
        heard.append(instance)

    post_init.connect(listen, sender=Act)
    try:
        act = instances.new(Act)
    finally:
        post_init.disconnect(listen, sender=Act)

    assert heard == [act]

"""Making many unsaved model instances quickly: what the import's checking does for every row.

`Model(**values)` runs Django's `__init__`, which gives every field its default one by one and
sets each related object through its descriptor: for a person, an event or an act, a fifth of
the time an import takes to check a row. `new(Model, **values)` copies the fields' values from
one blank instance made once per model, then sets `values` through their attributes, as
`__init__` does: the same instance, as long as no field's default is a function to call again
and nothing listens to the model's init signals (checked each time; otherwise `Model()` is
called).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, TypeVar

from django.db import models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=models.Model)

_blanks: dict[type[models.Model], models.Model] = {}
# Whether a field of the model has a default to call (fields are fixed once the models load).
_calls_defaults: dict[type[models.Model], bool] = {}


def new(model: type[M], **values: Any) -> M:
    """An unsaved instance of `model` with `values`, as `model(**values)` makes it."""
    if not _copiable(model):
        return model(**values)
    blank = _blanks.get(model)
    if blank is None:
        blank = _blanks[model] = model()
    instance = model.__new__(model)
    instance.__dict__.update(blank.__dict__)
    instance._state = ModelState()
    for name, value in values.items():
        setattr(instance, name, value)
    return instance


def _copiable(model: type[models.Model]) -> bool:
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return False
    called = _calls_defaults.get(model)
    if called is None:
        called = _calls_defaults[model] = any(
            f.has_default() and callable(f.default) for f in model._meta.concrete_fields
        )
    return not called


def reader(names: Sequence[str]) -> Callable[[models.Model], tuple[Any, ...]]:
    """A function giving an instance's values of these attributes as a tuple, in one call:
    what a bulk write or a version reads of thousands of rows."""
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda row: (one(row),)
    if not names:
        return lambda row: ()
    many: Callable[[models.Model], tuple[Any, ...]] = attrgetter(*names)
    return many

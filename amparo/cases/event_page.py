"""Sections other apps add to the event page, so that cases need not know those apps.

An app registers a section in its `AppConfig.ready` (intake: the reports a case was opened
from; later, warning: the alerts on the event). The page asks each section for its context
with the viewer and the event; a section with nothing to show for them returns None. Each
section decides itself, through its own access module, what the viewer may see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from amparo.cases.models import Event
from amparo.core.models import User


@dataclass(frozen=True)
class EventSection:
    name: str
    template: str  # rendered with `section`: the context below
    context: Callable[[User, Event], Mapping[str, Any] | None]


_sections: dict[str, EventSection] = {}


def register(section: EventSection) -> None:
    registered = _sections.get(section.name)
    if registered is not None and registered != section:
        raise ValueError(f"An event page section {section.name!r} is already registered.")
    _sections[section.name] = section


def sections_for(user: User, event: Event) -> list[tuple[str, Mapping[str, Any]]]:
    """(template, context) of every section with something to show this viewer, in the order
    the apps registered them."""
    shown = []
    for section in _sections.values():
        context = section.context(user, event)
        if context is not None:
            shown.append((section.template, context))
    return shown

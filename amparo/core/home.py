"""The home page shows a person their work, as panels that the apps register.

Core imports no other app (an import contract in pyproject.toml forbids it), so it does not
know what work there is: each app registers its panels, in its `AppConfig.ready`:

    from amparo.core import home
    from amparo.cases import home as cases_home

    home.register(home.Panel("cases.to_verify", home.Order.WAITING, cases_home.to_verify))

A panel is a name (unique, "app.what"), an order, and `build(user)`, which returns

* None when the panel is not for this person at all: it decides that through its own app's
  access module (the cases panels ask `amparo.cases.access`, the intake panel
  `amparo.intake.access`), exactly as that app's pages would; nothing here checks for it;
* otherwise a `Content`: a title; a count and a summary of it (a sentence built with ngettext,
  e.g. "3 events"), which links to the app's list showing the same items (the summary and the
  list must agree: build both from one query); an optional note (what the panel counts, e.g.
  "in the last 14 days"); up to a few `Item`s (a label, a link, an optional detail) for a first
  look; and `urgent` when someone may be in danger (the page shows it first, in red).

A panel with a count of 0 is still shown, muted: "nothing waits" is news too. `build` must run
in a bounded number of database queries whatever the amount of data (count with a limit, list
at most MAX_ITEMS items with the relations they show, never decrypt more than those items);
each app's tests assert it with `django_assert_max_num_queries`. Panels never show what the
person may not see, and never more than the app's own pages would: titles, references and
dates, not names.

Panels appear by `order` (see Order: urgent first, then work waiting for the person, their own
work in progress, then what changed around them), then by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from amparo.core.models import User

# A panel lists at most this many of its items; the rest are one click away, on the list.
MAX_ITEMS = 5


class Order(IntEnum):
    URGENT = 0  # someone may be in danger: reports nobody handles, alerts to acknowledge
    WAITING = 100  # work waiting for this person: events to verify, actions due
    OWN = 200  # their own work in progress: drafts
    CHANGED = 300  # what changed around them: shares, consents


@dataclass(frozen=True)
class Item:
    label: str
    link: str
    detail: str = ""


@dataclass(frozen=True)
class Content:
    title: str
    count: int
    summary: str
    link: str
    note: str = ""
    items: Sequence[Item] = ()
    urgent: bool = False


@dataclass(frozen=True)
class Panel:
    name: str
    order: int
    build: Callable[[User], Content | None]


_panels: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    """Add `panel` to the home page; registering the same panel again changes nothing."""
    registered = _panels.get(panel.name)
    if registered is not None and registered != panel:
        raise ValueError(f"A home page panel {panel.name!r} is already registered.")
    _panels[panel.name] = panel


def panels_for(user: User) -> list[Content]:
    """What each registered panel shows `user`, urgent ones first, then in panel order."""
    ordered = sorted(_panels.values(), key=lambda panel: (panel.order, panel.name))
    shown = [content for panel in ordered if (content := panel.build(user)) is not None]
    return sorted(shown, key=lambda content: not (content.urgent and content.count))

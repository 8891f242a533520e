"""The routing of alerts (routing.yaml): read, checked, and asked which route an alert takes.

Problems are reported as the escalation engine reports its own files' (file, line, path, reason;
all at once, nothing half-loaded): `DefinitionError`. The file is read again when it changes, so
editing it needs no restart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from amparo.analysis.escalation import DefinitionError, Labels, Vocabularies
from amparo.analysis.escalation.documents import Document

ROUTING_FILE = Path(__file__).with_name("routing.yaml")
LEVELS = ("low", "medium", "high", "extreme")
CONTACT_KINDS = ("nhri_focal_point", "defenders_network", "state_mechanism")
WHEN_KEYS = ("countries", "regions", "levels", "defender_types", "acts")

__all__ = ["ROUTING_FILE", "Contact", "DefinitionError", "Route", "Routing", "load_routing"]


@dataclass(frozen=True)
class Contact:
    """A kind of organisation of the alert's country, or one named organisation."""

    kind: str = ""
    organisation: str = ""


@dataclass(frozen=True)
class Route:
    id: str
    labels: Labels
    contacts: tuple[tuple[Contact, ...], ...]  # one step per item
    countries: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    defender_types: frozenset[str] = frozenset()
    acts: frozenset[str] = frozenset()

    def matches(
        self,
        *,
        country: str,
        region: str,
        level: str,
        defender_types: Iterable[str],
        acts: Iterable[str],
    ) -> bool:
        return (
            (not self.countries or country in self.countries)
            and (not self.regions or region in self.regions)
            and (not self.levels or level in self.levels)
            and (not self.defender_types or bool(self.defender_types & set(defender_types)))
            and (not self.acts or bool(self.acts & set(acts)))
        )


@dataclass(frozen=True)
class Routing:
    routes: tuple[Route, ...]
    deadline_hours: dict[str, int]
    raise_within_days: int
    file: str = ""

    def route_for(
        self,
        *,
        country: str,
        region: str,
        level: str,
        defender_types: Iterable[str],
        acts: Iterable[str],
    ) -> Route | None:
        types, kinds = tuple(defender_types), tuple(acts)
        for route in self.routes:
            if route.matches(
                country=country, region=region, level=level, defender_types=types, acts=kinds
            ):
                return route
        return None

    def by_id(self, route_id: str) -> Route | None:
        return next((route for route in self.routes if route.id == route_id), None)


def load_routing(path: Path | None = None, vocabularies: Vocabularies | None = None) -> Routing:
    """The routing file (the shipped one by default), checked: DefinitionError lists every
    problem with its file, line and path."""
    vocabularies = vocabularies or Vocabularies.shipped()
    document = Document(path or ROUTING_FILE)
    top = document.mapping(
        document.data,
        "",
        required=("version", "deadline_hours", "routes"),
        optional=("raise_within_days",),
    )
    if top is None:
        document.raise_problems()
        raise AssertionError  # raise_problems raised
    if "version" in top:
        document.integer(top["version"], "version", 1, 1)
    deadlines: dict[str, int] = {}
    given = document.mapping(
        top.get("deadline_hours"), "deadline_hours", required=LEVELS[1:], optional=LEVELS[:1]
    )
    for level, hours in (given or {}).items():
        if level in LEVELS:
            checked = document.integer(hours, f"deadline_hours.{level}", 1, 24 * 90)
            if checked is not None:
                deadlines[str(level)] = checked
    raise_within = 30
    if "raise_within_days" in top:
        raise_within = document.integer(top["raise_within_days"], "raise_within_days", 0, 3660) or 0
    routes = []
    ids: dict[str, str] = {}
    for index, item in enumerate(document.items(top.get("routes"), "routes") or []):
        path_ = f"routes[{index}]"
        route = _route(document, item, path_, vocabularies)
        if route is not None:
            routes.append(route)
            ids[f"{path_}.id"] = route.id
    document.unique_ids(ids)
    document.raise_problems()
    return Routing(tuple(routes), deadlines, raise_within, document.file)


def _route(document: Document, item: object, path: str, vocabularies: Vocabularies) -> Route | None:
    fields = document.mapping(item, path, required=("id", "label", "contacts"), optional=("when",))
    if fields is None:
        return None
    route_id = document.code(fields.get("id"), f"{path}.id")
    labels = document.labels(fields.get("label"), f"{path}.label")
    when: dict[str, frozenset[str]] = {}
    if fields.get("when") is not None:
        conditions = document.mapping(fields["when"], f"{path}.when", optional=WHEN_KEYS) or {}
        known = {
            "levels": set(LEVELS),
            "defender_types": set(vocabularies.defender_types.parents),
            "acts": set(vocabularies.acts.parents),
        }
        for key, values in conditions.items():
            if key not in WHEN_KEYS:
                continue
            listed = document.items(values, f"{path}.when.{key}")
            codes: set[str] = set()
            for position, value in enumerate(listed or []):
                where = f"{path}.when.{key}[{position}]"
                if not isinstance(value, str) or not value:
                    document.problem(where, "should be a code")
                elif key in known and value not in known[key]:
                    document.problem(where, f"{value} is not a known code")
                elif key == "countries" and not (len(value) == 2 and value.isupper()):
                    document.problem(where, "should be an ISO 3166-1 code such as KE")
                else:
                    codes.add(value)
            if key in {"defender_types", "acts"}:
                hierarchy = getattr(vocabularies, key)
                codes = set(hierarchy.narrower(codes))
            when[key] = frozenset(codes)
    steps: list[tuple[Contact, ...]] = []
    for index, contact in enumerate(
        document.items(fields.get("contacts"), f"{path}.contacts") or []
    ):
        where = f"{path}.contacts[{index}]"
        given = document.mapping(contact, where, optional=("kind", "organisation"))
        if given is None:
            continue
        if ("kind" in given) == ("organisation" in given):
            document.problem(where, "should name either a kind or an organisation")
        elif "kind" in given:
            kind = document.choice(given["kind"], f"{where}.kind", CONTACT_KINDS)
            if kind is not None:
                steps.append((Contact(kind=kind),))
        elif not isinstance(given["organisation"], str) or not given["organisation"].strip():
            document.problem(f"{where}.organisation", "should be an organisation's short code")
        else:
            steps.append((Contact(organisation=given["organisation"].strip()),))
    if route_id is None or labels is None:
        return None
    return Route(id=route_id, labels=labels, contacts=tuple(steps), **when)


_cache: dict[str, tuple[float, Routing]] = {}
_lock = threading.Lock()


def routing() -> Routing:
    """The shipped routing, read again when the file changes."""
    stamp = ROUTING_FILE.stat().st_mtime
    with _lock:
        cached = _cache.get("routing")
        if cached is None or cached[0] != stamp:
            cached = (stamp, load_routing())
            _cache["routing"] = cached
        return cached[1]

"""The publication whitelist (data/whitelist.yaml): which fields of which record may be public.

`load()` reads and checks the file once (the app's `ready` calls it, so a broken whitelist stops
the start); every problem names the file, the place in it and the reason. Only fields the
snapshot builder knows (`KNOWN_FIELDS`) may be listed: adding a name here does not make a field
publishable, it must also be built, on purpose, in `snapshots`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from amparo.analysis.dimensions import catalogue

PATH = Path(__file__).resolve().parent / "data" / "whitelist.yaml"

DATE_FIELDS = {
    "event": frozenset({"start_date", "end_date"}),
    "act": frozenset({"date"}),
    "victim": frozenset(),
    "recommendation": frozenset({"date"}),
    "recommendation_action": frozenset(),
    "progress_report": frozenset({"period"}),
    "assessment": frozenset(),
}
KNOWN_FIELDS: dict[str, frozenset[str]] = {
    "event": frozenset({"start_date", "end_date", "country", "region", "monitoring_status"}),
    "act": frozenset(
        {
            "type_of_act",
            "method",
            "date",
            "consequences",
            "targeted_activity",
            "country",
            "region",
            "perpetrator_types",
        }
    ),
    "victim": frozenset(
        {"kind", "name", "sex", "age_group", "defender_types", "country", "region"}
    ),
    # A recommendation and the State's response are public documents; the rest of its
    # follow-up (the State's plan, its progress reports, the NHRI's or civil society's
    # assessment) becomes public only through an approved publication, field by field.
    "recommendation": frozenset(
        {
            "mechanism",
            "session",
            "cycle",
            "document_symbol",
            "paragraph",
            "recommending_state",
            "date",
            "text",
            "position",
            "state_response",
            "themes",
            "affected_groups",
            "sdgs",
            "status",
            "contested",
        }
    ),
    "recommendation_action": frozenset(
        {"measure", "responsible_agency", "status", "start_date", "end_date"}
    ),
    "progress_report": frozenset({"period", "status", "evidence"}),
    "assessment": frozenset({"organisation", "party", "verdict", "assessed_status", "comment"}),
}
COARSENINGS = ("month", "year")
MEASURES = frozenset({"acts", "victims", "events"})


class WhitelistError(ValueError):
    """The whitelist cannot be used; the message says where and why."""


@dataclass(frozen=True)
class FieldRule:
    name: str
    coarsen: str | None = None


@dataclass(frozen=True)
class Whitelist:
    records: dict[str, dict[str, FieldRule]]
    dimensions: tuple[str, ...]
    measures: frozenset[str]

    def fields(self, record_type: str) -> dict[str, FieldRule]:
        return self.records[record_type]

    def allows(self, record_type: str, field: str) -> bool:
        return field in self.records[record_type]


def parse(data: Any, source: str = str(PATH)) -> Whitelist:
    """The whitelist in `data` (as YAML gives it); WhitelistError naming `source` if wrong."""

    def fail(where: str, reason: str) -> WhitelistError:
        return WhitelistError(f"{source}: {where}: {reason}")

    if not isinstance(data, dict):
        raise fail("top level", "expected a mapping of record types")
    expected = {*KNOWN_FIELDS, "statistics"}
    unknown = set(data) - expected
    if unknown:
        raise fail(", ".join(sorted(map(str, unknown))), "unknown record type")
    missing = expected - set(data)
    if missing:
        raise fail(", ".join(sorted(missing)), "missing (list its fields, or {} for none)")
    records: dict[str, dict[str, FieldRule]] = {}
    for record_type, known in KNOWN_FIELDS.items():
        fields = data[record_type] or {}
        if not isinstance(fields, dict):
            raise fail(record_type, "expected a mapping of field: options")
        rules: dict[str, FieldRule] = {}
        for name, options in fields.items():
            where = f"{record_type}.{name}"
            if name not in known:
                raise fail(where, "not a field the portal can publish")
            options = options or {}
            if not isinstance(options, dict) or set(options) - {"coarsen"}:
                raise fail(where, "the only option is `coarsen`")
            coarsen = options.get("coarsen")
            if coarsen is not None:
                if name not in DATE_FIELDS[record_type]:
                    raise fail(where, "only a date can be coarsened")
                if coarsen not in COARSENINGS:
                    raise fail(where, f"coarsen to {' or '.join(COARSENINGS)}, not {coarsen!r}")
            rules[name] = FieldRule(name, coarsen)
        records[record_type] = rules
    statistics = data["statistics"]
    if not isinstance(statistics, dict) or set(statistics) != {"dimensions", "measures"}:
        raise fail("statistics", "expected `dimensions` and `measures`")
    book = catalogue()
    dimensions = tuple(statistics["dimensions"] or ())
    for dimension in dimensions:
        if dimension not in book.dimensions:
            raise fail(f"statistics.dimensions.{dimension}", "not a dimension of the statistics")
    measures = frozenset(statistics["measures"] or ())
    if measures - MEASURES:
        raise fail("statistics.measures", f"count {', '.join(sorted(MEASURES))} only")
    return Whitelist(records=records, dimensions=dimensions, measures=measures)


@cache
def load() -> Whitelist:
    try:
        data = yaml.safe_load(PATH.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise WhitelistError(f"{PATH}: cannot be read: {error}") from error
    return parse(data)

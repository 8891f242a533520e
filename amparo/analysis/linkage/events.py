"""Candidate duplicate events across sources, by rule rather than by a trained model.

An event has few comparable attributes (country, dates, type of act, place, victims) and they are
not independent of each other (a mass arrest has one date, one place and many victims), so a
Fellegi-Sunter model would have little to learn from and would overstate agreement. A reviewer
also needs to see *why* two events were paired. So two events are candidates when, all at once:

- they happened in the same country;
- their date ranges are at most `max_days_apart` days apart (0 when they overlap);
- they share a type of act, or one of them has none recorded;
- they share a victim (names compared by their transliteration-proof key, see `names`), or they
  happened in the same locality within `same_place_days` days.

The pairs come back with that evidence, the strongest first (more shared victims, then closer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from amparo.analysis.linkage.memory import in_memory_duckdb
from amparo.analysis.linkage.names import fold, name_keys
from amparo.analysis.linkage.records import STRINGS, LinkageInputError, typed_columns

EVENT_COLUMNS: dict[str, tuple[pa.DataType, bool]] = {
    "event_id": (pa.string(), True),
    "country": (pa.string(), True),
    "start_date": (pa.date32(), True),
    "end_date": (pa.date32(), False),  # missing: the event lasted one day
    "act_types": (STRINGS, False),
    "victim_names": (STRINGS, False),  # decrypted, in memory only
    "region": (pa.string(), False),
    "locality": (pa.string(), False),
}


@dataclass(frozen=True)
class EventRules:
    max_days_apart: int = 31
    same_place_days: int = 2


CANDIDATES = """
SELECT
    l.event_id AS left_id,
    r.event_id AS right_id,
    greatest(0, date_diff('day', l.end_date, r.start_date),
             date_diff('day', r.end_date, l.start_date)) AS days_apart,
    list_sort(list_intersect(l.act_types, r.act_types)) AS shared_act_types,
    len(list_intersect(l.victim_keys, r.victim_keys)) AS shared_victims,
    coalesce(l.region = r.region, false) AS same_region,
    coalesce(l.locality = r.locality, false) AS same_locality
FROM events AS l JOIN events AS r
  ON l.country = r.country AND l.event_id < r.event_id
WHERE days_apart <= $max_days_apart
  AND (len(l.act_types) = 0 OR len(r.act_types) = 0 OR list_has_any(l.act_types, r.act_types))
  AND (shared_victims > 0 OR (same_locality AND days_apart <= $same_place_days))
ORDER BY shared_victims DESC, days_apart, left_id, right_id
"""


def link_events(events: Any, rules: EventRules | None = None) -> pa.Table:
    """Candidate duplicate pairs among `events` (columns: EVENT_COLUMNS): left_id < right_id,
    days_apart, shared_act_types, shared_victims (count), same_region, same_locality."""
    rules = rules or EventRules()
    prepared = _prepared(events)
    connection = in_memory_duckdb()
    try:
        connection.register("events", prepared)
        limits = {"max_days_apart": rules.max_days_apart, "same_place_days": rules.same_place_days}
        return connection.sql(CANDIDATES, params=limits).to_arrow_table()
    finally:
        connection.close()


def _prepared(events: Any) -> pa.Table:
    table = typed_columns(events, EVENT_COLUMNS)
    columns: dict[str, list[Any]] = {
        "event_id": [],
        "country": [],
        "start_date": [],
        "end_date": [],
        "act_types": [],
        "victim_keys": [],
        "region": [],
        "locality": [],
    }
    seen: set[str] = set()
    for row, event in enumerate(table.to_pylist(), start=1):
        for name, (_kind, required) in EVENT_COLUMNS.items():
            if required and not event[name]:
                raise LinkageInputError("a value is required", field=name, row=row)
        if event["event_id"] in seen:
            raise LinkageInputError("this id is used twice", field="event_id", row=row)
        seen.add(event["event_id"])
        end = event["end_date"] or event["start_date"]
        if end < event["start_date"]:
            raise LinkageInputError("the event ends before it starts", field="end_date", row=row)
        columns["event_id"].append(event["event_id"])
        columns["country"].append(event["country"].strip().upper())
        columns["start_date"].append(event["start_date"])
        columns["end_date"].append(end)
        columns["act_types"].append(
            sorted({act.strip().upper() for act in event["act_types"] or ()})
        )
        victims = (name_keys(name).sorted_skeleton for name in event["victim_names"] or () if name)
        columns["victim_keys"].append(sorted({key for key in victims if key}))
        for place in ("region", "locality"):
            columns[place].append(fold(event[place] or "") or None)
    return pa.table(
        columns,
        schema=pa.schema(
            [
                ("event_id", pa.string()),
                ("country", pa.string()),
                ("start_date", pa.date32()),
                ("end_date", pa.date32()),
                ("act_types", STRINGS),
                ("victim_keys", STRINGS),
                ("region", pa.string()),
                ("locality", pa.string()),
            ]
        ),
    )

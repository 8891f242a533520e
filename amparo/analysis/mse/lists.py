"""From the facts to the list-overlap table: which lists documented each victim.

A victim (a pseudonym of the facts, one person after de-duplication) is on a list when a source
of that list reported an event in which they suffered the violation. The caller says which list
each source (by its id in the facts' `source_ids`) belongs to; a source of no list, and a victim
whose events have no source at all, count under `other` (the documenting organisation's own
knowledge and its one-off sources, such as a single witness).

Estimation needs few, large lists: past `max_lists`, the largest `max_lists - 1` are kept and the
others merged into `other`. Only counts leave: the per-victim membership becomes the overlap
table at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa

from amparo.analysis.facts import connect
from amparo.analysis.mse.overlaps import OverlapTable

OTHER = "other"

VICTIM_SOURCES = """
SELECT victim_id, list_distinct(flatten(list(source_ids))) AS sources
FROM facts
WHERE list_has_any(type_of_act_with_ancestors, $codes)
  AND ($country IS NULL OR country = $country)
  AND ($first IS NULL OR year >= $first)
  AND ($last IS NULL OR year <= $last)
  AND (NOT $verified_only OR verified)
GROUP BY victim_id
ORDER BY victim_id
"""


@dataclass(frozen=True)
class Lists:
    """The overlap table, and each list's own count of victims (before merging: `merged` names
    the lists folded into `other`)."""

    table: OverlapTable
    sizes: Mapping[str, int]
    merged: tuple[str, ...]

    @property
    def documented(self) -> int:
        return self.table.observed


def victim_sources(
    facts: pa.Table,
    type_of_act: Sequence[str],
    *,
    country: str | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
    verified_only: bool = False,
) -> dict[int, list[int]]:
    """Victim pseudonym → the sources of the events where they suffered one of these types of
    act (narrower terms included) in the country and years asked."""
    with connect() as connection:
        connection.register("facts", facts)
        rows = connection.sql(
            VICTIM_SOURCES,
            params={
                "codes": list(type_of_act),
                "country": country,
                "first": first_year,
                "last": last_year,
                "verified_only": verified_only,
            },
        ).fetchall()
    return {victim: list(sources or []) for victim, sources in rows}


def overlap_lists(
    sources_of_victims: Mapping[int, Sequence[int]],
    list_of_source: Mapping[int, str],
    *,
    max_lists: int,
) -> Lists:
    """The overlap table of these victims, lists named by `list_of_source`."""
    if max_lists < 2:
        raise ValueError("Estimation needs room for at least two lists.")
    membership: list[set[str]] = []
    for sources in sources_of_victims.values():
        lists = {list_of_source.get(source, OTHER) for source in sources} or {OTHER}
        membership.append(lists)
    sizes = Counter(name for lists in membership for name in lists)
    named = sorted((n for n in sizes if n != OTHER), key=lambda n: (-sizes[n], n))
    merged: tuple[str, ...] = ()
    room = max_lists - (1 if OTHER in sizes or len(named) > max_lists else 0)
    if len(named) > room:
        named, merged = named[:room], tuple(named[room:])
    kept = set(named)
    columns: dict[str, list[int]] = {name: [] for name in named}
    has_other = OTHER in sizes or bool(merged)
    if has_other:
        columns[OTHER] = []
    for lists in membership:
        folded = {name if name in kept else OTHER for name in lists}
        for name in columns:
            columns[name].append(1 if name in folded else 0)
    return Lists(OverlapTable.from_membership(columns), dict(sizes), merged)

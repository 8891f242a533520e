"""Time windows over sorted facts, for every subject at once, with NumPy.

Facts are sorted by (subject, day), so the facts of one subject within a window of days form one
contiguous run: a key subject * SPAN + day and two binary searches find it for every anchor at
once. The runs are then expanded into (anchor, fact) pairs, at most CAP per anchor (the most
recent), which keeps memory bounded when one subject has thousands of facts in a window; the
per-anchor results (counts, earliest availability) are reductions over those pairs.
"""

from __future__ import annotations

import numpy as np

from amparo.analysis.escalation.signals import BoolArray, Facts, IntArray

# Days are shifted by OFFSET into 0..SPAN-1 (years 1422 to 4290), so that keys never overlap.
OFFSET = 200_000
SPAN = 1 << 20
# The most facts of one window an anchor looks at (the most recent ones).
CAP = 64
NEVER = np.iinfo(np.int64).max


def day_key(group: IntArray, day: IntArray) -> IntArray:
    return group * SPAN + np.clip(day + OFFSET, 0, SPAN - 1)


def expand(low: IntArray, high: IntArray) -> tuple[IntArray, IntArray]:
    """Every pair (i, j) with low[i] <= j < high[i]: the owners i and the positions j."""
    lengths = np.maximum(high - low, 0)
    owner = np.repeat(np.arange(len(low), dtype=np.int64), lengths)
    offsets = np.cumsum(lengths) - lengths
    position = np.repeat(low - offsets, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
    return owner, position


def looking_back(
    facts: Facts,
    anchor_group: IntArray,
    anchor_day: IntArray,
    candidates: BoolArray,
    days: int,
    *,
    anchor_rows: IntArray | None = None,
    ahead: int = 0,
) -> tuple[IntArray, IntArray]:
    """Pairs (anchor, row): candidate rows of the anchor's subject dated from `days` before the
    anchor's day to `ahead` days after it. With `anchor_rows`, rows sorted after the anchor's own
    row are left out (so that two facts of one day pair once, with the later as anchor)."""
    rows = np.flatnonzero(candidates)
    keys = day_key(facts.subject[rows], facts.day[rows])
    low = np.searchsorted(keys, day_key(anchor_group, anchor_day - days), side="left")
    if anchor_rows is not None:
        high = np.searchsorted(rows, anchor_rows, side="right")
    else:
        high = np.searchsorted(keys, day_key(anchor_group, anchor_day + ahead), side="right")
    low = np.maximum(low, high - CAP)
    owner, position = expand(low, high)
    return owner, rows[position]


def group_min(owner: IntArray, values: IntArray, size: int) -> IntArray:
    """The smallest value per owner (NEVER for an owner without one)."""
    result = np.full(size, NEVER, dtype=np.int64)
    np.minimum.at(result, owner, values)
    return result


def kth_smallest(owner: IntArray, values: IntArray, k: int, size: int) -> IntArray:
    """The k-th smallest value per owner (NEVER for an owner with fewer than k)."""
    order = np.lexsort((values, owner))
    owner, values = owner[order], values[order]
    start = np.searchsorted(owner, np.arange(size), side="left")
    count = np.bincount(owner, minlength=size)
    result = np.full(size, NEVER, dtype=np.int64)
    enough = count >= k
    result[enough] = values[start[enough] + k - 1]
    return result


def first_of_groups(*keys: IntArray) -> tuple[IntArray, BoolArray]:
    """The order sorting the rows by the keys (first key most significant), and which sorted rows
    start a new group of equal keys."""
    order = np.lexsort(tuple(reversed(keys)))
    if len(order) == 0:
        return order, np.zeros(0, dtype=bool)
    start = np.zeros(len(order), dtype=bool)
    start[0] = True
    for key in keys:
        ordered = key[order]
        start[1:] |= ordered[1:] != ordered[:-1]
    return order, start

"""What a signal reads, as plain values: windows of time, readings, the flag rules and trends.

Nothing here imports Django or the database: the functions take plain inputs (dates, mappings)
and return a `Reading`, so that a provider for another app is a function of what that app
answers (see `feeds`), and each rule can be tested on its own.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

Number = int | Decimal

RISING = "rising"
FALLING = "falling"
STEADY = "steady"
UNKNOWN = "unknown"

# The statuses a recommendations feed answers with (see feeds.RECOMMENDATIONS).
IMPLEMENTED = "implemented"
PARTIALLY_IMPLEMENTED = "partially_implemented"
NOT_IMPLEMENTED = "not_implemented"
NO_INFORMATION = "no_information"
RECOMMENDATION_STATUSES = frozenset(
    {IMPLEMENTED, PARTIALLY_IMPLEMENTED, NOT_IMPLEMENTED, NO_INFORMATION}
)


class FeedError(ValueError):
    """An answer that does not have the agreed form; the message says what is wrong."""


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (earlier when negative), on the month's last day if shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Window:
    """The last `months` months up to and including `as_of`, and the same length before them.
    Periods are half-open: [start, end) and [previous_start, start)."""

    as_of: datetime.date
    months: int

    @property
    def end(self) -> datetime.date:
        return self.as_of + datetime.timedelta(days=1)

    @property
    def start(self) -> datetime.date:
        return add_months(self.end, -self.months)

    @property
    def previous_start(self) -> datetime.date:
        return add_months(self.end, -2 * self.months)

    @property
    def previous_as_of(self) -> datetime.date:
        return self.start - datetime.timedelta(days=1)


@dataclass(frozen=True)
class Reading:
    """One signal for one member: its value now and in the window before (None: no data),
    how many items a rate is computed over, figures for the explanation, the records behind it
    that some readers may open (e.g. intake reports), and where the figures can be checked.
    `unavailable` says why the signal could not be measured (the value is then None)."""

    value: Number | None
    previous: Number | None = None
    base: int | None = None
    detail: Mapping[str, int] = field(default_factory=dict)
    record_ids: tuple[str, ...] = ()
    source_url: str = ""
    unavailable: str = ""


def trend(value: Number | None, previous: Number | None) -> str:
    if value is None or previous is None:
        return UNKNOWN
    if value > previous:
        return RISING
    if value < previous:
        return FALLING
    return STEADY


def is_flagged(
    rule: str,
    threshold: Decimal,
    minimum: int,
    value: Number | None,
    previous: Number | None,
    base: int | None,
) -> bool:
    """The flag rules of rules/scorecard.csv (see amparo.network.rules)."""
    if value is None:
        return False
    if rule == "rise":
        if value < minimum:
            return False
        return previous is None or previous == 0 or value >= previous * threshold
    if rule == "at_least":
        return value >= threshold
    if rule == "below":
        return (base or 0) >= minimum and value < threshold
    raise ValueError(f"Unknown flag rule {rule!r}")


def split_counts(dates: Iterable[datetime.date], window: Window) -> tuple[int, int]:
    """How many of `dates` fall in the window, and in the one before it."""
    now = before = 0
    for day in dates:
        if window.start <= day < window.end:
            now += 1
        elif window.previous_start <= day < window.start:
            before += 1
    return now, before


def _date(item: Mapping[str, object], key: str, *, optional: bool = False) -> datetime.date | None:
    value = item.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise FeedError(f"{key} must be a date, not {type(value).__name__}")
    return value


def _items(items: object) -> list[Mapping[str, object]]:
    if not isinstance(items, list | tuple) or not all(isinstance(i, Mapping) for i in items):
        raise FeedError("items must be a list of mappings")
    return list(items)


def restrictive_laws(items: object, window: Window) -> Reading:
    """Laws recorded as restrictive, by the date each was adopted (`recorded_on`)."""
    dates = [_date(item, "recorded_on") for item in _items(items)]
    now, before = split_counts([d for d in dates if d is not None], window)
    return Reading(now, before, detail={"laws": now})


def _unacknowledged_at(
    alerts: list[tuple[datetime.date, datetime.date | None]], on: datetime.date, days: int
) -> int:
    """Alerts sent at least `days` days before `on` and not acknowledged within `days` days."""
    late = datetime.timedelta(days=days)
    return sum(
        1
        for sent, acknowledged in alerts
        if sent + late <= on and (acknowledged is None or acknowledged > sent + late)
    )


def unacknowledged_alerts(items: object, window: Window, days: int) -> Reading:
    """Alerts sent to the State (`sent_on`) in the window and not acknowledged
    (`acknowledged_on`) within `days` days; the window before it, as it stood at its end."""
    alerts: list[tuple[datetime.date, datetime.date | None]] = []
    for item in _items(items):
        sent = _date(item, "sent_on")
        assert sent is not None
        alerts.append((sent, _date(item, "acknowledged_on", optional=True)))
    current = [a for a in alerts if window.start <= a[0] < window.end]
    earlier = [a for a in alerts if window.previous_start <= a[0] < window.start]
    value = _unacknowledged_at(current, window.as_of, days)
    previous = _unacknowledged_at(earlier, window.previous_as_of, days)
    return Reading(value, previous, base=len(current), detail={"alerts": len(current)})


def implementation_rate(items: object, partial_weight: Decimal) -> Reading:
    """The share of recommendations on defenders implemented (a partial one counts
    `partial_weight`); those with no information count as not implemented."""
    statuses = []
    for item in _items(items):
        status = item.get("status")
        if status not in RECOMMENDATION_STATUSES:
            raise FeedError(f"status must be one of {', '.join(sorted(RECOMMENDATION_STATUSES))}")
        statuses.append(status)
    total = len(statuses)
    implemented = statuses.count(IMPLEMENTED)
    partial = statuses.count(PARTIALLY_IMPLEMENTED)
    detail = {"total": total, "implemented": implemented, "partially": partial}
    if not total:
        return Reading(None, base=0, detail=detail)
    rate = (Decimal(implemented) + Decimal(partial) * partial_weight) / Decimal(total)
    return Reading(rate.quantize(Decimal("0.001")), base=total, detail=detail)


def overdue_commitments(
    commitments: Iterable[tuple[datetime.date, datetime.date, datetime.date | None]],
    window: Window,
) -> Reading:
    """Commitments (pledged on, due on, fulfilled or withdrawn on) past their due date and still
    open, at the window's end and at the end of the window before it."""
    rows = list(commitments)

    def overdue_on(day: datetime.date) -> int:
        return sum(
            1
            for pledged, due, closed in rows
            if pledged <= day and due < day and (closed is None or closed > day)
        )

    value = overdue_on(window.as_of)
    return Reading(value, overdue_on(window.previous_as_of), detail={"overdue": value})

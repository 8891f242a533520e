"""Load counters without addresses, in the database so that every server process shares them.

A counter is the number of requests of one kind ("submit", "receipt", "reply", or a budget such
as "submit_without_pow") in one period: seconds since the epoch divided by the period's length.
That is all it holds: no address, client, form or submission. Each increment is one atomic
statement (INSERT ... ON CONFLICT DO UPDATE, on SQLite and PostgreSQL alike), so concurrent
processes never lose a count, and a budget's conditional increment cannot overshoot it.

Periods before the previous one are deleted whenever a request is counted (and by `amparo intake
purge`), so the table holds at most the last two periods: it shows that requests arrived in the
last minutes, never a history to set against the dates of reports.
"""

from __future__ import annotations

import time

from django.db import connection

from amparo.intake.models import LoadCounter

_TABLE = LoadCounter._meta.db_table


def _period(seconds: int, now: float | None = None) -> int:
    return int((time.time() if now is None else now) // seconds)


def _upsert(action: str, period: int, below: int | None) -> int | None:
    """Count one; with `below`, only while the count is under it. The new count, or None."""
    quote = connection.ops.quote_name
    table, count = quote(_TABLE), quote("count")
    condition = f" WHERE {table}.{count} < %s" if below is not None else ""
    # Only quoted identifiers are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({quote('action')}, {quote('period')}, {count}) "  # noqa: S608
        f"VALUES (%s, %s, 1) ON CONFLICT ({quote('action')}, {quote('period')}) "
        f"DO UPDATE SET {count} = {table}.{count} + 1{condition} RETURNING {count}"
    )
    params: list[str | int] = [action, period]
    if below is not None:
        params.append(below)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def add(action: str, seconds: int) -> int:
    """Count one request of `action` in the current period; returns the period's count."""
    period = _period(seconds)
    _sweep(action, period)
    counted = _upsert(action, period, None)
    assert counted is not None  # an unconditional upsert always returns its row
    return counted


def take(action: str, budget: int, seconds: int) -> bool:
    """Count one request against a budget per period; False (and nothing counted) once spent."""
    period = _period(seconds)
    _sweep(action, period)
    if budget <= 0:
        return False
    return _upsert(action, period, budget) is not None


def load(action: str, seconds: int, now: float | None = None) -> float:
    """Requests of `action` in the last `seconds`: the current period's count plus the share of
    the previous period's that the sliding window still covers."""
    moment = time.time() if now is None else now
    period = _period(seconds, moment)
    counts = dict(
        LoadCounter.objects.filter(action=action, period__in=[period - 1, period]).values_list(
            "period", "count"
        )
    )
    elapsed = (moment % seconds) / seconds
    return counts.get(period, 0) + counts.get(period - 1, 0) * (1 - elapsed)


def sweep(action: str, seconds: int) -> None:
    """Delete the periods of `action` older than the previous one."""
    _sweep(action, _period(seconds))


def _sweep(action: str, period: int) -> None:
    LoadCounter.objects.filter(action=action, period__lt=period - 1).delete()

"""Query expressions shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db.models import Func, IntegerField


class Unindexed(Func):
    """An integer column, written so that SQLite will not answer a condition on it from an
    index (`+column`, SQLite's documented way to disqualify a term). Where most rows match the
    condition anyway, this lets SQLite walk the index of the ORDER BY and stop after one page,
    instead of fetching every match through the other index and sorting them all. Other
    databases plan from statistics and get the column unchanged. It stays while the event
    list's figures need it: see `cases.queries._walk_in_order`."""

    template = "%(expressions)s"
    arity = 1
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra_context)

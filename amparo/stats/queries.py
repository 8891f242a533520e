"""What the stats app answers to its sibling apps, in plain data (see the contract in
amparo/network/scorecard/feeds.py)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from amparo.stats.models import LegalMeasure

# A measure restricts defenders from the day it is adopted; a bill does not yet, and a measure
# repealed or struck down still counts in the window in which it was adopted.
ADOPTED_STAGES = (
    LegalMeasure.Stage.ADOPTED,
    LegalMeasure.Stage.AMENDED,
    LegalMeasure.Stage.REPEALED,
    LegalMeasure.Stage.STRUCK_DOWN,
)


def restrictive_laws(
    *, countries: Sequence[str], start: datetime.date, end: datetime.date
) -> dict[str, dict[str, Any]]:
    """For each of `countries`, the laws restricting civic space recorded for it and adopted in
    [start, end), by the date of adoption; one query for them all. Laws are public information:
    nothing here depends on who asks."""
    codes = sorted({c.upper() for c in countries})
    rows = (
        LegalMeasure.objects.filter(
            country__in=codes,
            stage__in=ADOPTED_STAGES,
            adopted_on__gte=start,
            adopted_on__lt=end,
        )
        .order_by("adopted_on", "pk")
        .values_list("country", "adopted_on", "title")
    )
    items: dict[str, list[dict[str, Any]]] = {code: [] for code in codes}
    for country, adopted, title in rows:
        items[country].append({"recorded_on": adopted, "title": title})
    laws = reverse("stats:law_list")
    return {
        code: {"items": found, "url": f"{laws}?{urlencode({'country': code})}"}
        for code, found in items.items()
    }

"""The signals the network reads from its own installation: case records (killings, attacks,
reprisals against the NHRI), the secure intake channel (reprisals against the NHRI reported to
the network secretariat) and its own commitments (overdue commitments).

They read through the public queries of the cases and intake apps (`cases.queries.act_counts`,
`intake.queries.nhri_reprisal_reports`): counts over every organisation's verified records,
naming no event and no person, so the figures are the same whoever reads them. Links to the
intake reports behind a figure are shown only to those who may read the reports.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from amparo.cases import queries as cases_queries
from amparo.core.models import Term
from amparo.intake import queries as intake_queries
from amparo.network.models import Commitment
from amparo.network.rules import SignalRule
from amparo.network.scorecard import readings
from amparo.network.scorecard.readings import Reading, Window
from amparo.network.scorecard.registry import SignalProvider, register


def event_list_urls(countries: Sequence[str], window: Window, rule: SignalRule) -> dict[str, str]:
    """For each country, the event list filtered as the signal counts, as far as its filters go
    (one type of act); the reader sees there the events they may see."""
    common = {"date_from": window.start.isoformat(), "date_to": window.as_of.isoformat()}
    if len(rule.act_types) == 1 and not rule.victim_types:
        term = Term.objects.filter(thesaurus__code="hrd_violations", code=rule.act_types[0]).first()
        if term is not None:
            common["type_of_act"] = str(term.pk)
    base = reverse("cases:event_list")
    return {country: f"{base}?{urlencode({'country': country, **common})}" for country in countries}


def _acts(
    countries: Sequence[str], window: Window, rule: SignalRule
) -> tuple[dict[str, int], dict[str, int]]:
    def count(start: datetime.date, end: datetime.date) -> dict[str, int]:
        return cases_queries.act_counts(
            countries=countries,
            start=start,
            end=end,
            act_types=rule.act_types,
            victim_types=rule.victim_types,
        )

    return count(window.start, window.end), count(window.previous_start, window.start)


def read_acts(countries: Sequence[str], window: Window, rule: SignalRule) -> Mapping[str, Reading]:
    now, before = _acts(countries, window, rule)
    urls = event_list_urls(countries, window, rule)
    return {
        country: Reading(
            now.get(country, 0),
            before.get(country, 0),
            detail={"acts": now.get(country, 0)},
            source_url=urls[country],
        )
        for country in countries
    }


def explain_killings(reading: Reading, window: Window, rule: SignalRule) -> str:
    count = int(reading.value or 0)
    return ngettext(
        "%(count)d killing of a defender in the verified case records of the last %(months)d "
        "months, against %(previous)d in the %(months)d months before.",
        "%(count)d killings of defenders in the verified case records of the last %(months)d "
        "months, against %(previous)d in the %(months)d months before.",
        count,
    ) % {"count": count, "months": window.months, "previous": int(reading.previous or 0)}


def explain_attacks(reading: Reading, window: Window, rule: SignalRule) -> str:
    count = int(reading.value or 0)
    return ngettext(
        "%(count)d act against a defender in the verified case records of the last %(months)d "
        "months, against %(previous)d in the %(months)d months before.",
        "%(count)d acts against defenders in the verified case records of the last %(months)d "
        "months, against %(previous)d in the %(months)d months before.",
        count,
    ) % {"count": count, "months": window.months, "previous": int(reading.previous or 0)}


def read_nhri_reprisals(
    countries: Sequence[str], window: Window, rule: SignalRule
) -> Mapping[str, Reading]:
    """Acts against the NHRI in case records, plus the reports of reprisals against an NHRI the
    secretariat received through the secure channel. A report from which a case was opened is
    counted through that case, not twice."""
    now, before = _acts(countries, window, rule)
    reports_now: dict[str, list[str]] = defaultdict(list)
    reports_before: dict[str, int] = defaultdict(int)
    for report in intake_queries.nhri_reprisal_reports(start=window.previous_start, end=window.end):
        if report.case_opened:
            continue
        if report.received_on >= window.start:
            reports_now[report.country].append(str(report.id))
        else:
            reports_before[report.country] += 1
    urls = event_list_urls(countries, window, rule)
    found = {}
    for country in countries:
        acts, reports = now.get(country, 0), len(reports_now[country])
        found[country] = Reading(
            acts + reports,
            before.get(country, 0) + reports_before[country],
            detail={"acts": acts, "reports": reports},
            record_ids=tuple(reports_now[country]),
            source_url=urls[country],
        )
    return found


def explain_nhri_reprisals(reading: Reading, window: Window, rule: SignalRule) -> str:
    return _(
        "In the last %(months)d months: %(acts)d acts against the NHRI, its members or staff in "
        "verified case records, and %(reports)d reports of reprisals against the NHRI received "
        "by the network secretariat through the secure channel (%(previous)d in all in the "
        "%(months)d months before). A report that became a case is counted once, as the case."
    ) % {
        "months": window.months,
        "acts": reading.detail.get("acts", 0),
        "reports": reading.detail.get("reports", 0),
        "previous": int(reading.previous or 0),
    }


def read_overdue_commitments(
    countries: Sequence[str], window: Window, rule: SignalRule
) -> Mapping[str, Reading]:
    rows: dict[str, list[tuple[datetime.date, datetime.date, datetime.date | None]]]
    rows = defaultdict(list)
    for country, pledged, due, closed in Commitment.objects.filter(
        member__country__in=countries
    ).values_list("member__country", "pledged_on", "due_on", "closed_on"):
        rows[country].append((pledged, due, closed))
    found = {}
    for country in countries:
        reading = readings.overdue_commitments(rows[country], window)
        url = reverse("network:member_detail", args=[country]) + "#commitments"
        found[country] = dataclasses.replace(reading, source_url=url)
    return found


def explain_overdue_commitments(reading: Reading, window: Window, rule: SignalRule) -> str:
    count = int(reading.value or 0)
    return ngettext(
        "%(count)d commitment of the State is past its due date and still open; "
        "%(months)d months earlier: %(previous)d.",
        "%(count)d commitments of the State are past their due date and still open; "
        "%(months)d months earlier: %(previous)d.",
        count,
    ) % {"count": count, "previous": int(reading.previous or 0), "months": window.months}


CASE_RECORDS = gettext_lazy("Case records (verified events of every organisation)")

PROVIDERS = (
    SignalProvider("killings", CASE_RECORDS, read_acts, explain_killings),
    SignalProvider("attacks", CASE_RECORDS, read_acts, explain_attacks),
    SignalProvider(
        "nhri_reprisals",
        gettext_lazy("Case records and reports to the network secretariat"),
        read_nhri_reprisals,
        explain_nhri_reprisals,
    ),
    SignalProvider(
        "overdue_commitments",
        gettext_lazy("The State's commitments in the network"),
        read_overdue_commitments,
        explain_overdue_commitments,
    ),
)


def register_own() -> None:
    for provider in PROVIDERS:
        register(provider)

"""`amparo warning backtest`: the engine replayed over what this instance holds (imported records
included), in time order and without looking ahead, against the naive "alert on every threat"."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext as _

from amparo.analysis.escalation import BASELINE_FILE, Facts, load_rules, to_day
from amparo.analysis.escalation import backtest as run_backtest
from amparo.analysis.escalation import format_report as format_text
from amparo.core.services import DomainError
from amparo.warning.services import signals as signal_services


def backtest(start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """The report (see amparo.analysis.escalation.backtest) over [start, end]."""
    if end < start:
        raise DomainError(_("The period ends before it starts."))
    vocabularies = signal_services.vocabularies()
    facts = Facts.from_frame(signal_services.signals(None, with_intake=True), vocabularies)
    first, last = (int(day) for day in to_day([start, end]))
    return run_backtest(
        facts,
        signal_services.ruleset(),
        signal_services.risk_model(),
        first,
        last,
        baseline=load_rules(BASELINE_FILE, vocabularies=vocabularies),
    )


def rule_labels(language: str) -> dict[str, str]:
    rules = signal_services.ruleset()
    labels = {rule.id: rule.labels.get(language) for rule in rules.rules}
    for level in ("high", "extreme"):
        labels[f"risk_level:{level}"] = _("Risk level rose to %(level)s") % {"level": level}
    return labels


def format_report(report: dict[str, Any], language: str) -> str:
    headings = {
        "title": _("Backtest from {start} to {end}"),
        "engine": _("Rules and risk"),
        "baseline": _("Alert on every threat"),
        "outcomes": _("Killings and grave attacks"),
        "alerted": _("Alerted {lead}+ days before"),
        "recall": _("Lead-time recall"),
        "lead": _("Median lead time (days)"),
        "alerts": _("Alerts"),
        "burden": _("Alerts per 100 persons at risk per month"),
        "precision": _("Alerts followed by a grave outcome within {days} days"),
        "rule": _("Reason"),
        "rule_alerts": _("Alerts"),
        "rule_precision": _("Precision"),
    }
    return format_text(report, headings=headings, rule_labels=rule_labels(language))

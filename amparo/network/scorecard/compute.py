"""The backsliding scorecard: every signal of every member, computed from the records, each
explained, the flag rules applied. One function computes what the page, the API, the review
snapshot and `amparo network scorecard` show, so their figures are the same.

The scorecard flags; people decide. Nothing here changes a membership.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from amparo.network import queries, rules
from amparo.network.models import Member, Status, country_name, status_label
from amparo.network.rules import SignalRule
from amparo.network.scorecard import feeds, readings, registry
from amparo.network.scorecard.readings import Number, Reading, Window

DEFAULT_WINDOW_MONTHS = 12


@dataclass(frozen=True)
class Signal:
    id: str
    labels: rules.Labels
    value: Number | None
    previous: Number | None
    trend: str
    explanation: str
    source: str
    source_url: str
    rule: str
    flagged: bool
    available: bool
    window_months: int
    record_ids: tuple[str, ...] = ()
    # What the provider read, for the snapshot a review keeps.
    reading: Reading | None = None

    @property
    def label(self) -> str:
        return self.labels.text()

    @property
    def display(self) -> str:
        """The value as people read it: a count, or a rate in per cent."""
        if self.value is None:
            return "—"
        if isinstance(self.value, Decimal):
            return f"{(self.value * 100).quantize(Decimal('1'))} %"
        return str(self.value)

    @property
    def trend_label(self) -> str:
        return str(TREND_LABELS[self.trend])


TREND_LABELS = {
    readings.RISING: gettext_lazy("rising"),
    readings.FALLING: gettext_lazy("falling"),
    readings.STEADY: gettext_lazy("steady"),
    readings.UNKNOWN: gettext_lazy("no comparison"),
}


@dataclass(frozen=True)
class Scorecard:
    member_id: int
    country: str
    status: str
    as_of: datetime.date
    signals: tuple[Signal, ...]
    flagged_count: int
    flagged: bool

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    @property
    def status_label(self) -> str:
        return status_label(self.status)


def rule_text(rule: SignalRule) -> str:
    """The flag rule in words."""
    if rule.rule == rules.RISE:
        return _(
            "Flagged when the last %(months)d months count at least %(ratio)s times as many as "
            "the %(months)d months before, and at least %(minimum)d."
        ) % {"months": rule.window_months, "ratio": rule.threshold, "minimum": rule.minimum}
    if rule.rule == rules.AT_LEAST:
        if rule.window_months:
            return _("Flagged at %(threshold)s or more in the last %(months)d months.") % {
                "threshold": rule.threshold,
                "months": rule.window_months,
            }
        return _("Flagged at %(threshold)s or more.") % {"threshold": rule.threshold}
    return _("Flagged below %(percent)s %% once at least %(minimum)d count.") % {
        "percent": (rule.threshold * 100).quantize(Decimal("1")),
        "minimum": rule.minimum,
    }


def _not_measured(signal: str) -> str:
    feed = feeds.FEED_BY_SIGNAL.get(signal)
    if feed is None:
        return _("Not measured: nothing in this installation provides this signal.")
    if feeds.installed_function(feed) is None and feed in feeds.missing_functions():
        return _("Not measured: %(function)s is missing.") % {"function": feed.path}
    return _("Not measured: the %(app)s module is not installed.") % {"app": feed.app}


def _signal(rule: SignalRule, reading: Reading | None, window: Window) -> Signal:
    provider = registry.provider(rule.id)
    if provider is None or reading is None or reading.unavailable:
        explanation = reading.unavailable if reading is not None and reading.unavailable else ""
        return Signal(
            id=rule.id,
            labels=rule.labels,
            value=None,
            previous=None,
            trend=readings.UNKNOWN,
            explanation=explanation or _not_measured(rule.id),
            source=str(provider.source) if provider else "",
            source_url="",
            rule=rule_text(rule),
            flagged=False,
            available=False,
            window_months=window.months,
        )
    return Signal(
        id=rule.id,
        labels=rule.labels,
        value=reading.value,
        previous=reading.previous,
        trend=readings.trend(reading.value, reading.previous),
        explanation=provider.explain(reading, window, rule),
        source=str(provider.source),
        source_url=reading.source_url,
        rule=rule_text(rule),
        flagged=readings.is_flagged(
            rule.rule, rule.threshold, rule.minimum, reading.value, reading.previous, reading.base
        ),
        available=True,
        window_months=window.months,
        record_ids=reading.record_ids,
        reading=reading,
    )


def _window(rule: SignalRule, as_of: datetime.date) -> Window:
    return Window(as_of, rule.window_months or DEFAULT_WINDOW_MONTHS)


def _card(member: Member, as_of: datetime.date, signals: Iterable[Signal]) -> Scorecard:
    signals = tuple(signals)
    flagged = sum(1 for s in signals if s.flagged)
    return Scorecard(
        member_id=member.pk,
        country=member.country,
        status=member.status,
        as_of=as_of,
        signals=signals,
        flagged_count=flagged,
        flagged=flagged >= rules.settings().scorecard_flag_min_signals,
    )


def scored_members() -> list[Member]:
    """Every member whose membership has not ended, proposed ones included: the scorecard helps
    decide an invitation as much as a suspension."""
    return list(Member.objects.exclude(status=Status.ENDED).order_by("country"))


def compute(
    members: Sequence[Member] | None = None, as_of: datetime.date | None = None
) -> list[Scorecard]:
    """The scorecard of each of `members` (default: `scored_members()`) as of `as_of` (today)."""
    members = scored_members() if members is None else list(members)
    as_of = as_of or queries.today()
    codes = [member.country for member in members]
    per_signal: dict[str, tuple[Window, Mapping[str, Reading]]] = {}
    for rule in rules.signals().values():
        window = _window(rule, as_of)
        provider = registry.provider(rule.id)
        found = provider.read(codes, window, rule) if provider is not None and codes else {}
        per_signal[rule.id] = (window, found)
    return [
        _card(
            member,
            as_of,
            (
                _signal(rule, per_signal[rule.id][1].get(member.country), per_signal[rule.id][0])
                for rule in rules.signals().values()
            ),
        )
        for member in members
    ]


def for_member(member: Member, as_of: datetime.date | None = None) -> Scorecard:
    return compute([member], as_of)[0]


def summary(card: Scorecard) -> str:
    return ngettext(
        "%(count)d signal flagged of %(total)d.",
        "%(count)d signals flagged of %(total)d.",
        card.flagged_count,
    ) % {"count": card.flagged_count, "total": len(card.signals)}


# --- as data: the command's JSON, the API, the snapshot a review keeps ---------------------------


def _number(value: Number | None) -> int | float | None:
    if value is None or isinstance(value, int):
        return value
    return float(value)


def signal_data(signal: Signal) -> dict[str, Any]:
    return {
        "id": signal.id,
        "label": signal.labels.as_dict(),
        "value": _number(signal.value),
        "previous": _number(signal.previous),
        "trend": signal.trend,
        "flagged": signal.flagged,
        "available": signal.available,
        "rule": signal.rule,
        "explanation": signal.explanation,
        "source": signal.source,
        "source_url": signal.source_url,
        "window_months": signal.window_months,
    }


def card_data(card: Scorecard) -> dict[str, Any]:
    return {
        "country": card.country,
        "country_name": card.country_name,
        "status": card.status,
        "as_of": card.as_of.isoformat(),
        "flagged": card.flagged,
        "flagged_signals": card.flagged_count,
        "signals": [signal_data(signal) for signal in card.signals],
    }


def snapshot(card: Scorecard) -> dict[str, Any]:
    """What a review keeps of the scorecard: the figures, not the sentences, so that the
    snapshot reads in each reader's language later."""
    kept = []
    for signal in card.signals:
        reading = signal.reading if signal.available else None
        kept.append(
            {
                "id": signal.id,
                "available": reading is not None,
                "window_months": signal.window_months,
                "value": _number(reading.value) if reading else None,
                "previous": _number(reading.previous) if reading else None,
                "base": reading.base if reading else None,
                "detail": dict(reading.detail) if reading else {},
            }
        )
    return {"as_of": card.as_of.isoformat(), "signals": kept}


def _from_number(value: Any) -> Number | None:
    if value is None or isinstance(value, int):
        return value
    return Decimal(str(value))


def from_snapshot(member: Member, data: Mapping[str, Any]) -> Scorecard | None:
    """The scorecard a review kept, explained again in the reader's language; None if the
    review kept none (or one this version cannot read)."""
    try:
        as_of = datetime.date.fromisoformat(data["as_of"])
        kept = {item["id"]: item for item in data["signals"]}
    except (KeyError, TypeError, ValueError):
        return None
    signals = []
    for rule in rules.signals().values():
        item = kept.get(rule.id)
        window = Window(as_of, int(item["window_months"]) if item else _window(rule, as_of).months)
        reading = None
        if item and item.get("available"):
            reading = Reading(
                _from_number(item.get("value")),
                _from_number(item.get("previous")),
                base=item.get("base"),
                detail=item.get("detail") or {},
            )
        signal = _signal(rule, reading, window)
        if not signal.available:
            signal = dataclasses.replace(signal, explanation=_("Not measured at the time."))
        signals.append(signal)
    return _card(member, as_of, signals)

"""Signals read from the network's sibling apps when they are installed: restrictive laws
(stats), alerts left unacknowledged by the State (warning), implementation of recommendations on
defenders (recommendations).

Those apps must not import the network app, so the network reads them: each provides one
function, named below, that answers with plain data, and `register_installed` (called when the
network app is ready) turns it into a provider. An app that is installed without its function is
reported by `amparo check` (network.W001) and its signal shows as not measured; an answer in the
wrong form makes the signal "not measured" for that member, with the reason, never an error page.

The contract, for each app: one call for all the members scored (keyword arguments; dates are
`datetime.date`; [start, end) covers the scorecard's window and the window before it), answering
a mapping from each country code asked to that country's answer; a country left out has nothing
recorded. A country's answer is:

* `amparo.stats.queries.restrictive_laws(countries: list[str], start: date, end: date)`
  -> {"items": [{"recorded_on": date, "title": str}, ...], "url": str}
  the laws restricting defenders' work recorded for the country, by the date each was adopted.
* `amparo.warning.queries.alerts_to_state(countries: list[str], start: date, end: date)`
  -> {"items": [{"sent_on": date, "acknowledged_on": date | None}, ...], "url": str}
  the alerts sent to the State institutions of the country in the period, and when the State
  acknowledged each (None: not yet).
* `amparo.recommendations.queries.hrd_recommendations(countries: list[str], start: date, end:
  date)` -> {"items": [{"status": str}, ...], "url": str}
  the recommendations to the country on human rights defenders (UPR, treaty bodies, special
  procedures, regional bodies) made before `end`, each with its implementation status as one of
  "implemented", "partially_implemented", "not_implemented", "no_information".

One call for all members keeps the member list at a fixed number of queries however many
members the network has.

"url" is optional: a page where the reader can check the figures.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_stubs_ext import StrOrPromise

from amparo.network import rules
from amparo.network.rules import SignalRule
from amparo.network.scorecard import readings
from amparo.network.scorecard.readings import FeedError, Reading, Window
from amparo.network.scorecard.registry import SignalProvider, provider, register

logger = logging.getLogger(__name__)

ToReading = Callable[[object, Window, SignalRule], Reading]


@dataclass(frozen=True)
class Feed:
    signal: str
    app: str
    module: str
    function: str
    source: StrOrPromise
    reading: ToReading
    explain: Callable[[Reading, Window, SignalRule], str]

    @property
    def path(self) -> str:
        return f"{self.module}.{self.function}"


def _laws(items: object, window: Window, rule: SignalRule) -> Reading:
    return readings.restrictive_laws(items, window)


def _alerts(items: object, window: Window, rule: SignalRule) -> Reading:
    return readings.unacknowledged_alerts(
        items, window, rules.settings().alert_acknowledgement_days
    )


def _recommendations(items: object, window: Window, rule: SignalRule) -> Reading:
    return readings.implementation_rate(items, rules.settings().partial_implementation_weight)


def explain_laws(reading: Reading, window: Window, rule: SignalRule) -> str:
    count = int(reading.value or 0)
    return ngettext(
        "%(count)d law restricting defenders' work recorded in the last %(months)d months "
        "(%(previous)d in the %(months)d months before).",
        "%(count)d laws restricting defenders' work recorded in the last %(months)d months "
        "(%(previous)d in the %(months)d months before).",
        count,
    ) % {"count": count, "months": window.months, "previous": int(reading.previous or 0)}


def explain_alerts(reading: Reading, window: Window, rule: SignalRule) -> str:
    return _(
        "%(count)d of the %(alerts)d alerts sent to the State in the last %(months)d months "
        "were not acknowledged within %(days)d days (%(previous)d in the %(months)d months "
        "before)."
    ) % {
        "count": int(reading.value or 0),
        "alerts": reading.detail.get("alerts", 0),
        "months": window.months,
        "days": rules.settings().alert_acknowledgement_days,
        "previous": int(reading.previous or 0),
    }


def explain_recommendations(reading: Reading, window: Window, rule: SignalRule) -> str:
    if not reading.detail.get("total"):
        return _("No recommendation on defenders is recorded for this State.")
    return _(
        "Of %(total)d recommendations on defenders, %(implemented)d are implemented and "
        "%(partially)d partially (a partial one counts %(weight)s)."
    ) % {
        "total": reading.detail.get("total", 0),
        "implemented": reading.detail.get("implemented", 0),
        "partially": reading.detail.get("partially", 0),
        "weight": rules.settings().partial_implementation_weight,
    }


FEEDS = (
    Feed(
        "restrictive_laws",
        "amparo.stats",
        "amparo.stats.queries",
        "restrictive_laws",
        gettext_lazy("Restrictive laws recorded in the statistics"),
        _laws,
        explain_laws,
    ),
    Feed(
        "unacknowledged_alerts",
        "amparo.warning",
        "amparo.warning.queries",
        "alerts_to_state",
        gettext_lazy("Alerts of the early-warning system"),
        _alerts,
        explain_alerts,
    ),
    Feed(
        "hrd_recommendations",
        "amparo.recommendations",
        "amparo.recommendations.queries",
        "hrd_recommendations",
        gettext_lazy("Recommendations followed up in Amparo"),
        _recommendations,
        explain_recommendations,
    ),
)
FEED_BY_SIGNAL = {feed.signal: feed for feed in FEEDS}


def provider_for(feed: Feed, answer_for: Callable[..., Any]) -> SignalProvider:
    """A provider of `feed.signal` that asks `answer_for` once for all members."""

    def unavailable(reason: str) -> Reading:
        return Reading(None, unavailable=reason)

    def read(countries: Sequence[str], window: Window, rule: SignalRule) -> Mapping[str, Reading]:
        try:
            answers = answer_for(
                countries=list(countries), start=window.previous_start, end=window.end
            )
            if not isinstance(answers, Mapping):
                raise FeedError("the answer must map each country to its answer")
        except FeedError as error:
            logger.warning("%s answered in an unexpected form: %s", feed.path, error)
            return {c: unavailable(_unexpected_form(feed)) for c in countries}
        except Exception as error:
            logger.error("%s failed: %s", feed.path, error.__class__.__name__)
            failed = _("Not measured: %(source)s failed.") % {"source": feed.path}
            return {c: unavailable(failed) for c in countries}
        found: dict[str, Reading] = {}
        for country in countries:
            try:
                answer = answers.get(country, {"items": []})
                if not isinstance(answer, Mapping):
                    raise FeedError("a country's answer must be a mapping with items")
                reading = feed.reading(answer.get("items"), window, rule)
                url = answer.get("url") or ""
                if not isinstance(url, str):
                    raise FeedError("url must be text")
            except FeedError as error:
                # The app answered in a form the network cannot read: say so, do not guess.
                logger.warning("%s answered in an unexpected form: %s", feed.path, error)
                found[country] = unavailable(_unexpected_form(feed))
                continue
            found[country] = dataclasses.replace(reading, source_url=url)
        return found

    return SignalProvider(feed.signal, feed.source, read, feed.explain)


def _unexpected_form(feed: Feed) -> str:
    return _("Not measured: %(source)s answered in an unexpected form.") % {"source": feed.path}


def register_installed() -> None:
    """Register a provider for each feed whose app is installed and provides its function (a
    signal that has its provider already keeps it: this runs again when apps are reloaded)."""
    for feed in FEEDS:
        answer_for = installed_function(feed)
        if answer_for is not None and provider(feed.signal) is None:
            register(provider_for(feed, answer_for))


def installed_function(feed: Feed) -> Callable[..., Any] | None:
    if not apps.is_installed(feed.app):
        return None
    try:
        module = importlib.import_module(feed.module)
    except ImportError:
        return None
    function = getattr(module, feed.function, None)
    return function if callable(function) else None


def missing_functions() -> list[Feed]:
    """Feeds whose app is installed but does not provide the function (for the system check)."""
    return [f for f in FEEDS if apps.is_installed(f.app) and installed_function(f) is None]

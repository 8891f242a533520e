"""System checks (`amparo check`, and every command at start): the rules files read without a
problem, every transition has its audit action, every optional feed an installed app owes is
there."""

from __future__ import annotations

from typing import Any

from django.core import checks

from amparo.network import rules


@checks.register()
def rules_files(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    from amparo.network.scorecard import feeds, registry
    from amparo.network.services.lifecycle import TRANSITION_AUDIT

    found: list[checks.CheckMessage] = [
        checks.Error(problem, id="network.E001") for problem in rules.every_problem()
    ]
    if found:
        return found
    for transition in rules.lifecycle():
        if transition not in TRANSITION_AUDIT:
            found.append(
                checks.Error(
                    f"rules/lifecycle.csv: the transition {transition!r} has no audit action "
                    "(services/lifecycle.py TRANSITION_AUDIT).",
                    id="network.E002",
                )
            )
    for feed in feeds.missing_functions():
        found.append(
            checks.Warning(
                f"{feed.app} is installed but provides no {feed.path}: the scorecard's "
                f"{feed.signal!r} signal is not measured (see amparo/network/scorecard/feeds.py).",
                id="network.W001",
            )
        )
    for signal in rules.signals():
        if registry.provider(signal) is None and signal not in feeds.FEED_BY_SIGNAL:
            found.append(
                checks.Warning(
                    f"rules/scorecard.csv: nothing provides the signal {signal!r}.",
                    id="network.W002",
                )
            )
    return found

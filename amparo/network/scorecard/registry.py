"""The signal-provider interface of the backsliding scorecard, and the registry of providers.

A provider reads one signal of `rules/scorecard.csv` for many members at once:

    SignalProvider(
        signal="killings",              # the id in scorecard.csv
        source=_("Case records"),       # where the figures come from, for people
        read=read_killings,             # (countries, window, rule) -> {country: Reading}
        explain=explain_killings,       # (reading, window, rule) -> a sentence with the figures
    )

Labels (four languages) and the flag rule of each signal are data (scorecard.csv); the provider
only measures and explains. The network app registers its own providers (case records, intake,
commitments) and those of the optional apps it finds installed (`feeds`); nothing else imports
the network app, so other apps never register anything themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django_stubs_ext import StrOrPromise

from amparo.network.rules import SignalRule
from amparo.network.scorecard.readings import Reading, Window

Read = Callable[[Sequence[str], Window, SignalRule], Mapping[str, Reading]]
Explain = Callable[[Reading, Window, SignalRule], str]


@dataclass(frozen=True)
class SignalProvider:
    signal: str
    source: StrOrPromise
    read: Read
    explain: Explain


_providers: dict[str, SignalProvider] = {}


def register(provider: SignalProvider) -> None:
    registered = _providers.get(provider.signal)
    if registered is not None and registered != provider:
        raise ValueError(f"A provider of the signal {provider.signal!r} is already registered.")
    _providers[provider.signal] = provider


def unregister(signal: str) -> None:
    _providers.pop(signal, None)


def provider(signal: str) -> SignalProvider | None:
    return _providers.get(signal)


def registered() -> dict[str, SignalProvider]:
    return dict(_providers)

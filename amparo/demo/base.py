"""What every step of the demo world shares: its options, its refusal outside demo mode."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

DEFAULT_EVENTS = 400
DEFAULT_SEED = 2026


class DemoError(Exception):
    pass


def require_demo_mode() -> None:
    if not (settings.DEMO or settings.TESTING):
        raise DemoError(
            "Refused: the demo creates accounts with a published password; "
            "it runs only with AMPARO_DEMO=1."
        )


@dataclass(frozen=True)
class DemoOptions:
    events: int = DEFAULT_EVENTS
    seed: int = DEFAULT_SEED
    # Told how far a long step has come, in a line for people.
    progress: Callable[[str], None] | None = None


@dataclass(frozen=True)
class DemoStep:
    """One app's part of the world: `build` makes what is missing (keeping what exists) and
    says in one line what it made."""

    name: str
    build: Callable[[DemoOptions], str]

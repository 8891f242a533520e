"""The steps of the demo world, in the order they build on each other. A new app adds its
module to amparo/demo/ and its step here, after the steps it needs."""

from __future__ import annotations

from amparo.demo import (
    accounts,
    cases,
    intake,
    network,
    portal,
    recommendations,
    response,
    stats,
    warning,
)
from amparo.demo.base import DemoOptions, DemoStep

STEPS: tuple[DemoStep, ...] = (
    accounts.STEP,
    cases.STEP,
    intake.STEP,
    stats.STEP,
    recommendations.STEP,
    network.STEP,
    warning.STEP,
    response.STEP,
    portal.STEP,
)


def build(options: DemoOptions) -> list[tuple[str, str]]:
    """Run every step; (step name, what it made) for each."""
    return [(step.name, step.build(options)) for step in STEPS]

"""`mse`: how long multiple systems estimation takes for five lists, both methods.

The data follow the first simulation of Manrique-Vallier (2016, Biometrics 72(4), section 5): a
population of N = 2,000 in two strata (1,800 hard to document, 200 easy), five lists with
heterogeneous coverage, drawn once with a fixed seed. Log-linear: `estimate()` at its defaults,
i.e. all 1,024 hierarchical models, profile likelihood intervals of the AIC- and BIC-best models
and both averages. Latent class: `estimate(method="lcmcr")` at its default sampler settings.
Times are medians over runs (wall clock, and CPU time of this process, which a busy machine
disturbs less); the estimates are reported beside the true N so a regression in accuracy shows too.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from amparo.analysis.mse import Estimate, LcmcrSettings, OverlapTable, estimate
from tests.bench import Figures, benchmark

TRUE_TOTAL = 2000
# (stratum size, probability of being on each of the five lists)
STRATA = [
    (1800, (0.033, 0.033, 0.099, 0.132, 0.033)),
    (200, (0.660, 0.825, 0.759, 0.990, 0.693)),
]
LOGLINEAR_RUNS = 5
LCMCR_SEEDS = (1, 2, 3)


def simulated_lists(seed: int = 100) -> OverlapTable:
    rng = np.random.default_rng(seed)
    rows = [rng.random((size, 5)) < np.array(probabilities) for size, probabilities in STRATA]
    captured = np.vstack(rows).astype(int)
    captured = captured[captured.any(axis=1)]
    names = [f"list{j + 1}" for j in range(5)]
    return OverlapTable.from_membership({name: captured[:, j] for j, name in enumerate(names)})


def timed(work: Callable[[], Estimate]) -> tuple[Estimate, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def summary(result: Estimate) -> dict[str, Any]:
    return {
        "estimate": round(result.estimate, 1) if result.estimate is not None else None,
        "lower": round(result.lower, 1) if result.lower is not None else None,
        "upper": round(result.upper, 1) if result.upper is not None else None,
        "covers_true_total": result.lower is not None
        and result.lower <= TRUE_TOTAL <= (result.upper or float("inf")),
        "warnings": [warning.code for warning in result.warnings],
    }


@benchmark("mse")
def run() -> Figures:
    table = simulated_lists()
    loglinear_runs = [timed(lambda: estimate(table)) for _ in range(LOGLINEAR_RUNS)]
    lcmcr_runs = [
        timed(lambda seed=seed: estimate(table, method="lcmcr", settings=LcmcrSettings(seed=seed)))
        for seed in LCMCR_SEEDS
    ]
    settings = LcmcrSettings()
    posterior = lcmcr_runs[0][0].posterior
    assert posterior is not None
    iterations = settings.burn_in + settings.samples * settings.thinning
    lcmcr_cpu = statistics.median(cpu for _, _, cpu in lcmcr_runs)
    return {
        "lists": 5,
        "true_total": TRUE_TOTAL,
        "observed": table.observed,
        "loglinear": {
            "models": len(loglinear_runs[0][0].models),
            "runs": LOGLINEAR_RUNS,
            "median_seconds": round(statistics.median(wall for _, wall, _ in loglinear_runs), 3),
            "median_cpu_seconds": round(statistics.median(cpu for _, _, cpu in loglinear_runs), 3),
            **summary(loglinear_runs[0][0]),
        },
        "lcmcr": {
            "settings": {
                "classes": settings.classes,
                "chains": settings.chains,
                "burn_in": settings.burn_in,
                "samples": settings.samples,
                "thinning": settings.thinning,
            },
            "runs": len(LCMCR_SEEDS),
            "median_seconds": round(statistics.median(wall for _, wall, _ in lcmcr_runs), 2),
            "median_cpu_seconds": round(lcmcr_cpu, 2),
            "chain_iterations_per_cpu_second": round(iterations * settings.chains / lcmcr_cpu),
            "effective_samples": [
                round(result.posterior.effective_samples)
                for result, _, _ in lcmcr_runs
                if result.posterior is not None
            ],
            "r_hat": [
                round(result.posterior.r_hat or 0.0, 3)
                for result, _, _ in lcmcr_runs
                if result.posterior is not None
            ],
            **summary(lcmcr_runs[0][0]),
        },
    }

"""The latent-class sampler: exact where the posterior is known in closed form, and checked on
published data with a known answer. Monte Carlo tolerances come from the run's own effective
number of draws, with a fixed seed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from amparo.analysis.mse import LcmcrSettings, OverlapTable, estimate
from amparo.analysis.mse.lcmcr import (
    effective_sample_size,
    potential_scale_reduction,
    sample_population,
)
from tests.analysis.mse_published import CORMACK_3, HIV_ROME, KOSOVO

# Kosovo Memory Book: the near-complete count of killings in the same period, N = 10,401, quoted
# as ground truth for this data set by HRDAG ("Implementing LCMCR in Stan", S. Zhang, 2022,
# github.com/HRDAG/StanLCMCR write/src/blogpost.Rmd), after Krüger & Ball (2014), "Evaluation of
# the Database of the Kosovo Memory Book".
KOSOVO_MEMORY_BOOK = 10_401
# Ball et al. (2002), the log-linear analysis of the same four lists: 95% interval 9,002 to 12,122
# (testimony at the ICTY, reported by NU.nl, "Minstens 4400 Kosovaren gedood tijdens NAVO-actie").
BALL_2002_INTERVAL = (9_002, 12_122)


def single_class_posterior(table: OverlapTable, ceiling: int) -> tuple[np.ndarray, np.ndarray]:
    """With one latent class, LCMCR is model Mt with uniform priors on the coverage and p(N)
    proportional to 1/N; integrating the coverage out gives, for N = n .. n + ceiling,
    p(N | data) proportional to Gamma(N) / Gamma(N - n + 1) * prod_j B(1 + n_j, 1 + N - n_j)."""
    n = table.observed
    totals = [table.list_total(j) for j in range(len(table.lists))]
    population = np.arange(n, n + ceiling + 1)
    log_density = np.array(
        [
            math.lgamma(N)
            - math.lgamma(N - n + 1)
            + sum(math.lgamma(1 + t) + math.lgamma(1 + N - t) - math.lgamma(2 + N) for t in totals)
            for N in population
        ]
    )
    density = np.exp(log_density - log_density.max())
    return population, np.cumsum(density) / density.sum()


@pytest.mark.parametrize("data", [HIV_ROME, CORMACK_3], ids=["hiv", "cormack"])
def test_with_one_class_the_sampler_reproduces_the_exact_posterior(data: OverlapTable) -> None:
    settings = LcmcrSettings(classes=1, chains=4, burn_in=200, samples=500, thinning=2, seed=7)
    posterior = sample_population(data, settings)
    population, cdf = single_class_posterior(data, 20 * data.observed)
    draws = posterior.effective_samples

    def exact(below: float) -> float:
        """P(N <= below) under the exact posterior."""
        return float(cdf[math.floor(below) - data.observed])

    for probability in (0.025, 0.5, 0.975):
        sampled = posterior.quantile(probability)
        # N is discrete: the exact probability strictly below the sampled quantile must not
        # exceed `probability`, nor the probability up to it fall short of it, beyond 4 Monte
        # Carlo standard errors.
        error = 4 * math.sqrt(probability * (1 - probability) / draws)
        assert exact(math.ceil(sampled) - 1) <= probability + error, (probability, sampled)
        assert exact(sampled) >= probability - error, (probability, sampled)
    probabilities = np.diff(cdf, prepend=0.0)
    mean = float(population @ probabilities)
    spread = math.sqrt(float((population - mean) ** 2 @ probabilities))
    assert posterior.draws.mean() == pytest.approx(mean, abs=4 * spread / math.sqrt(draws))


def test_the_same_seed_gives_the_same_draws_and_another_seed_others() -> None:
    short = LcmcrSettings(chains=2, burn_in=20, samples=10, thinning=1, seed=3)

    first = sample_population(CORMACK_3, short)
    again = sample_population(CORMACK_3, short)
    other = sample_population(CORMACK_3, LcmcrSettings(**{**short.__dict__, "seed": 4}))

    assert np.array_equal(first.draws, again.draws)
    assert not np.array_equal(first.draws, other.draws)
    assert first.draws.shape == (2, 10)
    assert (first.draws >= CORMACK_3.observed).all()


def test_effective_draws_of_independent_values_are_about_their_number() -> None:
    independent = np.random.default_rng(0).normal(size=4000)

    assert 3000 < effective_sample_size(independent) <= 4000 * 1.2


def test_effective_draws_of_a_sticky_chain_are_few() -> None:
    sticky = np.repeat(np.random.default_rng(0).normal(size=40), 100)

    assert effective_sample_size(sticky) < 100


def test_r_hat_is_about_one_for_agreeing_chains_and_large_for_disagreeing_ones() -> None:
    rng = np.random.default_rng(0)
    agreeing = rng.normal(size=(4, 1000))
    disagreeing = agreeing + np.arange(4)[:, None] * 3

    assert potential_scale_reduction(agreeing) == pytest.approx(1, abs=0.01)
    assert potential_scale_reduction(disagreeing) > 1.5  # type: ignore[operator]
    assert potential_scale_reduction(agreeing[:1]) is None


def test_a_sampler_setting_that_cannot_work_is_refused() -> None:
    with pytest.raises(ValueError, match="settings"):
        LcmcrSettings(samples=0)


@pytest.mark.slow
def test_kosovo_killings_at_default_settings_agree_with_the_known_count() -> None:
    """LCMCR's own example data (Ball et al. 2002): the posterior median falls inside Ball et al.'s
    95% interval and the 95% credible interval contains the Kosovo Memory Book count, with chains
    that agree (R-hat below 1.1) and enough effective draws."""
    result = estimate(KOSOVO, method="lcmcr")
    posterior = result.posterior
    assert posterior is not None and result.estimate is not None

    assert BALL_2002_INTERVAL[0] < result.estimate < BALL_2002_INTERVAL[1]
    assert result.lower < KOSOVO_MEMORY_BOOK < result.upper  # type: ignore[operator]
    assert posterior.r_hat is not None and posterior.r_hat < 1.1
    assert posterior.effective_samples > 200
    assert result.warnings == ()

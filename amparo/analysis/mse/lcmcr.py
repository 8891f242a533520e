"""Bayesian latent-class capture-recapture in the style of LCMCR (Manrique-Vallier 2016).

Model (Manrique-Vallier, "Bayesian population size estimation using Dirichlet process mixtures",
Biometrics 72(4), 2016): each of the N victims belongs to a latent class z; within class k, list j
documents a victim independently with probability lambda_jk. Class weights pi follow a
stick-breaking Dirichlet process truncated at K classes, pi_k = V_k prod_{h<k} (1 - V_h) with
V_k ~ Beta(1, alpha), V_K = 1 and alpha ~ Gamma(a, b) (shape, rate); lambda_jk ~ Beta(1, 1); and
p(N) is proportional to 1/N. Heterogeneity between victims, and the dependence between lists that
it induces, is absorbed by the mixture without choosing a model.

The Gibbs sampler works on the table of counts, with data augmentation for the undocumented victims
(each step draws from its full conditional):

1. the classes of the documented victims: for each observed pattern, a multinomial split of its
   count over the classes, with probabilities pi_k prod_j lambda_jk^x_j (1 - lambda_jk)^(1 - x_j);
2. lambda_jk ~ Beta(1 + documented by j in class k, 1 + not documented by j in class k), counting
   the augmented undocumented victims among the latter;
3. V_k ~ Beta(1 + n_k, alpha + sum_{h>k} n_h), hence pi;
4. the number of undocumented victims n0 ~ NegativeBinomial(n, 1 - pi0), pi0 = sum_k pi_k
   prod_j (1 - lambda_jk) the probability of being documented by no list (this is where the 1/N
   prior enters), and their classes as a multinomial split of n0 with weights pi_k prod_j
   (1 - lambda_jk);
5. alpha ~ Gamma(a + K - 1, b - sum_{k<K} log(1 - V_k)).

Several chains run side by side in the same arrays (NumPy's per-call overhead, not arithmetic,
dominates at these sizes, so eight chains cost about twice one), each started from a draw of the
prior. The model mixes slowly in N (the undocumented count and the coverage of the least-documented
class move together), hence the long default burn-in and thinning; the effective number of draws
and the Gelman-Rubin R-hat across chains are reported so that a short run shows itself.

Beta draws go through log-gamma variates (log G = log Gamma(s + 1) + log(U) / s), so that a class
with a tiny stick does not underflow to a log of zero. As in the LCMCR package, n0 is redrawn
when it exceeds MAX_MISSING_RATIO times the documented count (the sampler has wandered into a
region with no support from the data); how often that happened is reported.

The estimate is the posterior median of N = n + n0 with an equal-tailed credible interval.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from amparo.analysis.mse.overlaps import OverlapTable

Floats = npt.NDArray[np.float64]
Integers = npt.NDArray[np.int64]

MAX_MISSING_RATIO = 20
_REDRAWS = 100


@dataclass(frozen=True)
class LcmcrSettings:
    """Sampler settings; the defaults run in seconds for five lists (see tests/bench/mse.py).

    Independent chains run side by side in the same NumPy arrays, which costs little more than
    one; each runs burn_in + samples * thinning iterations and keeps `samples` draws. The prior on
    alpha is LCMCR's default.
    """

    classes: int = 10
    chains: int = 8
    burn_in: int = 10_000
    samples: int = 250
    thinning: int = 40
    seed: int = 20160
    alpha_shape: float = 0.25
    alpha_rate: float = 0.25

    def __post_init__(self) -> None:
        if min(self.classes, self.chains, self.samples, self.thinning) < 1 or self.burn_in < 0:
            raise ValueError(f"Unusable sampler settings: {self}.")


@dataclass(frozen=True)
class Posterior:
    """Draws of the population size N (one row per chain), and what a reader needs to judge them."""

    draws: Integers
    observed: int
    settings: LcmcrSettings
    capped_draws: int  # n0 draws redrawn for exceeding MAX_MISSING_RATIO * n
    seconds: float

    def quantile(self, probability: float) -> float:
        return float(np.quantile(self.draws, probability))

    @property
    def median(self) -> float:
        return self.quantile(0.5)

    def interval(self, confidence: float) -> tuple[float, float]:
        return self.quantile((1 - confidence) / 2), self.quantile((1 + confidence) / 2)

    @property
    def effective_samples(self) -> float:
        """Summed over chains (Geyer's initial positive sequence in each)."""
        return sum(effective_sample_size(chain.astype(np.float64)) for chain in self.draws)

    @property
    def r_hat(self) -> float | None:
        """Gelman-Rubin potential scale reduction of N across chains (None with one chain)."""
        return potential_scale_reduction(self.draws.astype(np.float64))


def sample_population(table: OverlapTable, settings: LcmcrSettings) -> Posterior:
    """Run the Gibbs sampler (module docstring) in `settings.chains` chains; return the draws of N.

    Arrays carry the chain as their first axis.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(settings.seed)
    k = len(table.lists)
    classes, chains = settings.classes, settings.chains
    cells = [index for index in range(1, 2**k) if table.counts[index] > 0]
    patterns = np.array([table.pattern(index) for index in cells], dtype=np.float64)
    # [x, 1 - x] @ [log lambda; log(1 - lambda)]: the log-likelihood of each cell in each class
    indicators = np.hstack([patterns, 1.0 - patterns])
    frequencies = np.array([table.counts[index] for index in cells], dtype=np.int64)
    n = int(frequencies.sum())
    ceiling = MAX_MISSING_RATIO * n
    size = k * classes

    # Start each chain from a draw of the prior: coverage uniform, class weights with alpha = 1.
    ones = np.ones((chains, size + classes - 1))
    log_a, log_b = _log_beta(rng, ones, ones)
    log_coverage = np.hstack([log_a[:, :size], log_b[:, :size]]).reshape(chains, 2 * k, classes)
    log_1m_v = log_b[:, size:]
    log_weights = _stick_breaking(log_a[:, size:], log_1m_v)
    alpha = np.ones(chains)
    missing_by_class = np.zeros((chains, classes), dtype=np.int64)

    total = settings.burn_in + settings.samples * settings.thinning
    draws = np.empty((chains, settings.samples), dtype=np.int64)
    capped = 0
    for iteration in range(total):
        # 1. classes of the documented victims
        log_p = indicators @ log_coverage + log_weights[:, None, :]
        p = np.exp(log_p - log_p.max(axis=2, keepdims=True))
        by_cell_class = rng.multinomial(frequencies, p / p.sum(axis=2, keepdims=True))
        in_class = by_cell_class.sum(axis=1) + missing_by_class
        # 2. list coverage per class and 3. class weights, from one batch of gamma draws
        listed = (patterns.T @ by_cell_class).reshape(chains, size)
        after = in_class[:, ::-1].cumsum(axis=1)[:, -2::-1]  # victims in the classes after each
        log_a, log_b = _log_beta(
            rng,
            np.hstack([1.0 + listed, 1.0 + in_class[:, :-1]]),
            np.hstack([1.0 + np.tile(in_class, k) - listed, alpha[:, None] + after]),
        )
        log_coverage = np.hstack([log_a[:, :size], log_b[:, :size]]).reshape(chains, 2 * k, classes)
        log_1m_v = log_b[:, size:]
        log_weights = _stick_breaking(log_a[:, size:], log_1m_v)
        # 4. undocumented victims and their classes
        log_unseen = log_weights + log_coverage[:, k:].sum(axis=1)
        peak = log_unseen.max(axis=1, keepdims=True)
        unseen = np.exp(log_unseen - peak)
        unseen_total = unseen.sum(axis=1)
        log_pi0 = np.minimum(peak[:, 0] + np.log(unseen_total), 0.0)
        seen = np.maximum(-np.expm1(log_pi0), 1e-300)
        missing = rng.negative_binomial(n, seen)
        for _ in range(_REDRAWS):
            over = missing > ceiling
            if not over.any():
                break
            capped += int(over.sum())
            missing[over] = rng.negative_binomial(n, seen[over])
        missing = np.minimum(missing, ceiling)
        missing_by_class = rng.multinomial(missing, unseen / unseen_total[:, None])
        # 5. concentration of the Dirichlet process
        alpha = rng.gamma(
            settings.alpha_shape + classes - 1,
            1.0 / (settings.alpha_rate - log_1m_v.sum(axis=1)),
        )
        kept = iteration - settings.burn_in
        if kept >= 0 and kept % settings.thinning == 0:
            draws[:, kept // settings.thinning] = n + missing
    return Posterior(draws, n, settings, capped, time.perf_counter() - started)


def _log_beta(rng: np.random.Generator, shape_a: Floats, shape_b: Floats) -> tuple[Floats, Floats]:
    """log X and log(1 - X) for X ~ Beta(a, b), elementwise, from one batch of log-gamma draws."""
    shapes = np.hstack([shape_a, shape_b])
    # Gamma(s) = Gamma(s + 1) * U^(1/s): stays finite in logs however small s is.
    gamma = np.maximum(rng.standard_gamma(shapes + 1.0), np.finfo(np.float64).tiny)
    log_gamma = np.log(gamma) + np.log(1.0 - rng.random(shapes.shape)) / shapes
    split = shape_a.shape[-1]
    log_a, log_b = log_gamma[..., :split], log_gamma[..., split:]
    log_sum = np.logaddexp(log_a, log_b)
    return log_a - log_sum, log_b - log_sum


def _stick_breaking(log_v: Floats, log_1m_v: Floats) -> Floats:
    """log pi_k = log V_k + sum_{h<k} log(1 - V_h), with V_K = 1 (one row per chain)."""
    log_weights = np.zeros((log_v.shape[0], log_v.shape[1] + 1))
    log_weights[:, :-1] = log_v
    log_weights[:, 1:] += np.cumsum(log_1m_v, axis=1)
    return log_weights


def effective_sample_size(draws: Floats) -> float:
    """Geyer's initial positive sequence estimate of the number of independent draws."""
    count = len(draws)
    centred = draws - draws.mean()
    variance = float(centred @ centred) / count
    if variance == 0:
        return float(count)
    spectrum = np.fft.rfft(centred, n=2 * count)
    autocorrelation = np.fft.irfft(spectrum * np.conjugate(spectrum))[:count] / (count * variance)
    total = 0.0
    for lag in range(0, count - 1, 2):
        pair = float(autocorrelation[lag] + autocorrelation[lag + 1])
        if pair <= 0:
            break
        total += pair
    return count / max(2 * total - 1, 1.0)


def potential_scale_reduction(chains: Floats) -> float | None:
    """Gelman & Rubin's R-hat on split chains (each chain halved), as in Gelman et al. (2013)."""
    if chains.shape[0] < 2 or chains.shape[1] < 4:
        return None
    half = chains.shape[1] // 2
    split = np.vstack([chains[:, :half], chains[:, half : 2 * half]])
    within = float(split.var(axis=1, ddof=1).mean())
    between = half * float(split.mean(axis=1).var(ddof=1))
    if within == 0:
        return None if between == 0 else math.inf
    return math.sqrt(((half - 1) / half * within + between / half) / within)

"""Log-linear models for the incomplete 2^k table of list overlaps (Fienberg 1972).

Every hierarchical model up to two-way interactions is fitted: all main effects, and each subset of
the list-pair interactions. A model is a Poisson GLM with log link on the 2^k - 1 observed cells,
fitted here by iteratively reweighted least squares; the fitted count of the unobserved cell is
exp(intercept), so the population estimate is N = n + exp(intercept) (Cormack 1989). Everything
follows Rcapture (Baillargeon & Rivest 2007, `closedpCI.t` and `closedpMS.t`) so that its published
figures can check this code:

* standard error by the delta method, sqrt(m0 + m0^2 var(intercept)) with m0 = exp(intercept);
* AIC = -2 log L + 2p with the Poisson likelihood of the observed cells, BIC = AIC + (log n - 2) p
  with n the number of documented victims and p the number of parameters;
* the interval of one model is the multinomial profile likelihood interval of Cormack (1992): for
  each candidate N the model is refitted to the complete table with N - n in the unobserved cell,
  and N is kept while twice the drop in log likelihood stays under the chi-square quantile.

Model averaging weights each model by exp(-delta/2) of its AIC (or BIC) difference to the best
(Buckland, Burnham & Augustin 1997). Its interval is the model-averaged tail area (MATA) interval of
Turek & Fletcher (2012) on the log(N - n) scale, where each model's estimate is taken as
log-normal with its delta-method standard error (Chao 1987): the bounds are where the
weight-averaged tail areas equal (1 - confidence) / 2. The averaged point estimate is the median of
that same mixture, so it always lies inside its interval and a model with a tiny weight and an
exploding estimate cannot drag it.

Guards: an interaction between two lists that share no victim has no finite estimate, so it is left
out of every model (the caller warns). A model whose unobserved cell runs away (more than
UNBOUNDED_RATIO times the documented count, or a fit that does not converge) has no finite maximum
likelihood estimate; it is reported without an estimate and left out of selection and averaging.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from amparo.analysis.mse.overlaps import OverlapTable

Vector = npt.NDArray[np.floating[Any]]
Matrix = npt.NDArray[np.floating[Any]]
Pair = tuple[int, int]

# An unobserved cell this many times the documented count means the likelihood has no maximum.
UNBOUNDED_RATIO = 1000.0
MAX_ITERATIONS = 100
# Relative change in deviance that ends the iterations (glm.fit uses 1e-8).
TOLERANCE = 1e-10
# Keeps exp() finite while a fit runs away; such a fit is reported as unbounded anyway.
_MAX_LINEAR_PREDICTOR = 700.0


@dataclass(frozen=True)
class PoissonFit:
    coefficients: Vector
    fitted: Vector
    deviance: float
    covariance: Matrix | None
    converged: bool


@dataclass(frozen=True)
class ModelFit:
    """One hierarchical log-linear model fitted to the observed cells."""

    interactions: tuple[Pair, ...]
    parameters: int
    deviance: float
    df: int
    aic: float
    bic: float
    estimate: float | None  # None: no finite maximum likelihood estimate
    stderr: float | None
    log_unobserved: float  # log of the fitted unobserved cell
    log_unobserved_se: float  # its standard error (delta method, see module docstring)
    converged: bool

    @property
    def bounded(self) -> bool:
        return self.estimate is not None


@dataclass(frozen=True)
class Interval:
    estimate: float
    lower: float
    upper: float | None  # None: no upper limit below UNBOUNDED_RATIO times the documented count


def design_matrix(k: int, interactions: Sequence[Pair]) -> Matrix:
    """Rows: the 2^k patterns by index (row 0 is the unobserved cell); columns: intercept, the k
    main effects, then one column per interaction."""
    index = np.arange(2**k)
    bits = (index[:, None] >> np.arange(k)[None, :]) & 1
    columns = [np.ones(2**k), *bits.T]
    columns += [bits[:, i] * bits[:, j] for i, j in interactions]
    return np.column_stack(columns).astype(np.float64)


def fit_poisson(design: Matrix, counts: Vector, start: Vector | None = None) -> PoissonFit:
    """Poisson log-linear regression by iteratively reweighted least squares, from the counts or
    from `start`, the linear predictor of an earlier fit with the same design."""
    coefficients: Vector = np.zeros(design.shape[1])
    if start is None:
        eta = np.log(counts + 0.1)
    else:
        coefficients = np.linalg.lstsq(design, start, rcond=None)[0]
        eta = _linear_predictor(design, coefficients)
    mu = np.exp(eta)
    deviance = _deviance(counts, mu)
    converged = False
    for iteration in range(MAX_ITERATIONS):
        working = eta + (counts - mu) / mu
        weighted = design * mu[:, None]
        information = design.T @ weighted
        try:
            proposal = np.linalg.solve(information, weighted.T @ working)
        except np.linalg.LinAlgError:
            proposal = np.linalg.lstsq(information, weighted.T @ working, rcond=None)[0]
        previous = deviance
        eta = _linear_predictor(design, proposal)
        deviance = _deviance(counts, np.exp(eta))
        # Newton's step can overshoot from a start far from the optimum (the profile likelihood
        # starts each fit from the previous one): halve it until the deviance goes down. The
        # first step from the counts is exempt: they are not a fit of this model.
        for _ in range(50):
            if (iteration == 0 and start is None) or deviance <= previous:
                break
            proposal = (coefficients + proposal) / 2
            eta = _linear_predictor(design, proposal)
            deviance = _deviance(counts, np.exp(eta))
        coefficients = proposal
        mu = np.exp(eta)
        if abs(deviance - previous) <= TOLERANCE * (abs(deviance) + 0.1):
            converged = True
            break
    try:
        covariance: Matrix | None = np.linalg.inv(design.T @ (design * mu[:, None]))
    except np.linalg.LinAlgError:
        covariance = None
    return PoissonFit(coefficients, mu, deviance, covariance, converged)


def _linear_predictor(design: Matrix, coefficients: Vector) -> Vector:
    return np.clip(design @ coefficients, -_MAX_LINEAR_PREDICTOR, _MAX_LINEAR_PREDICTOR)


def _deviance(counts: Vector, fitted: Vector) -> float:
    positive = counts > 0
    ratio = np.log(counts[positive] / fitted[positive])
    return float(2 * (np.sum(counts[positive] * ratio) - np.sum(counts - fitted)))


def fit_model(table: OverlapTable, interactions: tuple[Pair, ...]) -> ModelFit:
    k = len(table.lists)
    n = table.observed
    design = design_matrix(k, interactions)[1:]
    counts = np.asarray(table.counts[1:], dtype=np.float64)
    fit = fit_poisson(design, counts)
    parameters = design.shape[1]
    log_likelihood = float(
        np.sum(counts * np.log(fit.fitted) - fit.fitted)
        - sum(math.lgamma(count + 1) for count in table.counts[1:])
    )
    aic = -2 * log_likelihood + 2 * parameters
    log_unobserved = float(fit.coefficients[0])
    unobserved = math.exp(log_unobserved)
    intercept_variance = math.nan if fit.covariance is None else float(fit.covariance[0, 0])
    # A variance that is not a finite positive number comes from a singular fit: the data
    # cannot identify the unobserved cell under this model.
    bounded = (
        fit.converged
        and unobserved <= UNBOUNDED_RATIO * n
        and math.isfinite(intercept_variance)
        and intercept_variance >= 0
    )
    return ModelFit(
        interactions=interactions,
        parameters=parameters,
        deviance=fit.deviance,
        df=len(counts) - parameters,
        aic=aic,
        bic=aic + (math.log(n) - 2) * parameters,
        estimate=n + unobserved if bounded else None,
        stderr=math.sqrt(unobserved + unobserved**2 * intercept_variance) if bounded else None,
        log_unobserved=log_unobserved,
        log_unobserved_se=math.sqrt(1 / unobserved + intercept_variance) if bounded else math.inf,
        converged=fit.converged,
    )


def hierarchical_models(pairs: Sequence[Pair]) -> Iterator[tuple[Pair, ...]]:
    """Every subset of the allowed interactions, fewest first: 2^len(pairs) models."""
    for size in range(len(pairs) + 1):
        yield from combinations(pairs, size)


def fit_all(table: OverlapTable, pairs: Sequence[Pair]) -> list[ModelFit]:
    return [fit_model(table, interactions) for interactions in hierarchical_models(pairs)]


def weights(criteria: Sequence[float]) -> list[float]:
    """Akaike weights exp(-delta/2), normalised, for information criteria (AIC or BIC)."""
    best = min(criteria)
    raw = [math.exp(-(value - best) / 2) for value in criteria]
    total = sum(raw)
    return [value / total for value in raw]


def profile_interval(
    table: OverlapTable, interactions: tuple[Pair, ...], estimate: float, confidence: float
) -> Interval:
    """Cormack's (1992) multinomial profile likelihood interval for one model, as Rcapture's
    closedpCI.t computes it; `estimate` is the model's Poisson estimate, which brackets the search.

    The returned estimate is the maximum of the profile likelihood (Rcapture's "multinomial
    estimation"), which is close to but not exactly the Poisson one.
    """
    n = table.observed
    design = design_matrix(len(table.lists), interactions)
    counts = np.asarray(table.counts, dtype=np.float64)
    start: list[Vector | None] = [None]  # each fit starts from the previous one's fitted values

    def log_likelihood(total: float) -> float:
        missing = max(total - n, 0.0)
        counts[0] = missing
        fit = fit_poisson(design, counts, start[0])
        start[0] = np.log(fit.fitted)
        # The multinomial log likelihood is the Poisson one (-deviance / 2, up to a constant) plus
        # this correction (Cormack 1992), exact here where Rcapture uses Stirling's formula.
        correction = (
            _x_log_x(missing) + math.lgamma(total + 1) - _x_log_x(total) - math.lgamma(missing + 1)
        )
        return -fit.deviance / 2 + correction

    peak = _golden_section_maximum(log_likelihood, float(n), 3 * estimate)
    top = log_likelihood(peak)
    threshold = top - NormalDist().inv_cdf((1 + confidence) / 2) ** 2 / 2

    def above(total: float) -> bool:
        return log_likelihood(total) >= threshold

    lower = float(n) if above(float(n)) else _bisect(above, float(n), peak)
    ceiling = n + UNBOUNDED_RATIO * n
    high = max(3 * estimate, peak + 1)
    while above(high):
        if high >= ceiling:
            return Interval(peak, lower, None)
        high = min(n + (high - n) * 4, ceiling)
    return Interval(peak, lower, _bisect(lambda total: not above(total), peak, high))


def _x_log_x(value: float) -> float:
    return value * math.log(value) if value > 0 else 0.0


def _golden_section_maximum(function: Callable[[float], float], low: float, high: float) -> float:
    ratio = (math.sqrt(5) - 1) / 2
    left, right = high - ratio * (high - low), low + ratio * (high - low)
    at_left, at_right = function(left), function(right)
    while high - low > 1e-4 * max(1.0, low):
        if at_left >= at_right:
            high, right, at_right = right, left, at_left
            left = high - ratio * (high - low)
            at_left = function(left)
        else:
            low, left, at_left = left, right, at_right
            right = low + ratio * (high - low)
            at_right = function(right)
    return (low + high) / 2


def _bisect(inside: Callable[[float], bool], outside_end: float, inside_end: float) -> float:
    """The boundary between `outside_end` (where `inside` is false) and `inside_end`."""
    while abs(inside_end - outside_end) > 1e-7 * max(1.0, abs(inside_end)):
        middle = (outside_end + inside_end) / 2
        if inside(middle):
            inside_end = middle
        else:
            outside_end = middle
    return (outside_end + inside_end) / 2


def averaged_interval(
    models: Sequence[ModelFit], model_weights: Sequence[float], observed: int, confidence: float
) -> Interval:
    """Model-averaged median and MATA interval on the log(N - n) scale (module docstring)."""
    normal = NormalDist()
    means = np.array([model.log_unobserved for model in models])
    spreads = np.array([model.log_unobserved_se for model in models])
    shares = np.array(model_weights)

    def tail(log_missing: float) -> float:
        return float(np.sum(shares * [normal.cdf(z) for z in (log_missing - means) / spreads]))

    # Search log(N - n) between a vanishing undocumented count and the unbounded ceiling.
    floor, ceiling = -50.0, math.log(UNBOUNDED_RATIO * observed)

    def quantile(probability: float) -> float | None:
        low, high = floor, ceiling
        if tail(high) < probability:
            return None
        for _ in range(200):
            middle = (low + high) / 2
            if tail(middle) < probability:
                low = middle
            else:
                high = middle
        return observed + math.exp(high)

    alpha = 1 - confidence
    # Every model's own median is below the ceiling, so the mixture's median and lower tail are.
    median, lower = quantile(0.5), quantile(alpha / 2)
    assert median is not None and lower is not None
    return Interval(median, lower, quantile(1 - alpha / 2))


@dataclass(frozen=True)
class TwoListEstimate:
    lincoln_petersen: float
    chapman: float
    chapman_stderr: float
    lower: float
    upper: float


def two_lists(table: OverlapTable, confidence: float) -> TwoListEstimate:
    """Lincoln-Petersen and Chapman's nearly unbiased estimator with Seber's variance (Seber 1982,
    p. 60) and the log-normal interval of Chao (1987); the lists must overlap."""
    first, second, both = table.list_total(0), table.list_total(1), table.overlap(0, 1)
    n = table.observed
    chapman = (first + 1) * (second + 1) / (both + 1) - 1
    variance = (
        (first + 1)
        * (second + 1)
        * (first - both)
        * (second - both)
        / ((both + 1) ** 2 * (both + 2))
    )
    lower, upper = log_normal_interval(n, chapman, variance, confidence)
    return TwoListEstimate(first * second / both, chapman, math.sqrt(variance), lower, upper)


def log_normal_interval(
    observed: int, estimate: float, variance: float, confidence: float
) -> tuple[float, float]:
    """Chao's (1987) interval: N - n log-normal, so the lower bound is never below n."""
    missing = estimate - observed
    if missing <= 0 or variance <= 0:
        return float(observed), estimate
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    factor = math.exp(z * math.sqrt(math.log(1 + variance / missing**2)))
    return observed + missing / factor, observed + missing * factor

"""Log-linear estimates checked against published analyses of published data.

Figures are compared at the precision they were published with: a figure printed as 850 must
round to 850. Fits are closed form or converge to machine precision, so nothing looser is needed,
except for the profile likelihood intervals: Rcapture evaluates the multinomial correction with
Stirling's approximation when N > 100 and stops R's glm at a relative deviance change of 1e-8,
which moves its bounds and maximum by up to about 2e-5 relative (e.g. 10027.6 for our 10027.54).
"""

from __future__ import annotations

import math

import pytest

from amparo.analysis.mse import loglinear
from tests.analysis.mse_published import (
    BRUNO_DIABETES,
    CORMACK_3,
    CORMACK_4,
    DARROCH_R3,
    HIV_ROME,
    SEBER_1982,
)

# Rcapture's profile interval is within this relative distance of the exact one (module docstring).
PROFILE_TOLERANCE = 2e-5


def published(value: float | None, figure: float, decimals: int = 0) -> bool:
    """`value` printed with `decimals` decimals reads `figure`."""
    return value is not None and abs(value - figure) <= 0.5 * 10**-decimals + 1e-9


def interactions(*names: str) -> tuple[loglinear.Pair, ...]:
    """Rcapture's model names: "12" is the interaction of lists 1 and 2."""
    return tuple((int(name[0]) - 1, int(name[1]) - 1) for name in names)


def test_seber_two_sample_example_gives_lincoln_petersen_and_chapman() -> None:
    """Seber (1982) p. 107, in Rcapture's closedp.t example: Mt (Lincoln-Petersen) 2389.9, s.e.
    130.4; and closedp.bc "Mt" (Chapman's bias-corrected estimator) 2382.8, s.e. 129.1."""
    independence = loglinear.fit_model(SEBER_1982, ())
    two = loglinear.two_lists(SEBER_1982, 0.95)

    assert published(independence.estimate, 2389.9, 1)
    assert published(independence.stderr, 130.4, 1)
    assert published(two.lincoln_petersen, 2389.9, 1)
    assert published(two.chapman, 2382.8, 1)
    assert published(two.chapman_stderr, 129.1, 1)
    assert SEBER_1982.observed < two.lower < two.chapman < two.upper


def test_hiv_rome_saturated_two_way_model_matches_rcapture() -> None:
    """Rcapture's HIV example (Abeni et al. 1994 data), model (c1+c2+c3+c4)^2: abundance 23443.5,
    s.e. 9594.9, deviance 3.037 on 4 df, AIC 92.073; multinomial profile estimate 23269.8 with
    95% interval 10027.6 to 50046.3."""
    model = loglinear.fit_model(HIV_ROME, tuple(HIV_ROME.pairs()))
    assert model.estimate is not None

    interval = loglinear.profile_interval(HIV_ROME, model.interactions, model.estimate, 0.95)

    assert published(model.estimate, 23443.5, 1)
    assert published(model.stderr, 9594.9, 1)
    assert published(model.deviance, 3.037, 3)
    assert model.df == 4
    assert published(model.aic, 92.073, 3)
    assert interval.estimate == pytest.approx(23269.8, rel=PROFILE_TOLERANCE)
    assert interval.lower == pytest.approx(10027.6, rel=PROFILE_TOLERANCE)
    assert interval.upper == pytest.approx(50046.3, rel=PROFILE_TOLERANCE)


def test_hiv_rome_model_with_the_one_useful_interaction_matches_rcapture() -> None:
    """Rcapture's HIV example, model ~ . + c1:c2: abundance 12318.5, s.e. 1188.7, deviance 7.614
    on 9 df, AIC 86.65; profile estimate 12308 with 95% interval 10266 to 14992.3."""
    model = loglinear.fit_model(HIV_ROME, interactions("12"))
    assert model.estimate is not None

    interval = loglinear.profile_interval(HIV_ROME, model.interactions, model.estimate, 0.95)

    assert published(model.estimate, 12318.5, 1)
    assert published(model.stderr, 1188.7, 1)
    assert published(model.deviance, 7.614, 3)
    assert model.df == 9
    assert published(model.aic, 86.65, 2)
    assert interval.estimate == pytest.approx(12308, rel=PROFILE_TOLERANCE)
    assert interval.lower == pytest.approx(10266, rel=PROFILE_TOLERANCE)
    assert interval.upper == pytest.approx(14992.3, rel=PROFILE_TOLERANCE)


def test_hiv_rome_aic_chooses_the_model_rcapture_documentation_arrives_at() -> None:
    """Rcapture's HIV example: "Eliminating the non significant interactions stepwise shows that
    only the [1,2] interaction is important". Over all 64 models, AIC picks the same one."""
    models = loglinear.fit_all(HIV_ROME, HIV_ROME.pairs())

    best = min(models, key=lambda model: model.aic)

    assert len(models) == 2**6
    assert best.interactions == interactions("12")


@pytest.mark.parametrize(
    ("model", "estimate", "stderr", "deviance", "df"),
    [
        (("12", "13", "23"), 1240, 451, None, 0),
        (("12", "23"), 850, 186, 3.8, 1),
    ],
)
def test_darroch_r3_data_match_rivest_2011(
    model: tuple[str, ...], estimate: int, stderr: int, deviance: float | None, df: int
) -> None:
    """Rivest (2011) on the R3 data of Darroch et al. (1993), as Rcapture's testPapersResults.R
    reproduces it: saturated model 1240 (s.e. 451); without [13], 850 (s.e. 186), deviance 3.8
    on 1 df."""
    fit = loglinear.fit_model(DARROCH_R3, interactions(*model))

    assert published(fit.estimate, estimate)
    assert published(fit.stderr, stderr)
    assert deviance is None or published(fit.deviance, deviance, 1)
    assert fit.df == df


@pytest.mark.parametrize(
    ("model", "estimate", "stderr", "deviance", "df"),
    [
        (("12", "13", "23", "24", "34"), 2771, 145, 7.62, 5),
        (("13", "24", "34"), 2472, 53, 21.97, 7),
    ],
)
def test_bruno_diabetes_data_match_rivest_2011(
    model: tuple[str, ...], estimate: int, stderr: int, deviance: float, df: int
) -> None:
    """Rivest (2011) on the diabetes data of Bruno et al. (1994), as Rcapture reproduces it:
    Bruno's model (every interaction but [14]) 2771, s.e. 145, deviance 7.62 on 5 df; Rivest's
    interaction set [13, 24, 34] 2472, s.e. 53, deviance 21.97 on 7 df."""
    fit = loglinear.fit_model(BRUNO_DIABETES, interactions(*model))

    assert published(fit.estimate, estimate)
    assert published(fit.stderr, stderr)
    assert published(fit.deviance, deviance, 2)
    assert fit.df == df


@pytest.mark.parametrize(
    ("model", "estimate", "deviance", "df"),
    [
        ((), 215, 87.1, 10),
        (("12", "13", "14", "23", "24", "34"), None, 1.3, 4),
        (("34",), 215, None, 9),
        (("34", "13"), None, 7.7, 8),
        (("12", "13", "34"), 218, 2.6, 7),
        (("12", "13", "14", "34"), None, None, 6),
    ],
)
def test_cormack_four_lists_match_table_3a(
    model: tuple[str, ...], estimate: int | None, deviance: float | None, df: int
) -> None:
    """Cormack, Chang & Smith (2000) Table 3a, as Rcapture reproduces it: independence 215
    (deviance 87.1, 10 df); [34] 215; [13, 34] deviance 7.7; [12, 13, 34] 218 (2.6 on 7 df)."""
    fit = loglinear.fit_model(CORMACK_4, interactions(*model))

    assert estimate is None or published(fit.estimate, estimate)
    assert deviance is None or published(fit.deviance, deviance, 1)
    assert fit.df == df


@pytest.mark.parametrize("model", [("12", "13", "14", "23", "24", "34"), ("12", "13", "14", "34")])
def test_cormack_models_without_a_finite_estimate_are_reported_unbounded(
    model: tuple[str, ...],
) -> None:
    """Cormack et al. (2000) Table 3a: under these two models the estimate runs away (Rcapture's
    tests require more than 1,000,000 for 215 documented deaths)."""
    fit = loglinear.fit_model(CORMACK_4, interactions(*model))

    assert not fit.bounded
    assert fit.estimate is None
    assert math.exp(fit.log_unobserved) > 1_000_000


@pytest.mark.parametrize(
    ("model", "estimate", "deviance", "df", "lower", "upper"),
    [
        ((), 209, 75.1, 3, 203, 217),
        (("23",), None, 1.2, 2, 210, None),
        (("12", "23"), None, 0.6, 1, None, None),
        (("13", "23"), 233, None, 1, 204, None),
        (("12", "13", "23"), None, 0.0, 0, None, None),
    ],
)
def test_cormack_three_lists_match_table_3b(
    model: tuple[str, ...],
    estimate: int | None,
    deviance: float | None,
    df: int,
    lower: int | None,
    upper: int | None,
) -> None:
    """Cormack, Chang & Smith (2000) Table 3b, as Rcapture reproduces it, with its 95% profile
    likelihood intervals: independence 209 (203 to 217), deviance 75.1 on 3 df; [23] from 210;
    [13, 23] 233, from 204."""
    fit = loglinear.fit_model(CORMACK_3, interactions(*model))
    assert fit.estimate is not None

    interval = loglinear.profile_interval(CORMACK_3, fit.interactions, fit.estimate, 0.95)

    assert estimate is None or published(fit.estimate, estimate)
    assert deviance is None or published(fit.deviance, deviance, 1)
    assert fit.df == df
    assert lower is None or published(interval.lower, lower)
    assert upper is None or published(interval.upper, upper)


def test_akaike_weights_follow_the_differences_in_aic() -> None:
    weights = loglinear.weights([100.0, 102.0, 110.0])

    assert sum(weights) == pytest.approx(1)
    assert weights[1] / weights[0] == pytest.approx(math.exp(-1))
    assert weights[2] / weights[0] == pytest.approx(math.exp(-5))


def test_an_average_dominated_by_one_model_is_that_model() -> None:
    models = loglinear.fit_all(HIV_ROME, HIV_ROME.pairs())
    chosen = next(model for model in models if model.interactions == interactions("12"))
    others = [0.0 if model is not chosen else 1.0 for model in models]
    bounded = [
        (model, weight) for model, weight in zip(models, others, strict=True) if model.bounded
    ]

    average = loglinear.averaged_interval(
        [model for model, _ in bounded], [weight for _, weight in bounded], 1896, 0.95
    )

    # The log-normal median of a single model is n + exp(log m0), its Poisson estimate.
    assert average.estimate == pytest.approx(chosen.estimate)
    assert average.lower < chosen.estimate < average.upper  # type: ignore[operator]


def test_the_log_normal_interval_never_goes_below_the_documented_count() -> None:
    lower, upper = loglinear.log_normal_interval(100, 105.0, 400.0, 0.95)

    assert 100 < lower < 105 < upper

"""The entry point: one plain result, warnings instead of crashes when assumptions fail, and the
invariants any estimate must keep."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo.analysis.mse import Estimate, LcmcrSettings, OverlapTable, estimate
from amparo.analysis.mse.estimate import EXPLOSION_RATIO, RULES
from tests.analysis.mse_published import CORMACK_4, HIV_ROME, SEBER_1982

QUICK = LcmcrSettings(chains=2, burn_in=50, samples=20, thinning=1)


def codes(result: Estimate) -> list[str]:
    return [warning.code for warning in result.warnings]


def table(lists: str, **counts: int) -> OverlapTable:
    """table("ABC", AB=3, C=4): 3 victims on A and B only, 4 on C only."""
    return OverlapTable.from_patterns(
        list(lists),
        {tuple(int(name in key) for name in lists): count for key, count in counts.items()},
    )


THREE_LISTS = table("ABC", A=60, B=50, C=40, AB=20, AC=15, BC=10, ABC=5)


def test_the_result_is_the_json_the_cli_prints() -> None:
    result = estimate(HIV_ROME).to_dict()

    assert json.loads(json.dumps(result)) == result
    assert {"estimate", "lower", "upper", "observed", "method", "models", "warnings"} <= set(result)
    assert result["observed"] == 1896
    assert result["method"] == "loglinear:average-aic"
    assert len(result["models"]) == 64
    assert set(result["selections"]) == set(RULES)
    model = result["models"][1]
    assert model["terms"] == [["c1"], ["c2"], ["c3"], ["c4"], ["c1", "c2"]]
    assert {"deviance", "df", "aic", "bic", "weight_aic", "weight_bic", "estimate"} <= set(model)
    assert sum(model["weight_aic"] for model in result["models"]) == pytest.approx(1)


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_gives_an_interval_around_its_estimate(rule: str) -> None:
    result = estimate(HIV_ROME, rule=rule)  # type: ignore[arg-type]

    assert result.estimate is not None and result.lower is not None and result.upper is not None
    assert result.observed <= result.lower <= result.estimate <= result.upper
    assert result.method == f"loglinear:{rule}"


def test_the_aic_rule_reports_the_best_model_and_its_profile_interval() -> None:
    """The AIC-best HIV model is [1,2] (Rcapture: 12318.5, profile interval 10266 to 14992.3)."""
    result = estimate(HIV_ROME, rule="aic")

    assert result.estimate == pytest.approx(12318.5, abs=0.05)
    assert result.lower == pytest.approx(10266, rel=2e-5)
    assert result.upper == pytest.approx(14992.3, rel=2e-5)


def test_bic_weights_favour_smaller_models_than_aic_weights() -> None:
    result = estimate(HIV_ROME).to_dict()
    independence = result["models"][0]

    assert independence["weight_bic"] > independence["weight_aic"]


def test_two_lists_give_chapman_with_a_warning_about_independence() -> None:
    result = estimate(SEBER_1982)

    assert result.method == "chapman"
    assert result.estimate == pytest.approx(2382.8, abs=0.05)  # Seber (1982) p. 107, via Rcapture
    assert codes(result) == ["two-lists"]
    assert result.to_dict()["models"][0]["estimate"] == pytest.approx(2389.9, abs=0.05)


def test_two_lists_that_share_nobody_give_no_estimate() -> None:
    result = estimate(table("AB", A=10, B=12))

    assert result.estimate is None and result.lower is None and result.upper is None
    assert codes(result) == ["no-overlap"]


def test_lists_that_never_overlap_give_no_estimate() -> None:
    result = estimate(table("ABC", A=10, B=12, C=3))

    assert result.estimate is None
    assert codes(result) == ["no-overlap"]


def test_no_victims_give_no_estimate() -> None:
    result = estimate(table("ABC"))

    assert result.estimate is None
    assert codes(result) == ["no-victims"]


def test_one_list_with_victims_gives_no_estimate() -> None:
    result = estimate(table("AB", A=10))

    assert result.estimate is None
    assert codes(result) == ["empty-list", "too-few-lists"]


def test_a_list_without_victims_is_left_out() -> None:
    with_empty = table("ABCD", A=60, B=50, C=40, AB=20, AC=15, BC=10, ABC=5)

    result = estimate(with_empty)

    assert codes(result)[0] == "empty-list"
    assert result.lists == ("A", "B", "C")
    assert result.estimate == pytest.approx(estimate(THREE_LISTS).estimate)


def test_an_empty_overlap_leaves_that_interaction_out_of_every_model() -> None:
    result = estimate(table("ABC", A=60, B=50, C=40, AB=20, AC=15, ABC=0))

    assert "empty-overlap" in codes(result)
    assert len(result.models) == 4  # 2^2 subsets of the two pairs that overlap
    assert all((1, 2) not in model.interactions for model in result.models)


def test_small_counts_and_thin_overlaps_are_flagged() -> None:
    result = estimate(table("ABC", A=6, B=5, C=4, AB=3, AC=2, BC=1, ABC=1))

    assert {"few-victims", "thin-overlap"} <= set(codes(result))


def test_models_without_a_finite_estimate_are_counted_and_left_out() -> None:
    """Cormack et al. (2000) Table 3a: some models run away (see test_mse_loglinear)."""
    result = estimate(CORMACK_4)

    assert "unbounded-models" in codes(result)
    weights = [
        w for w, model in zip(result.weights_aic, result.models, strict=True) if not model.bounded
    ]
    assert weights and all(weight is None for weight in weights)
    assert result.estimate is not None and result.estimate < 10 * result.observed


def test_an_estimate_that_explodes_is_flagged() -> None:
    result = estimate(table("ABC", A=300, B=280, C=310, AB=1, AC=1, BC=1), rule="aic")

    assert result.estimate is not None
    assert result.estimate > EXPLOSION_RATIO * result.observed
    assert "estimate-explodes" in codes(result)


def test_too_many_lists_for_every_log_linear_model_point_to_the_latent_class_model() -> None:
    six = table("ABCDEF", A=10, B=10, C=10, D=10, E=10, F=10, AB=3, CD=3, EF=3, ACE=2)

    result = estimate(six)

    assert result.estimate is None
    assert codes(result)[-1] == "too-many-lists-for-loglinear"
    assert estimate(six, method="lcmcr", settings=QUICK).estimate is not None


def test_the_latent_class_model_needs_three_lists() -> None:
    result = estimate(SEBER_1982, method="lcmcr")

    assert result.estimate is None
    assert "lcmcr-needs-three-lists" in codes(result)


def test_the_latent_class_result_is_json_with_its_sampler_settings() -> None:
    result = estimate(THREE_LISTS, method="lcmcr", settings=QUICK).to_dict()

    assert json.loads(json.dumps(result)) == result
    assert result["method"] == "lcmcr"
    assert result["models"] == []
    assert result["posterior"]["chains"] == 2
    assert result["lower"] <= result["estimate"] <= result["upper"]
    # 40 autocorrelated draws are worth fewer than the threshold: the result says so.
    assert "few-effective-draws" in [warning["code"] for warning in result["warnings"]]


def test_a_misuse_of_the_function_raises() -> None:
    with pytest.raises(ValueError, match="method"):
        estimate(THREE_LISTS, method="magic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rule"):
        estimate(THREE_LISTS, rule="best")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence"):
        estimate(THREE_LISTS, confidence=95)


def test_the_estimation_code_imports_no_django() -> None:
    """amparo.analysis must stay usable without Django settings (DESIGN.md, Analysis)."""
    code = (
        "import sys, amparo.analysis.mse; "
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'django'); "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert finished.returncode == 0, finished.stdout + finished.stderr


# --- invariants ------------------------------------------------------------------------------

small_counts = st.integers(min_value=0, max_value=150)


@st.composite
def overlap_tables(draw: st.DrawFn) -> OverlapTable:
    k = draw(st.integers(min_value=2, max_value=4))
    counts = [0] + [draw(small_counts) for _ in range(2**k - 1)]
    names = [f"L{j}" for j in range(k)]
    return OverlapTable(tuple(names), tuple(counts))


def permuted(original: OverlapTable, order: list[int]) -> OverlapTable:
    patterns = {
        tuple(original.pattern(index)[j] for j in order): count
        for index, count in enumerate(original.counts)
        if index
    }
    return OverlapTable.from_patterns([original.lists[j] for j in order], patterns)


def upper_or_infinity(result: Estimate) -> float:
    return math.inf if result.upper is None else result.upper


INVARIANTS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@INVARIANTS
@given(overlap_tables(), st.sampled_from(RULES))
def test_an_estimate_is_never_below_the_documented_count_and_lies_in_its_interval(
    original: OverlapTable, rule: str
) -> None:
    result = estimate(original, rule=rule)  # type: ignore[arg-type]

    if result.estimate is not None:
        assert result.lower is not None
        assert result.observed <= result.lower <= result.estimate <= upper_or_infinity(result)


@INVARIANTS
@given(overlap_tables(), st.randoms(use_true_random=False))
def test_the_order_of_the_lists_does_not_change_the_estimate(
    original: OverlapTable, random
) -> None:  # type: ignore[no-untyped-def]
    order = list(range(len(original.lists)))
    random.shuffle(order)

    first, second = estimate(original), estimate(permuted(original, order))

    assert second.observed == first.observed
    if first.estimate is None:
        assert second.estimate is None
    else:
        # Equal up to where the fit stops (a relative change of deviance of 1e-10): on a flat
        # likelihood that leaves the estimate free in its sixth digit (44.76617 against 44.76613
        # for the counts 0, 27, 0, 4, 0, 0, 2, 1; 167.4007 against 167.3813, the fourth, for
        # 0, 52, 0, 47, 0, 0, 12, 50). Estimates are reported in whole persons: within half a
        # person, or 1e-4 of large ones.
        assert second.estimate == pytest.approx(first.estimate, rel=1e-4, abs=0.5)
        assert second.lower == pytest.approx(first.lower, rel=1e-4, abs=0.5)
        assert upper_or_infinity(second) == pytest.approx(
            upper_or_infinity(first), rel=1e-4, abs=0.5
        )


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40), min_size=7, max_size=7))
def test_the_latent_class_median_is_never_below_the_documented_count(counts: list[int]) -> None:
    result = estimate(OverlapTable(("A", "B", "C"), (0, *counts)), method="lcmcr", settings=QUICK)

    assert result.estimate is not None and result.lower is not None
    assert result.observed <= result.lower <= result.estimate <= upper_or_infinity(result)

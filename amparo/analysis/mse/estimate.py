"""One entry point: `estimate(table)` returns the total including undocumented victims, or says
plainly why it cannot.

The result is plain data (`Estimate.to_dict()` is the JSON that `amparo estimate --json` prints):
{"estimate", "lower", "upper", "observed", "method", "models", "warnings", ...}. A missing estimate
or bound is None (null), never an exception: bad *data* produces warnings, and only a misuse of the
function (an unknown method) raises.

Warnings carry a stable `code` and their figures in `params`, with an English `message`: this
package cannot import Django, so the caller translates by code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from amparo.analysis.mse import lcmcr, loglinear
from amparo.analysis.mse.overlaps import OverlapTable

Method = Literal["loglinear", "lcmcr"]
Rule = Literal["aic", "bic", "average-aic", "average-bic"]
RULES: tuple[Rule, ...] = ("aic", "bic", "average-aic", "average-bic")

# The number of hierarchical models doubles with each pair of lists: 5 lists make 1,024 models,
# 6 would make 32,768. Past this, merge lists or use the latent-class model.
MAX_LOGLINEAR_LISTS = 5
# Below these, say that the figures rest on very few victims.
FEW_VICTIMS = 50
THIN_OVERLAP = 5
# An estimate this many times the documented count is dominated by the model, not the data.
EXPLOSION_RATIO = 10.0
# Fewer effective draws than this and the sampler's interval is itself uncertain.
FEW_EFFECTIVE_DRAWS = 200
# Chains further apart than this have not converged (Gelman et al. 2013 suggest 1.1).
MAX_R_HAT = 1.1


@dataclass(frozen=True)
class EstimateWarning:
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "params": dict(self.params)}


@dataclass(frozen=True)
class Selection:
    """The estimate under one model-choice rule."""

    rule: Rule
    estimate: float
    lower: float
    upper: float | None
    model: tuple[loglinear.Pair, ...] | None  # None for an average

    def to_dict(self, lists: Sequence[str]) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
            "model": None if self.model is None else _terms(lists, self.model),
        }


@dataclass(frozen=True)
class Estimate:
    estimate: float | None
    lower: float | None
    upper: float | None
    observed: int
    method: str
    lists: tuple[str, ...]
    confidence: float
    models: tuple[loglinear.ModelFit, ...] = ()
    weights_aic: tuple[float | None, ...] = ()
    weights_bic: tuple[float | None, ...] = ()
    selections: tuple[Selection, ...] = ()
    posterior: lcmcr.Posterior | None = None
    warnings: tuple[EstimateWarning, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
            "observed": self.observed,
            "method": self.method,
            "confidence": self.confidence,
            "lists": list(self.lists),
            "models": [
                _model_dict(self.lists, model, aic_weight, bic_weight)
                for model, aic_weight, bic_weight in zip(
                    self.models, self.weights_aic, self.weights_bic, strict=True
                )
            ],
            "selections": {
                selection.rule: selection.to_dict(self.lists) for selection in self.selections
            },
            "warnings": [warning.to_dict() for warning in self.warnings],
        }
        if self.posterior is not None:
            settings = self.posterior.settings
            result["posterior"] = {
                "classes": settings.classes,
                "chains": settings.chains,
                "burn_in": settings.burn_in,
                "samples": settings.samples,
                "thinning": settings.thinning,
                "seed": settings.seed,
                "mean": float(self.posterior.draws.mean()),
                "effective_samples": self.posterior.effective_samples,
                "r_hat": self.posterior.r_hat,
                "capped_draws": self.posterior.capped_draws,
                "seconds": self.posterior.seconds,
            }
        return result


def _terms(lists: Sequence[str], interactions: Sequence[loglinear.Pair]) -> list[list[str]]:
    """Every term of a model, main effects first: [["A"], ["B"], ["C"], ["A", "B"]]."""
    return [[name] for name in lists] + [[lists[i], lists[j]] for i, j in interactions]


def _model_dict(
    lists: Sequence[str],
    model: loglinear.ModelFit,
    aic_weight: float | None,
    bic_weight: float | None,
) -> dict[str, Any]:
    return {
        "terms": _terms(lists, model.interactions),
        "parameters": model.parameters,
        "deviance": model.deviance,
        "df": model.df,
        "aic": model.aic,
        "bic": model.bic,
        "weight_aic": aic_weight,
        "weight_bic": bic_weight,
        "estimate": model.estimate,
        "stderr": model.stderr,
    }


def estimate(
    table: OverlapTable,
    *,
    method: Method = "loglinear",
    rule: Rule = "average-aic",
    confidence: float = 0.95,
    settings: lcmcr.LcmcrSettings | None = None,
) -> Estimate:
    """Estimate the total number of victims, documented or not, from the list overlaps.

    method "loglinear": every hierarchical log-linear model up to two-way interactions; `rule`
    picks the headline (the model with the smallest AIC or BIC with its profile likelihood
    interval, or the average over models with Akaike or BIC weights; every rule's result is in
    `selections`). With two lists only Chapman's estimator is possible. method "lcmcr": the
    Bayesian latent-class model, posterior median and equal-tailed credible interval.
    """
    if method not in ("loglinear", "lcmcr"):
        raise ValueError(f"Unknown method {method!r}.")
    if rule not in RULES:
        raise ValueError(f"Unknown rule {rule!r}.")
    if not 0 < confidence < 1:
        raise ValueError("The confidence level must be between 0 and 1.")
    notes: list[EstimateWarning] = []
    table = _drop_empty_lists(table, notes)
    k = len(table.lists)

    def nothing(code: str, message: str, **params: Any) -> Estimate:
        notes.append(EstimateWarning(code, message, params))
        return Estimate(
            None, None, None, table.observed, method, table.lists, confidence, warnings=tuple(notes)
        )

    if table.observed == 0:
        return nothing("no-victims", "No documented victim: there is nothing to estimate from.")
    if k < 2:
        return nothing(
            "too-few-lists",
            f"Estimation needs at least two lists (sources) that documented victims, not {k}.",
            lists=k,
        )
    if all(table.overlap(i, j) == 0 for i, j in table.pairs()):
        return nothing(
            "no-overlap",
            "No victim is documented by more than one list: without overlaps between lists, "
            "the number of undocumented victims cannot be estimated.",
        )
    _data_warnings(table, notes)
    if method == "lcmcr":
        if k < 3:
            return nothing(
                "lcmcr-needs-three-lists",
                "The latent-class model needs at least three lists; with two, only the "
                "log-linear method (Chapman's estimator) is possible.",
                lists=k,
            )
        result = _latent_class(table, confidence, settings or lcmcr.LcmcrSettings(), notes)
    elif k == 2:
        result = _two_lists(table, confidence, notes)
    elif k > MAX_LOGLINEAR_LISTS:
        return nothing(
            "too-many-lists-for-loglinear",
            f"{k} lists are too many for fitting every log-linear model (at most "
            f"{MAX_LOGLINEAR_LISTS}): merge small lists or use the latent-class model.",
            lists=k,
            limit=MAX_LOGLINEAR_LISTS,
        )
    else:
        result = _log_linear(table, rule, confidence, notes)
    _result_warnings(result, notes)
    return replace(result, warnings=tuple(notes))


def _drop_empty_lists(table: OverlapTable, notes: list[EstimateWarning]) -> OverlapTable:
    for j in reversed(range(len(table.lists))):
        if table.observed and table.list_total(j) == 0:
            name = table.lists[j]
            notes.append(
                EstimateWarning(
                    "empty-list",
                    f"List {name!r} documents no victim and is left out.",
                    {"list": name},
                )
            )
            table = table.without(j)
    return table


def _data_warnings(table: OverlapTable, notes: list[EstimateWarning]) -> None:
    if table.observed < FEW_VICTIMS:
        notes.append(
            EstimateWarning(
                "few-victims",
                f"Only {table.observed} documented victims: any estimate is very uncertain.",
                {"observed": table.observed, "threshold": FEW_VICTIMS},
            )
        )
    for i, j in table.pairs():
        shared = table.overlap(i, j)
        first, second = table.lists[i], table.lists[j]
        if shared == 0 and len(table.lists) > 2:
            notes.append(
                EstimateWarning(
                    "empty-overlap",
                    f"Lists {first!r} and {second!r} share no victim: the dependence between "
                    "them cannot be estimated and is left out of every log-linear model.",
                    {"lists": [first, second]},
                )
            )
        elif 0 < shared < THIN_OVERLAP:
            notes.append(
                EstimateWarning(
                    "thin-overlap",
                    f"Lists {first!r} and {second!r} share only {shared} victims: estimates that "
                    "depend on this overlap are fragile.",
                    {"lists": [first, second], "shared": shared, "threshold": THIN_OVERLAP},
                )
            )


def _two_lists(table: OverlapTable, confidence: float, notes: list[EstimateWarning]) -> Estimate:
    notes.append(
        EstimateWarning(
            "two-lists",
            "With two lists, dependence between them cannot be estimated: Chapman's estimator "
            "assumes that being on one list does not change the chance of being on the other, "
            "and underestimates when the lists tend to document the same victims. A third list "
            "would allow log-linear models with interactions.",
        )
    )
    two = loglinear.two_lists(table, confidence)
    independence = loglinear.fit_model(table, ())
    return Estimate(
        two.chapman,
        two.lower,
        two.upper,
        table.observed,
        "chapman",
        table.lists,
        confidence,
        models=(independence,),
        weights_aic=(1.0,),
        weights_bic=(1.0,),
    )


def _log_linear(
    table: OverlapTable, rule: Rule, confidence: float, notes: list[EstimateWarning]
) -> Estimate:
    pairs = [(i, j) for i, j in table.pairs() if table.overlap(i, j) > 0]
    models = loglinear.fit_all(table, pairs)
    bounded = [model for model in models if model.bounded]
    if len(bounded) < len(models):
        notes.append(
            EstimateWarning(
                "unbounded-models",
                f"{len(models) - len(bounded)} of {len(models)} models have no finite estimate "
                "(the data cannot tell how many victims are missing under them); they are left "
                "out of model choice and averaging.",
                {"unbounded": len(models) - len(bounded), "models": len(models)},
            )
        )
    if not bounded:
        notes.append(
            EstimateWarning(
                "no-bounded-model",
                "No log-linear model gives a finite estimate for these lists.",
            )
        )
        return Estimate(
            None,
            None,
            None,
            table.observed,
            f"loglinear:{rule}",
            table.lists,
            confidence,
            models=tuple(models),
            weights_aic=(None,) * len(models),
            weights_bic=(None,) * len(models),
        )
    weights = {
        "aic": _spread(models, loglinear.weights([model.aic for model in bounded])),
        "bic": _spread(models, loglinear.weights([model.bic for model in bounded])),
    }
    selections = []
    for name in RULES:
        model_weights = weights[name.removeprefix("average-")]
        if name.startswith("average"):
            interval = loglinear.averaged_interval(
                bounded, [w for w in model_weights if w is not None], table.observed, confidence
            )
            selections.append(
                Selection(name, interval.estimate, interval.lower, interval.upper, None)
            )
        else:
            best = models[max(range(len(models)), key=lambda at: model_weights[at] or -1.0)]
            assert best.estimate is not None
            interval = loglinear.profile_interval(
                table, best.interactions, best.estimate, confidence
            )
            selections.append(
                Selection(name, best.estimate, interval.lower, interval.upper, best.interactions)
            )
    chosen = next(selection for selection in selections if selection.rule == rule)
    return Estimate(
        chosen.estimate,
        chosen.lower,
        chosen.upper,
        table.observed,
        f"loglinear:{rule}",
        table.lists,
        confidence,
        models=tuple(models),
        weights_aic=weights["aic"],
        weights_bic=weights["bic"],
        selections=tuple(selections),
    )


def _spread(
    models: Sequence[loglinear.ModelFit], bounded_weights: Sequence[float]
) -> tuple[float | None, ...]:
    """The weights of the bounded models, in model order, with None for the unbounded ones."""
    remaining = iter(bounded_weights)
    return tuple(next(remaining) if model.bounded else None for model in models)


def _latent_class(
    table: OverlapTable,
    confidence: float,
    settings: lcmcr.LcmcrSettings,
    notes: list[EstimateWarning],
) -> Estimate:
    posterior = lcmcr.sample_population(table, settings)
    lower, upper = posterior.interval(confidence)
    effective = posterior.effective_samples
    if effective < FEW_EFFECTIVE_DRAWS:
        notes.append(
            EstimateWarning(
                "few-effective-draws",
                f"The sampler's draws are worth about {effective:.0f} independent ones: run it "
                "longer (more samples or thinning) before relying on the interval.",
                {"effective_samples": effective, "threshold": FEW_EFFECTIVE_DRAWS},
            )
        )
    r_hat = posterior.r_hat
    if r_hat is not None and r_hat > MAX_R_HAT:
        notes.append(
            EstimateWarning(
                "chains-disagree",
                f"The sampler's chains have not converged to the same answer (R-hat {r_hat:.2f}, "
                f"above {MAX_R_HAT}): run a longer burn-in before relying on the estimate.",
                {"r_hat": r_hat, "threshold": MAX_R_HAT},
            )
        )
    if posterior.capped_draws:
        notes.append(
            EstimateWarning(
                "capped-draws",
                f"{posterior.capped_draws} draws of the undocumented count exceeded "
                f"{lcmcr.MAX_MISSING_RATIO} times the documented count and were redrawn: the "
                "upper part of the interval is unreliable.",
                {"capped_draws": posterior.capped_draws, "ratio": lcmcr.MAX_MISSING_RATIO},
            )
        )
    return Estimate(
        posterior.median,
        lower,
        upper,
        table.observed,
        "lcmcr",
        table.lists,
        confidence,
        posterior=posterior,
    )


def _result_warnings(result: Estimate, notes: list[EstimateWarning]) -> None:
    if result.estimate is not None and result.estimate > EXPLOSION_RATIO * result.observed:
        notes.append(
            EstimateWarning(
                "estimate-explodes",
                f"The estimate is more than {EXPLOSION_RATIO:g} times the documented count: it "
                "rests on the model far more than on the data. Report it, if at all, as "
                "highly uncertain.",
                {"ratio": result.estimate / result.observed, "threshold": EXPLOSION_RATIO},
            )
        )
    if result.estimate is not None and result.upper is None:
        notes.append(
            EstimateWarning(
                "no-upper-limit",
                "The interval has no upper limit below "
                f"{loglinear.UNBOUNDED_RATIO:g} times the documented count: the data cannot "
                "rule out a much larger total.",
                {"ratio": loglinear.UNBOUNDED_RATIO},
            )
        )
    if result.estimate is not None and math.isclose(result.estimate, result.observed):
        notes.append(
            EstimateWarning(
                "no-undocumented",
                "The estimate equals the documented count: the lists seem to have documented "
                "everyone, or the model cannot see who they missed.",
            )
        )

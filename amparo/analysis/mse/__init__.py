"""Multiple systems estimation (capture-recapture): how many victims no list documented.

    from amparo.analysis.mse import OverlapTable, estimate
    # one value per victim: on the list (1) or not (0)
    table = OverlapTable.from_membership({"police": [1, 0, 1], "ngo": [1, 1, 0], "tv": [0, 1, 1]})
    result = estimate(table, method="loglinear")    # or method="lcmcr"
    result.to_dict()    # {"estimate", "lower", "upper", "observed", "method", "models", ...}

Only counts enter: the per-victim membership is reduced to the list-overlap table at once.
`loglinear` fits every hierarchical log-linear model up to two-way interactions (AIC/BIC choice and
model averaging), `lcmcr` the Bayesian latent-class model of Manrique-Vallier (2016); `overlaps`
reads the table from a CSV file. Nothing here imports Django.
"""

from amparo.analysis.mse.estimate import (
    Estimate,
    EstimateWarning,
    Method,
    Rule,
    estimate,
)
from amparo.analysis.mse.lcmcr import LcmcrSettings
from amparo.analysis.mse.overlaps import (
    OverlapFileError,
    OverlapTable,
    Problem,
    load_overlaps_csv,
    read_overlaps_csv,
)

__all__ = [
    "Estimate",
    "EstimateWarning",
    "LcmcrSettings",
    "Method",
    "OverlapFileError",
    "OverlapTable",
    "Problem",
    "Rule",
    "estimate",
    "load_overlaps_csv",
    "read_overlaps_csv",
]

"""How many victims of a violation went undocumented: multiple systems estimation over the lists
(sources) that documented each de-duplicated victim.

A list is a source that reports on many events: a source person recorded as an organisation (a
community radio, an observatory, a legal aid clinic). Every other source (a witness, a relative,
the victim), and the organisation's own knowledge of an event with no source, count together as
"other sources". After persons are merged (`amparo dedupe`), a victim documented by two sources
in two events is one victim on two lists. The facts give, per victim, the sources of their
events (`analysis.mse.lists`); only counts go on to `analysis.mse.estimate`.

The same function serves `amparo estimate`, the dashboard and the API; results are kept in
memory for the facts as they are, so that a dashboard does not refit a thousand models per view.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from amparo.analysis import mse
from amparo.analysis.mse.lists import OTHER, overlap_lists, victim_sources
from amparo.cases import access as cases_access
from amparo.cases.models import DisclosureChannel, Person, Source
from amparo.cases.services import record_disclosure
from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.stats import catalogue
from amparo.stats.services import snapshot, tables

MAX_LISTS: dict[str, int] = {"loglinear": 5, "lcmcr": 10}
CACHE_SIZE = 32


@dataclass(frozen=True)
class EstimateRequest:
    violation: str
    country: str
    first_year: int | None = None
    last_year: int | None = None
    method: mse.Method = "loglinear"


@dataclass(frozen=True)
class ListInfo:
    key: str
    label: str
    victims: int


@dataclass(frozen=True)
class VictimEstimate:
    request: EstimateRequest
    result: mse.Estimate
    lists: tuple[ListInfo, ...]
    merged: int  # lists folded into "other sources"
    warnings: tuple[str, ...] = field(default=())
    # The sources named to the reader (person id → owning organisation id), recorded as
    # disclosed each time the estimate is shown, from the cache or not.
    disclosed: dict[int, int] = field(default_factory=dict)

    @property
    def documented(self) -> int:
        return self.result.observed

    @property
    def possible(self) -> bool:
        return self.result.estimate is not None

    @property
    def method_label(self) -> str:
        return method_label(self.result.method)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `amparo estimate --json`: analysis.mse's, warnings in the reader's
        language, lists named as the reader may see them."""
        document = self.result.to_dict()
        for warning, text in zip(document["warnings"], self.warnings, strict=True):
            warning["message"] = text
        labels = {info.key: info.label for info in self.lists}
        document["lists"] = [labels.get(key, key) for key in document["lists"]]
        document["list_sizes"] = {info.label: info.victims for info in self.lists}
        document["request"] = {
            "violation": self.request.violation,
            "country": self.request.country,
            "from": self.request.first_year,
            "to": self.request.last_year,
        }
        return document


def method_label(method: str) -> str:
    labels = {
        "loglinear:average-aic": _("log-linear models, averaged with Akaike weights"),
        "loglinear:average-bic": _("log-linear models, averaged with BIC weights"),
        "loglinear:aic": _("the log-linear model with the smallest AIC"),
        "loglinear:bic": _("the log-linear model with the smallest BIC"),
        "chapman": _("Chapman's two-list estimator"),
        "lcmcr": _("Bayesian latent-class model (LCMCR)"),
    }
    return labels.get(method, method)


def warning_text(warning: mse.EstimateWarning, names: dict[str, str]) -> str:
    """The warning in the reader's language, by its code (its English message otherwise)."""
    p = dict(warning.params)
    pair = [names.get(n, n) for n in p.get("lists", [])] if isinstance(p.get("lists"), list) else []
    texts: dict[str, str] = {
        "no-victims": _("No documented victim: there is nothing to estimate from."),
        "too-few-lists": _(
            "Estimation needs at least two lists (sources) that documented victims; "
            "there are %(lists)s."
        ),
        "empty-list": _("The list %(list)s documents no victim and is left out."),
        "no-overlap": _(
            "No victim is documented by more than one list: without overlaps between lists, "
            "the number of undocumented victims cannot be estimated."
        ),
        "two-lists": _(
            "With two lists, dependence between them cannot be estimated: Chapman's estimator "
            "assumes that being on one list does not change the chance of being on the other."
        ),
        "few-victims": _("Only %(observed)s documented victims: any estimate is very uncertain."),
        "empty-overlap": _(
            "%(first)s and %(second)s share no victim: their dependence is left out of every model."
        ),
        "thin-overlap": _(
            "%(first)s and %(second)s share only %(shared)s victims: estimates that depend on "
            "this overlap are fragile."
        ),
        "unbounded-models": _(
            "%(unbounded)s of %(models)s models have no finite estimate and are left out."
        ),
        "no-bounded-model": _("No log-linear model gives a finite estimate for these lists."),
        "too-many-lists-for-loglinear": _(
            "%(lists)s lists are too many for the log-linear method (at most %(limit)s)."
        ),
        "lcmcr-needs-three-lists": _("The latent-class model needs at least three lists."),
        "estimate-explodes": _(
            "The estimate is more than %(threshold)s times the documented count: it rests on "
            "the model far more than on the data."
        ),
        "no-upper-limit": _(
            "The interval has no upper limit: the data cannot rule out a much larger total."
        ),
        "no-undocumented": _("The estimate equals the documented count."),
        "few-effective-draws": _(
            "The sampler's draws are worth fewer than %(threshold)s independent ones: the "
            "interval is itself uncertain."
        ),
        "chains-disagree": _(
            "The sampler's chains have not converged: do not rely on the estimate yet."
        ),
        "capped-draws": _(
            "Some draws hit the sampler's ceiling: the upper part of the interval is unreliable."
        ),
    }
    text = texts.get(warning.code)
    if text is None:
        return warning.message
    values = {
        **{k: v for k, v in p.items() if not isinstance(v, list)},
        "list": names.get(str(p.get("list")), str(p.get("list"))),
        "first": pair[0] if pair else "",
        "second": pair[1] if len(pair) > 1 else "",
    }
    for key in ("threshold", "ratio"):
        if isinstance(values.get(key), float):
            values[key] = f"{values[key]:g}"
    try:
        return text % values
    except (KeyError, TypeError, ValueError):
        return warning.message


_cache: OrderedDict[tuple[Any, ...], VictimEstimate] = OrderedDict()
_lock = threading.Lock()


def estimate(user: User | None, request: EstimateRequest) -> VictimEstimate:
    """The estimate for `request` over the facts `user` may count."""
    violation = catalogue.violations().get(request.violation)
    if violation is None:
        raise DomainError(
            _("%(name)s is not a kind of violation; there are %(known)s.")
            % {"name": request.violation, "known": ", ".join(catalogue.violations())}
        )
    if request.method not in MAX_LISTS:
        raise DomainError(_("The method is loglinear or lcmcr."))
    facts = tables.counted_facts(user)
    scope = cases_access.event_scope(user) if user is not None else None
    key = (
        snapshot.facts_head(),
        getattr(user, "pk", None),
        None
        if scope is None
        else (tuple(sorted(scope.own.items())), tuple(sorted(scope.shared.items()))),
        request,
        get_language(),  # warnings and lists are named in the reader's language
    )
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return _shown(user, cached)
    sources = victim_sources(
        facts,
        violation.type_of_act,
        country=request.country or None,
        first_year=request.first_year,
        last_year=request.last_year,
    )
    list_of_source, labels, disclosed = _lists(
        user, {s for found in sources.values() for s in found}
    )
    lists = overlap_lists(sources, list_of_source, max_lists=MAX_LISTS[request.method])
    result = mse.estimate(lists.table, method=request.method)
    names = {key: labels.get(key, key) for key in lists.table.lists}
    value = VictimEstimate(
        request=request,
        result=result,
        lists=tuple(
            ListInfo(name, names[name], lists.table.list_total(i))
            for i, name in enumerate(lists.table.lists)
        ),
        merged=len(lists.merged),
        warnings=tuple(warning_text(w, names) for w in result.warnings),
        disclosed={pk: org for pk, org in disclosed.items() if f"source-{pk}" in lists.table.lists},
    )
    with _lock:
        _cache[key] = value
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return _shown(user, value)


def _shown(user: User | None, value: VictimEstimate) -> VictimEstimate:
    if user is not None:
        record_disclosure(user, value.disclosed, DisclosureChannel.STATISTICS)
    return value


def _lists(
    user: User | None, source_ids: set[int]
) -> tuple[dict[int, str], dict[str, str], dict[int, int]]:
    """Which list each source belongs to (organisations that are sources), each list's name as
    `user` may see it (a pseudonym otherwise; always a pseudonym for the operator), and the
    sources whose names `user` is shown."""
    rows = Source.objects.filter(
        pk__in=source_ids, source_person__kind=Person.Kind.ORGANISATION
    ).values_list("pk", "source_person_id")
    list_of_source = {pk: f"source-{person_id}" for pk, person_id in rows}
    persons = Person.objects.filter(pk__in={person_id for _pk, person_id in rows})
    if user is None:
        labels = {f"source-{p.pk}": cases_access.pseudonym(p) for p in persons}
        disclosed: dict[int, int] = {}
    else:
        presenter = cases_access.PersonPresenter(user)
        presenter.prime(persons)
        labels = {f"source-{p.pk}": presenter.present(p)["display_name"] for p in persons}
        disclosed = presenter.disclosed
    labels[OTHER] = _("Other sources")
    return list_of_source, labels, disclosed


def describe(value: VictimEstimate) -> str:
    """One sentence for people: the estimate and its interval, or why there is none."""
    result = value.result
    if result.estimate is None:
        return _("No estimate is possible: %(reason)s") % {
            "reason": value.warnings[-1] if value.warnings else _("too little data.")
        }
    upper = _("no upper limit") if result.upper is None else f"{round(result.upper):,}"
    return ngettext(
        "%(documented)s victim documented; estimated total %(estimate)s "
        "(95%% interval %(lower)s to %(upper)s), by %(method)s.",
        "%(documented)s victims documented; estimated total %(estimate)s "
        "(95%% interval %(lower)s to %(upper)s), by %(method)s.",
        result.observed,
    ) % {
        "documented": result.observed,
        "estimate": f"{round(result.estimate):,}",
        "lower": f"{round(result.lower or 0):,}",
        "upper": upper,
        "method": value.method_label,
    }


def from_overlaps(table: mse.OverlapTable, method: mse.Method) -> VictimEstimate:
    """The estimate of an overlap table given directly (`amparo estimate --overlaps`)."""
    result = mse.estimate(table, method=method)
    names = {name: name for name in table.lists}
    return VictimEstimate(
        request=EstimateRequest(violation="", country="", method=method),
        result=result,
        lists=tuple(
            ListInfo(name, name, table.list_total(i)) for i, name in enumerate(table.lists)
        ),
        merged=0,
        warnings=tuple(warning_text(w, names) for w in result.warnings),
    )

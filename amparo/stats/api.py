"""The statistics API: /api/v1/stats/… (mounted by amparo.api.main, token required).

The same services and access rules as the pages: counts of the events the caller may see, small
cells hidden as for them, laws, SDG 16.10.1 and estimates. A query that cannot be computed is a
400 with the reason.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema, Status

from amparo.analysis.crosstab import QueryError
from amparo.cases.models import Act
from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.stats import access
from amparo.stats.models import LegalMeasure
from amparo.stats.services import estimates, laws, sdg, tables

router = Router(tags=["statistics"])


def _caller(request: HttpRequest) -> User:
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _language(requested: str | None) -> str:
    return tables.language_of(requested or get_language())


class CrossTabQuery(Schema):
    rows: list[str] = Field(..., description="One or two dimensions: country, year, type_of_act…")
    columns: list[str] = Field(default_factory=list, description="At most one more dimension.")
    measure: str = Field("acts", description="acts, victims or events.")
    filter: list[str] = Field(
        default_factory=list,
        description="dimension:code,code — e.g. type_of_act:killing (broader terms include "
        "their narrower ones).",
    )
    start: datetime.date | None = Field(None, description="From this day (the act's date).")
    end: datetime.date | None = Field(None, description="To this day.")
    verified_only: bool = False
    language: str | None = Field(None, description="en, fr, es or ar.")


class CrossTabOut(Schema):
    measure: str
    measure_label: str
    language: str
    rows: list[str]
    columns: list[str]
    header: list[str]
    table: list[list[str]]
    cells: list[dict[str, Any]]
    notes: list[str]


class Problem(Schema):
    detail: str


def _filters(values: list[str]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for value in values:
        dimension, _sep, codes = value.partition(":")
        if not dimension or not codes:
            raise QueryError(f"{value!r}: write a filter as dimension:code,code")
        filters.setdefault(dimension, []).extend(c for c in codes.split(",") if c)
    return filters


@router.get("/stats/crosstab", response={200: CrossTabOut, 400: Problem})
def crosstab(request: HttpRequest, query: Query[CrossTabQuery]) -> Any:
    """Counts of acts, victims or events by up to three dimensions, as the caller may see
    them; small counts of other organisations' records are "<5"."""
    user = _caller(request)
    language = _language(query.language)
    try:
        parsed = tables.parse_query(
            tables.TableParameters(
                rows=query.rows,
                columns=query.columns,
                measure=query.measure,
                filters=_filters(query.filter),
                start=query.start,
                end=query.end,
                verified_only=query.verified_only,
            )
        )
        table = tables.cross_tab(user, parsed, language)
    except QueryError as error:
        return Status(400, {"detail": str(error)})
    wide = table.wide()
    return {
        "measure": parsed.measure,
        "measure_label": table.measure_label,
        "language": table.language,
        "rows": list(parsed.rows),
        "columns": list(parsed.columns),
        "header": wide.column_names,
        "table": [list(row.values()) for row in wide.to_pylist()],
        "cells": table.cells.to_pylist(),
        "notes": list(table.notes),
    }


class PeriodQuery(Schema):
    country: str = Field("", description="ISO 3166-1 alpha-2; empty: every country.")
    first_year: int | None = Field(None, alias="from")
    last_year: int | None = Field(None, alias="to")
    language: str | None = None


@router.get("/stats/sdg-16-10-1", response={200: dict[str, Any]})
def sdg_indicator(request: HttpRequest, query: Query[PeriodQuery]) -> Any:
    """SDG indicator 16.10.1 per country and year, in long form."""
    user = _caller(request)
    table = sdg.indicator(
        user,
        sdg.Choice(query.country.upper(), query.first_year, query.last_year),
        _language(query.language),
    )
    sheet = sdg.sheet(table)
    return {
        "header": list(sheet.header),
        "rows": [list(r) for r in sheet.rows],
        "notes": list(sheet.notes),
    }


class EstimateQuery(Schema):
    violation: str = "killing"
    country: str
    first_year: int | None = Field(None, alias="from")
    last_year: int | None = Field(None, alias="to")
    method: str = "loglinear"
    language: str | None = None


@router.get("/stats/estimate", response={200: dict[str, Any], 400: Problem})
def estimate(request: HttpRequest, query: Query[EstimateQuery]) -> Any:
    """Documented and estimated victims of a violation in a country (multiple systems
    estimation): {"estimate", "lower", "upper", "observed", "method", "models", "warnings"}."""
    user = _caller(request)
    if query.method not in ("loglinear", "lcmcr"):
        return Status(400, {"detail": "method is loglinear or lcmcr"})
    try:
        result = estimates.estimate(
            user,
            estimates.EstimateRequest(
                violation=query.violation,
                country=query.country.upper(),
                first_year=query.first_year,
                last_year=query.last_year,
                method="lcmcr" if query.method == "lcmcr" else "loglinear",
            ),
        )
    except DomainError as error:
        return Status(400, {"detail": str(error)})
    return result.to_dict()


class ProvisionOut(Schema):
    id: int
    reference: str
    concern: str


class LawOut(Schema):
    id: int
    code: str
    country: str
    title: str
    kind: str
    stage: str
    introduced_on: datetime.date | None
    adopted_on: datetime.date | None
    stage_date: datetime.date | None
    summary: str
    source: str
    provisions: list[ProvisionOut]


def _law(measure: LegalMeasure) -> dict[str, Any]:
    return {
        **{name: getattr(measure, name) for name in laws.LAW_FIELDS},
        "id": measure.pk,
        "code": measure.code,
        "provisions": [
            {"id": p.pk, "reference": p.reference, "concern": p.concern}
            for p in measure.provisions.all()
        ],
    }


@router.get("/stats/laws", response=list[LawOut])
def law_list(request: HttpRequest, country: str = "") -> Any:
    """Laws that restrict civic space (public records), in one country or everywhere."""
    access.require(_caller(request), access.VIEW)
    measures = LegalMeasure.objects.prefetch_related("provisions")
    if country:
        measures = measures.filter(country=country.upper())
    return [_law(m) for m in measures]


@router.get("/stats/laws/{law_id}", response=LawOut)
def law_detail(request: HttpRequest, law_id: int) -> Any:
    access.require(_caller(request), access.VIEW)
    return _law(get_object_or_404(LegalMeasure.objects.prefetch_related("provisions"), pk=law_id))


class LawUseIn(Schema):
    act_id: int
    law_id: int
    provision_id: int | None = None


class LawUseOut(Schema):
    act_id: int
    law_id: int
    provision_id: int | None


@router.post("/stats/law-uses", response={200: LawUseOut})
def law_use(request: HttpRequest, payload: LawUseIn) -> Any:
    """Name the law (and provision) an act of judicial harassment used; whoever may edit the
    act's event now may. Replaces what was named before."""
    user = _caller(request)
    act = get_object_or_404(Act.objects.select_related("event"), pk=payload.act_id)
    measure = get_object_or_404(LegalMeasure, pk=payload.law_id)
    use = laws.record_use(user, act, measure, payload.provision_id)
    return {"act_id": use.act_id, "law_id": use.measure_id, "provision_id": use.provision_id}

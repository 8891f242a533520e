"""Laws that restrict civic space, and the acts of judicial harassment that used them.

A law's record (`LegalMeasure`, with its provisions of concern) is public information: whoever
may read statistics reads it; those who manage laws in the organisation that recorded it change
it. Naming the law (and provision) an act used is documenting the act, allowed to whoever may
edit its event now (`cases.access`), and it changes the act's facts at once. "Which laws are used
against defenders, how often, against whom" is a cross-tab of the facts by law and type of
defender, per country or over the whole network, with the usual small-cell suppression.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from amparo.analysis.crosstab import Filter, Query
from amparo.cases.models import Act
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Organisation, User
from amparo.stats import access, catalogue
from amparo.stats.models import LawUse, LegalMeasure, LegalProvision
from amparo.stats.services import exports, facts, tables

LAW_FIELDS = (
    "country",
    "title",
    "kind",
    "stage",
    "introduced_on",
    "adopted_on",
    "stage_date",
    "summary",
    "source",
)


@dataclass(frozen=True)
class LawInput:
    country: str
    title: str
    kind: str
    stage: str
    introduced_on: datetime.date | None = None
    adopted_on: datetime.date | None = None
    stage_date: datetime.date | None = None
    summary: str = ""
    source: str = ""


def law_input(data: dict[str, Any]) -> LawInput:
    return LawInput(**{name: data.get(name) or _empty(name) for name in LAW_FIELDS})


def _empty(name: str) -> Any:
    return None if name.endswith(("_on", "_date")) else ""


def _apply(measure: LegalMeasure, data: LawInput) -> None:
    if data.kind not in catalogue.law_kinds():
        raise ValidationError({"kind": _("Choose a type of measure from the list.")})
    for name in LAW_FIELDS:
        value = getattr(data, name)
        setattr(measure, name, value.strip() if isinstance(value, str) else value)
    measure.country = measure.country.upper()
    if measure.adopted_on and measure.introduced_on and measure.adopted_on < measure.introduced_on:
        raise ValidationError({"adopted_on": _("It cannot be adopted before it was introduced.")})
    measure.full_clean(exclude=["organisation", "created_by"])


def _row(measure: LegalMeasure) -> dict[str, Any]:
    return {name: getattr(measure, name) for name in LAW_FIELDS}


@transaction.atomic
def create_law(actor: User, organisation: Organisation, data: LawInput) -> LegalMeasure:
    if not access.organisations_for_laws(actor).filter(pk=organisation.pk).exists():
        raise PermissionDenied(_("You may not record laws for this organisation."))
    measure = LegalMeasure(organisation=organisation, created_by=actor)
    _apply(measure, data)
    measure.save()
    audit.record(
        actor,
        AuditAction.LAW_CREATE,
        measure,
        organisation=organisation,
        changes={"country": measure.country, "kind": measure.kind, "stage": measure.stage},
    )
    return measure


@transaction.atomic
def update_law(actor: User, measure: LegalMeasure, data: LawInput) -> LegalMeasure:
    measure = LegalMeasure.objects.select_for_update().get(pk=measure.pk)
    access.require_law_edit(actor, measure)
    before = _row(measure)
    _apply(measure, data)
    measure.save()
    audit.record(
        actor,
        AuditAction.LAW_UPDATE,
        measure,
        organisation=measure.organisation,
        changes=audit.diff(before, _row(measure)),
    )
    # The law's name shows in tables: nothing in the facts changes (they hold its code).
    return measure


@transaction.atomic
def add_provision(
    actor: User, measure: LegalMeasure, reference: str, concern: str = ""
) -> LegalProvision:
    access.require_law_edit(actor, measure)
    reference = reference.strip()
    if measure.provisions.filter(reference__iexact=reference).exists():
        raise ValidationError({"reference": _("This provision is already recorded.")})
    provision = LegalProvision(measure=measure, reference=reference, concern=concern.strip())
    provision.full_clean(exclude=["measure"])
    provision.save()
    audit.record(
        actor,
        AuditAction.LAW_PROVISION_ADD,
        measure,
        organisation=measure.organisation,
        changes={"provision": provision.pk, "reference": reference},
    )
    return provision


@transaction.atomic
def record_use(
    actor: User, act: Act, measure: LegalMeasure, provision_id: int | None = None
) -> LawUse:
    """Name the law (and provision) `act` used; replaces what was named before."""
    act = Act.objects.select_related("event").get(pk=act.pk)
    access.require_law_use(actor, act)
    provision = None
    if provision_id is not None:
        provision = measure.provisions.filter(pk=provision_id).first()
        if provision is None:
            raise ValidationError({"provision": _("This provision is not one of the law's.")})
    use, _created = LawUse.objects.update_or_create(
        act=act, defaults={"measure": measure, "provision": provision, "recorded_by": actor}
    )
    audit.record(
        actor,
        AuditAction.LAW_USE_RECORD,
        act.event,
        changes={"act": act.pk, "law": measure.pk, "provision": getattr(provision, "pk", None)},
    )
    facts.refresh_events([act.event_id])
    return use


@transaction.atomic
def remove_use(actor: User, act: Act) -> None:
    act = Act.objects.select_related("event").get(pk=act.pk)
    access.require_law_use(actor, act)
    deleted, _rows = LawUse.objects.filter(act=act).delete()
    if deleted:
        audit.record(actor, AuditAction.LAW_USE_REMOVE, act.event, changes={"act": act.pk})
        facts.refresh_events([act.event_id])


# --- What the pages show ------------------------------------------------------------------------


@dataclass
class LawTable:
    title: str
    sheet: exports.Sheet
    chart: SafeString | None


@dataclass
class Overview:
    measures: list[LegalMeasure]
    tables: list[LawTable] = field(default_factory=list)


def _law_table(user: User, query: Query, language: str, title: str) -> LawTable | None:
    """The table of `query`, and a chart of its rows alone (a bar per law or provision: the
    types of defender, which overlap, would make a group of many thin bars each)."""
    table = tables.cross_tab(user, query, language)
    if not any(not (c["all_rows"] or c["all_columns"]) for c in table.cells.to_pylist()):
        return None
    by_rows = tables.cross_tab(user, replace(query, columns=()), language)
    svg = tables.chart_svg(
        by_rows,
        title=tables.describe(by_rows),
        description=_("Counts hidden as small are left out of the chart; the table shows them."),
    )
    return LawTable(
        title,
        exports.crosstab_sheet(table, title),
        mark_safe(svg) if svg else None,  # noqa: S308 (SVG we rendered, text escaped)
    )


def overview(user: User, country: str, language: str) -> Overview:
    """The laws recorded (in `country`, or everywhere), and how often each was used against
    which defenders: per country, or network-wide."""
    access.require(user, access.VIEW)
    measures = LegalMeasure.objects.all()
    if country:
        measures = measures.filter(country=country)
    listed = list(measures)
    result = Overview(measures=listed)
    codes = tuple(m.code for m in listed)
    if not codes:
        return result
    law_filter = Filter("law", codes)
    used = _law_table(
        user,
        Query(rows=("law",), columns=("defender_type",), measure="acts", filters=(law_filter,)),
        language,
        _("Acts of judicial harassment by the law used and the type of defender targeted"),
    )
    if used:
        result.tables.append(used)
    if not country:
        where = _law_table(
            user,
            Query(rows=("country",), columns=("law",), measure="victims", filters=(law_filter,)),
            language,
            _("Victims of laws used against defenders, by country"),
        )
        if where:
            result.tables.append(where)
    return result


def detail(user: User, measure: LegalMeasure, language: str) -> LawTable | None:
    """How often each provision of `measure` was used, against whom."""
    access.require(user, access.VIEW)
    return _law_table(
        user,
        Query(
            rows=("law_provision",),
            columns=("defender_type",),
            measure="acts",
            filters=(Filter("law", (measure.code,)),),
        ),
        language,
        _("Uses of this law by provision and type of defender"),
    )

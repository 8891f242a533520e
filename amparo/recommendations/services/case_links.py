"""Linking a recommendation to the documented acts that show whether it works."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Term, User
from amparo.recommendations import access
from amparo.recommendations.models import CaseLink, Recommendation

TYPE_OF_ACT_LIST = "hrd_violations"


@transaction.atomic
def link_cases(
    actor: User,
    recommendation: Recommendation,
    *,
    country: str,
    types_of_act: Sequence[Term],
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    note: str = "",
) -> CaseLink:
    organisation = access.require(actor, access.CREATE, recommendation)
    if not types_of_act:
        raise ValidationError({"types_of_act": _("Choose at least one type of act.")})
    if any(term.thesaurus.code != TYPE_OF_ACT_LIST for term in types_of_act):
        raise ValidationError({"types_of_act": _("Choose types of act of the defenders' list.")})
    if period_start and period_end and period_end < period_start:
        raise ValidationError({"period_end": _("The end comes before the start.")})
    link = CaseLink(
        recommendation=recommendation,
        country=country.upper(),
        period_start=period_start,
        period_end=period_end,
        note=note.strip(),
        created_by=actor,
    )
    link.full_clean(exclude=["types_of_act"])
    link.save()
    link.types_of_act.set(types_of_act)
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_LINK_CASES,
        recommendation,
        organisation=organisation,
        changes={
            "link": link.pk,
            "country": link.country,
            "types_of_act": sorted(term.code for term in types_of_act),
        },
    )
    return link


@transaction.atomic
def unlink_cases(actor: User, link: CaseLink) -> None:
    recommendation = link.recommendation
    organisation = access.require(actor, access.CREATE, recommendation)
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_UNLINK_CASES,
        recommendation,
        organisation=organisation,
        changes={"link": link.pk},
    )
    link.delete()

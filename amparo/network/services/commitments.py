"""Commitments: what a State pledges (a protection law, funding for the protection mechanism,
investigations of killings, …) with indicators and a due date; the State reports progress, the
NHRI and civil society comment; the secretariat records when one is fulfilled or withdrawn."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.network import access, queries, rules
from amparo.network.models import (
    Commitment,
    Indicator,
    Member,
    ProgressComment,
    ProgressReport,
)
from amparo.network.services.common import locked, not_in_future, text

MAX_INDICATORS = 20


@dataclass(frozen=True)
class IndicatorInput:
    description: str
    target: str = ""


@dataclass(frozen=True)
class CommitmentInput:
    kind: str
    title: str
    due_on: datetime.date | None
    description: str = ""
    pledged_on: datetime.date | None = None
    indicators: Sequence[IndicatorInput] = field(default_factory=tuple)
    publish: bool = False


@transaction.atomic
def add_commitment(actor: User, member: Member, data: CommitmentInput) -> Commitment:
    member = locked(member)
    access.ensure_member(actor, access.ADD_COMMITMENT, member)
    today = queries.today()
    if data.kind not in rules.commitment_kinds():
        raise ValidationError({"kind": _("Choose a kind of commitment.")})
    pledged_on = data.pledged_on or today
    not_in_future(pledged_on, "pledged_on", today)
    if data.due_on is None:
        raise ValidationError({"due_on": _("Give the date the commitment is due.")})
    if data.due_on < pledged_on:
        raise ValidationError({"due_on": _("A commitment falls due after it is pledged.")})
    indicators = [i for i in data.indicators if i.description.strip() or i.target.strip()]
    if not indicators:
        raise ValidationError(
            {"indicators": _("Give at least one indicator of how progress will be measured.")}
        )
    if len(indicators) > MAX_INDICATORS:
        raise ValidationError(
            {"indicators": _("At most %(count)d indicators.") % {"count": MAX_INDICATORS}}
        )
    commitment = Commitment(
        member=member,
        kind=data.kind,
        title=text(data.title, "title", limit=300),
        description=text(data.description, "description", required=False),
        pledged_on=pledged_on,
        due_on=data.due_on,
        published_on=today if data.publish else None,
        created_by=actor,
    )
    commitment.full_clean()
    commitment.save()
    Indicator.objects.bulk_create(
        Indicator(
            commitment=commitment,
            description=text(item.description, "indicators", limit=300),
            target=text(item.target, "indicators", limit=200, required=False),
            position=position,
        )
        for position, item in enumerate(indicators, start=1)
    )
    audit.record(
        actor,
        AuditAction.NETWORK_COMMITMENT_CREATE,
        commitment,
        changes={
            "member": member.country,
            "kind": commitment.kind,
            "title": commitment.title,
            "due_on": commitment.due_on,
            "indicators": len(indicators),
            "published": data.publish,
        },
    )
    return commitment


def _locked(commitment: Commitment) -> Commitment:
    return Commitment.objects.select_for_update().select_related("member").get(pk=commitment.pk)


@transaction.atomic
def publish_commitment(actor: User, commitment: Commitment) -> Commitment:
    commitment = _locked(commitment)
    access.ensure_commitment(actor, access.PUBLISH_COMMITMENT, commitment)
    commitment.published_on = queries.today()
    commitment.save(update_fields=["published_on"])
    audit.record(actor, AuditAction.NETWORK_COMMITMENT_PUBLISH, commitment)
    return commitment


@transaction.atomic
def close_commitment(
    actor: User, commitment: Commitment, state: str, *, on: datetime.date | None = None
) -> Commitment:
    """Record that a commitment was fulfilled or withdrawn (the secretariat, once verified)."""
    commitment = _locked(commitment)
    access.ensure_commitment(actor, access.CLOSE_COMMITMENT, commitment)
    if state not in (Commitment.State.FULFILLED, Commitment.State.WITHDRAWN):
        raise ValidationError({"state": _("Choose fulfilled or withdrawn.")})
    today = queries.today()
    closed_on = on or today
    not_in_future(closed_on, "closed_on", today)
    if closed_on < commitment.pledged_on:
        raise ValidationError({"closed_on": _("This date is before the pledge.")})
    commitment.state = state
    commitment.closed_on = closed_on
    commitment.save(update_fields=["state", "closed_on"])
    audit.record(
        actor,
        AuditAction.NETWORK_COMMITMENT_CLOSE,
        commitment,
        changes={"state": state, "on": closed_on},
    )
    return commitment


@transaction.atomic
def report_progress(
    actor: User, commitment: Commitment, assessment: str, body: str
) -> ProgressReport:
    commitment = _locked(commitment)
    access.ensure_commitment(actor, access.REPORT_PROGRESS, commitment)
    if assessment not in ProgressReport.Assessment.values:
        raise ValidationError({"assessment": _("Choose how the commitment stands.")})
    report = ProgressReport.objects.create(
        commitment=commitment,
        assessment=assessment,
        text=text(body, "text"),
        reported_on=queries.today(),
        author=actor,
    )
    audit.record(
        actor,
        AuditAction.NETWORK_COMMITMENT_PROGRESS,
        commitment,
        changes={"report": report.pk, "assessment": assessment},
    )
    return report


@transaction.atomic
def comment_progress(actor: User, report: ProgressReport, body: str) -> ProgressComment:
    """The NHRI's or civil society's comment on the State's report."""
    commitment = _locked(report.commitment)
    access.ensure_commitment(actor, access.COMMENT_PROGRESS, commitment)
    if report.commitment_id != commitment.pk:
        raise ValidationError({"report": _("This report is not about this commitment.")})
    part = access.commenting_part(actor, commitment)
    assert part is not None  # COMMENT_PROGRESS is granted to the NHRI and civil society only
    comment = ProgressComment.objects.create(
        report=report,
        part=part,
        text=text(body, "text"),
        commented_on=queries.today(),
        author=actor,
    )
    audit.record(
        actor,
        AuditAction.NETWORK_COMMITMENT_COMMENT,
        commitment,
        changes={"report": report.pk, "part": part, "comment": comment.pk},
    )
    return comment

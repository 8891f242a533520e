"""The follow-up of a recommendation: the State's action plan (actions, indicators and their
values), its progress reports, and the tripartite check of each report (the NHRI and civil
society endorse or contest it, with comments)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Organisation, User
from amparo.core.services import DomainError
from amparo.recommendations import access
from amparo.recommendations.models import (
    Action,
    ImplementationStatus,
    Indicator,
    IndicatorValue,
    ProgressReport,
    Recommendation,
    Review,
)

FREQUENCY_MONTHS = {
    Indicator.Frequency.MONTHLY: 1,
    Indicator.Frequency.QUARTERLY: 3,
    Indicator.Frequency.BIANNUAL: 6,
    Indicator.Frequency.ANNUAL: 12,
    Indicator.Frequency.ONCE: 0,
}
LONGEST_PERIOD = datetime.timedelta(days=366 * 6)


def _clean(obj: Action | Indicator | IndicatorValue | ProgressReport | Review) -> None:
    obj.full_clean(validate_unique=False, validate_constraints=False)


def _period(start: datetime.date | None, end: datetime.date | None, field: str) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationError({field: _("The end comes before the start.")})


@dataclass
class ActionInput:
    measure: str
    responsible_agency: str
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    budget_note: str = ""
    status: str = Action.Status.PLANNED


@transaction.atomic
def add_action(actor: User, recommendation: Recommendation, data: ActionInput) -> Action:
    organisation = access.require(actor, access.PLAN, recommendation)
    action = Action(
        recommendation=recommendation,
        measure=data.measure.strip(),
        responsible_agency=data.responsible_agency.strip(),
        start_date=data.start_date,
        end_date=data.end_date,
        budget_note=data.budget_note.strip(),
        status=data.status,
        organisation=organisation,
        created_by=actor,
    )
    _clean(action)
    _period(action.start_date, action.end_date, "end_date")
    action.save()
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_ADD_ACTION,
        recommendation,
        organisation=organisation,
        changes={"action": action.pk, "status": action.status},
    )
    return action


@transaction.atomic
def change_action_status(actor: User, action: Action, status: str) -> Action:
    recommendation = action.recommendation
    organisation = access.require(actor, access.PLAN, recommendation)
    if status not in Action.Status.values:
        raise ValidationError({"status": _("Not a status of an action.")})
    action = Action.objects.select_for_update().get(pk=action.pk)
    before = action.status
    action.status = status
    action.save(update_fields=["status", "updated_at"])
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_CHANGE_ACTION,
        recommendation,
        organisation=organisation,
        changes={"action": action.pk, "status": {"from": before, "to": status}},
    )
    return action


@dataclass
class IndicatorInput:
    description: str
    target: str
    baseline: str = ""
    frequency: str = Indicator.Frequency.ANNUAL
    next_due: datetime.date | None = None


@transaction.atomic
def add_indicator(actor: User, action: Action, data: IndicatorInput) -> Indicator:
    recommendation = action.recommendation
    organisation = access.require(actor, access.PLAN, recommendation)
    indicator = Indicator(
        action=action,
        description=data.description.strip(),
        baseline=data.baseline.strip(),
        target=data.target.strip(),
        frequency=data.frequency,
        next_due=data.next_due,
        created_by=actor,
    )
    _clean(indicator)
    indicator.save()
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_ADD_INDICATOR,
        recommendation,
        organisation=organisation,
        changes={"indicator": indicator.pk, "action": action.pk},
    )
    return indicator


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def next_due_after(indicator: Indicator, measured_on: datetime.date) -> datetime.date | None:
    """When the following value is due: the due dates step by the indicator's frequency until
    one lies after the measurement; None for an indicator measured once."""
    months = FREQUENCY_MONTHS[Indicator.Frequency(indicator.frequency)]
    if months == 0:
        return None
    due = indicator.next_due or measured_on
    while due <= measured_on:
        due = _add_months(due, months)
    return due


@transaction.atomic
def record_indicator_value(
    actor: User, indicator: Indicator, *, value: str, measured_on: datetime.date, note: str = ""
) -> IndicatorValue:
    recommendation = indicator.action.recommendation
    organisation = access.require(actor, access.PLAN, recommendation)
    if measured_on > timezone.localdate():
        raise ValidationError({"measured_on": _("This date is in the future.")})
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    entry = IndicatorValue(
        indicator=indicator,
        value=value.strip(),
        measured_on=measured_on,
        note=note.strip(),
        recorded_by=actor,
    )
    _clean(entry)
    entry.save()
    indicator.next_due = next_due_after(indicator, measured_on)
    indicator.save(update_fields=["next_due"])
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_INDICATOR_VALUE,
        recommendation,
        organisation=organisation,
        changes={"indicator": indicator.pk, "measured_on": measured_on},
    )
    return entry


# --- Progress reports and their review ---------------------------------------------------------


def refresh_status(recommendation: Recommendation) -> None:
    """Keep the recommendation's status and `contested` flag in line with its latest report."""
    latest = recommendation.progress_reports.order_by("-period_end", "-pk").first()
    status = latest.status if latest is not None else ImplementationStatus.NOT_STARTED
    contested = (
        latest is not None and latest.reviews.filter(verdict=Review.Verdict.CONTESTED).exists()
    )
    Recommendation.objects.filter(pk=recommendation.pk).update(status=status, contested=contested)
    recommendation.status, recommendation.contested = status, contested


@dataclass
class ProgressInput:
    period_start: datetime.date
    period_end: datetime.date
    status: str
    evidence: str


@transaction.atomic
def submit_progress_report(
    actor: User, recommendation: Recommendation, data: ProgressInput
) -> ProgressReport:
    """The State reports on a recommendation addressed to it."""
    organisation = access.require(actor, access.REPORT, recommendation)
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    report = ProgressReport(
        recommendation=recommendation,
        period_start=data.period_start,
        period_end=data.period_end,
        status=data.status,
        evidence=data.evidence.strip(),
        organisation=organisation,
        submitted_by=actor,
    )
    _clean(report)
    _period(report.period_start, report.period_end, "period_end")
    if report.period_end - report.period_start > LONGEST_PERIOD:
        raise ValidationError({"period_end": _("A report covers at most six years.")})
    if report.period_start > timezone.localdate():
        raise ValidationError({"period_start": _("The period has not begun yet.")})
    report.save()
    refresh_status(recommendation)
    audit.record(
        actor,
        AuditAction.PROGRESS_REPORT_SUBMIT,
        report,
        organisation=organisation,
        changes={"recommendation": recommendation.pk, "status": report.status},
    )
    return report


def party_of(organisation: Organisation) -> str:
    if organisation.kind == Organisation.Kind.NHRI:
        return Review.Party.NHRI
    if organisation.kind == Organisation.Kind.CSO:
        return Review.Party.CIVIL_SOCIETY
    raise DomainError(_("Only an NHRI or a civil-society organisation reviews State reports."))


@transaction.atomic
def review_report(
    actor: User,
    report: ProgressReport,
    *,
    verdict: str,
    comment: str = "",
    assessed_status: str = "",
) -> Review:
    """Endorse or contest a State progress report for the actor's NHRI or civil-society
    organisation. An organisation has one review of a report; reviewing again replaces it (the
    audit log keeps the earlier verdict). A contested report needs a comment saying why."""
    recommendation = report.recommendation
    organisation = access.require(actor, access.REVIEW, recommendation)
    if verdict not in Review.Verdict.values:
        raise ValidationError({"verdict": _("Endorse or contest the report.")})
    comment = comment.strip()
    if verdict == Review.Verdict.CONTESTED and not comment:
        raise ValidationError({"comment": _("Say why you contest the report.")})
    if assessed_status and assessed_status not in ImplementationStatus.values:
        raise ValidationError({"assessed_status": _("Not an implementation status.")})
    report = ProgressReport.objects.select_for_update().get(pk=report.pk)
    review = Review.objects.filter(report=report, organisation=organisation).first()
    before = review.verdict if review is not None else None
    review = review or Review(report=report, organisation=organisation)
    review.party = party_of(organisation)
    review.verdict = verdict
    review.comment = comment
    review.assessed_status = assessed_status
    review.reviewed_by = actor
    review.reviewed_at = timezone.now()
    _clean(review)
    review.save()
    refresh_status(recommendation)
    _record_review(
        actor,
        AuditAction.PROGRESS_REPORT_CONTEST
        if verdict == Review.Verdict.CONTESTED
        else AuditAction.PROGRESS_REPORT_ENDORSE,
        review,
        before,
    )
    return review


def _record_review(actor: User, action: AuditAction, review: Review, before: str | None) -> None:
    audit.record(
        actor,
        action,
        review.report,
        organisation=review.organisation,
        changes={"review": review.pk, "verdict": {"from": before, "to": review.verdict}},
    )

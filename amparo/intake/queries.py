"""Reads that several intake pages and services share: the vocabularies a report may use, the
inbox and its counts, who may handle a submission, and what a reporter or handler is shown."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from amparo.core.fields import LockedValue
from amparo.core.models import Organisation, Term, User
from amparo.core.vocabulary import active_terms
from amparo.intake import access
from amparo.intake.models import (
    ContactMethod,
    Danger,
    Disposition,
    Recipient,
    Status,
    Submission,
)

ACTS_THESAURUS = "hrd_violations"
DEFENDER_TYPES_THESAURUS = "defender_types"
# Acts and defender types whose branch of the vocabulary marks a reprisal against an NHRI.
NHRI_ACT_BRANCH = "nhri_reprisal"
NHRI_DEFENDER_BRANCH = "nhri"
OTHER_ACT = "other"

# Someone is in immediate danger and nobody handles the report yet: assigned to nobody, neither
# acted on nor closed (no case opened, no action taken), and not marked spam or duplicate.
# The home page counts these; the inbox lists them (?show=unhandled).
UNHANDLED_DANGER = Q(
    danger=Danger.YES,
    assigned_to__isnull=True,
    disposition=Disposition.GENUINE,
    status__in=[Status.RECEIVED, Status.UNDER_REVIEW],
)


# --- Vocabularies -------------------------------------------------------------------------------


def active_codes(thesaurus: str) -> set[str]:
    return set(active_terms(thesaurus).values_list("code", flat=True))


def branch(thesaurus: str, root: str) -> set[str]:
    """The code `root` and the codes of all terms below it in `thesaurus`."""
    terms = Term.objects.filter(thesaurus__code=thesaurus).values_list("code", "parent__code")
    children: dict[str | None, list[str]] = {}
    for code, parent in terms:
        children.setdefault(parent, []).append(code)
    found, stack = set(), [root]
    while stack:
        code = stack.pop()
        if code not in found:
            found.add(code)
            stack.extend(children.get(code, []))
    return found


def terms(thesaurus: str, codes: list[str]) -> list[Term]:
    return list(Term.objects.filter(thesaurus__code=thesaurus, code__in=codes).order_by("position"))


# --- The inbox ----------------------------------------------------------------------------------


def inbox(user: User) -> QuerySet[Submission]:
    """The submissions `user` handles: immediate danger first, then the newest."""
    return (
        access.visible_submissions(user)
        .select_related("organisation", "assigned_to")
        .annotate(
            priority=Case(
                When(danger=Danger.YES, then=Value(0)),
                When(danger=Danger.UNSURE, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("priority", "-received_on", "id")
    )


@dataclass(frozen=True)
class InboxCounts:
    new: int
    unread: int
    in_danger: int
    assigned_to_me: int


def inbox_counts(user: User) -> InboxCounts:
    visible = access.visible_submissions(user)
    open_ = visible.exclude(status=Status.CLOSED)
    return InboxCounts(
        new=visible.filter(status=Status.RECEIVED).count(),
        unread=Recipient.objects.filter(
            organisation__in=access.handled_organisations(user), unread=True
        )
        .values("submission")
        .distinct()
        .count(),
        in_danger=open_.filter(danger=Danger.YES).count(),
        assigned_to_me=open_.filter(assigned_to=user).count(),
    )


def unread_ids(user: User) -> set[object]:
    return set(
        Recipient.objects.filter(
            organisation__in=access.handled_organisations(user), unread=True
        ).values_list("submission_id", flat=True)
    )


def handlers_for(submission: Submission) -> QuerySet[User]:
    """Everyone who may be assigned the submission: handlers of its recipient organisations."""
    return access.handlers_of(
        Organisation.objects.filter(intake_recipients__submission=submission)
    ).order_by("first_name", "last_name", "username")


# --- What a submission shows ----------------------------------------------------------------------


def communication_sent(submission: Submission) -> bool:
    """Whether a communication or appeal was sent on the reporter's behalf (never what)."""
    if submission.communication_sent:
        return True
    return submission.event_id is not None and submission.event.interventions.exists()  # type: ignore[union-attr]


def contact_text(submission: Submission) -> str:
    if isinstance(submission.contact_method, LockedValue):
        return str(submission.contact_method)  # sealed, and the keys here do not open it
    if submission.contact_method in ("", ContactMethod.FOLLOW_UP_ONLY):
        return str(ContactMethod.FOLLOW_UP_ONLY.label)
    method = ContactMethod(submission.contact_method).label
    return f"{method}: {submission.contact_details}"


# --- Aggregate figures for other apps -------------------------------------------------------


@dataclass(frozen=True)
class ReprisalReport:
    """One report of a reprisal against an NHRI, as an aggregate figure needs it."""

    id: uuid.UUID
    country: str
    received_on: datetime.date
    case_opened: bool


def nhri_reprisal_reports(*, start: datetime.date, end: datetime.date) -> list[ReprisalReport]:
    """Reports of reprisals against an NHRI, its members or staff that were routed to the
    network secretariat (AMPARO_INTAKE_NHRI_REPRISALS_TO), received in [start, end), not marked
    as spam or duplicates. Only the country the reporter gave is decrypted (empty when they gave
    none); whoever shows these must link to a report only for those who may read it
    (`intake.access.visible_submissions`)."""
    submissions = (
        Submission.objects.filter(
            recipients__reason=Recipient.Reason.NHRI_REPRISAL,
            received_on__gte=start,
            received_on__lt=end,
            disposition=Disposition.GENUINE,
        )
        .only("id", "country", "received_on", "event_id")
        .distinct()
        .order_by("received_on", "id")
    )
    return [
        ReprisalReport(
            s.id, (s.country or "").strip().upper(), s.received_on, s.event_id is not None
        )
        for s in submissions
    ]

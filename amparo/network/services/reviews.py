"""Periodic reviews: a cycle opens with the `open_review` transition; the State self-assesses,
the NHRI and civil society submit, the secretariat summarises (the scorecard is kept as it
stands then), the steering group recommends an outcome. The co-chairs or the secretariat then
decide the membership's next step (`lifecycle.transition`): the scorecard and the review flag,
people decide."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.network import access, queries, rules
from amparo.network.models import Member, Outcome, Review, ReviewSubmission, Status
from amparo.network.scorecard import compute
from amparo.network.scorecard.readings import add_months
from amparo.network.services.common import text

OPENED = "opened"
SUMMARISED = "summarised"


def open_review(member: Member) -> Review:
    """A new review cycle of `member`, with the scorecard as it stands: part of the
    `open_review` transition, which checks who may open it."""
    number = (Review.objects.filter(member=member).aggregate(last=Max("number"))["last"] or 0) + 1
    card = compute.for_member(member)
    return Review.objects.create(
        member=member,
        number=number,
        opened_on=queries.today(),
        scorecard={OPENED: compute.snapshot(card)},
    )


def _locked(review: Review) -> Review:
    return Review.objects.select_for_update().select_related("member").get(pk=review.pk)


@transaction.atomic
def submit(actor: User, review: Review, body: str) -> ReviewSubmission:
    """The State's self-assessment, or the NHRI's or civil society's submission: in the name
    of the part the actor belongs to."""
    review = _locked(review)
    access.ensure_review(actor, access.SUBMIT, review)
    part = access.submitting_part(actor, review)
    assert part is not None  # SUBMIT is granted to the three parts only
    submission = ReviewSubmission.objects.create(
        review=review,
        part=part,
        text=text(body, "text"),
        submitted_on=queries.today(),
        author=actor,
    )
    audit.record(
        actor,
        AuditAction.NETWORK_REVIEW_SUBMIT,
        review,
        changes={"member": review.member.country, "part": part, "submission": submission.pk},
    )
    return submission


@transaction.atomic
def summarise(actor: User, review: Review, body: str) -> Review:
    """The secretariat's summary; the scorecard is kept as it stands now, for the steering
    group to read beside it. May be rewritten until the review is concluded."""
    review = _locked(review)
    access.ensure_review(actor, access.SUMMARISE, review)
    review.summary = text(body, "summary")
    review.summarised_on = queries.today()
    review.stage = Review.Stage.SUMMARISED
    kept = review.scorecard if isinstance(review.scorecard, dict) else {}
    review.scorecard = {**kept, SUMMARISED: compute.snapshot(compute.for_member(review.member))}
    review.save(update_fields=["summary", "summarised_on", "stage", "scorecard"])
    audit.record(
        actor,
        AuditAction.NETWORK_REVIEW_SUMMARISE,
        review,
        changes={"member": review.member.country},
    )
    return review


@transaction.atomic
def recommend(actor: User, review: Review, outcome: str, body: str) -> Review:
    """The steering group's recommendation and the review's outcome; concludes the review."""
    review = _locked(review)
    access.ensure_review(actor, access.RECOMMEND, review)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    review.recommendation = text(body, "recommendation")
    review.outcome = outcome
    review.stage = Review.Stage.CONCLUDED
    review.concluded_on = queries.today()
    review.save(update_fields=["recommendation", "outcome", "stage", "concluded_on"])
    audit.record(
        actor,
        AuditAction.NETWORK_REVIEW_RECOMMEND,
        review,
        changes={"member": review.member.country, "outcome": outcome},
    )
    return review


def kept_scorecard(review: Review) -> compute.Scorecard | None:
    """The scorecard the review kept: as summarised, else as opened."""
    if not isinstance(review.scorecard, dict):
        return None
    kept = review.scorecard.get(SUMMARISED) or review.scorecard.get(OPENED)
    return compute.from_snapshot(review.member, kept) if isinstance(kept, dict) else None


def next_review_due(member: Member) -> datetime.date | None:
    """When the member's next periodic review is due: a review cycle after the last one opened
    (or after joining), for active members."""
    if member.status != Status.ACTIVE:
        return None
    last = Review.objects.filter(member=member).aggregate(last=Max("opened_on"))["last"]
    start = last or member.joined_on
    if start is None:
        return None
    return add_months(start, rules.settings().review_cycle_months)

"""What a member's public page shows: the published fields only (rules/publication.csv), from
the moment its membership is public (accepted onwards).

This is the plain public page the network has until the portal's publication rules serve it: the
portal can replace `public_views` and its template and keep reading `public_member`, the one place
that decides what of a member is public.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from amparo.network import rules
from amparo.network.models import (
    PUBLIC_STATUSES,
    Accreditation,
    Commitment,
    ContactPerson,
    DelegateOrganisation,
    Member,
    Outcome,
    Part,
    ProgressReport,
    Review,
    status_label,
)

DELEGATION = "delegation_organisations"
ACCREDITATION = "nhri_accreditation"
FOCAL_POINTS = "focal_points"
COMMITMENTS = "commitments"
PROGRESS = "progress"
REVIEW_OUTCOMES = "review_outcomes"


@dataclass(frozen=True)
class PublicProgress:
    reported_on: datetime.date
    assessment: str
    text: str


@dataclass(frozen=True)
class PublicCommitment:
    kind: str
    title: str
    description: str
    pledged_on: datetime.date
    due_on: datetime.date
    state: str
    indicators: tuple[tuple[str, str], ...]
    progress: tuple[PublicProgress, ...] = ()


@dataclass(frozen=True)
class PublicMember:
    country: str
    country_name: str
    status: str
    status_since: datetime.date
    organisations: tuple[tuple[str, str], ...] = ()
    accreditation: tuple[str, datetime.date | None] | None = None
    focal_points: tuple[tuple[str, str, str], ...] = ()
    commitments: tuple[PublicCommitment, ...] = ()
    reviews: tuple[tuple[int, datetime.date | None, str], ...] = ()
    published: frozenset[str] = field(default_factory=frozenset)


def public_members() -> QuerySet[Member]:
    return Member.objects.filter(status__in=PUBLIC_STATUSES).order_by("country")


def _published(member: Member) -> frozenset[str]:
    # Only what the rules still allow: a field removed from publication.csv stops showing.
    return frozenset(member.published_fields) & frozenset(rules.publication_fields())


def public_member(country: str) -> PublicMember | None:
    """The public page of `country`'s membership, or None when it is not public."""
    member = public_members().filter(country=(country or "").upper()).first()
    if member is None:
        return None
    published = _published(member)
    organisations: tuple[tuple[str, str], ...] = ()
    accreditation = None
    if DELEGATION in published or ACCREDITATION in published:
        rows = list(DelegateOrganisation.objects.filter(member=member).order_by("part", "name"))
        if DELEGATION in published:
            organisations = tuple((str(Part(o.part).label), o.name) for o in rows)
        nhri = next((o for o in rows if o.part == Part.NHRI), None)
        if ACCREDITATION in published and nhri is not None and nhri.accreditation:
            accreditation = (str(Accreditation(nhri.accreditation).label), nhri.accredited_on)
    focal_points: tuple[tuple[str, str, str], ...] = ()
    if FOCAL_POINTS in published:
        focal_points = tuple(
            (str(Part(c.part).label), c.published_name, c.function)
            for c in ContactPerson.objects.filter(member=member, listed_publicly=True).only(
                "part", "published_name", "function"
            )
        )
    commitments: tuple[PublicCommitment, ...] = ()
    if COMMITMENTS in published:
        kinds = rules.commitment_kinds()
        reports = ProgressReport.objects.order_by("reported_on", "pk")
        found = (
            Commitment.objects.filter(member=member, published_on__isnull=False)
            .prefetch_related("indicators", Prefetch("progress_reports", queryset=reports))
            .order_by("due_on", "pk")
        )
        commitments = tuple(
            PublicCommitment(
                kind=kinds[c.kind].text() if c.kind in kinds else c.kind,
                title=c.title,
                description=c.description,
                pledged_on=c.pledged_on,
                due_on=c.due_on,
                state=c.get_state_display(),
                indicators=tuple((i.description, i.target) for i in c.indicators.all()),
                progress=tuple(
                    PublicProgress(r.reported_on, r.get_assessment_display(), r.text)
                    for r in c.progress_reports.all()
                )
                if PROGRESS in published
                else (),
            )
            for c in found
        )
    reviews: tuple[tuple[int, datetime.date | None, str], ...] = ()
    if REVIEW_OUTCOMES in published:
        reviews = tuple(
            (r.number, r.concluded_on, str(Outcome(r.outcome).label))
            for r in Review.objects.filter(member=member, stage=Review.Stage.CONCLUDED)
            .only("number", "concluded_on", "outcome")
            .order_by("-number")
        )
    return PublicMember(
        country=member.country,
        country_name=member.country_name,
        status=status_label(member.status),
        status_since=member.status_since,
        organisations=organisations,
        accreditation=accreditation,
        focal_points=focal_points,
        commitments=commitments,
        reviews=reviews,
        published=published,
    )

"""Reads that access, services, pages, the API and exports share: the state of a delegation,
the current co-chairs, a member's latest review."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from amparo.network.models import (
    CoChairTerm,
    Commitment,
    ContactPerson,
    DelegateOrganisation,
    Member,
    Part,
    Review,
    Status,
)


def today() -> datetime.date:
    return timezone.localdate()


def missing_parts(member: Member) -> list[str]:
    """The parts of the delegation that lack an organisation or a focal point, in order. A
    delegation is complete when each of the three parts has both."""
    return missing_parts_of([member.pk])[member.pk]


def missing_parts_of(member_ids: Iterable[int]) -> dict[int, list[str]]:
    """`missing_parts` of many members in two queries."""
    ids = list(member_ids)
    organisations = set(
        DelegateOrganisation.objects.filter(member__in=ids).values_list("member", "part")
    )
    contacts = set(ContactPerson.objects.filter(member__in=ids).values_list("member", "part"))
    return {
        pk: [p for p in Part.values if (pk, p) not in organisations or (pk, p) not in contacts]
        for pk in ids
    }


def has_published_commitment(member: Member) -> bool:
    return Commitment.objects.filter(member=member, published_on__isnull=False).exists()


def latest_review(member: Member) -> Review | None:
    return Review.objects.filter(member=member).order_by("-number").first()


def current_term(on: datetime.date | None = None) -> CoChairTerm | None:
    on = on or today()
    return (
        CoChairTerm.objects.filter(starts_on__lte=on, ends_on__gte=on)
        .prefetch_related("members")
        .order_by("-starts_on")
        .first()
    )


def current_co_chairs(on: datetime.date | None = None) -> QuerySet[Member]:
    """The members who co-chair today. A co-chair that is no longer active (under review,
    suspended, ended) does not act as co-chair."""
    term = current_term(on)
    if term is None:
        return Member.objects.none()
    return term.members.filter(status=Status.ACTIVE)


def members_with_counts() -> QuerySet[Member]:
    """Members with how many organisations, focal points and commitments each has."""
    return Member.objects.annotate(
        organisation_count=Count("organisations", distinct=True),
        contact_count=Count("contacts", distinct=True),
        commitment_count=Count("commitments", distinct=True),
        published_commitment_count=Count(
            "commitments", filter=Q(commitments__published_on__isnull=False), distinct=True
        ),
    )

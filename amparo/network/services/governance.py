"""Governance: the co-chairs' rotation (computed from rules/network.csv and shown ahead), the
confirmed terms, and the steering group's seats."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.network import access, keys, queries, rules
from amparo.network.models import CoChairTerm, Member, Status, SteeringMember
from amparo.network.scorecard.readings import add_months
from amparo.network.services.common import not_in_future, text

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class ScheduledTerm:
    starts_on: datetime.date
    ends_on: datetime.date
    members: tuple[Member, ...]
    confirmed: bool
    term: CoChairTerm | None = None

    @property
    def short(self) -> bool:
        """Fewer co-chairs than the rules ask for: not enough active members."""
        return len(self.members) < rules.settings().co_chair_seats


def rotation_order() -> list[Member]:
    """The active members in the order the co-chairs rotate (rules: co_chair_order)."""
    members = Member.objects.filter(status=Status.ACTIVE)
    if rules.settings().co_chair_order == "joined":
        return list(members.order_by("joined_on", "country"))
    return list(members.order_by("country"))


def _term_end(starts_on: datetime.date) -> datetime.date:
    return add_months(starts_on, rules.settings().co_chair_term_months) - ONE_DAY


def rotation_schedule(
    as_of: datetime.date | None = None, terms_ahead: int | None = None
) -> list[ScheduledTerm]:
    """The current and confirmed terms, then the next ones computed ahead: each takes the next
    `co_chair_seats` members in rotation order after the last term's co-chairs."""
    settings = rules.settings()
    as_of = as_of or queries.today()
    ahead = terms_ahead or settings.schedule_terms_ahead
    confirmed = list(
        CoChairTerm.objects.filter(ends_on__gte=as_of)
        .prefetch_related("members")
        .order_by("starts_on")
    )
    schedule = [
        ScheduledTerm(t.starts_on, t.ends_on, tuple(t.members.all()), True, t) for t in confirmed
    ]
    last = CoChairTerm.objects.prefetch_related("members").order_by("-starts_on").first()
    order = rotation_order()
    if not order:
        return schedule
    position = -1
    if last is not None:
        chairs = {m.pk for m in last.members.all()}
        found = [i for i, member in enumerate(order) if member.pk in chairs]
        position = max(found) if found else -1
    start = max(last.ends_on + ONE_DAY, as_of) if last is not None else as_of
    seats = min(settings.co_chair_seats, len(order))
    for _term in range(ahead):
        members = tuple(order[(position + 1 + i) % len(order)] for i in range(seats))
        position = (position + seats) % len(order)
        end = _term_end(start)
        schedule.append(ScheduledTerm(start, end, members, False))
        start = end + ONE_DAY
    return schedule


@transaction.atomic
def confirm_term(
    actor: User,
    *,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    members: Sequence[Member],
) -> CoChairTerm:
    """Confirm a co-chairs' term: at least two active member States, not overlapping another."""
    access.require_network(actor, access.MANAGE_GOVERNANCE)
    if starts_on is None or ends_on is None or ends_on <= starts_on:
        raise ValidationError({"ends_on": _("A term ends after it starts.")})
    chosen = {m.pk: m for m in members}
    if len(chosen) < 2:
        raise ValidationError({"members": _("At least two States co-chair the network.")})
    inactive = [m.country_name for m in chosen.values() if m.status != Status.ACTIVE]
    if inactive:
        raise ValidationError(
            {
                "members": _("Only active members co-chair: %(members)s are not.")
                % {"members": ", ".join(inactive)}
            }
        )
    overlapping = CoChairTerm.objects.select_for_update().filter(
        starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if overlapping.exists():
        raise ValidationError({"starts_on": _("This term overlaps a confirmed term.")})
    term = CoChairTerm.objects.create(starts_on=starts_on, ends_on=ends_on, confirmed_by=actor)
    term.members.set(chosen.values())
    keys.follow()  # a term that starts today: its co-chairs' copies (else on the day it starts)
    audit.record(
        actor,
        AuditAction.NETWORK_CO_CHAIRS_CONFIRM,
        term,
        changes={
            "starts_on": starts_on,
            "ends_on": ends_on,
            "members": sorted(m.country for m in chosen.values()),
        },
    )
    return term


def confirm_next_term(actor: User) -> CoChairTerm:
    """Confirm the first term of the schedule that is not confirmed yet, as computed."""
    access.require_network(actor, access.MANAGE_GOVERNANCE)
    upcoming = next((t for t in rotation_schedule() if not t.confirmed), None)
    if upcoming is None:
        raise ValidationError({"members": _("There are no active members to rotate.")})
    return confirm_term(
        actor, starts_on=upcoming.starts_on, ends_on=upcoming.ends_on, members=upcoming.members
    )


@dataclass(frozen=True)
class SteeringInput:
    name: str
    mandate: str
    kind: str
    starts_on: datetime.date | None
    user: User | None = None


@transaction.atomic
def add_steering_member(actor: User, data: SteeringInput) -> SteeringMember:
    access.require_network(actor, access.MANAGE_GOVERNANCE)
    if data.kind not in SteeringMember.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of seat.")})
    if data.starts_on is None:
        raise ValidationError({"starts_on": _("Give the date the seat starts.")})
    if data.user is not None and not data.user.is_active:
        raise ValidationError({"user": _("This account is not active.")})
    seat = SteeringMember.objects.create(
        name=text(data.name, "name", limit=200),
        mandate=text(data.mandate, "mandate", limit=300),
        kind=data.kind,
        user=data.user,
        starts_on=data.starts_on,
    )
    keys.follow()  # the seat holder's copies, sealed to their own key
    audit.record(
        actor,
        AuditAction.NETWORK_STEERING_ADD,
        seat,
        changes={
            "name": seat.name,
            "mandate": seat.mandate,
            "kind": seat.kind,
            "account": data.user.username if data.user else None,
        },
    )
    return seat


@transaction.atomic
def end_steering_seat(
    actor: User, seat: SteeringMember, ends_on: datetime.date | None = None
) -> SteeringMember:
    access.require_network(actor, access.MANAGE_GOVERNANCE)
    seat = SteeringMember.objects.select_for_update().get(pk=seat.pk)
    today = queries.today()
    ends_on = ends_on or today
    not_in_future(ends_on, "ends_on", today)
    if seat.ends_on is not None:
        raise ValidationError({"ends_on": _("This seat has ended already.")})
    if ends_on < seat.starts_on:
        raise ValidationError({"ends_on": _("A seat ends after it starts.")})
    seat.ends_on = ends_on
    seat.save(update_fields=["ends_on"])
    keys.follow()  # the former seat holder's copies go
    audit.record(actor, AuditAction.NETWORK_STEERING_END, seat, changes={"ends_on": ends_on})
    return seat


def current_steering_group() -> list[SteeringMember]:
    return list(access.current_steering_seats().order_by("kind", "name"))


def past_steering_seats() -> list[SteeringMember]:
    today = queries.today()
    return list(SteeringMember.objects.filter(Q(ends_on__lte=today)).order_by("-ends_on"))

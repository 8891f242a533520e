"""Meetings of the network: agenda, participants, minutes (encrypted), decisions and action
items. The secretariat keeps the record."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.network import access, queries
from amparo.network.models import ActionItem, Decision, Meeting, Member, SteeringMember
from amparo.network.services.common import not_in_future, text


@dataclass(frozen=True)
class MeetingInput:
    title: str
    kind: str
    held_on: datetime.date | None
    place: str = ""
    agenda: str = ""
    minutes: str = ""
    members: Sequence[Member] = field(default_factory=tuple)
    steering_members: Sequence[SteeringMember] = field(default_factory=tuple)
    other_participants: str = ""


def _fill(meeting: Meeting, data: MeetingInput) -> None:
    if data.kind not in Meeting.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of meeting.")})
    if data.held_on is None:
        raise ValidationError({"held_on": _("Give the date of the meeting.")})
    meeting.title = text(data.title, "title", limit=200)
    meeting.kind = data.kind
    meeting.held_on = data.held_on
    meeting.place = text(data.place, "place", limit=200, required=False)
    meeting.agenda = text(data.agenda, "agenda", required=False)
    meeting.minutes = text(data.minutes, "minutes", required=False)
    meeting.other_participants = text(
        data.other_participants, "other_participants", limit=2000, required=False
    )


def _participants(data: MeetingInput) -> dict[str, list[str]]:
    return {
        "members": sorted(m.country for m in data.members),
        "steering_members": sorted(str(s.pk) for s in data.steering_members),
    }


@transaction.atomic
def create_meeting(actor: User, data: MeetingInput) -> Meeting:
    access.require_network(actor, access.MANAGE_MEETINGS)
    meeting = Meeting(created_by=actor)
    _fill(meeting, data)
    meeting.save()
    meeting.members.set(data.members)
    meeting.steering_members.set(data.steering_members)
    audit.record(
        actor,
        AuditAction.NETWORK_MEETING_CREATE,
        meeting,
        changes={
            "title": meeting.title,
            "kind": meeting.kind,
            "held_on": meeting.held_on,
            **_participants(data),
        },
    )
    return meeting


@transaction.atomic
def update_meeting(actor: User, meeting: Meeting, data: MeetingInput) -> Meeting:
    access.require_network(actor, access.MANAGE_MEETINGS)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    fields = ("title", "kind", "held_on", "place", "agenda", "minutes", "other_participants")
    before = {name: getattr(meeting, name) for name in fields}
    _fill(meeting, data)
    meeting.save()
    meeting.members.set(data.members)
    meeting.steering_members.set(data.steering_members)
    after = {name: getattr(meeting, name) for name in fields}
    # Minutes are encrypted: the log tells that they changed, not what they say.
    changes = audit.diff(before, after, secret_fields=audit.secret_field_names(Meeting))
    audit.record(
        actor,
        AuditAction.NETWORK_MEETING_UPDATE,
        meeting,
        changes={**changes, **_participants(data)},
    )
    return meeting


@transaction.atomic
def add_decision(actor: User, meeting: Meeting, body: str) -> Decision:
    access.require_network(actor, access.MANAGE_MEETINGS)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    last = meeting.decisions.aggregate(last=Max("position"))["last"] or 0
    decision = Decision.objects.create(
        meeting=meeting, text=text(body, "text", limit=5000), position=last + 1
    )
    audit.record(
        actor,
        AuditAction.NETWORK_MEETING_DECISION,
        meeting,
        changes={"decision": decision.position, "text": decision.text},
    )
    return decision


@dataclass(frozen=True)
class ActionItemInput:
    description: str
    member: Member | None = None
    owner: str = ""
    due_on: datetime.date | None = None


@transaction.atomic
def add_action_item(actor: User, meeting: Meeting, data: ActionItemInput) -> ActionItem:
    access.require_network(actor, access.MANAGE_MEETINGS)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    item = ActionItem.objects.create(
        meeting=meeting,
        description=text(data.description, "description", limit=300),
        member=data.member,
        owner=text(data.owner, "owner", limit=200, required=False),
        due_on=data.due_on,
    )
    audit.record(
        actor,
        AuditAction.NETWORK_MEETING_ACTION,
        meeting,
        changes={
            "action": item.pk,
            "description": item.description,
            "member": data.member.country if data.member else None,
            "due_on": item.due_on,
        },
    )
    return item


@transaction.atomic
def complete_action_item(
    actor: User, item: ActionItem, on: datetime.date | None = None
) -> ActionItem:
    access.require_network(actor, access.MANAGE_MEETINGS)
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if item.done_on is not None:
        raise ValidationError({"done_on": _("This action is done already.")})
    today = queries.today()
    item.done_on = on or today
    not_in_future(item.done_on, "done_on", today)
    item.save(update_fields=["done_on"])
    audit.record(
        actor,
        AuditAction.NETWORK_MEETING_ACTION_DONE,
        item.meeting,
        changes={"action": item.pk, "done_on": item.done_on},
    )
    return item

"""Sharing an event with another organisation or person.

Sharing with an organisation also shares the keys (issue 16): the event's rows (event, acts,
sources, comments) move to a data key of their own, and so does each person shown in it; those
keys are sealed to the partner's organisation keys of the same level, so its members open them
only as far as their clearance goes, and consent still decides whom the pages name
(`access.PersonPresenter`). Revoking removes the partner's copies that no other live grant to it
still needs. A grant to a single person seals the same keys to that person's own key (not to
their organisation's, which would open the event to all their colleagues cleared for its level),
those of a level their clearance covers."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access, queries
from amparo.cases.models import (
    Act,
    Comment,
    Event,
    SharingGrant,
    Source,
)
from amparo.core import audit, custody
from amparo.core.audit_actions import AuditAction
from amparo.core.models import DataKey, Organisation, PersonalKey, SealedRecord, User
from amparo.core.services import DomainError


@transaction.atomic
def grant_sharing(
    actor: User,
    event: Event,
    *,
    organisation: Organisation | None = None,
    user: User | None = None,
    level: str = SharingGrant.Level.READ,
    expires_at: datetime.datetime | None = None,
    purpose: str = "",
) -> SharingGrant:
    """Let another organisation's members (or one user) see the event until revoked/expired."""
    access.require(actor, access.SHARE, event)
    if (organisation is None) == (user is None):
        raise DomainError(_("Share with either an organisation or a person, not both."))
    if level not in SharingGrant.Level.values:
        raise DomainError(_("Unknown access level."))
    if organisation is not None:
        if organisation.pk == event.organisation_id:
            raise DomainError(_("The owning organisation sees its events already."))
        if not organisation.is_active:
            raise DomainError(_("This organisation is no longer active."))
    if user is not None and not user.is_active:
        raise DomainError(_("This account is no longer active."))
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    grant = SharingGrant.objects.create(
        event=event,
        organisation=organisation,
        user=user,
        level=level,
        expires_at=expires_at,
        purpose=purpose.strip(),
        granted_by=actor,
    )
    seal_event_rows(event)
    audit.record(actor, AuditAction.EVENT_SHARE, event, changes=sharing_changes(grant))
    return grant


def sharing_changes(grant: SharingGrant) -> dict[str, Any]:
    """What the audit entry of a new grant says."""
    return {
        "grant": grant.pk,
        "organisation": grant.organisation_id,
        "user": grant.user_id,
        "level": grant.level,
        "expires_at": grant.expires_at,
    }


@transaction.atomic
def revoke_sharing(actor: User, grant: SharingGrant) -> SharingGrant:
    grant = SharingGrant.objects.select_for_update().select_related("event").get(pk=grant.pk)
    access.require(actor, access.SHARE, grant.event)
    if grant.revoked_at is not None:
        raise DomainError(_("This grant was already revoked."))
    grant.revoked_at = grant.keys_withdrawn_at = timezone.now()
    grant.revoked_by = actor
    grant.save(update_fields=["revoked_at", "revoked_by", "keys_withdrawn_at"])
    withdraw_keys(grant)
    audit.record(actor, AuditAction.EVENT_UNSHARE, grant.event, changes={"grant": grant.pk})
    return grant


def _partners(event: Event) -> QuerySet[Organisation]:
    """The organisations a live grant shares `event` with."""
    grants = access.live_grants().filter(event=event, organisation__isnull=False)
    return Organisation.objects.filter(pk__in=grants.values("organisation"))


def seal_event_rows(event: Event) -> None:
    """After a change of the event (a grant, a new version): its acts, sources and comments
    still under another key than the event's follow it (a new confidentiality must not leave
    them open to members cleared only for the old one), and the event's rows and the persons
    shown in it are sealed to every partner organisation it is shared with, each on a data key
    of its own (`custody.dedicate`), so that rows added later open for the partners too.
    KeysLocked if the keys at hand do not open a row that must move."""
    model: type[Act] | type[Source] | type[Comment]
    for model in (Act, Source, Comment):
        fields = ["data_key", *custody.sealed_field_names(model)]
        for row in model._default_manager.filter(event=event).exclude(
            data_key_id=event.data_key_id
        ):
            row.event = event
            row.save(update_fields=fields)
    partners = list(_partners(event))
    readers = access.personal_readers(event)
    if not partners and not readers:
        return
    rows: list[SealedRecord] = [
        event,
        *Act.objects.filter(event=event),
        *Source.objects.filter(event=event),
        *Comment.objects.filter(event=event),
    ]
    if len({row.data_key_id for row in rows}) > 1:  # a row the keys here could not move
        raise custody.KeysLocked(
            _("This record is sealed and your keys do not open it here: it cannot be shared.")
        )
    keys = {custody.dedicate(rows)}
    for person in queries.persons_in([event.pk]):
        try:
            keys.add(custody.dedicate([person]))
        except custody.KeysLocked:
            # A person above the clearance of whoever changes the event: sealed to the
            # partners at the next change by someone whose keys open them.
            continue
    for partner in partners:
        for key in keys:
            custody.share_sealed(key, partner)
    _seal_to_persons(keys, readers)


def _seal_to_persons(keys: set[uuid.UUID], readers: dict[int, int]) -> None:
    """Seal the event's keys to the own key of each person it is shared with in person, those of
    a level their clearance covers: such a copy opens for them alone, not for their colleagues.
    A person who has no key yet (never signed in) gets the copies at the next change of the
    event by someone whose keys open them."""
    if not readers:
        return
    levels = dict(DataKey.objects.filter(pk__in=keys).values_list("pk", "level"))
    custody.seal_copies(
        (key, personal)
        for personal in PersonalKey.objects.filter(user_id__in=list(readers))
        for key in keys
        if levels[key] <= readers[personal.user_id]
    )


def _data_keys_of(event_ids: Collection[int]) -> set[uuid.UUID]:
    """The data keys that seal these events' rows and the persons shown in them."""
    keys: set[uuid.UUID | None] = set()
    for model in (Event, Act, Source, Comment):
        field = "pk" if model is Event else "event"
        keys.update(
            model._default_manager.filter(**{f"{field}__in": event_ids}).values_list(
                "data_key_id", flat=True
            )
        )
    keys.update(queries.persons_in(event_ids).values_list("data_key_id", flat=True))
    return {key for key in keys if key is not None}


def withdraw_expired(now: datetime.datetime | None = None) -> int:
    """Delete the copies of the keys of every grant that expired since the last run (an expired
    grant opens no page, but its copies would still open the rows for the partner's key holders,
    or the person it was shared with, from a copy of the database), each with an audit entry; the
    number of grants. Run daily (`amparo sharing expire`)."""
    moment = now or timezone.now()
    expired = SharingGrant.objects.filter(
        revoked_at__isnull=True,
        keys_withdrawn_at__isnull=True,
        expires_at__lte=moment,
    ).select_related("event")
    done = 0
    for grant in expired.iterator():
        with transaction.atomic():
            copies = withdraw_keys(grant)
            grant.keys_withdrawn_at = moment
            grant.save(update_fields=["keys_withdrawn_at"])
            audit.record(
                None,
                AuditAction.EVENT_SHARE_EXPIRED,
                grant.event,
                changes={"grant": grant.pk, "key_copies_withdrawn": copies},
            )
        done += 1
    return done


def withdraw_keys(grant: SharingGrant) -> int:
    """Remove the copies of the keys `grant` shared (the partner organisation's, or the person's
    own), except those another live grant to the same organisation or person still covers (a
    person shown in two shared events). Returns how many copies went."""
    if grant.user_id is not None:
        grantee = Q(user_id=grant.user_id)
    elif grant.organisation_id is not None:
        grantee = Q(organisation_id=grant.organisation_id)
    else:
        return 0
    others = (
        access.live_grants().filter(grantee).exclude(pk=grant.pk).values_list("event_id", flat=True)
    )
    gone = _data_keys_of([grant.event_id]) - _data_keys_of(list(others))
    if grant.user_id is not None:
        return custody.unshare_sealed_with_person(gone, grant.user_id)
    assert grant.organisation is not None
    return custody.unshare_sealed(gone, grant.organisation)

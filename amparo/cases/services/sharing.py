"""Sharing an event with another organisation or person."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access
from amparo.cases.models import (
    Event,
    SharingGrant,
)
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Organisation, User
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
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(actor, AuditAction.EVENT_UNSHARE, grant.event, changes={"grant": grant.pk})
    return grant

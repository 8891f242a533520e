"""Chain links between events."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from amparo.cases import access
from amparo.cases.models import (
    ChainLink,
    Event,
    VersionAction,
)
from amparo.cases.services.changes import changing, clean
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Term, User
from amparo.core.services import DomainError


def add_chain_link(actor: User, event: Event, to_event: Event, chain_type: Term) -> ChainLink:
    """Link `event` to another event the actor may see (it may belong to a partner)."""
    with changing(
        actor, event, VersionAction.ADD_CHAIN_LINK, AuditAction.EVENT_ADD_CHAIN_LINK
    ) as change:
        event = change.event
        if not access.can(actor, access.VIEW, to_event):
            raise PermissionDenied(_("You may not see the event you are linking to."))
        if to_event.pk == event.pk:
            raise DomainError(_("An event cannot be linked to itself."))
        if ChainLink.objects.filter(from_event=event, to_event=to_event).exists():
            raise DomainError(_("These events are already linked."))
        link = ChainLink(
            from_event=event, to_event=to_event, chain_type=chain_type, created_by=actor
        )
        clean(link, "", exclude=["from_event", "to_event", "created_by"])
        link.save()
        change.audit_changes = {"to_event": to_event.reference_code}
    return link

"""Removing a source, an intervention or a chain link entered by mistake."""

from __future__ import annotations

from amparo.cases.models import ChainLink, Intervention, Source, VersionAction
from amparo.cases.services.changes import changing
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User

# What removing each kind of item is called in the event's history and in the audit log.
REMOVALS: dict[type[Source | Intervention | ChainLink], tuple[VersionAction, AuditAction, str]] = {
    Source: (VersionAction.REMOVE_SOURCE, AuditAction.EVENT_REMOVE_SOURCE, "source"),
    Intervention: (
        VersionAction.REMOVE_INTERVENTION,
        AuditAction.EVENT_REMOVE_INTERVENTION,
        "intervention",
    ),
    ChainLink: (VersionAction.REMOVE_CHAIN_LINK, AuditAction.EVENT_REMOVE_CHAIN_LINK, "chainlink"),
}


def remove_from_event(actor: User, item: Source | Intervention | ChainLink) -> None:
    """Remove a source, an intervention or a chain link entered by mistake (restorable)."""
    parent = item.from_event if isinstance(item, ChainLink) else item.event
    version_action, audit_action, key = REMOVALS[type(item)]
    with changing(actor, parent, version_action, audit_action) as change:
        change.audit_changes = {key: item.pk}
        item.delete()

"""The workflow of an event: draft → submitted → verified → closed."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access
from amparo.cases.models import (
    Event,
    VersionAction,
)
from amparo.cases.services.changes import changing
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.core.services import DomainError

# Each step after recording: the action access must allow, the status it reaches, the
# `<stamp>_by/_at` fields it sets, and what the history and the log call it.
STEPS: dict[str, tuple[Event.Status, str, VersionAction, AuditAction]] = {
    access.SUBMIT: (
        Event.Status.SUBMITTED,
        "submitted",
        VersionAction.SUBMIT,
        AuditAction.EVENT_SUBMIT,
    ),
    access.VERIFY: (
        Event.Status.VERIFIED,
        "verified",
        VersionAction.VERIFY,
        AuditAction.EVENT_VERIFY,
    ),
    access.CLOSE: (Event.Status.CLOSED, "closed", VersionAction.CLOSE, AuditAction.EVENT_CLOSE),
}


def _move(actor: User, event: Event, step: str) -> Event:
    """One step of draft → submitted → verified → closed, once `access.ensure` allows it: who
    and when in `<stamp>_by/_at`, a version and an audit entry."""
    to, stamp, version_action, audit_action = STEPS[step]
    with changing(actor, event, version_action, audit_action, check=step) as change:
        event = change.event
        if step == access.SUBMIT and not event.acts.exists():
            raise DomainError(_("Record at least one act before submitting the event."))
        event.status = to
        setattr(event, f"{stamp}_by", actor)
        setattr(event, f"{stamp}_at", timezone.now())
        event.save(update_fields=["status", f"{stamp}_by", f"{stamp}_at", "updated_at"])
        change.audit_changes = {}
    return event


def submit_event(actor: User, event: Event) -> Event:
    return _move(actor, event, access.SUBMIT)


def verify_event(actor: User, event: Event) -> Event:
    return _move(actor, event, access.VERIFY)


def close_event(actor: User, event: Event) -> Event:
    return _move(actor, event, access.CLOSE)

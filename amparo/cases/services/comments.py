"""Comments on an event."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.cases import access
from amparo.cases.models import (
    Comment,
    Event,
)
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User


@transaction.atomic
def add_comment(actor: User, event: Event, body: str) -> Comment:
    access.require(actor, access.COMMENT, event)
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    comment = Comment.objects.create(event=event, author=actor, body=body)
    # The comment text is encrypted at rest and stays out of the log.
    audit.record(actor, AuditAction.EVENT_COMMENT, event, changes={"comment": comment.pk})
    return comment

"""Staff setting a person's risk level themselves, with the reason (audited)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases.models import Person
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.warning import access
from amparo.warning.models import Level, RiskAssessment

MAX_REASON = 2000


@transaction.atomic
def override(actor: User, person: Person, level: str, reason: str) -> RiskAssessment:
    """A new current assessment of `person` at `level`, set by `actor` for `reason`; it holds
    until the facts change the computed level or its reasons."""
    access.require_risk(actor, access.OVERRIDE, person)
    reason = (reason or "").strip()
    if level not in Level.values:
        raise DomainError(_("Choose a level: low, medium, high or extreme."))
    if not reason:
        raise DomainError(_("Say why the level should be different from the computed one."))
    if len(reason) > MAX_REASON:
        raise DomainError(_("The reason is too long (at most 2,000 characters)."))
    before = (
        RiskAssessment.objects.select_for_update().filter(person=person, is_current=True).first()
    )
    if before is not None:
        before.is_current = False
        before.save(update_fields=["is_current"])
    assessment = RiskAssessment.objects.create(
        person=person,
        organisation_id=person.organisation_id,
        origin=RiskAssessment.Origin.OVERRIDE,
        level=level,
        computed_level=before.computed_level if before else Level.LOW,
        score=before.score if before else 0.0,
        threat=before.threat if before else 0.0,
        vulnerability=before.vulnerability if before else 0.0,
        capacity=before.capacity if before else 0.0,
        reasons=before.reasons if before else [],
        firings=before.firings if before else [],
        as_of=timezone.localdate(),
        override_reason=reason,
        overridden_by=actor,
    )
    # The reason may name people or places: the log keeps that a reason was given, not its text.
    audit.record(
        actor,
        AuditAction.WARNING_RISK_OVERRIDE,
        assessment,
        organisation=person.organisation,
        changes={
            "person": person.pk,
            "level": [before.level if before else None, level],
        },
    )
    return assessment

"""Consent of a person to have their identity disclosed."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import access, hooks
from amparo.cases.models import (
    ConsentRecord,
    Person,
    RecipientKind,
)
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Organisation, User
from amparo.core.services import DomainError


@transaction.atomic
def give_consent(
    actor: User,
    person: Person,
    *,
    recipient_kind: str,
    purpose: str,
    given_on: datetime.date | None = None,
    recipient_organisation: Organisation | None = None,
) -> ConsentRecord:
    if not access.can_record_consent(actor, person):
        raise PermissionDenied(_("You may not record consent for this person."))
    if recipient_kind not in RecipientKind.values:
        raise DomainError(_("Unknown kind of recipient."))
    if recipient_organisation is not None and recipient_kind in (
        RecipientKind.OWN_ORGANISATION,
        RecipientKind.PUBLICATION,
    ):
        raise ValidationError(
            {"recipient_organisation": _("Name an organisation only for partners and mechanisms.")}
        )
    given_on = given_on or timezone.localdate()
    consent = ConsentRecord(
        person=person,
        recipient_kind=recipient_kind,
        recipient_organisation=recipient_organisation,
        purpose=purpose.strip(),
        given_on=given_on,
        recorded_by=actor,
    )
    consent.full_clean(exclude=["person", "recorded_by"])
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": _("This date is in the future.")})
    consent.save()
    audit.record(
        actor,
        AuditAction.PERSON_CONSENT_GIVEN,
        person,
        changes=consent_given_changes(consent),
    )
    return consent


def consent_given_changes(consent: ConsentRecord) -> dict[str, Any]:
    """What the audit entry of a recorded consent says."""
    return {
        "consent": consent.pk,
        "recipient_kind": consent.recipient_kind,
        "recipient_organisation": consent.recipient_organisation_id,
        "given_on": consent.given_on,
    }


def consent_withdrawn_changes(consent: ConsentRecord) -> dict[str, Any]:
    """What the audit entry of a withdrawn consent says."""
    return {"consent": consent.pk, "withdrawn_on": consent.withdrawn_on}


@transaction.atomic
def withdraw_consent(
    actor: User, consent: ConsentRecord, withdrawn_on: datetime.date | None = None
) -> ConsentRecord:
    """Effective at once: the next page, export or API call shows the pseudonym again."""
    consent = ConsentRecord.objects.select_for_update().select_related("person").get(pk=consent.pk)
    if not access.can_record_consent(actor, consent.person):
        raise PermissionDenied(_("You may not record consent for this person."))
    if consent.withdrawn_at is not None:
        raise DomainError(_("This consent was already withdrawn."))
    consent.withdrawn_on = withdrawn_on or timezone.localdate()
    consent.withdrawn_by = actor
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_on", "withdrawn_by", "withdrawn_at"])
    audit.record(
        actor,
        AuditAction.PERSON_CONSENT_WITHDRAWN,
        consent.person,
        changes=consent_withdrawn_changes(consent),
    )
    hooks.consent_withdrawn([consent.person_id])
    return consent

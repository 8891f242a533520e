"""Members and their delegations: proposing a State, the three parts of its delegation, its
focal points, what its public page shows."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import DataKey, Organisation, User, validate_country_code
from amparo.core.services import DomainError
from amparo.network import access, keys, queries, rules
from amparo.network.models import (
    Accreditation,
    ContactPerson,
    DelegateOrganisation,
    Member,
    MembershipChange,
    Part,
    Status,
)
from amparo.network.services.common import MAX_REASON, locked, text

PROPOSE = "propose"

# The kind of Amparo organisation each part of a delegation may be linked to.
ORGANISATION_KINDS = {
    Part.STATE: Organisation.Kind.STATE,
    Part.NHRI: Organisation.Kind.NHRI,
    Part.CIVIL_SOCIETY: Organisation.Kind.CSO,
}


@transaction.atomic
def propose_member(actor: User, *, country: str, reason: str) -> Member:
    """Put a State on the network's list as proposed, with why. A State whose membership ended
    may be proposed again; any other State already on the list may not."""
    access.require_network(actor, access.PROPOSE)
    code = (country or "").strip().upper()
    try:
        validate_country_code(code)
    except ValidationError as error:
        raise ValidationError({"country": error.messages}) from error
    reason = text(reason, "reason", limit=MAX_REASON)
    today = queries.today()
    member = Member.objects.select_for_update().filter(country=code).first()
    if member is not None and member.status != Status.ENDED:
        raise ValidationError(
            {
                "country": _("%(country)s is on the network's list already (%(status)s).")
                % {"country": member.country_name, "status": member.get_status_display()}
            }
        )
    from_status = member.status if member is not None else ""
    if member is None:
        member = Member(country=code, proposed_by=actor)
    member.status = Status.PROPOSED
    member.status_since = today
    member.full_clean(exclude=["country"] if member.pk else None)
    member.save()
    MembershipChange.objects.create(
        member=member,
        transition=PROPOSE,
        from_status=from_status,
        to_status=Status.PROPOSED,
        reason=reason,
        on=today,
        actor=actor,
    )
    audit.record(
        actor,
        AuditAction.NETWORK_MEMBER_PROPOSE,
        member,
        changes={"country": code, "reason": reason},
    )
    return member


@transaction.atomic
def set_publication(actor: User, member: Member, fields: Iterable[str]) -> Member:
    """Choose what the member's public page shows (rules/publication.csv)."""
    member = locked(member)
    access.ensure_member(actor, access.CHOOSE_PUBLICATION, member)
    chosen = sorted(set(fields))
    unknown = [name for name in chosen if name not in rules.publication_fields()]
    if unknown:
        raise ValidationError(
            {
                "fields": _("Not something a page can publish: %(fields)s")
                % {"fields": ", ".join(unknown)}
            }
        )
    before = list(member.published_fields)
    member.published_fields = chosen
    member.save(update_fields=["published_fields"])
    audit.record(
        actor,
        AuditAction.NETWORK_MEMBER_PUBLICATION,
        member,
        changes={"published": {"from": before, "to": chosen}},
    )
    return member


# --- the delegation ---------------------------------------------------------------------------


def _require_part(actor: User, member: Member, part: str) -> None:
    if part not in Part.values:
        raise ValidationError({"part": _("Choose a part of the delegation.")})
    if part not in access.editable_parts(actor, member):
        raise PermissionDenied(_("You may not change this part of the delegation."))
    if member.status == Status.ENDED:
        raise DomainError(_("This membership has ended."))


@dataclass(frozen=True)
class OrganisationInput:
    part: str
    name: str
    # Whose staff act for the part: the secretariat alone may set it.
    organisation: Organisation | None = None
    accreditation: str = ""
    accredited_on: datetime.date | None = None


@transaction.atomic
def add_organisation(actor: User, member: Member, data: OrganisationInput) -> DelegateOrganisation:
    member = locked(member)
    _require_part(actor, member, data.part)
    name = text(data.name, "name", limit=200)
    if data.organisation is not None:
        if access.S not in access.Viewer.of(actor).capacities(member):
            # Linking an organisation gives its staff the right to act for the member.
            raise PermissionDenied(_("Only the secretariat links an organisation in Amparo."))
        if data.organisation.kind != ORGANISATION_KINDS[Part(data.part)]:
            raise ValidationError(
                {"organisation": _("This organisation is not of the kind this part needs.")}
            )
    if data.part == Part.NHRI:
        if DelegateOrganisation.objects.filter(member=member, part=Part.NHRI).exists():
            raise ValidationError({"name": _("The delegation has its NHRI already.")})
        accreditation = data.accreditation or Accreditation.NONE
        if accreditation not in Accreditation.values:
            raise ValidationError({"accreditation": _("Choose an accreditation status.")})
    elif data.accreditation or data.accredited_on:
        raise ValidationError({"accreditation": _("Only an NHRI is accredited.")})
    else:
        accreditation = ""
    if DelegateOrganisation.objects.filter(member=member, name__iexact=name).exists():
        raise ValidationError({"name": _("This organisation is in the delegation already.")})
    organisation = DelegateOrganisation(
        member=member,
        part=data.part,
        name=name,
        organisation=data.organisation,
        accreditation=accreditation,
        accredited_on=data.accredited_on,
    )
    organisation.full_clean()
    organisation.save()
    if organisation.organisation is not None:
        # Its staff read what the delegation reads from now on: sealed to them with the keys
        # at hand (the secretariat's open everything), else at the next page of someone's whose
        # keys open it.
        keys.follow()
    audit.record(
        actor,
        AuditAction.NETWORK_DELEGATION_ADD_ORGANISATION,
        member,
        changes={
            "part": data.part,
            "name": name,
            "organisation": data.organisation.short_code if data.organisation else None,
            "accreditation": accreditation,
        },
    )
    return organisation


@transaction.atomic
def remove_organisation(actor: User, organisation: DelegateOrganisation) -> None:
    member = locked(organisation.member)
    _require_part(actor, member, organisation.part)
    audit.record(
        actor,
        AuditAction.NETWORK_DELEGATION_REMOVE_ORGANISATION,
        member,
        changes={"part": organisation.part, "name": organisation.name},
    )
    organisation.delete()
    # Its staff lose the delegation's records: their organisation's copies go now.
    keys.follow()


@transaction.atomic
def set_accreditation(
    actor: User,
    organisation: DelegateOrganisation,
    accreditation: str,
    accredited_on: datetime.date | None,
) -> DelegateOrganisation:
    member = locked(organisation.member)
    _require_part(actor, member, organisation.part)
    if organisation.part != Part.NHRI:
        raise ValidationError({"accreditation": _("Only an NHRI is accredited.")})
    if accreditation not in Accreditation.values:
        raise ValidationError({"accreditation": _("Choose an accreditation status.")})
    before = (organisation.accreditation, organisation.accredited_on)
    organisation.accreditation = accreditation
    organisation.accredited_on = accredited_on
    organisation.full_clean()
    organisation.save(update_fields=["accreditation", "accredited_on"])
    audit.record(
        actor,
        AuditAction.NETWORK_DELEGATION_ACCREDITATION,
        member,
        changes={
            "accreditation": {"from": before[0], "to": accreditation},
            "accredited_on": {"from": before[1], "to": organisation.accredited_on},
        },
    )
    return organisation


@dataclass(frozen=True)
class ContactInput:
    part: str
    name: str
    function: str = ""
    responsibilities: str = ""
    email: str = ""
    phone: str = ""
    delegate_organisation: DelegateOrganisation | None = None
    listed_publicly: bool = False


@transaction.atomic
def add_contact(actor: User, member: Member, data: ContactInput) -> ContactPerson:
    member = locked(member)
    _require_part(actor, member, data.part)
    email = text(data.email, "email", limit=254, required=False)
    if email:
        try:
            validate_email(email)
        except ValidationError as error:
            raise ValidationError({"email": error.messages}) from error
    organisation = data.delegate_organisation
    if organisation is not None and (
        organisation.member_id != member.pk or organisation.part != data.part
    ):
        raise ValidationError(
            {"delegate_organisation": _("Choose an organisation of this part of the delegation.")}
        )
    contact = ContactPerson(
        member=member,
        part=data.part,
        delegate_organisation=organisation,
        name=text(data.name, "name", limit=200),
        function=text(data.function, "function", limit=200, required=False),
        responsibilities=text(
            data.responsibilities, "responsibilities", limit=2000, required=False
        ),
        email=email,
        phone=text(data.phone, "phone", limit=60, required=False),
        listed_publicly=data.listed_publicly,
    )
    contact.published_name = contact.name if contact.listed_publicly else ""
    contact.full_clean()
    contact.save()
    # The name and contact details are encrypted: the log says that they were given, not what.
    audit.record(
        actor,
        AuditAction.NETWORK_DELEGATION_ADD_CONTACT,
        member,
        changes={
            "part": data.part,
            "contact": contact.pk,
            "function": contact.function,
            "listed_publicly": contact.listed_publicly,
        },
    )
    return contact


@transaction.atomic
def remove_contact(actor: User, contact: ContactPerson) -> None:
    member = locked(contact.member)
    _require_part(actor, member, contact.part)
    audit.record(
        actor,
        AuditAction.NETWORK_DELEGATION_REMOVE_CONTACT,
        member,
        changes={"part": contact.part, "contact": contact.pk},
    )
    sealed_with = [contact.data_key_id, contact.email_key_id, contact.phone_key_id]
    contact.delete()
    # Its keys seal nothing any more: they go with every copy of them.
    DataKey.objects.filter(pk__in=[pk for pk in sealed_with if pk is not None]).delete()

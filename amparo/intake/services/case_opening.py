"""Staff open a case from a submission: a draft event with the report's acts, its victim and
the reporter's consents, linked both ways."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from amparo.cases import access as cases_access
from amparo.cases import services as cases_services
from amparo.cases.models import DatePrecision, Event, Person, RecipientKind
from amparo.core import audit, custody
from amparo.core.models import Organisation, Term, User
from amparo.core.services import DomainError
from amparo.intake import access, queries
from amparo.intake.models import Status, Submission, Target
from amparo.intake.services.common import locked
from amparo.intake.services.handling import set_status_fields


@dataclass
class CasePrefill:
    """How a submission becomes a draft event; shown to staff before they confirm."""

    acts: list[Term]
    defender_types: list[Term]
    region_code: str
    consents: list[str] = field(default_factory=list)


def _region_code(country: str, region: str) -> str:
    """The ISO 3166-2 code of the region the reporter named, if it names one of the country."""
    wanted = " ".join(region.casefold().split())
    if not country or not wanted:
        return ""
    for subdivision in pycountry.subdivisions.get(country_code=country) or []:  # type: ignore[no-untyped-call]
        if subdivision.parent_code is None and subdivision.name.casefold() == wanted:
            return str(subdivision.code)
    return ""


CONSENT_LABELS = {
    "consent_partner": gettext_lazy("partner organisations"),
    "consent_state": gettext_lazy("the State protection mechanism"),
    "consent_international": gettext_lazy("UN or regional mechanisms"),
}
CONSENT_KINDS = {
    "consent_partner": RecipientKind.PARTNER_ORGANISATIONS,
    "consent_state": RecipientKind.STATE,
    "consent_international": RecipientKind.INTERNATIONAL_MECHANISM,
}


def case_prefill(submission: Submission) -> CasePrefill:
    acts = queries.terms(queries.ACTS_THESAURUS, list(submission.acts)) or queries.terms(
        queries.ACTS_THESAURUS, [queries.OTHER_ACT]
    )
    return CasePrefill(
        acts=acts,
        defender_types=queries.terms(
            queries.DEFENDER_TYPES_THESAURUS, list(submission.defender_types)
        ),
        region_code=_region_code(submission.country, submission.region),
        consents=[kind for name, kind in CONSENT_KINDS.items() if getattr(submission, name)],
    )


def _case_notes(submission: Submission) -> str:
    """What the event's fields have no place for, for its (encrypted) internal notes."""
    lines = [
        _("Opened from report %(reference)s of the secure intake channel.")
        % {"reference": submission.reference},
        _("Who was targeted: %(target)s") % {"target": submission.get_target_display()},
        _("Immediate danger: %(danger)s") % {"danger": submission.get_danger_display()},
    ]
    for label, value in (
        (_("Place, as reported"), submission.region),
        (_("Who did it, as reported"), submission.perpetrator),
        (_("About the danger"), submission.danger_details),
        (_("Contact"), queries.contact_text(submission)),
    ):
        if value:
            lines.append(f"{label}: {value}")
    consents = [str(label) for name, label in CONSENT_LABELS.items() if getattr(submission, name)]
    lines.append(
        _("The reporter agreed to share their identity with: %(list)s")
        % {"list": ", ".join(consents) if consents else _("nobody")}
    )
    if submission.consent_publication:
        lines.append(_("The reporter agreed that what happened may be published without names."))
    return "\n".join(lines)


def _event_date(submission: Submission) -> tuple[datetime.date | None, str]:
    text, precision = submission.incident_date, submission.incident_date_precision
    if not text or precision == DatePrecision.UNKNOWN:
        return None, DatePrecision.UNKNOWN
    parts = [int(part) for part in text.split("-")]
    while len(parts) < 3:
        parts.append(1)
    return datetime.date(parts[0], parts[1], parts[2]), precision


@transaction.atomic
def open_case(actor: User, submission: Submission, organisation: Organisation) -> Event:
    """A draft event with the report's acts, its victim and consents; linked both ways."""
    access.require(actor, access.OPEN_CASE, submission)
    submission = locked(submission)
    if submission.data_key_id is not None:
        # Refused when the keys here do not open the report: a case must never be opened with
        # "locked" labels in place of what the reporter wrote.
        custody.require_data_key(submission.data_key_id)
    if submission.event_id is not None:
        raise DomainError(_("A case was already opened from this report."))
    if not access.case_organisations(actor, submission).filter(pk=organisation.pk).exists():
        raise DomainError(_("You cannot open a case for this organisation from this report."))
    prefill = case_prefill(submission)
    start_date, precision = _event_date(submission)
    victim_kind = (
        Person.Kind.ORGANISATION
        if submission.target in (Target.ORGANISATION, Target.NHRI)
        else Person.Kind.INDIVIDUAL
    )
    victim = cases_services.PersonInput(
        kind=victim_kind,
        full_name=submission.victim_name,
        defender_types=prefill.defender_types,
        country=submission.country,
        region=prefill.region_code,
        confidentiality=access.CASE_CONFIDENTIALITY,
    )
    with override(settings.LANGUAGE_CODE):
        title = _("Report %(reference)s from the secure intake channel") % {
            "reference": submission.reference
        }
        notes = _case_notes(submission)
    data = cases_services.EventInput(
        title=title,
        start_date=start_date,
        start_precision=precision,
        country=submission.country,
        region=prefill.region_code,
        confidentiality=access.CASE_CONFIDENTIALITY,
        notes=notes,
        acts=[
            cases_services.ActInput(
                victim=victim,
                type_of_act=term,
                date=start_date,
                date_precision=precision,
                country=submission.country,
                region=prefill.region_code,
            )
            for term in prefill.acts
        ],
        sources=[
            cases_services.SourceInput(
                received_on=submission.received_on, material=submission.what_happened
            )
        ],
    )
    if not data.acts:
        raise DomainError(_("The vocabularies are not loaded: ask an administrator."))
    try:
        event = cases_services.create_event(actor, organisation, data)
    except ValidationError as error:
        raise DomainError(
            _("The case could not be opened: %(problems)s")
            % {"problems": "; ".join(str(m) for m in error.messages)}
        ) from None
    if submission.target == Target.ME and prefill.consents:
        person = event.acts.select_related("victim").first().victim  # type: ignore[union-attr]
        if cases_access.can_record_consent(actor, person):
            for kind in prefill.consents:
                cases_services.give_consent(
                    actor,
                    person,
                    recipient_kind=kind,
                    purpose=_("Given by the reporter on the secure intake form (%(ref)s).")
                    % {"ref": submission.reference},
                    given_on=submission.received_on,
                )
    submission.event = event
    set_status_fields(submission, Status.CASE_OPENED)
    submission.save(update_fields=["event", "status", "closed_on"])
    audit.record(
        actor,
        "intake.open_case",
        submission,
        changes={"event": event.pk, "reference_code": event.reference_code},
    )
    return event

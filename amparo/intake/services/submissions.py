"""A reporter sends a report: its answers are checked, it is routed and stored with its files,
and the receipt is returned once."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases.models import DatePrecision, partial_date_iso
from amparo.core import custody
from amparo.core.models import Organisation
from amparo.core.services import DomainError
from amparo.intake import access, conf, queries, receipts, sanitise
from amparo.intake.models import ContactMethod, Danger, Recipient, Submission, Target
from amparo.intake.services.attachments import FilesRejected, store_files, too_many_files
from amparo.intake.services.common import notify_handlers, today
from amparo.intake.services.proofs import proof_digest, proof_seal

logger = logging.getLogger(__name__)


class ChannelClosed(DomainError):
    """The reporting channel is not configured on this server."""


@dataclass(frozen=True)
class ReportInput:
    """The answers of the report form, already parsed."""

    what_happened: str
    danger: str
    target: str
    language: str
    incident_date: datetime.date | None = None
    incident_date_precision: str = DatePrecision.UNKNOWN
    country: str = ""
    region: str = ""
    victim_name: str = ""
    defender_types: Sequence[str] = ()
    acts: Sequence[str] = ()
    perpetrator: str = ""
    danger_details: str = ""
    contact_method: str = ContactMethod.FOLLOW_UP_ONLY
    contact_details: str = ""
    consent_partner: bool = False
    consent_state: bool = False
    consent_international: bool = False
    consent_publication: bool = False


def check_report(data: ReportInput) -> None:
    """ValidationError, keyed by field, for anything the form should not have let through."""
    errors: dict[str, str] = {}
    if not data.what_happened.strip():
        errors["what_happened"] = _("Please tell us what happened.")
    long_texts = {
        "what_happened": data.what_happened,
        "danger_details": data.danger_details,
        "perpetrator": data.perpetrator,
    }
    short_texts = {
        "region": data.region,
        "victim_name": data.victim_name,
        "contact_details": data.contact_details,
    }
    for name, text in long_texts.items():
        if len(text) > conf.MAX_TEXT_CHARS:
            errors[name] = _("This answer is too long.")
    for name, text in short_texts.items():
        if len(text) > conf.MAX_SHORT_TEXT_CHARS:
            errors[name] = _("This answer is too long.")
    for name, text in {**long_texts, **short_texts}.items():
        if "\x00" in text:
            errors[name] = _("This answer contains a character that cannot be stored.")
    choices = {
        "danger": (data.danger, Danger.values),
        "target": (data.target, Target.values),
        "contact_method": (data.contact_method, ContactMethod.values),
        "incident_date_precision": (data.incident_date_precision, DatePrecision.values),
        "language": (data.language, [code for code, _name in settings.LANGUAGES]),
    }
    for name, (value, allowed) in choices.items():
        if value not in allowed:
            errors[name] = _("Choose one of the options.")
    if data.country and (
        not data.country.isupper() or pycountry.countries.get(alpha_2=data.country) is None
    ):
        errors["country"] = _("Choose a country from the list.")
    if data.incident_date is not None and data.incident_date > timezone.localdate():
        errors["incident_date"] = _("This date is in the future.")
    if (data.incident_date is None) != (data.incident_date_precision == DatePrecision.UNKNOWN):
        errors["incident_date"] = _("Give the date as precisely as you know it, or leave it out.")
    if data.contact_method != ContactMethod.FOLLOW_UP_ONLY and not data.contact_details.strip():
        errors["contact_details"] = _("Tell us how to reach you, or choose the follow-up page.")
    if set(data.acts) - queries.active_codes(queries.ACTS_THESAURUS):
        errors["acts"] = _("Choose from the list.")
    if set(data.defender_types) - queries.active_codes(queries.DEFENDER_TYPES_THESAURUS):
        errors["defender_types"] = _("Choose from the list.")
    if errors:
        raise ValidationError(errors)


def receiving_organisation() -> Organisation:
    code = conf.receiving_organisation_code()
    organisation = Organisation.objects.filter(short_code=code, is_active=True).first()
    if not code or organisation is None:
        raise ChannelClosed(
            _("This reporting channel is not open at the moment. Please try again later.")
        )
    return organisation


def routes(organisation: Organisation, data: ReportInput) -> list[tuple[Organisation, str]]:
    """Who receives the report: the receiving organisation, and for a reprisal against an NHRI,
    its members or staff, the network secretariat too."""
    recipients: list[tuple[Organisation, str]] = [(organisation, Recipient.Reason.RECEIVING)]
    about_nhri = (
        data.target == Target.NHRI
        or bool(set(data.acts) & queries.branch(queries.ACTS_THESAURUS, queries.NHRI_ACT_BRANCH))
        or bool(
            set(data.defender_types)
            & queries.branch(queries.DEFENDER_TYPES_THESAURUS, queries.NHRI_DEFENDER_BRANCH)
        )
    )
    secretariat_code = conf.nhri_reprisals_to_code()
    if about_nhri and secretariat_code:
        secretariat = Organisation.objects.filter(
            short_code=secretariat_code, is_active=True
        ).first()
        if secretariat is None:
            logger.warning(
                "AMPARO_INTAKE_NHRI_REPRISALS_TO names no active organisation (%s); a report "
                "about an NHRI went to the receiving organisation only.",
                secretariat_code,
            )
        elif secretariat != organisation:
            recipients.append((secretariat, Recipient.Reason.NHRI_REPRISAL))
    return recipients


@dataclass(frozen=True)
class Receipt:
    """What the reporter is shown once after submitting. Only `receipt`'s hash is stored."""

    receipt: str
    submitted_at: datetime.datetime
    digest: str
    seal: str
    files: int


def submit_report(data: ReportInput, uploads: Sequence[sanitise.CleanFile]) -> Receipt:
    """Store a report and its files; the receipt is returned once and kept only as a hash."""
    check_report(data)
    if len(uploads) > conf.MAX_FILES:
        raise FilesRejected([too_many_files()])
    receipt = receipts.generate()
    # Hashed before the transaction: on SQLite a transaction holds the database's write lock.
    receipt_hash = receipts.hash_receipt(receipts.normalise(receipt) or "")
    with transaction.atomic():
        return _store_report(data, uploads, receipt, receipt_hash)


def _store_report(
    data: ReportInput, uploads: Sequence[sanitise.CleanFile], receipt: str, receipt_hash: str
) -> Receipt:
    organisation = receiving_organisation()
    received_on = today()
    data_key = custody.new_data_key(organisation, access.SEALED_LEVEL, access.KEY_PURPOSE)
    submission = Submission(
        organisation=organisation,
        data_key=data_key,
        receipt_hash=receipt_hash,
        received_on=received_on,
        reporter_active_on=received_on,
        language=data.language,
        danger=data.danger,
        target=data.target,
        what_happened=data.what_happened.strip(),
        incident_date=partial_date_iso(data.incident_date, data.incident_date_precision),
        incident_date_precision=data.incident_date_precision,
        country=data.country,
        region=data.region.strip(),
        victim_name=data.victim_name.strip(),
        defender_types=sorted(set(data.defender_types)),
        acts=sorted(set(data.acts)),
        perpetrator=data.perpetrator.strip(),
        danger_details=data.danger_details.strip(),
        contact_method=data.contact_method,
        contact_details=data.contact_details.strip()
        if data.contact_method != ContactMethod.FOLLOW_UP_ONLY
        else "",
        consent_partner=data.consent_partner,
        consent_state=data.consent_state,
        consent_international=data.consent_international,
        consent_publication=data.consent_publication,
    )
    submission.save(force_insert=True)
    raw = custody.require_data_key(data_key.pk)
    for recipient, reason in routes(organisation, data):
        Recipient.objects.create(submission=submission, organisation=recipient, reason=reason)
        if recipient != organisation:
            # Forwarded: the report's data key is sealed to this organisation's key too.
            custody.share_data_key(data_key, raw, recipient)
    # The reporter's receipt opens the data key too, so they read the replies with it.
    custody.add_secret_copy(
        data_key, raw, receipts.secret(receipts.normalise(receipt) or ""), receipts.DATA_KEY_INFO
    )
    store_files(submission, uploads, message=None, today=received_on)
    digest = proof_digest(submission)
    submitted_at = timezone.now().replace(second=0, microsecond=0)
    notify_handlers(submission.pk, reply=False)
    return Receipt(
        receipt=receipt,
        submitted_at=submitted_at,
        digest=digest,
        seal=proof_seal(digest, submitted_at),
        files=len(uploads),
    )

"""Every write of the intake channel: reports and replies from reporters, and the staff's work.

Reporter actions (`submit_report`, `reporter_reply`) check their input, write in one transaction
and record no audit entry: an entry carries a precise time, which this channel does not keep
about reporters. Staff actions check `amparo.intake.access`, write in one transaction and record
an audit entry without any report content.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pycountry
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from amparo.cases import services as cases_services
from amparo.cases.models import DatePrecision, Event, Person, RecipientKind, partial_date_iso
from amparo.core import audit
from amparo.core.models import Organisation, Term, User
from amparo.core.services import DomainError
from amparo.intake import access, conf, files, notifications, receipts, sanitise
from amparo.intake.models import (
    Attachment,
    AttachmentBlob,
    ContactMethod,
    Danger,
    Disposition,
    Message,
    Note,
    Recipient,
    Status,
    Submission,
    Target,
)

logger = logging.getLogger(__name__)

ACTS_THESAURUS = "hrd_violations"
DEFENDER_TYPES_THESAURUS = "defender_types"
# Acts and defender types whose branch of the vocabulary marks a reprisal against an NHRI.
NHRI_ACT_BRANCH = "nhri_reprisal"
NHRI_DEFENDER_BRANCH = "nhri"
OTHER_ACT = "other"
_PROOF_SALT = "amparo.intake.proof-of-report"


class ChannelClosed(DomainError):
    """The reporting channel is not configured on this server."""


# --- Input --------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Upload:
    """A file as the reporter sent it (name and bytes), before it is checked."""

    name: str
    data: bytes


class FilesRejected(DomainError):
    """One or more files cannot be accepted; `reasons` has one message per file."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def prepare_files(uploads: Sequence[Upload]) -> list[sanitise.CleanFile]:
    """Every upload checked and stripped of metadata, or FilesRejected naming each bad file."""
    if len(uploads) > conf.MAX_FILES:
        raise FilesRejected([_too_many_files()])
    cleaned: list[sanitise.CleanFile] = []
    reasons: list[str] = []
    for upload in uploads:
        if len(upload.data) > conf.MAX_FILE_BYTES:
            reasons.append(
                _("“%(name)s” is larger than %(size)d MB.")
                % {
                    "name": sanitise.display_name(upload.name),
                    "size": conf.MAX_FILE_BYTES // (1024 * 1024),
                }
            )
            continue
        try:
            cleaned.append(sanitise.clean(upload.name, upload.data))
        except sanitise.Rejected as rejected:
            reasons.append(str(rejected))
    if reasons:
        raise FilesRejected(reasons)
    return cleaned


# --- Checking a report ----------------------------------------------------------------------------


def active_codes(thesaurus: str) -> set[str]:
    return set(
        Term.objects.filter(thesaurus__code=thesaurus, active=True).values_list("code", flat=True)
    )


def _branch(thesaurus: str, root: str) -> set[str]:
    """The code `root` and the codes of all terms below it in `thesaurus`."""
    terms = Term.objects.filter(thesaurus__code=thesaurus).values_list("code", "parent__code")
    children: dict[str | None, list[str]] = {}
    for code, parent in terms:
        children.setdefault(parent, []).append(code)
    found, stack = set(), [root]
    while stack:
        code = stack.pop()
        if code not in found:
            found.add(code)
            stack.extend(children.get(code, []))
    return found


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
    if set(data.acts) - active_codes(ACTS_THESAURUS):
        errors["acts"] = _("Choose from the list.")
    if set(data.defender_types) - active_codes(DEFENDER_TYPES_THESAURUS):
        errors["defender_types"] = _("Choose from the list.")
    if errors:
        raise ValidationError(errors)


# --- Submitting -----------------------------------------------------------------------------------


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
        or bool(set(data.acts) & _branch(ACTS_THESAURUS, NHRI_ACT_BRANCH))
        or bool(set(data.defender_types) & _branch(DEFENDER_TYPES_THESAURUS, NHRI_DEFENDER_BRANCH))
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


def _today() -> datetime.date:
    return timezone.localdate()


def submit_report(data: ReportInput, uploads: Sequence[sanitise.CleanFile]) -> Receipt:
    """Store a report and its files; the receipt is returned once and kept only as a hash."""
    check_report(data)
    if len(uploads) > conf.MAX_FILES:
        raise FilesRejected([_too_many_files()])
    receipt = receipts.generate()
    # Hashed before the transaction: on SQLite a transaction holds the database's write lock.
    receipt_hash = receipts.hash_receipt(receipts.normalise(receipt) or "")
    with transaction.atomic():
        return _store_report(data, uploads, receipt, receipt_hash)


def _too_many_files() -> str:
    return _("You can send at most %(count)d files at a time.") % {"count": conf.MAX_FILES}


def _store_report(
    data: ReportInput, uploads: Sequence[sanitise.CleanFile], receipt: str, receipt_hash: str
) -> Receipt:
    organisation = receiving_organisation()
    today = _today()
    submission = Submission(
        organisation=organisation,
        receipt_hash=receipt_hash,
        received_on=today,
        reporter_active_on=today,
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
    Recipient.objects.bulk_create(
        Recipient(submission=submission, organisation=recipient, reason=reason)
        for recipient, reason in routes(organisation, data)
    )
    _store_files(submission, uploads, message=None, today=today)
    digest = proof_digest(submission)
    submitted_at = timezone.now().replace(second=0, microsecond=0)
    submission_id = submission.pk
    transaction.on_commit(lambda: notifications.new_report(submission_id, reply=False), robust=True)
    return Receipt(
        receipt=receipt,
        submitted_at=submitted_at,
        digest=digest,
        seal=proof_seal(digest, submitted_at),
        files=len(uploads),
    )


def _next_position(submission: Submission) -> int:
    submission.last_position += 1
    return submission.last_position


def _store_files(
    submission: Submission,
    uploads: Iterable[sanitise.CleanFile],
    *,
    message: Message | None,
    today: datetime.date,
) -> int:
    count = 0
    for upload in uploads:
        key = files.new_key()
        attachment = Attachment(
            submission=submission,
            message=message,
            position=_next_position(submission),
            name=upload.name,
            media_type=upload.media_type,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            file_key=key,
            added_on=today,
        )
        attachment.save(force_insert=True)
        AttachmentBlob.objects.create(
            attachment=attachment, sealed=files.seal(attachment.pk, key, upload.data)
        )
        count += 1
    Submission.objects.filter(pk=submission.pk).update(last_position=submission.last_position)
    return count


# --- Proof of report ------------------------------------------------------------------------------


def proof_document(submission: Submission) -> dict[str, object]:
    """What the proof's digest covers: the answers as stored and the files first sent."""
    first_files = submission.attachments.filter(message__isnull=True).order_by("position")
    return {
        "format": "amparo-intake-report/1",
        "what_happened": submission.what_happened,
        "incident_date": submission.incident_date,
        "incident_date_precision": submission.incident_date_precision,
        "country": submission.country,
        "region": submission.region,
        "target": submission.target,
        "victim_name": submission.victim_name,
        "defender_types": list(submission.defender_types),
        "acts": list(submission.acts),
        "perpetrator": submission.perpetrator,
        "danger": submission.danger,
        "danger_details": submission.danger_details,
        "contact_method": submission.contact_method,
        "contact_details": submission.contact_details,
        "consent": {
            "partner": submission.consent_partner,
            "state": submission.consent_state,
            "international": submission.consent_international,
            "publication": submission.consent_publication,
        },
        "files": [
            {"name": item.name, "type": item.media_type, "sha256": item.sha256}
            for item in first_files
        ],
    }


def proof_digest(submission: Submission) -> str:
    """SHA-256 of the canonical JSON of `proof_document`: staff can recompute it to check a
    proof a reporter shows them."""
    canonical = json.dumps(
        proof_document(submission), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def proof_seal(digest: str, submitted_at: datetime.datetime) -> str:
    """The server's keyed signature over the digest and the time. The time is not stored: the
    seal lets the server confirm later that it gave this proof at this time."""
    return signing.Signer(salt=_PROOF_SALT).signature(f"{digest}|{submitted_at.isoformat()}")


def proof_is_genuine(digest: str, submitted_at: datetime.datetime, seal: str) -> bool:
    return constant_time_compare(proof_seal(digest, submitted_at), seal.strip())


# --- Following up ---------------------------------------------------------------------------------


def find_by_receipt(text: str) -> Submission | None:
    """The submission this receipt opens, or None. A well-formed receipt is always hashed, so
    the time taken does not tell whether it exists."""
    normalised = receipts.normalise(text)
    if normalised is None:
        return None
    digest = receipts.hash_receipt(normalised)
    return Submission.objects.select_related("organisation").filter(receipt_hash=digest).first()


def communication_sent(submission: Submission) -> bool:
    """Whether a communication or appeal was sent on the reporter's behalf (never what)."""
    if submission.communication_sent:
        return True
    return submission.event_id is not None and submission.event.interventions.exists()  # type: ignore[union-attr]


def _check_length(body: str, message: str) -> None:
    """A message or note body the database and the pages can take."""
    if len(body) > conf.MAX_TEXT_CHARS or "\x00" in body:
        raise ValidationError({"body": message})


@transaction.atomic
def reporter_reply(
    submission_id: uuid.UUID, body: str, uploads: Sequence[sanitise.CleanFile]
) -> Message | None:
    """The reporter writes back and/or adds files. Returns the message (None for files only)."""
    submission = Submission.objects.select_for_update().get(pk=submission_id)
    body = body.strip()
    if submission.status == Status.CLOSED:
        raise DomainError(
            _(
                "This report is closed, so it cannot receive messages or files any more. "
                "If something new happened, please send a new report."
            )
        )
    if not body and not uploads:
        raise ValidationError({"body": _("Write a message or add a file.")})
    _check_length(body, _("This message is too long or contains a bad character."))
    if submission.attachments.count() + len(uploads) > conf.MAX_FILES_PER_SUBMISSION:
        raise FilesRejected(
            [
                _("A report can hold at most %(count)d files.")
                % {"count": conf.MAX_FILES_PER_SUBMISSION}
            ]
        )
    today = _today()
    message = None
    if body:
        message = Message.objects.create(
            submission=submission,
            position=_next_position(submission),
            author_kind=Message.Author.REPORTER,
            body=body,
            sent_on=today,
        )
    _store_files(submission, uploads, message=message, today=today)
    submission.reporter_active_on = today
    submission.save(update_fields=["reporter_active_on", "last_position"])
    submission.recipients.update(unread=True)
    transaction.on_commit(lambda: notifications.new_report(submission.pk, reply=True), robust=True)
    return message


# --- Staff ----------------------------------------------------------------------------------------


def _locked(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update().select_related("organisation").get(pk=submission.pk)
    )


def inbox(user: User) -> QuerySet[Submission]:
    """The submissions `user` handles: immediate danger first, then the newest."""
    return (
        access.visible_submissions(user)
        .select_related("organisation", "assigned_to")
        .annotate(
            priority=Case(
                When(danger=Danger.YES, then=Value(0)),
                When(danger=Danger.UNSURE, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("priority", "-received_on", "id")
    )


@dataclass(frozen=True)
class InboxCounts:
    new: int
    unread: int
    in_danger: int
    assigned_to_me: int


def inbox_counts(user: User) -> InboxCounts:
    visible = access.visible_submissions(user)
    open_ = visible.exclude(status=Status.CLOSED)
    return InboxCounts(
        new=visible.filter(status=Status.RECEIVED).count(),
        unread=Recipient.objects.filter(
            organisation__in=access.handled_organisations(user), unread=True
        )
        .values("submission")
        .distinct()
        .count(),
        in_danger=open_.filter(danger=Danger.YES).count(),
        assigned_to_me=open_.filter(assigned_to=user).count(),
    )


def unread_ids(user: User) -> set[object]:
    return set(
        Recipient.objects.filter(
            organisation__in=access.handled_organisations(user), unread=True
        ).values_list("submission_id", flat=True)
    )


@transaction.atomic
def open_submission(actor: User, submission: Submission) -> None:
    """Staff read the submission: it is no longer unread for their organisations; audited."""
    access.require(actor, access.VIEW, submission)
    Recipient.objects.filter(
        submission=submission, organisation__in=access.handled_organisations(actor), unread=True
    ).update(unread=False)
    audit.record(actor, "intake.view", submission)


def handlers_for(submission: Submission) -> QuerySet[User]:
    """Everyone who may be assigned the submission: handlers of its recipient organisations."""
    return access.handlers_of(
        Organisation.objects.filter(intake_recipients__submission=submission)
    ).order_by("first_name", "last_name", "username")


@transaction.atomic
def assign(actor: User, submission: Submission, assignee: User | None) -> Submission:
    access.require(actor, access.ASSIGN, submission)
    submission = _locked(submission)
    if assignee is not None and not handlers_for(submission).filter(pk=assignee.pk).exists():
        raise DomainError(_("This person does not handle reports for this organisation."))
    previous = submission.assigned_to
    submission.assigned_to = assignee
    if assignee is not None and submission.status == Status.RECEIVED:
        submission.status = Status.UNDER_REVIEW
    submission.save(update_fields=["assigned_to", "status"])
    audit.record(
        actor,
        "intake.assign",
        submission,
        changes={
            "assigned_to": {
                "from": previous.username if previous else None,
                "to": assignee.username if assignee else None,
            }
        },
    )
    return submission


def _set_status(submission: Submission, status: str) -> None:
    submission.status = status
    submission.closed_on = _today() if status == Status.CLOSED else None


@transaction.atomic
def set_status(actor: User, submission: Submission, status: str) -> Submission:
    access.require(actor, access.SET_STATUS, submission)
    if status not in Status.values:
        raise DomainError(_("Unknown status."))
    submission = _locked(submission)
    if status == Status.CASE_OPENED and submission.event_id is None:
        raise DomainError(_("Open a case from the report to give it this status."))
    previous = submission.status
    if previous == status:
        return submission
    _set_status(submission, status)
    submission.save(update_fields=["status", "closed_on"])
    audit.record(
        actor, "intake.status", submission, changes={"status": {"from": previous, "to": status}}
    )
    return submission


@transaction.atomic
def mark(
    actor: User,
    submission: Submission,
    disposition: str,
    duplicate_of: Submission | None = None,
) -> Submission:
    """Mark as spam or as a duplicate (which closes it), or back as genuine (which reopens it)."""
    access.require(actor, access.MARK, submission)
    if disposition not in Disposition.values:
        raise DomainError(_("Unknown disposition."))
    submission = _locked(submission)
    if disposition == Disposition.DUPLICATE:
        if duplicate_of is None:
            raise DomainError(_("Say which report this one duplicates."))
        if duplicate_of.pk == submission.pk:
            raise DomainError(_("A report cannot duplicate itself."))
        if not access.can(actor, access.VIEW, duplicate_of):
            raise DomainError(_("There is no such report in your inbox."))
    else:
        duplicate_of = None
    previous = submission.disposition
    submission.disposition = disposition
    submission.duplicate_of = duplicate_of
    if disposition and submission.status != Status.CLOSED:
        _set_status(submission, Status.CLOSED)
    elif not disposition and previous and submission.status == Status.CLOSED:
        _set_status(submission, Status.UNDER_REVIEW)
    submission.save(update_fields=["disposition", "duplicate_of", "status", "closed_on"])
    audit.record(
        actor,
        "intake.mark",
        submission,
        changes={
            "disposition": {"from": previous, "to": disposition},
            "duplicate_of": str(duplicate_of.pk) if duplicate_of else None,
        },
    )
    return submission


@transaction.atomic
def staff_reply(actor: User, submission: Submission, body: str) -> Message:
    """A message the reporter will read on the follow-up page."""
    access.require(actor, access.REPLY, submission)
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the message.")})
    _check_length(body, _("This message is too long or contains a bad character."))
    submission = _locked(submission)
    message = Message.objects.create(
        submission=submission,
        position=_next_position(submission),
        author_kind=Message.Author.STAFF,
        author=actor,
        body=body,
        sent_on=_today(),
    )
    if submission.status == Status.RECEIVED:
        submission.status = Status.UNDER_REVIEW
    submission.save(update_fields=["last_position", "status"])
    audit.record(actor, "intake.reply", submission, changes={"message": message.position})
    return message


@transaction.atomic
def add_note(actor: User, submission: Submission, body: str) -> Note:
    access.require(actor, access.NOTE, submission)
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the note.")})
    _check_length(body, _("This note is too long or contains a bad character."))
    note = Note.objects.create(submission=submission, author=actor, body=body)
    audit.record(actor, "intake.note", submission, changes={"note": note.pk})
    return note


@transaction.atomic
def record_communication(actor: User, submission: Submission, sent: bool) -> Submission:
    """Record whether a communication or appeal was sent; the reporter is told that (only)."""
    access.require(actor, access.RECORD_COMMUNICATION, submission)
    submission = _locked(submission)
    if submission.communication_sent == sent:
        return submission
    submission.communication_sent = sent
    if sent and submission.status in (Status.RECEIVED, Status.UNDER_REVIEW, Status.CASE_OPENED):
        submission.status = Status.ACTION_TAKEN
    submission.save(update_fields=["communication_sent", "status"])
    audit.record(actor, "intake.communication", submission, changes={"sent": sent})
    return submission


def read_attachment(actor: User, attachment: Attachment) -> bytes:
    """The decrypted file, for a handler; every download is audited."""
    access.require(actor, access.DOWNLOAD, attachment.submission)
    blob = AttachmentBlob.objects.get(attachment=attachment)
    try:
        data = files.unseal(attachment.pk, attachment.file_key, bytes(blob.sealed))
    except files.SealError:
        raise DomainError(_("This file cannot be decrypted: it is damaged.")) from None
    audit.record(
        actor,
        "intake.download",
        attachment.submission,
        changes={"file": attachment.position},
    )
    return data


# --- Opening a case ---------------------------------------------------------------------------


@dataclass
class CasePrefill:
    """How a submission becomes a draft event; shown to staff before they confirm."""

    acts: list[Term]
    defender_types: list[Term]
    region_code: str
    consents: list[str] = field(default_factory=list)


def _terms(thesaurus: str, codes: Iterable[str]) -> list[Term]:
    return list(
        Term.objects.filter(thesaurus__code=thesaurus, code__in=list(codes)).order_by("position")
    )


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
    acts = _terms(ACTS_THESAURUS, submission.acts) or _terms(ACTS_THESAURUS, [OTHER_ACT])
    return CasePrefill(
        acts=acts,
        defender_types=_terms(DEFENDER_TYPES_THESAURUS, submission.defender_types),
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
        (_("Contact"), contact_text(submission)),
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


def contact_text(submission: Submission) -> str:
    if submission.contact_method in ("", ContactMethod.FOLLOW_UP_ONLY):
        return str(ContactMethod.FOLLOW_UP_ONLY.label)
    method = ContactMethod(submission.contact_method).label
    return f"{method}: {submission.contact_details}"


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
    submission = _locked(submission)
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
        if cases_services.can_record_consent(actor, person):
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
    _set_status(submission, Status.CASE_OPENED)
    submission.save(update_fields=["event", "status", "closed_on"])
    audit.record(
        actor,
        "intake.open_case",
        submission,
        changes={"event": event.pk, "reference_code": event.reference_code},
    )
    return event


# --- Retention ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeReport:
    purged: int
    cutoff: datetime.date


def purgeable(days: int, today: datetime.date | None = None) -> QuerySet[Submission]:
    cutoff = (today or _today()) - datetime.timedelta(days=days)
    return Submission.objects.filter(status=Status.CLOSED, closed_on__lt=cutoff)


def purge(days: int | None = None, *, today: datetime.date | None = None) -> PurgeReport:
    """Delete closed submissions closed more than `days` days ago, with their messages, files
    and notes, leaving one audit line each. Only an operator with shell access runs it."""
    days = conf.retention_days() if days is None else days
    if days < 0:
        raise DomainError(_("The number of days cannot be negative."))
    cutoff = (today or _today()) - datetime.timedelta(days=days)
    if connection.vendor == "sqlite":
        # Overwrite freed pages, so deleted reports do not linger in the database file.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    purged = 0
    for pk in list(purgeable(days, today).values_list("pk", flat=True)):
        with transaction.atomic():
            submission = Submission.objects.select_for_update().filter(pk=pk).first()
            if submission is None or submission.status != Status.CLOSED:
                continue
            audit.record(
                None,
                "intake.purge",
                submission,
                changes={
                    "closed_on": submission.closed_on,
                    "retention_days": days,
                    "messages": submission.messages.count(),
                    "files": submission.attachments.count(),
                    "event": submission.event_id,
                },
            )
            submission.delete()
            purged += 1
    return PurgeReport(purged=purged, cutoff=cutoff)

"""The intake inbox for handlers: the list, one submission, and the actions on it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, get_language_info, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from amparo.cases import access as cases_access
from amparo.core.countries import country_choices
from amparo.core.models import Clearance, Organisation, Role, User
from amparo.core.permissions import requires, signed_in_user
from amparo.core.services import DomainError
from amparo.intake import access, queries
from amparo.intake.forms import (
    AssignForm,
    CommunicationForm,
    MarkForm,
    OpenCaseForm,
    StaffMessageForm,
    StatusForm,
)
from amparo.intake.http import staff_page
from amparo.intake.models import Attachment, Danger, Status, Submission
from amparo.intake.services import attachments, case_opening, handling, proofs

PAGE_SIZE = 50

FILTERS = {
    "open": lambda qs, user: qs.exclude(status=Status.CLOSED),
    "new": lambda qs, user: qs.filter(status=Status.RECEIVED),
    "danger": lambda qs, user: qs.exclude(status=Status.CLOSED).filter(danger=Danger.YES),
    "unhandled": lambda qs, user: qs.filter(queries.UNHANDLED_DANGER),
    "mine": lambda qs, user: qs.exclude(status=Status.CLOSED).filter(assigned_to=user),
    "closed": lambda qs, user: qs.filter(status=Status.CLOSED),
    "all": lambda qs, user: qs,
}


def _submission(request: HttpRequest, pk: Any) -> Submission:
    """The submission if the user handles it; 404 otherwise, so existence stays a secret."""
    return get_object_or_404(
        access.visible_submissions(signed_in_user(request)).select_related(
            "organisation", "assigned_to", "event", "duplicate_of"
        ),
        pk=pk,
    )


@requires(access.RULE)
@require_GET
@staff_page
def inbox(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    shown = request.GET.get("show", "open")
    if shown not in FILTERS:
        shown = "open"
    submissions = FILTERS[shown](queries.inbox(user), user)
    page = Paginator(submissions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "intake/inbox.html",
        {
            "page": page,
            "shown": shown,
            "filters": [
                ("open", pgettext("reports filter", "Open")),
                ("new", pgettext("reports filter", "New")),
                ("danger", _("Immediate danger")),
                ("unhandled", _("In danger, nobody handling")),
                ("mine", _("Assigned to me")),
                ("closed", pgettext("reports filter", "Closed")),
                ("all", pgettext("reports filter", "All")),
            ],
            "counts": queries.inbox_counts(user),
            "unread": queries.unread_ids(user),
        },
    )


@requires(access.RULE)
@require_GET
@staff_page
def detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user = signed_in_user(request)
    submission = _submission(request, pk)
    handling.open_submission(user, submission)
    return render(request, "intake/detail.html", _detail_context(user, submission))


def _detail_context(user: User, submission: Submission, **forms: Any) -> dict[str, Any]:
    handlers = queries.handlers_for(submission)
    candidates = access.visible_submissions(user).exclude(pk=submission.pk)
    case_organisations = access.case_organisations(user, submission)
    can_open_case = access.can(user, access.OPEN_CASE, submission)
    case_roles = cases_access.roles_allowing(cases_access.CREATE)
    prefill = case_opening.case_prefill(submission)
    return {
        "submission": submission,
        "acts": prefill.acts if submission.acts else [],
        "defender_types": prefill.defender_types,
        "recipients": submission.recipients.select_related("organisation"),
        "thread": submission.messages.select_related("author"),
        "notes": submission.notes.select_related("author"),
        "files": [
            (file, attachments.quarantine_warning(file) if file.quarantine else "")
            for file in submission.attachments.all()
        ],
        "communication_sent": queries.communication_sent(submission),
        "contact": queries.contact_text(submission),
        "country": dict(country_choices(get_language() or "en")).get(submission.country, ""),
        "language": get_language_info(submission.language)["name_translated"],
        "consents": [
            str(label)
            for name, label in case_opening.CONSENT_LABELS.items()
            if getattr(submission, name)
        ],
        "digest": proofs.proof_digest(submission),
        "can_open_case": can_open_case,
        # Those who may not are told why, and whom to ask.
        "case_openers": None if can_open_case else access.case_openers(submission),
        "case_roles": [Role(role).label for role in sorted(case_roles)],
        "case_clearance": Clearance(access.CASE_CONFIDENTIALITY).label,
        "reply_form": forms.get("reply_form") or StaffMessageForm(prefix="reply"),
        "note_form": forms.get("note_form") or StaffMessageForm(prefix="note"),
        "assign_form": AssignForm(
            handlers=handlers, initial={"assignee": submission.assigned_to_id}
        ),
        "status_form": StatusForm(initial={"status": submission.status}),
        "mark_form": MarkForm(
            candidates=candidates.order_by("-received_on")[:200],
            initial={
                "disposition": submission.disposition,
                "duplicate_of": submission.duplicate_of_id,
            },
        ),
        "communication_form": CommunicationForm(initial={"sent": submission.communication_sent}),
        "open_case_form": OpenCaseForm(organisations=case_organisations),
    }


Action = Callable[[HttpRequest, User, Submission], HttpResponse | None]


def _action(view: Action) -> Callable[..., HttpResponse]:
    """A POST action on one submission: errors become messages, success returns to the page."""

    @requires(access.RULE)
    @require_POST
    @sensitive_post_parameters()
    @staff_page
    @wraps(view)
    def wrapped(request: HttpRequest, pk: Any) -> HttpResponse:
        user = signed_in_user(request)
        submission = _submission(request, pk)
        try:
            response = view(request, user, submission)
        except (DomainError, ValidationError) as error:
            text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text)
            response = None
        return response or redirect("intake:detail", pk=submission.pk)

    return wrapped


def _form_error(request: HttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@_action
def assign(request: HttpRequest, user: User, submission: Submission) -> HttpResponse | None:
    form = AssignForm(request.POST, handlers=queries.handlers_for(submission))
    if not form.is_valid():
        _form_error(request, form)
        return None
    handling.assign(user, submission, form.cleaned_data["assignee"])
    messages.success(request, _("Assignment saved."))
    return None


@_action
def set_status(request: HttpRequest, user: User, submission: Submission) -> HttpResponse | None:
    form = StatusForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return None
    handling.set_status(user, submission, form.cleaned_data["status"])
    messages.success(request, _("Status saved."))
    return None


@_action
def mark(request: HttpRequest, user: User, submission: Submission) -> HttpResponse | None:
    form = MarkForm(
        request.POST, candidates=access.visible_submissions(user).exclude(pk=submission.pk)
    )
    if not form.is_valid():
        _form_error(request, form)
        return None
    handling.mark(
        user, submission, form.cleaned_data["disposition"], form.cleaned_data["duplicate_of"]
    )
    messages.success(request, _("Saved."))
    return None


def _message(
    request: HttpRequest,
    user: User,
    submission: Submission,
    kind: str,
    save: Callable[[User, Submission, str], object],
    done: str,
) -> HttpResponse | None:
    """A reply to the reporter or an internal note: one text box each on the detail page."""
    form = StaffMessageForm(request.POST, prefix=kind)
    if not form.is_valid():
        return render(
            request,
            "intake/detail.html",
            _detail_context(user, submission, **{f"{kind}_form": form}),
            status=400,
        )
    save(user, submission, form.cleaned_data["body"])
    messages.success(request, done)
    return None


@_action
def reply(request: HttpRequest, user: User, submission: Submission) -> HttpResponse | None:
    return _message(
        request,
        user,
        submission,
        "reply",
        handling.staff_reply,
        _("Your message will be shown to the reporter on their page."),
    )


@_action
def add_note(request: HttpRequest, user: User, submission: Submission) -> HttpResponse | None:
    return _message(request, user, submission, "note", handling.add_note, _("Note added."))


@_action
def communication(request: HttpRequest, user: User, submission: Submission) -> HttpResponse | None:
    form = CommunicationForm(request.POST)
    form.is_valid()
    handling.record_communication(user, submission, bool(form.cleaned_data.get("sent")))
    messages.success(request, _("Saved."))
    return None


@_action
def open_case(request: HttpRequest, user: User, submission: Submission) -> HttpResponse | None:
    form = OpenCaseForm(request.POST, organisations=access.case_organisations(user, submission))
    if not form.is_valid():
        _form_error(request, form)
        return None
    organisation: Organisation = form.cleaned_data["organisation"]
    event = case_opening.open_case(user, submission, organisation)
    messages.success(
        request,
        _("Case %(reference)s was opened as a draft. Complete it in the cases section.")
        % {"reference": event.reference_code},
    )
    return None


@requires(access.RULE)
@require_GET
@staff_page
def download(request: HttpRequest, pk: Any, file_pk: Any) -> HttpResponse:
    submission = _submission(request, pk)
    attachment = Attachment.objects.filter(submission=submission, pk=file_pk).first()
    if attachment is None:
        raise Http404
    try:
        data = attachments.read_attachment(signed_in_user(request), attachment)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("intake:detail", pk=submission.pk)
    response = HttpResponse(data, content_type=attachment.media_type)
    fallback = "".join(
        c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in attachment.name
    )
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(attachment.name)}"
    )
    # Even if a browser were to show it, the file runs no script and reaches nothing.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response

"""The reporter's pages: the report form, the receipt, the proof of report and the follow-up.

None of them sets a cookie or needs one (see `amparo.intake.tokens` for how the forms are
protected instead), and all of them work without JavaScript. Each answer to a POST is rendered
directly rather than redirected to, because the page state (a receipt shown once, an access
token) must not travel in a URL.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET

from amparo.core.permissions import public
from amparo.core.services import DomainError
from amparo.intake import conf, queries, sanitise, tokens, uploads
from amparo.intake.forms import ReceiptForm, ReporterReplyForm, ReportForm
from amparo.intake.http import public_page
from amparo.intake.models import Status, Submission
from amparo.intake.services import admission, attachments, proofs, submissions
from amparo.intake.services.follow_up import (
    find_by_receipt,
    receipt_data_key,
    reopen_data_key,
    reporter_reply,
)

_HEX64 = re.compile(r"[0-9a-f]{64}")


def _busy() -> str:
    return _(
        "Many reports are arriving right now, so we have to slow down. Please wait a minute and "
        "send again: your answers are kept below (files must be attached again)."
    )


def _body(request: HttpRequest, gate: uploads.Gate) -> uploads.Body | HttpResponse:
    """The form's body (see uploads.read: no file is kept before `gate` lets the form in), or a
    response refusing it before anything is read: from another site, or too large."""
    if tokens.cross_site(request):
        return _problem(request, _("This form can only be sent from this site."), 403)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > conf.MAX_REQUEST_BYTES:
        return _problem(
            request,
            _("What you sent is too large: at most %(count)d files of %(size)d MB each.")
            % {"count": conf.MAX_FILES, "size": conf.MAX_FILE_BYTES // (1024 * 1024)},
            413,
        )
    try:
        return uploads.read(request, gate)
    except (MultiPartParserError, SuspiciousOperation, OSError):
        return _problem(request, _("What you sent could not be read. Please try again."), 400)


def _problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "intake/problem.html", {"problem": message}, status=status)


def _admission(kind: str) -> uploads.Gate:
    """The gate of a public form of `kind`: its token, then its proof of work or budget."""

    def gate(fields: QueryDict) -> None:
        admission.admit(kind, fields.get("token", ""), fields.get("pow", ""))

    return gate


def _language(request: HttpRequest) -> str:
    return str(request.LANGUAGE_CODE)


# --- The report form ------------------------------------------------------------------------------


def _render_report(
    request: HttpRequest,
    form: ReportForm,
    *,
    problem: str = "",
    file_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "intake/report.html",
        {
            "form": form,
            "token": admission.new_form(tokens.REPORT),
            "problem": problem,
            "file_errors": file_errors or [],
            "max_files": conf.MAX_FILES,
            "max_megabytes": conf.MAX_FILE_BYTES // (1024 * 1024),
            "accepted_types": sanitise.accepted_types_text(),
        },
        status=status,
    )


@public
@csrf_exempt
@sensitive_post_parameters()
@public_page
def report(request: HttpRequest) -> HttpResponse:
    try:
        organisation = submissions.receiving_organisation()
    except submissions.ChannelClosed as closed:
        return _problem(request, str(closed), 503)
    if request.method == "GET":
        return _render_report(request, ReportForm(organisation=organisation))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    body = _body(request, _admission(tokens.REPORT))
    if isinstance(body, HttpResponse):
        return body
    form = ReportForm(body.post, organisation=organisation)
    if isinstance(refused := body.refusal, admission.Refused):
        if refused.why == refused.SPENT:
            # Sent before (Back, then Send): its answers are not shown again on this device.
            blank = ReportForm(organisation=organisation)
            problem = " ".join(
                [_already_sent(), _("If you did not get a receipt, please fill in the form again.")]
            )
            return _render_report(request, blank, problem=problem, status=409)
        form.is_valid()
        return _render_report(
            request, form, problem=_refusal_text(refused), status=_status(refused)
        )
    if not form.is_valid() or body.rejected:
        return _render_report(request, form, file_errors=body.rejected, status=400)
    try:
        cleaned = attachments.prepare_files(body.uploads())
    except attachments.FilesRejected as rejected:
        return _render_report(request, form, file_errors=rejected.reasons, status=400)
    try:
        receipt = submissions.submit_report(form.to_input(_language(request)), cleaned)
    except ValidationError as error:
        form.add_service_errors(error)
        return _render_report(request, form, status=400)
    except DomainError as error:
        return _render_report(request, form, problem=str(error), status=400)
    return render(
        request,
        "intake/report_sent.html",
        {"receipt": receipt, "quarantined": _quarantine_notice(cleaned)},
    )


def _quarantine_notice(cleaned: list[sanitise.CleanFile]) -> str:
    count = sum(1 for item in cleaned if item.quarantine)
    if not count:
        return ""
    return ngettext(
        "One file could not be cleaned of hidden information such as the place or the camera. "
        "It was kept, but staff will not open it: if it matters, send it another way, for "
        "example as photos of its pages.",
        "%(count)d files could not be cleaned of hidden information such as the place or the "
        "camera. They were kept, but staff will not open them: if they matter, send them "
        "another way, for example as photos of their pages.",
        count,
    ) % {"count": count}


def _status(refused: admission.Refused) -> int:
    return {refused.BUSY: 429, refused.SPENT: 409}.get(refused.why, 400)


def _refusal_text(refused: admission.Refused, busy: str = "") -> str:
    if refused.why == refused.BUSY:
        return busy or _busy()
    if refused.why == refused.SPENT:
        return _already_sent()
    if refused.why == refused.EXPIRED:
        return _(
            "This page was open for a long time, so for your safety it expired. Your answers are "
            "below: check them and send again (files must be attached again)."
        )
    return _not_checked()


def _not_checked() -> str:
    return _("This form could not be checked. Please send it again from this page.")


def _already_sent() -> str:
    return _(
        "This form was already sent, so it was not sent again. For your safety, what it said is "
        "not shown again."
    )


@public
@require_GET
@public_page
def forget(request: HttpRequest) -> HttpResponse:
    """An empty style sheet that the page answering a sent form loads: the browser is to drop
    the form's page, with what was typed into it and the file chosen, from its caches.

    Cache-Control: no-store does not keep today's Chromium from keeping that page in its
    back/forward cache and showing it whole again on Back, on what may be a shared device.
    Clear-Site-Data: "cache" drops this site's pages from that cache as well as from the HTTP
    cache; on the answer to the form itself it comes too early (the form's page enters the
    back/forward cache only once the answer is shown), so it comes with this, which the answer
    loads. (The form also asks not to be saved or refilled, autocomplete="off", and its token is
    single-use, so a form shown again cannot file the report twice.)"""
    response = HttpResponse("", content_type="text/css; charset=utf-8")
    response["Clear-Site-Data"] = '"cache"'
    return response


# --- The proof of report --------------------------------------------------------------------------


@public
@csrf_exempt
@public_page
def proof(request: HttpRequest) -> HttpResponse:
    """The proof as a text file. Nothing is stored: the page posts back the digest, the time and
    the seal it was given, and the seal shows they came from this server."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if tokens.cross_site(request):
        return _problem(request, _("This form can only be sent from this site."), 403)
    digest = request.POST.get("digest", "")
    seal = request.POST.get("seal", "")
    try:
        submitted_at = datetime.datetime.fromisoformat(request.POST.get("submitted_at", ""))
    except ValueError:
        submitted_at = None
    if (
        submitted_at is None
        or submitted_at.tzinfo is None
        or not _HEX64.fullmatch(digest)
        or len(seal) > 100
        or not proofs.proof_is_genuine(digest, submitted_at, seal)
    ):
        return _problem(request, _("This proof of report could not be checked."), 400)
    text = render_to_string(
        "intake/proof.txt",
        {"digest": digest, "seal": seal, "submitted_at": submitted_at},
        request=request,
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="proof-of-report.txt"'
    return response


# --- Following up -------------------------------------------------------------------------------


def _render_receipt_form(
    request: HttpRequest,
    form: ReceiptForm,
    *,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "intake/follow_up.html",
        {
            "form": form,
            "token": admission.new_form(tokens.FOLLOW_UP),
            "problem": problem,
            # Only a language chosen in the URL is carried on: otherwise the report's is used.
            "chosen_language": "lang" in request.GET,
        },
        status=status,
    )


def _render_status(
    request: HttpRequest,
    submission: Submission,
    *,
    form: ReporterReplyForm | None = None,
    notice: str = "",
    problem: str = "",
    file_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "submission": submission,
        "access": tokens.grant_access(submission.pk, receipt_data_key(submission)),
        "token": admission.new_form(tokens.REPLY),
        "form": form or ReporterReplyForm(),
        "messages_": submission.messages.all(),
        "files": submission.attachments.all(),
        "communication_sent": queries.communication_sent(submission),
        "closed": submission.status == Status.CLOSED,
        "notice": notice,
        "problem": problem,
        "file_errors": file_errors or [],
        "max_files": conf.MAX_FILES,
        "max_megabytes": conf.MAX_FILE_BYTES // (1024 * 1024),
        "accepted_types": sanitise.accepted_types_text(),
    }
    return render(request, "intake/follow_up_status.html", context, status=status)


def _no_such_receipt() -> str:
    return _(
        "We found no open report with this receipt. Check each character and try again. "
        "Reports are deleted some time after they are closed."
    )


def _too_many_attempts() -> str:
    return _(
        "Too many receipts were tried just now, so we have to slow down. Please wait a few "
        "minutes and try again."
    )


@public
@csrf_exempt
@sensitive_post_parameters()
@public_page
def follow_up(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_receipt_form(request, ReceiptForm())
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    body = _body(request, _admission(tokens.FOLLOW_UP))
    if isinstance(body, HttpResponse):
        return body
    form = ReceiptForm(body.post)
    if isinstance(refused := body.refusal, admission.Refused):
        if refused.why == refused.SPENT:
            return _render_receipt_form(request, ReceiptForm(), problem=_not_checked(), status=400)
        form.is_valid()
        problem = _refusal_text(refused, busy=_too_many_attempts())
        return _render_receipt_form(request, form, problem=problem, status=_status(refused))
    if not form.is_valid():
        return _render_receipt_form(request, form, status=400)
    submission = find_by_receipt(form.cleaned_data["receipt"])
    if submission is None:
        form.add_error("receipt", _no_such_receipt())
        return _render_receipt_form(request, form, status=400)
    # The follow-up speaks the language the report was written in, unless the URL chose one.
    language = _language(request) if "lang" in request.GET else submission.language
    with translation.override(language):
        request.LANGUAGE_CODE = language
        return _render_status(request, submission)


@public
@csrf_exempt
@sensitive_post_parameters()
@public_page
def follow_up_reply(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    opened: list[Submission] = []

    def gate(fields: QueryDict) -> None:
        # The follow-up access first: a forged one spends nothing.
        access = tokens.read_access(fields.get("access", ""))
        submission = Submission.objects.filter(pk=access.submission_id).first()
        if submission is None:
            raise tokens.TokenError
        reopen_data_key(submission, access.data_key)
        opened.append(submission)
        admission.admit(tokens.REPLY, fields.get("token", ""), fields.get("pow", ""))

    body = _body(request, gate)
    if isinstance(body, HttpResponse):
        return body
    if not opened:
        expired = _(
            "Your follow-up page expired, for your safety. Enter your receipt again to continue."
        )
        return _render_receipt_form(request, ReceiptForm(), problem=expired, status=400)
    submission = opened[0]
    form = ReporterReplyForm(body.post)
    if isinstance(refused := body.refusal, admission.Refused):
        if refused.why == refused.SPENT:
            return _render_status(request, submission, notice=_already_sent(), status=409)
        form.is_valid()
        problem = _refusal_text(refused)
        return _render_status(
            request, submission, form=form, problem=problem, status=_status(refused)
        )
    if not form.is_valid() or body.rejected:
        return _render_status(request, submission, form=form, file_errors=body.rejected, status=400)
    try:
        cleaned = attachments.prepare_files(body.uploads())
    except attachments.FilesRejected as rejected:
        return _render_status(
            request, submission, form=form, file_errors=rejected.reasons, status=400
        )
    try:
        reporter_reply(submission.pk, form.cleaned_data["body"], cleaned)
    except ValidationError as error:
        for message in error.messages:
            form.add_error("body", message)
        return _render_status(request, submission, form=form, status=400)
    except DomainError as error:
        return _render_status(request, submission, form=form, problem=str(error), status=400)
    submission.refresh_from_db()
    notice = _("Thank you. What you sent has been received.")
    return _render_status(
        request, submission, notice=f"{notice} {_quarantine_notice(cleaned)}".strip()
    )

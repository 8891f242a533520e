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
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters

from amparo.core.permissions import public
from amparo.core.services import DomainError
from amparo.intake import conf, ratelimit, sanitise, services, tokens, uploads
from amparo.intake.forms import ReceiptForm, ReporterReplyForm, ReportForm
from amparo.intake.http import public_page
from amparo.intake.models import Status, Submission

_HEX64 = re.compile(r"[0-9a-f]{64}")


def _busy() -> str:
    return _(
        "Many reports are arriving right now, so we have to slow down. Please wait a minute and "
        "send again: your answers are kept below (files must be attached again)."
    )


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """A response refusing the POST before its body is read, or None to go on.

    Installs the in-memory upload handler and parses the body, so that every later read of
    request.POST and request.FILES is safe."""
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
    uploads.install(request)
    try:
        request.POST  # noqa: B018 - parse now, to catch a malformed body here
        request.FILES  # noqa: B018
    except (MultiPartParserError, SuspiciousOperation, OSError):
        return _problem(request, _("What you sent could not be read. Please try again."), 400)
    return None


def _problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "intake/problem.html", {"problem": message}, status=status)


def _rejected_files(request: HttpRequest) -> list[str]:
    handler = request.upload_handlers[0]
    return list(getattr(handler, "rejected", []))


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
            "token": tokens.issue(tokens.REPORT),
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
        organisation = services.receiving_organisation()
    except services.ChannelClosed as closed:
        return _problem(request, str(closed), 503)
    if request.method == "GET":
        return _render_report(request, ReportForm(organisation=organisation))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    form = ReportForm(request.POST, organisation=organisation)
    valid = form.is_valid()
    try:
        token = tokens.read(request.POST.get("token", ""), tokens.REPORT)
    except tokens.TokenError as error:
        return _render_report(request, form, problem=_token_problem(error), status=400)
    file_errors = _rejected_files(request)
    if not valid or file_errors:
        return _render_report(request, form, file_errors=file_errors, status=400)
    limits = ["submit"]
    if not tokens.solved(token, request.POST.get("pow", "")):
        limits.append("submit_without_pow")
    if not ratelimit.take_all(limits):
        return _render_report(request, form, problem=_busy(), status=429)
    try:
        cleaned = services.prepare_files(uploads.uploads(request))
    except services.FilesRejected as rejected:
        return _render_report(request, form, file_errors=rejected.reasons, status=400)
    if not tokens.use_once(token):
        return _render_report(request, form, problem=_already_sent(), status=409)
    try:
        receipt = services.submit_report(form.to_input(_language(request)), cleaned)
    except ValidationError as error:
        form.add_service_errors(error)
        return _render_report(request, form, status=400)
    except DomainError as error:
        return _render_report(request, form, problem=str(error), status=400)
    return render(request, "intake/report_sent.html", {"receipt": receipt})


def _token_problem(error: tokens.TokenError) -> str:
    if error.expired:
        return _(
            "This page was open for a long time, so for your safety it expired. Your answers are "
            "below: check them and send again (files must be attached again)."
        )
    return _("This form could not be checked. Please send it again from this page.")


def _already_sent() -> str:
    return _(
        "This form was already sent. If you did not see your receipt, send your report again: "
        "staff will merge the two."
    )


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
        or not services.proof_is_genuine(digest, submitted_at, seal)
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
    token: tokens.FormToken | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "intake/follow_up.html",
        {
            "form": form,
            "token": token or tokens.issue(tokens.FOLLOW_UP),
            "problem": problem,
            # Only a language chosen in the URL is carried on: otherwise the report's is used.
            "chosen_language": "lang" in request.GET,
        },
        status=status,
    )


def _render_status(
    request: HttpRequest,
    submission: Submission,
    access: tokens.Access,
    *,
    form: ReporterReplyForm | None = None,
    notice: str = "",
    problem: str = "",
    file_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "submission": submission,
        "access": tokens.grant_access(submission.pk, access.nonce),
        "token": tokens.issue(tokens.REPLY),
        "form": form or ReporterReplyForm(),
        "messages_": submission.messages.all(),
        "files": submission.attachments.all(),
        "communication_sent": services.communication_sent(submission),
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
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    form = ReceiptForm(request.POST)
    try:
        token = tokens.read(request.POST.get("token", ""), tokens.FOLLOW_UP)
    except tokens.TokenError as error:
        form.is_valid()
        return _render_receipt_form(request, form, problem=_token_problem(error), status=400)
    if not form.is_valid():
        return _render_receipt_form(request, form, token=token, status=400)
    if ratelimit.exceeded("receipt_failure") or ratelimit.exceeded(
        "receipt_failure_per_form", token.nonce
    ):
        return _render_receipt_form(request, form, problem=_too_many_attempts(), status=429)
    limits = ["receipt"]
    if not tokens.solved(token, request.POST.get("pow", "")):
        limits.append("receipt_without_pow")
    if not ratelimit.take_all(limits):
        return _render_receipt_form(request, form, problem=_too_many_attempts(), status=429)
    submission = services.find_by_receipt(form.cleaned_data["receipt"])
    if submission is None:
        ratelimit.take("receipt_failure")
        ratelimit.take("receipt_failure_per_form", token.nonce)
        form.add_error("receipt", _no_such_receipt())
        # The same token again: the per-form count of wrong receipts carries on.
        return _render_receipt_form(request, form, token=token, status=400)
    # The follow-up speaks the language the report was written in, unless the URL chose one.
    language = _language(request) if "lang" in request.GET else submission.language
    with translation.override(language):
        request.LANGUAGE_CODE = language
        return _render_status(request, submission, tokens.grant_access(submission.pk))


@public
@csrf_exempt
@sensitive_post_parameters()
@public_page
def follow_up_reply(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    expired = _(
        "Your follow-up page expired, for your safety. Enter your receipt again to continue."
    )
    try:
        access = tokens.read_access(request.POST.get("access", ""))
    except tokens.TokenError:
        return _render_receipt_form(request, ReceiptForm(), problem=expired, status=400)
    submission = Submission.objects.filter(pk=access.submission_id).first()
    if submission is None:
        return _render_receipt_form(request, ReceiptForm(), problem=expired, status=400)
    form = ReporterReplyForm(request.POST)
    try:
        token = tokens.read(request.POST.get("token", ""), tokens.REPLY)
    except tokens.TokenError as error:
        form.is_valid()
        return _render_status(
            request, submission, access, form=form, problem=_token_problem(error), status=400
        )
    file_errors = _rejected_files(request)
    if not form.is_valid() or file_errors:
        return _render_status(
            request, submission, access, form=form, file_errors=file_errors, status=400
        )
    if not ratelimit.take("reply_per_access", access.nonce) or not ratelimit.take("reply"):
        return _render_status(request, submission, access, form=form, problem=_busy(), status=429)
    try:
        cleaned = services.prepare_files(uploads.uploads(request))
    except services.FilesRejected as rejected:
        return _render_status(
            request, submission, access, form=form, file_errors=rejected.reasons, status=400
        )
    if not tokens.use_once(token):
        return _render_status(request, submission, access, notice=_already_sent(), status=409)
    try:
        services.reporter_reply(submission.pk, form.cleaned_data["body"], cleaned)
    except ValidationError as error:
        for message in error.messages:
            form.add_error("body", message)
        return _render_status(request, submission, access, form=form, status=400)
    except DomainError as error:
        return _render_status(
            request, submission, access, form=form, problem=str(error), status=400
        )
    submission.refresh_from_db()
    return _render_status(
        request, submission, access, notice=_("Thank you. What you sent has been received.")
    )

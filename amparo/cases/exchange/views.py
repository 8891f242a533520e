"""Import (upload → preview → confirm → the job's page) and export pages of the cases section.

The uploaded file is read in memory only (amparo/core/uploads.py), and waits between preview
and the import encrypted on disk (`stash`). The preview checks the file in the request (a check
writes nothing and holds no lock); the import itself runs as a task (`jobs`), whose page shows
its progress and reloads itself until it is done.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from amparo.cases import access
from amparo.cases.exchange import exports, huridocs, imports, jobs, stash, tabular
from amparo.cases.models import DisclosureChannel, ImportJob
from amparo.core import uploads
from amparo.core.models import Organisation, User
from amparo.core.permissions import requires, signed_in_user
from amparo.core.services import DomainError

# How often the page of an import in progress reloads itself.
REFRESH_SECONDS = 2


# --- import -----------------------------------------------------------------------------------


class ImportForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=gettext_lazy("Organisation")
    )
    kind = forms.ChoiceField(
        choices=ImportJob.Kind.choices, label=gettext_lazy("Format"), initial=ImportJob.Kind.TABLE
    )
    file = forms.FileField(label=gettext_lazy("File"))

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = access.organisations_for_new_events(user)
        if field.queryset.count() == 1:
            field.initial = field.queryset.first()
        self.fields["file"].help_text = _(
            "At most %(size)d MB. The columns are described in the import guide."
        ) % {"size": _megabytes()}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > uploads.max_file_bytes():
            raise forms.ValidationError(_too_large_message())
        return upload


def _megabytes() -> int:
    return uploads.max_file_bytes() // (1024 * 1024)


def _too_large_message() -> str:
    return _("The file is larger than %(size)d MB: split it.") % {"size": _megabytes()}


@requires("cases.record")
@never_cache
def import_upload(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not access.organisations_for_new_events(user).exists():
        raise PermissionDenied
    if request.method == "POST" and uploads.too_large(request):
        # Refused before the body is read: nothing of it is parsed, kept or written.
        refusal = {"form": ImportForm(user), "problem": _too_large_message()}
        return render(request, "cases/import.html", refusal, status=413)
    form = ImportForm(user, request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        organisation = form.cleaned_data["organisation"]
        kind = form.cleaned_data["kind"]
        try:
            result = jobs.import_data(user, organisation, kind, data, upload.name, dry_run=True)
        except DomainError as error:
            # A file that cannot be read at all (damaged, hostile, of the wrong kind).
            form.add_error("file", str(error))
            return render(request, "cases/import.html", context, status=400)
        else:
            context.update(
                result=result,
                created=result.count("create"),
                updated=result.count("update"),
                unchanged=result.count("unchanged"),
                organisation=organisation,
                kind=kind,
                filename=upload.name,
                token=stash.stash(user, data, upload.name) if result.ok else "",
            )
            return render(request, "cases/import_preview.html", context)
    return render(request, "cases/import.html", context)


@requires("cases.record")
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Queue the import of the previewed file: a task imports it, the job's page follows it."""
    user = signed_in_user(request)
    token = request.POST.get("token", "")
    kind = request.POST.get("kind", ImportJob.Kind.TABLE)
    organisation = (
        access.organisations_for_new_events(user)
        .filter(pk=request.POST.get("organisation") or 0)
        .first()
    )
    stashed = stash.unstash(user, token)
    if organisation is None or stashed is None or kind not in ImportJob.Kind.values:
        messages.error(request, _("This upload has expired. Upload the file again."))
        return redirect("cases_exchange:import")
    job = jobs.queue(user, organisation, ImportJob.Kind(kind), stashed[1], token)
    return redirect("cases_exchange:import_job", pk=job.pk)


@requires("cases.record")
@never_cache
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """How an import is going, and how it ended: the page reloads itself (no script) until
    the job is finished."""
    job = access.own_import_job(signed_in_user(request), pk)
    return render(
        request,
        "cases/import_job.html",
        {
            "job": job,
            "errors": [imports.RowError(**error) for error in job.errors],
            "percent": job.done * 100 // job.total if job.total else 0,
            "refresh_seconds": None if job.finished else REFRESH_SECONDS,
        },
    )


# --- export -----------------------------------------------------------------------------------

EXPORT_FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json", "json"),
    huridocs.FORMAT: ("application/json", "huridocs.json"),
}


@requires("cases.view")
@never_cache
def export(request: HttpRequest) -> HttpResponseBase:
    """The export page; with `format`, the download itself."""
    user = signed_in_user(request)
    organisations = access.export_organisations(user)
    fmt = request.GET.get("format", "")
    if fmt not in EXPORT_FORMATS:
        count = access.exportable_events(user).count()
        return render(
            request, "cases/export.html", {"count": count, "organisations": organisations}
        )
    code = request.GET.get("organisation") or None
    if code is not None and not organisations.filter(short_code=code).exists():
        raise PermissionDenied
    content_type, extension = EXPORT_FORMATS[fmt]
    filename = f"amparo-events-{datetime.date.today():%Y%m%d}.{extension}"
    channel = DisclosureChannel.WEB_EXPORT
    if fmt == huridocs.FORMAT:
        out_text = io.StringIO()
        huridocs.export(user, out_text, code, channel)
        response: HttpResponseBase = HttpResponse(out_text.getvalue(), content_type=content_type)
    else:
        # Recorded (the export and every identity in it) before a byte is sent.
        started = exports.begin(user, fmt, channel, code)
        if fmt == "xlsx":
            out = io.BytesIO()
            tabular.write_xlsx(exports.flat_rows(started.presenter, started.events), out)
            out.seek(0)
            return FileResponse(
                out, as_attachment=True, filename=filename, content_type=content_type
            )
        chunks = (
            tabular.csv_lines(exports.flat_rows(started.presenter, started.events))
            if fmt == "csv"
            else exports.json_chunks(started.presenter, started.events)
        )
        response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

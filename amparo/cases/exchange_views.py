"""Import (upload → preview → confirm) and export pages of the cases section.

The uploaded file waits between preview and confirmation encrypted on disk (it names people),
readable only by the user who uploaded it, and is deleted once imported or after an hour.
"""

from __future__ import annotations

import datetime
import io
import secrets
import time
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from amparo.cases import access, exports, huridocs, imports, tabular
from amparo.core import crypto
from amparo.core.models import Organisation, User
from amparo.core.permissions import requires, signed_in_user
from amparo.core.services import DomainError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
STASH_SECONDS = 3600
KINDS = {
    "table": gettext_lazy("Table (CSV or XLSX, one row per act)"),
    "huridocs": gettext_lazy("HURIDOCS exchange document (JSON)"),
}


# --- the uploaded file between preview and confirmation -----------------------------------


def _stash_dir() -> Path:
    directory = Path(settings.VAR_DIR) / "imports"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _purpose(user: User) -> str:
    return f"cases.import_upload.{user.pk}"


def stash(user: User, data: bytes, filename: str) -> str:
    directory = _stash_dir()
    for old in directory.glob("*.upload"):
        if old.stat().st_mtime < time.time() - STASH_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    payload = filename.encode()[:200] + b"\0" + data
    path = directory / f"{token}.upload"
    path.write_text(crypto.encrypt(payload, _purpose(user)))
    path.chmod(0o600)
    return token


def unstash(user: User, token: str) -> tuple[bytes, str] | None:
    if not token.replace("-", "").replace("_", "").isalnum():
        return None
    path = _stash_dir() / f"{token}.upload"
    try:
        payload = crypto.decrypt(path.read_text(), _purpose(user))
    except (OSError, crypto.CryptoError):
        return None
    filename, _sep, data = payload.partition(b"\0")
    return data, filename.decode(errors="replace")


def discard(token: str) -> None:
    (_stash_dir() / f"{token}.upload").unlink(missing_ok=True)


# --- import -----------------------------------------------------------------------------------


class ImportForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=gettext_lazy("Organisation")
    )
    kind = forms.ChoiceField(
        choices=list(KINDS.items()), label=gettext_lazy("Format"), initial="table"
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("At most 20 MB. The columns are described in the import guide."),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = access.organisations_for_new_events(user)
        if field.queryset.count() == 1:
            field.initial = field.queryset.first()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB: split it."))
        return upload


def _run(
    user: User, organisation: Organisation, kind: str, data: bytes, filename: str, *, dry_run: bool
) -> imports.ImportResult:
    if kind == "huridocs":
        return huridocs.import_document(user, organisation, data, dry_run=dry_run)
    return imports.import_file(user, organisation, data, filename, dry_run=dry_run)


@requires("cases.record")
@never_cache
def import_upload(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ImportForm(user, request.POST or None, request.FILES or None)
    if not form.fields["organisation"].queryset.exists():  # type: ignore[attr-defined]
        raise PermissionDenied
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        organisation = form.cleaned_data["organisation"]
        kind = form.cleaned_data["kind"]
        try:
            result = _run(user, organisation, kind, data, upload.name, dry_run=True)
        except DomainError as error:
            form.add_error("file", str(error))
        else:
            context.update(
                result=result,
                created=result.count("create"),
                updated=result.count("update"),
                unchanged=result.count("unchanged"),
                organisation=organisation,
                kind=kind,
                filename=upload.name,
                token=stash(user, data, upload.name) if result.ok else "",
            )
            return render(request, "cases/import_preview.html", context)
    return render(request, "cases/import.html", context)


@requires("cases.record")
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    token = request.POST.get("token", "")
    kind = request.POST.get("kind", "table")
    organisation = (
        access.organisations_for_new_events(user)
        .filter(pk=request.POST.get("organisation") or 0)
        .first()
    )
    stashed = unstash(user, token)
    if organisation is None or stashed is None or kind not in KINDS:
        messages.error(request, _("This upload has expired. Upload the file again."))
        return redirect("cases_exchange:import")
    data, filename = stashed
    try:
        result = _run(user, organisation, kind, data, filename, dry_run=False)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("cases_exchange:import")
    if not result.ok:
        # The records changed since the preview: show what is wrong now.
        context = {
            "result": result,
            "organisation": organisation,
            "kind": kind,
            "filename": filename,
            "token": "",
        }
        return render(request, "cases/import_preview.html", context, status=400)
    discard(token)
    messages.success(
        request,
        _("Imported: %(created)d new, %(updated)d changed, %(unchanged)d unchanged event(s).")
        % {
            "created": result.count("create"),
            "updated": result.count("update"),
            "unchanged": result.count("unchanged"),
        },
    )
    return redirect("cases:event_list")


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
    organisations = Organisation.objects.filter(
        pk__in=access.exportable_events(user).values("organisation_id")
    )
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
    events = exports.exportable(user, code)
    if fmt == "xlsx":
        exports.record_export(user, fmt, events)
        out = io.BytesIO()
        tabular.write_xlsx(exports.flat_rows(user, events), out)
        out.seek(0)
        return FileResponse(out, as_attachment=True, filename=filename, content_type=content_type)
    if fmt == huridocs.FORMAT:
        out_text = io.StringIO()
        huridocs.export(user, out_text, code)
        response: HttpResponseBase = HttpResponse(out_text.getvalue(), content_type=content_type)
    else:
        exports.record_export(user, fmt, events)
        chunks = (
            tabular.csv_lines(exports.flat_rows(user, events))
            if fmt == "csv"
            else exports.json_chunks(user, events)
        )
        response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

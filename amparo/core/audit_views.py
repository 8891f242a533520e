"""Browse the audit log (being written)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from amparo.core.permissions import requires, signed_in


@requires("audit.view_organisation_log")
def audit_log(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@signed_in
def object_audit_trail(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    return HttpResponse("")

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from amparo.core.permissions import public, requires, signed_in


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@public
def login_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@public
def logout_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@signed_in
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@signed_in
def otp_verify(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@signed_in
def otp_enrol(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@signed_in
def backup_codes(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@signed_in
def account(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@requires("organisation.manage_members")
def organisation_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@requires("organisation.manage_members")
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse("")

"""Sign-in, two-factor, the account page, the home page and organisation membership."""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language
from django_otp import login as otp_login

from amparo.core import access, custody, device_cookie, keychain, services
from amparo.core import home as home_panels
from amparo.core.forms import (
    AddMemberForm,
    LoginForm,
    PasswordChangeForm,
    RecoveryForm,
    TokenForm,
)
from amparo.core.models import Membership, User
from amparo.core.permissions import public, requires, signed_in, signed_in_user


def _safe_next(request: HttpRequest, fallback: str = "core:home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=False):
        return target
    return reverse(fallback)


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    """The person's work: the panels the apps register (amparo/core/home.py)."""
    user = signed_in_user(request)
    return render(
        request,
        "core/home.html",
        {
            "panels": home_panels.panels_for(user),
            "memberships": access.active_memberships(user),
            "two_factor": access.two_factor_verified(user),
        },
    )


def _in_their_language(response: HttpResponse, user: User) -> HttpResponse:
    """At login, the language the person last chose with the switcher (kept on the account)
    becomes the browser's, as the switcher itself would set it. A stored code that is not one
    of settings.LANGUAGES (the column edited behind the application's back) is not sent."""
    if services.offers_language(user.language):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@public
def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's language switcher; for a signed-in person the choice is also kept on their
    account, and set again at their next login (wherever they sign in)."""
    response = set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        services.remember_language(signed_in_user(request), request.POST.get("language", ""))
    return response


@public
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request))
    form = LoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            signed_in = services.sign_in(
                request,
                form.cleaned_data["username"],
                form.cleaned_data["password"],
                form.cleaned_data["otp_token"],
            )
        except services.SignInRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            user = signed_in.user
            if signed_in.recovery_key:
                # Rendered, not redirected to: the recovery key is shown once and kept nowhere.
                response = render(
                    request,
                    "core/recovery_key.html",
                    {
                        "recovery_key": signed_in.recovery_key,
                        "next": _safe_next(request),
                        "escrow": settings.AMPARO_KEY_ESCROW,
                    },
                )
            else:
                response = redirect(_safe_next(request))
            keychain.set_cookie(response, signed_in.keys_secret)
            device_cookie.remember(response, request, user.username)
            return _in_their_language(response, user)
    return render(request, "core/login.html", {"form": form, "next": request.GET.get("next", "")})


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if isinstance(request.user, User):
        services.record_logout(request.user)
    logout(request)
    messages.success(request, _("You have logged out."))
    return redirect("core:login")


@signed_in
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    services.logout_everywhere(signed_in_user(request))
    logout(request)
    messages.success(request, _("Every session of your account, on every device, has ended."))
    return redirect("core:login")


@signed_in
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Second step for a session that signed in with a password only and now needs a code."""
    user = signed_in_user(request)
    if access.two_factor_verified(user):
        return redirect(_safe_next(request))
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_second_factor(request, user, form.cleaned_data["otp_token"])
        except services.SignInRefused as refusal:
            message = _("That code is not right.") if refusal.reason == "invalid" else str(refusal)
            form.add_error("otp_token", message)
        else:
            return _in_their_language(redirect(_safe_next(request)), user)
    return render(request, "core/otp_verify.html", {"form": form})


def _qr_svg(uri: str) -> str:
    # Drawn here, on the server, as inline SVG: the secret never leaves for a QR service.
    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff"))


@signed_in
def otp_enrol(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if services.has_confirmed_device(user) and not access.two_factor_verified(user):
        # Replacing an authenticator needs the current one (or a backup code) first.
        return redirect("core:otp_verify")
    device = services.pending_totp_device(user)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = services.confirm_totp_device(user, device, form.cleaned_data["otp_token"])
        except services.DomainError as error:
            form.add_error("otp_token", str(error))
        else:
            otp_login(request, enrolment.device)
            return render(
                request,
                "core/backup_codes.html",
                {"codes": enrolment.backup_codes, "just_enrolled": True},
            )
    secret = _base32(device.bin_key)
    context: dict[str, Any] = {
        "form": form,
        "qr": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 - segno output, no user input
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "core/otp_enrol.html", context)


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode().rstrip("=")


@signed_in
def backup_codes(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        if not access.two_factor_verified(user):
            raise PermissionDenied
        codes = services.regenerate_backup_codes(user)
        return render(request, "core/backup_codes.html", {"codes": codes})
    return render(
        request,
        "core/backup_codes.html",
        {"remaining": services.remaining_backup_codes(user)},
    )


@signed_in
def account(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return render(
        request,
        "core/account.html",
        {
            "memberships": access.active_memberships(user),
            "has_authenticator": services.has_confirmed_device(user),
            "remaining_codes": services.remaining_backup_codes(user),
            "two_factor": access.two_factor_verified(user),
            "keys_unlocked": bool(keychain.current().organisation_keys),
            "escrow": settings.AMPARO_KEY_ESCROW,
        },
    )


@signed_in
def password_change(request: HttpRequest) -> HttpResponse:
    """A new password: the personal key is re-sealed under it (the session stays open)."""
    user = signed_in_user(request)
    form = PasswordChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            custody.change_password(
                user, form.cleaned_data["current_password"], form.cleaned_data["new_password"]
            )
        except ValidationError as error:
            form.add_error("new_password", error)
        except custody.CustodyError as error:
            form.add_error("current_password", str(error))
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password is changed; your key is sealed under it."))
            return redirect("core:account")
    return render(request, "core/password_form.html", {"form": form, "recovering": False})


@public
@never_cache
@sensitive_post_parameters()
def recover(request: HttpRequest) -> HttpResponse:
    """A new password set with the recovery key: the personal key opens with it and is sealed
    under the new password. A wrong key or an unknown username get the same answer."""
    form = RecoveryForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(username=form.cleaned_data["username"], is_active=True).first()
        try:
            if user is None:
                raise custody.CustodyError(_("This recovery key does not open your key."))
            custody.recover(
                user, form.cleaned_data["recovery_key"], form.cleaned_data["new_password"]
            )
        except ValidationError as error:
            form.add_error("new_password", error)
        except custody.CustodyError as error:
            form.add_error("recovery_key", str(error))
        else:
            messages.success(request, _("Your password is changed. Sign in with it."))
            return redirect("core:login")
    return render(request, "core/password_form.html", {"form": form, "recovering": True})


@requires("organisation.manage_members")
def organisation_list(request: HttpRequest) -> HttpResponse:
    organisations = access.administered_organisations(signed_in_user(request))
    return render(request, "core/organisation_list.html", {"organisations": organisations})


@requires("organisation.manage_members")
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    organisation = get_object_or_404(access.administered_organisations(user), pk=pk)
    form = AddMemberForm(request.POST if request.POST.get("action") == "add" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "add":
                if form.is_valid():
                    services.add_member(
                        user,
                        user=form.cleaned_data["username"],
                        organisation=organisation,
                        role=form.cleaned_data["role"],
                        clearance=form.cleaned_data["clearance"],
                    )
                    messages.success(request, _("Member added."))
                    return redirect("core:organisation_detail", pk=organisation.pk)
            elif request.POST.get("action") == "deactivate":
                membership = get_object_or_404(
                    Membership, pk=request.POST.get("membership"), organisation=organisation
                )
                services.deactivate_member(user, membership)
                messages.success(request, _("Membership ended."))
                return redirect("core:organisation_detail", pk=organisation.pk)
        except services.DomainError as error:
            messages.error(request, str(error))
    members = organisation.memberships.select_related("user").order_by("user__username", "role")
    return render(
        request,
        "core/organisation_detail.html",
        {
            "organisation": organisation,
            "members": members,
            "form": form,
            "pending_grants": custody.pending_grants(organisation),
        },
    )

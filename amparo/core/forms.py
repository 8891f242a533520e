from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_otp import match_token
from django_otp.models import Device

from amparo.core import services
from amparo.core.models import Clearance, Role, User

GENERIC_LOGIN_ERROR = _(
    "The username, password or two-factor code is not right. "
    "After several failed attempts the account is locked for a while."
)


class LoginForm(forms.Form):
    """Password and, for accounts with an authenticator, the two-factor code on one page.

    Errors never say which part was wrong, so the form does not reveal whether an account exists.
    """

    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    otp_token = forms.CharField(
        label=_("Two-factor code"),
        required=False,
        max_length=16,
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User | None = None
        self.device: Device | None = None
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        username = data.get("username", "")
        password = data.get("password", "")
        if not username or not password:
            return data
        locked_until = services.login_locked_until(username)
        if locked_until:
            raise forms.ValidationError(
                _("Too many failed attempts. This account is locked until %(time)s UTC.")
                % {"time": date_format(locked_until, "H:i")},
                code="locked",
            )
        user = authenticate(self.request, username=username, password=password)
        if not isinstance(user, User):
            services.note_login_failure(username, User.objects.filter(username=username).first())
            raise forms.ValidationError(GENERIC_LOGIN_ERROR, code="invalid")
        token = data.get("otp_token", "").strip().replace(" ", "")
        if services.has_confirmed_device(user) or services.remaining_backup_codes(user):
            device = match_token(user, token) if token else None
            if device is None:
                services.note_login_failure(username, user)
                raise forms.ValidationError(GENERIC_LOGIN_ERROR, code="invalid")
            self.device = device
        self.user = user
        return data


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}
        ),
    )


class AddMemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    clearance = forms.TypedChoiceField(
        label=_("Clearance"), choices=Clearance.choices, coerce=int, initial=Clearance.PUBLIC
    )

    def clean_username(self) -> User:
        username = self.cleaned_data["username"].strip()
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("No active account is called %(username)s. Create it with `amparo adduser`."),
                params={"username": username},
            )
        return user

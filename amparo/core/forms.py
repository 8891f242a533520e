from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.core.models import Clearance, Role, User


class LoginForm(forms.Form):
    """Password and, for accounts with an authenticator, the two-factor code on one page.
    Checking them is `services.sign_in`'s job."""

    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    otp_token = forms.CharField(
        label=_("Two-factor code"),
        required=False,
        max_length=16,
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


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


class PasswordChangeForm(forms.Form):
    """A new password; `custody.change_password` checks the current one and re-seals the key."""

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password, again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("new_password") != cleaned.get("new_password_again"):
            raise forms.ValidationError(_("The two new passwords differ."))
        return cleaned


class RecoveryForm(PasswordChangeForm):
    """A new password set with the recovery key shown when the personal key was made."""

    current_password = None  # type: ignore[assignment]
    username = forms.CharField(label=_("Username"), max_length=150)
    recovery_key = forms.CharField(
        label=_("Recovery key"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    field_order = ["username", "recovery_key", "new_password", "new_password_again"]

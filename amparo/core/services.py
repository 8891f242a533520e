"""Writes of the core app: organisations, members, sign-in, two-factor devices.

Views, management commands and (later) the API call these functions; none of them writes core
models directly. Every change records an audit entry.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate, login, password_validation
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.core import access, audit, custody, device_cookie, keychain
from amparo.core.audit_actions import AuditAction
from amparo.core.errors import DomainError as DomainError
from amparo.core.models import (
    Clearance,
    Membership,
    Organisation,
    Role,
    User,
)

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup"


# --- organisations and members ------------------------------------------------------------


@transaction.atomic
def create_organisation(
    actor: User | None, *, name: str, short_code: str, kind: str, country: str = ""
) -> Organisation:
    if not access.may_create_organisations(actor):
        raise PermissionDenied
    organisation = Organisation(
        name=name.strip(), short_code=short_code.strip(), kind=kind, country=country.strip().upper()
    )
    organisation.full_clean()
    organisation.save()
    custody.ensure_organisation_keys(organisation)
    audit.record(
        actor,
        AuditAction.ORGANISATION_CREATE,
        organisation,
        organisation=organisation,
        changes={"name": organisation.name, "kind": kind, "country": organisation.country},
    )
    return organisation


@transaction.atomic
def create_user(
    actor: User | None,
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_superuser: bool = False,
) -> User:
    if not access.may_create_accounts(actor):
        raise PermissionDenied
    user = User(
        username=username.strip(),
        email=email.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    user.full_clean(exclude=["password"])
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save()
    audit.record(actor, AuditAction.USER_CREATE, user, changes={"superuser": is_superuser})
    return user


@transaction.atomic
def add_member(
    actor: User | None,
    *,
    user: User,
    organisation: Organisation,
    role: str,
    clearance: int = Clearance.PUBLIC,
) -> Membership:
    if not access.may_manage_members(actor, organisation):
        raise PermissionDenied
    if role not in Role.values:
        raise DomainError(_("Unknown role: %(role)s.") % {"role": role})
    if clearance not in Clearance.values:
        raise DomainError(_("Unknown clearance level: %(level)s.") % {"level": clearance})
    membership, created = Membership.objects.get_or_create(
        user=user,
        organisation=organisation,
        role=role,
        defaults={"clearance": clearance},
    )
    if not created:
        if membership.is_active and membership.clearance == clearance:
            raise DomainError(
                _("%(user)s already has this role in %(organisation)s.")
                % {"user": user.username, "organisation": organisation.name}
            )
        membership.is_active = True
        membership.clearance = clearance
        membership.save(update_fields=["is_active", "clearance"])
        custody.revoke_unentitled_grants(organisation)
    audit.record(
        actor,
        AuditAction.MEMBERSHIP_ADD,
        membership,
        organisation=organisation,
        changes={"user": user.username, "role": role, "clearance": Clearance(clearance).label},
    )
    # The new member receives the organisation's keys they are entitled to, from the keys the
    # administrator holds in this request (or, for a new organisation, the server's custody).
    custody.fulfil_pending_grants(organisation=organisation)
    return membership


@transaction.atomic
def create_staff_account(
    actor: User | None,
    *,
    username: str,
    password: str,
    organisation: Organisation,
    role: str,
    clearance: int = Clearance.PUBLIC,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_superuser: bool = False,
) -> User:
    """An account with its role in `organisation`, both or neither (one transaction); each
    step leaves its own audit entry. The person sets up two-factor authentication at first
    login."""
    user = create_user(
        actor,
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_superuser=is_superuser,
    )
    add_member(actor, user=user, organisation=organisation, role=role, clearance=clearance)
    return user


@transaction.atomic
def deactivate_member(actor: User, membership: Membership) -> Membership:
    if not access.may_manage_members(actor, membership.organisation):
        raise PermissionDenied
    if membership.user_id == actor.pk and membership.role == Role.ADMINISTRATOR:
        raise DomainError(_("You cannot remove your own administrator role."))
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    custody.revoke_unentitled_grants(membership.organisation)
    audit.record(
        actor,
        AuditAction.MEMBERSHIP_DEACTIVATE,
        membership,
        organisation=membership.organisation,
        changes={"user": membership.user.username, "role": membership.role},
    )
    return membership


# --- signing in ---------------------------------------------------------------------------

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

GENERIC_SIGN_IN_ERROR = gettext_lazy(
    "The username, password or two-factor code is not right. "
    "After several failed attempts, signing in from this browser pauses for a while."
)


class SignInRefused(DomainError):
    """The sign-in did not happen; the message is for the person at the browser. `reason`:
    invalid (password, code or username), paused (too many failures) or code_reused."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SignedIn:
    user: User
    # The secret for the keys cookie (`keychain.set_cookie`): the session keeps the person's
    # unlocked keys encrypted under it, and only the browser holds it.
    keys_secret: str
    # Shown once: the account's personal key was made at this sign-in.
    recovery_key: str | None


def sign_in(request: HttpRequest, username: str, password: str, code: str) -> SignedIn:
    """Check a password and, for an account with two-factor authentication, its code; then
    open a session in `request` and unlock the person's keys into it. The one way in: the
    login page calls it.

    Failures count per browser (`device_cookie`): five within the cool-off time pause signing
    in from that browser, or, for browsers that never signed in to the account, from all of
    them at once. Errors never say which part was wrong, nor whether the account exists.
    Raises SignInRefused."""
    attempt = device_cookie.attempt_request(request, username)
    _refuse_if_paused(attempt, username)
    user = authenticate(attempt, username=username, password=password)
    if not isinstance(user, User):
        # authenticate() told axes (user_login_failed).
        _refuse_after_failure(attempt, User.objects.filter(username=username).first())
    device = None
    if has_confirmed_device(user) or remaining_backup_codes(user):
        device = _second_factor(attempt, username, user, code)
    login(request, user, backend=MODEL_BACKEND)
    if device is not None:
        otp_login(request, device)
    _forget_failures(attempt, username)
    record_login(user, two_factor=device is not None)
    unlocked = custody.unlock(user, password)
    secret = keychain.keep_in_session(
        request.session,
        unlocked.keychain,
        user_id=user.pk,
        generation=user.session_generation,
    )
    return SignedIn(user=user, keys_secret=secret, recovery_key=unlocked.recovery_key)


def verify_second_factor(request: HttpRequest, user: User, code: str) -> None:
    """The code for a session that signed in with a password only (it had no authenticator
    then), counted and paused as `sign_in` does. Raises SignInRefused."""
    attempt = device_cookie.attempt_request(request, user.username)
    _refuse_if_paused(attempt, user.username)
    device = _second_factor(attempt, user.username, user, code)
    otp_login(request, device)
    _forget_failures(attempt, user.username)
    record_login(user, two_factor=True)


def _second_factor(attempt: HttpRequest, username: str, user: User, code: str) -> Device:
    token = code.strip().replace(" ", "")
    if token and _just_used(user, token):
        # The person's own code, a moment too late: not an attack, not a failure.
        raise SignInRefused(
            _(
                "This code has just been used. Wait until your authenticator app shows the "
                "next code, then enter that one."
            ),
            "code_reused",
        )
    device = match_token(user, token) if token else None
    if device is None:
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=attempt)
        _refuse_after_failure(attempt, user)
    return device


def _just_used(user: User, token: str) -> bool:
    """Whether `token` is the code of one of the user's authenticators that was accepted
    already in this time step (TOTP refuses a code twice)."""
    if not token.isdigit():
        return False
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        if totp.verify(int(token), device.tolerance) and totp.t() <= device.last_t:
            return True
    return False


def _refuse_if_paused(attempt: HttpRequest, username: str) -> None:
    """While paused, nothing is checked; each attempt still counts, so the pause lasts until
    the attempts have stopped for the cool-off time (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_
    LOCKOUT), and is not audited one by one (a flood would flood the log)."""
    credentials = {"username": username}
    if not AxesProxyHandler.is_allowed(attempt, credentials):
        user_login_failed.send(sender=__name__, credentials=credentials, request=attempt)
        raise SignInRefused(_paused_message(attempt), "paused")


def _from_known_browser(attempt: HttpRequest) -> bool:
    return device_cookie.label_of(attempt) != device_cookie.NEW_BROWSERS


def _refuse_after_failure(attempt: HttpRequest, user: User | None) -> NoReturn:
    """Axes has counted the failure on `attempt`; audit it and refuse."""
    paused = bool(getattr(attempt, "axes_locked_out", False))
    if user is not None:
        audit.record(
            None,
            AuditAction.USER_LOGIN_FAILED,
            user,
            changes={"failures": getattr(attempt, "axes_failures_since_start", None)},
        )
        if paused:
            browsers = "known" if _from_known_browser(attempt) else "new"
            audit.record(None, AuditAction.USER_LOCKED_OUT, user, changes={"browsers": browsers})
    if paused:
        raise SignInRefused(_paused_message(attempt), "paused")
    raise SignInRefused(str(GENERIC_SIGN_IN_ERROR), "invalid")


def _paused_message(attempt: HttpRequest) -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if _from_known_browser(attempt):
        return ngettext(
            "Too many failed attempts from this browser. Wait %(minutes)s minute without "
            "trying, then sign in again.",
            "Too many failed attempts from this browser. Wait %(minutes)s minutes without "
            "trying, then sign in again.",
            minutes,
        ) % {"minutes": minutes}
    return ngettext(
        "Too many failed attempts to sign in to this account from browsers it was not used "
        "on before. Sign in from a browser you have signed in with before, or wait until "
        "%(minutes)s minute has passed without a failed attempt. If you did not make these "
        "attempts, tell your administrator: someone may be guessing your password.",
        "Too many failed attempts to sign in to this account from browsers it was not used "
        "on before. Sign in from a browser you have signed in with before, or wait until "
        "%(minutes)s minutes have passed without a failed attempt. If you did not make these "
        "attempts, tell your administrator: someone may be guessing your password.",
        minutes,
    ) % {"minutes": minutes}


def _forget_failures(attempt: HttpRequest, username: str) -> None:
    """A success forgets the failures of a browser known to the account. The failures of new
    browsers are never forgotten early: the owner signing in from a new browser must not give
    whoever floods the account a fresh set of guesses."""
    if _from_known_browser(attempt):
        AccessAttempt.objects.filter(
            username=device_cookie.username_digest(username),
            user_agent=device_cookie.label_of(attempt),
        ).delete()


def record_login(user: User, *, two_factor: bool) -> None:
    audit.record(user, AuditAction.USER_LOGIN, user, changes={"two_factor": two_factor})


def record_logout(user: User) -> None:
    audit.record(user, AuditAction.USER_LOGOUT, user)


@transaction.atomic
def logout_everywhere(user: User) -> None:
    """End every session of this user, on every device, at their next request."""
    User.objects.filter(pk=user.pk).update(session_generation=user.session_generation + 1)
    user.refresh_from_db(fields=["session_generation"])
    audit.record(user, AuditAction.USER_LOGOUT_EVERYWHERE, user)


# --- two-factor devices -------------------------------------------------------------------


def pending_totp_device(user: User) -> TOTPDevice:
    """The authenticator being enrolled: made once, reused until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    backup_codes: list[str]


@transaction.atomic
def confirm_totp_device(user: User, device: TOTPDevice, token: str) -> Enrolment:
    if device.user_id != user.pk or device.confirmed:
        raise DomainError(_("This enrolment is no longer valid. Start again."))
    if not device.verify_token(token.strip().replace(" ", "")):
        raise DomainError(
            _("That code is not right. Check that your phone's clock is correct and try again.")
        )
    # One authenticator at a time: a new one replaces the old (lost phone).
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(user, AuditAction.USER_TWO_FACTOR_ENROLLED, user)
    return Enrolment(device=device, backup_codes=regenerate_backup_codes(user))


def _new_backup_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are copied by hand
    return "".join(secrets.choice(alphabet) for _ in range(10))


@transaction.atomic
def regenerate_backup_codes(user: User) -> list[str]:
    """Replace every backup code; the new ones are returned once and shown once."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME)
    device.token_set.all().delete()
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    audit.record(user, AuditAction.USER_BACKUP_CODES_REGENERATED, user)
    return codes


def remaining_backup_codes(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user).count())


def has_confirmed_device(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


# --- the audit log ------------------------------------------------------------------------


def export_audit_log(
    actor: User | None, since: datetime | None, out: audit.Writable, *, to_file: bool
) -> int:
    """Write the log from `since` on to `out` (see `audit.export`), then record that it was
    taken out and how much of it; the number of entries. Not one transaction: a long export
    must not hold the database's write lock."""
    count = audit.export(since, out)
    audit.record(
        actor,
        AuditAction.AUDIT_EXPORT,
        changes={"since": since, "entries": count, "to_file": to_file},
    )
    return count


def offers_language(language: str) -> bool:
    """Whether `language` is a code of settings.LANGUAGES, the only ones kept on an account or
    set from it."""
    return language in {code for code, _name in settings.LANGUAGES}


def remember_language(user: User, language: str) -> bool:
    """Keep `language` (chosen with the switcher) on the account, for the person's next login.
    A code that is not one of settings.LANGUAGES is ignored; True when it was kept."""
    if not offers_language(language):
        return False
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return True

"""Writes of the core app: organisations, members, sign-in, two-factor devices.

Views, management commands and (later) the API call these functions; none of them writes core
models directly. Every change records an audit entry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.core import access, audit
from amparo.core.models import (
    Clearance,
    LoginThrottle,
    Membership,
    Organisation,
    Role,
    User,
)

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup"


class DomainError(Exception):
    """A rule of the domain refused the change; the message is for the person who asked."""


# --- organisations and members ------------------------------------------------------------


@transaction.atomic
def create_organisation(
    actor: User | None, *, name: str, short_code: str, kind: str, country: str = ""
) -> Organisation:
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied
    organisation = Organisation(
        name=name.strip(), short_code=short_code.strip(), kind=kind, country=country.strip().upper()
    )
    organisation.full_clean()
    organisation.save()
    audit.record(
        actor,
        "organisation.create",
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
    if actor is not None and not actor.is_superuser:
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
    audit.record(actor, "user.create", user, changes={"superuser": is_superuser})
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
    if actor is not None and organisation not in access.administered_organisations(actor):
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
    audit.record(
        actor,
        "membership.add",
        membership,
        organisation=organisation,
        changes={"user": user.username, "role": role, "clearance": Clearance(clearance).label},
    )
    return membership


@transaction.atomic
def deactivate_member(actor: User, membership: Membership) -> Membership:
    if membership.organisation not in access.administered_organisations(actor):
        raise PermissionDenied
    if membership.user_id == actor.pk and membership.role == Role.ADMINISTRATOR:
        raise DomainError(_("You cannot remove your own administrator role."))
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit.record(
        actor,
        "membership.deactivate",
        membership,
        organisation=membership.organisation,
        changes={"user": membership.user.username, "role": membership.role},
    )
    return membership


# --- sign-in throttling -------------------------------------------------------------------


def _username_digest(username: str) -> str:
    # Keyed so the table of throttled names does not list who tried to log in.
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, username.strip().casefold().encode(), hashlib.sha256).hexdigest()


def login_locked_until(username: str) -> datetime | None:
    throttle = LoginThrottle.objects.filter(username_digest=_username_digest(username)).first()
    if throttle and throttle.locked_until and throttle.locked_until > timezone.now():
        return throttle.locked_until
    return None


@transaction.atomic
def note_login_failure(username: str, user: User | None) -> None:
    throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(
        username_digest=_username_digest(username)
    )
    now = timezone.now()
    if throttle.locked_until and throttle.locked_until <= now:
        throttle.failures = 0
        throttle.locked_until = None
    throttle.failures += 1
    locked = throttle.failures >= settings.AMPARO_LOGIN_FAILURE_LIMIT
    if locked:
        throttle.locked_until = now + timedelta(minutes=settings.AMPARO_LOGIN_LOCKOUT_MINUTES)
    throttle.save()
    if user is not None:
        audit.record(None, "user.login_failed", user, changes={"failures": throttle.failures})
        if locked:
            audit.record(None, "user.locked_out", user, changes={"until": throttle.locked_until})


def clear_login_failures(username: str) -> None:
    LoginThrottle.objects.filter(username_digest=_username_digest(username)).delete()


def record_login(user: User, *, two_factor: bool) -> None:
    audit.record(user, "user.login", user, changes={"two_factor": two_factor})


def record_logout(user: User) -> None:
    audit.record(user, "user.logout", user)


@transaction.atomic
def logout_everywhere(user: User) -> None:
    """End every session of this user, on every device, at their next request."""
    User.objects.filter(pk=user.pk).update(session_generation=user.session_generation + 1)
    user.refresh_from_db(fields=["session_generation"])
    audit.record(user, "user.logout_everywhere", user)


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
    audit.record(user, "user.two_factor_enrolled", user)
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
    audit.record(user, "user.backup_codes_regenerated", user)
    return codes


def remaining_backup_codes(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user).count())


def has_confirmed_device(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())

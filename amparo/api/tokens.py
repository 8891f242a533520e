"""Making, revoking and checking API tokens (the only writes of the api app)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.api import access
from amparo.api.models import ApiToken
from amparo.core import audit, custody
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.core.services import DomainError

TOKEN_PREFIX = "amp_"
DEFAULT_DAYS = 90
MAX_DAYS = 365


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue_token(
    actor: User | None, user: User, *, name: str, days: int = DEFAULT_DAYS
) -> IssuedToken:
    """A new token for `user`. `actor` None is the server's operator (management command)."""
    if not access.may_manage_tokens_of(actor, user.pk):
        raise PermissionDenied
    if not access.may_hold_token(user):
        raise DomainError(_("Only active staff members can hold an API token."))
    name = name.strip()
    if not name:
        raise DomainError(_("Give the token a name that says what it is for."))
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(_("A token lives between 1 and %(max)d days.") % {"max": MAX_DAYS})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:12],
        digest=_digest(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    if actor is not None and actor.pk == user.pk:
        # The person's own unlocked keys travel with the token (an operator's token carries none).
        carried = custody.keep_for_token(secret, token.pk)
        if carried is not None:
            token.keys_salt, token.sealed_keys = carried
            token.save(update_fields=["keys_salt", "sealed_keys"])
    audit.record(
        actor,
        AuditAction.API_TOKEN_ISSUE,
        token,
        changes={"user": user.username, "name": name, "expires_at": token.expires_at.isoformat()},
    )
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def revoke_token(actor: User | None, token: ApiToken) -> ApiToken:
    if not access.may_manage_tokens_of(actor, token.user_id):
        raise PermissionDenied
    if token.revoked_at is not None:
        raise DomainError(_("This token is already revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor, AuditAction.API_TOKEN_REVOKE, token, changes={"user": token.user.username})
    return token


def user_for_token(secret: str) -> User | None:
    """The staff member a presented token belongs to, or None if it is unknown or dead. The
    organisation keys the token carries are opened into this request's keychain."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(secret), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not access.may_hold_token(token.user):
        return None
    today = timezone.now().date()
    if token.last_used_on != today:
        ApiToken.objects.filter(pk=token.pk).update(last_used_on=today)
    custody.open_for_token(secret, token.pk, token.user, token.keys_salt, token.sealed_keys)
    return token.user

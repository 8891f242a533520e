"""Who may hold and manage API tokens: the one place the api app decides."""

from __future__ import annotations

from amparo.core import access as core_access
from amparo.core.models import User


def may_hold_token(user: User) -> bool:
    """Staff only: an active account with at least one active membership (or a superuser)."""
    return user.is_active and (user.is_superuser or core_access.active_memberships(user).exists())


def may_manage_tokens_of(actor: User | None, user_id: int) -> bool:
    """Issue or revoke a token of account `user_id`: its holder, a deployment administrator, or
    the server's operator at the command line (`actor` None)."""
    return actor is None or actor.pk == user_id or (actor.is_active and actor.is_superuser)

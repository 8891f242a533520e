"""The account a command acts for (`--user U`): it sees and counts what U may."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from amparo.core.models import User


def acting_user(username: str | None) -> User | None:
    """The active account called `username`; None (the operator) when none is named."""
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active user is called %(name)r.") % {"name": username})
    return user

"""What every write of the network shares: checking text input, locking a member."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from amparo.network.models import Member

MAX_TEXT = 20_000
MAX_REASON = 5_000


def text(value: str | None, field: str, *, limit: int = MAX_TEXT, required: bool = True) -> str:
    """`value` stripped; a ValidationError on `field` when it is missing or too long."""
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ValidationError({field: _("This field is required.")})
    if len(cleaned) > limit:
        raise ValidationError({field: _("Keep it under %(limit)d characters.") % {"limit": limit}})
    if "\x00" in cleaned:
        raise ValidationError({field: _("This text contains a character that cannot be stored.")})
    return cleaned


def not_in_future(value: datetime.date | None, field: str, today: datetime.date) -> None:
    if value is not None and value > today:
        raise ValidationError({field: _("This date is in the future.")})


def locked(member: Member) -> Member:
    """The member re-read under a row lock: two transitions at once take effect one by one."""
    return Member.objects.select_for_update().get(pk=member.pk)

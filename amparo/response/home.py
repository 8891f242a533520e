"""The response app's panel on the home page: the actions due from this person or their
organisation."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.core import home
from amparo.core.models import User
from amparo.response import access


def due(user: User) -> home.Content | None:
    if not access.acts_anywhere(user):
        return None
    actions = access.actions_due(user).order_by("due_on", "pk")
    count = actions.count()
    items = [
        home.Item(
            label=str(action.get_kind_display()),
            link=reverse("response:plan", args=[action.plan_id]),
            detail=_("due on %(date)s") % {"date": action.due_on.isoformat()},
        )
        for action in actions[: home.MAX_ITEMS]
    ]
    return home.Content(
        title=_("Actions due"),
        count=count,
        summary=ngettext("%(count)d action", "%(count)d actions", count) % {"count": count},
        link=reverse("response:board"),
        items=items,
    )

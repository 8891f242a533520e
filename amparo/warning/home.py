"""The warning app's panel on the home page: the alerts waiting for this person's
acknowledgement (urgent: someone may be in danger). No name: a number, a level, a deadline."""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.core import home
from amparo.core.models import User
from amparo.warning import access, queries


def to_acknowledge(user: User) -> home.Content | None:
    if not access.visible_alerts_q(user):
        return None
    notices = queries.to_acknowledge(user)
    count = notices.count()
    items = [
        home.Item(
            label=_("Alert %(number)d: %(level)s")
            % {
                "number": notice.alert.pk,
                "level": notice.alert.get_level_display(),
            },
            link=reverse("warning:alert", args=[notice.alert.pk]),
            detail=_("acknowledge by %(deadline)s")
            % {"deadline": formats.date_format(notice.alert.deadline, "SHORT_DATETIME_FORMAT")},
        )
        for notice in notices[: home.MAX_ITEMS]
    ]
    return home.Content(
        title=_("Alerts to acknowledge"),
        count=count,
        summary=ngettext("%(count)d alert", "%(count)d alerts", count) % {"count": count},
        link=reverse("warning:board"),
        items=items,
        urgent=True,
    )

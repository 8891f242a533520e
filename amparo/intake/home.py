"""The intake app's panel on the home page (see amparo/core/home.py): reports saying someone
is in immediate danger that nobody handles yet, for the people who handle the inbox."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.core import home
from amparo.core.models import User
from amparo.intake import access, queries

# Counting stops here: past it, the number changes nothing about what to do first.
COUNT_LIMIT = 99


def unhandled_danger(user: User) -> home.Content | None:
    if not access.handled_organisations(user).exists():
        return None
    reports = access.visible_submissions(user).filter(queries.UNHANDLED_DANGER)
    count = reports.order_by()[: COUNT_LIMIT + 1].count()
    if count > COUNT_LIMIT:
        summary = _("More than %(limit)d reports") % {"limit": COUNT_LIMIT}
    else:
        summary = ngettext("%(count)d report", "%(count)d reports", count) % {"count": count}
    first = reports.only("pk", "received_on").order_by("received_on", "pk")[: home.MAX_ITEMS]
    return home.Content(
        title=_("Someone in immediate danger, and nobody handling it"),
        count=count,
        summary=summary,
        link=f"{reverse('intake:inbox')}?{urlencode({'show': 'unhandled'})}",
        note=_(
            "Reports that say someone is in immediate danger, assigned to nobody and not yet "
            "acted on. Assign each to someone who will act."
        ),
        items=[
            home.Item(
                label=report.reference,
                link=reverse("intake:detail", args=[report.pk]),
                detail=_("received on %(date)s") % {"date": report.received_on.isoformat()},
            )
            for report in first
        ],
        urgent=True,
    )


PANEL = home.Panel("intake.unhandled_danger", home.Order.URGENT, unhandled_danger)

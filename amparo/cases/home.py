"""The cases app's panels on the home page (see amparo/core/home.py): events waiting for the
person's verification, their drafts, events shared with them recently, and events whose people
gave or withdrew consent recently. Each panel counts the events of one work list
(`queries.Work`) and links to the event list showing that list, so the count and the list agree.
Whether a panel is for the person at all is asked of `access`: who may verify, record, receive
shares, or see identities."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.cases import access, queries
from amparo.cases.models import Event
from amparo.core import home
from amparo.core.models import User


def _events(user: User, viewer: access.Viewer, work: str) -> QuerySet[Event]:
    return access.visible_events(user, viewer).filter(queries.work_condition(work, user, viewer))


def _content(events: QuerySet[Event], work: str, title: str, note: str = "") -> home.Content:
    """The panel of one work list: its count (stopping past queries.COUNT_LIMIT, as the list
    does), its first events, and the list's address."""
    count = events.order_by()[: queries.COUNT_LIMIT + 1].count()
    if count > queries.COUNT_LIMIT:
        summary = _("More than %(limit)s events") % {"limit": queries.COUNT_LIMIT}
    else:
        summary = ngettext("%(counter)s event", "%(counter)s events", count) % {"counter": count}
    first = events.only("pk", "reference_code", "title")
    items = [
        home.Item(
            label=f"{event.reference_code} · {event.title}",
            link=reverse("cases:event_detail", args=[event.pk]),
        )
        for event in first[: home.MAX_ITEMS]
    ]
    return home.Content(
        title=title,
        count=count,
        summary=summary,
        link=f"{reverse('cases:event_list')}?{urlencode({'show': work})}",
        note=note,
        items=items,
    )


def _recently() -> str:
    return ngettext(
        "In the last %(days)d day.", "In the last %(days)d days.", queries.RECENT_DAYS
    ) % {"days": queries.RECENT_DAYS}


def to_verify(user: User) -> home.Content | None:
    viewer = access.Viewer.of(user)
    if not viewer.organisations_allowing(access.VERIFY):
        return None
    events = _events(user, viewer, queries.Work.TO_VERIFY).order_by("submitted_at", "pk")
    return _content(
        events,
        queries.Work.TO_VERIFY,
        _("Waiting for your verification"),
        _("Submitted by someone else: a second person must verify an event."),
    )


def my_drafts(user: User) -> home.Content | None:
    viewer = access.Viewer.of(user)
    if not viewer.organisations_allowing(access.CREATE):
        return None
    events = _events(user, viewer, queries.Work.MY_DRAFTS).order_by("-updated_at", "-pk")
    return _content(events, queries.Work.MY_DRAFTS, _("Your drafts"))


def shared_recently(user: User) -> home.Content | None:
    viewer = access.Viewer.of(user)
    if not access.receives_shares(viewer):
        return None
    events = _events(user, viewer, queries.Work.SHARED_RECENTLY).order_by("-pk")
    return _content(
        events, queries.Work.SHARED_RECENTLY, _("Shared with you recently"), _recently()
    )


def consent_changed(user: User) -> home.Content | None:
    viewer = access.Viewer.of(user)
    if access.identity_q(viewer) is None:
        return None
    events = _events(user, viewer, queries.Work.CONSENT_CHANGED).order_by(
        F("start_date").desc(nulls_last=True), "-pk"
    )
    return _content(
        events,
        queries.Work.CONSENT_CHANGED,
        _("Consent given or withdrawn recently"),
        _recently() + " " + _("Who may know a person's identity changed."),
    )


PANELS: tuple[tuple[str, int, Callable[[User], home.Content | None]], ...] = (
    ("cases.to_verify", home.Order.WAITING, to_verify),
    ("cases.my_drafts", home.Order.OWN, my_drafts),
    ("cases.shared_recently", home.Order.CHANGED, shared_recently),
    ("cases.consent_changed", home.Order.CHANGED + 10, consent_changed),
)


def register() -> None:
    for name, order, build in PANELS:
        home.register(home.Panel(name, order, build))

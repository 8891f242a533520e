"""Browse the audit log: an organisation's log for its administrators, one record's trail for
whoever may see that record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from amparo.core import access, audit, audit_actions
from amparo.core.models import AuditEntry
from amparo.core.permissions import requires, signed_in, signed_in_user

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=80,
        help_text=_('"user" matches every action that starts with it, e.g. "user.login".'),
    )
    object_type = forms.CharField(
        label=_("Object type"), required=False, max_length=80, help_text=_('e.g. "core.user"')
    )
    actor = forms.CharField(label=_("Actor (username)"), required=False, max_length=150)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def apply(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        data = self.cleaned_data
        if data["action"]:
            entries = entries.filter(action__startswith=data["action"].strip())
        if data["object_type"]:
            entries = entries.filter(object_type=data["object_type"].strip().lower())
        if data["actor"]:
            # The label keeps the username an entry was made under; the account may be renamed.
            username = data["actor"].strip()
            entries = entries.filter(
                Q(actor_label__iexact=username) | Q(actor__username__iexact=username)
            )
        if data["date_from"]:
            entries = entries.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(at__date__lte=data["date_to"])
        return entries


@dataclass(frozen=True)
class Row:
    entry: AuditEntry
    action: str
    changes: str
    trail_url: str | None


def _trail_url(entry: AuditEntry) -> str | None:
    """Link to a record's trail only where the link can lead somewhere."""
    if not entry.object_id or not access.trail_is_registered(entry.object_type):
        return None
    try:
        return reverse("core:object_audit_trail", args=[entry.object_type, entry.object_id])
    except NoReverseMatch:  # an id with a slash in it cannot be put in this URL
        return None


def _page(
    request: HttpRequest, entries: QuerySet[AuditEntry]
) -> tuple[Page[AuditEntry], list[Row]]:
    page = Paginator(entries.select_related("organisation").order_by("-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        Row(
            entry=entry,
            action=audit_actions.label(entry.action),
            changes=json.dumps(entry.changes, indent=2, ensure_ascii=False, sort_keys=True)
            if entry.changes
            else "",
            trail_url=_trail_url(entry),
        )
        for entry in page.object_list
    ]
    return page, rows


@requires("audit.view_organisation_log")
def audit_log(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = AuditFilterForm(request.GET)
    entries = access.visible_audit_entries(user)
    entries = form.apply(entries) if form.is_valid() else entries.none()
    page, rows = _page(request, entries)
    may_verify = access.may_verify_audit_chain(user)
    verification = audit.verify() if may_verify and request.GET.get("verify") else None
    return render(
        request,
        "core/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "may_verify": may_verify,
            "verification": verification,
        },
    )


@signed_in
def object_audit_trail(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    if not access.can_view_trail(signed_in_user(request), object_type, object_id):
        raise Http404
    page, rows = _page(request, audit.trail(object_type, object_id))
    return render(
        request,
        "core/audit_trail.html",
        {"object_type": object_type, "object_id": object_id, "page": page, "rows": rows},
    )

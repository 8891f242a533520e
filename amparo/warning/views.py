"""Staff pages of early warning: the alert board, an alert, a person's risk. Each view parses
input, asks `access` or calls a service, and renders; every page declares the `warning.view`
rule, and what it shows inside is decided alert by alert in `amparo.warning.access`. Every
identity a page shows is recorded before the page leaves (channel "alert")."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from amparo.cases.models import DisclosureChannel
from amparo.cases.services import record_disclosure
from amparo.core.permissions import requires, signed_in_user
from amparo.core.services import DomainError
from amparo.warning import access, presenting, queries
from amparo.warning.forms import AcknowledgeForm, OverrideForm, SubscriptionForm
from amparo.warning.models import RiskAssessment
from amparo.warning.services import alerts as alert_services
from amparo.warning.services import assessments, subscriptions

RULE = access.RULE
STATUSES = ("active", "acknowledged", "closed")


def _status_labels() -> dict[str, str]:
    return {
        "active": _("Open and escalated"),
        "acknowledged": _("Acknowledged"),
        "closed": pgettext("alert status", "Closed"),
    }


@never_cache
@requires(RULE)
def board(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    status = request.GET.get("status", "active")
    if status not in STATUSES:
        status = "active"
    grouped = queries.board(user, status=status)
    names = presenting.SubjectNames(user)
    alerts = [alert for group in grouped.values() for alert in group]
    names.prime(alerts)
    now = timezone.now()
    levels: list[dict[str, Any]] = [
        {
            "level": level,
            "rows": [
                {
                    "alert": alert,
                    "subject": names.of(alert),
                    "reasons": [presenting.reason_label(r) for r in alert.reasons],
                    "overdue": queries.is_overdue(alert, now),
                }
                for alert in group
            ],
        }
        for level, group in grouped.items()
    ]
    overdue = sum(1 for group in levels for row in group["rows"] if row["overdue"])
    record_disclosure(user, names.disclosed, DisclosureChannel.ALERT)
    return render(
        request,
        "warning/board.html",
        {
            "levels": levels,
            "choices": [
                {"value": value, "label": label, "current": value == status}
                for value, label in _status_labels().items()
            ],
            "overdue": overdue,
        },
    )


@never_cache
@requires(RULE)
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    alert = access.get_visible_alert(user, pk)
    # Recipients whose consent covers them open the name once someone whose keys open it has
    # looked (the nightly evaluation that routed it holds no key).
    alert_services.share_identity(alert)
    return _render_alert(request, alert, AcknowledgeForm())


def _render_alert(request: HttpRequest, alert: object, form: AcknowledgeForm) -> HttpResponse:
    from amparo.warning.models import Alert

    assert isinstance(alert, Alert)
    user = signed_in_user(request)
    names = presenting.SubjectNames(user)
    subject = names.of(alert)
    risk_link = (
        alert.person_id
        if alert.person is not None and "view_risk" in access.risk_actions(user, alert.person)
        else None
    )
    context = {
        "alert": alert,
        "subject": subject,
        "risk_link": risk_link,
        "reasons": [presenting.reason_label(r) for r in alert.reasons],
        "facts": presenting.facts_of(user, alert.signal_ids),
        "recipients": alert.recipients.select_related("organisation"),
        "acknowledgements": presenting.acknowledgements(user, alert, subject),
        "actions": access.actions_on(user, alert),
        "overdue": queries.is_overdue(alert),
        "form": form,
    }
    record_disclosure(user, names.disclosed, DisclosureChannel.ALERT, alert.person)
    return render(request, "warning/alert.html", context)


@requires(RULE)
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    alert = access.get_visible_alert(user, pk)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            alert_services.acknowledge(user, alert, form.cleaned_data["note"])
        except (DomainError, PermissionDenied) as error:
            form.add_error(None, str(error) or _("You may not do this."))
        else:
            messages.success(request, _("Alert acknowledged."))
            return redirect("warning:alert", pk=alert.pk)
    return _render_alert(request, alert, form)


@requires(RULE)
@require_POST
def alert_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    alert = access.get_visible_alert(user, pk)
    try:
        alert_services.close(user, alert)
    except (DomainError, PermissionDenied) as error:
        messages.error(request, str(error) or _("You may not do this."))
    else:
        messages.success(request, _("Alert closed."))
    return redirect("warning:alert", pk=alert.pk)


@never_cache
@requires(RULE)
def person_risk(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    person = access.get_person_for_risk(user, pk)
    return _render_person(request, person, OverrideForm())


def _render_person(request: HttpRequest, person: object, form: OverrideForm) -> HttpResponse:
    from amparo.cases.models import Person

    assert isinstance(person, Person)
    user = signed_in_user(request)
    names = presenting.SubjectNames(user)
    subject = names.person(person)
    history = list(
        RiskAssessment.objects.filter(person=person).select_related("overridden_by")[:50]
    )
    current = next((a for a in history if a.is_current), None)
    signal_ids = sorted(
        {
            s
            for reason in (current.reasons + current.firings if current else [])
            for s in reason.get("signal_ids", [])
        }
    )
    context = {
        "person": person,
        "subject": subject,
        "current": current,
        "reasons": presenting.assessment_reasons(current) if current else [],
        "facts": presenting.facts_of(user, signal_ids),
        "history": history,
        "alerts": access.visible_alerts(user).filter(person=person)[:20],
        "actions": access.risk_actions(user, person),
        "form": form,
    }
    record_disclosure(user, names.disclosed, DisclosureChannel.ALERT, person)
    return render(request, "warning/person.html", context)


@requires(RULE)
@require_POST
def person_override(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    person = access.get_person_for_risk(user, pk)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            assessments.override(
                user, person, form.cleaned_data["level"], form.cleaned_data["reason"]
            )
        except (DomainError, PermissionDenied) as error:
            form.add_error(None, str(error) or _("You may not do this."))
        else:
            messages.success(request, _("The risk level was set."))
            return redirect("warning:person", pk=person.pk)
    return _render_person(request, person, form)


@never_cache
@requires(RULE)
def subscription_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = SubscriptionForm()
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            try:
                subscriptions.subscribe(
                    user,
                    subscriptions.SubscriptionInput(
                        name=form.cleaned_data["name"],
                        target=form.cleaned_data["target"],
                        countries=form.country_codes(),
                        min_level=form.cleaned_data["min_level"],
                        acts=form.cleaned_data["acts"],
                        defender_types=form.cleaned_data["defender_types"],
                    ),
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Search saved: you will be told of new matches."))
                return redirect("warning:subscriptions")
    saved = access.own_subscriptions(user)
    return render(request, "warning/subscriptions.html", {"saved": saved, "form": form})


@requires(RULE)
@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    subscriptions.unsubscribe(user, access.get_own_subscription(user, pk))
    messages.success(request, _("Saved search deleted."))
    return redirect("warning:subscriptions")

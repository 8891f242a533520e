"""The editors' pages: prepare a publication, preview it beside its source, submit, approve (a
second person), withdraw. Every write is a service; `access` decides what each may do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.cases import access as cases_access
from amparo.cases import services as cases_services
from amparo.cases.models import DisclosureChannel
from amparo.core.fields import holds_locked
from amparo.core.models import Organisation, User
from amparo.core.permissions import requires, signed_in_user
from amparo.core.services import DomainError
from amparo.portal import access, preview, services
from amparo.portal.forms import (
    EventsPublicationForm,
    RecommendationsPublicationForm,
    StatisticsPublicationForm,
)
from amparo.portal.models import Publication
from amparo.recommendations import access as recommendations_access
from amparo.recommendations.models import Mechanism

PUBLISH = access.PUBLISH_RULE  # who may do what with which publication: amparo.portal.access
TRANSITIONS = {
    access.SUBMIT: services.submit,
    access.APPROVE: services.approve,
    access.WITHDRAW: services.withdraw,
}


def _require_portal(request: HttpRequest) -> None:
    """The rule lets a role through in any organisation; a role elsewhere that publishes
    nothing (no active organisation) is refused here too."""
    if not access.may_use_portal(signed_in_user(request)):
        raise PermissionDenied


@requires(PUBLISH)
def publication_list(request: HttpRequest) -> HttpResponse:
    _require_portal(request)
    user = signed_in_user(request)
    publications = access.visible_publications(user).select_related("organisation", "created_by")
    return render(
        request,
        "portal/manage/list.html",
        {
            "publications": publications,
            "may_create": access.organisations_allowing(user, access.CREATE).exists(),
        },
    )


def _add_errors(form: Any, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def _organisations_creating(request: HttpRequest) -> tuple[User, QuerySet[Organisation]]:
    """The signed-in user and the organisations they may make publications for (at least one)."""
    _require_portal(request)
    user = signed_in_user(request)
    organisations = access.organisations_allowing(user, access.CREATE)
    if not organisations.exists():
        raise PermissionDenied
    return user, organisations


def _create(
    request: HttpRequest,
    form: EventsPublicationForm | StatisticsPublicationForm | RecommendationsPublicationForm,
    kind: str,
    create: Callable[[dict[str, Any]], Publication],
) -> HttpResponse:
    """The form to make a publication of `kind`; once made, its page."""
    if request.method == "POST" and form.is_valid():
        try:
            publication = create(form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            return redirect("portal_manage:detail", pk=publication.pk)
    return render(request, "portal/manage/create.html", {"form": form, "kind": kind})


@requires(PUBLISH)
def create_events(request: HttpRequest) -> HttpResponse:
    user, organisations = _organisations_creating(request)
    form = EventsPublicationForm(request.POST or None, organisations=organisations)
    return _create(
        request,
        form,
        "events",
        lambda data: services.create_events_publication(
            user,
            data["organisation"],
            title=data["title"],
            summary=data["summary"],
            reference_codes=form.codes(),
            language=form.written_in(),
            translations=form.translations(),
        ),
    )


@requires(PUBLISH)
def create_statistics(request: HttpRequest) -> HttpResponse:
    user, organisations = _organisations_creating(request)
    form = StatisticsPublicationForm(
        request.POST or None, organisations=organisations, language=get_language()
    )
    return _create(
        request,
        form,
        "statistics",
        lambda data: services.create_statistics_publication(
            user,
            data["organisation"],
            title=data["title"],
            summary=data["summary"],
            parameters=form.parameters(),
            language=form.written_in(),
            translations=form.translations(),
        ),
    )


@requires(PUBLISH)
def create_recommendations(request: HttpRequest) -> HttpResponse:
    user, organisations = _organisations_creating(request)
    language = (get_language() or "en")[:2]
    visible = recommendations_access.visible_recommendations(user)
    states = sorted(set(visible.values_list("state", flat=True).distinct()))
    mechanisms = [
        (m.code, m.label(language))
        for m in Mechanism.objects.filter(pk__in=visible.values("mechanism_id"))
    ]
    form = RecommendationsPublicationForm(
        request.POST or None,
        organisations=organisations,
        language=language,
        states=states,
        mechanisms=mechanisms,
    )
    return _create(
        request,
        form,
        "recommendations",
        lambda data: services.create_recommendations_publication(
            user,
            data["organisation"],
            title=data["title"],
            summary=data["summary"],
            state=data["state"],
            mechanism=data["mechanism"],
            language=form.written_in(),
            translations=form.translations(),
        ),
    )


@requires(PUBLISH)
def publication_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """What will be public, beside the live records it was made from as this reader may see
    them (identities shown here are recorded as disclosures, as on an event's page)."""
    _require_portal(request)
    user = signed_in_user(request)
    publication = access.get_visible_publication(user, pk)
    presenter = cases_access.PersonPresenter(user)
    sources = preview.sources(user, publication, presenter)
    response = render(
        request,
        "portal/manage/detail.html",
        {
            "publication": publication,
            "content": publication.content,
            # The "locked" label when the reader's keys do not open the draft (issue 16).
            "content_locked": holds_locked(publication.content),
            "sources": sources,
            "actions": access.actions_on(user, publication),
            "action_labels": [
                (access.SUBMIT, _("Submit for approval")),
                (access.APPROVE, _("Approve and publish")),
                (access.WITHDRAW, _("Withdraw now")),
            ],
            "refusals": {
                action: access.refusal(user, action, publication)
                for action in (access.SUBMIT, access.APPROVE, access.WITHDRAW)
            },
            "language": (get_language() or "en")[:2],
        },
    )
    cases_services.record_disclosure(user, presenter.disclosed, DisclosureChannel.EVENT_PAGE)
    return response


@requires(PUBLISH)
@require_POST
def publication_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _require_portal(request)
    user = signed_in_user(request)
    publication = access.get_visible_publication(user, pk)
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise PermissionDenied
    try:
        transition(user, publication)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        done = {
            access.SUBMIT: _("Submitted: a reviewer must now approve it."),
            access.APPROVE: _("Approved: it is public now."),
            access.WITHDRAW: _("Withdrawn: it is no longer public."),
        }
        messages.success(request, done[action])
    return redirect("portal_manage:detail", pk=publication.pk)

"""Pages of the cases section. Each view parses input, asks `access` or calls a service, and
renders; object-level permission is checked through `amparo.cases.access` in every view, on top
of the rule each view declares."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.cases import access, event_page, queries, services
from amparo.cases.forms import (
    ChainLinkForm,
    CommentForm,
    ConsentForm,
    EventFilterForm,
    GuidedEventForms,
    InterventionForm,
    SharingForm,
    SourceForm,
)
from amparo.cases.models import (
    Act,
    ChainLink,
    ConsentRecord,
    DisclosureChannel,
    Event,
    EventVersion,
    Intervention,
    Involvement,
    Person,
    SharingGrant,
    Source,
)
from amparo.core import custody, searches
from amparo.core.models import AuditEntry, User
from amparo.core.permissions import requires, signed_in_user
from amparo.core.services import DomainError

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


def _error_text(error: ValidationError | DomainError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do this.")


# --- The list -----------------------------------------------------------------------------------


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZE))
    except ValueError:
        return PAGE_SIZE
    return max(1, min(size, MAX_PAGE_SIZE))


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


# The list's searches that may name someone, kept out of its address (amparo/core/searches.py).
SEARCH_SCOPE = "cases.event_list"


def _public_query(data: Any) -> QueryDict:
    """The filters in `data` that name nobody, as the list's address keeps them."""
    query = QueryDict(mutable=True)
    for name in EventFilterForm.PUBLIC:
        for value in data.getlist(name):
            if value:
                query.appendlist(name, value)
    return query


@requires("cases.view")
def event_list(request: HttpRequest) -> HttpResponse:
    """The filtered list. Search words and names come in a POST, are kept in the session and
    replaced in the address by `search=<id>`; the other filters stay in the address."""
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    names_allowed = access.can_search_names(user, viewer)
    context: dict[str, Any] = {
        "count_limit": queries.COUNT_LIMIT,
        "can_record": bool(viewer.organisations_allowing(access.CREATE)),
        "page": None,
    }
    if request.method == "POST":
        form = EventFilterForm(request.POST, names_allowed=names_allowed)
        if not form.is_valid():
            # No list under the errors: an unfiltered list would pass for the search's result.
            return render(request, "cases/event_list.html", context | {"form": form}, status=400)
        query = _public_query(request.POST)
        words = {name: form.cleaned_data.get(name) or "" for name in EventFilterForm.PRIVATE}
        if any(words.values()):
            query["search"] = searches.remember(request, SEARCH_SCOPE, words)
        return redirect(f"{reverse('cases:event_list')}?{query.urlencode()}")
    data = _public_query(request.GET)
    search_id = request.GET.get("search", "")
    if search_id:
        kept = searches.recall(request, SEARCH_SCOPE, search_id)
        if kept is None:
            form = EventFilterForm(data or None, names_allowed=names_allowed)
            return render(
                request, "cases/event_list.html", context | {"form": form, "expired": True}
            )
        for name in EventFilterForm.PRIVATE:
            data[name] = kept.get(name, "")
    form = EventFilterForm(data or None, names_allowed=names_allowed)
    conditions = queries.EventConditions()
    if form.is_bound:
        if not form.is_valid():
            return render(request, "cases/event_list.html", context | {"form": form}, status=400)
        conditions = queries.event_conditions(form.filters(), user, viewer)
    page = queries.event_page(
        user,
        viewer,
        conditions,
        number=_page_number(request),
        size=_page_size(request),
        count_all=request.GET.get("count") == "all",
    )
    query = _public_query(request.GET)
    if search_id:
        query["search"] = search_id
    for name in ("count", "per_page"):  # how the list is shown: kept from page to page
        if request.GET.get(name):
            query[name] = request.GET[name]
    return render(
        request,
        "cases/event_list.html",
        context | {"form": form, "page": page, "query": query.urlencode()},
    )


# --- Recording and editing ----------------------------------------------------------------------


# The token of one new-event form, in its address (see Event.creation_token): Back and Save
# again send the same form, whose event is then found instead of recorded twice. It travels in
# the URL, not in a hidden field, because a browser that fetches the page again on Back restores
# what was typed but not hidden fields; the token says nothing about the event.
FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@requires("cases.record")
def event_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    organisations = access.organisations_for_new_events(user)
    allowed = viewer.organisations_allowing(access.CREATE)
    if not allowed:
        raise PermissionDenied
    token = request.GET.get("form", "")
    if not FORM_TOKEN.fullmatch(token):
        if request.method == "GET":
            return redirect(f"{reverse('cases:event_create')}?form={secrets.token_urlsafe(24)}")
        token = ""
    recorded = services.event_recorded_with(user, token)
    if recorded is not None and request.method == "POST":
        messages.info(
            request,
            _("This form was saved already, as event %(code)s. Edit the event to change it.")
            % {"code": recorded.reference_code},
        )
        return redirect("cases:event_detail", pk=recorded.pk)
    page = GuidedEventForms(
        user,
        data=request.POST if request.method == "POST" else None,
        organisations=organisations,
        highest_clearance=max(allowed.values()),
    )
    if request.method == "POST" and page.is_valid():
        organisation = page.organisation
        assert organisation is not None
        data = page.to_input()
        data.creation_token = token
        try:
            event = services.create_event(user, organisation, data)
        except (ValidationError, DomainError) as error:
            page.show_service_errors(error)
        except PermissionDenied:
            page.event_form.add_error(
                "confidentiality",
                _("You may not record events at this confidentiality for this organisation."),
            )
        else:
            messages.success(
                request, _("Event %(code)s recorded.") % {"code": event.reference_code}
            )
            return redirect("cases:event_detail", pk=event.pk)
    status = 400 if request.method == "POST" and page.show_errors else 200
    return render(
        request,
        "cases/event_form.html",
        {"page": page, "event": None, "recorded": recorded},
        status=status,
    )


@requires("cases.record")
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    event = access.get_visible_event(user, pk, viewer)
    access.require(user, access.EDIT, event, viewer)
    clearance = viewer.clearance_for(event.organisation_id, access.EDIT)
    assert clearance is not None
    page = GuidedEventForms(
        user,
        data=request.POST if request.method == "POST" else None,
        event=event,
        highest_clearance=clearance,
    )
    if request.method == "POST" and page.is_valid():
        try:
            services.update_event(
                user, event, page.to_input(), expected_version=page.expected_version
            )
        except (ValidationError, DomainError) as error:
            page.show_service_errors(error)
        except PermissionDenied:
            page.event_form.add_error(
                "confidentiality",
                _("You may not set a confidentiality above your own clearance."),
            )
        else:
            messages.success(request, _("Changes saved."))
            return redirect("cases:event_detail", pk=event.pk)
    # The form is filled in with the identities the editor may see.
    services.record_disclosure(user, page.presenter.disclosed, DisclosureChannel.EVENT_FORM, event)
    status = 400 if request.method == "POST" and page.show_errors else 200
    return render(request, "cases/event_form.html", {"page": page, "event": event}, status=status)


# --- The event page -----------------------------------------------------------------------------


def _event_context(
    request: HttpRequest, event: Event, viewer: access.Viewer, channel: DisclosureChannel
) -> dict[str, Any]:
    """Everything the detail and print pages show, as this user may see it; the identities it
    shows are recorded as seen through `channel`."""
    user = signed_in_user(request)
    actions = access.actions_on(user, event, viewer)
    presenter = access.PersonPresenter(user, viewer)
    # The persons' data keys opened together before their rows are read (one query, not one
    # per key: persons recorded at different times have different keys).
    custody.open_data_keys(queries.persons_in([event.pk]).values_list("data_key_id", flat=True))
    acts = list(
        Act.objects.filter(event=event)
        .select_related("victim", "type_of_act", "method", "targeted_activity")
        .prefetch_related(
            "consequences",
            "victim__defender_types",
            Prefetch(
                "involvements",
                queryset=Involvement.objects.select_related(
                    "perpetrator", "perpetrator_type", "degree_of_involvement"
                ).prefetch_related("perpetrator__defender_types"),
            ),
        )
        .order_by(F("date").asc(nulls_last=True), "pk")
    )
    sources = list(
        Source.objects.filter(event=event)
        .select_related("source_person", "reliability", "connection", "material_type", "language")
        .prefetch_related("source_person__defender_types")
    )
    interventions = list(
        Intervention.objects.filter(event=event)
        .select_related("intervening_person", "intervening_organisation", "intervention_type")
        .select_related("status")
        .prefetch_related("intervening_person__defender_types")
    )
    persons: dict[int, Person] = {}
    for act in acts:
        persons.setdefault(act.victim_id, act.victim)
        for involvement in act.involvements.all():
            if involvement.perpetrator is not None:
                persons.setdefault(involvement.perpetrator.pk, involvement.perpetrator)
    for source in sources:
        if source.source_person is not None:
            persons.setdefault(source.source_person.pk, source.source_person)
    for intervention in interventions:
        if intervention.intervening_person is not None:
            persons.setdefault(intervention.intervening_person.pk, intervention.intervening_person)
    presenter.prime(persons.values())
    shown = {pk: presenter.present(person) for pk, person in persons.items()}
    services.record_disclosure(user, presenter.disclosed, channel, event)
    # Templates cannot look up a dict by a variable key: hang each presented person on its row.
    for act in acts:
        act.victim_shown = shown[act.victim_id]  # type: ignore[attr-defined]
        for involvement in act.involvements.all():
            involvement.perpetrator_shown = (  # type: ignore[attr-defined]
                shown[involvement.perpetrator.pk] if involvement.perpetrator else None
            )
    for source in sources:
        source.person_shown = shown.get(source.source_person_id or 0)  # type: ignore[attr-defined]
    for intervention in interventions:
        intervention.person_shown = shown.get(intervention.intervening_person_id or 0)  # type: ignore[attr-defined]
    visible = access.visible_events(user, viewer)
    links_out = ChainLink.objects.filter(from_event=event, to_event__in=visible).select_related(
        "to_event", "chain_type"
    )
    links_in = ChainLink.objects.filter(to_event=event, from_event__in=visible).select_related(
        "from_event", "chain_type"
    )
    return {
        "event": event,
        "actions": actions,
        "notices": access.notices_on(user, event, viewer),
        "internal_visible": access.internal_text_visible(user, event, viewer),
        "acts": acts,
        "persons": shown,
        "person_objects": persons,
        "sources": sources,
        "interventions": interventions,
        "links_out": list(links_out),
        "links_in": list(links_in),
    }


def _render_detail(
    request: HttpRequest,
    event: Event,
    viewer: access.Viewer,
    *,
    sharing_form: SharingForm | None = None,
    consent_forms: dict[int, ConsentForm] | None = None,
    comment_form: CommentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = signed_in_user(request)
    context = _event_context(request, event, viewer, DisclosureChannel.EVENT_PAGE)
    actions = context["actions"]
    consent_forms = consent_forms or {}
    consent_panel = []
    may_record = {
        pk
        for pk, person in context["person_objects"].items()
        if access.can_record_consent(user, person)
    }
    if may_record:
        consents: dict[int, list[ConsentRecord]] = {}
        for consent in ConsentRecord.objects.filter(person_id__in=may_record).select_related(
            "recipient_organisation"
        ):
            consents.setdefault(consent.person_id, []).append(consent)
        for pk in sorted(may_record):
            consent_panel.append(
                {
                    "person": context["persons"][pk],
                    "consents": consents.get(pk, []),
                    "form": consent_forms.get(pk) or ConsentForm(prefix=f"consent-{pk}"),
                }
            )
    grants: QuerySet[SharingGrant] | list[SharingGrant] = []
    if access.SHARE in actions:
        grants = event.sharing_grants.select_related("organisation", "user", "granted_by")
        sharing_form = sharing_form or SharingForm(event=event)
    else:
        sharing_form = None
    history = access.can_view_history(user, event, viewer)
    discussion = context["internal_visible"] or access.COMMENT in actions
    context |= {
        "history_visible": history,
        "versions": EventVersion.objects.filter(event=event)
        .defer("snapshot", "changes")
        .select_related("actor")
        if history
        else [],
        "grants": grants,
        "sharing_form": sharing_form,
        "consent_panel": consent_panel,
        # Staff comments may name people: they are for the staff and for partners invited to
        # comment, who are told so, not for every partner who may read.
        "discussion_visible": discussion,
        "comments": event.comments.select_related("author") if discussion else [],
        "comment_form": comment_form or CommentForm() if access.COMMENT in actions else None,
        # What other apps show on the event page (intake: the reports it was opened from).
        "sections": event_page.sections_for(user, event),
        "disclosure_persons": [
            context["persons"][pk]
            for pk, person in context["person_objects"].items()
            if access.can_view_disclosures(user, person, viewer)
        ],
    }
    return render(request, "cases/event_detail.html", context, status=status)


def _persons_of(event: Event) -> dict[int, Person]:
    """Every person who takes part in the event, by id."""
    return queries.persons_in([event.pk]).in_bulk()


@requires("cases.view")
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    event = access.get_visible_event(user, pk, viewer)
    return _render_detail(request, event, viewer)


@requires("cases.view")
def event_print(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    event = access.get_visible_event(user, pk, viewer)
    context = _event_context(request, event, viewer, DisclosureChannel.EVENT_PRINT)
    return render(request, "cases/event_print.html", context)


# --- Workflow -----------------------------------------------------------------------------------


def _transition(
    request: HttpRequest, pk: int, step: Callable[[User, Event], Event], done: str
) -> HttpResponse:
    user = signed_in_user(request)
    event = access.get_visible_event(user, pk)
    try:
        step(user, event)
    except (DomainError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, done)
    return redirect("cases:event_detail", pk=event.pk)


@requires("cases.view")
@require_POST
def event_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.submit_event, _("Submitted for verification."))


@requires("cases.view")
@require_POST
def event_verify(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.verify_event, _("Event verified."))


@requires("cases.view")
@require_POST
def event_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.close_event, _("Event closed."))


# --- History ------------------------------------------------------------------------------------


@requires("cases.view")
def version_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    event = access.get_visible_event(user, pk, viewer)
    if not access.can_view_history(user, event, viewer):
        raise Http404
    version = get_object_or_404(
        EventVersion.objects.defer("snapshot").select_related("actor"), event=event, number=number
    )
    return render(
        request,
        "cases/version_detail.html",
        {
            "event": event,
            "version": version,
            "changes_json": json.dumps(version.changes, indent=2, ensure_ascii=False),
            "can_restore": access.RESTORE in access.actions_on(user, event, viewer)
            and version.number != event.version,
        },
    )


@requires("cases.view")
@require_POST
def version_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    user = signed_in_user(request)
    event = access.get_visible_event(user, pk)
    version = get_object_or_404(EventVersion, event=event, number=number)
    try:
        services.restore_version(user, event, version)
    except (DomainError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Version %(number)d restored.") % {"number": version.number})
    return redirect("cases:event_detail", pk=event.pk)


# --- Who has seen an identity -------------------------------------------------------------------


@dataclass(frozen=True)
class DisclosureRow:
    entry: AuditEntry
    channel: str
    event: Event | None  # the event whose page, print or form showed the identity, if visible
    about: str  # what showed it, when not an event the reader may open


def _disclosed_in(entry: AuditEntry) -> str:
    if entry.object_type == "cases.event":
        return _("Event #%(id)s") % {"id": entry.object_id}
    if entry.object_type == "cases.person":
        return _("This person's record")
    if entry.object_type == "cases.act":
        return _("Act #%(id)s") % {"id": entry.object_id}
    return _("A list or an export")


@requires("audit.view_organisation_log")
def person_disclosures(request: HttpRequest, person_pk: int) -> HttpResponse:
    """Who has seen a person's identity, when and through what: for the administrators of the
    person's organisation. The page shows the pseudonym only, so reading it discloses nothing."""
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    person = Person.objects.filter(pk=person_pk).first()
    if person is None or not access.can_view_disclosures(user, person, viewer):
        raise Http404
    page = Paginator(queries.disclosures_of(person), PAGE_SIZE).get_page(request.GET.get("page"))
    event_ids = [
        int(entry.object_id) for entry in page.object_list if entry.object_type == "cases.event"
    ]
    events = access.visible_events(user, viewer).in_bulk(event_ids)
    rows = [
        DisclosureRow(
            entry=entry,
            channel=str(DisclosureChannel(channel).label)
            if (channel := entry.changes.get("channel")) in DisclosureChannel.values
            else str(channel),
            event=events.get(int(entry.object_id)) if entry.object_type == "cases.event" else None,
            about=_disclosed_in(entry),
        )
        for entry in page.object_list
    ]
    return render(
        request,
        "cases/person_disclosures.html",
        {"person": person, "pseudonym": access.pseudonym(person), "page": page, "rows": rows},
    )


# --- Sharing and consent ------------------------------------------------------------------------


@requires("cases.view")
@require_POST
def sharing_grant(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    event = access.get_visible_event(user, pk, viewer)
    access.require(user, access.SHARE, event, viewer)
    form = SharingForm(request.POST, event=event)
    if form.is_valid():
        try:
            services.grant_sharing(
                user,
                event,
                organisation=form.cleaned_data.get("organisation"),
                user=form.user,
                level=form.cleaned_data["level"],
                expires_at=form.expires_at,
                purpose=form.cleaned_data.get("purpose") or "",
            )
        except (ValidationError, DomainError) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("The event is shared."))
            return redirect("cases:event_detail", pk=event.pk)
    return _render_detail(request, event, viewer, sharing_form=form, status=400)


@requires("cases.view")
@require_POST
def sharing_revoke(request: HttpRequest, pk: int, grant_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    event = access.get_visible_event(user, pk)
    grant = get_object_or_404(SharingGrant, pk=grant_pk, event=event)
    try:
        services.revoke_sharing(user, grant)
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Sharing revoked."))
    return redirect("cases:event_detail", pk=event.pk)


@requires("cases.view")
@require_POST
def consent_give(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    event = access.get_visible_event(user, pk, viewer)
    person = _persons_of(event).get(person_pk)
    if person is None:
        raise Http404
    form = ConsentForm(request.POST, prefix=f"consent-{person.pk}")
    if form.is_valid():
        try:
            services.give_consent(
                user,
                person,
                recipient_kind=form.cleaned_data["recipient_kind"],
                purpose=form.cleaned_data["purpose"],
                given_on=form.cleaned_data["given_on"],
                recipient_organisation=form.cleaned_data.get("recipient_organisation"),
            )
        except (ValidationError, DomainError) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("cases:event_detail", pk=event.pk)
    return _render_detail(request, event, viewer, consent_forms={person.pk: form}, status=400)


@requires("cases.view")
@require_POST
def consent_withdraw(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    event = access.get_visible_event(user, pk)
    consent = get_object_or_404(
        ConsentRecord, pk=consent_pk, person_id__in=list(_persons_of(event))
    )
    try:
        services.withdraw_consent(user, consent)
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Consent withdrawn. The identity is hidden again."))
    return redirect("cases:event_detail", pk=event.pk)


@requires("cases.view")
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    event = access.get_visible_event(user, pk, viewer)
    access.require(user, access.COMMENT, event, viewer)
    form = CommentForm(request.POST)
    if form.is_valid():
        services.add_comment(user, event, form.cleaned_data["body"])
        messages.success(request, _("Comment added."))
        return redirect("cases:event_detail", pk=event.pk)
    return _render_detail(request, event, viewer, comment_form=form, status=400)


# --- Sources, interventions, chain links --------------------------------------------------------


def _item_page(
    request: HttpRequest,
    pk: int,
    form_class: type[SourceForm] | type[InterventionForm] | type[ChainLinkForm],
    save: Callable[[User, Event, Any], object],
    title: str,
) -> HttpResponse:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    event = access.get_visible_event(user, pk, viewer)
    access.require(user, access.EDIT, event, viewer)
    kwargs: dict[str, Any] = {"user": user} if form_class is ChainLinkForm else {}
    form = form_class(request.POST if request.method == "POST" else None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            save(user, event, form)
        except (ValidationError, DomainError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:event_detail", pk=event.pk)
    return render(
        request,
        "cases/item_form.html",
        {"event": event, "form": form, "title": title},
        status=400 if request.method == "POST" else 200,
    )


@requires("cases.record")
def source_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_page(
        request,
        pk,
        SourceForm,
        lambda user, event, form: services.add_source(user, event, form.to_input()),
        _("Add a source"),
    )


@requires("cases.record")
def intervention_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_page(
        request,
        pk,
        InterventionForm,
        lambda user, event, form: services.add_intervention(user, event, form.to_input()),
        _("Add an intervention"),
    )


@requires("cases.record")
def link_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_page(
        request,
        pk,
        ChainLinkForm,
        lambda user, event, form: services.add_chain_link(
            user, event, form.target, form.cleaned_data["chain_type"]
        ),
        _("Link to another event"),
    )


def _remove(
    request: HttpRequest,
    pk: int,
    item_pk: int,
    model: type[Source] | type[Intervention] | type[ChainLink],
) -> HttpResponse:
    user = signed_in_user(request)
    event = access.get_visible_event(user, pk)
    lookup = {"from_event": event} if model is ChainLink else {"event": event}
    item = model._default_manager.filter(pk=item_pk, **lookup).first()
    if item is None:
        raise Http404
    try:
        services.remove_from_event(user, item)
    except (DomainError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Removed. An earlier version can bring it back."))
    return redirect("cases:event_detail", pk=event.pk)


@requires("cases.record")
@require_POST
def source_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    return _remove(request, pk, item_pk, Source)


@requires("cases.record")
@require_POST
def intervention_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    return _remove(request, pk, item_pk, Intervention)


@requires("cases.record")
@require_POST
def link_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    return _remove(request, pk, item_pk, ChainLink)

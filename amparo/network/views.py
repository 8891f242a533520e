"""Staff pages of the network section. Each view parses input, asks `access` or calls a
service, and renders; every page declares the `network.view` rule, and what it shows inside is
decided object by object in `amparo.network.access`. Refusals become messages, never a 500."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from amparo.core.models import Organisation, User
from amparo.core.permissions import requires, signed_in_user
from amparo.core.services import DomainError
from amparo.intake import access as intake_access
from amparo.network import access, directory, keys, queries, rules
from amparo.network.forms import (
    AccreditationForm,
    ActionItemForm,
    CloseCommitmentForm,
    CommitmentForm,
    ContactForm,
    DecisionForm,
    InvitationForm,
    MeetingForm,
    OrganisationForm,
    ProgressForm,
    ProposeForm,
    PublicationForm,
    RecommendationForm,
    SteeringForm,
    TermForm,
    TextForm,
    TransitionForm,
)
from amparo.network.models import (
    PUBLIC_STATUSES,
    ActionItem,
    Capacity,
    Commitment,
    ContactPerson,
    DelegateOrganisation,
    InvitationLetter,
    Meeting,
    Member,
    Part,
    ProgressReport,
    Review,
    Status,
    SteeringMember,
)
from amparo.network.scorecard import compute
from amparo.network.services import (
    commitments,
    exports,
    governance,
    lifecycle,
    meetings,
    members,
    reviews,
)

RULE = access.RULE
Refusal = ValidationError | DomainError | PermissionDenied


def _error_text(error: Refusal) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do this.")


def _form_errors(form: Form, error: Refusal) -> None:
    """A service's refusal shown on the form: at the field it names, else above the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, _error_text(error))


def _form_problems(form: Form) -> str:
    return " ".join(str(problem) for problems in form.errors.values() for problem in problems)


def _done(
    request: HttpRequest, target: str, attempt: Callable[[], object], success: str
) -> HttpResponse:
    """Run a service for a one-button action; say how it went; back to `target`."""
    try:
        attempt()
    except (ValidationError, DomainError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, success)
    return redirect(target)


def _form_done(
    request: HttpRequest,
    form: Form,
    target: str,
    attempt: Callable[[dict[str, Any]], object],
    success: str,
    problem: str | None = None,
) -> HttpResponse:
    """A one-form action: what is wrong with the form (`problem`, else the form's own words) and
    back to `target`; or, valid, `_done` with its cleaned data."""
    if not form.is_valid():
        messages.error(request, problem or _form_problems(form))
        return redirect(target)
    data = form.cleaned_data
    return _done(request, target, lambda: attempt(data), success)


def _viewer(request: HttpRequest) -> access.Viewer:
    """The signed-in user's capacities (`keys.viewer`), read once per request."""
    viewer: access.Viewer | None = getattr(request, "_network_viewer", None)
    if viewer is None:
        viewer = keys.viewer(signed_in_user(request))
        request._network_viewer = viewer  # type: ignore[attr-defined]
    return viewer


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A staff page of the section, with what its navigation may offer this person."""
    actions = access.network_actions(signed_in_user(request), _viewer(request))
    return render(request, template, {"network_actions": actions, **context})


def _member(request: HttpRequest, country: str) -> tuple[User, access.Viewer, Member]:
    user = signed_in_user(request)
    viewer = _viewer(request)
    member = get_object_or_404(access.visible_members(user, viewer), country=country.upper())
    return user, viewer, member


def _member_url(member: Member, anchor: str = "") -> str:
    return reverse("network:member_detail", args=[member.country]) + (
        f"#{anchor}" if anchor else ""
    )


# --- members ------------------------------------------------------------------------------------


@requires(RULE)
def member_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    viewer = _viewer(request)
    network_actions = access.network_actions(user, viewer)
    listed = list(queries.members_with_counts().filter(pk__in=access.visible_members(user, viewer)))
    missing = queries.missing_parts_of(m.pk for m in listed)
    flags: dict[int, compute.Scorecard] = {}
    if access.VIEW_SCORECARDS in network_actions:
        flags = {card.member_id: card for card in compute.compute()}
    return _render(
        request,
        "network/member_list.html",
        {
            "members": [(m, flags.get(m.pk), not missing[m.pk]) for m in listed],
            "network_actions": network_actions,
            "capacities": sorted(str(c.label) for c in _capacities(viewer)),
        },
    )


def _capacities(viewer: access.Viewer) -> list[Capacity]:
    return [Capacity(c) for c in viewer.capacities() if c != Capacity.OBSERVER]


@requires(RULE)
def member_propose(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if access.PROPOSE not in access.network_actions(user, _viewer(request)):
        raise PermissionDenied
    form = ProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = members.propose_member(
                user, country=form.cleaned_data["country"], reason=form.cleaned_data["reason"]
            )
        except (ValidationError, DomainError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("%(country)s is proposed.") % {"country": member})
            return redirect(_member_url(member))
    return _render(request, "network/member_propose.html", {"form": form})


@requires(RULE)
@never_cache
def member_detail(request: HttpRequest, country: str) -> HttpResponse:
    user, viewer, member = _member(request, country)
    actions = access.member_actions_on(user, member, viewer)
    parts = access.editable_parts(user, member, viewer)
    may_link = access.S in viewer.capacities(member)
    card = compute.for_member(member) if access.VIEW_SCORECARD in actions else None
    transitions = [
        (rule.id, rule.labels.text()) for rule in rules.lifecycle().values() if rule.id in actions
    ]
    context: dict[str, Any] = {
        "member": member,
        "actions": actions,
        "transitions": transitions,
        "pending": access.pending_transitions(user, member, viewer),
        "missing_parts": [Part(p).label for p in queries.missing_parts(member)],
        "organisations": member.organisations.select_related("organisation"),
        "contacts": directory.listed_contacts(user, [member], viewer),
        "editable_parts": parts,
        "organisation_form": OrganisationForm(parts=parts, may_link=may_link) if parts else None,
        "contact_form": ContactForm(member=member, parts=parts) if parts else None,
        "accreditation_form": AccreditationForm() if Part.NHRI in parts else None,
        "commitments": access.visible_commitments(user, member, viewer),
        "commitment_kinds": rules.commitment_kinds(),
        "reviews": member.reviews.all() if access.VIEW_REVIEWS in actions else None,
        "history": (
            member.changes.select_related("actor") if access.VIEW_HISTORY in actions else None
        ),
        "publication_form": (
            PublicationForm(initial={"published": member.published_fields})
            if access.CHOOSE_PUBLICATION in actions
            else None
        ),
        "published": [
            labels.text()
            for key, labels in rules.publication_fields().items()
            if key in member.published_fields
        ],
        "scorecard": card,
        "reports": _visible_reports(user, card),
        "next_review": reviews.next_review_due(member),
        "public": member.status in PUBLIC_STATUSES,
    }
    return _render(request, "network/member_detail.html", context)


def _visible_reports(user: User, card: compute.Scorecard | None) -> list[Any]:
    """The intake reports behind the reprisals signal that `user` may read: counts are for
    everyone who sees the scorecard, the reports themselves for their handlers only."""
    if card is None:
        return []
    ids = [i for s in card.signals for i in s.record_ids]
    if not ids:
        return []
    return list(
        intake_access.visible_submissions(user).filter(pk__in=ids).only("id", "received_on")
    )


def _transition_form(
    rule: rules.TransitionRule, data: Any = None, files: Any = None, **kwargs: Any
) -> TransitionForm:
    if rules.LETTER in rule.requires:
        return InvitationForm(data, files, **kwargs)
    return TransitionForm(data, **kwargs)


@requires(RULE)
def member_transition(request: HttpRequest, country: str, transition: str) -> HttpResponse:
    user, viewer, member = _member(request, country)
    rule = rules.lifecycle().get(transition)
    if rule is None:
        raise Http404
    access.require_member(user, transition, member, viewer)
    initial = (
        {"letter_text": lifecycle.draft_letter(member)} if rules.LETTER in rule.requires else {}
    )
    if request.method != "POST":
        form = _transition_form(rule, initial=initial)
    else:
        form = _transition_form(rule, request.POST, request.FILES)
        if form.is_valid():
            letter = None
            if isinstance(form, InvitationForm):
                upload = form.cleaned_data.get("letter_file")
                letter = lifecycle.LetterInput(
                    text=form.cleaned_data.get("letter_text") or "",
                    file_name=upload.name if upload else "",
                    data=upload.read() if upload else None,
                )
            try:
                lifecycle.transition(
                    user, member, transition, reason=form.cleaned_data["reason"], letter=letter
                )
            except (ValidationError, DomainError, PermissionDenied) as error:
                _form_errors(form, error)
            else:
                member.refresh_from_db()
                messages.success(
                    request,
                    _("Done: %(step)s. The membership is now: %(status)s.")
                    % {"step": rule.labels.text(), "status": member.get_status_display()},
                )
                return redirect(_member_url(member))
    return _render(
        request,
        "network/member_transition.html",
        {
            "member": member,
            "rule": rule,
            "label": rule.labels.text(),
            "form": form,
            "refusal": access.member_refusal(member, transition),
        },
    )


@requires(RULE)
def letter_download(request: HttpRequest, country: str, pk: int) -> FileResponse:
    user, viewer, member = _member(request, country)
    access.require_member(user, access.VIEW_HISTORY, member, viewer)
    letter = get_object_or_404(InvitationLetter, member=member, pk=pk)
    if letter.data:
        body, name = bytes(letter.data), letter.file_name
    else:
        body, name = letter.text.encode(), f"invitation-{member.country}.txt"
    return FileResponse(
        io.BytesIO(body),
        as_attachment=True,
        filename=name,
        content_type=letter.media_type or "text/plain",
    )


# --- delegation and publication -------------------------------------------------------------------


@requires(RULE)
@require_POST
def organisation_add(request: HttpRequest, country: str) -> HttpResponse:
    user, viewer, member = _member(request, country)
    parts = access.editable_parts(user, member, viewer)
    form = OrganisationForm(
        request.POST, parts=parts, may_link=access.S in viewer.capacities(member)
    )
    return _form_done(
        request,
        form,
        _member_url(member, "delegation"),
        lambda data: members.add_organisation(
            user,
            member,
            members.OrganisationInput(
                part=data["part"],
                name=data["name"],
                organisation=data.get("organisation"),
                accreditation=data.get("accreditation") or "",
                accredited_on=data.get("accredited_on"),
            ),
        ),
        _("The organisation is in the delegation."),
    )


@requires(RULE)
@require_POST
def organisation_remove(request: HttpRequest, country: str, pk: int) -> HttpResponse:
    user, _viewer, member = _member(request, country)
    organisation = get_object_or_404(DelegateOrganisation, member=member, pk=pk)
    return _done(
        request,
        _member_url(member, "delegation"),
        lambda: members.remove_organisation(user, organisation),
        _("The organisation is no longer in the delegation."),
    )


@requires(RULE)
@require_POST
def accreditation_set(request: HttpRequest, country: str, pk: int) -> HttpResponse:
    user, _viewer, member = _member(request, country)
    organisation = get_object_or_404(DelegateOrganisation, member=member, pk=pk)
    form = AccreditationForm(request.POST)
    return _form_done(
        request,
        form,
        _member_url(member, "delegation"),
        lambda data: members.set_accreditation(
            user,
            organisation,
            data["accreditation"],
            data.get("accredited_on"),
        ),
        _("The accreditation status is recorded."),
        problem=_("Choose an accreditation status."),
    )


@requires(RULE)
@require_POST
@sensitive_post_parameters("name", "email", "phone")
def contact_add(request: HttpRequest, country: str) -> HttpResponse:
    user, viewer, member = _member(request, country)
    parts = access.editable_parts(user, member, viewer)
    form = ContactForm(request.POST, member=member, parts=parts)
    return _form_done(
        request,
        form,
        _member_url(member, "delegation"),
        lambda data: members.add_contact(
            user,
            member,
            members.ContactInput(
                part=data["part"],
                name=data["name"],
                function=data.get("function") or "",
                responsibilities=data.get("responsibilities") or "",
                email=data.get("email") or "",
                phone=data.get("phone") or "",
                delegate_organisation=data.get("delegate_organisation"),
                listed_publicly=bool(data.get("listed_publicly")),
            ),
        ),
        _("The focal point is in the delegation."),
    )


@requires(RULE)
@require_POST
def contact_remove(request: HttpRequest, country: str, pk: int) -> HttpResponse:
    user, _viewer, member = _member(request, country)
    contact = get_object_or_404(ContactPerson, member=member, pk=pk)
    return _done(
        request,
        _member_url(member, "delegation"),
        lambda: members.remove_contact(user, contact),
        _("The focal point is no longer in the delegation."),
    )


@requires(RULE)
@require_POST
def publication(request: HttpRequest, country: str) -> HttpResponse:
    user, _viewer, member = _member(request, country)
    form = PublicationForm(request.POST)
    return _form_done(
        request,
        form,
        _member_url(member, "publication"),
        lambda data: members.set_publication(user, member, data["published"]),
        _("The public page shows what you chose."),
        problem=_("Choose from the list."),
    )


# --- commitments --------------------------------------------------------------------------------


@requires(RULE)
def commitment_add(request: HttpRequest, country: str) -> HttpResponse:
    user, viewer, member = _member(request, country)
    access.require_member(user, access.ADD_COMMITMENT, member, viewer)
    form = CommitmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        indicators = [
            commitments.IndicatorInput(
                description=data.get(f"indicator_{index}") or "",
                target=data.get(f"target_{index}") or "",
            )
            for index in range(len(form.indicator_rows()))
        ]
        try:
            commitment = commitments.add_commitment(
                user,
                member,
                commitments.CommitmentInput(
                    kind=data["kind"],
                    title=data["title"],
                    description=data.get("description") or "",
                    pledged_on=data.get("pledged_on"),
                    due_on=data.get("due_on"),
                    indicators=indicators,
                    publish=bool(data.get("publish")),
                ),
            )
        except (ValidationError, DomainError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The commitment is recorded."))
            return redirect("network:commitment_detail", pk=commitment.pk)
    return _render(request, "network/commitment_form.html", {"member": member, "form": form})


def _commitment(request: HttpRequest, pk: int) -> tuple[User, access.Viewer, Commitment]:
    user = signed_in_user(request)
    viewer = _viewer(request)
    commitment = get_object_or_404(access.visible_commitments(user, viewer=viewer), pk=pk)
    return user, viewer, commitment


@requires(RULE)
def commitment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, viewer, commitment = _commitment(request, pk)
    actions = access.commitment_actions_on(user, commitment, viewer)
    reports = list(commitment.progress_reports.select_related("author"))
    show_comments = bool(reports) and access.comments_visible(user, reports[0], viewer)
    return _render(
        request,
        "network/commitment_detail.html",
        {
            "commitment": commitment,
            "member": commitment.member,
            "kind": rules.commitment_kinds().get(commitment.kind),
            "actions": actions,
            "reports": [
                (report, list(report.comments.all()) if show_comments else None)
                for report in reports
            ],
            "progress_form": ProgressForm(),
            "comment_form": TextForm(),
            "close_form": CloseCommitmentForm(),
        },
    )


@requires(RULE)
@require_POST
def commitment_publish(request: HttpRequest, pk: int) -> HttpResponse:
    user, _viewer, commitment = _commitment(request, pk)
    return _done(
        request,
        reverse("network:commitment_detail", args=[pk]),
        lambda: commitments.publish_commitment(user, commitment),
        _("The commitment is published."),
    )


@requires(RULE)
@require_POST
def commitment_close(request: HttpRequest, pk: int) -> HttpResponse:
    user, _viewer, commitment = _commitment(request, pk)
    form = CloseCommitmentForm(request.POST)
    return _form_done(
        request,
        form,
        reverse("network:commitment_detail", args=[pk]),
        lambda data: commitments.close_commitment(
            user, commitment, data["state"], on=data.get("closed_on")
        ),
        _("The commitment is closed."),
        problem=_("Choose fulfilled or withdrawn."),
    )


@requires(RULE)
@require_POST
def progress_add(request: HttpRequest, pk: int) -> HttpResponse:
    user, _viewer, commitment = _commitment(request, pk)
    form = ProgressForm(request.POST)
    return _form_done(
        request,
        form,
        reverse("network:commitment_detail", args=[pk]),
        lambda data: commitments.report_progress(
            user, commitment, data["assessment"], data["text"]
        ),
        _("The progress report is recorded."),
        problem=_("Say where the commitment stands and what was done."),
    )


@requires(RULE)
@require_POST
def progress_comment(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    viewer = _viewer(request)
    report = get_object_or_404(
        ProgressReport.objects.filter(
            commitment__in=access.visible_commitments(user, viewer=viewer)
        ).select_related("commitment__member"),
        pk=pk,
    )
    form = TextForm(request.POST)
    target = reverse("network:commitment_detail", args=[report.commitment_id])
    return _form_done(
        request,
        form,
        target,
        lambda data: commitments.comment_progress(user, report, data["text"]),
        _("The comment is recorded."),
        problem=_("Write the comment."),
    )


# --- reviews ----------------------------------------------------------------------------------


def _review(request: HttpRequest, pk: int) -> tuple[User, access.Viewer, Review]:
    user = signed_in_user(request)
    viewer = _viewer(request)
    review = get_object_or_404(access.visible_reviews(user, viewer), pk=pk)
    return user, viewer, review


@requires(RULE)
@never_cache
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, viewer, review = _review(request, pk)
    actions = access.review_actions_on(user, review, viewer)
    kept = reviews.kept_scorecard(review)
    live = compute.for_member(review.member)
    return _render(
        request,
        "network/review_detail.html",
        {
            "review": review,
            "member": review.member,
            "actions": actions,
            "submissions": access.visible_submissions(user, review, viewer).select_related(
                "author"
            ),
            "part": access.submitting_part(user, review, viewer),
            "scorecard": kept,
            "reprisals": next((s for s in live.signals if s.id == "nhri_reprisals"), None),
            "reports": _visible_reports(user, live),
            "submit_form": TextForm(),
            "summary_form": TextForm(
                initial={"text": review.summary} if "summarise" in actions else None
            ),
            "recommendation_form": RecommendationForm(),
        },
    )


@requires(RULE)
@require_POST
def review_submit(request: HttpRequest, pk: int) -> HttpResponse:
    user, _viewer, review = _review(request, pk)
    form = TextForm(request.POST)
    target = reverse("network:review_detail", args=[pk])
    return _form_done(
        request,
        form,
        target,
        lambda data: reviews.submit(user, review, data["text"]),
        _("The submission is recorded."),
        problem=_("Write the submission."),
    )


@requires(RULE)
@require_POST
def review_summarise(request: HttpRequest, pk: int) -> HttpResponse:
    user, _viewer, review = _review(request, pk)
    form = TextForm(request.POST)
    target = reverse("network:review_detail", args=[pk])
    return _form_done(
        request,
        form,
        target,
        lambda data: reviews.summarise(user, review, data["text"]),
        _("The summary is recorded, with the scorecard as it stands today."),
        problem=_("Write the summary."),
    )


@requires(RULE)
@require_POST
def review_recommend(request: HttpRequest, pk: int) -> HttpResponse:
    user, _viewer, review = _review(request, pk)
    form = RecommendationForm(request.POST)
    target = reverse("network:review_detail", args=[pk])
    return _form_done(
        request,
        form,
        target,
        lambda data: reviews.recommend(user, review, data["outcome"], data["text"]),
        _("The recommendation is recorded and the review concluded."),
        problem=_("Choose an outcome and write the recommendation."),
    )


# --- the scorecard, the directory --------------------------------------------------------------


@requires(RULE)
def scorecard(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    access.require_network(user, access.VIEW_SCORECARDS, _viewer(request))
    cards = compute.compute()
    return _render(
        request,
        "network/scorecard.html",
        {"cards": cards, "signals": rules.signals().values(), "as_of": queries.today()},
    )


@requires(RULE)
@never_cache
def directory_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    access.require_network(user, access.VIEW_DIRECTORY, _viewer(request))
    return _render(request, "network/directory.html", {"contacts": directory.listed_contacts(user)})


# --- governance -------------------------------------------------------------------------------


@requires(RULE)
def governance_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    viewer = _viewer(request)
    actions = access.network_actions(user, viewer)
    if access.VIEW_GOVERNANCE not in actions:
        raise PermissionDenied
    manage = access.MANAGE_GOVERNANCE in actions
    return _render(
        request,
        "network/governance.html",
        {
            "schedule": governance.rotation_schedule(),
            "settings": rules.settings(),
            "steering": governance.current_steering_group(),
            "past_steering": governance.past_steering_seats(),
            "secretariats": Organisation.objects.filter(
                kind=Organisation.Kind.SECRETARIAT, is_active=True
            ),
            "actions": actions,
            "term_form": TermForm(members=Member.objects.filter(status=Status.ACTIVE))
            if manage
            else None,
            "steering_form": SteeringForm() if manage else None,
        },
    )


@requires(RULE)
@require_POST
def co_chairs_confirm_next(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return _done(
        request,
        reverse("network:governance"),
        lambda: governance.confirm_next_term(user),
        _("The next co-chairs' term is confirmed."),
    )


@requires(RULE)
@require_POST
def co_chairs_confirm(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = TermForm(request.POST, members=Member.objects.filter(status=Status.ACTIVE))
    return _form_done(
        request,
        form,
        reverse("network:governance"),
        lambda data: governance.confirm_term(
            user,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            members=list(data["members"]),
        ),
        _("The co-chairs' term is confirmed."),
    )


@requires(RULE)
@require_POST
def steering_add(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = SteeringForm(request.POST)
    return _form_done(
        request,
        form,
        reverse("network:governance"),
        lambda data: governance.add_steering_member(
            user,
            governance.SteeringInput(
                name=data["name"],
                mandate=data["mandate"],
                kind=data["kind"],
                starts_on=data["starts_on"],
                user=data.get("username"),
            ),
        ),
        _("The steering group has a new member."),
    )


@requires(RULE)
@require_POST
def steering_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    seat = get_object_or_404(SteeringMember, pk=pk)
    return _done(
        request,
        reverse("network:governance"),
        lambda: governance.end_steering_seat(user, seat),
        _("The seat has ended."),
    )


# --- meetings ---------------------------------------------------------------------------------


def _meeting_input(form: MeetingForm) -> meetings.MeetingInput:
    data = form.cleaned_data
    return meetings.MeetingInput(
        title=data["title"],
        kind=data["kind"],
        held_on=data.get("held_on"),
        place=data.get("place") or "",
        agenda=data.get("agenda") or "",
        minutes=data.get("minutes") or "",
        members=list(data.get("members") or []),
        steering_members=list(data.get("steering_members") or []),
        other_participants=data.get("other_participants") or "",
    )


@requires(RULE)
def meeting_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    viewer = _viewer(request)
    access.require_network(user, access.VIEW_MEETINGS, viewer)
    return _render(
        request,
        "network/meeting_list.html",
        {
            "meetings": access.visible_meetings(user, viewer).prefetch_related("members"),
            "actions": access.network_actions(user, viewer),
        },
    )


@requires(RULE)
def meeting_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    access.require_network(user, access.MANAGE_MEETINGS, _viewer(request))
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = meetings.create_meeting(user, _meeting_input(form))
        except (ValidationError, DomainError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The meeting is recorded."))
            return redirect("network:meeting_detail", pk=meeting.pk)
    return _render(request, "network/meeting_form.html", {"form": form, "meeting": None})


def _meeting(request: HttpRequest, pk: int) -> tuple[User, access.Viewer, Meeting]:
    user = signed_in_user(request)
    viewer = _viewer(request)
    meeting = get_object_or_404(access.visible_meetings(user, viewer), pk=pk)
    return user, viewer, meeting


@requires(RULE)
@never_cache
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, viewer, meeting = _meeting(request, pk)
    return _render(
        request,
        "network/meeting_detail.html",
        {
            "meeting": meeting,
            "actions": access.network_actions(user, viewer),
            "decision_form": DecisionForm(),
            "action_form": ActionItemForm(),
        },
    )


@requires(RULE)
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user, viewer, meeting = _meeting(request, pk)
    access.require_network(user, access.MANAGE_MEETINGS, viewer)
    initial = {
        "title": meeting.title,
        "kind": meeting.kind,
        "held_on": meeting.held_on,
        "place": meeting.place,
        "agenda": meeting.agenda,
        "minutes": meeting.minutes,
        "members": list(meeting.members.all()),
        "steering_members": list(meeting.steering_members.all()),
        "other_participants": meeting.other_participants,
    }
    form = MeetingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            meetings.update_meeting(user, meeting, _meeting_input(form))
        except (ValidationError, DomainError, PermissionDenied) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The meeting record is saved."))
            return redirect("network:meeting_detail", pk=meeting.pk)
    return _render(request, "network/meeting_form.html", {"form": form, "meeting": meeting})


@requires(RULE)
@require_POST
def decision_add(request: HttpRequest, pk: int) -> HttpResponse:
    user, _viewer, meeting = _meeting(request, pk)
    form = DecisionForm(request.POST)
    target = reverse("network:meeting_detail", args=[pk])
    return _form_done(
        request,
        form,
        target,
        lambda data: meetings.add_decision(user, meeting, data["text"]),
        _("The decision is recorded."),
        problem=_("Write the decision."),
    )


@requires(RULE)
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    user, _viewer, meeting = _meeting(request, pk)
    form = ActionItemForm(request.POST)
    target = reverse("network:meeting_detail", args=[pk])
    return _form_done(
        request,
        form,
        target,
        lambda data: meetings.add_action_item(
            user,
            meeting,
            meetings.ActionItemInput(
                description=data["description"],
                member=data.get("member"),
                owner=data.get("owner") or "",
                due_on=data.get("due_on"),
            ),
        ),
        _("The action item is recorded."),
        problem=_("Describe the action."),
    )


@requires(RULE)
@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    item = get_object_or_404(
        ActionItem.objects.filter(meeting__in=access.visible_meetings(user)), pk=pk
    )
    return _done(
        request,
        reverse("network:meeting_detail", args=[item.meeting_id]),
        lambda: meetings.complete_action_item(user, item),
        _("The action is done."),
    )


# --- exports ---------------------------------------------------------------------------------


@requires(RULE)
def export_index(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return _render(request, "network/export.html", {"tables": exports.available_tables(user)})


@requires(RULE)
def export_table(request: HttpRequest, table: str) -> HttpResponse:
    user = signed_in_user(request)
    if table not in exports.TABLES:
        raise Http404
    try:
        text = exports.export(user, table)
    except DomainError as error:  # a value the keys here do not open: no file with a label
        messages.error(request, _error_text(error))
        return redirect("network:export")
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="network-{table}.csv"'
    return response

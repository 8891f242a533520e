"""The network API: /api/v1/network/… (mounted by amparo.api.main, token authentication).

Reads apply `amparo.network.access` as the pages do (focal points through the directory rules,
submissions per part, the scorecard for those who may see it); writes call the same services.
Refusals are 4xx answers with the reason.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from amparo.core.models import Organisation, User
from amparo.core.permissions import signed_in_user
from amparo.network import access, directory, keys, queries, rules
from amparo.network.models import Commitment, Meeting, Member, ProgressReport, Review
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

router = Router(tags=["network"])


class Problem(Schema):
    detail: Any


ERRORS: dict[int, type[Schema]] = {400: Problem, 403: Problem, 404: Problem, 422: Problem}


# --- schemas -------------------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: int
    part: str
    name: str
    organisation: str | None
    accreditation: str
    accredited_on: datetime.date | None


class FocalPointOut(Schema):
    id: int
    country: str
    part: str
    organisation: str = ""
    name: str | None = None
    function: str | None = None
    responsibilities: str | None = None
    email: str | None = None
    phone: str | None = None


class IndicatorOut(Schema):
    description: str
    target: str


class CommentOut(Schema):
    part: str
    text: str
    commented_on: datetime.date


class ProgressOut(Schema):
    id: int
    reported_on: datetime.date
    assessment: str
    text: str
    comments: list[CommentOut] | None


class CommitmentOut(Schema):
    id: int
    country: str
    kind: str
    title: str
    description: str
    pledged_on: datetime.date
    due_on: datetime.date
    state: str
    closed_on: datetime.date | None
    published_on: datetime.date | None
    indicators: list[IndicatorOut]
    progress: list[ProgressOut]
    actions: list[str]


class SignalOut(Schema):
    id: str
    label: dict[str, str]
    value: float | None
    previous: float | None
    trend: str
    flagged: bool
    available: bool
    rule: str
    explanation: str
    source: str
    source_url: str
    window_months: int


class ScorecardOut(Schema):
    country: str
    country_name: str
    status: str
    as_of: datetime.date
    flagged: bool
    flagged_signals: int
    signals: list[SignalOut]


class SubmissionOut(Schema):
    part: str
    text: str
    submitted_on: datetime.date


class ReviewOut(Schema):
    id: int
    country: str
    number: int
    stage: str
    opened_on: datetime.date
    summarised_on: datetime.date | None
    concluded_on: datetime.date | None
    outcome: str
    summary: str
    recommendation: str
    submissions: list[SubmissionOut]
    scorecard: ScorecardOut | None
    actions: list[str]


class ChangeOut(Schema):
    transition: str
    from_status: str
    to_status: str
    reason: str
    on: datetime.date


class MemberOut(Schema):
    country: str
    country_name: str
    status: str
    status_since: datetime.date
    joined_on: datetime.date | None
    delegation_complete: bool
    missing_parts: list[str]
    published_fields: list[str]


class MemberDetailOut(MemberOut):
    actions: list[str]
    organisations: list[OrganisationOut]
    focal_points: list[FocalPointOut]
    commitments: list[CommitmentOut]
    reviews: list[int] | None
    history: list[ChangeOut] | None
    scorecard: ScorecardOut | None


class TermOut(Schema):
    starts_on: datetime.date
    ends_on: datetime.date
    countries: list[str]
    confirmed: bool


class SteeringOut(Schema):
    id: int
    name: str
    mandate: str
    kind: str
    starts_on: datetime.date


class GovernanceOut(Schema):
    co_chairs: list[TermOut]
    steering_group: list[SteeringOut]
    secretariat: list[str]


class ActionItemOut(Schema):
    id: int
    description: str
    country: str | None
    owner: str
    due_on: datetime.date | None
    done_on: datetime.date | None


class MeetingOut(Schema):
    id: int
    title: str
    kind: str
    held_on: datetime.date
    place: str
    agenda: str
    minutes: str
    delegations: list[str]
    other_participants: str
    decisions: list[str]
    action_items: list[ActionItemOut]


# --- inputs ---------------------------------------------------------------------------------------


class ProposeIn(Schema):
    country: str
    reason: str


class TransitionIn(Schema):
    transition: str
    reason: str
    letter_text: str = ""


class OrganisationIn(Schema):
    part: str
    name: str
    organisation: str | None = None
    accreditation: str = ""
    accredited_on: datetime.date | None = None


class FocalPointIn(Schema):
    part: str
    name: str
    function: str = ""
    responsibilities: str = ""
    email: str = ""
    phone: str = ""
    organisation_id: int | None = None
    listed_publicly: bool = False


class PublicationIn(Schema):
    fields: list[str]


class IndicatorIn(Schema):
    description: str
    target: str = ""


class CommitmentIn(Schema):
    kind: str
    title: str
    description: str = ""
    pledged_on: datetime.date | None = None
    due_on: datetime.date
    indicators: list[IndicatorIn]
    publish: bool = False


class ProgressIn(Schema):
    assessment: str
    text: str


class TextIn(Schema):
    text: str


class RecommendationIn(Schema):
    outcome: str
    text: str


class MeetingIn(Schema):
    title: str
    kind: str
    held_on: datetime.date
    place: str = ""
    agenda: str = ""
    minutes: str = ""
    delegations: list[str] = []
    other_participants: str = ""


# --- presenting ---------------------------------------------------------------------------------


def _member_out(member: Member) -> dict[str, Any]:
    missing = queries.missing_parts(member)
    return {
        "country": member.country,
        "country_name": member.country_name,
        "status": member.status,
        "status_since": member.status_since,
        "joined_on": member.joined_on,
        "delegation_complete": not missing,
        "missing_parts": missing,
        "published_fields": list(member.published_fields),
    }


def _commitment_out(user: User, viewer: access.Viewer, commitment: Commitment) -> dict[str, Any]:
    reports = list(commitment.progress_reports.all())
    show_comments = bool(reports) and access.comments_visible(user, reports[0], viewer)
    return {
        "id": commitment.pk,
        "country": commitment.member.country,
        "kind": commitment.kind,
        "title": commitment.title,
        "description": commitment.description,
        "pledged_on": commitment.pledged_on,
        "due_on": commitment.due_on,
        "state": commitment.state,
        "closed_on": commitment.closed_on,
        "published_on": commitment.published_on,
        "indicators": [
            {"description": i.description, "target": i.target} for i in commitment.indicators.all()
        ],
        "progress": [
            {
                "id": r.pk,
                "reported_on": r.reported_on,
                "assessment": r.assessment,
                "text": r.text,
                "comments": [
                    {"part": c.part, "text": c.text, "commented_on": c.commented_on}
                    for c in r.comments.all()
                ]
                if show_comments
                else None,
            }
            for r in reports
        ],
        "actions": sorted(access.commitment_actions_on(user, commitment, viewer)),
    }


def _contact_out(contact: directory.ListedContact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "country": contact.country,
        "part": contact.part,
        "organisation": contact.organisation,
        "name": contact.name,
        "function": contact.function,
        "responsibilities": contact.responsibilities,
        "email": contact.email,
        "phone": contact.phone,
    }


def _member(user: User, viewer: access.Viewer, country: str) -> Member:
    return get_object_or_404(access.visible_members(user, viewer), country=country.upper())


def _scorecard_out(card: compute.Scorecard) -> dict[str, Any]:
    return compute.card_data(card)


# --- members ------------------------------------------------------------------------------------


@router.get("/network/members", response={200: list[MemberOut], **ERRORS}, summary="Members")
def list_members(request: HttpRequest) -> list[dict[str, Any]]:
    user = signed_in_user(request)
    return [_member_out(m) for m in access.visible_members(user).order_by("country")]


@router.get(
    "/network/members/{country}", response={200: MemberDetailOut, **ERRORS}, summary="One member"
)
def get_member(request: HttpRequest, country: str) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    member = _member(user, viewer, country)
    actions = access.member_actions_on(user, member, viewer)
    visible = access.visible_commitments(user, member, viewer).prefetch_related(
        "indicators", "progress_reports__comments"
    )
    return {
        **_member_out(member),
        "actions": sorted(actions),
        "organisations": [
            {
                "id": o.pk,
                "part": o.part,
                "name": o.name,
                "organisation": o.organisation.short_code if o.organisation else None,
                "accreditation": o.accreditation,
                "accredited_on": o.accredited_on,
            }
            for o in member.organisations.select_related("organisation")
        ],
        "focal_points": [
            _contact_out(c) for c in directory.listed_contacts(user, [member], viewer)
        ],
        "commitments": [_commitment_out(user, viewer, c) for c in visible],
        "reviews": [r.number for r in member.reviews.all()]
        if access.VIEW_REVIEWS in actions
        else None,
        "history": [
            {
                "transition": c.transition,
                "from_status": c.from_status,
                "to_status": c.to_status,
                "reason": c.reason,
                "on": c.on,
            }
            for c in member.changes.all()
        ]
        if access.VIEW_HISTORY in actions
        else None,
        "scorecard": _scorecard_out(compute.for_member(member))
        if access.VIEW_SCORECARD in actions
        else None,
    }


@router.post("/network/members", response={201: MemberOut, **ERRORS}, summary="Propose a State")
def propose_member(request: HttpRequest, body: ProposeIn) -> Status[dict[str, Any]]:
    member = members.propose_member(
        signed_in_user(request), country=body.country, reason=body.reason
    )
    return Status(201, _member_out(member))


@router.post(
    "/network/members/{country}/transitions",
    response={200: MemberOut, **ERRORS},
    summary="Take a step of the membership lifecycle",
)
def take_transition(request: HttpRequest, country: str, body: TransitionIn) -> dict[str, Any]:
    user = signed_in_user(request)
    member = _member(user, keys.viewer(user), country)
    letter = lifecycle.LetterInput(text=body.letter_text) if body.letter_text.strip() else None
    lifecycle.transition(user, member, body.transition, reason=body.reason, letter=letter)
    member.refresh_from_db()
    return _member_out(member)


@router.post(
    "/network/members/{country}/organisations",
    response={201: OrganisationOut, **ERRORS},
    summary="Add an organisation to a delegation",
)
def add_organisation(
    request: HttpRequest, country: str, body: OrganisationIn
) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    member = _member(user, keys.viewer(user), country)
    linked = None
    if body.organisation:
        linked = get_object_or_404(Organisation, short_code=body.organisation, is_active=True)
    organisation = members.add_organisation(
        user,
        member,
        members.OrganisationInput(
            part=body.part,
            name=body.name,
            organisation=linked,
            accreditation=body.accreditation,
            accredited_on=body.accredited_on,
        ),
    )
    return Status(
        201,
        {
            "id": organisation.pk,
            "part": organisation.part,
            "name": organisation.name,
            "organisation": linked.short_code if linked else None,
            "accreditation": organisation.accreditation,
            "accredited_on": organisation.accredited_on,
        },
    )


@router.post(
    "/network/members/{country}/focal-points",
    response={201: FocalPointOut, **ERRORS},
    summary="Add a focal point to a delegation",
)
def add_focal_point(
    request: HttpRequest, country: str, body: FocalPointIn
) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    member = _member(user, viewer, country)
    organisation = None
    if body.organisation_id is not None:
        organisation = get_object_or_404(member.organisations, pk=body.organisation_id)
    contact = members.add_contact(
        user,
        member,
        members.ContactInput(
            part=body.part,
            name=body.name,
            function=body.function,
            responsibilities=body.responsibilities,
            email=body.email,
            phone=body.phone,
            delegate_organisation=organisation,
            listed_publicly=body.listed_publicly,
        ),
    )
    listed = next(
        (c for c in directory.listed_contacts(user, [member]) if c.pk == contact.pk), None
    )
    if listed is None:  # added to a part whose focal points the adder may not read
        return Status(201, {"id": contact.pk, "country": member.country, "part": contact.part})
    return Status(201, _contact_out(listed))


@router.put(
    "/network/members/{country}/publication",
    response={200: MemberOut, **ERRORS},
    summary="Choose what the public page shows",
)
def set_publication(request: HttpRequest, country: str, body: PublicationIn) -> dict[str, Any]:
    user = signed_in_user(request)
    member = _member(user, keys.viewer(user), country)
    return _member_out(members.set_publication(user, member, body.fields))


# --- commitments ----------------------------------------------------------------------------


@router.get(
    "/network/commitments", response={200: list[CommitmentOut], **ERRORS}, summary="Commitments"
)
def list_commitments(request: HttpRequest) -> list[dict[str, Any]]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    visible = access.visible_commitments(user, viewer=viewer).prefetch_related(
        "indicators", "progress_reports__comments"
    )
    return [_commitment_out(user, viewer, c) for c in visible.order_by("member__country", "pk")]


def _commitment(user: User, viewer: access.Viewer, pk: int) -> Commitment:
    return get_object_or_404(access.visible_commitments(user, viewer=viewer), pk=pk)


@router.get(
    "/network/commitments/{int:commitment_id}",
    response={200: CommitmentOut, **ERRORS},
    summary="One commitment",
)
def get_commitment(request: HttpRequest, commitment_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    return _commitment_out(user, viewer, _commitment(user, viewer, commitment_id))


@router.post(
    "/network/members/{country}/commitments",
    response={201: CommitmentOut, **ERRORS},
    summary="Record a commitment",
)
def add_commitment(
    request: HttpRequest, country: str, body: CommitmentIn
) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    member = _member(user, viewer, country)
    commitment = commitments.add_commitment(
        user,
        member,
        commitments.CommitmentInput(
            kind=body.kind,
            title=body.title,
            description=body.description,
            pledged_on=body.pledged_on,
            due_on=body.due_on,
            indicators=[
                commitments.IndicatorInput(i.description, i.target) for i in body.indicators
            ],
            publish=body.publish,
        ),
    )
    return Status(201, _commitment_out(user, viewer, commitment))


@router.post(
    "/network/commitments/{int:commitment_id}/publish",
    response={200: CommitmentOut, **ERRORS},
    summary="Publish a commitment",
)
def publish_commitment(request: HttpRequest, commitment_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    commitment = commitments.publish_commitment(user, _commitment(user, viewer, commitment_id))
    return _commitment_out(user, viewer, commitment)


@router.post(
    "/network/commitments/{int:commitment_id}/progress",
    response={201: CommitmentOut, **ERRORS},
    summary="Report progress on a commitment",
)
def report_progress(
    request: HttpRequest, commitment_id: int, body: ProgressIn
) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    commitment = _commitment(user, viewer, commitment_id)
    commitments.report_progress(user, commitment, body.assessment, body.text)
    return Status(201, _commitment_out(user, viewer, commitment))


@router.post(
    "/network/progress/{int:report_id}/comments",
    response={201: CommitmentOut, **ERRORS},
    summary="Comment on a progress report",
)
def comment_progress(request: HttpRequest, report_id: int, body: TextIn) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    report = get_object_or_404(
        ProgressReport.objects.filter(
            commitment__in=access.visible_commitments(user, viewer=viewer)
        ),
        pk=report_id,
    )
    commitments.comment_progress(user, report, body.text)
    return Status(201, _commitment_out(user, viewer, report.commitment))


# --- reviews and the scorecard ----------------------------------------------------------------


def _review_out(user: User, viewer: access.Viewer, review: Review) -> dict[str, Any]:
    allowed = access.permitted_review_actions(user, review, viewer)
    kept = reviews.kept_scorecard(review)
    return {
        "id": review.pk,
        "country": review.member.country,
        "number": review.number,
        "stage": review.stage,
        "opened_on": review.opened_on,
        "summarised_on": review.summarised_on,
        "concluded_on": review.concluded_on,
        "outcome": review.outcome,
        "summary": review.summary,
        "recommendation": review.recommendation,
        "submissions": [
            {"part": s.part, "text": s.text, "submitted_on": s.submitted_on}
            for s in access.visible_submissions(user, review, viewer)
        ],
        "scorecard": _scorecard_out(kept) if kept and access.VIEW_REVIEW in allowed else None,
        "actions": sorted(access.review_actions_on(user, review, viewer)),
    }


def _review(user: User, viewer: access.Viewer, pk: int) -> Review:
    return get_object_or_404(access.visible_reviews(user, viewer), pk=pk)


@router.get(
    "/network/reviews/{int:review_id}", response={200: ReviewOut, **ERRORS}, summary="One review"
)
def get_review(request: HttpRequest, review_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    return _review_out(user, viewer, _review(user, viewer, review_id))


@router.post(
    "/network/reviews/{int:review_id}/submissions",
    response={201: ReviewOut, **ERRORS},
    summary="Submit to a review (self-assessment, NHRI, civil society)",
)
def submit_to_review(request: HttpRequest, review_id: int, body: TextIn) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    review = _review(user, viewer, review_id)
    reviews.submit(user, review, body.text)
    return Status(201, _review_out(user, viewer, review))


@router.post(
    "/network/reviews/{int:review_id}/summary",
    response={200: ReviewOut, **ERRORS},
    summary="The secretariat's summary of a review",
)
def summarise_review(request: HttpRequest, review_id: int, body: TextIn) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    review = reviews.summarise(user, _review(user, viewer, review_id), body.text)
    return _review_out(user, viewer, review)


@router.post(
    "/network/reviews/{int:review_id}/recommendation",
    response={200: ReviewOut, **ERRORS},
    summary="The steering group's recommendation and outcome",
)
def recommend(request: HttpRequest, review_id: int, body: RecommendationIn) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    review = reviews.recommend(user, _review(user, viewer, review_id), body.outcome, body.text)
    return _review_out(user, viewer, review)


@router.get(
    "/network/scorecard",
    response={200: list[ScorecardOut], **ERRORS},
    summary="Every member's backsliding scorecard",
)
def scorecard(request: HttpRequest) -> list[dict[str, Any]]:
    access.require_network(signed_in_user(request), access.VIEW_SCORECARDS)
    return [_scorecard_out(card) for card in compute.compute()]


@router.get(
    "/network/members/{country}/scorecard",
    response={200: ScorecardOut, **ERRORS},
    summary="One member's backsliding scorecard",
)
def member_scorecard(request: HttpRequest, country: str) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = keys.viewer(user)
    member = _member(user, viewer, country)
    access.require_member(user, access.VIEW_SCORECARD, member, viewer)
    return _scorecard_out(compute.for_member(member))


# --- directory, governance, meetings, exports ---------------------------------------------------


@router.get(
    "/network/directory",
    response={200: list[FocalPointOut], **ERRORS},
    summary="The directory of focal points",
)
def directory_list(request: HttpRequest) -> list[dict[str, Any]]:
    user = signed_in_user(request)
    access.require_network(user, access.VIEW_DIRECTORY)
    return [_contact_out(c) for c in directory.listed_contacts(user, viewer=keys.viewer(user))]


@router.get("/network/governance", response={200: GovernanceOut, **ERRORS}, summary="Governance")
def governance_view(request: HttpRequest) -> dict[str, Any]:
    access.require_network(signed_in_user(request), access.VIEW_GOVERNANCE)
    return {
        "co_chairs": [
            {
                "starts_on": t.starts_on,
                "ends_on": t.ends_on,
                "countries": [m.country for m in t.members],
                "confirmed": t.confirmed,
            }
            for t in governance.rotation_schedule()
        ],
        "steering_group": [
            {
                "id": s.pk,
                "name": s.name,
                "mandate": s.mandate,
                "kind": s.kind,
                "starts_on": s.starts_on,
            }
            for s in governance.current_steering_group()
        ],
        "secretariat": list(
            Organisation.objects.filter(
                kind=Organisation.Kind.SECRETARIAT, is_active=True
            ).values_list("name", flat=True)
        ),
    }


def _meeting_out(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "kind": meeting.kind,
        "held_on": meeting.held_on,
        "place": meeting.place,
        "agenda": meeting.agenda,
        "minutes": meeting.minutes,
        "delegations": sorted(m.country for m in meeting.members.all()),
        "other_participants": meeting.other_participants,
        "decisions": [d.text for d in meeting.decisions.all()],
        "action_items": [
            {
                "id": a.pk,
                "description": a.description,
                "country": a.member.country if a.member else None,
                "owner": a.owner,
                "due_on": a.due_on,
                "done_on": a.done_on,
            }
            for a in meeting.action_items.select_related("member")
        ],
    }


@router.get("/network/meetings", response={200: list[MeetingOut], **ERRORS}, summary="Meetings")
def list_meetings(request: HttpRequest) -> list[dict[str, Any]]:
    user = signed_in_user(request)
    access.require_network(user, access.VIEW_MEETINGS)
    found = access.visible_meetings(user).prefetch_related("members", "decisions")
    return [_meeting_out(m) for m in found]


@router.get(
    "/network/meetings/{int:meeting_id}",
    response={200: MeetingOut, **ERRORS},
    summary="One meeting",
)
def get_meeting(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    return _meeting_out(get_object_or_404(access.visible_meetings(user), pk=meeting_id))


@router.post("/network/meetings", response={201: MeetingOut, **ERRORS}, summary="Record a meeting")
def create_meeting(request: HttpRequest, body: MeetingIn) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    delegations = list(Member.objects.filter(country__in=[c.upper() for c in body.delegations]))
    meeting = meetings.create_meeting(
        user,
        meetings.MeetingInput(
            title=body.title,
            kind=body.kind,
            held_on=body.held_on,
            place=body.place,
            agenda=body.agenda,
            minutes=body.minutes,
            members=delegations,
            other_participants=body.other_participants,
        ),
    )
    return Status(201, _meeting_out(meeting))


@router.get(
    "/network/export/{table}",
    response={200: str, **ERRORS},
    summary="A table of the network as CSV",
)
def export_table(request: HttpRequest, table: str) -> HttpResponse:
    if table not in exports.TABLES:
        raise Http404
    text = exports.export(signed_in_user(request), table)
    return HttpResponse(text, content_type="text/csv; charset=utf-8")


# Names the rules file offers, for clients building forms.
@router.get("/network/rules", response={200: dict[str, Any], **ERRORS}, summary="Vocabularies")
def rule_names(request: HttpRequest) -> dict[str, Any]:
    signed_in_user(request)
    return {
        "transitions": {k: r.labels.as_dict() for k, r in rules.lifecycle().items()},
        "commitment_kinds": {k: v.as_dict() for k, v in rules.commitment_kinds().items()},
        "publication_fields": {k: v.as_dict() for k, v in rules.publication_fields().items()},
        "signals": {k: r.labels.as_dict() for k, r in rules.signals().items()},
    }

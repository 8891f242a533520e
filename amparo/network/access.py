"""Who may do what in the network, and what the state of a record allows now.

Everyone acts in one or more *capacities* (`models.Capacity`), derived from their memberships:

* secretariat: the network secretariat role in an organisation of kind secretariat;
* co-chair: the State delegation of a member that co-chairs the current term and is active. A
  co-chair never acts as co-chair on its own membership (there it is the State delegation);
* steering group: a current steering-group seat linked to the account;
* State, NHRI or civil-society delegation of a member: an acting role (`DELEGATE_ROLES`) in an
  organisation named in that part of the member's delegation;
* observer: any staff member holding the `network.view` rule (core access).

Every capacity but the observer's needs at least restricted clearance, which makes two-factor
authentication mandatory for it. What each capacity may do is the tables below (and who may take
each transition, `rules/lifecycle.csv`); what the state of a record allows is `*_refusal`. Pages
ask `actions_on`; services call `ensure`, which applies both, so the button and the rule agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from amparo.core import access as core_access
from amparo.core.models import Clearance, Organisation, Role, User
from amparo.core.services import DomainError
from amparo.network import queries, rules
from amparo.network.models import (
    PARTICIPATING_STATUSES,
    PUBLIC_STATUSES,
    Capacity,
    Commitment,
    ContactPerson,
    Meeting,
    Member,
    Outcome,
    Part,
    ProgressReport,
    Review,
    ReviewSubmission,
    Status,
    SteeringMember,
    status_label,
)

RULE = "network.view"
MIN_CLEARANCE = Clearance.RESTRICTED
DELEGATE_ROLES = frozenset(
    {Role.ADMINISTRATOR, Role.FOCAL_POINT, Role.STATE_REPRESENTATIVE, Role.DOCUMENTALIST}
)
SECRETARIAT_ROLES = frozenset({Role.NETWORK_SECRETARIAT})

S, CC, SG = Capacity.SECRETARIAT, Capacity.CO_CHAIR, Capacity.STEERING
ST, NH, CS, OB = Capacity.STATE, Capacity.NHRI, Capacity.CIVIL_SOCIETY, Capacity.OBSERVER
DELEGATION = frozenset({ST, NH, CS})

# --- actions on a member ------------------------------------------------------------------------
VIEW = "view"
VIEW_HISTORY = "view_history"
VIEW_SCORECARD = "view_scorecard"
VIEW_REVIEWS = "view_reviews"
EDIT_DELEGATION = "edit_delegation"
CHOOSE_PUBLICATION = "choose_publication"
ADD_COMMITMENT = "add_commitment"

MEMBER_ACTIONS: dict[str, frozenset[str]] = {
    S: frozenset(
        {
            VIEW,
            VIEW_HISTORY,
            VIEW_SCORECARD,
            VIEW_REVIEWS,
            EDIT_DELEGATION,
            CHOOSE_PUBLICATION,
            ADD_COMMITMENT,
        }
    ),
    CC: frozenset({VIEW, VIEW_HISTORY, VIEW_SCORECARD, VIEW_REVIEWS}),
    SG: frozenset({VIEW, VIEW_HISTORY, VIEW_SCORECARD, VIEW_REVIEWS}),
    ST: frozenset(
        {
            VIEW,
            VIEW_HISTORY,
            VIEW_SCORECARD,
            VIEW_REVIEWS,
            EDIT_DELEGATION,
            CHOOSE_PUBLICATION,
            ADD_COMMITMENT,
        }
    ),
    NH: frozenset({VIEW, VIEW_HISTORY, VIEW_SCORECARD, VIEW_REVIEWS, EDIT_DELEGATION}),
    CS: frozenset({VIEW, VIEW_HISTORY, VIEW_SCORECARD, VIEW_REVIEWS, EDIT_DELEGATION}),
    OB: frozenset({VIEW}),
}

# --- actions on a commitment --------------------------------------------------------------------
VIEW_COMMITMENT = "view_commitment"
PUBLISH_COMMITMENT = "publish_commitment"
REPORT_PROGRESS = "report_progress"
COMMENT_PROGRESS = "comment_progress"
CLOSE_COMMITMENT = "close_commitment"

COMMITMENT_ACTIONS: dict[str, frozenset[str]] = {
    S: frozenset({VIEW_COMMITMENT, PUBLISH_COMMITMENT, CLOSE_COMMITMENT}),
    CC: frozenset({VIEW_COMMITMENT}),
    SG: frozenset({VIEW_COMMITMENT}),
    ST: frozenset({VIEW_COMMITMENT, PUBLISH_COMMITMENT, REPORT_PROGRESS}),
    NH: frozenset({VIEW_COMMITMENT, COMMENT_PROGRESS}),
    CS: frozenset({VIEW_COMMITMENT, COMMENT_PROGRESS}),
    # Observers see published commitments only (commitment_refusal).
    OB: frozenset({VIEW_COMMITMENT}),
}

# --- actions on a review -----------------------------------------------------------------------
VIEW_REVIEW = "view_review"
READ_SUBMISSIONS = "read_submissions"
SUBMIT = "submit"
SUMMARISE = "summarise"
RECOMMEND = "recommend"

REVIEW_ACTIONS: dict[str, frozenset[str]] = {
    S: frozenset({VIEW_REVIEW, READ_SUBMISSIONS, SUMMARISE}),
    CC: frozenset({VIEW_REVIEW}),
    SG: frozenset({VIEW_REVIEW, READ_SUBMISSIONS, RECOMMEND}),
    ST: frozenset({VIEW_REVIEW, SUBMIT}),
    NH: frozenset({VIEW_REVIEW, SUBMIT}),
    CS: frozenset({VIEW_REVIEW, SUBMIT}),
    OB: frozenset(),
}

# --- actions on the network as a whole ---------------------------------------------------------
PROPOSE = "propose"
VIEW_SCORECARDS = "view_scorecards"
VIEW_DIRECTORY = "view_directory"
VIEW_GOVERNANCE = "view_governance"
MANAGE_GOVERNANCE = "manage_governance"
VIEW_MEETINGS = "view_meetings"
MANAGE_MEETINGS = "manage_meetings"
EXPORT = "export"

NETWORK_ACTIONS: dict[str, frozenset[str]] = {
    S: frozenset(
        {
            PROPOSE,
            VIEW_SCORECARDS,
            VIEW_DIRECTORY,
            VIEW_GOVERNANCE,
            MANAGE_GOVERNANCE,
            VIEW_MEETINGS,
            MANAGE_MEETINGS,
            EXPORT,
        }
    ),
    CC: frozenset(
        {PROPOSE, VIEW_SCORECARDS, VIEW_DIRECTORY, VIEW_GOVERNANCE, VIEW_MEETINGS, EXPORT}
    ),
    SG: frozenset({VIEW_SCORECARDS, VIEW_DIRECTORY, VIEW_GOVERNANCE, VIEW_MEETINGS, EXPORT}),
    ST: frozenset({VIEW_DIRECTORY, VIEW_GOVERNANCE, VIEW_MEETINGS, EXPORT}),
    NH: frozenset({VIEW_DIRECTORY, VIEW_GOVERNANCE, VIEW_MEETINGS, EXPORT}),
    CS: frozenset({VIEW_DIRECTORY, VIEW_GOVERNANCE, VIEW_MEETINGS, EXPORT}),
    OB: frozenset({VIEW_DIRECTORY, VIEW_GOVERNANCE, EXPORT}),
}


def transition_ids() -> frozenset[str]:
    return frozenset(rules.lifecycle())


# --- who is who -------------------------------------------------------------------------------


@dataclass
class Viewer:
    """A user's capacities in the network, read once per request (four queries)."""

    user: User | None
    network: bool = False
    secretariat: bool = False
    steering: bool = False
    # member id -> the parts of its delegation this user acts for
    parts: dict[int, frozenset[str]] = field(default_factory=dict)
    # members co-chairing now whose State delegation this user belongs to
    co_chairing: frozenset[int] = frozenset()

    @classmethod
    def of(cls, user: User | object) -> Viewer:
        if not isinstance(user, User) or not user.is_active:
            return cls(None)
        viewer = cls(user, network=core_access.has_rule(user, RULE))
        if not viewer.network:
            return viewer
        memberships = core_access.active_memberships(user).filter(clearance__gte=MIN_CLEARANCE)
        viewer.secretariat = memberships.filter(
            role__in=SECRETARIAT_ROLES, organisation__kind=Organisation.Kind.SECRETARIAT
        ).exists()
        viewer.steering = (
            core_access.needs_two_factor(user)
            and current_steering_seats().filter(user=user).exists()
        )
        acting = memberships.filter(role__in=DELEGATE_ROLES).values("organisation")
        parts: dict[int, set[str]] = {}
        for member_id, part in (
            Member.objects.filter(organisations__organisation__in=acting)
            .values_list("pk", "organisations__part")
            .distinct()
        ):
            parts.setdefault(member_id, set()).add(part)
        viewer.parts = {pk: frozenset(found) for pk, found in parts.items()}
        states = {pk for pk, found in viewer.parts.items() if Part.STATE in found}
        if states:
            viewer.co_chairing = frozenset(
                queries.current_co_chairs().filter(pk__in=states).values_list("pk", flat=True)
            )
        return viewer

    def capacities(self, member: Member | None = None) -> frozenset[str]:
        """The capacities in which this user acts on `member` (None: on the network)."""
        if not self.network:
            return frozenset()
        found: set[str] = {OB}
        if self.secretariat:
            found.add(S)
        if self.steering:
            found.add(SG)
        if member is None:
            if self.co_chairing:
                found.add(CC)
            for _pk, parts in self.parts.items():
                found |= parts
            return frozenset(found)
        own_parts = self.parts.get(member.pk, frozenset())
        if self.co_chairing and Part.STATE not in own_parts:
            found.add(CC)
        return frozenset(found | own_parts)


def current_steering_seats() -> QuerySet[SteeringMember]:
    """Seats held today: an ended seat gives nothing from the day it ended."""
    today = queries.today()
    return SteeringMember.objects.filter(starts_on__lte=today).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=today)
    )


def _allowed(table: dict[str, frozenset[str]], capacities: Iterable[str]) -> set[str]:
    allowed: set[str] = set()
    for capacity in capacities:
        allowed |= table.get(capacity, frozenset())
    return allowed


def _viewer(user: User | object, viewer: Viewer | None) -> Viewer:
    return viewer if viewer is not None else Viewer.of(user)


# --- the network as a whole ------------------------------------------------------------------


def network_actions(user: User | object, viewer: Viewer | None = None) -> frozenset[str]:
    return frozenset(_allowed(NETWORK_ACTIONS, _viewer(user, viewer).capacities()))


def require_network(user: User | object, action: str, viewer: Viewer | None = None) -> None:
    if action not in network_actions(user, viewer):
        raise PermissionDenied(_("You may not do this in the network."))


# --- members and their lifecycle ----------------------------------------------------------------


def visible_members(user: User | object, viewer: Viewer | None = None) -> QuerySet[Member]:
    """The members whose pages `user` may open: every one for the secretariat, the co-chairs and
    the steering group; for other staff, the memberships that are public (accepted onwards) and
    their own. That a State is proposed or invited is the network's to know until it accepts.
    What is inside a member's page is decided action by action."""
    viewer = _viewer(user, viewer)
    if not viewer.network:
        return Member.objects.none()
    if viewer.capacities() & {S, CC, SG}:
        return Member.objects.all()
    return Member.objects.filter(Q(status__in=PUBLIC_STATUSES) | Q(pk__in=list(viewer.parts)))


def permitted_member_actions(
    user: User | object, member: Member, viewer: Viewer | None = None
) -> frozenset[str]:
    """What `user`'s capacities allow with `member`, whatever its state."""
    capacities = _viewer(user, viewer).capacities(member)
    allowed = _allowed(MEMBER_ACTIONS, capacities)
    for transition in rules.lifecycle().values():
        if transition.by & capacities:
            allowed.add(transition.id)
    return frozenset(allowed)


def transition_refusal(member: Member, transition: str) -> str | None:
    """Why `member`'s status does not allow `transition`, or None."""
    rule = rules.lifecycle()[transition]
    if member.status in rule.sources:
        return None
    return _("%(transition)s is possible from %(allowed)s only; this membership is %(status)s.") % {
        "transition": rule.labels.text(),
        "allowed": ", ".join(status_label(s) for s in sorted(rule.sources)),
        "status": status_label(member.status),
    }


def requirement_refusal(
    member: Member, requirement: str, *, letter: bool | None = None
) -> str | None:
    """Why `member` does not meet `requirement` (rules.REQUIREMENTS), or None. `letter`: whether
    the request brings an invitation letter (None: not asked yet, as when a page lists what the
    user may do)."""
    if requirement == rules.LETTER:
        if letter is False:
            return _("An invitation needs its letter: upload it or write it.")
        return None
    if requirement == rules.COMPLETE_DELEGATION:
        missing = queries.missing_parts(member)
        if missing:
            return _(
                "The delegation is not complete: %(parts)s need an organisation and a focal point."
            ) % {"parts": ", ".join(str(Part(part).label) for part in missing)}
        return None
    if requirement == rules.PUBLISHED_COMMITMENT:
        if not queries.has_published_commitment(member):
            return _("The State has not published a commitment yet.")
        return None
    review = queries.latest_review(member)
    concluded = review is not None and review.stage == Review.Stage.CONCLUDED
    if requirement == rules.REVIEW_IN_STANDING:
        if not concluded or review is None or review.outcome == Outcome.SUSPENSION_RECOMMENDED:
            return _(
                "The review must first be concluded with an outcome of good standing or concerns."
            )
        return None
    if requirement == rules.REVIEW_RECOMMENDS_SUSPENSION:
        if not concluded or review is None or review.outcome != Outcome.SUSPENSION_RECOMMENDED:
            return _(
                "A suspension follows a concluded review whose outcome recommends it; "
                "the steering group has not recommended it."
            )
        return None
    raise KeyError(f"Unknown requirement {requirement!r}")


def member_refusal(member: Member, action: str, *, letter: bool | None = None) -> str | None:
    """Why the member's state does not allow `action` now, or None."""
    if action in rules.lifecycle():
        refusal = transition_refusal(member, action)
        if refusal:
            return refusal
        for requirement in rules.lifecycle()[action].requires:
            refusal = requirement_refusal(member, requirement, letter=letter)
            if refusal:
                return refusal
        return None
    if action == ADD_COMMITMENT and member.status == Status.ENDED:
        return _("This membership has ended.")
    return None


def member_actions_on(
    user: User | object, member: Member, viewer: Viewer | None = None
) -> frozenset[str]:
    """What `user` may do with `member` now: permitted, and allowed by its state."""
    return frozenset(
        action
        for action in permitted_member_actions(user, member, viewer)
        if member_refusal(member, action) is None
    )


def pending_transitions(
    user: User | object, member: Member, viewer: Viewer | None = None
) -> list[tuple[str, str]]:
    """The transitions `user` could take from the member's status but whose requirements are not
    met yet, with why: a page tells them what is missing instead of hiding the control."""
    found = []
    permitted = permitted_member_actions(user, member, viewer)
    for transition in rules.lifecycle().values():
        if transition.id not in permitted or transition_refusal(member, transition.id):
            continue
        refusal = member_refusal(member, transition.id)
        if refusal:
            found.append((transition.id, refusal))
    return found


def require_member(
    user: User | object, action: str, member: Member, viewer: Viewer | None = None
) -> None:
    if action not in permitted_member_actions(user, member, viewer):
        raise PermissionDenied(_("You may not do this with this membership."))


def ensure_member(
    user: User | object,
    action: str,
    member: Member,
    viewer: Viewer | None = None,
    *,
    letter: bool | None = None,
) -> None:
    """`require_member`, then DomainError with the reason unless the member's state allows
    `action`: what a service checks before it changes the member."""
    require_member(user, action, member, viewer)
    refusal = member_refusal(member, action, letter=letter)
    if refusal:
        raise DomainError(refusal)


def editable_parts(
    user: User | object, member: Member, viewer: Viewer | None = None
) -> frozenset[str]:
    """The parts of the delegation `user` may change: every part for the secretariat, its own
    part for a delegation."""
    capacities = _viewer(user, viewer).capacities(member)
    if EDIT_DELEGATION not in _allowed(MEMBER_ACTIONS, capacities):
        return frozenset()
    if S in capacities:
        return frozenset(Part.values)
    return frozenset(capacities & DELEGATION)


# --- commitments ----------------------------------------------------------------------------------


def permitted_commitment_actions(
    user: User | object, commitment: Commitment, viewer: Viewer | None = None
) -> frozenset[str]:
    return frozenset(
        _allowed(COMMITMENT_ACTIONS, _viewer(user, viewer).capacities(commitment.member))
    )


def commitment_refusal(
    commitment: Commitment, action: str, capacities: frozenset[str] = frozenset()
) -> str | None:
    if action == VIEW_COMMITMENT:
        if commitment.published_on is None and not (capacities - {OB}):
            return _("This commitment is not published.")
        return None
    if action == PUBLISH_COMMITMENT and commitment.published_on is not None:
        return _("This commitment is published already.")
    if action in (REPORT_PROGRESS, CLOSE_COMMITMENT) and commitment.state != Commitment.State.OPEN:
        return _("This commitment is no longer open.")
    if action == COMMENT_PROGRESS and not commitment.progress_reports.exists():
        return _("The State has not reported progress on this commitment yet.")
    if commitment.member.status == Status.ENDED and action != VIEW_COMMITMENT:
        return _("This membership has ended.")
    return None


def commitment_actions_on(
    user: User | object, commitment: Commitment, viewer: Viewer | None = None
) -> frozenset[str]:
    viewer = _viewer(user, viewer)
    capacities = viewer.capacities(commitment.member)
    return frozenset(
        action
        for action in permitted_commitment_actions(user, commitment, viewer)
        if commitment_refusal(commitment, action, capacities) is None
    )


def ensure_commitment(
    user: User | object, action: str, commitment: Commitment, viewer: Viewer | None = None
) -> None:
    viewer = _viewer(user, viewer)
    if action not in permitted_commitment_actions(user, commitment, viewer):
        raise PermissionDenied(_("You may not do this with this commitment."))
    refusal = commitment_refusal(commitment, action, viewer.capacities(commitment.member))
    if refusal:
        raise DomainError(refusal)


def visible_commitments(
    user: User | object, member: Member | None = None, viewer: Viewer | None = None
) -> QuerySet[Commitment]:
    """Published commitments for every staff member of the network section; unpublished ones
    for the secretariat, the co-chairs, the steering group and the member's own delegation."""
    viewer = _viewer(user, viewer)
    if not viewer.network:
        return Commitment.objects.none()
    commitments = Commitment.objects.select_related("member")
    if member is not None:
        commitments = commitments.filter(member=member)
    if viewer.capacities() & {S, CC, SG}:
        return commitments
    return commitments.filter(Q(published_on__isnull=False) | Q(member_id__in=list(viewer.parts)))


def commenting_part(
    user: User | object, commitment: Commitment, viewer: Viewer | None = None
) -> str | None:
    """The part (NHRI or civil society) in whose name `user` comments, or None."""
    capacities = _viewer(user, viewer).capacities(commitment.member)
    for part in (NH, CS):
        if part in capacities:
            return str(part)
    return None


# --- reviews ----------------------------------------------------------------------------------


def permitted_review_actions(
    user: User | object, review: Review, viewer: Viewer | None = None
) -> frozenset[str]:
    return frozenset(_allowed(REVIEW_ACTIONS, _viewer(user, viewer).capacities(review.member)))


def review_refusal(review: Review, action: str) -> str | None:
    if action == SUBMIT and review.stage != Review.Stage.OPEN:
        return _("The review no longer takes submissions.")
    if action == SUMMARISE and review.stage == Review.Stage.CONCLUDED:
        return _("The review is concluded.")
    if action == RECOMMEND:
        if review.stage == Review.Stage.OPEN:
            return _("The secretariat has not summarised the review yet.")
        if review.stage == Review.Stage.CONCLUDED:
            return _("The review is concluded.")
    return None


def review_actions_on(
    user: User | object, review: Review, viewer: Viewer | None = None
) -> frozenset[str]:
    return frozenset(
        action
        for action in permitted_review_actions(user, review, viewer)
        if review_refusal(review, action) is None
    )


def ensure_review(
    user: User | object, action: str, review: Review, viewer: Viewer | None = None
) -> None:
    if action not in permitted_review_actions(user, review, viewer):
        raise PermissionDenied(_("You may not do this with this review."))
    refusal = review_refusal(review, action)
    if refusal:
        raise DomainError(refusal)


def submitting_part(
    user: User | object, review: Review, viewer: Viewer | None = None
) -> str | None:
    """The part in whose name `user` submits to `review` (a State self-assesses)."""
    capacities = _viewer(user, viewer).capacities(review.member)
    for part in (ST, NH, CS):
        if part in capacities:
            return str(part)
    return None


def visible_submissions(
    user: User | object, review: Review, viewer: Viewer | None = None
) -> QuerySet[ReviewSubmission]:
    """Every submission for the secretariat and the steering group; its own for a part."""
    viewer = _viewer(user, viewer)
    allowed = permitted_review_actions(user, review, viewer)
    submissions = review.submissions.all()
    if READ_SUBMISSIONS in allowed:
        return submissions
    if VIEW_REVIEW not in allowed:
        return submissions.none()
    own = viewer.capacities(review.member) & DELEGATION
    return submissions.filter(part__in=list(own))


def visible_reviews(user: User | object, viewer: Viewer | None = None) -> QuerySet[Review]:
    viewer = _viewer(user, viewer)
    reviews = Review.objects.select_related("member")
    if viewer.capacities() & {S, CC, SG}:
        return reviews
    return reviews.filter(member_id__in=list(viewer.parts))


# --- progress -----------------------------------------------------------------------------------


def comments_visible(
    user: User | object, report: ProgressReport, viewer: Viewer | None = None
) -> bool:
    """NHRI and civil-society comments: for those who see the member's reviews."""
    return VIEW_REVIEWS in permitted_member_actions(user, report.commitment.member, viewer)


# --- the directory -----------------------------------------------------------------------------


def directory_audience(
    user: User | object, member: Member, viewer: Viewer | None = None
) -> str | None:
    """Which row of rules/directory.csv applies to `user` reading `member`'s focal points."""
    viewer = _viewer(user, viewer)
    capacities = viewer.capacities(member)
    if not capacities:
        return None
    if S in capacities:
        return "secretariat"
    if capacities & DELEGATION:
        return "own_delegation"
    if capacities & {CC, SG}:
        return "leadership"
    if viewer.capacities() & DELEGATION and member.status in PARTICIPATING_STATUSES:
        return "network"
    return "staff"


def contact_fields(
    user: User | object, contact: ContactPerson, viewer: Viewer | None = None
) -> frozenset[str]:
    """The fields of `contact` that `user` may read (none: not listed for them)."""
    audience = directory_audience(user, contact.member, viewer)
    if audience is None:
        return frozenset()
    return rules.directory()[(audience, contact.part)]


# --- governance and meetings --------------------------------------------------------------------


def visible_meetings(user: User | object, viewer: Viewer | None = None) -> QuerySet[Meeting]:
    if VIEW_MEETINGS not in network_actions(user, viewer):
        return Meeting.objects.none()
    return Meeting.objects.all()


# --- the audit trail ----------------------------------------------------------------------------


def _pk(object_id: str) -> int | None:
    return int(object_id) if object_id.isascii() and object_id.isdigit() else None


def can_view_member_trail(user: User, object_id: str) -> bool:
    """Audit trail of a member: whoever may read the member's history."""
    pk = _pk(object_id)
    member = Member.objects.filter(pk=pk).first() if pk is not None else None
    return member is not None and VIEW_HISTORY in permitted_member_actions(user, member)


def can_view_commitment_trail(user: User, object_id: str) -> bool:
    pk = _pk(object_id)
    commitment = Commitment.objects.filter(pk=pk).first() if pk is not None else None
    return commitment is not None and VIEW_COMMITMENT in commitment_actions_on(user, commitment)


def can_view_review_trail(user: User, object_id: str) -> bool:
    pk = _pk(object_id)
    review = Review.objects.filter(pk=pk).first() if pk is not None else None
    return review is not None and VIEW_REVIEW in permitted_review_actions(user, review)


def _network_trail(action: str) -> Callable[[User, str], bool]:
    def can_view(user: User, object_id: str) -> bool:
        return action in network_actions(user)

    return can_view


can_view_meeting_trail = _network_trail(VIEW_MEETINGS)
can_view_governance_trail = _network_trail(VIEW_GOVERNANCE)

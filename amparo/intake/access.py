"""Who handles intake: which submissions a member sees and what they may do with them.

Intake handlers are the administrators, documentalists and focal points of an organisation a
submission was routed to (the receiving organisation, and the network secretariat for reprisals
against an NHRI), with at least restricted clearance, which also makes two-factor authentication
mandatory for them. In a network secretariat, members with the network secretariat role handle
the reports routed there too. Opening a case creates an event, so it is decided by the cases
app's rules: a role that may create events, with clearance for a confidential event, in a
recipient organisation, which will own the event. As in the cases app, deployment superusers
get nothing by default: running the server is not a need to know.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from amparo.cases import access as cases_access
from amparo.core import access as core_access
from amparo.core.models import Clearance, Membership, Organisation, Role, User
from amparo.intake.models import Recipient, Submission

RULE = "intake.handle"
MIN_CLEARANCE = Clearance.RESTRICTED
HANDLER_ROLES = frozenset({Role.ADMINISTRATOR, Role.DOCUMENTALIST, Role.FOCAL_POINT})
SECRETARIAT_ROLES = frozenset({Role.NETWORK_SECRETARIAT})
# The level whose organisation key seals a report's identifying content (amparo.core.custody):
# every handler is cleared for it, so every handler holds that key.
SEALED_LEVEL = MIN_CLEARANCE
# The organisation keys reports are sealed to (core.access.register_key_readers).
KEY_PURPOSE = "intake"
# Events opened from a report are confidential: it names a person who asked for protection.
CASE_CONFIDENTIALITY = Clearance.CONFIDENTIAL

VIEW = "view"
REPLY = "reply"
NOTE = "note"
ASSIGN = "assign"
SET_STATUS = "set_status"
MARK = "mark"
DOWNLOAD = "download"
OPEN_CASE = "open_case"
RECORD_COMMUNICATION = "record_communication"
HANDLING_ACTIONS = frozenset(
    {VIEW, REPLY, NOTE, ASSIGN, SET_STATUS, MARK, DOWNLOAD, RECORD_COMMUNICATION}
)
ACTIONS = HANDLING_ACTIONS | {OPEN_CASE}


def handling() -> Q:
    """The memberships (a Q on Membership) that handle intake, so read the reports: also the
    members to whom the organisation keys that seal reports are granted (core.access)."""
    return (
        Q(role__in=HANDLER_ROLES)
        | Q(role__in=SECRETARIAT_ROLES, organisation__kind=Organisation.Kind.SECRETARIAT)
    ) & Q(clearance__gte=MIN_CLEARANCE)


def handler_memberships(user: User) -> QuerySet[Membership]:
    """The memberships through which `user` handles intake."""
    return core_access.active_memberships(user).filter(handling())


def handlers_of(organisations: QuerySet[Organisation] | QuerySet[Recipient]) -> QuerySet[User]:
    """The active users who handle intake for any of `organisations`."""
    memberships = Membership.objects.filter(
        handling(), is_active=True, organisation__is_active=True, organisation__in=organisations
    )
    return User.objects.filter(is_active=True, memberships__in=memberships).distinct()


def handled_organisations(user: User) -> QuerySet[Organisation]:
    if not user.is_authenticated or not user.is_active:
        return Organisation.objects.none()
    return Organisation.objects.filter(pk__in=handler_memberships(user).values("organisation"))


def case_organisations(user: User, submission: Submission) -> QuerySet[Organisation]:
    """The recipient organisations in which `user` may open a case from `submission`."""
    allowed = cases_access.Viewer.of(user).organisations_allowing(cases_access.CREATE)
    eligible = [pk for pk, level in allowed.items() if level >= CASE_CONFIDENTIALITY]
    return handled_organisations(user).filter(
        pk__in=eligible, intake_recipients__submission=submission
    )


def case_openers(submission: Submission) -> list[User] | None:
    """Who may open a case from `submission` (the handlers for whom `can(OPEN_CASE)` holds),
    so that a handler who may not is told whom to ask; None once a case is open."""
    if submission.event_id is not None:
        return None
    memberships = Membership.objects.filter(
        handling(),
        role__in=cases_access.roles_allowing(cases_access.CREATE),
        clearance__gte=CASE_CONFIDENTIALITY,
        is_active=True,
        organisation__is_active=True,
        organisation__intake_recipients__submission=submission,
    )
    return list(
        User.objects.filter(is_active=True, memberships__in=memberships)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def visible_submissions(user: User) -> QuerySet[Submission]:
    return Submission.objects.filter(
        pk__in=Recipient.objects.filter(organisation__in=handled_organisations(user)).values(
            "submission"
        )
    )


def can(user: User, action: str, submission: Submission) -> bool:
    if action not in ACTIONS:
        raise KeyError(f"Unknown intake action {action!r}")
    if not visible_submissions(user).filter(pk=submission.pk).exists():
        return False
    if action == OPEN_CASE:
        return submission.event_id is None and case_organisations(user, submission).exists()
    return True


def require(user: User, action: str, submission: Submission) -> None:
    if not can(user, action, submission):
        raise PermissionDenied


def can_view_trail(user: User, object_id: str) -> bool:
    """Audit trail access for "intake.submission": whoever may see the submission."""
    try:
        pk = uuid.UUID(object_id)
    except ValueError:
        return False
    return visible_submissions(user).filter(pk=pk).exists()

"""Who may do what with recommendations and their follow-up: the one place that decides.

Recommendations are public documents: every member of every organisation reads and exports
them. What else a member may do depends on their role *and* on the kind of organisation they
hold it in (ROLE_ACTIONS), and for the follow-up of one recommendation on whose it is:

  * a State institution acts for its own country only: it records the State's position, the
    action plan and the progress reports of recommendations addressed to that State;
  * an NHRI reviews (endorses or contests) the progress reports of its own country's State;
    a civil-society organisation may review any State's reports (networks follow many);
  * NHRIs, civil society, network secretariats and mechanisms record and import
    recommendations, confirm their themes and link them to case statistics; NHRIs, civil
    society and secretariats keep the ratification statuses.

Views, the API, commands and services all ask here; pages show a control only for what
`actions_on` returns, and the services check the same with `require`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from amparo.core import access as core_access
from amparo.core.models import Membership, Organisation, Role, User
from amparo.recommendations.models import Recommendation

VIEW = "view"
EXPORT = "export"
CREATE = "create"  # record, import and edit recommendations; confirm themes; link cases
CLASSIFY = "classify"  # train theme suggestion and run it
RATIFICATIONS = "ratifications"  # record and import ratification statuses
RESPOND = "respond"  # the State's position and response
PLAN = "plan"  # the action plan: actions, indicators and their values
REPORT = "report"  # State progress reports
REVIEW = "review"  # endorse or contest a progress report

ACTIONS = frozenset({VIEW, EXPORT, CREATE, CLASSIFY, RATIFICATIONS, RESPOND, PLAN, REPORT, REVIEW})
# Actions on the follow-up of one recommendation that depend on the State it is addressed to.
STATE_ACTIONS = frozenset({RESPOND, PLAN, REPORT})

Kind = Organisation.Kind
READ = frozenset({VIEW, EXPORT})
CURATE = READ | {CREATE, CLASSIFY}
MONITOR = CURATE | {REVIEW, RATIFICATIONS}
STATE_LEAD = READ | {RESPOND, PLAN, REPORT}

# kind of organisation → role → actions; a role missing from a kind reads only.
ROLE_ACTIONS: dict[str, dict[str, frozenset[str]]] = {
    Kind.NHRI: {
        Role.ADMINISTRATOR: MONITOR,
        Role.DOCUMENTALIST: MONITOR,
        Role.ANALYST: READ | {REVIEW},
        Role.FOCAL_POINT: READ | {REVIEW},
    },
    Kind.CSO: {
        Role.ADMINISTRATOR: MONITOR,
        Role.DOCUMENTALIST: MONITOR,
        Role.ANALYST: READ | {REVIEW},
        Role.FOCAL_POINT: READ | {REVIEW},
    },
    Kind.SECRETARIAT: {
        Role.ADMINISTRATOR: CURATE | {RATIFICATIONS},
        Role.DOCUMENTALIST: CURATE | {RATIFICATIONS},
        Role.NETWORK_SECRETARIAT: CURATE | {RATIFICATIONS},
    },
    Kind.MECHANISM: {
        Role.ADMINISTRATOR: CURATE,
        Role.DOCUMENTALIST: CURATE,
        Role.MECHANISM: CURATE,
    },
    Kind.STATE: {
        Role.ADMINISTRATOR: STATE_LEAD,
        Role.STATE_REPRESENTATIVE: STATE_LEAD,
        Role.DOCUMENTALIST: READ | {PLAN},
    },
}


def role_actions(kind: str, role: str) -> frozenset[str]:
    return ROLE_ACTIONS.get(kind, {}).get(role, READ)


def _check(action: str) -> None:
    if action not in ACTIONS:
        raise KeyError(f"Unknown recommendations action {action!r}")


@dataclass
class Viewer:
    """A user's active memberships, read once per request and reused."""

    user: User | Any
    memberships: list[Membership] = field(default_factory=list)

    @classmethod
    def of(cls, user: User | Any) -> Viewer:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return cls(user=user)
        return cls(user=user, memberships=list(core_access.active_memberships(user)))


def _applies(organisation: Organisation, action: str, recommendation: Recommendation) -> bool:
    """Whether acting through `organisation` reaches this recommendation's follow-up."""
    if action in STATE_ACTIONS:
        return organisation.kind == Kind.STATE and organisation.country == recommendation.state
    if action == REVIEW and organisation.kind == Kind.NHRI:
        return organisation.country == recommendation.state
    return True


def organisations_for(
    user: User | Any,
    action: str,
    recommendation: Recommendation | None = None,
    viewer: Viewer | None = None,
) -> list[Organisation]:
    """The organisations through which `user` may do `action` (with `recommendation`, or
    anywhere when it is None), in a stable order: the first is the one a service acts for."""
    _check(action)
    found: dict[int, Organisation] = {}
    for m in (viewer or Viewer.of(user)).memberships:
        organisation = m.organisation
        if action not in role_actions(organisation.kind, m.role):
            continue
        if recommendation is not None and not _applies(organisation, action, recommendation):
            continue
        found[organisation.pk] = organisation
    return [found[pk] for pk in sorted(found)]


def can(
    user: User | Any,
    action: str,
    recommendation: Recommendation | None = None,
    viewer: Viewer | None = None,
) -> bool:
    return bool(organisations_for(user, action, recommendation, viewer))


def require(
    user: User | Any,
    action: str,
    recommendation: Recommendation | None = None,
    viewer: Viewer | None = None,
) -> Organisation:
    """The organisation `user` acts for; PermissionDenied when they may not do `action`."""
    organisations = organisations_for(user, action, recommendation, viewer)
    if not organisations:
        raise PermissionDenied(_("You may not do this with recommendations."))
    return organisations[0]


def actions_on(
    user: User | Any, recommendation: Recommendation, viewer: Viewer | None = None
) -> frozenset[str]:
    """What `user` may do with `recommendation`: pages show a control only for these."""
    viewer = viewer or Viewer.of(user)
    return frozenset(a for a in ACTIONS if organisations_for(user, a, recommendation, viewer))


def actions_anywhere(user: User | Any, viewer: Viewer | None = None) -> frozenset[str]:
    """What `user` may do at all (lists show "Import" or "Record" only to those who may)."""
    viewer = viewer or Viewer.of(user)
    return frozenset(a for a in ACTIONS if organisations_for(user, a, None, viewer))


def visible_recommendations(
    user: User | Any | None, viewer: Viewer | None = None
) -> QuerySet[Recommendation]:
    """Every recommendation for a member of any organisation; none for anyone else. None is
    the deployment's operator at the command line (no request reaches here without a user)."""
    if user is not None and not can(user, VIEW, viewer=viewer):
        return Recommendation.objects.none()
    return Recommendation.objects.all()


def can_view_trail(user: User, object_id: str) -> bool:
    """For the audit trail registry: recommendations, their reports and ratifications are
    public documents; their trail names who changed what, for members only."""
    return can(user, VIEW)

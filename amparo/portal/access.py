"""Who may do what with publications: the one place the portal decides.

A publication belongs to the organisation of the editor who made it. Within it, editors
(administrators, documentalists, analysts) create and submit; a reviewer (or an administrator)
who neither made nor submitted it approves it, so that two people always chose what becomes
public; editors and reviewers alike may withdraw it at any moment. An event can be published
only by its own organisation, and only once verified or closed.

`refusal` says why an action is not possible now (a message for people); `actions_on` is what a
page may offer; the services refuse with the same `refusal`, so that the button and the rule
agree.

Drafts are sealed (issue 16): the organisation's "portal" key of the draft's level is held by
its editors and reviewers cleared for that level (`key_readers`; the key of a draft that holds
only public records is the restricted one, the lowest there is). A reviewer not cleared for a
draft's level cannot approve it: they could not read what they would make public.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from amparo.cases import access as cases_access
from amparo.cases.models import Event
from amparo.core import access as core_access
from amparo.core.models import Clearance, Organisation, Role, User
from amparo.portal.models import Publication

CREATE = "create"
VIEW = "view"
SUBMIT = "submit"
APPROVE = "approve"
WITHDRAW = "withdraw"
ACTIONS = (CREATE, VIEW, SUBMIT, APPROVE, WITHDRAW)

EDITORS = frozenset({Role.ADMINISTRATOR, Role.DOCUMENTALIST, Role.ANALYST})
REVIEWERS = frozenset({Role.ADMINISTRATOR, Role.REVIEWER})

# action -> roles (in the publication's organisation) that may take it
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    CREATE: EDITORS,
    VIEW: EDITORS | REVIEWERS,
    SUBMIT: EDITORS,
    APPROVE: REVIEWERS,
    WITHDRAW: EDITORS | REVIEWERS,
}

# action -> states it may be taken from
FROM_STATES: dict[str, frozenset[str]] = {
    SUBMIT: frozenset({Publication.State.DRAFT}),
    APPROVE: frozenset({Publication.State.SUBMITTED}),
    WITHDRAW: frozenset(
        {Publication.State.DRAFT, Publication.State.SUBMITTED, Publication.State.PUBLISHED}
    ),
}

PUBLISHABLE_EVENT_STATUSES = frozenset({Event.Status.VERIFIED, Event.Status.CLOSED})


# The organisation keys drafts are sealed to (core.access.register_key_readers): the app's
# label, which core.custody names a SealedRecord's purpose after.
KEY_PURPOSE = "portal"


def key_readers() -> Q:
    """The memberships (a Q on Membership) granted the organisation keys that seal drafts: the
    roles that view publications; clearance decides the levels (core.access)."""
    return Q(role__in=ROLE_ACTIONS[VIEW])


def _memberships_in(user: User | Any, organisation_id: int) -> list[tuple[str, int]]:
    """(role, clearance) of each of `user`'s active memberships of the organisation."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return list(
        core_access.active_memberships(user)
        .filter(organisation_id=organisation_id)
        .values_list("role", "clearance")
    )


def _roles_in(user: User | Any, organisation_id: int) -> set[str]:
    return {role for role, _clearance in _memberships_in(user, organisation_id)}


def key_level(publication: Publication) -> int:
    """The level of the key that seals `publication`'s draft: its confidentiality, and at least
    restricted, where organisation keys start (core.custody.LEVELS)."""
    return max(publication.confidentiality, Clearance.RESTRICTED)


def cleared_for(user: User | Any, publication: Publication) -> bool:
    """Whether a role of `user` that holds the portal's keys is cleared for the draft's key."""
    return any(
        role in ROLE_ACTIONS[VIEW] and clearance >= key_level(publication)
        for role, clearance in _memberships_in(user, publication.organisation_id)
    )


def organisations_allowing(user: User | Any, action: str) -> QuerySet[Organisation]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Organisation.objects.none()
    ids = (
        core_access.active_memberships(user)
        .filter(role__in=ROLE_ACTIONS[action])
        .values_list("organisation_id", flat=True)
    )
    return Organisation.objects.filter(pk__in=ids, is_active=True)


# The core rule that opens the editors' pages (amparo.core.access.RULES) names these roles.
PUBLISH_RULE = "portal.publish"


def may_use_portal(user: User | Any) -> bool:
    """Whether `user` has any part in publishing (the editors' pages)."""
    return organisations_allowing(user, VIEW).exists()


def visible_publications(user: User | Any) -> QuerySet[Publication]:
    return Publication.objects.filter(organisation__in=organisations_allowing(user, VIEW))


def may_create_in(user: User | Any, organisation: Organisation) -> bool:
    return bool(_roles_in(user, organisation.pk) & ROLE_ACTIONS[CREATE])


def refusal(user: User | Any, action: str, publication: Publication) -> str | None:
    """Why `user` may not take `action` on `publication` now; None when they may."""
    if action not in ROLE_ACTIONS:
        raise KeyError(f"Unknown portal action {action!r}")
    if not _roles_in(user, publication.organisation_id) & ROLE_ACTIONS[action]:
        return _("Your role does not allow this for this organisation's publications.")
    allowed = FROM_STATES.get(action)
    if allowed is not None and publication.state not in allowed:
        return _("This is not possible while the publication is %(state)s.") % {
            "state": publication.get_state_display().lower()
        }
    if action == APPROVE and user.pk in (publication.created_by_id, publication.submitted_by_id):
        return _("A second person must approve a publication: not who made or submitted it.")
    if action == APPROVE and not cleared_for(user, publication):
        return _(
            "This publication holds records of a confidentiality your clearance does not "
            "cover: it needs a reviewer with %(level)s clearance or higher."
        ) % {"level": Clearance(key_level(publication)).label.lower()}
    return None


def can(user: User | Any, action: str, publication: Publication) -> bool:
    return refusal(user, action, publication) is None


def actions_on(user: User | Any, publication: Publication) -> frozenset[str]:
    return frozenset(a for a in (SUBMIT, APPROVE, WITHDRAW) if can(user, a, publication))


def get_visible_publication(user: User | Any, pk: int) -> Publication:
    publication = visible_publications(user).filter(pk=pk).first()
    if publication is None:
        raise PermissionDenied
    return publication


def unknown_event(reference: str) -> str:
    """The one answer for a reference that names no event `user` may publish here: unknown,
    another organisation's, or one they may not see. The same words for all three, so that the
    form is no oracle of what exists elsewhere (it still names the row)."""
    return _("%(reference)s: no such event among those you may publish.") % {"reference": reference}


def event_refusal(user: User | Any, organisation: Organisation, event: Event) -> str | None:
    """Why `event` cannot go into a publication of `organisation` made by `user`; an event of
    another organisation, or one `user` may not see, is refused as if it did not exist."""
    if event.organisation_id != organisation.pk or not cases_access.can(
        user, cases_access.VIEW, event
    ):
        return unknown_event(event.reference_code)
    if event.status not in PUBLISHABLE_EVENT_STATUSES:
        return _("%(reference)s is not verified yet: only verified events are published.") % {
            "reference": event.reference_code
        }
    return None

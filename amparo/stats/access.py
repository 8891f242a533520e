"""Who may count, export, record laws and de-duplicate: the one place the stats app decides.

Counts are made only of the events a person may see: the case records' own rule
(`amparo.cases.access.event_scope`), applied to the facts. Outside the organisation that owns
them, small counts are shown as "<5" (the threshold is AMPARO_STATS_SMALL_CELL_THRESHOLD);
`amparo.analysis.crosstab` does the suppression, told the viewer's organisation here. A person
with roles in several organisations has their counts suppressed as a member of one of them (the
first by id): the records of the others count as someone else's, which hides more, never less.

`None` as the user is the server's operator at the command line (shell access is the
credential, as for `amparo audit`): they count every event, and small cells are suppressed for
them as for the public, so that a report they print can be published.

Merging persons is the case records' business: `amparo.cases.access` decides per person and per
event inside the merge service; here only who may use the review queue at all.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from amparo.analysis.crosstab import Suppression
from amparo.cases import access as cases_access
from amparo.cases.models import Act
from amparo.core import access as core_access
from amparo.core.models import Organisation, Role, User
from amparo.stats.models import DuplicateCandidate, LegalMeasure
from amparo.stats.services import snapshot

VIEW = "view"  # counts, the dashboard, SDG 16.10.1, estimates, laws
EXPORT = "export"  # tables as CSV, XLSX, JSON; the SDG indicator; PDF reports
MANAGE_LAWS = "manage_laws"  # record and edit laws and their provisions
DEDUPE = "dedupe"  # search for duplicates and review them (each merge also asks cases)
ACTIONS = frozenset({VIEW, EXPORT, MANAGE_LAWS, DEDUPE})

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: ACTIONS,
    Role.DOCUMENTALIST: ACTIONS,
    Role.ANALYST: frozenset({VIEW, EXPORT, MANAGE_LAWS}),
    Role.FOCAL_POINT: frozenset({VIEW, EXPORT}),
    Role.REVIEWER: frozenset({VIEW}),
    Role.READ_ONLY: frozenset({VIEW}),
    Role.STATE_REPRESENTATIVE: frozenset({VIEW, EXPORT}),
    Role.MECHANISM: frozenset({VIEW, EXPORT}),
    Role.NETWORK_SECRETARIAT: frozenset({VIEW, EXPORT, MANAGE_LAWS}),
}

# What a law record allows, to those who may manage laws in the organisation that recorded it.
LAW_EDIT = "edit"


def _roles(user: User | Any) -> dict[int, set[str]]:
    """Organisation id → the user's active roles there."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    roles: dict[int, set[str]] = defaultdict(set)
    for membership in core_access.active_memberships(user):
        roles[membership.organisation_id].add(membership.role)
    return roles


def organisations_allowing(user: User | Any, action: str) -> set[int]:
    if action not in ACTIONS:
        raise KeyError(f"Unknown statistics action {action!r}")
    return {
        organisation_id
        for organisation_id, roles in _roles(user).items()
        if any(action in ROLE_ACTIONS.get(role, ()) for role in roles)
    }


def actions(user: User | Any) -> frozenset[str]:
    """Everything `user` may do with statistics somewhere (what pages offer)."""
    return frozenset(
        action
        for roles in _roles(user).values()
        for role in roles
        for action in ROLE_ACTIONS.get(role, ())
    )


def can(user: User | None, action: str) -> bool:
    if action not in ACTIONS:
        raise KeyError(f"Unknown statistics action {action!r}")
    return user is None or action in actions(user)


def require(user: User | None, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(_("You may not do this with statistics."))


# --- Which facts a viewer counts ----------------------------------------------------------------


def visible_facts(user: User | None, facts: snapshot.Facts) -> pa.Table:
    """The facts of the events `user` may see (`cases.access.event_scope`, applied to each
    fact's event, organisation and confidentiality); every fact for the operator (None).

    An organisation's facts up to a clearance are one slice of the sorted facts (no copy); only
    the events shared with the viewer, and the rows patched in since the facts were sorted, are
    chosen row by row."""
    if user is None:
        return facts.table
    empty = facts.main.slice(0, 0)
    if not can(user, VIEW):
        return empty
    scope = cases_access.event_scope(user)
    if scope.empty:
        return empty
    pieces = [
        facts.organisation_rows(organisation_id, clearance)
        for organisation_id, clearance in sorted(scope.own.items())
    ]
    if scope.shared:
        pieces.append(facts.main.filter(_shared_only(facts.main, scope)))
    if facts.tail.num_rows:
        tail = facts.tail
        pieces.append(tail.filter(pc.or_(_own(tail, scope), _shared(tail, scope))))
    pieces = [piece for piece in pieces if piece.num_rows]
    return pa.concat_tables(pieces) if pieces else empty


def _own(table: pa.Table, scope: cases_access.EventScope) -> pa.ChunkedArray:
    mask = pc.equal(table.column("organisation_id"), -1)
    for organisation_id, clearance in scope.own.items():
        mask = pc.or_(
            mask,
            pc.and_(
                pc.equal(table.column("organisation_id"), organisation_id),
                pc.less_equal(table.column("confidentiality"), clearance),
            ),
        )
    return mask


def _shared(table: pa.Table, scope: cases_access.EventScope) -> pa.ChunkedArray:
    by_clearance: dict[int, list[int]] = defaultdict(list)
    for event_id, clearance in scope.shared.items():
        by_clearance[clearance].append(event_id)
    mask = pc.equal(table.column("event_id"), -1)
    for clearance, event_ids in by_clearance.items():
        mask = pc.or_(
            mask,
            pc.and_(
                pc.is_in(table.column("event_id"), value_set=pa.array(event_ids, pa.int64())),
                pc.less_equal(table.column("confidentiality"), clearance),
            ),
        )
    return mask


def _shared_only(table: pa.Table, scope: cases_access.EventScope) -> pa.ChunkedArray:
    """Shared with the viewer, and not already among their own organisations' facts."""
    return pc.and_(_shared(table, scope), pc.invert(_own(table, scope)))


def suppression_for(user: User | None, counted: pa.Table | None = None) -> Suppression | None:
    """How small counts are hidden from `user`: counts from records of organisations other
    than theirs below the threshold (the operator: as for the public). None when every fact
    they count is of their own organisations: there is nothing of anyone else's to hide."""
    viewer = cases_access.Viewer.of(user) if user is not None else None
    own = sorted(viewer.organisations_allowing(cases_access.VIEW)) if viewer else []
    if own and counted is not None:
        organisations = counted.column("organisation_id")
        if (
            pc.all(pc.is_in(organisations, value_set=pa.array(own, pa.int64()))).as_py()
            is not False
        ):
            return None
    return Suppression(
        viewer_organisation_id=own[0] if own else None,
        threshold=settings.AMPARO_STATS_SMALL_CELL_THRESHOLD,
    )


# --- Laws ---------------------------------------------------------------------------------------


def organisations_for_laws(user: User | Any) -> QuerySet[Organisation]:
    """Where `user` may record laws."""
    return Organisation.objects.filter(
        pk__in=organisations_allowing(user, MANAGE_LAWS), is_active=True
    )


def law_actions(user: User | Any, measure: LegalMeasure) -> frozenset[str]:
    """What `user` may do with a law record now: edit it and its provisions when they manage
    laws in the organisation that recorded it."""
    if measure.organisation_id in organisations_allowing(user, MANAGE_LAWS):
        return frozenset({LAW_EDIT})
    return frozenset()


def require_law_edit(user: User, measure: LegalMeasure) -> None:
    if LAW_EDIT not in law_actions(user, measure):
        raise PermissionDenied(_("You may not change this law's record."))


def require_law_use(user: User, act: Act) -> None:
    """Naming the law an act used is documenting the act: who may edit its event now (an
    event they may not see does not exist for them: 404)."""
    event = cases_access.get_visible_event(user, act.event_id)
    cases_access.ensure(user, cases_access.EDIT, event)


def acts_for_law_use(user: User, event_id: int) -> QuerySet[Act]:
    """The acts of an event whose law `user` may record (none unless they may edit it)."""
    event = cases_access.get_visible_event(user, event_id)
    if cases_access.EDIT not in cases_access.actions_on(user, event):
        return Act.objects.none()
    return Act.objects.filter(event=event).select_related("type_of_act", "event")


# --- De-duplication -----------------------------------------------------------------------------


def dedupe_organisations(user: User | Any) -> QuerySet[Organisation]:
    """Where `user` may search for duplicates: they may de-duplicate there and see who the
    organisation's persons are (by role; each person's clearance is still checked)."""
    viewer = cases_access.Viewer.of(user)
    identities = viewer.organisations_allowing(cases_access.VIEW_IDENTITY)
    allowed = organisations_allowing(user, DEDUPE) & set(identities)
    return Organisation.objects.filter(pk__in=allowed, is_active=True)


def require_dedupe(user: User, organisation: Organisation) -> None:
    if not dedupe_organisations(user).filter(pk=organisation.pk).exists():
        raise PermissionDenied(_("You may not search for duplicates in this organisation."))


def visible_candidates(user: User | Any) -> QuerySet[DuplicateCandidate]:
    """The review queue `user` may see: candidates of the organisations where they may
    de-duplicate."""
    return DuplicateCandidate.objects.filter(organisation__in=dedupe_organisations(user))


def candidate_actions(user: User | Any, candidate: DuplicateCandidate) -> frozenset[str]:
    """What `user` may do with a candidate now: merge or reject a pending pair of persons,
    confirm or reject a pending pair of events, undo a merge."""
    if not visible_candidates(user).filter(pk=candidate.pk).exists():
        return frozenset()
    status = candidate.status
    if status == DuplicateCandidate.Status.PENDING:
        if candidate.kind == DuplicateCandidate.Kind.PERSON:
            return frozenset({"merge", "reject"})
        return frozenset({"same", "reject"})
    if status == DuplicateCandidate.Status.MERGED:
        return frozenset({"undo"})
    return frozenset()


def require_candidate_action(user: User, candidate: DuplicateCandidate, action: str) -> None:
    if action not in candidate_actions(user, candidate):
        raise PermissionDenied(_("You may not do this with this pair."))

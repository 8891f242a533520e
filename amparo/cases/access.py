"""Who may see and do what with case records: the one place that decides.

Views, exports, the API and services all ask here, so a list page, an export and an API call
return the same rows and the same identities.

An event is visible to
  * members of its owning organisation whose role may read cases (ROLE_ACTIONS) and whose
    clearance in that organisation is at least the event's confidentiality, and
  * those it was shared with by a live SharingGrant: a user, or the members of an organisation
    (through a role in GRANTEE_ROLES), again only with clearance ≥ the event's confidentiality.
Deployment superusers get nothing here by default: running the server is not a need to know.

A person's identity (name and the other encrypted fields) is disclosed only to a viewer whose
clearance covers the person's `confidentiality`, and who is either a member of the owning
organisation whose role includes VIEW_IDENTITY, or, outside it, covered by a live ConsentRecord
(RECIPIENT_KIND_*) with that clearance in the organisation through which the consent covers them:
a consent never stands in for clearance, nor clearance for a consent. Otherwise the person
appears under a stable pseudonym. Nothing here caches a decision across
requests, so a withdrawn consent or a revoked grant takes effect on the next request.
"""

from __future__ import annotations

import base64
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.lookups import Exact, IsNull
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases.models import (
    IDENTIFYING_FIELDS,
    Act,
    ConsentRecord,
    Event,
    EventVersion,
    ImportJob,
    Person,
    RecipientKind,
    SharingGrant,
    Source,
    VersionAction,
)
from amparo.core import access as core_access
from amparo.core import crypto
from amparo.core.expressions import Unindexed
from amparo.core.fields import blind_index
from amparo.core.models import Clearance, Membership, Organisation, Role, Term, User
from amparo.core.services import DomainError

# --- The rules, as data -----------------------------------------------------------------------

VIEW = "view"
CREATE = "create"
EDIT = "edit"
SUBMIT = "submit"
VERIFY = "verify"
CLOSE = "close"
SHARE = "share"
RECORD_CONSENT = "record_consent"
COMMENT = "comment"
EXPORT = "export"
RESTORE = "restore"
# Not an action on the event itself: whether a member sees the identities of the organisation's
# persons (subject to each person's confidentiality) and may search them by name.
VIEW_IDENTITY = "view_identity"

ACTIONS = frozenset(
    {
        VIEW,
        CREATE,
        EDIT,
        SUBMIT,
        VERIFY,
        CLOSE,
        SHARE,
        RECORD_CONSENT,
        COMMENT,
        EXPORT,
        RESTORE,
        VIEW_IDENTITY,
    }
)

# What each role may do with the events of its own organisation (given enough clearance).
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: ACTIONS,
    Role.DOCUMENTALIST: ACTIONS,
    Role.ANALYST: frozenset({VIEW, EXPORT}),
    Role.FOCAL_POINT: frozenset({VIEW, COMMENT, VIEW_IDENTITY}),
    Role.REVIEWER: frozenset({VIEW}),
    Role.READ_ONLY: frozenset({VIEW}),
    # Partners see cases only when they are shared with them.
    Role.STATE_REPRESENTATIVE: frozenset(),
    Role.MECHANISM: frozenset(),
    Role.NETWORK_SECRETARIAT: frozenset(),
}

# What a live grant allows. Export, editing and onward sharing stay with the owner.
GRANT_ACTIONS: dict[str, frozenset[str]] = {
    SharingGrant.Level.READ: frozenset({VIEW}),
    SharingGrant.Level.COMMENT: frozenset({VIEW, COMMENT}),
}

# The roles through which a member receives what was shared with their organisation. Portal
# reviewers prepare publications and have no need to read shared case files.
GRANTEE_ROLES: frozenset[str] = frozenset(Role.values) - {Role.REVIEWER}

# Which consents cover a viewer outside the owning organisation: by the kind of organisation they
# belong to, and by their role in it.
RECIPIENT_KIND_BY_ORGANISATION: dict[str, str] = {
    Organisation.Kind.NHRI: RecipientKind.PARTNER_ORGANISATIONS,
    Organisation.Kind.CSO: RecipientKind.PARTNER_ORGANISATIONS,
    Organisation.Kind.SECRETARIAT: RecipientKind.PARTNER_ORGANISATIONS,
    Organisation.Kind.STATE: RecipientKind.STATE,
    Organisation.Kind.MECHANISM: RecipientKind.INTERNATIONAL_MECHANISM,
}
RECIPIENT_KIND_BY_ROLE: dict[str, str] = {
    Role.STATE_REPRESENTATIVE: RecipientKind.STATE,
    Role.MECHANISM: RecipientKind.INTERNATIONAL_MECHANISM,
    Role.NETWORK_SECRETARIAT: RecipientKind.PARTNER_ORGANISATIONS,
}


def roles_allowing(action: str) -> frozenset[str]:
    """The roles that allow `action` on their own organisation's events (ROLE_ACTIONS)."""
    _check_action(action)
    return frozenset(role for role, actions in ROLE_ACTIONS.items() if action in actions)


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise KeyError(f"Unknown case action {action!r}")


# --- Who the viewer is ------------------------------------------------------------------------


@dataclass
class Viewer:
    """A user's active memberships, read once per request (or per export) and then reused."""

    user: User
    memberships: list[Membership] = field(default_factory=list)

    @classmethod
    def of(cls, user: User | Any) -> Viewer:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return cls(user=user, memberships=[])
        return cls(user=user, memberships=list(core_access.active_memberships(user)))

    def clearance_for(self, organisation_id: int, action: str) -> int | None:
        """The highest clearance among the roles in `organisation_id` that allow `action`."""
        levels = [
            m.clearance
            for m in self.memberships
            if m.organisation_id == organisation_id and action in ROLE_ACTIONS.get(m.role, ())
        ]
        return max(levels) if levels else None

    def organisations_allowing(self, action: str) -> dict[int, int]:
        """Organisation id → highest clearance there, for the roles that allow `action`."""
        result: dict[int, int] = {}
        for m in self.memberships:
            if action in ROLE_ACTIONS.get(m.role, ()):
                result[m.organisation_id] = max(result.get(m.organisation_id, -1), m.clearance)
        return result

    def grantee_organisations(self) -> dict[int, int]:
        """Organisation id → highest clearance, for the memberships that receive grants."""
        result: dict[int, int] = {}
        for m in self.memberships:
            if m.role in GRANTEE_ROLES:
                result[m.organisation_id] = max(result.get(m.organisation_id, -1), m.clearance)
        return result

    @property
    def highest_clearance(self) -> int | None:
        return max((m.clearance for m in self.memberships), default=None)

    def recipient_clearances(self, excluding_organisation: int) -> dict[str, dict[int, int]]:
        """Recipient kind → {organisation → highest clearance there} for the memberships through
        which this viewer is such a recipient, leaving out the owning organisation (its members
        are not partners of themselves)."""
        kinds: dict[str, dict[int, int]] = defaultdict(dict)
        for m in self.memberships:
            if m.organisation_id == excluding_organisation:
                continue
            for kind in (
                RECIPIENT_KIND_BY_ORGANISATION.get(m.organisation.kind),
                RECIPIENT_KIND_BY_ROLE.get(m.role),
            ):
                if kind is not None:
                    through = kinds[kind]
                    through[m.organisation_id] = max(
                        through.get(m.organisation_id, -1), m.clearance
                    )
        return kinds


# The organisation keys case records are sealed to (core.access.register_key_readers): the
# app's label, which core.custody names a SealedRecord's purpose after.
KEY_PURPOSE = "cases"


def key_readers() -> Q:
    """The memberships (a Q on Membership) granted the organisation keys that seal case
    records (core.access): the roles that see identities in their own organisation, and the
    partner roles that see them, under consent, in what is shared with their organisation."""
    identity_roles = [role for role, actions in ROLE_ACTIONS.items() if VIEW_IDENTITY in actions]
    return Q(role__in=[*identity_roles, *RECIPIENT_KIND_BY_ROLE])


def live_grants(at: Any = None) -> QuerySet[SharingGrant]:
    moment = at or timezone.now()
    return SharingGrant.objects.filter(revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=moment)
    )


# --- Events -----------------------------------------------------------------------------------


# Records (events or persons) an import is still writing are nobody's yet (ImportJob).
PUBLISHED = {"pending_import__isnull": True}


def _own(viewer: Viewer, action: str, *, walk_in_order: bool = False) -> list[Q]:
    """Records (events or persons) of the organisations where a role of the viewer allows
    `action`, up to the viewer's clearance there. `walk_in_order`: the query will read an
    ordering index (see `Unindexed`), because most rows match."""
    organisation: Unindexed | F
    if walk_in_order:
        # Both columns: an index on either (the imports' pending_import_id matches nearly every
        # row) would have SQLite fetch every visible event and sort them all.
        organisation = Unindexed("organisation_id")
        published = Q(IsNull(Unindexed("pending_import_id"), True))
    else:
        organisation = F("organisation_id")
        published = Q(**PUBLISHED)
    return [
        Q(Exact(organisation, organisation_id), published, confidentiality__lte=clearance)
        for organisation_id, clearance in viewer.organisations_allowing(action).items()
    ]


def _any(clauses: list[Q]) -> Q | None:
    """The clauses joined with OR; None when there are none (nothing is allowed)."""
    if not clauses:
        return None
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


def _shared_with(viewer: Viewer) -> list[tuple[QuerySet[SharingGrant], int]]:
    """The live grants that reach `viewer`, each set with the clearance it is read with: those
    to an organisation through the viewer's grantee roles there, those to the viewer in person
    with their highest clearance."""
    live = live_grants()
    reach = [
        (live.filter(organisation_id=organisation_id), clearance)
        for organisation_id, clearance in viewer.grantee_organisations().items()
    ]
    highest = viewer.highest_clearance
    if highest is not None:
        reach.append((live.filter(user_id=viewer.user.pk), highest))
    return reach


def personal_readers(event: Event) -> dict[int, int]:
    """User id → the clearance they read `event` with, for each person a live grant shares it
    with in person (as `_shared_with` reads it: `Viewer.highest_clearance`); those with no
    active membership, or not cleared for the event, are left out."""
    readers: dict[int, int] = {}
    for user in User.objects.filter(pk__in=live_grants().filter(event=event).values("user_id")):
        highest = Viewer.of(user).highest_clearance
        if highest is not None and highest >= event.confidentiality:
            readers[user.pk] = highest
    return readers


def visible_events_q(viewer: Viewer, *, walk_in_order: bool = False) -> Q | None:
    """The filter for the events `viewer` may see, or None if they may see none."""
    clauses = _own(viewer, VIEW, walk_in_order=walk_in_order)
    for grants, clearance in _shared_with(viewer):
        clauses.append(Q(pk__in=grants.values("event_id"), confidentiality__lte=clearance))
    return _any(clauses)


@dataclass(frozen=True)
class EventScope:
    """The events a viewer may see, as data rather than as a query, for tables derived from
    events that are not Event querysets (the statistics facts carry each event's organisation
    and confidentiality). The rule is `visible_events_q`'s, read from the same parts: an event
    is in scope when `own` gives its organisation a clearance at least its confidentiality, or
    `shared` gives the event itself one."""

    own: dict[int, int]  # organisation id → the clearance its events are read with
    shared: dict[int, int]  # event id → the clearance it is read with (live grants)

    @property
    def empty(self) -> bool:
        return not self.own and not self.shared

    def covers(self, organisation_id: int, confidentiality: int, event_id: int) -> bool:
        own = self.own.get(organisation_id)
        shared = self.shared.get(event_id)
        return (own is not None and confidentiality <= own) or (
            shared is not None and confidentiality <= shared
        )


def event_scope(user: User | Any, viewer: Viewer | None = None) -> EventScope:
    """Which events `user` may see (see EventScope); the grants are read now, so a revoked
    grant is out of the next scope."""
    viewer = viewer or Viewer.of(user)
    shared: dict[int, int] = {}
    for grants, clearance in _shared_with(viewer):
        for event_id in grants.values_list("event_id", flat=True):
            shared[event_id] = max(shared.get(event_id, -1), clearance)
    return EventScope(own=viewer.organisations_allowing(VIEW), shared=shared)


def visible_events(
    user: User | Any, viewer: Viewer | None = None, *, walk_in_order: bool = False
) -> QuerySet[Event]:
    """Every event `user` may see, as one queryset (no duplicates). `walk_in_order`: a hint
    for a list that most visible events match (see `queries.event_page`)."""
    condition = visible_events_q(viewer or Viewer.of(user), walk_in_order=walk_in_order)
    if condition is None:
        return Event.objects.none()
    return Event.objects.filter(condition)


def exportable_events(user: User | Any, viewer: Viewer | None = None) -> QuerySet[Event]:
    """The events `user` may export: their own organisations' events, through a role that may
    export and with enough clearance. Shared events can be read but not exported."""
    condition = _any(_own(viewer or Viewer.of(user), EXPORT))
    return Event.objects.none() if condition is None else Event.objects.filter(condition)


def permitted_actions(
    user: User | Any, event: Event, viewer: Viewer | None = None
) -> frozenset[str]:
    """Everything `user`'s roles, clearance and grants allow with `event`, whatever its
    workflow state (an unsaved event: what they may do creating it)."""
    viewer = viewer or Viewer.of(user)
    allowed: set[str] = set()
    for m in viewer.memberships:
        if m.organisation_id == event.organisation_id and m.clearance >= event.confidentiality:
            allowed |= ROLE_ACTIONS.get(m.role, frozenset())
    if event.pk is not None and viewer.memberships:
        grantees = viewer.grantee_organisations()
        grants = (
            live_grants()
            .filter(event_id=event.pk)
            .filter(Q(user_id=viewer.user.pk) | Q(organisation_id__in=list(grantees)))
        )
        highest = viewer.highest_clearance or Clearance.PUBLIC
        for grant in grants:
            if grant.organisation_id is None:
                clearance = highest
            else:
                clearance = grantees.get(grant.organisation_id, -1)
            if clearance >= event.confidentiality:
                allowed |= GRANT_ACTIONS[grant.level]
    allowed.discard(VIEW_IDENTITY)
    return frozenset(allowed)


# --- The workflow: what the event's state allows now ------------------------------------------

# Actions that change what the event says: refused once it is closed.
CONTENT_CHANGES = frozenset({EDIT, RESTORE})


def state_refusal(user: User | Any, action: str, event: Event) -> str | None:
    """Why the event's workflow state (draft → submitted → verified → closed) does not let
    `user` do `action` now, or None. Permission is `can`'s question, not this one's."""
    status = event.status
    if action in CONTENT_CHANGES and status == Event.Status.CLOSED:
        return _("This event is closed and can no longer be changed.")
    if action == SUBMIT and status != Event.Status.DRAFT:
        return _("Only a draft can be submitted.")
    if action == VERIFY:
        if status != Event.Status.SUBMITTED:
            return _("Only a submitted event can be verified.")
        if has_contributed(user, event):
            return _(
                "A second person must verify an event: you recorded, imported, changed or "
                "submitted this version of it."
            )
    if action == CLOSE and status != Event.Status.VERIFIED:
        return _("Only a verified event can be closed.")
    return None


def contributed_q(user: User | Any) -> Q:
    """Events `user` recorded, imported, changed or submitted since their last verification:
    a version of theirs with no verification after it (every change through the services,
    web, API or import, is a version), or their submission."""
    verified_later = EventVersion.objects.filter(
        event=OuterRef("event"), action=VersionAction.VERIFY, number__gt=OuterRef("number")
    )
    theirs = (
        EventVersion.objects.filter(event=OuterRef("pk"), actor_id=getattr(user, "pk", None))
        .exclude(action=VersionAction.VERIFY)
        .filter(~Exists(verified_later))
    )
    return Q(Exists(theirs)) | Q(submitted_by_id=getattr(user, "pk", None))


def has_contributed(user: User | Any, event: Event) -> bool:
    """Whether `user` had a hand in the version of `event` that would be verified now: the
    four eyes of verification must be somebody else's."""
    if event.pk is None or getattr(user, "pk", None) is None:
        return False
    return bool(Event.objects.filter(contributed_q(user), pk=event.pk).exists())


def actions_on(user: User | Any, event: Event, viewer: Viewer | None = None) -> frozenset[str]:
    """What `user` may do with `event` now: permitted, and allowed by its workflow state. Pages
    show a control only for these; the services check the same two rules (`ensure`)."""
    return frozenset(
        action
        for action in permitted_actions(user, event, viewer)
        if state_refusal(user, action, event) is None
    )


def notices_on(user: User | Any, event: Event, viewer: Viewer | None = None) -> list[str]:
    """What the page should say about the workflow: why a verified event is back in review,
    and, to a person who would otherwise verify it, that someone else must."""
    if event.status != Event.Status.SUBMITTED:
        return []
    notices = []
    change = _change_since_verification(event)
    if change is not None:
        notices.append(
            _(
                "This event was verified, then changed (%(change)s by %(who)s on %(date)s): "
                "it is back in review until someone who did not change it verifies it again."
            )
            % {
                "change": change.action_label,
                "who": change.actor.username if change.actor else _("system"),
                "date": change.created_at.date().isoformat(),
            }
        )
    if VERIFY in permitted_actions(user, event, viewer) and has_contributed(user, event):
        notices.append(
            _("Another person must verify this version: you recorded, changed or submitted it.")
        )
    return notices


def _change_since_verification(event: Event) -> EventVersion | None:
    """The change that sent a verified event back to review: the first version after its
    last verification (None if it was never verified)."""
    last = (
        EventVersion.objects.filter(event=event, action=VersionAction.VERIFY)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    if last is None:
        return None
    return (
        EventVersion.objects.filter(event=event, number__gt=last)
        .select_related("actor")
        .order_by("number")
        .first()
    )


def verifiable_q(viewer: Viewer) -> Q | None:
    """The events `viewer` may verify now, as a filter (None: none): submitted by someone else,
    in an organisation where a role of theirs may verify, with clearance for the event. The
    query form of `VERIFY in actions_on(...)`, for lists; a test holds the two together."""
    allowed = _any(_own(viewer, VERIFY))
    if allowed is None:
        return None
    return allowed & Q(status=Event.Status.SUBMITTED) & ~Q(submitted_by=viewer.user.pk)


def receives_shares(viewer: Viewer) -> bool:
    """Whether events can be shared with the viewer: staff of any organisation (a grant names
    a person, or an organisation whose members receive it through GRANTEE_ROLES)."""
    return bool(viewer.memberships)


def shared_since_q(viewer: Viewer, since: datetime.datetime) -> Q | None:
    """The events shared since `since` with the viewer or with an organisation through which
    they receive shares, by grants still live (visibility itself is `visible_events_q`'s)."""
    if not receives_shares(viewer):
        return None
    grantees = list(viewer.grantee_organisations())
    grants = (
        live_grants()
        .filter(granted_at__gte=since)
        .filter(Q(user_id=viewer.user.pk) | Q(organisation_id__in=grantees))
    )
    return Q(pk__in=grants.values("event_id"))


def consent_changed_since_q(viewer: Viewer, since: datetime.datetime) -> Q | None:
    """The events of persons whose identity the viewer sees by role (their organisation's
    persons) and whose consent was given or withdrawn since `since`."""
    identities = identity_q(viewer)
    if identities is None:
        return None
    changed = ConsentRecord.objects.filter(
        Q(recorded_at__gte=since) | Q(withdrawn_at__gte=since)
    ).values("person_id")
    return _events_of(Person.objects.filter(identities, pk__in=changed).values("pk"))


def can(user: User | Any, action: str, event: Event, viewer: Viewer | None = None) -> bool:
    """Whether roles, clearance and grants let `user` do `action` with `event`."""
    _check_action(action)
    return action in permitted_actions(user, event, viewer)


def require(user: User | Any, action: str, event: Event, viewer: Viewer | None = None) -> None:
    """PermissionDenied unless `user` may do `action` with `event`."""
    if not can(user, action, event, viewer):
        raise PermissionDenied(_("You may not do this with this event."))


def ensure(user: User | Any, action: str, event: Event, viewer: Viewer | None = None) -> None:
    """`require`, then DomainError (with the reason) unless the event's state allows `action`
    now: what a service checks before it changes the event."""
    require(user, action, event, viewer)
    refusal = state_refusal(user, action, event)
    if refusal is not None:
        raise DomainError(refusal)


def can_create_in(user: User | Any, organisation: Organisation) -> bool:
    """Whether `user` may record events for `organisation` at all (at some confidentiality)."""
    return Viewer.of(user).clearance_for(organisation.pk, CREATE) is not None


def export_organisations(user: User | Any) -> QuerySet[Organisation]:
    """The organisations whose events `user` may export."""
    return Organisation.objects.filter(pk__in=exportable_events(user).values("organisation_id"))


def organisations_for_new_events(user: User | Any) -> QuerySet[Organisation]:
    allowed = Viewer.of(user).organisations_allowing(CREATE)
    return Organisation.objects.filter(pk__in=list(allowed), is_active=True)


def get_visible_event(user: User | Any, pk: int, viewer: Viewer | None = None) -> Event:
    """The event, or 404 whether it does not exist or may not be seen: existence is a secret."""
    event = visible_events(user, viewer).select_related("organisation").filter(pk=pk).first()
    if event is None:
        raise Http404(_("No such event."))
    return event


def can_view_event_id(user: User, object_id: str) -> bool:
    """For the audit trail registry: the trail of an event is for the staff who see its history."""
    if not (object_id.isascii() and object_id.isdigit()):
        return False
    viewer = Viewer.of(user)
    event = visible_events(user, viewer).filter(pk=int(object_id)).first()
    return event is not None and can_view_history(user, event, viewer)


# --- Persons and identities -------------------------------------------------------------------


def identity_q(viewer: Viewer) -> Q | None:
    """Persons whose identity `viewer` sees by role and clearance (consent aside)."""
    return _any(_own(viewer, VIEW_IDENTITY))


def internal_text_visible(user: User | Any, event: Event, viewer: Viewer | None = None) -> bool:
    """Whether `user` may read the event's encrypted free text (internal notes, act remarks,
    original source material, which often name people): staff of the owning organisation who
    may see identities, with clearance for the event. Partners it was shared with may not."""
    clearance = (viewer or Viewer.of(user)).clearance_for(event.organisation_id, VIEW_IDENTITY)
    return clearance is not None and clearance >= event.confidentiality


def can_view_history(user: User | Any, event: Event, viewer: Viewer | None = None) -> bool:
    """Versions and the audit trail show earlier values and who the event was shared with:
    they are for the same staff as the internal text, not for partners."""
    return internal_text_visible(user, event, viewer)


def can_search_names(user: User | Any, viewer: Viewer | None = None) -> bool:
    return identity_q(viewer or Viewer.of(user)) is not None


def events_naming(user: User | Any, name: str, viewer: Viewer | None = None) -> Q:
    """A filter for events in which a person called exactly `name` (after normalisation) takes
    part, limited to persons whose identity the viewer may see by role: a pseudonymised person
    must not be findable by name, or searching would disclose who they are."""
    condition = identity_q(viewer or Viewer.of(user))
    if condition is None or not name.strip():
        return Q(pk__in=[])
    return _events_of(
        Person.objects.filter(condition, full_name_index=blind_index(name)).values("pk")
    )


def _events_of(persons: QuerySet[Person, Any]) -> Q:
    """A filter for the events in which any of `persons` (a values("pk") queryset) is a
    victim, a perpetrator or a source."""
    acts = Act.objects.filter(Q(victim__in=persons) | Q(involvements__perpetrator__in=persons))
    sources = Source.objects.filter(source_person__in=persons)
    return Q(pk__in=acts.values("event_id")) | Q(pk__in=sources.values("event_id"))


def visible_persons(user: User | Any, viewer: Viewer | None = None) -> QuerySet[Person]:
    """Persons who take part in an event `user` may see, and the persons of the organisations
    where `user` records events (so that a documentalist can link an existing person)."""
    viewer = viewer or Viewer.of(user)
    events = visible_events(user, viewer).values("pk")
    condition = (
        Q(acts_as_victim__event__in=events)
        | Q(involvements__act__event__in=events)
        | Q(sources_given__event__in=events)
        | Q(interventions__event__in=events)
    )
    ids = Person.objects.filter(condition).values("pk")
    own = list(viewer.organisations_allowing(CREATE))
    return Person.objects.filter(Q(pk__in=ids) | Q(organisation_id__in=own), **PUBLISHED)


def live_consents(at: Any = None) -> QuerySet[ConsentRecord]:
    today = timezone.localdate(at) if at else timezone.localdate()
    return ConsentRecord.objects.filter(withdrawn_at__isnull=True, given_on__lte=today)


def consent_covers_organisation(person_id: int, organisation: Organisation) -> bool:
    """Whether a live consent of the person lets `organisation` know who they are: one to its
    kind of recipient (State, partner, international mechanism), for all of that kind or for it
    by name, or one to publication. What the early warning tells and seals to its recipients."""
    kinds = [RecipientKind.PUBLICATION, RECIPIENT_KIND_BY_ORGANISATION.get(organisation.kind, "")]
    return (
        live_consents()
        .filter(person_id=person_id, recipient_kind__in=kinds)
        .filter(Q(recipient_organisation__isnull=True) | Q(recipient_organisation=organisation))
        .exists()
    )


def _consent_discloses(
    consent: ConsentRecord, viewer: Viewer, recipients: dict[str, dict[int, int]], level: int
) -> bool:
    """Whether `consent` covers `viewer` as its recipient *and* the viewer's clearance as that
    recipient covers an identity kept at `level`: both, never one instead of the other. A
    consent to publication covers everyone, still only up to their clearance."""
    if consent.recipient_kind == RecipientKind.PUBLICATION:
        highest = viewer.highest_clearance
        return highest is not None and highest >= level
    through = recipients.get(consent.recipient_kind, {})
    if consent.recipient_organisation_id is not None:
        through = {
            organisation: clearance
            for organisation, clearance in through.items()
            if organisation == consent.recipient_organisation_id
        }
    return any(clearance >= level for clearance in through.values())


_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "ABCDEFGHJKMNPQRSTVWXYZ0123456789")


def pseudonym_code(person: Person) -> str:
    """Six characters from a keyed hash of the person's id: stable, and not reversible without
    the key ring's index key (a plain hash of a small id could be inverted by trying them all)."""
    digest = bytes.fromhex(crypto.keyed_digest(str(person.pk), "cases.person.pseudonym"))
    return base64.b32encode(digest[:5]).decode("ascii").translate(_CROCKFORD)[:6]


def pseudonym(person: Person) -> str:
    code = pseudonym_code(person)
    if person.kind == Person.Kind.ORGANISATION:
        return _("Organisation %(code)s") % {"code": code}
    if person.defender_types.all():
        return _("Defender %(code)s") % {"code": code}
    return _("Person %(code)s") % {"code": code}


def _term(term: Term | None) -> dict[str, str] | None:
    return None if term is None else {"code": term.code, "label": term.label()}


class PersonPresenter:
    """Shows persons as a given user may see them, for views, exports and the API alike.

    One presenter serves one request (or one export): it reads the viewer's memberships once,
    and `prime` reads the live consents of many persons in one query. It caches nothing beyond
    its own lifetime, so withdrawn consent shows on the next request. Checking that the user may
    see the record the person appears in is the caller's job (visible_events/visible_persons).

    Every identity it shows (`present`, `discloses`) is noted in `disclosed`;
    the caller records them with `services.record_disclosure` before its answer leaves.
    `identity_visible` only decides, for callers that show nothing (a service checking who may
    change a name).
    """

    def __init__(self, user: User | Any, viewer: Viewer | None = None) -> None:
        self.user = user
        self.viewer = viewer or Viewer.of(user)
        self._consents: dict[int, list[ConsentRecord]] = {}
        # Person id → owning organisation id, for every identity shown so far.
        self.disclosed: dict[int, int] = {}
        self._sealed = False

    def prime(self, persons: Iterable[Person]) -> None:
        missing = {p.pk for p in persons if p.pk is not None and p.pk not in self._consents}
        if not missing:
            return
        for pk in missing:
            self._consents[pk] = []
        for consent in live_consents().filter(person_id__in=missing):
            self._consents[consent.person_id].append(consent)

    def identity_visible(self, person: Person) -> bool:
        """Whether this viewer may know who `person` is (see the module's docstring): the
        decision alone; a caller that shows the identity asks `discloses`."""
        clearance = self.viewer.clearance_for(person.organisation_id, VIEW_IDENTITY)
        if clearance is not None and clearance >= person.confidentiality:
            return True
        self.prime([person])
        recipients = self.viewer.recipient_clearances(excluding_organisation=person.organisation_id)
        return any(
            _consent_discloses(consent, self.viewer, recipients, person.confidentiality)
            for consent in self._consents.get(person.pk, [])
        )

    def discloses(self, person: Person) -> bool:
        """`identity_visible`, asked by a caller about to show who `person` is: a yes is noted
        in `disclosed`. Once `seal`ed, yes only for the persons noted before."""
        if self._sealed:
            return person.pk in self.disclosed
        visible = self.identity_visible(person)
        if visible:
            self.disclosed[person.pk] = person.organisation_id
        return visible

    def seal(self) -> dict[int, int]:
        """Show no identity beyond those disclosed so far, and return them. An export decides
        every identity it will show and records them before it writes anything; sealed, it
        cannot show one more (a person added to an event meanwhile stays pseudonymised)."""
        self._sealed = True
        return self.disclosed

    def present(self, person: Person) -> dict[str, Any]:
        """The person as this viewer may see them. Identifying fields are None when hidden."""
        visible = self.discloses(person)
        alias = pseudonym(person)
        shown = {name: getattr(person, name) if visible else None for name in IDENTIFYING_FIELDS}
        return {
            "id": person.pk,
            "kind": person.kind,
            "identified": visible,
            "pseudonym": alias,
            "display_name": (person.full_name or alias) if visible else alias,
            **shown,
            "sex": _term(person.sex),
            "age_group": _term(person.age_group),
            "defender_types": [_term(t) for t in person.defender_types.all()],
            "country": person.country,
            "region": person.region,
        }


def can_record_consent(user: User | Any, person: Person) -> bool:
    """Staff of the owning organisation who may record consent and may know who the person is:
    consent is asked of a person one knows."""
    clearance = Viewer.of(user).clearance_for(person.organisation_id, RECORD_CONSENT)
    return clearance is not None and clearance >= person.confidentiality


def may_change_person(user: User | Any, person: Person) -> bool:
    """Staff who may edit the owning organisation's cases, with clearance for the person (who
    may change *who* the person is is `PersonPresenter.identity_visible`'s question)."""
    clearance = Viewer.of(user).clearance_for(person.organisation_id, EDIT)
    return clearance is not None and clearance >= person.confidentiality


def may_reuse_person(presenter: PersonPresenter, person: Person) -> bool:
    """Whether the presenter's viewer may attach `person`, as recorded, to events from a file
    (an import) and change their details: they may change the person and see who they are.
    Anyone else is told the file's identifier is not available, whatever the file says."""
    return may_change_person(presenter.user, person) and presenter.identity_visible(person)


def own_import_job(user: User | Any, pk: int) -> ImportJob:
    """An import's job, for the one who started it (and no one else: its problems quote the
    file); 404 otherwise."""
    job = ImportJob.objects.filter(pk=pk, created_by_id=getattr(user, "pk", None)).first()
    if job is None or not can_create_in(user, job.organisation):
        raise Http404(_("No such import."))
    return job


def clearance_for_new_persons(user: User | Any, organisation: Organisation) -> int | None:
    """The highest confidentiality at which `user` may record a person for `organisation`
    outside any event; None if they may not record persons there."""
    return Viewer.of(user).clearance_for(organisation.pk, CREATE)


def identity_visible(user: User | Any, person: Person) -> bool:
    """Whether `user` may see who `person` is: clearance for it, and outside the owning
    organisation a live consent too."""
    return PersonPresenter(user).identity_visible(person)


def present_person(user: User | Any, person: Person) -> dict[str, Any]:
    """`person` as a dict for display or export: identity if visible, else a pseudonym."""
    return PersonPresenter(user).present(person)


# Who has seen a person's identity tells which staff and partners work on whom: it is for the
# owning organisation's administrators, cleared for the person.
DISCLOSURE_READERS: frozenset[str] = frozenset({Role.ADMINISTRATOR})


def can_view_disclosures(user: User | Any, person: Person, viewer: Viewer | None = None) -> bool:
    """Whether `user` may see who has seen `person`'s identity, when and through what."""
    return any(
        m.organisation_id == person.organisation_id
        and m.role in DISCLOSURE_READERS
        and m.clearance >= person.confidentiality
        for m in (viewer or Viewer.of(user)).memberships
    )


def can_view_person_id(user: User, object_id: str) -> bool:
    """For the audit trail registry: a person's trail (consents) is for the staff who may see
    who the person is by role; the entries themselves never hold identifying data."""
    if not (object_id.isascii() and object_id.isdigit()):
        return False
    condition = identity_q(Viewer.of(user))
    return condition is not None and Person.objects.filter(condition, pk=int(object_id)).exists()

"""Who may see and do what with case records: the one place that decides.

Views, exports, the API and services all ask here, so a list page, an export and an API call
return the same rows and the same identities.

An event is visible to
  * members of its owning organisation whose role may read cases (ROLE_ACTIONS) and whose
    clearance in that organisation is at least the event's confidentiality, and
  * those it was shared with by a live SharingGrant: a user, or the members of an organisation
    (through a role in GRANTEE_ROLES), again only with clearance ≥ the event's confidentiality.
Deployment superusers get nothing here by default: running the server is not a need to know.

A person's identity (name and the other encrypted fields) is shown to members of the owning
organisation whose role includes VIEW_IDENTITY and whose clearance is at least the person's
`confidentiality`; to anyone else only while a live ConsentRecord covers them (RECIPIENT_KIND_*);
otherwise the person appears under a stable pseudonym. Nothing here caches a decision across
requests, so a withdrawn consent or a revoked grant takes effect on the next request.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.db.models.lookups import Exact
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases.models import (
    IDENTIFYING_FIELDS,
    Act,
    ConsentRecord,
    Event,
    Person,
    RecipientKind,
    SharingGrant,
    Source,
)
from amparo.core import access as core_access
from amparo.core import crypto
from amparo.core.expressions import Unindexed
from amparo.core.fields import blind_index
from amparo.core.models import Clearance, Membership, Organisation, Role, Term, User

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

    def recipient_kinds(self, excluding_organisation: int) -> dict[str, set[int]]:
        """Recipient kind → the organisations through which this viewer is such a recipient,
        leaving out the owning organisation (its members are not partners of themselves)."""
        kinds: dict[str, set[int]] = defaultdict(set)
        for m in self.memberships:
            if m.organisation_id == excluding_organisation:
                continue
            for kind in (
                RECIPIENT_KIND_BY_ORGANISATION.get(m.organisation.kind),
                RECIPIENT_KIND_BY_ROLE.get(m.role),
            ):
                if kind is not None:
                    kinds[kind].add(m.organisation_id)
        return kinds


def _live_grants(at: Any = None) -> QuerySet[SharingGrant]:
    moment = at or timezone.now()
    return SharingGrant.objects.filter(revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=moment)
    )


# --- Events -----------------------------------------------------------------------------------


def _own(viewer: Viewer, action: str, *, walk_in_order: bool = False) -> list[Q]:
    """Records (events or persons) of the organisations where a role of the viewer allows
    `action`, up to the viewer's clearance there. `walk_in_order`: the query will read an
    ordering index (see `Unindexed`), because most rows match."""
    organisation = Unindexed("organisation_id") if walk_in_order else F("organisation_id")
    return [
        Q(Exact(organisation, organisation_id), confidentiality__lte=clearance)
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


def visible_events_q(viewer: Viewer, *, walk_in_order: bool = False) -> Q | None:
    """The filter for the events `viewer` may see, or None if they may see none."""
    clauses = _own(viewer, VIEW, walk_in_order=walk_in_order)
    live = _live_grants()
    for organisation_id, clearance in viewer.grantee_organisations().items():
        shared = live.filter(organisation_id=organisation_id).values("event_id")
        clauses.append(Q(pk__in=shared, confidentiality__lte=clearance))
    highest = viewer.highest_clearance
    if highest is not None:
        shared = live.filter(user_id=viewer.user.pk).values("event_id")
        clauses.append(Q(pk__in=shared, confidentiality__lte=highest))
    return _any(clauses)


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


def actions_on(user: User | Any, event: Event, viewer: Viewer | None = None) -> frozenset[str]:
    """Everything `user` may do with `event` (an unsaved event: what they may do creating it)."""
    viewer = viewer or Viewer.of(user)
    allowed: set[str] = set()
    for m in viewer.memberships:
        if m.organisation_id == event.organisation_id and m.clearance >= event.confidentiality:
            allowed |= ROLE_ACTIONS.get(m.role, frozenset())
    if event.pk is not None and viewer.memberships:
        grantees = viewer.grantee_organisations()
        grants = (
            _live_grants()
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


def can(user: User | Any, action: str, event: Event, viewer: Viewer | None = None) -> bool:
    _check_action(action)
    return action in actions_on(user, event, viewer)


def require(user: User | Any, action: str, event: Event, viewer: Viewer | None = None) -> None:
    """PermissionDenied unless `user` may do `action` with `event`."""
    if not can(user, action, event, viewer):
        raise PermissionDenied(_("You may not do this with this event."))


def can_create_in(user: User | Any, organisation: Organisation) -> bool:
    """Whether `user` may record events for `organisation` at all (at some confidentiality)."""
    return Viewer.of(user).clearance_for(organisation.pk, CREATE) is not None


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
    persons = Person.objects.filter(condition, full_name_index=blind_index(name)).values("pk")
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
    return Person.objects.filter(Q(pk__in=ids) | Q(organisation_id__in=own))


def live_consents(at: Any = None) -> QuerySet[ConsentRecord]:
    today = timezone.localdate(at) if at else timezone.localdate()
    return ConsentRecord.objects.filter(withdrawn_at__isnull=True, given_on__lte=today)


def _consent_covers(consent: ConsentRecord, kinds: dict[str, set[int]]) -> bool:
    if consent.recipient_kind == RecipientKind.PUBLICATION:
        return True
    organisations = kinds.get(consent.recipient_kind, set())
    if consent.recipient_organisation_id is None:
        return bool(organisations)
    return consent.recipient_organisation_id in organisations


_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "ABCDEFGHJKMNPQRSTVWXYZ0123456789")


def pseudonym_code(person: Person) -> str:
    """Six characters from a keyed hash of the person's id: stable, and not reversible without
    the key ring's index key (a plain hash of a small id could be inverted by trying them all)."""
    digest = bytes.fromhex(crypto.blind_index(str(person.pk), "cases.person.pseudonym"))
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
    """

    def __init__(self, user: User | Any, viewer: Viewer | None = None) -> None:
        self.user = user
        self.viewer = viewer or Viewer.of(user)
        self._consents: dict[int, list[ConsentRecord]] = {}

    def prime(self, persons: Iterable[Person]) -> None:
        missing = {p.pk for p in persons if p.pk is not None and p.pk not in self._consents}
        if not missing:
            return
        for pk in missing:
            self._consents[pk] = []
        for consent in live_consents().filter(person_id__in=missing):
            self._consents[consent.person_id].append(consent)

    def identity_visible(self, person: Person) -> bool:
        clearance = self.viewer.clearance_for(person.organisation_id, VIEW_IDENTITY)
        if clearance is not None and clearance >= person.confidentiality:
            return True
        self.prime([person])
        kinds = self.viewer.recipient_kinds(excluding_organisation=person.organisation_id)
        return any(_consent_covers(c, kinds) for c in self._consents.get(person.pk, []))

    def display_name(self, person: Person) -> str:
        if self.identity_visible(person):
            return person.full_name or pseudonym(person)
        return pseudonym(person)

    def present(self, person: Person) -> dict[str, Any]:
        """The person as this viewer may see them. Identifying fields are None when hidden."""
        visible = self.identity_visible(person)
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


def identity_visible(user: User | Any, person: Person) -> bool:
    """Whether `user` may see who `person` is (by role and clearance, or by a live consent)."""
    return PersonPresenter(user).identity_visible(person)


def present_person(user: User | Any, person: Person) -> dict[str, Any]:
    """`person` as a dict for display or export: identity if visible, else a pseudonym."""
    return PersonPresenter(user).present(person)


def can_view_person_id(user: User, object_id: str) -> bool:
    """For the audit trail registry: a person's trail (consents) is for the staff who may see
    who the person is by role; the entries themselves never hold identifying data."""
    if not (object_id.isascii() and object_id.isdigit()):
        return False
    condition = identity_q(Viewer.of(user))
    return condition is not None and Person.objects.filter(condition, pk=int(object_id)).exists()

"""Who holds the keys of the network's sealed fields (issue 16: a seized server reveals nothing).

Each sealed field group of a network row (`models.NetworkSealed`: a focal point's name, e-mail
and phone apart; a comment; a review's summary and recommendation; a submission; minutes) has a
data key of its own, never stored in the clear. Its owner is the network secretariat's
"network" key for the restricted level; it is also sealed

* to the "network" key of each organisation whose staff `access` lets read the field: the
  member's delegation organisations, the co-chairs' State organisations, every delegation's
  organisations (for what the directory shows the rest of the network, and for minutes), as the
  tables below say. Those keys are held by the roles `access` lets act in those organisations
  (`key_readers`), at restricted clearance;
* to the personal key of each person holding a steering-group seat (`DataKeyCopy.personal_key`):
  a seat is a person, not an organisation, so the seat holder's colleagues open none of it.

Who reads what (`readers_of`), from `access`:

* a focal point's name, e-mail, phone: by `rules/directory.csv`, each audience its fields: the
  secretariat, the member's own delegation, the leadership (the co-chairs' State organisations,
  the steering seats), the network (every delegation's organisations, while the member takes
  part). Staff outside the network's work hold no network key and read none of them;
* a comment on progress, a review's summary and recommendation: the secretariat, the member's
  delegation, the co-chairs, the steering group;
* a review submission: the secretariat, the steering group, the member's organisations of the
  part that submitted it;
* minutes: the secretariat, every delegation's organisations, the steering group.

The copies follow the readers (`follow`): when they change (a seat starts or ends, a term of
co-chairs starts or ends, an organisation joins or leaves a delegation, a status changes, a
seat holder makes their key), the copies of those who lost the right are deleted at once, and
the newcomers get theirs from the first person whose keys open the data keys: at the action, or
at the next network page that person opens. A digest of the readers (`SealedReaders`) makes the
pages that change nothing cost a few queries.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from amparo.core import access as core_access
from amparo.core import custody, keychain
from amparo.core.fields import EncryptedField, LockedValue
from amparo.core.models import (
    Clearance,
    DataKey,
    DataKeyCopy,
    Organisation,
    OrganisationKey,
    PersonalKey,
    User,
)
from amparo.network import access, queries, rules
from amparo.network.models import (
    PARTICIPATING_STATUSES,
    CoChairTerm,
    ContactPerson,
    DelegateOrganisation,
    Meeting,
    Member,
    NetworkSealed,
    Part,
    ProgressComment,
    Review,
    ReviewSubmission,
    SealedReaders,
    Status,
)

# The purpose of the organisation keys the network's data keys are sealed to: the app's label,
# which core.custody names a SealedRecord's purpose after (core.access.register_key_readers).
PURPOSE = "network"
LEVEL = Clearance.RESTRICTED


def key_readers() -> Q:
    """The memberships (a Q on Membership) that hold an organisation's "network" keys: those
    `access` lets read the network's sealed content, the secretariat role in a secretariat and
    the acting roles of a delegation elsewhere (the clearance, restricted, is the key's level).
    No other role of a delegation's organisation (an analyst, a read-only member) and nobody
    in a secretariat but its officers."""
    secretariat = Q(organisation__kind=Organisation.Kind.SECRETARIAT)
    return (secretariat & Q(role__in=access.SECRETARIAT_ROLES)) | (
        ~secretariat & Q(role__in=access.DELEGATE_ROLES)
    )


# (organisation ids, user ids): whose "network" keys and whose personal keys a data key is
# sealed to.
Readers = tuple[frozenset[int], frozenset[int]]
NOBODY: Readers = (frozenset(), frozenset())


@dataclass(frozen=True)
class Circle:
    """Who reads the network today, as `access` decides it (a few queries)."""

    # Active secretariat organisations, the first owns the data keys.
    secretariats: tuple[int, ...]
    # The State delegation organisations of the members co-chairing today.
    co_chairs: frozenset[int]
    # The users acting as the steering group today, with their personal key's id (None: no key
    # yet, nothing can be sealed to them until their first sign-in).
    seats: dict[int, int | None]
    # member id -> part -> the active Amparo organisations acting for it.
    delegations: dict[int, dict[str, frozenset[int]]]
    # Members whose delegations take part in the network's work.
    participating: frozenset[int]
    every_delegation: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        every: set[int] = set()
        for parts in self.delegations.values():
            for organisations in parts.values():
                every |= organisations
        object.__setattr__(self, "every_delegation", frozenset(every))

    @classmethod
    def now(cls) -> Circle:
        secretariats = tuple(
            Organisation.objects.filter(kind=Organisation.Kind.SECRETARIAT, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        delegations: dict[int, dict[str, set[int]]] = {}
        for member_id, part, organisation_id in DelegateOrganisation.objects.filter(
            organisation__isnull=False, organisation__is_active=True
        ).values_list("member_id", "part", "organisation_id"):
            delegations.setdefault(member_id, {}).setdefault(part, set()).add(organisation_id)
        # queries.current_co_chairs in one query: the active members of today's term.
        day = queries.today()
        term = (
            CoChairTerm.objects.filter(starts_on__lte=day, ends_on__gte=day)
            .order_by("-starts_on")
            .values("pk")[:1]
        )
        chairs = set(
            Member.objects.filter(co_chair_terms__in=term, status=Status.ACTIVE).values_list(
                "pk", flat=True
            )
        )
        co_chairs = frozenset(
            organisation
            for member_id in chairs
            for organisation in delegations.get(member_id, {}).get(Part.STATE, set())
        )
        return cls(
            secretariats=secretariats,
            co_chairs=co_chairs,
            seats=_seats(),
            delegations={
                member: {part: frozenset(found) for part, found in parts.items()}
                for member, parts in delegations.items()
            },
            participating=frozenset(
                Member.objects.filter(status__in=PARTICIPATING_STATUSES).values_list(
                    "pk", flat=True
                )
            ),
        )

    def digest(self) -> str:
        """What the copies depend on, as one value: unchanged, nothing needs doing."""
        document = {
            "secretariats": list(self.secretariats),
            "co_chairs": sorted(self.co_chairs),
            "seats": sorted(self.seats.items(), key=lambda item: item[0]),
            "delegations": sorted(
                (member, part, sorted(organisations))
                for member, parts in self.delegations.items()
                for part, organisations in parts.items()
            ),
            "participating": sorted(self.participating),
            "directory": sorted(
                (audience, part, sorted(fields))
                for (audience, part), fields in rules.directory().items()
            ),
        }
        return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()

    # --- who reads what ------------------------------------------------------------------------

    def _seated(self) -> frozenset[int]:
        return frozenset(self.seats)

    def delegation(self, member_id: int | None, part: str | None = None) -> frozenset[int]:
        parts = self.delegations.get(member_id, {}) if member_id is not None else {}
        if part is not None:
            return parts.get(part, frozenset())
        return frozenset().union(*parts.values()) if parts else frozenset()

    def member(self, member_id: int | None) -> Readers:
        """A member's reviews and the comments on its progress: the secretariat, its delegation,
        the co-chairs and the steering group (`VIEW_REVIEWS`)."""
        organisations = {*self.secretariats, *self.co_chairs, *self.delegation(member_id)}
        return frozenset(organisations), self._seated()

    def submission(self, member_id: int | None, part: str) -> Readers:
        """A review submission: the secretariat and the steering group (`READ_SUBMISSIONS`),
        and the part of the delegation that made it."""
        organisations = {*self.secretariats, *self.delegation(member_id, part)}
        return frozenset(organisations), self._seated()

    def meetings(self) -> Readers:
        """Minutes: whoever sees the meetings (`VIEW_MEETINGS`): the secretariat, every
        delegation (co-chairs included) and the steering group."""
        return frozenset({*self.secretariats, *self.every_delegation}), self._seated()

    def contact(self, member_id: int, part: str, name: str) -> Readers:
        """The readers of one field of a focal point, by `rules/directory.csv`: each
        organisation's staff read it through the audience `access.directory_audience` puts
        them in, the closest first."""
        directory = rules.directory()

        def reads(audience: str) -> bool:
            return name in directory[(audience, part)]

        organisations: set[int] = set()
        if reads("secretariat"):
            organisations.update(self.secretariats)
        own = self.delegation(member_id)
        for organisation in self.every_delegation | self.co_chairs:
            if organisation in own:
                audience = "own_delegation"
            elif organisation in self.co_chairs:
                audience = "leadership"
            elif member_id in self.participating:
                audience = "network"
            else:
                continue
            if reads(audience):
                organisations.add(organisation)
        users = self._seated() if reads("leadership") else frozenset()
        return frozenset(organisations), users

    def owner(self, organisations: Iterable[int]) -> int:
        """The organisation whose key owns a new data key: the secretariat, else (a network
        without one) the first of the readers."""
        if self.secretariats:
            return self.secretariats[0]
        found = sorted(organisations)
        if not found:
            raise custody.KeysLocked(
                _(
                    "Nobody could read this record: the network has no secretariat and no "
                    "organisation in Amparo acts for it. Nothing was written."
                )
            )
        return found[0]


def _seats() -> dict[int, int | None]:
    """The users a current seat makes the steering group (`access.Viewer`: the network rule and
    two-factor, through their memberships), with their personal key's id."""
    seats: dict[int, int | None] = {}
    users = User.objects.filter(
        pk__in=access.current_steering_seats().filter(user__isnull=False).values("user"),
        is_active=True,
    )
    for user in users:
        if core_access.has_rule(user, access.RULE) and core_access.needs_two_factor(user):
            seats[user.pk] = None
    for user_id, key_id in PersonalKey.objects.filter(user_id__in=list(seats)).values_list(
        "user_id", "pk"
    ):
        seats[user_id] = key_id
    return seats


# --- the sealed rows -------------------------------------------------------------------------

SEALED_MODELS: tuple[type[NetworkSealed], ...] = (
    ContactPerson,
    ProgressComment,
    Review,
    ReviewSubmission,
    Meeting,
)
# Where each sealed model finds its member and its part (None: it has none).
_PATHS: dict[type[NetworkSealed], tuple[str | None, str | None]] = {
    ContactPerson: ("member_id", "part"),
    ProgressComment: ("report__commitment__member_id", None),
    Review: ("member_id", None),
    ReviewSubmission: ("review__member_id", "part"),
    Meeting: (None, None),
}


def slots(model: type[NetworkSealed]) -> dict[str, list[str]]:
    """Each data key of `model` (the ForeignKey that a sealed field names) and its fields."""
    found: dict[str, list[str]] = {}
    for model_field in model._meta.concrete_fields:
        if isinstance(model_field, EncryptedField) and model_field.sealed_by:
            found.setdefault(model_field.sealed_by, []).append(model_field.name)
    return found


def _readers(
    circle: Circle,
    model: type[NetworkSealed],
    slot: str,
    member_id: int | None,
    part: str | None,
) -> Readers:
    if model is ContactPerson:
        assert member_id is not None and part is not None
        (name,) = slots(model)[slot]
        return circle.contact(member_id, part, name)
    if model is ReviewSubmission:
        assert part is not None
        return circle.submission(member_id, part)
    if model is Meeting:
        return circle.meetings()
    return circle.member(member_id)


def readers_of(record: NetworkSealed, circle: Circle | None = None) -> dict[str, Readers]:
    """Who may read each field group of `record` today: its data keys' readers."""
    circle = circle or Circle.now()
    model = type(record)
    member_path, part_path = _PATHS[model]
    member_id = _member_of(record) if member_path else None
    part = getattr(record, part_path) if part_path else None
    return {slot: _readers(circle, model, slot, member_id, part) for slot in slots(model)}


def _member_of(record: NetworkSealed) -> int | None:
    if isinstance(record, ProgressComment):
        return record.report.commitment.member_id
    if isinstance(record, ReviewSubmission):
        return record.review.member_id
    if isinstance(record, ContactPerson | Review):
        return record.member_id
    return None


# --- writing ----------------------------------------------------------------------------------


def prepare(record: NetworkSealed) -> set[str]:
    """Before a sealed row is written: a field group without a data key gets one of its own,
    sealed to the group's readers now (a new row, a row `amparo keys migrate` moves off the key
    ring); a group whose key does not open here refuses a value written over it, so that
    nobody who could not read it overwrites it (with a "locked" label or anything else).
    Returns the fields a save with `update_fields` must write as well."""
    keyed: set[str] = set()
    circle: Circle | None = None
    readers: dict[str, Readers] = {}
    for slot, names in slots(type(record)).items():
        key_id = getattr(record, f"{slot}_id")
        if key_id is not None:
            written = [name for name in names if not isinstance(getattr(record, name), LockedValue)]
            if written and custody.open_data_key(key_id) is None:
                raise custody.KeysLocked(
                    _(
                        "This record is sealed and your keys do not open it here: nothing was "
                        "written. Sign in again, or ask someone whose keys open it."
                    )
                )
            continue
        if circle is None:
            circle = Circle.now()
            readers = readers_of(record, circle)
        organisations, users = readers[slot]
        owner = circle.owner(organisations)
        data_key = custody.new_data_key(Organisation.objects.get(pk=owner), LEVEL, PURPOSE)
        keychain.current().key_scopes[data_key.pk] = (owner, LEVEL, PURPOSE)
        setattr(record, f"{slot}_id", data_key.pk)
        _seal(circle, {data_key.pk: (organisations - {owner}, users)})
        keyed.update([slot, *names])
    return keyed


def sealing_scope(record: NetworkSealed) -> tuple[int, int]:
    """(organisation, level) of the row's data key: the row keeps its own (`prepare`), never a
    key shared with other rows."""
    key_id = record.data_key_id
    if key_id is None:
        raise TypeError("A network row gets its data keys from its save() (network.keys.prepare).")
    scope = keychain.current().key_scopes.get(key_id)
    if scope is None:
        found = (
            DataKey.objects.filter(pk=key_id).values_list("organisation_id", "level", "purpose")
        ).first()
        if found is None:
            raise TypeError(f"The data key {key_id} of a network row is missing.")
        scope = keychain.current().key_scopes[key_id] = found
    return scope[0], scope[1]


def _seal(circle: Circle, wanted: dict[uuid.UUID, Readers]) -> tuple[int, int]:
    """Seal each data key to its readers' keys: (copies made, copies wanted). A data key that
    does not open here gets none (the next person whose keys open it makes them)."""
    organisation_ids = {o for organisations, _users in wanted.values() for o in organisations}
    keys = _organisation_keys(organisation_ids)
    personal = {
        key.user_id: key
        for key in PersonalKey.objects.filter(
            pk__in=[pk for pk in circle.seats.values() if pk is not None]
        )
    }
    pairs: list[tuple[uuid.UUID, OrganisationKey | PersonalKey]] = []
    for data_key_id, (organisations, users) in wanted.items():
        pairs.extend((data_key_id, keys[o]) for o in sorted(organisations))
        pairs.extend((data_key_id, personal[u]) for u in sorted(users) if u in personal)
    if not pairs:
        return 0, 0
    return custody.seal_copies(pairs), len(pairs)


def _organisation_keys(organisation_ids: Iterable[int]) -> dict[int, OrganisationKey]:
    """Each organisation's restricted "network" key, made where missing."""
    wanted = set(organisation_ids)
    keys = {
        key.organisation_id: key
        for key in OrganisationKey.objects.filter(
            organisation_id__in=wanted, level=LEVEL, purpose=PURPOSE
        )
    }
    for organisation in Organisation.objects.filter(pk__in=wanted - set(keys)):
        keys[organisation.pk] = custody.organisation_key(organisation, LEVEL, PURPOSE)
    return keys


# --- following the readers ---------------------------------------------------------------------


@dataclass
class Followed:
    """What `follow` did: copies deleted, made, and still wanted (no key at hand opened them)."""

    deleted: int = 0
    made: int = 0
    missing: int = 0


def follow(*, again: bool = False) -> Followed:
    """Make the copies of every network data key follow its readers today (see the module):
    delete the copies of those who lost the right, seal the data keys that the keys at hand
    open to those who gained it. Cheap when the readers are as they were and every copy was
    made; while copies are missing, tried again whenever someone with keys comes by. `again`:
    compare every copy even so (a holder of keys that may open what others could not)."""
    circle = Circle.now()
    digest = circle.digest()
    state = SealedReaders.objects.filter(pk=1).first()
    if (
        state is not None
        and state.digest == digest
        and not again
        and (state.complete or not keychain.current())
    ):
        return Followed()
    followed = reconcile(circle)
    SealedReaders.objects.update_or_create(
        pk=1, defaults={"digest": digest, "complete": not followed.missing}
    )
    return followed


def viewer(user: User) -> access.Viewer:
    """The capacities of `user` for a page or an API call, once the copies of the network's
    data keys have followed their readers (`follow`): with this person's keys, the records they
    open are sealed to those who gained the right since, and the copies of those who lost it
    go, whoever comes by, on the web or through the API."""
    follow()
    return access.Viewer.of(user)


def desired_copies(circle: Circle) -> dict[uuid.UUID, Readers]:
    """Every network data key and who must hold a copy of it today."""
    desired: dict[uuid.UUID, Readers] = {}
    for model in SEALED_MODELS:
        model_slots = list(slots(model))
        member_path, part_path = _PATHS[model]
        columns = [f"{slot}_id" for slot in model_slots]
        extra = [path for path in (member_path, part_path) if path]
        for row in model._default_manager.values_list(*columns, *extra):
            keys, rest = row[: len(columns)], list(row[len(columns) :])
            member_id = rest.pop(0) if member_path else None
            part = rest.pop(0) if part_path else None
            for slot, key_id in zip(model_slots, keys, strict=True):
                if key_id is not None:
                    desired[key_id] = _readers(circle, model, slot, member_id, part)
    return desired


def reconcile(circle: Circle) -> Followed:
    """`follow` without the digest: compare every copy with the readers and act."""
    desired = desired_copies(circle)
    followed = Followed()
    present: dict[uuid.UUID, tuple[set[int], set[int]]] = {}
    stale: list[int] = []
    copies = DataKeyCopy.objects.filter(data_key__purpose=PURPOSE).values_list(
        "pk",
        "data_key_id",
        "data_key__organisation_id",
        "organisation_key__organisation_id",
        "personal_key__user_id",
    )
    for pk, data_key_id, owner, organisation_id, user_id in copies:
        organisations, users = desired.get(data_key_id, NOBODY)
        held = present.setdefault(data_key_id, (set(), set()))
        if organisation_id is not None:
            # The owner's copy stays: whatever else goes, someone can open the key.
            if organisation_id in organisations or organisation_id == owner:
                held[0].add(organisation_id)
                continue
        elif user_id is not None:
            if user_id in users:
                held[1].add(user_id)
                continue
        else:
            continue  # a secret's copy: none in the network
        stale.append(pk)
    if stale:
        for start in range(0, len(stale), 500):
            DataKeyCopy.objects.filter(pk__in=stale[start : start + 500]).delete()
        followed.deleted = len(stale)
    wanted: dict[uuid.UUID, Readers] = {}
    for data_key_id, (organisations, users) in desired.items():
        held_organisations, held_users = present.get(data_key_id, (set(), set()))
        missing_organisations = organisations - held_organisations
        missing_users = frozenset(u for u in users - held_users if circle.seats.get(u) is not None)
        if missing_organisations or missing_users:
            wanted[data_key_id] = (frozenset(missing_organisations), missing_users)
    made, asked = _seal(circle, wanted)
    followed.made, followed.missing = made, asked - made
    return followed

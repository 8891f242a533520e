"""Who may do what in the core app: organisations, members, the audit log, vocabularies.

Rules are named strings so that views (`permissions.requires`), the API and the CLI ask the same
question. Roles that can see restricted data must use two-factor authentication.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django_stubs_ext import StrOrPromise

from amparo.core.models import (
    AuditEntry,
    Clearance,
    Membership,
    Organisation,
    Role,
    Term,
    Thesaurus,
    User,
)

# rule -> roles (in any organisation) that grant it; superusers hold every rule.
RULES: dict[str, frozenset[str]] = {
    "audit.view_organisation_log": frozenset({Role.ADMINISTRATOR}),
    "organisation.manage_members": frozenset({Role.ADMINISTRATOR}),
    "vocabulary.view": frozenset(r.value for r in Role),
    # The cases section; which events each role sees is decided in amparo/cases/access.py.
    "cases.view": frozenset(r.value for r in Role),
    "cases.record": frozenset({Role.ADMINISTRATOR, Role.DOCUMENTALIST}),
    # The intake inbox; which submissions each member handles is decided in amparo/intake/access.py.
    # Recommendations are public documents: every member reads them; what each role may do
    # with them is decided in amparo/recommendations/access.py.
    "recommendations.view": frozenset(r.value for r in Role),
    "intake.handle": frozenset(
        {Role.ADMINISTRATOR, Role.DOCUMENTALIST, Role.FOCAL_POINT, Role.NETWORK_SECRETARIAT}
    ),
    # Early warning; which alerts and assessments each member sees is decided in
    # amparo/warning/access.py.
    "warning.view": frozenset(r.value for r in Role),
    # Coordinated response; which plans each member sees is decided in amparo/response/access.py.
    "response.view": frozenset(r.value for r in Role),
    # The network section; what each member of it may do is decided in amparo/network/access.py.
    "network.view": frozenset(r.value for r in Role),
    # Statistics; which events each role may count is decided in amparo/stats/access.py.
    "stats.view": frozenset(r.value for r in Role),
    "stats.dedupe": frozenset({Role.ADMINISTRATOR, Role.DOCUMENTALIST}),
    # The editors' pages of the public portal; who may prepare, approve or withdraw which
    # publication is decided in amparo/portal/access.py.
    "portal.publish": frozenset(
        {Role.ADMINISTRATOR, Role.DOCUMENTALIST, Role.ANALYST, Role.REVIEWER}
    ),
}


def active_memberships(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(
        user=user, is_active=True, organisation__is_active=True
    ).select_related("organisation")


def held_rules(user: User) -> frozenset[str]:
    """Every rule `user` holds, from one query (the navigation bar asks for several)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(RULES)
    roles = set(active_memberships(user).values_list("role", flat=True))
    return frozenset(rule for rule, granted in RULES.items() if roles & granted)


def has_rule(user: User, rule: str) -> bool:
    if rule not in RULES:
        raise KeyError(f"Unknown access rule {rule!r}")
    return rule in held_rules(user)


def two_factor_verified(user: User) -> bool:
    """Whether this session passed a second factor (django-otp sets `is_verified` per request)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def needs_two_factor(user: User) -> bool:
    """Everyone who can see more than public data, and every deployment administrator."""
    if user.is_superuser or user.is_staff:
        return True
    return active_memberships(user).filter(clearance__gte=Clearance.RESTRICTED).exists()


def administered_organisations(user: User) -> QuerySet[Organisation]:
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(
        memberships__user=user,
        memberships__role=Role.ADMINISTRATOR,
        memberships__is_active=True,
        is_active=True,
    ).distinct()


def visible_audit_entries(user: User) -> QuerySet[AuditEntry]:
    """Deployment administrators see the whole log; an organisation's administrators its part.

    An organisation's part is what was done in it, plus the account events (logins, failed
    attempts, two-factor changes: entries that belong to no organisation) of its members.
    """
    if user.is_superuser:
        return AuditEntry.objects.all()
    organisations = administered_organisations(user)
    members = Membership.objects.filter(organisation__in=organisations).values("user_id")
    member_ids = Membership.objects.filter(organisation__in=organisations).annotate(
        as_text=Cast("user_id", CharField())
    )
    return AuditEntry.objects.filter(
        Q(organisation__in=organisations)
        | Q(organisation__isnull=True, actor_id__in=members)
        | Q(
            organisation__isnull=True,
            object_type="core.user",
            object_id__in=member_ids.values("as_text"),
        )
    )


# --- The deployment: organisations, accounts, vocabularies, the chain ---------------------------


def is_deployment_operator(actor: User | None) -> bool:
    """None is the server's operator at the command line (shell access is the credential);
    a signed-in actor must be a deployment administrator (superuser)."""
    return actor is None or (actor.is_active and actor.is_superuser)


def may_create_organisations(actor: User | None) -> bool:
    return is_deployment_operator(actor)


def may_create_accounts(actor: User | None) -> bool:
    return is_deployment_operator(actor)


def may_load_vocabularies(actor: User | None) -> bool:
    return is_deployment_operator(actor)


def may_manage_members(actor: User | None, organisation: Organisation) -> bool:
    return actor is None or administered_organisations(actor).filter(pk=organisation.pk).exists()


def may_verify_audit_chain(user: User) -> bool:
    """Checking the whole chain reads every entry: deployment administrators only."""
    return user.is_authenticated and user.is_active and user.is_superuser


# --- Who may read the audit trail of which record ----------------------------------------------

CanView = Callable[[User, str], bool]
_object_access: dict[str, CanView] = {}


def register_trail_access(object_type: str, can_view: CanView) -> None:
    """Declare who may read the audit trail of records of `object_type` ("app_label.model").

    Each app registers its own types (in `AppConfig.ready`) with the same predicate its views use,
    so the trail of a record is readable exactly by those who may see the record."""
    registered = _object_access.get(object_type)
    if registered is not None and registered is not can_view:
        raise ValueError(f"Audit trail access for {object_type!r} is already registered.")
    _object_access[object_type] = can_view


def trail_is_registered(object_type: str) -> bool:
    return object_type in _object_access


def can_view_trail(user: User, object_type: str, object_id: str) -> bool:
    """Unknown object types are nobody's to read, so that a trail's existence leaks nothing."""
    can_view = _object_access.get(object_type)
    if can_view is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or can_view(user, object_id)


def _pk(object_id: str) -> int | None:
    return int(object_id) if object_id.isascii() and object_id.isdigit() else None


def _can_view_organisation(user: User, object_id: str) -> bool:
    pk = _pk(object_id)
    return pk is not None and administered_organisations(user).filter(pk=pk).exists()


def _can_view_user(user: User, object_id: str) -> bool:
    pk = _pk(object_id)
    if pk is None:
        return False
    if pk == user.pk:
        return True
    return (
        administered_organisations(user)
        .filter(memberships__user_id=pk, memberships__is_active=True)
        .exists()
    )


def _can_view_vocabulary(user: User, object_id: str) -> bool:
    return has_rule(user, "vocabulary.view")


register_trail_access(Organisation._meta.label_lower, _can_view_organisation)
register_trail_access(User._meta.label_lower, _can_view_user)
register_trail_access(Thesaurus._meta.label_lower, _can_view_vocabulary)
register_trail_access(Term._meta.label_lower, _can_view_vocabulary)


# --- who holds organisation keys (issue 16) -------------------------------------------------------
# An organisation's private key for a level and a purpose is sealed to the members who may read
# the content it protects. Each app that seals content registers its purpose in
# `AppConfig.ready`, with the memberships its own access rules let read it (a Q on Membership:
# the same Q its access queries use), so there is one rule set per purpose; clearance then decides
# the levels. One key pair per purpose, not per organisation alone: a role some app lets read its
# content (a documentalist, case records) must not hold the key of content another app keeps
# from it (intake reports it does not handle).

KeyReaders = Callable[[], Q]


@dataclass(frozen=True)
class KeyPurpose:
    name: str
    # What the key protects, for administrators (pending keys on the organisation page).
    label: StrOrPromise
    readers: KeyReaders


_key_purposes: dict[str, KeyPurpose] = {}


def register_key_readers(purpose: str, label: StrOrPromise, readers: KeyReaders) -> None:
    _key_purposes[purpose] = KeyPurpose(purpose, label, readers)


def key_purposes() -> list[KeyPurpose]:
    """Every registered purpose, in a stable order."""
    return [_key_purposes[name] for name in sorted(_key_purposes)]


def key_purpose(name: str) -> KeyPurpose:
    try:
        return _key_purposes[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"No app registered the key purpose {name!r} (core.access.register_key_readers)."
        ) from None


def key_reading_memberships(
    organisation: Organisation, level: int, purpose: str
) -> QuerySet[Membership]:
    """The active memberships of `organisation` entitled to its private key for `level` and
    `purpose`: a role that purpose's app lets read sealed content, with clearance for `level`;
    with escrow (settings.AMPARO_KEY_ESCROW), the organisation's administrators whatever their
    clearance."""
    entitled = key_purpose(purpose).readers() & Q(clearance__gte=level)
    if settings.AMPARO_KEY_ESCROW:
        entitled |= Q(role=Role.ADMINISTRATOR)
    return Membership.objects.filter(
        entitled, organisation=organisation, is_active=True, user__is_active=True
    )

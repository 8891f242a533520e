"""Who may do what in the core app: organisations, members, the audit log, vocabularies.

Rules are named strings so that views (`permissions.requires`), the API and the CLI ask the same
question. Roles that can see restricted data must use two-factor authentication.
"""

from __future__ import annotations

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from amparo.core.models import AuditEntry, Clearance, Membership, Organisation, Role, User

# rule -> roles (in any organisation) that grant it; superusers hold every rule.
RULES: dict[str, frozenset[str]] = {
    "audit.view_organisation_log": frozenset({Role.ADMINISTRATOR}),
    "organisation.manage_members": frozenset({Role.ADMINISTRATOR}),
    "vocabulary.view": frozenset(r.value for r in Role),
    # The cases section; which events each role sees is decided in amparo/cases/access.py.
    "cases.view": frozenset(r.value for r in Role),
    "cases.record": frozenset({Role.ADMINISTRATOR, Role.DOCUMENTALIST}),
    # The intake inbox; which submissions each member handles is decided in amparo/intake/access.py.
    "intake.handle": frozenset(
        {Role.ADMINISTRATOR, Role.DOCUMENTALIST, Role.FOCAL_POINT, Role.NETWORK_SECRETARIAT}
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

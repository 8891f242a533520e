"""Who sees a person's identity: role and clearance inside, consent outside, pseudonyms else."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.cases import access, services
from amparo.cases.models import ConsentRecord, Person, RecipientKind
from amparo.core.models import AuditEntry, Clearance, Organisation, Role
from amparo.core.services import DomainError
from tests.cases.conftest import sign_in, token_with_keys
from tests.factories import (
    ActFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    member,
)


@pytest.fixture
def world():
    nhri = OrganisationFactory(kind=Organisation.Kind.NHRI)
    documentalist = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    act = ActFactory(
        event__organisation=nhri,
        event__confidentiality=Clearance.RESTRICTED,
        victim__full_name="Berta Cáceres Flores",
        victim__confidentiality=Clearance.CONFIDENTIAL,
    )
    partner = OrganisationFactory(kind=Organisation.Kind.CSO)
    # Cleared for the person's confidentiality: consent alone would not do (see the tables below).
    partner_member = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, partner)
    services.grant_sharing(documentalist, act.event, organisation=partner)
    return {
        "nhri": nhri,
        "documentalist": documentalist,
        "event": act.event,
        "person": act.victim,
        "partner": partner,
        "partner_member": partner_member,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,clearance,sees",
    [
        (Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, True),
        (Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL, True),
        (Role.FOCAL_POINT, Clearance.CONFIDENTIAL, True),
        (Role.DOCUMENTALIST, Clearance.RESTRICTED, False),  # below the person's level
        (Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, False),  # statistics need no names
        (Role.READ_ONLY, Clearance.STRICTLY_CONFIDENTIAL, False),
        (Role.REVIEWER, Clearance.STRICTLY_CONFIDENTIAL, False),
    ],
)
def test_inside_the_owning_organisation_role_and_clearance_decide(
    world, role: str, clearance: int, sees: bool
) -> None:
    colleague = member(role, clearance, world["nhri"])
    shown = access.present_person(colleague, world["person"])

    assert access.identity_visible(colleague, world["person"]) is sees
    assert shown["identified"] is sees
    assert (shown["full_name"] == "Berta Cáceres Flores") is sees
    if not sees:
        assert shown["display_name"] == shown["pseudonym"]
        assert all(shown[name] is None for name in access.IDENTIFYING_FIELDS)


@pytest.mark.django_db
def test_a_partner_sees_a_pseudonym_until_consent_and_again_after_withdrawal(world) -> None:
    partner_member, person = world["partner_member"], world["person"]
    assert access.present_person(partner_member, person)["display_name"].startswith("Person ")

    consent = services.give_consent(
        world["documentalist"],
        person,
        recipient_kind=RecipientKind.PARTNER_ORGANISATIONS,
        purpose="Joint urgent appeal",
    )
    assert access.present_person(partner_member, person)["display_name"] == "Berta Cáceres Flores"

    services.withdraw_consent(world["documentalist"], consent)
    shown = access.present_person(partner_member, person)
    assert not shown["identified"] and shown["full_name"] is None
    actions = AuditEntry.objects.filter(object_type="cases.person").values_list("action", flat=True)
    assert list(actions) == ["person.consent_given", "person.consent_withdrawn"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind,role,covered",
    [
        (Organisation.Kind.CSO, Role.DOCUMENTALIST, {RecipientKind.PARTNER_ORGANISATIONS}),
        (Organisation.Kind.STATE, Role.STATE_REPRESENTATIVE, {RecipientKind.STATE}),
        (Organisation.Kind.MECHANISM, Role.MECHANISM, {RecipientKind.INTERNATIONAL_MECHANISM}),
        (
            Organisation.Kind.SECRETARIAT,
            Role.NETWORK_SECRETARIAT,
            {RecipientKind.PARTNER_ORGANISATIONS},
        ),
    ],
)
def test_each_kind_of_consent_covers_its_kind_of_recipient_and_publication_covers_all(
    world, kind: str, role: str, covered: set[str]
) -> None:
    organisation = OrganisationFactory(kind=kind)
    viewer = member(role, Clearance.CONFIDENTIAL, organisation)
    services.grant_sharing(world["documentalist"], world["event"], organisation=organisation)
    for recipient in RecipientKind.values:
        consent = services.give_consent(
            world["documentalist"], world["person"], recipient_kind=recipient, purpose="test"
        )
        expected = recipient in covered or recipient == RecipientKind.PUBLICATION
        assert access.identity_visible(viewer, world["person"]) is expected, recipient
        services.withdraw_consent(world["documentalist"], consent)


@pytest.mark.django_db
def test_a_consent_naming_one_organisation_covers_only_that_one(world) -> None:
    other = OrganisationFactory(kind=Organisation.Kind.CSO)
    other_member = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, other)
    services.give_consent(
        world["documentalist"],
        world["person"],
        recipient_kind=RecipientKind.PARTNER_ORGANISATIONS,
        recipient_organisation=world["partner"],
        purpose="Legal support by this partner only",
    )
    assert access.identity_visible(world["partner_member"], world["person"])
    assert not access.identity_visible(other_member, world["person"])


@pytest.mark.django_db
def test_withdrawal_shows_on_the_partners_next_page_view(world, client: Client) -> None:
    sign_in(client, world["partner_member"])
    url = reverse("cases:event_detail", args=[world["event"].pk])
    consent = services.give_consent(
        world["documentalist"],
        world["person"],
        recipient_kind=RecipientKind.PARTNER_ORGANISATIONS,
        purpose="Urgent appeal",
    )
    assert "Berta Cáceres Flores" in client.get(url).content.decode()

    services.withdraw_consent(world["documentalist"], consent)

    page = client.get(url).content.decode()
    assert "Berta Cáceres Flores" not in page
    assert access.pseudonym(world["person"]) in page


@pytest.mark.django_db
def test_pseudonyms_are_stable_and_distinct(settings, tmp_path) -> None:
    people = PersonFactory.create_batch(50)
    first = [access.pseudonym(p) for p in people]
    again = [access.pseudonym(Person.objects.get(pk=p.pk)) for p in people]

    assert first == again
    assert len(set(first)) == len(first)
    assert all(re.fullmatch(r"Person [0-9A-Z]{6}", name) for name in first)


@pytest.mark.django_db
def test_pseudonyms_are_keyed_so_an_id_cannot_be_recomputed_without_the_key_ring(
    settings, tmp_path
) -> None:
    from amparo.core import crypto

    person = PersonFactory()
    ours = access.pseudonym(person)
    other_ring = tmp_path / "other-keyring.json"
    other_ring.write_text(crypto.generate_keyring().to_json())
    settings.AMPARO_KEY_FILE = other_ring

    assert access.pseudonym(person) != ours


@pytest.mark.django_db
def test_a_defender_and_an_organisation_are_called_so_in_their_pseudonym(term) -> None:
    defender = PersonFactory()
    defender.defender_types.set([term("journalist", "defender_types")])
    organisation = PersonFactory(kind=Person.Kind.ORGANISATION)

    assert access.pseudonym(defender).startswith("Defender ")
    assert access.pseudonym(organisation).startswith("Organisation ")


@pytest.mark.django_db
def test_only_staff_who_know_the_person_may_record_consent(world) -> None:
    restricted = member(Role.DOCUMENTALIST, Clearance.RESTRICTED, world["nhri"])
    with pytest.raises(PermissionDenied):
        services.give_consent(
            restricted, world["person"], recipient_kind=RecipientKind.STATE, purpose="x"
        )
    with pytest.raises(PermissionDenied):
        services.give_consent(
            world["partner_member"],
            world["person"],
            recipient_kind=RecipientKind.STATE,
            purpose="x",
        )
    consent = services.give_consent(
        world["documentalist"], world["person"], recipient_kind=RecipientKind.STATE, purpose="x"
    )
    services.withdraw_consent(world["documentalist"], consent)
    with pytest.raises(DomainError):
        services.withdraw_consent(world["documentalist"], consent)
    assert ConsentRecord.objects.get(pk=consent.pk).withdrawn_by == world["documentalist"]


@pytest.mark.django_db
def test_exact_name_search_finds_people_only_for_those_who_may_see_them(world, term) -> None:
    from amparo.cases.queries import EventFilters, event_conditions

    def found(user) -> bool:
        conditions = event_conditions(EventFilters(name="  berta  CÁCERES flores "), user)
        return access.visible_events(user).filter(conditions.per_event).exists()

    assert found(world["documentalist"])
    assert not found(world["partner_member"])  # sees the event, not who is in it
    assert not found(member(Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, world["nhri"]))
    assert not access.can_search_names(
        member(Role.STATE_REPRESENTATIVE, Clearance.STRICTLY_CONFIDENTIAL)
    )


# --- Clearance and consent: both, never one instead of the other (issue 9, item 8) --------------

LEVELS = list(Clearance)
# Roles whose members see the identities of their own organisation's persons (cleared for them).
SEES_OWN_IDENTITIES = {Role.ADMINISTRATOR, Role.DOCUMENTALIST, Role.FOCAL_POINT}
# Each kind of partner: the kind of their organisation, their role there, the consent covering them.
PARTNERS = {
    "cso": (Organisation.Kind.CSO, Role.DOCUMENTALIST, RecipientKind.PARTNER_ORGANISATIONS),
    "other_nhri": (Organisation.Kind.NHRI, Role.DOCUMENTALIST, RecipientKind.PARTNER_ORGANISATIONS),
    "secretariat": (
        Organisation.Kind.SECRETARIAT,
        Role.NETWORK_SECRETARIAT,
        RecipientKind.PARTNER_ORGANISATIONS,
    ),
    "state": (Organisation.Kind.STATE, Role.STATE_REPRESENTATIVE, RecipientKind.STATE),
    "mechanism": (
        Organisation.Kind.MECHANISM,
        Role.MECHANISM,
        RecipientKind.INTERNATIONAL_MECHANISM,
    ),
}
# The consents a person may have, as (situation, covers the partner?), for a partner covered by
# consents of kind `covering` and belonging to `own`; `other` is another organisation.
CONSENT_SITUATIONS = (
    "none",
    *RecipientKind.values,
    "named_this_partner",
    "named_another_organisation",
    "withdrawn",
    "given_tomorrow",
)


def _covers(situation: str, covering: str) -> bool:
    """Whether the consent of `situation` covers a partner whom consents of kind `covering`
    cover, clearance aside."""
    if situation in RecipientKind.values:
        return situation in (covering, RecipientKind.PUBLICATION)
    return situation == "named_this_partner"


def _give(
    person: Person,
    situation: str,
    covering: str,
    own: Organisation,
    other: Organisation,
    recorder,
) -> None:
    if situation == "none":
        return
    kind = situation if situation in RecipientKind.values else covering
    named = {"named_this_partner": own, "named_another_organisation": other}.get(situation)
    today = datetime.date.today()
    ConsentRecord.objects.create(
        person=person,
        recipient_kind=kind,
        recipient_organisation=named,
        purpose="Table test",
        given_on=today + datetime.timedelta(days=1) if situation == "given_tomorrow" else today,
        recorded_by=recorder,
        withdrawn_on=today if situation == "withdrawn" else None,
        withdrawn_at=timezone.now() if situation == "withdrawn" else None,
    )


@pytest.fixture
def persons_at_every_level(world) -> dict[int, Person]:
    """A person of the NHRI kept at each confidentiality level, by level."""
    return {
        level: PersonFactory(organisation=world["nhri"], confidentiality=level) for level in LEVELS
    }


@pytest.mark.django_db
@pytest.mark.parametrize("partner", PARTNERS)
def test_a_partner_sees_an_identity_only_with_a_covering_consent_and_clearance_for_it(
    world, persons_at_every_level, partner: str
) -> None:
    kind, role, covering = PARTNERS[partner]
    own = OrganisationFactory(kind=kind)
    other = OrganisationFactory(kind=kind)
    viewers = {level: member(role, level, own) for level in LEVELS}
    wrong = []
    for situation in CONSENT_SITUATIONS:
        for person in persons_at_every_level.values():
            _give(person, situation, covering, own, other, world["documentalist"])
        for clearance, viewer in viewers.items():
            for level, person in persons_at_every_level.items():
                expected = _covers(situation, covering) and clearance >= level
                if access.identity_visible(viewer, person) is not expected:
                    wrong.append((situation, clearance.name, level.name, expected))
        ConsentRecord.objects.all().delete()
    assert wrong == [], "(consent, viewer's clearance, person's level, expected)"


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_inside_the_owner_role_and_clearance_decide_and_no_consent_stands_in_for_either(
    world, persons_at_every_level, role: str
) -> None:
    viewers = {level: member(role, level, world["nhri"]) for level in LEVELS}
    wrong = []
    for situation in CONSENT_SITUATIONS:
        for person in persons_at_every_level.values():
            # A consent naming the owner itself, where a kind allows naming.
            _give(
                person,
                situation,
                RecipientKind.STATE,
                world["nhri"],
                world["partner"],
                world["documentalist"],
            )
        for clearance, viewer in viewers.items():
            for level, person in persons_at_every_level.items():
                by_role = role in SEES_OWN_IDENTITIES or situation == RecipientKind.PUBLICATION
                expected = by_role and clearance >= level
                if access.identity_visible(viewer, person) is not expected:
                    wrong.append((situation, clearance.name, level.name, expected))
        ConsentRecord.objects.all().delete()
    assert wrong == [], "(consent, member's clearance, person's level, expected)"


@pytest.mark.django_db
def test_a_high_clearance_elsewhere_does_not_lift_a_consent_that_covers_a_lower_one(world) -> None:
    person = PersonFactory(
        organisation=world["nhri"], confidentiality=Clearance.STRICTLY_CONFIDENTIAL
    )
    viewer = member(
        Role.STATE_REPRESENTATIVE,
        Clearance.RESTRICTED,
        OrganisationFactory(kind=Organisation.Kind.STATE),
    )
    MembershipFactory(
        user=viewer,
        organisation=OrganisationFactory(kind=Organisation.Kind.CSO),
        role=Role.DOCUMENTALIST,
        clearance=Clearance.STRICTLY_CONFIDENTIAL,
    )
    services.give_consent(
        world["documentalist"], person, recipient_kind=RecipientKind.STATE, purpose="Appeal"
    )
    assert not access.identity_visible(viewer, person)

    services.give_consent(
        world["documentalist"],
        person,
        recipient_kind=RecipientKind.PARTNER_ORGANISATIONS,
        purpose="Appeal",
    )
    assert access.identity_visible(viewer, person)


@pytest.fixture
def state_with_consent(world):
    """The reported case: a strictly confidential person of the NHRI, a consent to the State,
    the event shared with the State, whose representative has restricted clearance like the
    NHRI's own restricted staff."""
    event = world["event"]
    person = world["person"]
    Person.objects.filter(pk=person.pk).update(confidentiality=Clearance.STRICTLY_CONFIDENTIAL)
    person.refresh_from_db()
    state = OrganisationFactory(kind=Organisation.Kind.STATE)
    representative = member(Role.STATE_REPRESENTATIVE, Clearance.RESTRICTED, state)
    services.grant_sharing(world["documentalist"], event, organisation=state)
    for kind in RecipientKind.values:
        if kind != RecipientKind.PUBLICATION:
            services.give_consent(
                world["documentalist"], person, recipient_kind=kind, purpose="Urgent appeal"
            )
    restricted_staff = member(Role.DOCUMENTALIST, Clearance.RESTRICTED, world["nhri"])
    return {**world, "person": person, "representative": representative, "staff": restricted_staff}


@pytest.mark.django_db
def test_a_state_consent_names_no_strictly_confidential_person_to_restricted_clearance(
    state_with_consent, client: Client
) -> None:
    world = state_with_consent
    for viewer in (world["representative"], world["staff"]):
        assert not access.identity_visible(viewer, world["person"])
        sign_in(client, viewer)
        page = client.get(reverse("cases:event_detail", args=[world["event"].pk])).content.decode()
        assert "Berta" not in page
        assert access.pseudonym(world["person"]) in page


@pytest.mark.django_db
def test_the_api_search_and_exports_follow_the_same_rule(
    state_with_consent, client: Client
) -> None:
    from amparo.cases.exchange import exports
    from amparo.cases.queries import EventFilters, event_conditions

    world = state_with_consent
    representative, person = world["representative"], world["person"]
    secret = token_with_keys(representative)
    header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    for path in (f"/api/v1/persons/{person.pk}", f"/api/v1/events/{world['event'].pk}"):
        answer = client.get(path, **header)
        assert answer.status_code == 200, path
        assert "Berta" not in answer.content.decode(), path

    conditions = event_conditions(EventFilters(name="Berta Cáceres Flores"), representative)
    assert not access.visible_events(representative).filter(conditions.per_event).exists()

    out = io.StringIO()
    exports.export(world["staff"], "json", out)
    assert "Berta" not in out.getvalue()
    assert access.pseudonym(person) in out.getvalue()

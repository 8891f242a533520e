"""Drafts are sealed with the organisation's "portal" key of their level (issue 16): who opens
one, who may approve one, what making one needs, what a withdrawal does without the key, and
moving an installation's drafts off the key ring.

Marked `only_real_keys`: each person reads with the keys their memberships entitle them to
(tests.keys.grant_everything, as their sign-in would open them), never with every key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from amparo.cases import services as cases_services
from amparo.cases.models import RecipientKind
from amparo.core import keychain
from amparo.core import keys as core_keys
from amparo.core.custody import KeysLocked
from amparo.core.fields import LockedValue
from amparo.core.models import AuditEntry, Clearance, Organisation, OrganisationKey, Role, User
from amparo.core.services import DomainError
from amparo.portal import access, services
from amparo.portal.models import Publication
from tests.cases.conftest import sign_in, token_with_keys
from tests.cases.test_sealed_records import under_the_ring
from tests.factories import PASSWORD, OrganisationFactory, member
from tests.keys import grant_everything
from tests.portal.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.only_real_keys]
NAME = "SECRET-NAME-MARK"  # the world's victim (tests.portal.conftest)


def keys_of(user: User) -> keychain.Keychain:
    return grant_everything(user, PASSWORD)


def opened(user: User, publication: Publication) -> Any:
    """The draft as `user`'s keys read it."""
    with keychain.using(keys_of(user)):
        return Publication.objects.get(pk=publication.pk).content


def draft(world: World, *, naming: bool = True) -> Publication:
    if naming:
        with keychain.using(keys_of(world.editor)):
            cases_services.give_consent(
                world.editor,
                world.victim,
                recipient_kind=RecipientKind.PUBLICATION,
                purpose="portal",
            )
    with keychain.using(keys_of(world.editor)):
        return services.create_events_publication(
            world.editor,
            world.organisation,
            title="Sealed",
            summary="",
            reference_codes=[world.event.reference_code],
        )


def at_level(world: World, level: int) -> None:
    """The world's event and victim at `level` (saved with keys that open them)."""
    with keychain.using(keys_of(world.editor)):
        for record in (world.event, world.victim):
            record.confidentiality = level
            record.save()


# --- who opens a draft -----------------------------------------------------------------------


def test_who_opens_a_draft_follows_who_may_view_it_and_their_clearance(world: World) -> None:
    """Every role and clearance of the organisation, and members of others (an administrator, a
    State representative, a mechanism, the network secretariat): a draft opens for exactly the
    roles that view publications, cleared for its level; nobody opens one they could not view
    before."""
    at_level(world, Clearance.CONFIDENTIAL)
    publication = draft(world)
    assert publication.confidentiality == Clearance.CONFIDENTIAL
    wrong = []
    for role in Role.values:
        for clearance in Clearance.values:
            user = member(role, clearance, world.organisation)
            content = opened(user, publication)
            opens = not isinstance(content, LockedValue)
            if opens:
                assert content["events"][0]["acts"][0]["victim"]["name"] == NAME
            may_view = role in access.ROLE_ACTIONS[access.VIEW]
            expected = may_view and clearance >= Clearance.CONFIDENTIAL
            if opens != expected or (opens and not access.can(user, access.VIEW, publication)):
                wrong.append((role, clearance, opens))
    outsiders = [
        member(Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL),
        member(
            Role.STATE_REPRESENTATIVE,
            Clearance.STRICTLY_CONFIDENTIAL,
            OrganisationFactory(kind=Organisation.Kind.STATE),
        ),
        member(
            Role.MECHANISM,
            Clearance.STRICTLY_CONFIDENTIAL,
            OrganisationFactory(kind=Organisation.Kind.MECHANISM),
        ),
        member(
            Role.NETWORK_SECRETARIAT,
            Clearance.STRICTLY_CONFIDENTIAL,
            OrganisationFactory(kind=Organisation.Kind.SECRETARIAT),
        ),
    ]
    for outsider in outsiders:
        if not isinstance(opened(outsider, publication), LockedValue):
            wrong.append((outsider.username, "outsider", True))
    assert wrong == []


def test_a_draft_that_holds_only_restricted_records_opens_at_restricted(world: World) -> None:
    publication = draft(world, naming=False)
    assert publication.confidentiality == Clearance.RESTRICTED
    assert not isinstance(opened(world.reviewer, publication), LockedValue)
    public = member(Role.REVIEWER, Clearance.PUBLIC, world.organisation)
    assert isinstance(opened(public, publication), LockedValue)


# --- approval needs clearance for the draft ---------------------------------------------------


def test_a_reviewer_not_cleared_for_the_draft_cannot_approve_it(world: World) -> None:
    at_level(world, Clearance.CONFIDENTIAL)
    publication = draft(world)
    with keychain.using(keys_of(world.editor)):
        services.submit(world.editor, publication)
    assert world.reviewer.memberships.get().clearance == Clearance.RESTRICTED
    publication.refresh_from_db()
    reason = access.refusal(world.reviewer, access.APPROVE, publication)
    assert reason is not None and "confidential" in reason
    with keychain.using(keys_of(world.reviewer)), pytest.raises(DomainError, match="clearance"):
        services.approve(world.reviewer, publication)
    publication.refresh_from_db()
    assert publication.state == Publication.State.SUBMITTED
    assert publication.public_content == {}
    cleared = member(Role.REVIEWER, Clearance.CONFIDENTIAL, world.organisation)
    assert access.refusal(cleared, access.APPROVE, publication) is None
    with keychain.using(keys_of(cleared)):
        services.approve(cleared, publication)
    publication.refresh_from_db()
    assert publication.public_content["events"][0]["acts"][0]["victim"]["name"] == NAME


def test_a_public_clearance_reviewer_is_told_why_on_the_page(world: World, client: Client) -> None:
    publication = draft(world, naming=False)
    with keychain.using(keys_of(world.editor)):
        services.submit(world.editor, publication)
    public = member(Role.REVIEWER, Clearance.PUBLIC, world.organisation)
    sign_in(client, public)
    page = client.get(f"/portal/manage/{publication.pk}/").content.decode()
    assert "a reviewer with restricted clearance" in page
    assert "Locked" in page
    response = client.post(f"/portal/manage/{publication.pk}/approve/", follow=True)
    assert "your clearance does not cover" in response.content.decode()
    publication.refresh_from_db()
    assert publication.state == Publication.State.SUBMITTED


def test_a_cleared_reviewer_whose_key_is_pending_cannot_publish_a_locked_label(
    world: World,
) -> None:
    publication = draft(world, naming=False)
    with keychain.using(keys_of(world.editor)):
        services.submit(world.editor, publication)
    # Cleared, but no grant opened in this keychain (a pending key).
    with keychain.using(keychain.Keychain()), pytest.raises(KeysLocked):
        services.approve(world.reviewer, Publication.objects.get(pk=publication.pk))
    publication.refresh_from_db()
    assert publication.state == Publication.State.SUBMITTED
    assert publication.public_content == {}


def test_the_api_shows_the_locked_label_to_a_reader_without_the_key(
    world: World, client: Client
) -> None:
    publication = draft(world)
    public = member(Role.REVIEWER, Clearance.PUBLIC, world.organisation)
    detail = client.get(
        f"/api/v1/portal/publications/{publication.pk}",
        HTTP_AUTHORIZATION=f"Bearer {token_with_keys(public)}",
    ).json()
    assert NAME not in json.dumps(detail)
    assert "Locked" in detail["content"]
    editor = client.get(
        f"/api/v1/portal/publications/{publication.pk}",
        HTTP_AUTHORIZATION=f"Bearer {token_with_keys(world.editor)}",
    ).json()
    assert editor["content"]["events"][0]["acts"][0]["victim"]["name"] == NAME


# --- making a draft needs the keys of what it names ------------------------------------------


def test_an_editor_whose_keys_do_not_open_a_name_is_refused_and_nothing_is_written(
    world: World,
) -> None:
    """An analyst sees events but holds no key of the case records' identities: a draft that
    would name a consenting victim is refused rather than made with a "locked" label."""
    draft(world)  # the consent; one draft made by the editor
    analyst = member(Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, world.organisation)
    chain = keys_of(analyst)
    made = Publication.objects.count()
    entries = AuditEntry.objects.count()
    with keychain.using(chain), pytest.raises(ValidationError) as refused:
        services.create_events_publication(
            analyst,
            world.organisation,
            title="By the analyst",
            summary="",
            reference_codes=[world.event.reference_code],
        )
    assert "sealed with keys you do not hold" in str(refused.value)
    assert Publication.objects.count() == made
    assert AuditEntry.objects.count() == entries


# --- a withdrawal never needs the key ----------------------------------------------------------


def test_a_consent_withdrawn_by_someone_without_the_portal_key_discards_the_draft(
    world: World,
) -> None:
    """A documentalist whose portal key is still pending (just added; or the portal's keys are
    new to the installation and nobody who holds them signed in since) opens the case records
    but not the draft: the draft that names the person cannot be scrubbed, so it is discarded,
    and the withdrawal happens all the same."""
    publication = draft(world)
    with keychain.using(keys_of(world.editor)):
        services.submit(world.editor, publication)
    colleague = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, world.organisation)
    portal_keys = set(
        OrganisationKey.objects.filter(purpose=access.KEY_PURPOSE).values_list("pk", flat=True)
    )
    chain = keys_of(colleague)
    for pk in portal_keys:
        chain.organisation_keys.pop(pk, None)
    consent = world.victim.consents.get()
    with keychain.using(chain):
        cases_services.withdraw_consent(colleague, consent)
    publication.refresh_from_db()
    assert publication.state == Publication.State.WITHDRAWN
    assert publication.withdrawal_reason == Publication.WithdrawalReason.CONSENT
    assert opened(world.editor, publication) == {}
    entry = AuditEntry.objects.get(action="portal.publication_consent_withdrawn")
    assert entry.changes["draft_discarded"] is True


def test_a_consent_withdrawn_by_a_reader_of_the_draft_scrubs_the_name_and_keeps_the_rest(
    world: World,
) -> None:
    publication = draft(world)
    consent = world.victim.consents.get()
    with keychain.using(keys_of(world.editor)):
        cases_services.withdraw_consent(world.editor, consent)
    content = opened(world.editor, publication)
    assert content["events"][0]["acts"][0]["victim"]["pseudonym"]
    assert NAME not in json.dumps(content)
    entry = AuditEntry.objects.get(action="portal.publication_consent_withdrawn")
    assert "draft_discarded" not in entry.changes


def test_a_draft_naming_nobody_withdrawn_without_its_key_is_kept_sealed(world: World) -> None:
    """`amparo portal withdraw` runs with nobody's key: the withdrawal happens; a draft with no
    name to scrub stays as it was, for its readers."""
    publication = draft(world, naming=False)
    before = opened(world.editor, publication)
    with keychain.using(keychain.Keychain()):
        services.withdraw(world.reviewer, Publication.objects.get(pk=publication.pk))
    publication.refresh_from_db()
    assert publication.state == Publication.State.WITHDRAWN
    assert opened(world.editor, publication) == before


# --- amparo keys migrate ---------------------------------------------------------------------


def test_keys_migrate_moves_drafts_off_the_key_ring_and_they_read_the_same(world: World) -> None:
    at_level(world, Clearance.CONFIDENTIAL)
    publication = draft(world)
    before = opened(world.editor, publication)
    under_the_ring(publication, ("content",), [before])
    assert Publication.objects.filter(data_key__isnull=True).count() == 1
    core_keys.migrate(batch_size=5)
    publication.refresh_from_db()
    assert publication.data_key_id is not None
    assert opened(world.editor, publication) == before
    assert publication.confidentiality == Clearance.CONFIDENTIAL
    # Sealed at the draft's level: the restricted reviewer does not open it.
    assert isinstance(opened(world.reviewer, publication), LockedValue)

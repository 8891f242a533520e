"""Key custody (issue 16): organisation and personal keys, grants, unlocking at login, logout.

These tests hold no key of their own (`only_real_keys`): whatever opens, opens because the code
under test unlocked it."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from amparo.api import tokens
from amparo.cases import access as cases_access
from amparo.core import access as core_access
from amparo.core import custody, keychain, sealing, services
from amparo.core.models import (
    Clearance,
    DataKeyCopy,
    KeyGrant,
    Membership,
    Organisation,
    OrganisationKey,
    PersonalKey,
    Role,
    User,
)
from amparo.intake import access as intake_access
from amparo.portal import access as portal_access
from tests.core.test_accounts import current_code
from tests.factories import PASSWORD, OrganisationFactory, TOTPDeviceFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.only_real_keys]

LOGIN = reverse("core:login")
LEVELS = custody.LEVELS
INTAKE = intake_access.KEY_PURPOSE
CASES = cases_access.KEY_PURPOSE


def organisation(kind: str = Organisation.Kind.NHRI) -> Organisation:
    org = OrganisationFactory(kind=kind)
    custody.ensure_organisation_keys(org)
    return org


def log_in(client: Client, user: User, password: str = PASSWORD) -> object:
    device = TOTPDeviceFactory(user=user)
    return client.post(
        LOGIN, {"username": user.username, "password": password, "otp_token": current_code(device)}
    )


def session_keys(client: Client, user: User) -> keychain.Keychain:
    """The keys the session of `client` opens with its cookie, as the middleware would."""
    user.refresh_from_db()
    return keychain.from_session(
        client.session,
        client.cookies[keychain.COOKIE_NAME].value
        if keychain.COOKIE_NAME in client.cookies
        else "",
        user_id=user.pk,
        generation=user.session_generation,
    )


def granted_levels(user: User, org: Organisation, purpose: str = INTAKE) -> set[int]:
    """The levels of `org`'s keys for `purpose` (by default intake's, whose rule these tests
    follow) granted to `user`."""
    return set(
        KeyGrant.objects.filter(
            user=user, organisation_key__organisation=org, organisation_key__purpose=purpose
        ).values_list("organisation_key__level", flat=True)
    )


def test_an_organisation_made_by_the_service_has_a_key_per_protected_level_and_purpose() -> None:
    org = services.create_organisation(None, name="NHRI X", short_code="NX", kind="nhri")
    keys = OrganisationKey.objects.filter(organisation=org)
    assert sorted(keys.values_list("purpose", "level")) == sorted(
        (purpose.name, level) for purpose in core_access.key_purposes() for level in LEVELS
    )
    # Nobody can hold them yet: the server keeps them until the first grant.
    assert all(key.server_custody is not None for key in keys)


def test_a_member_holds_the_keys_of_the_purposes_whose_rule_lets_them_read_and_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An analyst may read some other app's sealed content but handles no report: they hold
    that app's keys, never intake's (one key per organisation and level would have opened the
    reports to them)."""
    monkeypatch.setitem(
        core_access._key_purposes,
        "analysis",
        core_access.KeyPurpose("analysis", "analysis", lambda: Q(role=Role.ANALYST)),
    )
    org = organisation()
    analyst, handler = UserFactory(), UserFactory()
    for user, role in ((analyst, Role.ANALYST), (handler, Role.FOCAL_POINT)):
        services.add_member(None, user=user, organisation=org, role=role, clearance=2)
        custody.unlock(user, PASSWORD)
    custody.fulfil_pending_grants(organisation=org)
    up_to_confidential = {Clearance.RESTRICTED, Clearance.CONFIDENTIAL}
    assert granted_levels(analyst, org, "analysis") == up_to_confidential
    assert granted_levels(analyst, org) == set()
    assert granted_levels(handler, org) == up_to_confidential
    assert granted_levels(handler, org, "analysis") == set()
    report_key = custody.new_data_key(org, Clearance.RESTRICTED, INTAKE)
    with keychain.using(custody.unlock(analyst, PASSWORD).keychain):
        assert custody.open_data_key(report_key.pk) is None
    with keychain.using(custody.unlock(handler, PASSWORD).keychain):
        assert custody.open_data_key(report_key.pk) is not None


def test_the_first_entitled_member_receives_the_keys_and_the_server_lets_them_go() -> None:
    org = organisation()
    user = UserFactory()
    services.add_member(None, user=user, organisation=org, role=Role.FOCAL_POINT, clearance=2)
    assert granted_levels(user, org) == {Clearance.RESTRICTED, Clearance.CONFIDENTIAL}
    custodied = OrganisationKey.objects.filter(organisation=org, server_custody__isnull=False)
    # Every key the member received left the server's custody; those nobody may hold yet stay:
    # the strictly confidential key of each purpose, and every key of a purpose whose rule does
    # not name focal points (the portal's editors and reviewers).
    keys = OrganisationKey.objects.filter(organisation=org)
    granted = set(KeyGrant.objects.filter(user=user).values_list("organisation_key", flat=True))
    assert set(custodied.values_list("pk", flat=True)) == set(
        keys.exclude(pk__in=granted).values_list("pk", flat=True)
    )
    assert {
        (Clearance.STRICTLY_CONFIDENTIAL, purpose.name) for purpose in core_access.key_purposes()
    } <= set(custodied.values_list("level", "purpose"))
    assert {INTAKE, "cases"} <= set(
        keys.filter(pk__in=granted, level=Clearance.CONFIDENTIAL).values_list("purpose", flat=True)
    )


ROLES_AND_CLEARANCES = [
    (role, clearance, kind)
    for role in Role
    for clearance in Clearance
    for kind in (Organisation.Kind.NHRI, Organisation.Kind.SECRETARIAT)
]


@pytest.mark.parametrize(("role", "clearance", "kind"), ROLES_AND_CLEARANCES)
def test_who_receives_which_keys_follows_the_rule_of_each_purpose(
    role: str, clearance: int, kind: str
) -> None:
    """Intake's keys go to intake handlers, who read reports; the case records' keys to case
    staff who see identities and partner roles who see them under consent in what is shared
    (cases.access.key_readers); the portal's to its editors and reviewers, who view drafts.
    Neither rule opens the other's content."""
    org = organisation(kind)
    user = UserFactory()
    services.add_member(None, user=user, organisation=org, role=role, clearance=clearance)
    memberships = Membership.objects.filter(user=user, organisation=org)
    reads = {
        INTAKE: intake_access.handler_memberships(user).filter(organisation=org).exists(),
        CASES: memberships.filter(cases_access.key_readers()).exists(),
        # The portal's keys: whoever its access rule lets view the organisation's publications.
        portal_access.KEY_PURPOSE: portal_access.organisations_allowing(user, portal_access.VIEW)
        .filter(pk=org.pk)
        .exists(),
    }
    for purpose, entitled in reads.items():
        expected = {level for level in LEVELS if level <= clearance} if entitled else set()
        assert granted_levels(user, org, purpose) == expected, purpose


def test_escrow_gives_administrators_every_level_whatever_their_clearance(settings: object) -> None:
    org = organisation()
    admin = UserFactory()
    services.add_member(None, user=admin, organisation=org, role=Role.ADMINISTRATOR, clearance=0)
    assert granted_levels(admin, org) == set()
    settings.AMPARO_KEY_ESCROW = True  # type: ignore[attr-defined]
    custody.fulfil_pending_grants(chain=custody.unlock(admin, PASSWORD).keychain)
    services.add_member(None, user=admin, organisation=org, role=Role.ANALYST, clearance=0)
    assert granted_levels(admin, org) == set(LEVELS)


def test_a_member_added_while_nobody_holds_the_key_waits_for_a_keyholder_to_sign_in() -> None:
    org = organisation()
    first, second = UserFactory(), UserFactory()
    # Two commands of the operator, who holds no key: the first takes the key out of custody.
    with keychain.using(keychain.Keychain()):
        services.add_member(None, user=first, organisation=org, role="documentalist", clearance=1)
    with keychain.using(keychain.Keychain()):
        services.add_member(None, user=second, organisation=org, role="documentalist", clearance=1)
    assert granted_levels(second, org) == set()
    assert [(p.user, p.level, p.purpose) for p in custody.pending_grants(org)] == [
        (second, Clearance.RESTRICTED, purpose.name) for purpose in core_access.key_purposes()
    ]
    response = log_in(Client(), first)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert granted_levels(second, org) == {Clearance.RESTRICTED}
    assert custody.pending_grants(org) == []


def test_a_member_added_by_an_administrator_holding_the_key_receives_it_at_once() -> None:
    org = organisation()
    admin, newcomer = UserFactory(), UserFactory()
    services.add_member(None, user=admin, organisation=org, role=Role.ADMINISTRATOR, clearance=3)
    client = Client()
    log_in(client, admin)
    response = client.post(
        reverse("core:organisation_detail", args=[org.pk]),
        {"action": "add", "username": newcomer.username, "role": Role.FOCAL_POINT, "clearance": 1},
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert granted_levels(newcomer, org) == {Clearance.RESTRICTED}


def test_the_pending_keys_are_shown_to_administrators() -> None:
    org = organisation()
    admin, waiting = UserFactory(), UserFactory(personal_key=False)
    services.add_member(None, user=admin, organisation=org, role=Role.ADMINISTRATOR, clearance=3)
    services.add_member(None, user=waiting, organisation=org, role=Role.FOCAL_POINT, clearance=1)
    client = Client()
    log_in(client, admin)
    page = client.get(reverse("core:organisation_detail", args=[org.pk])).content.decode()
    assert "Pending keys" in page
    assert waiting.username in page
    assert "no personal key yet" in page


def test_ending_a_membership_or_lowering_clearance_withdraws_grants() -> None:
    org = organisation()
    admin, member = UserFactory(), UserFactory()
    services.add_member(None, user=admin, organisation=org, role=Role.ADMINISTRATOR, clearance=3)
    membership = services.add_member(
        None, user=member, organisation=org, role=Role.DOCUMENTALIST, clearance=3
    )
    assert granted_levels(member, org) == set(LEVELS)
    services.deactivate_member(admin, membership)
    assert granted_levels(member, org) == set()
    services.add_member(None, user=member, organisation=org, role=Role.DOCUMENTALIST, clearance=1)
    custody.fulfil_pending_grants(chain=custody.unlock(admin, PASSWORD).keychain)
    assert granted_levels(member, org) == {Clearance.RESTRICTED}
    Membership.objects.filter(pk=membership.pk).update(clearance=3)
    custody.fulfil_pending_grants(chain=custody.unlock(admin, PASSWORD).keychain)
    assert granted_levels(member, org) == set(LEVELS)
    services.add_member(None, user=member, organisation=org, role=Role.DOCUMENTALIST, clearance=2)
    assert granted_levels(member, org) == {Clearance.RESTRICTED, Clearance.CONFIDENTIAL}


def test_login_unlocks_the_granted_keys_into_the_session_under_the_cookie_secret() -> None:
    org = organisation()
    user = UserFactory()
    services.add_member(None, user=user, organisation=org, role=Role.FOCAL_POINT, clearance=1)
    client = Client()
    response = log_in(client, user)
    assert response.status_code == 302  # type: ignore[attr-defined]
    cookie = response.cookies[keychain.COOKIE_NAME]  # type: ignore[attr-defined]
    # Sent along a link followed from an e-mail, as the session cookie is (not Strict: the first
    # page opened from a notice showed "locked" values).
    assert cookie["httponly"] and cookie["samesite"] == "Lax" == settings.SESSION_COOKIE_SAMESITE
    restricted = OrganisationKey.objects.get(
        organisation=org, level=Clearance.RESTRICTED, purpose=INTAKE
    )
    # The focal point handles reports and sees identities in case records: both purposes' keys,
    # and every key granted to them, in the session.
    granted = set(KeyGrant.objects.filter(user=user).values_list("organisation_key", flat=True))
    assert set(session_keys(client, user).organisation_keys) == granted
    assert {INTAKE, "cases"} <= set(
        OrganisationKey.objects.filter(pk__in=granted).values_list("purpose", flat=True)
    )
    assert restricted.pk in session_keys(client, user).organisation_keys
    assert client.get(reverse("core:account")).content.decode().count("are unlocked") == 1


def test_a_copy_of_the_session_table_without_the_cookie_opens_nothing() -> None:
    org = organisation()
    user = UserFactory()
    services.add_member(None, user=user, organisation=org, role=Role.FOCAL_POINT, clearance=3)
    client = Client()
    log_in(client, user)
    private_keys = session_keys(client, user).organisation_keys.values()
    assert private_keys
    row = Session.objects.get(session_key=client.session.session_key)
    for private in private_keys:
        assert private not in row.session_data.encode()
        assert sealing.public_of(private)  # a real key, not a stand-in
    stolen = Session.objects.get(pk=row.pk).get_decoded()
    store = type(client.session)(session_key=row.session_key)
    store.update(stolen)
    assert not keychain.from_session(store, "", user_id=user.pk, generation=0)
    forged = "A" * 43
    assert not keychain.from_session(store, forged, user_id=user.pk, generation=0)


def test_a_wrong_password_opens_no_key_and_says_so() -> None:
    user = UserFactory()
    with pytest.raises(custody.CustodyError, match="password does not open"):
        custody.unlock(user, "not the password")


def test_a_password_change_re_seals_the_personal_key() -> None:
    org = organisation()
    user = UserFactory()
    services.add_member(None, user=user, organisation=org, role=Role.FOCAL_POINT, clearance=1)
    with pytest.raises(custody.CustodyError):
        custody.change_password(user, "wrong", "a much better passphrase 42")
    custody.change_password(user, PASSWORD, "a much better passphrase 42")
    assert custody.unlock(user, "a much better passphrase 42").keychain.organisation_keys
    with pytest.raises(custody.CustodyError):
        custody.unlock(user, PASSWORD)


def test_the_recovery_key_resets_the_password_and_a_wrong_one_changes_nothing() -> None:
    org = organisation()
    user = UserFactory(personal_key=False)
    recovery_key = custody.set_up_personal_key(user, PASSWORD)
    services.add_member(None, user=user, organisation=org, role=Role.FOCAL_POINT, clearance=1)
    before = bytes(PersonalKey.objects.get(user=user).wrapped_by_password)
    with pytest.raises(custody.CustodyError, match="recovery key does not open"):
        custody.recover(user, "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-A", "a new passphrase for me")
    assert bytes(PersonalKey.objects.get(user=user).wrapped_by_password) == before
    custody.recover(user, recovery_key.lower().replace("-", " "), "a new passphrase for me")
    user.refresh_from_db()
    assert user.check_password("a new passphrase for me")
    assert custody.unlock(user, "a new passphrase for me").keychain.organisation_keys


def test_the_first_login_of_an_account_without_a_personal_key_shows_its_recovery_key_once() -> None:
    org = organisation()
    user = UserFactory(personal_key=False)
    services.add_member(None, user=user, organisation=org, role=Role.FOCAL_POINT, clearance=1)
    client = Client()
    response = log_in(client, user)
    page = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Your recovery key" in page
    assert "Key escrow is off" in page  # the setup page says which
    found = re.search(r"<strong>([0-9A-Z]{5}(?:-[0-9A-Z]{1,5}){5})</strong>", page)
    assert found
    recovery_key = found.group(1)
    assert PersonalKey.objects.filter(user=user).exists()
    assert recovery_key not in str(Session.objects.get().session_data)
    custody.recover(user, recovery_key, "another passphrase please")


def test_logout_drops_the_keys() -> None:
    org = organisation()
    user = UserFactory()
    services.add_member(None, user=user, organisation=org, role=Role.FOCAL_POINT, clearance=1)
    client = Client()
    log_in(client, user)
    session_key = client.session.session_key
    response = client.post(reverse("core:logout"))
    assert not Session.objects.filter(session_key=session_key).exists()
    assert response.cookies[keychain.COOKIE_NAME].value == ""  # type: ignore[attr-defined]


def test_logging_out_everywhere_drops_the_keys_of_every_session() -> None:
    org = organisation()
    user = UserFactory()
    services.add_member(None, user=user, organisation=org, role=Role.FOCAL_POINT, clearance=1)
    phone, laptop = Client(), Client()
    log_in(phone, user)
    log_in(laptop, user)
    cookie = laptop.cookies[keychain.COOKIE_NAME].value
    stored = dict(laptop.session)
    phone.post(reverse("core:logout_everywhere"))
    user.refresh_from_db()
    response = laptop.get(reverse("core:account"))
    assert response.status_code == 302  # sent to log in again
    assert response.cookies[keychain.COOKIE_NAME].value == ""
    store = type(laptop.session)()
    store.update(stored)
    # Even with the cookie and the old session's content, the new generation opens nothing.
    assert not keychain.from_session(
        store, cookie, user_id=user.pk, generation=user.session_generation
    )


def test_an_api_token_carries_its_own_copy_of_the_keys_opened_by_its_secret() -> None:
    org = organisation()
    user = UserFactory()
    services.add_member(None, user=user, organisation=org, role=Role.FOCAL_POINT, clearance=1)
    unlocked = custody.unlock(user, PASSWORD).keychain
    with keychain.using(unlocked):
        issued = tokens.issue_token(user, user, name="sync")
    assert issued.token.sealed_keys is not None
    with keychain.using(keychain.Keychain()) as chain:
        assert tokens.user_for_token(issued.secret) == user
        assert chain.organisation_keys == unlocked.organisation_keys
    with keychain.using(keychain.Keychain()) as chain:
        operator_token = tokens.issue_token(None, user, name="by the operator")
        tokens.user_for_token(operator_token.secret)
        assert not chain.organisation_keys
    # A membership ended since: the token no longer carries that organisation's key.
    KeyGrant.objects.filter(user=user).delete()
    with keychain.using(keychain.Keychain()) as chain:
        tokens.user_for_token(issued.secret)
        assert not chain.organisation_keys


def test_a_job_s_carried_keys_open_only_with_its_secret_for_its_job_while_still_granted() -> None:
    """What a queued import carries to the worker (cases.services.job_keys): the copy kept with
    one job does not open with another secret, nor copied to another job's row, nor for a
    member whose grants ended before the job ran; only the job's organisation's keys go."""
    org, other = organisation(), organisation()
    user = UserFactory()
    for each in (org, other):
        services.add_member(None, user=user, organisation=each, role=Role.FOCAL_POINT, clearance=1)
    unlocked = custody.unlock(user, PASSWORD).keychain
    with keychain.using(unlocked):
        carried = custody.keep_for_job("one-time secret", "import 7", org)
    assert carried is not None
    salt, wrapped = carried
    own = set(OrganisationKey.objects.filter(organisation=org).values_list("pk", flat=True))

    def opened(secret: str, job: str) -> set[int]:
        with keychain.using(keychain.Keychain()) as chain:
            custody.open_for_job(secret, job, user, salt, wrapped)
            return set(chain.organisation_keys)

    assert opened("one-time secret", "import 7") == set(unlocked.organisation_keys) & own
    assert opened("one-time secret", "import 7").isdisjoint(
        OrganisationKey.objects.filter(organisation=other).values_list("pk", flat=True)
    )
    assert opened("a guessed secret", "import 7") == set()
    assert opened("one-time secret", "import 8") == set()  # copied onto another job's row
    KeyGrant.objects.filter(user=user).delete()  # the membership ended meanwhile
    assert opened("one-time secret", "import 7") == set()


def test_the_account_page_changes_the_password_and_re_seals_the_key() -> None:
    org = organisation()
    user = UserFactory()
    services.add_member(None, user=user, organisation=org, role=Role.FOCAL_POINT, clearance=1)
    client = Client()
    log_in(client, user)
    page = reverse("core:password_change")
    wrong = client.post(
        page,
        {
            "current_password": "nope",
            "new_password": "a much better passphrase 42",
            "new_password_again": "a much better passphrase 42",
        },
    )
    assert "Your current password is not right." in wrong.content.decode()
    response = client.post(
        page,
        {
            "current_password": PASSWORD,
            "new_password": "a much better passphrase 42",
            "new_password_again": "a much better passphrase 42",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("core:account")).status_code == 200  # still signed in
    assert custody.unlock(user, "a much better passphrase 42").keychain.organisation_keys


def test_the_recovery_page_sets_a_new_password_with_the_recovery_key() -> None:
    user = UserFactory(personal_key=False)
    recovery_key = custody.set_up_personal_key(user, PASSWORD)
    page = reverse("core:recover")
    data = {
        "username": user.username,
        "new_password": "another fine passphrase",
        "new_password_again": "another fine passphrase",
    }
    for who, key in ((user.username, "WRONG-KEY"), ("nobody", recovery_key)):
        answer = Client().post(page, {**data, "username": who, "recovery_key": key})
        assert "This recovery key does not open your key." in answer.content.decode()
    response = Client().post(page, {**data, "recovery_key": recovery_key})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another fine passphrase")


def test_an_expired_session_drops_the_keys() -> None:
    from datetime import timedelta

    from django.utils import timezone

    org = organisation()
    user = UserFactory()
    services.add_member(None, user=user, organisation=org, role=Role.FOCAL_POINT, clearance=1)
    client = Client()
    log_in(client, user)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("core:account"))
    assert response.status_code == 302
    assert response.cookies[keychain.COOKIE_NAME].value == ""


def test_a_public_key_swapped_in_the_database_gets_nothing_sealed_to_it() -> None:
    """An attacker who can write to the database (not read the key file) puts their own public
    key in place of the organisation's, or of a member's, to read what is sealed next."""
    org = organisation()
    attacker = sealing.new_key_pair()
    OrganisationKey.objects.filter(organisation=org).update(public_key=attacker.public)
    with pytest.raises(custody.KeyTampered):
        custody.new_data_key(org, Clearance.RESTRICTED, INTAKE)
    assert not DataKeyCopy.objects.exists()

    other = organisation()
    member = UserFactory()
    PersonalKey.objects.filter(user=member).update(public_key=attacker.public)
    with keychain.using(keychain.Keychain()), pytest.raises(custody.KeyTampered):
        services.add_member(
            None, user=member, organisation=other, role="documentalist", clearance=1
        )
    assert not KeyGrant.objects.filter(user=member).exists()


def test_a_genuine_key_of_another_owner_copied_into_the_row_is_refused_too() -> None:
    first, second = organisation(), organisation()
    genuine = OrganisationKey.objects.get(
        organisation=second, level=Clearance.RESTRICTED, purpose=INTAKE
    )
    OrganisationKey.objects.filter(
        organisation=first, level=Clearance.RESTRICTED, purpose=INTAKE
    ).update(public_key=genuine.public_key, public_key_mac=genuine.public_key_mac)
    with pytest.raises(custody.KeyTampered):
        custody.new_data_key(first, Clearance.RESTRICTED, INTAKE)


def test_the_first_sign_in_to_an_organisation_without_keys_opens_them_in_that_session() -> None:
    """An organisation made without keys (an older installation; a purpose added since): its
    keys were made at the first record, in the server's custody, and granted to the member, but
    the session they signed in with held none, so what they had just recorded read "locked"."""
    org = OrganisationFactory()
    user = UserFactory()
    Membership.objects.create(user=user, organisation=org, role=Role.FOCAL_POINT, clearance=1)
    assert not OrganisationKey.objects.filter(organisation=org).exists()
    client = Client()
    log_in(client, user)
    granted = set(KeyGrant.objects.filter(user=user).values_list("organisation_key", flat=True))
    assert granted and set(session_keys(client, user).organisation_keys) == granted
    assert set(OrganisationKey.objects.filter(pk__in=granted).values_list("level", flat=True)) == {
        Clearance.RESTRICTED
    }

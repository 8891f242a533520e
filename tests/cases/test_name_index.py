"""Issue 16: the persons' name index is computed with an index key per organisation, sealed like
the data keys, so that only the organisation's key holders can find a person by name and the
key ring answers nothing about names (the seizure itself: tests/cases/test_seizure.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amparo.cases import access, services
from amparo.cases.models import Event, Person, RecipientKind
from amparo.core import bulk_insert, crypto, custody, keychain
from amparo.core import keys as core_keys
from amparo.core.fields import blind_index
from amparo.core.models import Clearance, DataKeyCopy, IndexKey, Organisation, Role, User
from tests.cases.exchange import documentalist, organisation_of, record_event
from tests.cases.test_sealed_records import under_the_ring
from tests.factories import PASSWORD, OrganisationFactory, member
from tests.keys import grant_everything, own_copy_of_the_ring

pytestmark = [pytest.mark.django_db, pytest.mark.only_real_keys]

NAME = "Akinyi Odera"  # a victim of tests.cases.exchange.record_event
NAMES = ("Akinyi Odera", "Radio Sauti ya Jamii", "Inspector Kiprono Mutai")
INDEX = "cases.Person.full_name_index"
PURPOSE = "cases.person.full_name"


def keys_of(user: User) -> keychain.Keychain:
    return grant_everything(user, PASSWORD)


def found(keys: keychain.Keychain, name: str = NAME) -> list[int]:
    with keychain.using(keys):
        return list(
            Person.objects.filter(full_name_index=blind_index(name)).values_list("pk", flat=True)
        )


def ring_indexes(name: str) -> set[str]:
    """The index of `name` under every key of the ring, as the ring computes indexes."""
    ring = crypto.keyring()
    return {ring.index_value(name, PURPOSE, key) for key in ring.keys.values()}


def stored_indexes() -> set[str | None]:
    return set(Person.objects.values_list("full_name_index", flat=True))


def recorded() -> tuple[User, keychain.Keychain, Event]:
    owner = documentalist()
    owner_keys = keys_of(owner)
    with keychain.using(owner_keys):
        event = record_event(owner)
    return owner, owner_keys, event


def test_only_the_organisation_s_key_holders_find_a_person_by_name() -> None:
    owner, owner_keys, event = recorded()
    assert all(index.startswith("org.") for index in stored_indexes() if index)
    assert not ring_indexes(NAME) & stored_indexes()

    [akinyi] = found(owner_keys)
    with keychain.using(owner_keys):
        assert Event.objects.filter(access.events_naming(owner, NAME)).get() == event
    # Restricted clearance holds the restricted key, to which the index key is sealed: the
    # index finds the confidential person (equality only: the name stays sealed above it).
    restricted = member(Role.DOCUMENTALIST, Clearance.RESTRICTED, organisation_of(owner))
    assert found(keys_of(restricted)) == [akinyi]
    other = documentalist(OrganisationFactory(short_code="OTHER"))
    assert found(keys_of(other)) == []
    assert found(keychain.Keychain()) == []


def test_a_partner_the_event_is_shared_with_does_not_find_its_persons_by_name() -> None:
    owner, owner_keys, event = recorded()
    partner = OrganisationFactory(kind=Organisation.Kind.CSO)
    reader = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, partner)
    reader_keys = keys_of(reader)
    with keychain.using(owner_keys):
        akinyi = Person.objects.get(full_name_index=blind_index(NAME))
        services.grant_sharing(owner, event, organisation=partner)
        services.give_consent(
            owner, akinyi, recipient_kind=RecipientKind.PARTNER_ORGANISATIONS, purpose="Appeal"
        )
    with keychain.using(reader_keys):
        assert Person.objects.get(pk=akinyi.pk).full_name == NAME  # shared, and consented
    assert found(reader_keys) == []
    index_key = IndexKey.objects.get(organisation=organisation_of(owner))
    assert not DataKeyCopy.objects.filter(
        data_key=index_key.data_key, organisation_key__organisation=partner
    ).exists()
    with keychain.using(owner_keys), pytest.raises(ValueError, match="dedicated"):
        custody.share_sealed(index_key.data_key_id, partner)


def test_a_person_written_without_the_index_key_has_no_index_until_a_holder_saves_it() -> None:
    owner, owner_keys, _event = recorded()
    with keychain.using(keychain.Keychain()):  # a worker or command with nobody's keys
        person = Person(organisation=organisation_of(owner), full_name="Wanjiru Kamau")
        person.save()
    assert Person.objects.get(pk=person.pk).full_name_index is None
    with keychain.using(owner_keys):
        Person.objects.get(pk=person.pk).save()
    assert found(owner_keys, "wanjiru  KAMAU") == [person.pk]


def test_bulk_written_persons_are_indexed_with_one_key_look_up_whatever_their_number() -> None:
    owner, owner_keys, _event = recorded()
    organisation = organisation_of(owner)

    def queries_to_insert(count: int) -> int:
        rows = [
            Person(organisation=organisation, full_name=f"Defender {len(found_all)} {n}")
            for n in range(count)
        ]
        fresh = keychain.Keychain(dict(owner_keys.organisation_keys))
        with keychain.using(fresh), CaptureQueriesContext(connection) as queries:
            bulk_insert.insert(rows, numbered=True)
        found_all.extend(rows)
        return len(queries)

    found_all: list[Person] = []
    assert queries_to_insert(3) == queries_to_insert(60)
    for person in found_all:
        assert found(owner_keys, person.full_name) == [person.pk]


def test_keys_migrate_moves_names_under_the_ring_to_the_organisation_s_index_key() -> None:
    _owner, owner_keys, _event = recorded()
    IndexKey.objects.all().delete()  # as before organisations had index keys
    with keychain.using(owner_keys):
        for person in Person.objects.all():
            under_the_ring(person, ("full_name",), [person.full_name])
            Person.objects.filter(pk=person.pk).update(
                full_name_index=crypto.index_value(person.full_name, PURPOSE)
            )
    assert ring_indexes(NAME) & stored_indexes()

    result = core_keys.migrate(batch_size=2)

    assert result.unindexed == {INDEX: 0}
    assert not any(ring_indexes(name) & stored_indexes() for name in NAMES)
    for name in NAMES:
        assert len(found(owner_keys, name)) == 1, name


@pytest.mark.usefixtures("command_password")
def test_keys_migrate_empties_the_ring_s_indexes_it_cannot_recompute_and_as_a_member_fills_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner, owner_keys, _event = recorded()
    # Names sealed before this change, indexed under the ring: without anyone's keys the run
    # cannot read them, so it empties their indexes rather than leave what the ring computes.
    with keychain.using(owner_keys):
        for person in Person.objects.all():
            Person.objects.filter(pk=person.pk).update(
                full_name_index=crypto.index_value(person.full_name, PURPOSE)
            )

    call_command("keys", "migrate", "--batch-size", "2")

    assert f"{INDEX}: 3 rows left without an index" in capsys.readouterr().out
    assert stored_indexes() == {None}
    assert found(owner_keys) == []
    assert core_keys.migrate(batch_size=2).unindexed == {INDEX: 0}  # nothing more to do so
    assert stored_indexes() == {None}

    call_command("keys", "migrate", "--batch-size", "2", "--as", owner.username)

    assert "without an index" not in capsys.readouterr().out
    for name in NAMES:
        assert len(found(owner_keys, name)) == 1, name


def test_promoting_an_index_key_leaves_the_names_indexes_to_their_organisations(
    settings: Any, tmp_path: Path
) -> None:
    own_copy_of_the_ring(settings, tmp_path)
    _owner, owner_keys, _event = recorded()
    old = crypto.keyring().primaries[crypto.Purpose.INDEX]
    with keychain.using(owner_keys):
        # One name still indexed under the ring, sealed already: promoting cannot read it.
        person = Person.objects.get(full_name_index=blind_index(NAME))
        Person.objects.filter(pk=person.pk).update(
            full_name_index=crypto.index_value(NAME, PURPOSE)
        )
    before = stored_indexes()

    new = core_keys.add(crypto.Purpose.INDEX)
    rotation = core_keys.promote(new.id)

    assert INDEX not in rotation.rewritten
    assert stored_indexes() == before
    with pytest.raises(core_keys.KeysError, match="keys migrate"):
        core_keys.retire(old)
    with keychain.using(owner_keys):  # as `amparo keys migrate --as` the owner
        core_keys.migrate()
    assert found(owner_keys) == [person.pk]
    core_keys.retire(old)

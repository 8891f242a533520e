"""Case records sealed with data keys (issue 16): what opens for whom, sharing with a partner,
imports run by the task worker, and `amparo keys migrate`.

The tests hold no key themselves (`only_real_keys`): they read what a signed-in member's keys
open, through the web or with that member's keychain."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.cases import services
from amparo.cases.exchange import exports, huridocs, imports, jobs
from amparo.cases.models import (
    Act,
    Comment,
    Event,
    EventVersion,
    ImportJob,
    Person,
    RecipientKind,
    SharingGrant,
    Source,
    VersionAction,
)
from amparo.core import crypto, custody, keychain
from amparo.core import keys as core_keys
from amparo.core.audit_actions import AuditAction
from amparo.core.fields import LockedValue, blind_index
from amparo.core.models import (
    AuditEntry,
    Clearance,
    DataKey,
    DataKeyCopy,
    Membership,
    Organisation,
    Role,
    User,
)
from tests.cases.conftest import sign_in
from tests.cases.exchange import csv_bytes, documentalist, organisation_of, record_event, term
from tests.cases.test_import import ROWS, SECOND_EVENT
from tests.cases.test_import_web import upload
from tests.factories import PASSWORD, OrganisationFactory, member
from tests.keys import grant_everything

pytestmark = [pytest.mark.django_db, pytest.mark.only_real_keys]

SEALED = {
    Person: ("full_name", "other_names", "contact", "id_numbers", "address", "notes"),
    Event: ("notes",),
    Act: ("remarks",),
    Source: ("material",),
    Comment: ("body",),
    EventVersion: ("snapshot", "changes"),
    ImportJob: ("errors",),
}


def keys_of(user: User) -> keychain.Keychain:
    return grant_everything(user, PASSWORD)


def test_every_identifying_field_of_the_case_records_is_sealed_with_its_row_s_data_key() -> None:
    for model, names in SEALED.items():
        assert set(custody.sealed_field_names(model)) == set(names), model


def test_a_person_saved_by_someone_whose_keys_do_not_open_them_keeps_their_name_index() -> None:
    owner = documentalist()
    owner_keys = keys_of(owner)
    with keychain.using(owner_keys):
        event = record_event(owner)
        person = Person.objects.get(full_name_index=blind_index("Akinyi Odera"))
    with keychain.using(keychain.Keychain()):
        locked = Person.objects.get(pk=person.pk)
        assert isinstance(locked.full_name, LockedValue)
        locked.country = "UG"
        locked.save()
    with keychain.using(owner_keys):
        assert Person.objects.filter(full_name_index=blind_index("Akinyi Odera")).get() == person
    assert event.pk


def test_after_a_rise_in_confidentiality_the_event_s_rows_follow_it_to_the_new_level() -> None:
    owner = documentalist()
    with keychain.using(keys_of(owner)):
        event = record_event(owner)
        services.add_comment(owner, event, "Call the family first")
        event.confidentiality = Clearance.STRICTLY_CONFIDENTIAL  # as update_event sets it
        event.save()
        services.add_source(owner, event, services.SourceInput(material="A new testimony"))
        event.refresh_from_db()
        for model in (Act, Source, Comment):
            assert set(
                model._default_manager.filter(event=event).values_list("data_key_id", flat=True)
            ) == {event.data_key_id}, model
    assert DataKey.objects.get(pk=event.data_key_id).level == Clearance.STRICTLY_CONFIDENTIAL


def add_hidden_witness(owner: User, event: Event) -> Person:
    """A strictly confidential victim added to `event` (with the owner's keys at hand)."""
    victim = services.add_act(
        owner,
        event,
        services.ActInput(
            victim=services.PersonInput(
                full_name="Hidden Witness", confidentiality=Clearance.STRICTLY_CONFIDENTIAL
            ),
            type_of_act=term("hrd_violations", "threat"),
        ),
    ).victim
    assert victim is not None
    return victim


def test_a_version_is_sealed_at_the_highest_level_of_what_it_holds() -> None:
    owner = documentalist()
    with keychain.using(keys_of(owner)):
        event = record_event(owner)
        add_hidden_witness(owner, event)
    latest = EventVersion.objects.filter(event=event).order_by("-number").first()
    assert latest is not None
    assert DataKey.objects.get(pk=latest.data_key_id).level == Clearance.STRICTLY_CONFIDENTIAL
    confidential = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, organisation_of(owner))
    with keychain.using(keys_of(confidential)):
        assert isinstance(EventVersion.objects.get(pk=latest.pk).snapshot, LockedValue)


# --- Sharing ---------------------------------------------------------------------------------


def partner_world() -> dict[str, Any]:
    owner = documentalist()
    with keychain.using(keys_of(owner)):
        event = record_event(owner)
    partner = OrganisationFactory(kind=Organisation.Kind.CSO)
    reader = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, partner)
    keys_of(reader)  # the partner's organisation keys exist and are granted to its member
    return {"owner": owner, "event": event, "partner": partner, "reader": reader}


def test_a_shared_event_s_names_open_for_the_partner_only_with_consent_and_clearance(
    client: Client,
) -> None:
    world = partner_world()
    owner, event, partner = world["owner"], world["event"], world["partner"]
    page = reverse("cases:event_detail", args=[event.pk])
    owner_client = sign_in(Client(), owner)
    shared = owner_client.post(
        reverse("cases:sharing_grant", args=[event.pk]),
        {"organisation": partner.pk, "level": SharingGrant.Level.COMMENT},
    )
    assert shared.status_code == 302
    sign_in(client, world["reader"])
    assert "Akinyi Odera" not in client.get(page).content.decode()  # no consent yet

    with keychain.using(keys_of(owner)):
        akinyi = Person.objects.get(full_name_index=blind_index("Akinyi Odera"))
        services.give_consent(
            owner, akinyi, recipient_kind=RecipientKind.PARTNER_ORGANISATIONS, purpose="Appeal"
        )
    content = client.get(page).content.decode()
    assert "Akinyi Odera" in content and "Locked" not in content
    # A comment the partner writes is sealed with the event's key: the owner reads it.
    assert (
        client.post(reverse("cases:comment_add", args=[event.pk]), {"body": "Seen, we act"})
    ).status_code == 302
    assert "Seen, we act" in owner_client.get(page).content.decode()

    # Clearance still counts: a partner member cleared below the event's level opens nothing.
    low = member(Role.DOCUMENTALIST, Clearance.RESTRICTED, partner)
    with keychain.using(keys_of(low)):
        assert isinstance(Person.objects.get(pk=akinyi.pk).full_name, LockedValue)

    grant = SharingGrant.objects.get(event=event)
    revoked = owner_client.post(reverse("cases:sharing_revoke", args=[event.pk, grant.pk]))
    assert revoked.status_code == 302
    assert not DataKeyCopy.objects.filter(organisation_key__organisation=partner).exists()
    with keychain.using(keys_of(world["reader"])):
        assert isinstance(Person.objects.get(pk=akinyi.pk).full_name, LockedValue)
        assert isinstance(Event.objects.get(pk=event.pk).notes, LockedValue)
        assert all(
            isinstance(comment.body, LockedValue) for comment in Comment.objects.filter(event=event)
        )


def test_revoking_one_of_two_grants_keeps_the_keys_the_other_still_shares() -> None:
    world = partner_world()
    owner, event, partner = world["owner"], world["event"], world["partner"]
    with keychain.using(keys_of(owner)):
        akinyi = Person.objects.get(full_name_index=blind_index("Akinyi Odera"))
        second = record_event(owner, title="A second threat")
        services.add_act(
            owner,
            second,
            services.ActInput(
                victim=services.PersonInput.existing(akinyi),
                type_of_act=term("hrd_violations", "threat"),
            ),
        )
        first_grant = services.grant_sharing(owner, event, organisation=partner)
        services.grant_sharing(owner, second, organisation=partner)
        services.revoke_sharing(owner, first_grant)

    def partner_holds(data_key_id: Any) -> bool:
        return DataKeyCopy.objects.filter(
            data_key_id=data_key_id, organisation_key__organisation=partner
        ).exists()

    assert partner_holds(Person.objects.get(pk=akinyi.pk).data_key_id)
    assert partner_holds(Event.objects.get(pk=second.pk).data_key_id)
    assert not partner_holds(Event.objects.get(pk=event.pk).data_key_id)


def test_an_event_shared_with_one_person_opens_with_their_own_key_alone_and_within_clearance() -> (
    None
):
    world = partner_world()
    owner, event, partner = world["owner"], world["event"], world["partner"]
    person = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, partner)
    colleague = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, partner)
    keys_of(person), keys_of(colleague)  # their personal keys and organisation grants exist
    with keychain.using(keys_of(owner)):
        akinyi = Person.objects.get(full_name_index=blind_index("Akinyi Odera"))
        hidden = add_hidden_witness(owner, event)
        grant = services.grant_sharing(owner, event, user=person)
    # Copies of their own, none to their organisation: a colleague cleared higher opens nothing.
    assert not DataKeyCopy.objects.filter(organisation_key__organisation=partner).exists()
    with keychain.using(keys_of(person)):
        assert Event.objects.get(pk=event.pk).notes == "Met her at the office on 4 March."
        assert Person.objects.get(pk=akinyi.pk).full_name == "Akinyi Odera"
        # A person above their clearance is not sealed to them.
        assert isinstance(Person.objects.get(pk=hidden.pk).full_name, LockedValue)
    with keychain.using(keys_of(colleague)):
        assert isinstance(Event.objects.get(pk=event.pk).notes, LockedValue)
        assert isinstance(Person.objects.get(pk=akinyi.pk).full_name, LockedValue)

    with keychain.using(keys_of(owner)):
        services.revoke_sharing(owner, grant)
    assert not DataKeyCopy.objects.filter(personal_key__user=person).exists()
    with keychain.using(keys_of(person)):
        assert isinstance(Event.objects.get(pk=event.pk).notes, LockedValue)


def test_a_person_whose_membership_ended_gets_no_copy_of_an_event_shared_with_them() -> None:
    world = partner_world()
    owner, event, partner = world["owner"], world["event"], world["partner"]
    person = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, partner)
    keys_of(person)  # a personal key exists, as for anyone who signed in once
    # The membership ended (or an operator edited it in the database) before the share.
    Membership.objects.filter(user=person).update(is_active=False)
    with keychain.using(keys_of(owner)):
        services.grant_sharing(owner, event, user=person)
    assert not DataKeyCopy.objects.filter(personal_key__user=person).exists()


def test_an_expired_share_s_keys_are_withdrawn_by_the_daily_command_and_audited() -> None:
    world = partner_world()
    owner, event, partner = world["owner"], world["event"], world["partner"]
    with keychain.using(keys_of(owner)):
        grant = services.grant_sharing(
            owner,
            event,
            organisation=partner,
            expires_at=timezone.now() + datetime.timedelta(days=1),
        )
    partner_copies = DataKeyCopy.objects.filter(organisation_key__organisation=partner)
    assert partner_copies.exists()

    out = io.StringIO()
    call_command("sharing", "expire", stdout=out)  # not expired yet
    assert "0 expired" in out.getvalue() and partner_copies.exists()

    SharingGrant.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    # Expired: the partner opens no page, and from now on no copy of the keys either.
    call_command("sharing", "expire", stdout=out)
    assert "1 expired" in out.getvalue()
    assert not partner_copies.exists()
    with keychain.using(keys_of(world["reader"])):
        assert isinstance(Event.objects.get(pk=event.pk).notes, LockedValue)
    entry = AuditEntry.objects.get(action=AuditAction.EVENT_SHARE_EXPIRED)
    assert entry.changes["grant"] == grant.pk and entry.changes["key_copies_withdrawn"] > 0
    # Done once: the next day's run finds nothing to do.
    out = io.StringIO()
    call_command("sharing", "expire", "--quiet", stdout=out)
    assert out.getvalue() == ""


# --- Imports run by the task worker ------------------------------------------------------------


def confirm(client: Client, user: User, token: str) -> Any:
    return client.post(
        reverse("cases_exchange:import_confirm"),
        {"token": token, "kind": "table", "organisation": organisation_of(user).pk},
    )


def test_an_import_run_by_the_worker_versions_the_events_of_the_persons_it_renames(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = documentalist()
    sign_in(client, user)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, user, upload(client, user, csv_bytes(ROWS)).context["token"])
    first = Event.objects.get(external_id="EV-1")
    renamed = csv_bytes([{**SECOND_EVENT, "victim_name": "Akinyi Otieno"}])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        confirm(client, user, upload(client, user, renamed).context["token"])
    job = ImportJob.objects.order_by("-pk").first()
    assert job is not None and job.carried_keys is not None

    # The worker: another process, outside any request, holding nobody's key.
    with keychain.using(keychain.Keychain()):
        for callback in queued:
            callback()

    job.refresh_from_db()
    assert job.status == ImportJob.Status.PUBLISHED, job.errors
    assert job.carried_keys is None and job.carried_keys_salt is None
    with keychain.using(keys_of(user)):
        assert Person.objects.get(external_id="V-1").full_name == "Akinyi Otieno"
        latest = first.versions.order_by("-number").first()
        assert latest is not None and latest.action == VersionAction.UPDATE_PERSON
        assert latest.snapshot["persons"][0]["full_name"] in {"Akinyi Otieno", "Akinyi Odera"}


def test_an_import_without_keys_that_must_read_identities_is_refused_and_changes_nothing(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """`amparo import-cases` without anyone's keys, or a job whose keys did not travel: the
    events to version cannot be read, so nothing is written (never a 'locked' label kept as
    a name), and the job says why."""
    user = documentalist()
    organisation = organisation_of(user)
    with keychain.using(keys_of(user)):
        assert imports.import_file(user, organisation, csv_bytes(ROWS), "cases.csv").ok
    renamed = csv_bytes([{**SECOND_EVENT, "victim_name": "Akinyi Otieno"}])
    with keychain.using(keychain.Keychain()), pytest.raises(custody.KeysLocked):
        imports.import_file(user, organisation, renamed, "cases.csv")

    sign_in(client, user)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        confirm(client, user, upload(client, user, renamed).context["token"])
    job = ImportJob.objects.order_by("-pk").first()
    assert job is not None
    with keychain.using(keychain.Keychain()):
        jobs.run(job.pk, "")  # the secret lost: the worker opens no key
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.carried_keys is None
    with keychain.using(keys_of(user)):
        assert Person.objects.get(external_id="V-1").full_name == "Akinyi Odera"
        assert "keys" in str(ImportJob.objects.get(pk=job.pk).errors)
    assert queued


@pytest.mark.parametrize("fmt", ["csv", "json", "huridocs"])
def test_an_export_without_the_keys_that_open_its_names_is_refused(fmt: str) -> None:
    """`amparo export-cases` run with nobody's keys: a "locked" label never stands in for a
    name in the file."""
    user = documentalist()
    with keychain.using(keys_of(user)):
        record_event(user)
    with keychain.using(keychain.Keychain()), pytest.raises(custody.KeysLocked):
        if fmt == "huridocs":
            huridocs.export(user, io.StringIO())
        else:
            exports.export(user, fmt, io.StringIO())
    with keychain.using(keys_of(user)):
        written = io.StringIO()
        exports.export(user, "csv", written)
        assert "Akinyi Odera" in written.getvalue()


# --- amparo keys migrate ------------------------------------------------------------------------


def under_the_ring(row: Any, names: tuple[str, ...], values: list[Any]) -> None:
    """Store `values` as an installation before issue 16 did: ring ciphertexts, no data key."""
    model = type(row)
    columns = {}
    for name, value in zip(names, values, strict=True):
        field = model._meta.get_field(name)
        columns[field.column] = crypto.encrypt_text(field.encode(value), field.purpose)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {assignments}, data_key_id = NULL "
            f"WHERE {quote(model._meta.pk.column)} = %s",
            [*columns.values(), row.pk],
        )


def test_keys_migrate_moves_every_case_record_off_the_key_ring_and_values_read_the_same(
    client: Client,
) -> None:
    owner = documentalist()
    with keychain.using(keys_of(owner)):
        event = record_event(owner)
        services.add_comment(owner, event, "Call the family first")
        services.add_source(owner, event, services.SourceInput(material="A testimony"))
        imports.import_file(owner, organisation_of(owner), csv_bytes(ROWS), "cases.csv")
        ImportJob.objects.create(
            organisation=organisation_of(owner), created_by=owner, errors=[{"value": "Akinyi"}]
        )
        before = {
            model: {
                row.pk: [getattr(row, name) for name in names]
                for row in model._default_manager.all()
            }
            for model, names in SEALED.items()
        }
        for model, names in SEALED.items():
            assert before[model], model
            for row in model._default_manager.all():
                under_the_ring(row, names, before[model][row.pk])
    for model in SEALED:
        assert not model._default_manager.filter(data_key__isnull=False).exists(), model

    core_keys.migrate(batch_size=2)

    for model in SEALED:
        assert not model._default_manager.filter(data_key__isnull=True).exists(), model
    with keychain.using(keys_of(owner)):
        for model, names in SEALED.items():
            for pk, values in before[model].items():
                row = model._default_manager.get(pk=pk)
                assert [getattr(row, name) for name in names] == values, model
    page = sign_in(client, owner).get(reverse("cases:event_detail", args=[event.pk]))
    assert "Akinyi Odera" in page.content.decode()

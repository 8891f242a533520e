"""The hash-chained audit log: recording, verification, export, the command, access and pages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import io
import json
import os
import socket
import stat
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, models, transaction
from django.test import Client
from django.test.utils import isolate_apps
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo.core import access as core_access
from amparo.core import audit, audit_anchor, crypto
from amparo.core.audit_sink import parse_sink
from amparo.core.fields import BlindIndexField, EncryptedTextField
from amparo.core.models import (
    AuditEntry,
    Clearance,
    Organisation,
    Role,
    Term,
    Thesaurus,
    User,
)
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    TOTPDeviceFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db


def entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.order_by("id"))


def chain_of(count: int) -> list[AuditEntry]:
    return [audit.record(None, "test.step", changes={"n": n}) for n in range(count)]


def tamper(sql: str, params: list[Any]) -> None:
    """Change the table behind the application's back, as an intruder with SQL access would.

    On PostgreSQL the append-only triggers would refuse; a superuser can switch them off, which
    is what a verification must still catch."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


@pytest.fixture(autouse=True)
def empty_log(db: None) -> None:
    """Each test starts from an empty log, even where a session-wide fixture committed entries
    (loading the vocabularies once records that it did)."""
    tamper(f"DELETE FROM {AuditEntry._meta.db_table}", [])


def recorded_at(
    moment: datetime,
    action: str,
    obj: models.Model | None = None,
    *,
    actor: User | None = None,
    organisation: Organisation | None = None,
) -> AuditEntry:
    """Record as if at `moment`: the log itself cannot be backdated (PostgreSQL refuses)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return audit.record(actor, action, obj, organisation=organisation)


def sign_in(client: Client, user: User, *, two_factor: bool = False) -> None:
    client.force_login(user)
    if two_factor:
        device = TOTPDeviceFactory(user=user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


# --- Recording -----------------------------------------------------------------------------------


def test_the_first_entry_chains_from_sixty_four_zeros() -> None:
    entry = audit.record(None, "test.first")
    assert entry.previous_hash == "0" * 64 == audit.GENESIS_HASH
    assert entry.entry_hash == audit.compute_hash(entry)


def test_each_entry_stores_the_hash_of_the_entry_before_it() -> None:
    first, second, third = chain_of(3)
    assert second.previous_hash == first.entry_hash
    assert third.previous_hash == second.entry_hash
    assert len({first.entry_hash, second.entry_hash, third.entry_hash}) == 3


def test_an_entry_names_its_object_and_the_objects_organisation() -> None:
    actor = UserFactory(username="ana")
    membership = MembershipFactory()
    entry = audit.record(actor, "membership.add", membership)
    assert entry.object_type == "core.membership"
    assert entry.object_id == str(membership.pk)
    assert entry.organisation == membership.organisation
    assert entry.actor == actor
    assert entry.actor_label == "ana"


def test_an_organisation_is_the_organisation_of_its_own_entries() -> None:
    organisation = OrganisationFactory()
    entry = audit.record(None, "organisation.create", organisation)
    assert entry.organisation == organisation
    assert entry.object_type == "core.organisation"


def test_explicit_object_and_organisation_win_over_the_defaults() -> None:
    other = OrganisationFactory()
    entry = audit.record(
        None,
        "keys.rotate",
        OrganisationFactory(),
        organisation=other,
        object_type="core.keyring",
        object_id="k2",
    )
    assert (entry.organisation, entry.object_type, entry.object_id) == (other, "core.keyring", "k2")


def test_the_actor_label_keeps_the_username_after_a_rename() -> None:
    actor = UserFactory(username="before")
    entry = audit.record(actor, "user.login", actor)
    actor.username = "after"
    actor.save()
    entry.refresh_from_db()
    assert entry.actor_label == "before"
    assert audit.verify().ok


def test_an_object_already_deleted_needs_an_explicit_id() -> None:
    organisation = OrganisationFactory()
    organisation.delete()
    with pytest.raises(ValueError, match="before deleting"):
        audit.record(None, "test.delete", organisation)
    entry = audit.record(None, "test.delete", organisation, object_id="7")
    assert entry.object_id == "7"


@pytest.mark.django_db(transaction=True)
def test_an_entry_is_undone_with_the_transaction_it_was_recorded_in(anchor: Path) -> None:
    kept = audit.record(None, "test.kept")

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        audit.record(None, "test.undone")
        raise Abort
    assert audit_anchor.flush()
    assert audit_anchor.read(anchor) == audit.head_of(kept)  # the undone entry is not anchored
    after = audit.record(None, "test.after")
    assert [e.action for e in entries()] == ["test.kept", "test.after"]
    assert after.previous_hash == kept.entry_hash
    assert audit_anchor.flush()
    assert audit_anchor.read(anchor) == audit.head_of(after)
    assert audit.verify().ok


def test_a_batch_that_fails_halfway_leaves_neither_a_gap_nor_a_fork(anchor: Path) -> None:
    kept = audit.record(None, "test.kept")
    write = audit.insert

    def half_then_fail(rows: Any, *, numbered: bool = False) -> None:
        write(rows[:1], numbered=numbered)
        raise DatabaseError("disk full")

    with mock.patch.object(audit, "insert", half_then_fail), pytest.raises(DatabaseError):
        audit.record_many([audit.Record(None, "test.first"), audit.Record(None, "test.second")])
    after = audit.record(None, "test.after")
    assert [e.action for e in entries()] == ["test.kept", "test.after"]
    assert after.previous_hash == kept.entry_hash
    assert after.pk > kept.pk
    assert audit_anchor.flush()
    assert audit_anchor.read(anchor) == audit.head_of(after)
    assert audit.verify().ok


def test_changes_are_stored_as_plain_json() -> None:
    organisation = OrganisationFactory()
    entry = audit.record(
        None,
        "test.values",
        changes={
            "when": datetime(2025, 1, 31, 9, 15, 2, 123, tzinfo=UTC),
            "day": date(2025, 1, 31),
            "amount": Decimal("12.50"),
            "organisation": organisation,
            "role": Role.ADMINISTRATOR,
            "clearance": Clearance.CONFIDENTIAL,
            "label": Clearance.CONFIDENTIAL.label,
            "tags": {"b", "a"},
            "pair": (1, 2.0),
            "ratio": 0.25,
            "nested": {1: [None, True]},
        },
    )
    entry.refresh_from_db()
    assert entry.changes == {
        "when": "2025-01-31T09:15:02.000123Z",
        "day": "2025-01-31",
        "amount": "12.50",
        "organisation": organisation.pk,
        "role": "administrator",
        "clearance": 2,
        "label": "Confidential",
        "tags": ["a", "b"],
        "pair": [1, 2],
        "ratio": 0.25,
        "nested": {"1": [None, True]},
    }


@pytest.mark.parametrize(
    "value",
    [b"\x01key", float("nan"), float("inf"), "nul\x00byte", object()],
    ids=["bytes", "nan", "infinity", "nul", "object"],
)
def test_values_the_log_cannot_hold_faithfully_are_refused(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        audit.record(None, "test.refused", changes={"value": value})
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("field", "length"), [("action", 81), ("object_type", 81), ("object_id", 65)]
)
def test_a_value_too_long_for_its_column_is_refused_on_every_database(
    field: str, length: int
) -> None:
    with pytest.raises(ValueError, match=f"{field} is limited"):
        audit.record(None, **{"action": "test.long", field: "x" * length})  # type: ignore[arg-type]


def test_no_field_could_hold_an_ip_address_or_a_user_agent() -> None:
    assert {field.name for field in AuditEntry._meta.get_fields()} == {
        "id",
        "at",
        "actor",
        "actor_label",
        "organisation",
        "action",
        "object_type",
        "object_id",
        "changes",
        "previous_hash",
        "key_id",
        "entry_hash",
    }


def test_the_hash_survives_a_round_trip_through_the_database() -> None:
    entry = audit.record(
        UserFactory(),
        "test.round_trip",
        OrganisationFactory(),
        changes={"big": 1e16, "tiny": 1.5e-7, "text": "Ñandú · حقوق", "d": Decimal("1.10")},
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.at == entry.at
    assert audit.compute_hash(stored) == entry.entry_hash == stored.entry_hash


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]))
    | st.datetimes(timezones=st.just(UTC)),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8).filter(lambda k: "\x00" not in k), children, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=5))
def test_any_recorded_changes_hash_the_same_when_read_back(changes: dict[str, Any]) -> None:
    changes = {key: value for key, value in changes.items() if "\x00" not in key}
    entry = audit.record(None, "test.property", changes=changes)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert audit.compute_hash(stored) == stored.entry_hash


# --- diff --------------------------------------------------------------------------------------


def test_diff_lists_only_the_fields_that_changed() -> None:
    before = {"status": "open", "country": "KE", "closed_on": None}
    after = {"status": "closed", "country": "KE", "closed_on": date(2025, 3, 1), "new": 1}
    assert audit.diff(before, after) == {
        "closed_on": {"from": None, "to": "2025-03-01"},
        "new": {"from": None, "to": 1},
        "status": {"from": "open", "to": "closed"},
    }


def test_diff_never_writes_the_value_of_a_secret_field() -> None:
    changes = audit.diff(
        {"name": "Ana María", "phone": None, "notes": "met at the border"},
        {"name": "Ana Maria", "phone": "+254 700 000000", "notes": None},
        secret_fields={"name", "phone", "notes"},
    )
    assert changes == {
        "name": {"from": "[encrypted]", "to": "[encrypted]"},
        "notes": {"from": "[encrypted]", "to": None},
        "phone": {"from": None, "to": "[encrypted]"},
    }
    entry = audit.record(None, "person.update", changes=changes)
    assert "Ana" not in json.dumps(entry.changes)


@isolate_apps("amparo.core")
def test_encrypted_fields_and_blind_indexes_are_the_secret_fields_of_a_model() -> None:
    class Witness(models.Model):
        name = EncryptedTextField()
        name_index = BlindIndexField(source="name")
        country = models.CharField(max_length=2)

        class Meta:
            app_label = "core"

        def __str__(self) -> str:
            return self.country

    assert audit.secret_field_names(Witness) == {"name", "name_index"}


# --- Verification ------------------------------------------------------------------------------


def test_an_empty_log_verifies() -> None:
    result = audit.verify()
    assert result.ok
    assert (result.checked, result.last_hash) == (0, audit.GENESIS_HASH)


def test_an_intact_chain_verifies_with_its_count_and_last_hash() -> None:
    *_, last = chain_of(5)
    result = audit.verify(batch_size=2)
    assert result.ok
    assert (result.checked, result.last_hash) == (5, last.entry_hash)
    assert result.describe() == f"OK: 5 entries, chain intact, last hash {last.entry_hash}"


def test_changing_an_entry_with_raw_sql_is_reported_at_that_entry() -> None:
    chain = chain_of(4)
    table = AuditEntry._meta.db_table
    tamper(f"UPDATE {table} SET changes = %s WHERE id = %s", ['{"n": 99}', chain[2].pk])
    result = audit.verify()
    assert not result.ok
    assert result.problem is audit.Problem.CONTENT_CHANGED
    assert (result.broken_entry_id, result.checked) == (chain[2].pk, 2)
    assert f"#{chain[2].pk}" in result.describe()


def test_a_rehashed_forgery_breaks_the_link_of_the_next_entry() -> None:
    chain = chain_of(4)
    forged = AuditEntry.objects.get(pk=chain[1].pk)
    forged.changes = {"n": 99}
    table = AuditEntry._meta.db_table
    tamper(
        f"UPDATE {table} SET changes = %s, entry_hash = %s WHERE id = %s",
        ['{"n": 99}', audit.compute_hash(forged), forged.pk],
    )
    result = audit.verify()
    assert result.problem is audit.Problem.BROKEN_LINK
    assert (result.broken_entry_id, result.previous_entry_id) == (chain[2].pk, chain[1].pk)


def test_deleting_an_entry_in_the_middle_is_reported_as_missing_entries() -> None:
    chain = chain_of(5)
    tamper(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s", [chain[2].pk])
    result = audit.verify()
    assert result.problem is audit.Problem.MISSING_ENTRIES
    assert (result.broken_entry_id, result.previous_entry_id) == (chain[3].pk, chain[1].pk)
    assert "deleted" in result.describe()


def test_deleting_the_oldest_entry_is_reported() -> None:
    chain = chain_of(3)
    tamper(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s", [chain[0].pk])
    result = audit.verify()
    assert result.problem is audit.Problem.MISSING_ENTRIES
    assert (result.broken_entry_id, result.previous_entry_id) == (chain[1].pk, None)
    assert "oldest" in result.describe()


# --- Export --------------------------------------------------------------------------------------


def test_the_export_holds_every_field_and_lets_an_auditor_with_the_key_recompute_each_hash() -> (
    None
):
    actor = UserFactory()
    audit.record(actor, "user.login", actor, changes={"two_factor": True})
    audit.record(None, "test.second", OrganisationFactory())
    out = io.StringIO()
    assert audit.export(None, out) == 2
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert set(lines[0]) == {
        "id",
        "at",
        "actor_id",
        "actor_label",
        "organisation_id",
        "action",
        "object_type",
        "object_id",
        "changes",
        "previous_hash",
        "key_id",
        "entry_hash",
    }
    ring = crypto.keyring()
    previous = "0" * 64
    for line in lines:
        body = {k: v for k, v in line.items() if k not in {"id", "entry_hash"}}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        secret = ring.key(line["key_id"], crypto.Purpose.AUDIT).secret
        expected = hmac.new(secret, canonical.encode("ascii"), hashlib.sha256).hexdigest()
        assert expected == line["entry_hash"]
        assert line["previous_hash"] == previous
        previous = line["entry_hash"]


def test_the_export_since_a_moment_leaves_out_older_entries() -> None:
    cutoff = datetime(2025, 6, 1, tzinfo=UTC)
    recorded_at(cutoff - timedelta(microseconds=1), "test.old")
    recent = recorded_at(cutoff, "test.recent")
    out = io.StringIO()
    assert audit.export(cutoff, out) == 1
    assert json.loads(out.getvalue())["id"] == recent.pk


# --- The command ---------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_verify_command_prints_ok_with_the_count_and_last_hash() -> None:
    *_, last = chain_of(3)
    assert run("verify").strip() == f"OK: 3 entries, chain intact, last hash {last.entry_hash}"


def test_the_verify_command_fails_at_the_first_broken_entry() -> None:
    chain = chain_of(3)
    tamper(f"UPDATE {AuditEntry._meta.db_table} SET action = 'x' WHERE id = %s", [chain[1].pk])
    with pytest.raises(CommandError, match=f"#{chain[1].pk} has been altered") as error:
        run("verify")
    assert error.value.returncode == 1


def test_the_export_command_writes_json_lines_to_standard_output() -> None:
    chain_of(2)
    lines = run("export").splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["test.step", "test.step"]


def test_the_export_command_records_that_the_log_was_exported(tmp_path: Path) -> None:
    chain_of(2)
    target = tmp_path / "audit.jsonl"
    run("export", "--since", "2000-01-01", "--output", str(target))
    assert len(target.read_text().splitlines()) == 2
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    export_entry = AuditEntry.objects.latest("id")
    assert export_entry.action == "audit.export"
    assert export_entry.changes == {
        "since": "2000-01-01T00:00:00.000000Z",
        "entries": 2,
        "to_file": True,
    }
    assert audit.verify().ok


@pytest.mark.parametrize("since", ["2025-13-01", "yesterday", "31/01/2025"])
def test_the_export_command_explains_a_bad_date(since: str) -> None:
    with pytest.raises(CommandError, match="is not a date"):
        run("export", "--since", since)


def test_the_export_command_accepts_an_iso_date_and_time_with_an_offset() -> None:
    recorded_at(datetime(2025, 1, 1, 9, 59, tzinfo=UTC), "test.old")
    recent = recorded_at(datetime(2025, 1, 1, 10, 0, tzinfo=UTC), "test.recent")
    lines = run("export", "--since", "2025-01-01T12:00:00+02:00").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [recent.pk]


def test_the_export_command_explains_an_unwritable_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot write"):
        run("export", "--output", str(tmp_path / "missing" / "audit.jsonl"))


# --- Who may read which trail ------------------------------------------------------------------


@pytest.fixture
def world() -> dict[str, Any]:
    home, elsewhere = OrganisationFactory(), OrganisationFactory()
    thesaurus = Thesaurus.objects.create(code="T", slug="t", label_en="Acts", source="huridocs_esf")
    term = Term.objects.create(thesaurus=thesaurus, code="1", label_en="Killing", source="x")
    users: dict[str, User] = {
        "administrator": member(Role.ADMINISTRATOR, organisation=home),
        "documentalist": member(Role.DOCUMENTALIST, organisation=home),
        "outsider": member(Role.ADMINISTRATOR, organisation=elsewhere),
        "no_membership": UserFactory(),
        "superuser": UserFactory(is_superuser=True),
    }
    objects = {
        "home": ("core.organisation", home.pk),
        "elsewhere": ("core.organisation", elsewhere.pk),
        "colleague": ("core.user", users["documentalist"].pk),
        "stranger": ("core.user", users["outsider"].pk),
        "thesaurus": ("core.thesaurus", thesaurus.pk),
        "term": ("core.term", term.pk),
        "unknown": ("nothing.here", 1),
    }
    return {"users": users, "objects": objects}


# (who, which record's trail, may read it)
TRAIL_ACCESS = [
    ("administrator", "home", True),
    ("administrator", "elsewhere", False),
    ("administrator", "colleague", True),
    ("administrator", "stranger", False),
    ("administrator", "thesaurus", True),
    ("administrator", "unknown", False),
    ("documentalist", "home", False),
    ("documentalist", "colleague", True),  # their own
    ("documentalist", "stranger", False),
    ("documentalist", "term", True),
    ("documentalist", "unknown", False),
    ("outsider", "home", False),
    ("outsider", "elsewhere", True),
    ("outsider", "colleague", False),
    ("no_membership", "thesaurus", False),
    ("no_membership", "home", False),
    ("superuser", "home", True),
    ("superuser", "stranger", True),
    ("superuser", "term", True),
    ("superuser", "unknown", False),
]


@pytest.mark.parametrize(("who", "record", "allowed"), TRAIL_ACCESS)
def test_who_may_read_the_audit_trail_of_a_record(
    world: dict[str, Any], who: str, record: str, allowed: bool
) -> None:
    object_type, pk = world["objects"][record]
    assert core_access.can_view_trail(world["users"][who], object_type, str(pk)) is allowed


def test_a_user_may_always_read_their_own_trail_but_not_once_deactivated() -> None:
    user = UserFactory()
    assert core_access.can_view_trail(user, "core.user", str(user.pk))
    user.is_active = False
    assert not core_access.can_view_trail(user, "core.user", str(user.pk))


@pytest.mark.parametrize("object_id", ["abc", "", "1.0", "\u0661"])
def test_an_id_that_is_not_a_number_opens_no_core_trail(object_id: str) -> None:
    administrator = member(Role.ADMINISTRATOR)
    assert not core_access.can_view_trail(administrator, "core.organisation", object_id)
    assert not core_access.can_view_trail(administrator, "core.user", object_id)


def test_an_object_type_is_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core_access, "_object_access", {})

    def everyone(user: User, object_id: str) -> bool:
        return True

    core_access.register_trail_access("cases.event", everyone)
    core_access.register_trail_access("cases.event", everyone)  # the same rule again is harmless
    with pytest.raises(ValueError, match="already registered"):
        core_access.register_trail_access("cases.event", lambda user, object_id: False)
    assert core_access.can_view_trail(UserFactory(), "cases.event", "1")


# --- The pages ---------------------------------------------------------------------------------


def log_url(**query: str) -> str:
    return reverse("core:audit_log") + ("?" + urlencode(query) if query else "")


def test_an_administrator_sees_only_their_own_organisations_entries(client: Client) -> None:
    home, elsewhere = OrganisationFactory(), OrganisationFactory()
    administrator = member(Role.ADMINISTRATOR, organisation=home)
    audit.record(None, "test.home", home)
    audit.record(None, "test.elsewhere", elsewhere)
    audit.record(None, "test.nowhere")
    sign_in(client, administrator)
    response = client.get(log_url())
    assert response.status_code == 200
    assert [row.entry.action for row in response.context["rows"]] == ["test.home"]


def test_an_administrator_sees_the_account_events_of_their_members_only(client: Client) -> None:
    home, elsewhere = OrganisationFactory(), OrganisationFactory()
    administrator = member(Role.ADMINISTRATOR, organisation=home)
    colleague = member(Role.DOCUMENTALIST, organisation=home)
    stranger = member(Role.DOCUMENTALIST, organisation=elsewhere)
    audit.record(colleague, "user.login", colleague)
    audit.record(None, "user.login_failed", colleague)
    audit.record(stranger, "user.login", stranger)
    audit.record(None, "user.login_failed", stranger)
    sign_in(client, administrator)
    rows = client.get(log_url()).context["rows"]
    assert sorted((row.entry.action, row.entry.object_id) for row in rows) == [
        ("user.login", str(colleague.pk)),
        ("user.login_failed", str(colleague.pk)),
    ]


def test_a_superuser_sees_every_entry_newest_first(client: Client) -> None:
    audit.record(None, "test.home", OrganisationFactory())
    audit.record(None, "test.elsewhere", OrganisationFactory())
    audit.record(None, "test.nowhere")
    superuser = UserFactory(is_superuser=True)
    sign_in(client, superuser, two_factor=True)
    response = client.get(log_url())
    assert response.status_code == 200
    assert [row.entry.action for row in response.context["rows"]] == [
        "test.nowhere",
        "test.elsewhere",
        "test.home",
    ]


@pytest.mark.parametrize("role", [Role.DOCUMENTALIST, Role.ANALYST, Role.READ_ONLY])
def test_a_member_who_is_not_an_administrator_is_refused_the_log(client: Client, role: str) -> None:
    sign_in(client, member(role))
    assert client.get(log_url()).status_code == 403


def test_someone_signed_out_is_sent_to_the_login_page(client: Client) -> None:
    response = client.get(log_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_the_log_shows_time_actor_organisation_action_object_and_changes(client: Client) -> None:
    home = OrganisationFactory(name="Kenya NHRI")
    administrator = member(Role.ADMINISTRATOR, organisation=home, username="wanjiru")
    audit.record(administrator, "organisation.create", home, changes={"name": "<b>new</b>"})
    sign_in(client, administrator)
    page = client.get(log_url()).content.decode()
    assert "wanjiru" in page
    assert "Kenya NHRI" in page
    assert "organisation.create" in page
    assert reverse("core:object_audit_trail", args=["core.organisation", home.pk]) in page
    assert "&quot;name&quot;: &quot;&lt;b&gt;new&lt;/b&gt;&quot;" in page
    assert "<b>new</b>" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "user"}, ["user.logout", "user.login"]),
        ({"action": "user.login"}, ["user.login"]),
        ({"object_type": "core.organisation"}, ["organisation.create"]),
        ({"actor": "WANJIRU"}, ["user.logout", "user.login"]),
        ({"date_from": "2025-02-01"}, ["user.logout", "organisation.create"]),
        ({"date_to": "2025-01-31"}, ["user.login"]),
        ({"date_from": "2025-02-01", "date_to": "2025-02-01"}, ["organisation.create"]),
    ],
)
def test_the_log_can_be_filtered(
    client: Client, query: dict[str, str], expected: list[str]
) -> None:
    home = OrganisationFactory()
    administrator = member(Role.ADMINISTRATOR, organisation=home, username="wanjiru")
    timeline: list[tuple[str, models.Model, date]] = [
        ("user.login", administrator, date(2025, 1, 31)),
        ("organisation.create", home, date(2025, 2, 1)),
        ("user.logout", administrator, date(2025, 2, 2)),
    ]
    for action, obj, day in timeline:
        recorded_at(
            datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12),
            action,
            obj,
            actor=administrator if action.startswith("user") else None,
            organisation=home,
        )
    sign_in(client, administrator)
    response = client.get(log_url(**query))
    assert [row.entry.action for row in response.context["rows"]] == expected


def test_a_start_date_after_the_end_date_is_explained(client: Client) -> None:
    administrator = member(Role.ADMINISTRATOR)
    audit.record(None, "test.any", administrator.memberships.get().organisation)
    sign_in(client, administrator)
    response = client.get(log_url(date_from="2025-02-02", date_to="2025-02-01"))
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "The start date is after the end date." in response.content.decode()


def test_the_log_shows_fifty_entries_a_page(client: Client) -> None:
    home = OrganisationFactory()
    for n in range(51):
        audit.record(None, "test.page", home, changes={"n": n})
    sign_in(client, member(Role.ADMINISTRATOR, organisation=home))
    first = client.get(log_url())
    assert len(first.context["rows"]) == 50
    assert first.context["rows"][0].entry.changes == {"n": 50}
    second = client.get(log_url(page="2"))
    assert [row.entry.changes for row in second.context["rows"]] == [{"n": 0}]


def test_a_superuser_can_have_the_chain_verified_on_the_page(client: Client) -> None:
    chain = chain_of(2)
    sign_in(client, UserFactory(is_superuser=True), two_factor=True)
    assert "chain intact" in client.get(log_url(verify="1")).content.decode()
    tamper(f"UPDATE {AuditEntry._meta.db_table} SET action = 'x' WHERE id = %s", [chain[0].pk])
    assert "has been altered" in client.get(log_url(verify="1")).content.decode()


def test_only_a_superuser_can_have_the_chain_verified(client: Client) -> None:
    home = OrganisationFactory()
    audit.record(None, "test.any", home)
    sign_in(client, member(Role.ADMINISTRATOR, organisation=home))
    response = client.get(log_url(verify="1"))
    assert response.context["verification"] is None
    assert "Verify the chain" not in response.content.decode()


def trail_url(object_type: str, object_id: object) -> str:
    return reverse("core:object_audit_trail", args=[object_type, object_id])


def test_the_trail_of_a_record_lists_its_entries(client: Client) -> None:
    user = member(Role.DOCUMENTALIST)
    audit.record(user, "user.login", user)
    audit.record(user, "user.logout", user)
    audit.record(None, "test.other", OrganisationFactory())
    sign_in(client, user)
    response = client.get(trail_url("core.user", user.pk))
    assert response.status_code == 200
    assert [row.entry.action for row in response.context["rows"]] == ["user.logout", "user.login"]


def test_the_trail_of_a_record_the_user_may_not_see_is_not_found(client: Client) -> None:
    documentalist = member(Role.DOCUMENTALIST)
    other = OrganisationFactory()
    audit.record(None, "organisation.create", other)
    sign_in(client, documentalist)
    assert client.get(trail_url("core.organisation", other.pk)).status_code == 404
    own = documentalist.memberships.get().organisation
    assert client.get(trail_url("core.organisation", own.pk)).status_code == 404


def test_the_trail_of_an_unknown_kind_of_record_is_not_found(client: Client) -> None:
    audit.record(None, "test.any", object_type="secret.thing", object_id="1")
    sign_in(client, UserFactory(is_superuser=True), two_factor=True)
    assert client.get(trail_url("secret.thing", "1")).status_code == 404


# --- The keyed chain and its anchor (issue 9, item 6) -------------------------------------------


def verify_command() -> str:
    """`amparo audit verify`; CommandError (exit status 1) when it fails."""
    return run("verify")


def sha256_hash(row: dict[str, Any]) -> str:
    """What a forger without the key computes: the published canonical form, plain SHA-256."""
    return hashlib.sha256(audit.canonical_json(row).encode("ascii")).hexdigest()


def rewrite_with_sha256(first_id: int, change: dict[str, Any], *, drop_key: bool) -> None:
    """Change entry `first_id` with plain SQL and recompute every hash from there on with
    SHA-256, as someone who can write the database, but has no key, would."""
    table = AuditEntry._meta.db_table
    previous = None
    for entry in AuditEntry.objects.order_by("id"):
        if entry.pk < first_id:
            previous = entry.entry_hash
            continue
        if entry.pk == first_id:
            entry.changes = change
        entry.previous_hash = previous or audit.GENESIS_HASH
        if drop_key:
            entry.key_id = ""
        entry.entry_hash = sha256_hash(audit.content(entry))
        tamper(
            f"UPDATE {table} SET changes = %s, previous_hash = %s, key_id = %s, entry_hash = %s "
            "WHERE id = %s",
            [
                json.dumps(entry.changes),
                entry.previous_hash,
                entry.key_id,
                entry.entry_hash,
                entry.pk,
            ],
        )
        previous = entry.entry_hash


def test_each_entry_is_keyed_with_the_primary_audit_key_and_names_it() -> None:
    entry = audit.record(None, "test.keyed")
    ring = crypto.keyring()
    assert entry.key_id == ring.primary(crypto.Purpose.AUDIT).id
    message = audit.canonical_json(audit.content(entry)).encode("ascii")
    assert entry.entry_hash == ring.audit_mac(entry.key_id, message)
    assert entry.entry_hash != sha256_hash(audit.content(entry))


def test_an_untouched_log_passes_the_verify_command() -> None:
    *_, last = chain_of(4)
    assert verify_command().strip() == f"OK: 4 entries, chain intact, last hash {last.entry_hash}"


def test_deleting_the_newest_entries_with_sql_fails_the_verify_command() -> None:
    chain = chain_of(5)
    tamper(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id >= %s", [chain[3].pk])
    with pytest.raises(CommandError, match=f"names entry #{chain[4].pk}") as error:
        verify_command()
    assert error.value.returncode == 1
    assert f"the log ends at entry #{chain[2].pk}" in str(error.value)
    assert "newest entries were deleted" in str(error.value)


def test_deleting_every_entry_with_sql_fails_the_verify_command() -> None:
    chain_of(2)
    tamper(f"DELETE FROM {AuditEntry._meta.db_table}", [])
    with pytest.raises(CommandError, match="the log is empty"):
        verify_command()


@pytest.mark.parametrize(
    ("drop_key", "edited"),
    # Blanking the key ids of the whole chain makes it look like an old, unkeyed chain.
    [(False, 1), (True, 0)],
    ids=["key ids kept", "key ids blanked from the first entry on"],
)
def test_an_entry_edited_with_sql_and_every_hash_recomputed_with_sha256_fails_verification(
    drop_key: bool, edited: int
) -> None:
    chain = chain_of(4)
    rewrite_with_sha256(chain[edited].pk, {"n": 99}, drop_key=drop_key)
    with pytest.raises(CommandError, match="BROKEN") as error:
        verify_command()
    assert error.value.returncode == 1
    if drop_key:
        # A chain of plain SHA-256 "old" entries holds together; the anchor does not agree.
        assert f"Entry #{chain[3].pk} does not have the hash the anchor" in str(error.value)
    else:
        assert f"Entry #{chain[edited].pk} has been altered" in str(error.value)


def test_an_unkeyed_entry_after_a_keyed_one_is_a_forgery() -> None:
    chain = chain_of(3)
    rewrite_with_sha256(chain[2].pk, {"n": 2}, drop_key=True)
    result = audit.verify()
    assert result.problem is audit.Problem.UNKEYED_AFTER_KEYED
    assert result.broken_entry_id == chain[2].pk


def old_installation_entries(count: int) -> list[AuditEntry]:
    """Entries as the unkeyed chain of earlier versions wrote them (no key id, plain SHA-256)."""
    made: list[AuditEntry] = []
    for n in range(count):
        entry = AuditEntry(
            at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
            action="test.before_keys",
            changes={"n": n},
            previous_hash=made[-1].entry_hash if made else audit.GENESIS_HASH,
        )
        entry.entry_hash = sha256_hash(audit.content(entry))
        entry.save(force_insert=True)
        made.append(entry)
    return made


def test_entries_from_before_the_chain_was_keyed_still_verify_as_its_beginning() -> None:
    old = old_installation_entries(3)
    keyed = chain_of(2)
    assert keyed[0].previous_hash == old[-1].entry_hash
    result = audit.verify()
    assert result.ok, result.describe()
    assert (result.checked, result.unkeyed) == (5, 3)
    assert "3 entries are from before the chain was keyed" in result.describe()


def test_rewriting_the_unkeyed_beginning_breaks_the_link_into_the_keyed_part() -> None:
    old = old_installation_entries(3)
    keyed = chain_of(2)
    table = AuditEntry._meta.db_table
    previous = audit.GENESIS_HASH
    for entry in old:  # the forger recomputes the whole unkeyed part with SHA-256
        entry.changes = {"n": "forged"}
        entry.previous_hash = previous
        entry.entry_hash = sha256_hash(audit.content(entry))
        tamper(
            f"UPDATE {table} SET changes = %s, previous_hash = %s, entry_hash = %s WHERE id = %s",
            [json.dumps(entry.changes), entry.previous_hash, entry.entry_hash, entry.pk],
        )
        previous = entry.entry_hash
    result = audit.verify()
    assert result.problem is audit.Problem.BROKEN_LINK
    assert result.broken_entry_id == keyed[0].pk


@pytest.fixture
def own_key_file(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "keyring.json"
    crypto.write_keyring(crypto.generate_keyring(), path, replace=False)
    settings.AMPARO_KEY_FILE = path
    return path


def test_a_new_audit_key_leaves_old_entries_verifiable_under_theirs(own_key_file: Path) -> None:
    before = audit.record(None, "test.before")
    ring, key = crypto.keyring().with_new_key(crypto.Purpose.AUDIT)
    crypto.write_keyring(ring.with_primary(key.id), own_key_file, replace=True)
    after = audit.record(None, "test.after")
    assert (before.key_id, after.key_id) == (ring.primary(crypto.Purpose.AUDIT).id, key.id)
    assert audit.verify().ok

    crypto.write_keyring(ring.with_primary(key.id).without_key(before.key_id), own_key_file,
                         replace=True)  # fmt: skip
    result = audit.verify()
    assert result.problem is audit.Problem.UNKNOWN_KEY
    assert f"names audit key {before.key_id}, which is not in the key ring" in result.describe()


def test_a_format_1_key_ring_keys_the_chain_the_same_before_and_after_it_is_rewritten(
    settings: Any, tmp_path: Path
) -> None:
    ring = crypto.generate_keyring()
    data = ring.primary(crypto.Purpose.DATA)
    path = tmp_path / "v1.json"
    path.write_text(
        json.dumps(
            {
                "format": "amparo-keyring/1",
                "primary": data.id,
                "blind_index_key": base64.b64encode(b"i" * 32).decode(),
                "keys": [
                    {
                        "id": data.id,
                        "key": base64.b64encode(data.secret).decode(),
                        "created_at": data.created_at.isoformat(),
                    }
                ],
            }
        )
    )
    settings.AMPARO_KEY_FILE = path
    entry = audit.record(None, "test.v1")
    assert entry.key_id == crypto.V1_AUDIT_KEY_ID
    crypto.write_keyring(crypto.load_keyring(path), path, replace=True)  # now format 2
    assert json.loads(path.read_text())["format"] == "amparo-keyring/2"
    assert audit.verify().ok


def test_a_process_that_stops_between_its_commit_and_the_anchor_is_reported_not_accused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chain_of(2)
    monkeypatch.setattr(audit_anchor, "anchor_on_commit", lambda head: None)
    audit.record(None, "test.unanchored")
    result = audit.verify()
    assert result.ok
    assert result.unanchored == 1
    assert "1 entry after the anchored entry" in result.describe()
    assert "not anchored yet" in verify_command()


def test_a_missing_anchor_fails_with_the_remedy_and_audit_anchor_restores_it(anchor: Path) -> None:
    chain_of(2)
    assert audit_anchor.flush()
    anchor.unlink()
    with pytest.raises(CommandError, match=r"There is no anchor at .*`amparo audit anchor`"):
        verify_command()
    output = run("anchor")
    recorded = AuditEntry.objects.latest("id")
    assert f"Anchored entry #{recorded.pk}" in output
    assert (recorded.action, recorded.changes) == (
        "audit.anchor",
        {"entries": 2, "head_id": recorded.pk - 1},
    )
    assert audit.verify().ok
    with pytest.raises(CommandError, match="already anchored"):
        run("anchor")


def test_audit_anchor_refuses_to_paper_over_a_cut(anchor: Path) -> None:
    chain = chain_of(3)
    tamper(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s", [chain[2].pk])
    with pytest.raises(CommandError, match="newest entries were deleted"):
        run("anchor")
    assert audit_anchor.read(anchor) == audit.head_of(chain[2])


def test_a_damaged_anchor_fails_verification_and_must_be_moved_aside(anchor: Path) -> None:
    chain_of(1)
    assert audit_anchor.flush()
    anchor.write_text("{not json")
    with pytest.raises(CommandError, match="cannot be read"):
        verify_command()
    with pytest.raises(CommandError, match="Move it aside"):
        run("anchor")


def test_the_anchor_lies_beside_the_key_ring_by_default_and_is_private(
    settings: Any, own_key_file: Path
) -> None:
    settings.AMPARO_AUDIT_ANCHOR_FILE = None
    entry = audit.record(None, "test.where")
    assert audit_anchor.flush()
    path = own_key_file.parent / "audit-anchor.json"
    assert audit_anchor.read(path) == audit.head_of(entry)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.with_name(path.name + ".lock").stat().st_mode) == 0o600


def test_the_anchor_never_goes_backwards_whatever_order_writers_reach_it(anchor: Path) -> None:
    heads = [audit_anchor.Head(n, f"{n:064x}", "k", "t") for n in range(1, 41)]
    shuffled = sorted(heads, key=lambda head: (head.entry_id * 7919) % 41)
    writers = [threading.Thread(target=audit_anchor.advance, args=(h, anchor)) for h in shuffled]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert audit_anchor.read(anchor) == heads[-1]
    assert not audit_anchor.advance(heads[5], anchor)
    assert audit_anchor.read(anchor) == heads[-1]


def test_verify_checks_a_head_that_a_sink_recorded() -> None:
    chain = chain_of(3)
    assert run("verify", "--expect", f"{chain[1].pk}:{chain[1].entry_hash}").startswith("OK")
    with pytest.raises(CommandError, match=f"Entry #{chain[1].pk} does not have the hash you gave"):
        run("verify", "--expect", f"{chain[1].pk}:{'0' * 64}")
    with pytest.raises(CommandError, match="not ENTRY_ID:HASH"):
        run("verify", "--expect", "12:abc")


def test_the_head_is_sent_to_a_syslog_sink(settings: Any) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(10)
        settings.AMPARO_AUDIT_ANCHOR_SINK = f"syslog://127.0.0.1:{receiver.getsockname()[1]}"
        entry = audit.record(None, "test.syslog")
        assert audit_anchor.flush()
        message = receiver.recv(4096).decode()
    assert "amparo audit head" in message
    assert f'"entry_id": {entry.pk}' in message
    assert entry.entry_hash in message
    assert "test.syslog" not in message  # the head, not the entry


def test_the_head_is_posted_to_an_http_sink_with_its_credentials(settings: Any) -> None:
    received: list[tuple[str, bytes]] = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Authorization"], body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    settings.AMPARO_AUDIT_ANCHOR_SINK = f"http://amparo:s3cret@127.0.0.1:{server.server_port}/h"
    entry = audit.record(None, "test.http")
    assert audit_anchor.flush()
    thread.join(10)
    server.server_close()
    [(authorization, body)] = received
    assert authorization == "Basic " + base64.b64encode(b"amparo:s3cret").decode()
    assert json.loads(body)["entry_hash"] == entry.entry_hash


def test_a_sink_that_is_down_never_fails_an_append(
    settings: Any, every_log_record: pytest.LogCaptureFixture
) -> None:
    settings.AMPARO_AUDIT_ANCHOR_SINK = "http://127.0.0.1:9/unreachable"
    entry = audit.record(None, "test.down")
    assert audit_anchor.flush()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert "was not sent to AMPARO_AUDIT_ANCHOR_SINK" in every_log_record.text


@pytest.mark.parametrize("sink", ["ftp://host/x", "syslog://", "pigeon"])
def test_an_unknown_sink_is_refused_with_the_accepted_forms(sink: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="must be syslog"):
        parse_sink(sink)


# --- PostgreSQL --------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET action = 'forged'",
        "DELETE FROM {table}",
        "TRUNCATE {table} CASCADE",
    ],
    ids=["update", "delete", "truncate"],
)
def test_postgresql_refuses_to_change_or_remove_audit_entries(statement: str) -> None:
    entry = audit.record(None, "test.kept")
    with connection.cursor() as cursor:
        # TRUNCATE waits for no deferred foreign-key check: run those of the insert now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=AuditEntry._meta.db_table))
    entry.refresh_from_db()
    assert entry.action == "test.kept"
    assert audit.verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql_never_fork_the_chain() -> None:
    writers, each = 4, 10
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for step in range(each):
                with transaction.atomic():
                    audit.record(None, "test.concurrent", changes={"writer": n, "step": step})
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    result = audit.verify()
    assert result.ok, result.describe()
    assert result.checked == writers * each

"""Recording, changing, verifying and restoring events through the services."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from amparo.cases import services
from amparo.cases.models import Act, DatePrecision, Event, EventVersion, Involvement, Person
from amparo.cases.services import (
    ActInput,
    EventInput,
    InterventionInput,
    InvolvementInput,
    PersonInput,
    SourceInput,
)
from amparo.core import crypto
from amparo.core.models import AuditEntry, Clearance, Role
from amparo.core.services import DomainError
from tests.factories import OrganisationFactory, member


def event_input(term, **overrides) -> EventInput:
    """Two victims (one threatened twice), one perpetrator, three acts."""
    journalist = PersonInput(
        full_name="Amina Wanjiru",
        contact="+254 700 000 001",
        sex=term("woman", "gender"),
        age_group=term("30_49", "age_groups"),
        defender_types=[term("journalist", "defender_types")],
        country="KE",
        region="KE-30",
    )
    lawyer = PersonInput(
        full_name="Joseph Otieno",
        sex=term("man", "gender"),
        defender_types=[term("lawyer", "defender_types")],
    )
    police = PersonInput(full_name="Inspector X", notes="Badge number seen")
    values = dict(
        title="Threats against a radio journalist and her lawyer",
        description="Anonymous calls, then officers at the station.",
        start_date=datetime.date(2026, 3, 2),
        country="KE",
        region="KE-30",
        locality="Kibera",
        confidentiality=Clearance.CONFIDENTIAL,
        acts=[
            ActInput(
                victim=journalist,
                type_of_act=term("threat_death", "hrd_violations"),
                date=datetime.date(2026, 3, 2),
                date_precision=DatePrecision.DAY,
                consequences=[term("030100000000", "25")],
                involvements=[
                    InvolvementInput(
                        perpetrator=police,
                        perpetrator_type=term("public_prosecutor", "perpetrator_types"),
                        degree_of_involvement=term("010100000000", "18"),
                    )
                ],
            ),
            ActInput(victim=journalist, type_of_act=term("surveillance", "hrd_violations")),
            ActInput(
                victim=lawyer,
                type_of_act=term("threat", "hrd_violations"),
                involvements=[InvolvementInput(perpetrator=police)],
            ),
        ],
    )
    values.update(overrides)
    return EventInput(**values)


@pytest.mark.django_db
def test_one_call_records_the_event_its_acts_victims_and_perpetrators(
    nhri, documentalist, term
) -> None:
    event = services.create_event(documentalist, nhri, event_input(term))

    assert event.acts.count() == 3
    assert Person.objects.filter(organisation=nhri).count() == 3  # the same input is one person
    journalist = Person.objects.get(defender_types__code="journalist")
    assert journalist.acts_as_victim.count() == 2
    assert Involvement.objects.filter(act__event=event, perpetrator__isnull=False).count() == 2
    assert event.status == Event.Status.DRAFT
    assert event.created_by == documentalist
    assert event.version == 1
    assert EventVersion.objects.get(event=event).action == "create"
    assert AuditEntry.objects.filter(action="event.create", object_id=str(event.pk)).exists()


@pytest.mark.django_db
def test_identifying_fields_are_stored_encrypted(nhri, documentalist, term) -> None:
    event = services.create_event(documentalist, nhri, event_input(term))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT full_name, contact, full_name_index FROM cases_person "
            "WHERE organisation_id = %s",
            [nhri.pk],
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT snapshot FROM cases_eventversion WHERE event_id = %s", [event.pk])
        (snapshot,) = cursor.fetchone()
    assert len(rows) == 3
    for full_name, contact, index in rows:
        assert full_name.startswith("amp2:") and contact.startswith("amp2:")
        assert crypto.INDEX_VALUE_PATTERN.fullmatch(index)  # an HMAC, not the name
    stored = " ".join(str(value) for row in rows for value in row) + snapshot
    for secret in ("Amina", "Wanjiru", "Otieno", "+254", "Badge"):
        assert secret not in stored
    # The readable part of the history and the audit log hold no identifying data either.
    readable = str(list(EventVersion.objects.values_list("changes", flat=True))) + str(
        list(AuditEntry.objects.values_list("changes", flat=True))
    )
    assert "Amina" not in readable


@pytest.mark.django_db
def test_reference_codes_are_sequential_per_organisation_and_year(
    nhri, documentalist, term
) -> None:
    other = OrganisationFactory(short_code="ngo")
    other_documentalist = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, other)
    year = timezone.localdate().year

    codes = [
        services.create_event(documentalist, nhri, event_input(term)).reference_code
        for _ in range(3)
    ]
    other_code = services.create_event(other_documentalist, other, event_input(term)).reference_code

    assert codes == [f"NHRI-KE-{year}-0001", f"NHRI-KE-{year}-0002", f"NHRI-KE-{year}-0003"]
    assert other_code == f"NGO-{year}-0001"


@pytest.mark.django_db
def test_an_imported_reference_code_is_kept_and_never_given_again(
    nhri, documentalist, term
) -> None:
    year = timezone.localdate().year
    services.create_event(
        documentalist, nhri, event_input(term, reference_code=f"NHRI-KE-{year}-0041")
    )
    fresh = services.create_event(documentalist, nhri, event_input(term))
    assert fresh.reference_code == f"NHRI-KE-{year}-0042"
    with pytest.raises(ValidationError) as error:
        services.create_event(
            documentalist, nhri, event_input(term, reference_code=f"NHRI-KE-{year}-0041")
        )
    assert "reference_code" in error.value.message_dict


@pytest.mark.django_db
def test_invalid_input_writes_nothing_and_says_where_the_problem_is(
    nhri, documentalist, term
) -> None:
    data = event_input(term)
    data.acts[2].victim.region = "FR-75"  # not a Kenyan region
    with pytest.raises(ValidationError) as error:
        services.create_event(documentalist, nhri, data)
    assert "acts.2.victim.region" in error.value.message_dict
    assert not Event.objects.exists()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_a_term_from_the_wrong_list_is_refused(nhri, documentalist, term) -> None:
    data = event_input(term)
    data.acts[0].type_of_act = term("journalist", "defender_types")
    with pytest.raises(ValidationError) as error:
        services.create_event(documentalist, nhri, data)
    assert "acts.0.type_of_act" in error.value.message_dict


@pytest.mark.django_db
def test_dates_keep_their_precision(nhri, documentalist, term) -> None:
    event = services.create_event(
        documentalist,
        nhri,
        event_input(
            term, start_date=datetime.date(2025, 7, 19), start_precision=DatePrecision.MONTH
        ),
    )
    assert event.start_date == datetime.date(2025, 7, 1)
    assert event.start_display == "2025-07"


@pytest.mark.django_db
def test_nobody_records_above_their_clearance(nhri, term) -> None:
    restricted = member(Role.DOCUMENTALIST, Clearance.RESTRICTED, nhri)
    with pytest.raises(PermissionDenied):
        services.create_event(
            restricted, nhri, event_input(term, confidentiality=Clearance.CONFIDENTIAL)
        )
    analyst = member(Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    with pytest.raises(PermissionDenied):
        services.create_event(analyst, nhri, event_input(term))


# --- Workflow ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_person_must_verify_what_the_first_submitted(nhri, documentalist, term) -> None:
    colleague = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)
    event = services.create_event(documentalist, nhri, event_input(term))
    with pytest.raises(DomainError):
        services.verify_event(documentalist, event)  # not submitted yet
    services.submit_event(documentalist, event)

    with pytest.raises(DomainError, match="second person"):
        services.verify_event(documentalist, event)
    event = services.verify_event(colleague, event)

    assert event.status == Event.Status.VERIFIED
    assert event.verified_by == colleague
    services.close_event(documentalist, event)
    event.refresh_from_db()
    assert event.status == Event.Status.CLOSED
    with pytest.raises(DomainError):
        services.update_event(documentalist, event, event_input(term))


@pytest.mark.django_db
def test_changing_a_verified_event_needs_a_new_verification_by_someone_else(
    nhri, documentalist, term
) -> None:
    colleague = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)
    event = services.create_event(documentalist, nhri, event_input(term))
    services.submit_event(documentalist, event)
    services.verify_event(colleague, event)

    services.update_event(colleague, event, event_input(term, title="Corrected title"))
    event.refresh_from_db()

    assert event.status == Event.Status.SUBMITTED
    assert event.submitted_by == colleague
    with pytest.raises(DomainError):
        services.verify_event(colleague, event)
    services.verify_event(documentalist, event)


@pytest.mark.django_db
def test_an_event_without_acts_cannot_be_submitted(nhri, documentalist, term) -> None:
    event = services.create_event(documentalist, nhri, event_input(term, acts=[]))
    with pytest.raises(DomainError):
        services.submit_event(documentalist, event)


# --- Versions -----------------------------------------------------------------------------------


def current_input(event: Event, term, **overrides) -> EventInput:
    """The event's current acts as input, so an update keeps them."""
    acts = []
    people: dict[int, PersonInput] = {}

    def existing(person: Person) -> PersonInput:
        return people.setdefault(person.pk, PersonInput.existing(person))

    for act in event.acts.select_related("victim").order_by("pk"):
        acts.append(
            ActInput(
                id=act.pk,
                victim=existing(act.victim),
                type_of_act=act.type_of_act,
                involvements=[
                    InvolvementInput(
                        id=i.pk,
                        perpetrator=existing(i.perpetrator) if i.perpetrator else None,
                        perpetrator_type=i.perpetrator_type,
                    )
                    for i in act.involvements.all()
                ],
            )
        )
    return event_input(term, acts=acts, **overrides)


@pytest.mark.django_db
def test_every_change_is_a_version_and_a_version_can_be_restored(nhri, documentalist, term) -> None:
    event = services.create_event(documentalist, nhri, event_input(term))
    first_act_ids = set(event.acts.values_list("pk", flat=True))
    data = current_input(event, term, title="A new title")
    renamed = data.acts[0].victim
    renamed.full_name = "Amina W. Wanjiru"
    data.acts = data.acts[:2]  # the lawyer's act is dropped
    services.update_event(documentalist, event, data)
    event.refresh_from_db()

    update = EventVersion.objects.get(event=event, number=2)
    assert update.changes["event"]["title"] == {
        "from": "Threats against a radio journalist and her lawyer",
        "to": "A new title",
    }
    person_change = next(iter(update.changes["persons"]["changed"].values()))
    assert person_change["full_name"] == {"from": "[encrypted]", "to": "[encrypted]"}
    assert len(update.changes["acts"]["removed"]) == 1

    services.restore_version(documentalist, event, EventVersion.objects.get(event=event, number=1))
    event.refresh_from_db()

    assert event.title == "Threats against a radio journalist and her lawyer"
    assert set(event.acts.values_list("pk", flat=True)) == first_act_ids
    assert Person.objects.get(pk=renamed.person.pk).full_name == "Amina Wanjiru"
    assert event.version == 3
    latest = EventVersion.objects.get(event=event, number=3)
    assert latest.action == "restore" and latest.changes["restored_from"] == 1
    assert AuditEntry.objects.filter(action="event.restore", object_id=str(event.pk)).exists()


@pytest.mark.django_db
def test_a_stale_edit_is_refused_instead_of_overwriting(nhri, documentalist, term) -> None:
    event = services.create_event(documentalist, nhri, event_input(term))
    services.update_event(documentalist, event, current_input(event, term, title="First"))
    with pytest.raises(DomainError, match="Someone else"):
        services.update_event(
            documentalist, event, current_input(event, term, title="Second"), expected_version=1
        )


@pytest.mark.django_db
def test_only_those_allowed_may_restore(nhri, documentalist, term) -> None:
    event = services.create_event(documentalist, nhri, event_input(term))
    services.update_event(documentalist, event, current_input(event, term, title="Changed"))
    analyst = member(Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    with pytest.raises(PermissionDenied):
        services.restore_version(analyst, event, EventVersion.objects.get(event=event, number=1))


@pytest.mark.django_db
def test_sources_interventions_and_links_are_versioned_with_the_event(
    nhri, documentalist, term
) -> None:
    event = services.create_event(documentalist, nhri, event_input(term))
    earlier = services.create_event(documentalist, nhri, event_input(term, title="Earlier threat"))
    source = services.add_source(
        documentalist,
        event,
        SourceInput(
            source_person=PersonInput(full_name="A witness"),
            reliability=term("020000000000", "42"),
            material="Statement taken on 3 March.",
        ),
    )
    services.add_intervention(
        documentalist,
        event,
        InterventionInput(
            intervention_type=term("010600000000", "20"),
            intervening_organisation=nhri,
            result="Urgent appeal sent to the Special Rapporteur.",
        ),
    )
    services.add_chain_link(documentalist, earlier, event, term("010000000000", "22"))
    services.remove_from_event(documentalist, source)
    event.refresh_from_db()

    actions = list(
        EventVersion.objects.filter(event=event).order_by("number").values_list("action", flat=True)
    )
    assert actions == ["create", "add_source", "add_intervention", "remove_source"]
    services.restore_version(documentalist, event, EventVersion.objects.get(event=event, number=2))
    assert event.sources.get().material == "Statement taken on 3 March."
    assert not event.interventions.exists()
    assert earlier.links_out.get().to_event == event


@pytest.mark.django_db
def test_updating_a_person_versions_every_event_they_appear_in(nhri, documentalist, term) -> None:
    first = services.create_event(documentalist, nhri, event_input(term))
    person = first.acts.order_by("pk").first().victim
    second = services.create_event(
        documentalist,
        nhri,
        event_input(
            term,
            acts=[
                ActInput(
                    victim=PersonInput.existing(person),
                    type_of_act=term("stigmatisation", "hrd_violations"),
                )
            ],
        ),
    )
    change = PersonInput.existing(person)
    change.contact = "new@example.org"
    services.update_person(documentalist, person, change)

    person.refresh_from_db()
    assert person.contact == "new@example.org"
    assert person.full_name == "Amina Wanjiru"
    for event in (first, second):
        assert EventVersion.objects.filter(event=event, action="update_person").exists()
    entry = AuditEntry.objects.get(action="person.update")
    assert entry.changes["contact"] == {"from": "[encrypted]", "to": "[encrypted]"}


@pytest.mark.django_db
def test_nobody_changes_who_a_person_is_without_seeing_who_they_are(
    nhri, documentalist, term
) -> None:
    event = services.create_event(documentalist, nhri, event_input(term))
    person = Act.objects.filter(event=event).order_by("pk").first().victim
    Person.objects.filter(pk=person.pk).update(confidentiality=Clearance.STRICTLY_CONFIDENTIAL)
    person.refresh_from_db()
    colleague = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)

    data = current_input(event, term)
    data.acts[0].victim.full_name = "Someone else"
    with pytest.raises(PermissionDenied):
        services.update_event(colleague, event, data)
    # Leaving the identity alone is fine.
    services.update_event(colleague, event, current_input(event, term, title="Typo fixed"))


@pytest.mark.django_db
def test_the_audit_log_names_the_changed_fields_but_keeps_no_values(
    nhri, documentalist, term
) -> None:
    event = services.create_event(documentalist, nhri, event_input(term))
    data = current_input(event, term, description="Amina Wanjiru was threatened.")
    services.update_event(documentalist, event, data)
    services.update_event(documentalist, event, current_input(event, term, description="Scrubbed"))

    entry = AuditEntry.objects.filter(action="event.update").order_by("id").last()
    assert entry is not None and entry.changes == {"event": ["description"]}
    assert not AuditEntry.objects.filter(changes__icontains="Amina").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT changes FROM cases_eventversion WHERE event_id = %s", [event.pk])
        stored = " ".join(row[0] for row in cursor.fetchall())
    assert "Amina" not in stored and "Scrubbed" not in stored
    restored = EventVersion.objects.get(event=event, number=2)
    assert restored.changes["event"]["description"]["to"] == "Amina Wanjiru was threatened."


@pytest.mark.django_db
def test_a_person_named_in_passing_gets_the_recorders_clearance_at_most(nhri, term) -> None:
    restricted = member(Role.DOCUMENTALIST, Clearance.RESTRICTED, nhri)
    event = services.create_event(
        restricted, nhri, event_input(term, confidentiality=Clearance.RESTRICTED, acts=[])
    )
    source = services.add_source(
        restricted, event, SourceInput(source_person=PersonInput(full_name="A neighbour"))
    )
    assert source.source_person is not None
    assert source.source_person.confidentiality == Clearance.RESTRICTED


# Last in the module: a transactional test empties the database when it ends.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_recordings_never_share_a_reference_code(nhri, documentalist, term) -> None:
    data = event_input(term)
    codes: list[str] = []
    errors: list[BaseException] = []

    def record() -> None:
        try:
            codes.append(services.create_event(documentalist, nhri, data).reference_code)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(int(code[-4:]) for code in codes) == list(range(1, 9))

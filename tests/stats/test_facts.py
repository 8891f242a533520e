"""The facts table follows every change to the case records, and says nothing of who anyone is."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction

from amparo.cases import services
from amparo.cases.models import Act, Person, Source
from amparo.cases.services import ActInput, InvolvementInput, PersonInput
from amparo.stats.models import Fact
from amparo.stats.services import facts as fact_service
from amparo.stats.services import snapshot
from tests.stats.world import institution, record, term, victim

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def stored() -> list[dict[str, Any]]:
    return list(Fact.objects.order_by("act_id").values())


def rebuilt() -> list[dict[str, Any]]:
    """What `amparo stats rebuild` would write now (rolled back)."""
    rows: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            fact_service.rebuild()
            rows.extend(stored())
            raise _Undo
    except _Undo:
        pass
    return rows


def assert_current() -> None:
    assert stored() == rebuilt()
    # The copy in memory agrees too.
    table = snapshot.facts()
    assert sorted(table.column("act_id").to_pylist()) == [row["act_id"] for row in stored()]


def test_recording_an_event_writes_one_fact_per_act(documentalist, nhri) -> None:
    amina = victim("Amina Wanjiru")
    event = record(
        documentalist,
        nhri,
        acts=[(amina, "threat_death"), (amina, "surveillance_physical")],
        sources=[institution("Kisumu Community Radio")],
    )
    rows = stored()
    assert [row["event_id"] for row in rows] == [event.pk, event.pk]
    assert {row["type_of_act"] for row in rows} == {"threat_death", "surveillance_physical"}
    (source,) = Source.objects.filter(event=event)
    assert rows[0]["source_ids"] == str(source.pk)
    assert rows[0]["defender_types"] == "journalist"
    assert rows[0]["perpetrator_types"] == "010100000000"
    assert rows[0]["country"] == "KE"
    assert rows[0]["act_date"] == datetime.date(2025, 3, 2)
    assert_current()


def test_a_fact_names_no_one(documentalist, nhri) -> None:
    person = victim("Amina Wanjiru")
    record(documentalist, nhri, acts=[(person, "killing")])
    (amina,) = Person.objects.filter(full_name_index__isnull=False)[:1]
    (row,) = stored()
    assert row["victim_id"] != amina.pk
    text = repr(row) + repr(snapshot.facts().to_pylist())
    assert "Amina" not in text and "Wanjiru" not in text


def test_the_facts_equal_a_rebuild_after_every_kind_of_change(documentalist, nhri) -> None:
    amina, joseph = victim("Amina Wanjiru"), victim("Joseph Otieno", types=["lawyer"], sex="man")
    event = record(documentalist, nhri, acts=[(amina, "threat_death"), (joseph, "raid")])
    assert_current()
    # an act added, then changed
    act = services.add_act(
        documentalist,
        event,
        ActInput(
            victim=PersonInput.existing(
                Person.objects.get(pk=Act.objects.filter(event=event).first().victim_id)
            ),
            type_of_act=term("arbitrary_detention", "hrd_violations"),
            consequences=[term("020100000000", "25")],
        ),
    )
    assert_current()
    services.change_act(
        documentalist,
        act,
        ActInput(
            victim=PersonInput.existing(act.victim),
            type_of_act=term("torture", "hrd_violations"),
            involvements=[
                InvolvementInput(perpetrator_type=term("organised_crime", "perpetrator_types"))
            ],
        ),
    )
    assert_current()
    # a person's types of defender changed outside the event
    person = act.victim
    services.update_person(
        documentalist,
        person,
        PersonInput(
            sex=person.sex,
            age_group=person.age_group,
            defender_types=[term("trade_unionist", "defender_types")],
            country="UG",
        ),
    )
    assert_current()
    # a source added and removed
    source = services.add_source(
        documentalist, event, services.SourceInput(source_person=institution("Daily"))
    )
    assert_current()
    services.remove_from_event(documentalist, source)
    assert_current()
    # the workflow
    event.refresh_from_db()
    services.submit_event(documentalist, event)
    assert_current()
    assert {row["event_status"] for row in stored()} == {"submitted"}
    # an act removed by editing the whole event, then the earlier version restored
    event.refresh_from_db()
    first = event.versions.order_by("number").first()
    services.restore_version(documentalist, event, first)
    assert_current()
    assert len(stored()) == 2


def test_a_failed_change_leaves_the_facts_as_they_were(documentalist, nhri) -> None:
    record(documentalist, nhri, acts=[(victim("Amina Wanjiru"), "threat_death")])
    before = stored()
    with pytest.raises(Exception), transaction.atomic():
        record(documentalist, nhri, acts=[(victim("Joseph Otieno"), "raid")])
        raise RuntimeError("the change fails after the facts were written")
    assert stored() == before
    assert_current()


def test_rebuild_after_the_table_was_edited_behind_the_apps_back(documentalist, nhri) -> None:
    record(documentalist, nhri, acts=[(victim("Amina Wanjiru"), "threat_death")])
    right = stored()
    Fact.objects.update(type_of_act="killing", country="UG")
    Fact.objects.create(
        act_id=999_999,
        event_id=1,
        victim_id=1,
        victim_kind="individual",
        organisation_id=1,
        confidentiality=0,
        event_status="draft",
        date_precision="unknown",
        type_of_act="killing",
    )
    fact_service.rebuild()
    assert stored() == right


def test_merging_two_records_of_one_victim_counts_them_once_and_undoing_twice(
    documentalist, nhri
) -> None:
    first = record(documentalist, nhri, acts=[(victim("María Pérez"), "killing")])
    second = record(documentalist, nhri, acts=[(victim("Maria Perez"), "killing")])
    keep, duplicate = (Act.objects.get(event=e).victim for e in (first, second))

    def victims() -> int:
        return len(set(snapshot.facts().column("victim_id").to_pylist()))

    assert victims() == 2
    merge = services.merge_persons(documentalist, keep, duplicate)
    assert_current()
    assert victims() == 1
    services.undo_merge(documentalist, merge)
    assert_current()
    assert victims() == 2


def test_naming_the_law_an_act_used_changes_its_fact(documentalist, nhri) -> None:
    from amparo.stats.services import laws

    event = record(documentalist, nhri, acts=[(victim("Amina"), "criminalisation")])
    measure = laws.create_law(
        documentalist,
        nhri,
        laws.LawInput(
            country="KE",
            title="Public Order Act",
            kind="protest",
            stage="adopted",
            source="Gazette",
        ),
    )
    provision = laws.add_provision(documentalist, measure, "Section 5")
    act = Act.objects.get(event=event)
    laws.record_use(documentalist, act, measure, provision.pk)
    (row,) = stored()
    assert (row["law"], row["law_provision"]) == (measure.code, provision.code)
    assert_current()
    laws.remove_use(documentalist, act)
    assert stored()[0]["law"] is None
    assert_current()


def test_a_batch_of_changes_reaches_the_facts_once_at_its_end(documentalist, nhri) -> None:
    from amparo.cases import hooks

    with transaction.atomic(), hooks.batched():
        record(documentalist, nhri, acts=[(victim("A"), "raid")])
        record(documentalist, nhri, acts=[(victim("B"), "raid")])
        assert not Fact.objects.exists()
    assert len(stored()) == 2
    assert_current()


def test_a_batch_whose_transaction_rolls_back_reports_nothing(documentalist, nhri) -> None:
    from amparo.cases import hooks

    with transaction.atomic(), hooks.batched():
        record(documentalist, nhri, acts=[(victim("A"), "raid")])
        transaction.set_rollback(True)
    assert stored() == []


def test_an_import_reaches_the_facts_and_a_dry_run_does_not(documentalist, nhri) -> None:
    from amparo.cases.exchange import imports
    from tests.cases.exchange import csv_bytes
    from tests.cases.test_import import ROWS

    imports.import_file(documentalist, nhri, csv_bytes(ROWS), "cases.csv", dry_run=True)
    assert stored() == []
    imports.import_file(documentalist, nhri, csv_bytes(ROWS), "cases.csv")
    assert stored()
    assert_current()


def test_an_import_reads_the_facts_of_its_new_events_before_the_transaction_that_publishes(
    documentalist, nhri, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the facts of 100,000 rows takes seconds: inside the publishing transaction, it
    held the database (and the intake channel) for as long."""
    from django.db import connection

    from amparo.cases.exchange import imports
    from tests.cases.exchange import csv_bytes
    from tests.cases.test_import import ROWS

    depth_outside = len(connection.savepoint_ids)  # the test's own transaction
    depths: list[int] = []
    read = fact_service.facts_of

    def facts_of(event_ids: Any, key: bytes) -> list[Fact]:
        depths.append(len(connection.savepoint_ids))
        return read(event_ids, key)

    monkeypatch.setattr(fact_service, "facts_of", facts_of)
    imports.import_file(documentalist, nhri, csv_bytes(ROWS), "cases.csv")
    assert depths and set(depths) == {depth_outside}
    assert_current()

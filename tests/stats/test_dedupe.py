"""Finding duplicates across sources on behalf of a user, and reviewing them."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from amparo.cases.models import Act, PersonMerge
from amparo.core import keychain
from amparo.core.models import Clearance, Role
from amparo.stats.models import DedupeRun, DuplicateCandidate
from amparo.stats.services import dedupe
from tests.cases.conftest import sign_in
from tests.factories import member
from tests.stats.world import institution, record, victim

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("command_password")]

NAMES = [
    "Juan Carlos Rodríguez",
    "Ana María Gómez",
    "Luis Fernando Torres",
    "Carmen Rosa Díaz",
    "Pedro Antonio Ruiz",
    "Sofía Valentina Castro",
    "Miguel Ángel Herrera",
    "Lucía Fernanda Rojas",
]


@pytest.fixture
def world(documentalist, nhri):
    day = datetime.date(2024, 4, 1)
    for index, name in enumerate(NAMES):
        record(
            documentalist,
            nhri,
            acts=[(victim(name, country="CO"), "killing")],
            date=day + datetime.timedelta(days=40 * index),
            country="CO",
            sources=[institution("Observatory", "CO")],
        )
    # The same defender, reported by a second source under another spelling.
    record(
        documentalist,
        nhri,
        acts=[(victim("Juan Carlos Rodriguez", country="CO"), "killing")],
        date=day,
        country="CO",
        sources=[institution("Radio", "CO")],
    )
    return nhri


def person_pair() -> DuplicateCandidate:
    found = DuplicateCandidate.objects.filter(kind="person").order_by("-probability")
    assert found.exists()
    return found[0]


def test_the_same_person_from_two_sources_is_found_with_its_evidence_and_no_name(
    documentalist, world
) -> None:
    run = dedupe.find_duplicates(documentalist, world)
    pair = person_pair()
    names = {
        Act.objects.filter(victim_id=pk).first().victim.full_name
        for pk in (pair.left_id, pair.right_id)
    }
    assert names == {"Juan Carlos Rodríguez", "Juan Carlos Rodriguez"}
    assert pair.probability >= dedupe.CANDIDATE_THRESHOLD
    stored = json.dumps(pair.evidence) + json.dumps(DedupeRun.objects.get(pk=run.pk).model)
    assert "Juan" not in stored and "Rodr" not in stored
    # Searching again adds nothing new.
    assert dedupe.find_duplicates(documentalist, world).candidates == 0


@pytest.mark.parametrize(
    ("role", "clearance"),
    [
        (Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL),
        (Role.FOCAL_POINT, Clearance.STRICTLY_CONFIDENTIAL),
        (Role.READ_ONLY, Clearance.CONFIDENTIAL),
    ],
)
def test_who_may_not_deduplicate_is_refused(world, role, clearance) -> None:
    with pytest.raises(PermissionDenied):
        dedupe.find_duplicates(member(role, clearance, world), world)


def test_a_search_reads_only_the_persons_whose_identity_the_user_may_see(
    documentalist, world
) -> None:
    restricted = member(Role.DOCUMENTALIST, Clearance.RESTRICTED, world)  # persons are confidential
    run = dedupe.find_duplicates(restricted, world)
    assert run.persons == 0 and run.candidates == 0


def test_a_reviewer_merges_then_undoes_and_the_queue_says_so(
    client: Client, documentalist, world
) -> None:
    dedupe.find_duplicates(documentalist, world)
    pair = person_pair()
    sign_in(client, documentalist)
    page = client.get(reverse("stats:duplicate_detail", args=[pair.pk])).content.decode()
    assert "Juan Carlos Rodríguez" in page and "Juan Carlos Rodriguez" in page
    decide = reverse("stats:duplicate_decide", args=[pair.pk])
    client.post(decide, {"decision": "merge", "survivor": str(pair.left_id)})
    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.MERGED
    assert PersonMerge.objects.get(pk=pair.merge_id).survivor_id == pair.left_id
    client.post(decide, {"decision": "undo"})
    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.UNDONE
    assert PersonMerge.objects.get(pk=pair.merge_id).undone_at is not None


def test_a_rejected_pair_is_not_proposed_again(documentalist, world) -> None:
    dedupe.find_duplicates(documentalist, world)
    pair = person_pair()
    dedupe.decide(documentalist, pair, "reject")
    dedupe.find_duplicates(documentalist, world)
    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.REJECTED
    with pytest.raises(PermissionDenied):
        dedupe.decide(documentalist, pair, "merge")


def test_the_review_queue_is_only_for_its_organisations_deduplicators(
    client: Client, documentalist, world
) -> None:
    dedupe.find_duplicates(documentalist, world)
    pair = person_pair()
    stranger = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL)
    sign_in(client, stranger)
    assert client.get(reverse("stats:duplicate_detail", args=[pair.pk])).status_code == 404
    assert (
        client.post(
            reverse("stats:duplicate_decide", args=[pair.pk]), {"decision": "merge"}
        ).status_code
        == 404
    )


def test_the_command_runs_on_behalf_of_a_user(documentalist, world) -> None:
    out = io.StringIO()
    call_command("dedupe", "--as", documentalist.username, stdout=out)
    assert "new pairs to review" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("dedupe", "--as", "nobody")


def test_searching_another_organisation_answers_as_a_missing_one(
    client: Client, documentalist, world
) -> None:
    from tests.factories import OrganisationFactory

    other = OrganisationFactory()
    sign_in(client, documentalist)
    url = reverse("stats:duplicates_search")
    foreign = client.post(url, {"organisation": other.pk})
    missing = client.post(url, {"organisation": other.pk + 1000})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert not DedupeRun.objects.exists()


def test_names_the_keys_at_hand_do_not_open_are_not_compared_as_names(
    documentalist, world, monkeypatch
) -> None:
    """Run without the keys that open the names (a job, a command without --as), every name
    reached the linkage as the same "locked" label: different people with one name."""
    compared: list[dict[str, object]] = []
    real_link_persons = dedupe.link_persons

    def link_persons(table, *args, **kwargs):  # type: ignore[no-untyped-def]
        compared.extend(table.to_pylist())
        return real_link_persons(table, *args, **kwargs)

    monkeypatch.setattr(dedupe, "link_persons", link_persons)
    with keychain.using(keychain.Keychain()):
        dedupe.find_duplicates(documentalist, world)
    assert compared
    assert all(record["full_name"] is None for record in compared)
    assert all(record["other_names"] == [] for record in compared)

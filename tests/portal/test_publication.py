"""A publication is made by an editor, approved by a second person, withdrawable at once; its
content is built from the whitelist, never the live record; consent decides names."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from amparo.cases import services as cases_services
from amparo.cases.models import Event, RecipientKind
from amparo.core.models import AuditEntry, Clearance, Role
from amparo.core.services import DomainError
from amparo.portal import access, services, whitelist
from amparo.portal.models import Publication, PublicItem
from tests.factories import EventFactory, OrganisationFactory, member
from tests.portal.conftest import World, publish

pytestmark = pytest.mark.django_db

SECRETS = (
    "SECRET-TITLE-MARK",
    "SECRET-DESCRIPTION-MARK",
    "SECRET-LOCALITY-MARK",
    "SECRET-NOTES-MARK",
    "SECRET-NAME-MARK",
    "SECRET-CONTACT-MARK",
    "SECRET-ADDRESS-MARK",
    "SECRET-REMARKS-MARK",
    "SECRET-ACT-LOCALITY",
)


def draft(world: World) -> Publication:
    return services.create_events_publication(
        world.editor,
        world.organisation,
        title="Reprisals",
        summary="",
        reference_codes=[world.event.reference_code],
    )


def test_the_snapshot_holds_only_whitelisted_sanitised_values(world: World) -> None:
    publication = draft(world)
    text = json.dumps(publication.content)
    assert [s for s in SECRETS if s in text] == []
    record = publication.content["events"][0]
    assert record["region"] == "FR-ARA"  # FR-69 coarsened to its first-level region
    assert record["start_date"] == "2024-03"  # the day is never published
    act = record["acts"][0]
    assert act["date"] == "2024-03"
    assert act["type_of_act"]["code"] == "threat"
    assert set(act["type_of_act"]["label"]) == {"en", "fr", "es", "ar"}
    assert "name" not in act["victim"]
    assert len(act["victim"]["pseudonym"]) == 6
    assert world.event.reference_code not in text


def test_a_live_consent_to_publication_shows_the_name(world: World) -> None:
    cases_services.give_consent(
        world.editor, world.victim, recipient_kind=RecipientKind.PUBLICATION, purpose="portal"
    )
    publication = draft(world)
    assert publication.content["events"][0]["acts"][0]["victim"]["name"] == "SECRET-NAME-MARK"
    assert list(publication.named_persons.all()) == [world.victim]


def test_a_consent_to_partners_only_does_not(world: World) -> None:
    cases_services.give_consent(
        world.editor,
        world.victim,
        recipient_kind=RecipientKind.PARTNER_ORGANISATIONS,
        purpose="sharing",
    )
    assert "name" not in draft(world).content["events"][0]["acts"][0]["victim"]


def test_withdrawing_the_consent_unpublishes_at_once(world: World) -> None:
    consent = cases_services.give_consent(
        world.editor, world.victim, recipient_kind=RecipientKind.PUBLICATION, purpose="portal"
    )
    publication = publish(world)
    assert PublicItem.objects.filter(publication=publication).count() == 1
    cases_services.withdraw_consent(world.editor, consent)
    publication.refresh_from_db()
    assert publication.state == Publication.State.WITHDRAWN
    assert publication.withdrawal_reason == Publication.WithdrawalReason.CONSENT
    assert "SECRET-NAME-MARK" not in json.dumps(publication.content)
    assert not PublicItem.objects.filter(publication=publication).exists()
    assert AuditEntry.objects.filter(action="portal.publication_consent_withdrawn").exists()


def test_approval_is_refused_when_a_named_person_lost_consent_meanwhile(world: World) -> None:
    consent = cases_services.give_consent(
        world.editor, world.victim, recipient_kind=RecipientKind.PUBLICATION, purpose="portal"
    )
    publication = draft(world)
    services.submit(world.editor, publication)
    # Withdrawn without the hook (as if by another path): approval still checks.
    type(consent).objects.filter(pk=consent.pk).update(withdrawn_at="2026-01-01T00:00Z")
    with pytest.raises(DomainError, match="no longer consents"):
        services.approve(world.reviewer, publication)


def test_the_lifecycle_is_audited_and_goes_live_only_when_approved(world: World) -> None:
    publication = draft(world)
    assert not PublicItem.objects.exists()
    services.submit(world.editor, publication)
    assert not PublicItem.objects.exists()
    services.approve(world.reviewer, publication)
    publication.refresh_from_db()
    assert publication.state == Publication.State.PUBLISHED
    assert PublicItem.objects.filter(publication=publication).count() == 1
    services.withdraw(world.reviewer, publication)
    publication.refresh_from_db()
    assert publication.state == Publication.State.WITHDRAWN
    assert not PublicItem.objects.exists()
    actions = list(
        AuditEntry.objects.filter(object_type="portal.publication").values_list("action", flat=True)
    )
    assert actions == [
        "portal.publication_create",
        "portal.publication_submit",
        "portal.publication_approve",
        "portal.publication_withdraw",
    ]


def test_the_editor_cannot_approve_their_own_publication(world: World) -> None:
    admin = member(Role.ADMINISTRATOR, Clearance.CONFIDENTIAL, world.organisation)
    publication = services.create_events_publication(
        admin,
        world.organisation,
        title="T",
        summary="",
        reference_codes=[world.event.reference_code],
    )
    services.submit(admin, publication)
    with pytest.raises(DomainError, match="second person"):
        services.approve(admin, publication)


@pytest.mark.parametrize(
    ("steps", "action", "message"),
    [
        ((), "approve", "draft"),
        (("submit",), "submit", "awaiting approval"),
        (("submit", "approve"), "approve", "published"),
        (("submit", "approve", "withdraw"), "withdraw", "withdrawn"),
        (("withdraw",), "submit", "withdrawn"),
    ],
)
def test_illegal_transitions_are_refused_with_a_message(
    world: World, steps: tuple[str, ...], action: str, message: str
) -> None:
    publication = draft(world)
    actors = {"submit": world.editor, "approve": world.reviewer, "withdraw": world.editor}
    for step in steps:
        getattr(services, step)(actors[step], publication)
    before = publication.state
    publication.refresh_from_db()
    with pytest.raises(DomainError, match=message):
        getattr(services, action)(actors[action], publication)
    publication.refresh_from_db()
    assert publication.state in {before, publication.state}


def test_unknown_unverified_or_foreign_events_are_refused_by_row(world: World) -> None:
    draft_event = EventFactory(organisation=world.organisation, status=Event.Status.DRAFT)
    foreign = EventFactory(organisation=OrganisationFactory(), status=Event.Status.VERIFIED)
    with pytest.raises(ValidationError) as refused:
        services.create_events_publication(
            world.editor,
            world.organisation,
            title="T",
            summary="",
            reference_codes=["NOPE-1", draft_event.reference_code, foreign.reference_code],
        )
    messages = refused.value.message_dict["events"]
    assert any(draft_event.reference_code in m and "verified" in m for m in messages)
    # Unknown and another organisation's: the same words, each naming its row, so that the
    # answer says nothing of what exists elsewhere.
    unknown = next(m for m in messages if "NOPE-1" in m)
    elsewhere = next(m for m in messages if foreign.reference_code in m)
    assert unknown.replace("NOPE-1", "<code>") == elsewhere.replace(
        foreign.reference_code, "<code>"
    )
    assert "organisation" not in elsewhere
    assert not Publication.objects.exists()


def test_an_event_the_editor_may_not_see_is_refused_as_unknown(world: World) -> None:
    editor = member(Role.DOCUMENTALIST, Clearance.RESTRICTED, world.organisation)
    hidden = EventFactory(
        organisation=world.organisation,
        status=Event.Status.VERIFIED,
        confidentiality=Clearance.STRICTLY_CONFIDENTIAL,
    )
    with pytest.raises(ValidationError) as refused:
        services.create_events_publication(
            editor,
            world.organisation,
            title="T",
            summary="",
            reference_codes=["NOPE-2", hidden.reference_code],
        )
    unknown, unseen = refused.value.message_dict["events"]
    assert unknown.replace("NOPE-2", "<code>") == unseen.replace(hidden.reference_code, "<code>")


def test_a_title_is_required(world: World) -> None:
    with pytest.raises(ValidationError, match="title"):
        services.create_events_publication(
            world.editor, world.organisation, title=" ", summary="", reference_codes=["X"]
        )


# --- Who may do what: one table ---------------------------------------------------------------

STATES = ("draft", "submitted", "published", "withdrawn")
# (role, action) -> states from which the action is allowed (for someone who did not make it)
ALLOWED: dict[tuple[str, str], set[str]] = {
    (Role.ADMINISTRATOR, "view"): set(STATES),
    (Role.ADMINISTRATOR, "submit"): {"draft"},
    (Role.ADMINISTRATOR, "approve"): {"submitted"},
    (Role.ADMINISTRATOR, "withdraw"): {"draft", "submitted", "published"},
    (Role.DOCUMENTALIST, "view"): set(STATES),
    (Role.DOCUMENTALIST, "submit"): {"draft"},
    (Role.DOCUMENTALIST, "withdraw"): {"draft", "submitted", "published"},
    (Role.ANALYST, "view"): set(STATES),
    (Role.ANALYST, "submit"): {"draft"},
    (Role.ANALYST, "withdraw"): {"draft", "submitted", "published"},
    (Role.REVIEWER, "view"): set(STATES),
    (Role.REVIEWER, "approve"): {"submitted"},
    (Role.REVIEWER, "withdraw"): {"draft", "submitted", "published"},
}
TABLE = [
    (role, action, state, state in ALLOWED.get((role, action), set()))
    for role in Role.values
    for action in ("view", "submit", "approve", "withdraw")
    for state in STATES
]


@pytest.mark.parametrize(("role", "action", "state", "allowed"), TABLE)
def test_who_may_do_what_with_a_publication(
    world: World, role: str, action: str, state: str, allowed: bool
) -> None:
    publication = draft(world)
    Publication.objects.filter(pk=publication.pk).update(state=state)
    publication.refresh_from_db()
    user = member(role, Clearance.CONFIDENTIAL, world.organisation)
    assert access.can(user, action, publication) is allowed
    outsider = member(role, Clearance.CONFIDENTIAL, OrganisationFactory())
    assert access.can(outsider, action, publication) is False


@pytest.mark.parametrize("role", Role.values)
def test_who_may_create_publications(world: World, role: str) -> None:
    user = member(role, Clearance.CONFIDENTIAL, world.organisation)
    expected = role in {Role.ADMINISTRATOR, Role.DOCUMENTALIST, Role.ANALYST}
    assert access.may_create_in(user, world.organisation) is expected


# --- The whitelist file -----------------------------------------------------------------------


def test_the_shipped_whitelist_loads() -> None:
    rules = whitelist.load()
    assert rules.fields("event")["start_date"].coarsen == "month"
    assert "name" in rules.fields("victim")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(person={}), "unknown record type"),
        (lambda d: d["event"].update(notes={}), "event.notes: not a field the portal can publish"),
        (lambda d: d["event"].update(country={"coarsen": "month"}), "only a date"),
        (lambda d: d["act"].update(date={"coarsen": "week"}), "coarsen to month or year"),
        (lambda d: d["act"].update(date={"hide": True}), "the only option"),
        (lambda d: d["statistics"]["dimensions"].append("names"), "not a dimension"),
        (lambda d: d.pop("victim"), "missing"),
    ],
)
def test_a_wrong_whitelist_is_refused_with_where_and_why(change: object, reason: str) -> None:
    import yaml

    data = yaml.safe_load(whitelist.PATH.read_text())
    change(data)  # type: ignore[operator]
    with pytest.raises(whitelist.WhitelistError, match=reason):
        whitelist.parse(data, "whitelist.yaml")


def test_the_core_rule_opening_the_editors_pages_names_the_portal_roles() -> None:
    from amparo.core.access import RULES

    assert RULES[access.PUBLISH_RULE] == access.EDITORS | access.REVIEWERS


def test_naming_someone_to_the_public_is_a_recorded_disclosure(world: World) -> None:
    from amparo.cases.models import IdentityDisclosure

    cases_services.give_consent(
        world.editor, world.victim, recipient_kind=RecipientKind.PUBLICATION, purpose="portal"
    )
    publish(world)
    entry = AuditEntry.objects.get(action="person.identity_disclosed")
    assert entry.changes["channel"] == "publication"
    assert IdentityDisclosure.objects.filter(person=world.victim, entry=entry).exists()


def test_the_snapshot_is_encrypted_at_rest(world: World) -> None:
    from django.db import connection

    cases_services.give_consent(
        world.editor, world.victim, recipient_kind=RecipientKind.PUBLICATION, purpose="portal"
    )
    publication = draft(world)
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM portal_publication WHERE id = %s", [publication.pk])
        stored = str(cursor.fetchone()[0])
    assert "SECRET-NAME-MARK" not in stored and "FR-ARA" not in stored


def test_a_huge_reference_list_is_refused_before_any_lookup(
    world: World, django_assert_max_num_queries: object
) -> None:
    """A hostile form of 100,000 codes costs a few queries (who may create), not one per code."""
    codes = [f"FORGED-{n}" for n in range(100_000)] + [world.event.reference_code]
    with django_assert_max_num_queries(5), pytest.raises(ValidationError, match="At most"):  # type: ignore[operator]
        services.create_events_publication(
            world.editor, world.organisation, title="T", summary="", reference_codes=codes
        )
    assert not Publication.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['touch /tmp/pwned']",
        "a: &a [*a, *a]\nb: [*a, *a, *a]",
        "- just\n- a list",
    ],
)
def test_a_hostile_whitelist_file_is_refused_and_runs_nothing(
    text: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "whitelist.yaml"  # type: ignore[operator]
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(whitelist, "PATH", path)
    whitelist.load.cache_clear()
    try:
        with pytest.raises(whitelist.WhitelistError):
            whitelist.load()
    finally:
        whitelist.load.cache_clear()

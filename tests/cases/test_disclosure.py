"""Every disclosure of a person's identity is audited: one entry per request or export, listing
the ids of the persons whose identity was shown (never a name) and the channel; an owning
organisation's administrators see, from the person, who has seen them, when, through what."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import URLPattern, reverse

from amparo.api.main import api
from amparo.api.urls import PREFIX
from amparo.cases import access, queries, services
from amparo.cases import urls as case_urls
from amparo.cases.exchange import exports, huridocs
from amparo.cases.exchange import urls as exchange_urls
from amparo.cases.models import (
    ConsentRecord,
    DisclosureChannel,
    Event,
    IdentityDisclosure,
    Person,
    RecipientKind,
    SharingGrant,
    Source,
)
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.fields import blind_index
from amparo.core.models import AuditEntry, Clearance, Organisation, Role, User
from tests.cases.conftest import sign_in, token_with_keys
from tests.cases.exchange import record_event, term
from tests.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

HIDDEN_NAME = "Juana Escondida Pérez"


@pytest.fixture
def world() -> dict[str, Any]:
    """An NHRI event naming five persons a confidential-cleared documentalist may see (two
    victims, a perpetrator, a source, an intervening party) and one strictly confidential
    victim they may not."""
    nhri = OrganisationFactory(kind=Organisation.Kind.NHRI, short_code="NHRI-KE")
    recorder = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    event = record_event(recorder)
    services.add_act(
        recorder,
        event,
        services.ActInput(
            victim=services.PersonInput(
                full_name=HIDDEN_NAME, confidentiality=Clearance.STRICTLY_CONFIDENTIAL
            ),
            type_of_act=term("hrd_violations", "threat"),
        ),
    )
    services.add_source(
        recorder,
        event,
        services.SourceInput(source_person=services.PersonInput(full_name="Wanjiku Shahidi")),
    )
    services.add_intervention(
        recorder,
        event,
        services.InterventionInput(
            intervention_type=term("20", "010600000000"),
            intervening_person=services.PersonInput(full_name="Otieno Wakili"),
        ),
    )
    event.refresh_from_db()
    names = {p.pk: p.full_name for p in Person.objects.all()}
    hidden = next(pk for pk, name in names.items() if name == HIDDEN_NAME)
    return {
        "nhri": nhri,
        "recorder": recorder,
        "event": event,
        "names": names,
        "hidden": hidden,
        "viewer": member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri),
        "admin": member(Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL, nhri),
    }


def named(name: str) -> Person:
    return Person.objects.get(full_name_index=blind_index(name))


def disclosures() -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action=AuditAction.PERSON_IDENTITY_DISCLOSED).order_by("id")
    )


def named_in(text: str, names: dict[int, str]) -> set[int]:
    """The persons whose name appears in `text` (as it is, or as JSON escapes it)."""
    escaped = json.dumps(text)  # covers "\u00e9" in a JSON answer read as text
    return {
        pk
        for pk, name in names.items()
        if name in text or json.dumps(name)[1:-1] in text or name in escaped
    }


def assert_one_entry(
    before: int, channel: DisclosureChannel, persons: set[int], names: dict[int, str]
) -> AuditEntry:
    """Exactly one new disclosure entry, naming exactly `persons` and no name, indexed."""
    new = disclosures()[before:]
    assert len(new) == 1, [e.changes for e in new]
    entry = new[0]
    assert entry.changes == {"channel": channel.value, "persons": sorted(persons)}
    stored = audit.canonical_json(audit.export_record(entry))
    for name in names.values():
        assert name not in stored and json.dumps(name)[1:-1] not in stored
    indexed = IdentityDisclosure.objects.filter(entry=entry).values_list("person_id", flat=True)
    assert sorted(indexed) == sorted(persons)
    return entry


def visible_to_viewer(world: dict[str, Any]) -> set[int]:
    return set(world["names"]) - {world["hidden"]}


# --- Each channel: one entry, exactly the ids shown, no name, pseudonyms left out ------------


@pytest.mark.parametrize(
    ("url_name", "channel"),
    [
        ("cases:event_detail", DisclosureChannel.EVENT_PAGE),
        ("cases:event_print", DisclosureChannel.EVENT_PRINT),
    ],
)
def test_the_event_page_and_its_print_view_record_the_identities_they_show(
    world, client: Client, url_name: str, channel: DisclosureChannel
) -> None:
    sign_in(client, world["viewer"])
    before = len(disclosures())

    page = client.get(reverse(url_name, args=[world["event"].pk])).content.decode()

    shown = named_in(page, world["names"])
    assert shown == visible_to_viewer(world)
    entry = assert_one_entry(before, channel, shown, world["names"])
    assert (entry.object_type, entry.object_id) == ("cases.event", str(world["event"].pk))
    assert entry.organisation_id == world["nhri"].pk
    assert entry.actor_id == world["viewer"].pk


def test_the_event_form_records_the_identities_it_is_filled_in_with(world, client: Client) -> None:
    sign_in(client, world["viewer"])
    before = len(disclosures())

    page = client.get(reverse("cases:event_edit", args=[world["event"].pk])).content.decode()

    shown = named_in(page, world["names"])
    assert shown  # the victims and the perpetrator the form edits
    assert world["hidden"] not in shown
    assert_one_entry(before, DisclosureChannel.EVENT_FORM, shown, world["names"])


def test_a_version_page_shows_no_identity_and_so_records_none(world, client: Client) -> None:
    person = named("Akinyi Odera")
    data = services.PersonInput.existing(person)
    data.full_name = "Akinyi Odera Otieno"
    services.update_person(world["recorder"], person, data)
    sign_in(client, world["viewer"])
    before = len(disclosures())

    for number in range(1, Event.objects.get(pk=world["event"].pk).version + 1):
        page = client.get(reverse("cases:version_detail", args=[world["event"].pk, number]))
        assert page.status_code == 200
        assert not named_in(page.content.decode(), world["names"] | {0: "Akinyi"})

    assert len(disclosures()) == before


class Api:
    def __init__(self, client: Client, user: User) -> None:
        self.client = client
        secret = token_with_keys(user)
        self.header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def get(self, path: str) -> Any:
        return self.client.get(f"/{PREFIX}{path.lstrip('/')}", **self.header)

    def send(self, method: str, path: str, body: dict[str, Any]) -> Any:
        return self.client.generic(
            method,
            f"/{PREFIX}{path.lstrip('/')}",
            json.dumps(body),
            content_type="application/json",
            **self.header,
        )


def test_every_api_answer_that_names_someone_records_one_entry(world, client: Client) -> None:
    event = world["event"]
    act = event.acts.order_by("pk").first()
    victim = named("Akinyi Odera")
    caller = Api(client, world["viewer"])
    expectations = {
        f"/persons/{victim.pk}": ("cases.person", str(victim.pk)),
        f"/events/{event.pk}": ("cases.event", str(event.pk)),
        f"/acts/{act.pk}": ("cases.act", str(act.pk)),
        f"/acts?event={event.pk}": ("", ""),
        "/persons": ("", ""),
    }
    for path, (object_type, object_id) in expectations.items():
        before = len(disclosures())
        answer = caller.get(path)
        assert answer.status_code == 200, path
        shown = named_in(answer.content.decode(), world["names"])
        assert shown and world["hidden"] not in shown, path
        entry = assert_one_entry(before, DisclosureChannel.API, shown, world["names"])
        assert (entry.object_type, entry.object_id) == (object_type, object_id), path


def test_an_api_write_that_answers_with_the_event_records_one_entry(world, client: Client) -> None:
    caller = Api(client, world["recorder"])
    before = len(disclosures())

    answer = caller.send(
        "POST",
        "/events",
        {
            "organisation": "NHRI-KE",
            "title": "Surveillance of a lawyer",
            "confidentiality": "restricted",
            "acts": [{"victim": {"full_name": "Mumbi Wakili"}, "type_of_act": "threat"}],
        },
    )

    assert answer.status_code == 201, answer.content
    mumbi = named("Mumbi Wakili")
    assert_one_entry(before, DisclosureChannel.API, {mumbi.pk}, {mumbi.pk: "Mumbi Wakili"})


def test_the_api_list_of_events_names_nobody_and_records_nothing(world, client: Client) -> None:
    before = len(disclosures())
    answer = Api(client, world["viewer"]).get("/events")
    assert answer.status_code == 200
    assert not named_in(answer.content.decode(), world["names"])
    assert len(disclosures()) == before


def _every_role(fmt: str) -> bool:
    return fmt not in exports.TABULAR_FORMATS


def exported_persons(world: dict[str, Any], fmt: str) -> set[int]:
    """The persons whose identity an export of `fmt` by the viewer shows."""
    if _every_role(fmt):
        return visible_to_viewer(world)
    source_or_intervention = {
        pk for pk, name in world["names"].items() if name in ("Wanjiku Shahidi", "Otieno Wakili")
    }
    return visible_to_viewer(world) - source_or_intervention


def _text_of(fmt: str, data: bytes) -> str:
    if fmt != "xlsx":
        return data.decode()
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    assert sheet is not None
    return "\n".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)


FORMATS = (*exports.FORMATS, huridocs.FORMAT)


@pytest.mark.usefixtures("command_password")
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_at_the_command_line_records_one_entry(world, tmp_path: Path, fmt: str) -> None:
    before = len(disclosures())
    output = tmp_path / f"export.{fmt}"

    call_command(
        "export-cases",
        as_user=world["viewer"].username,
        format=fmt,
        output=output,
        stderr=io.StringIO(),
    )

    expected = exported_persons(world, fmt)
    assert named_in(_text_of(fmt, output.read_bytes()), world["names"]) == expected
    entry = assert_one_entry(before, DisclosureChannel.CLI_EXPORT, expected, world["names"])
    assert entry.organisation_id == world["nhri"].pk


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_from_the_web_records_one_entry_before_it_is_sent(
    world, client: Client, fmt: str
) -> None:
    sign_in(client, world["viewer"])
    before = len(disclosures())

    response = client.get(reverse("cases_exchange:export"), {"format": fmt})

    assert response.status_code == 200
    if response.streaming:
        # Recorded before the first byte is read.
        assert len(disclosures()) == before + 1
        data = b"".join(response.streaming_content)  # type: ignore[arg-type]
    else:
        data = response.getvalue()
    expected = exported_persons(world, fmt)
    assert named_in(_text_of(fmt, data), world["names"]) == expected
    assert_one_entry(before, DisclosureChannel.WEB_EXPORT, expected, world["names"])


def test_a_person_added_while_an_export_streams_stays_pseudonymised(world, client: Client) -> None:
    sign_in(client, world["viewer"])
    response = client.get(reverse("cases_exchange:export"), {"format": "csv"})
    recorded = disclosures()[-1].changes["persons"]
    services.add_act(
        world["recorder"],
        world["event"],
        services.ActInput(
            victim=services.PersonInput(full_name="Late Addition"),
            type_of_act=term("hrd_violations", "threat"),
        ),
    )

    data = b"".join(response.streaming_content).decode()  # type: ignore[arg-type]

    late = named("Late Addition")
    assert "Late Addition" not in data
    assert access.pseudonym(late) in data
    assert late.pk not in recorded


def test_a_partner_s_page_records_only_the_identities_a_consent_discloses(
    world, client: Client
) -> None:
    partner = OrganisationFactory(kind=Organisation.Kind.CSO)
    partner_member = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, partner)
    services.grant_sharing(world["recorder"], world["event"], organisation=partner)
    akinyi = named("Akinyi Odera")
    services.give_consent(
        world["recorder"],
        akinyi,
        recipient_kind=RecipientKind.PARTNER_ORGANISATIONS,
        purpose="Joint appeal",
    )
    sign_in(client, partner_member)
    before = len(disclosures())

    page = client.get(reverse("cases:event_detail", args=[world["event"].pk])).content.decode()

    assert named_in(page, world["names"]) == {akinyi.pk}
    assert_one_entry(before, DisclosureChannel.EVENT_PAGE, {akinyi.pk}, world["names"])


def test_a_page_showing_only_pseudonyms_records_nothing(world, client: Client) -> None:
    sign_in(client, member(Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, world["nhri"]))
    before = len(disclosures())

    page = client.get(reverse("cases:event_detail", args=[world["event"].pk])).content.decode()

    assert not named_in(page, world["names"])
    assert len(disclosures()) == before


# --- Every page and API answer: a name shown is a name recorded -------------------------------


def _case_routes() -> Iterator[tuple[str, URLPattern]]:
    for module in (case_urls, exchange_urls):
        for pattern in module.urlpatterns:
            assert isinstance(pattern, URLPattern)
            yield f"{module.app_name}:{pattern.name}", pattern


def _arguments(world: dict[str, Any]) -> dict[str, int]:
    event = world["event"]
    grant = services.grant_sharing(
        world["recorder"], event, organisation=OrganisationFactory(kind=Organisation.Kind.CSO)
    )
    consent = services.give_consent(
        world["recorder"],
        named("Akinyi Odera"),
        recipient_kind=RecipientKind.STATE,
        purpose="Appeal",
    )
    return {
        "pk": event.pk,
        "number": 1,
        "person_pk": named("Akinyi Odera").pk,
        "grant_pk": grant.pk,
        "consent_pk": consent.pk,
        "item_pk": Source.objects.filter(event=event).first().pk,  # type: ignore[union-attr]
    }


def _content(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def test_every_case_page_that_shows_a_name_records_exactly_the_names_it_shows(
    world, client: Client
) -> None:
    arguments = _arguments(world)
    assert SharingGrant.objects.exists() and ConsentRecord.objects.exists()
    sign_in(client, world["admin"])  # sees every identity: nothing is hidden from the check
    urls = []
    for name, pattern in _case_routes():
        wanted = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
        urls.append(reverse(name, kwargs={key: arguments[key] for key in wanted}))
    export = reverse("cases_exchange:export")
    urls += [f"{export}?format={fmt}" for fmt in ("csv", "json", huridocs.FORMAT)]
    checked = []
    for url in urls:
        before = len(disclosures())
        response = client.get(url)
        shown = named_in(_content(response), world["names"])
        new = disclosures()[before:]
        if not shown:
            assert new == [], url
            continue
        assert len(new) == 1, url
        assert set(new[0].changes["persons"]) == shown, url
        checked.append(url)
    assert len(checked) >= 6  # detail, print, form, and three exports at least


def test_every_api_answer_that_shows_a_name_records_exactly_the_names_it_shows(
    world, client: Client
) -> None:
    event = world["event"]
    values = {
        "event_id": event.pk,
        "act_id": event.acts.order_by("pk").first().pk,  # type: ignore[union-attr]
        "person_id": named("Akinyi Odera").pk,
    }
    schema = api.get_openapi_schema(path_params={})
    caller = Api(client, world["admin"])
    checked = []
    for path, methods in schema["paths"].items():
        if "get" not in methods or "openapi" in path or "docs" in path:
            continue
        if set(re.findall(r"\{(\w+)\}", path)) - set(values):
            continue  # another app's record (a recommendation, a member): no person in it
        url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
        before = len(disclosures())
        response = client.get(url, **caller.header)
        if response.status_code in (403, 422):  # another app's role, or its required query
            assert disclosures()[before:] == [] and not path.startswith(("/events", "/persons"))
            continue
        assert response.status_code == 200, url
        shown = named_in(response.content.decode(), world["names"])
        new = disclosures()[before:]
        if not shown:
            assert new == [], url
            continue
        assert len(new) == 1, url
        assert set(new[0].changes["persons"]) == shown, url
        checked.append(url)
    assert len(checked) >= 4


# --- Who has seen this person: the administrators' page ---------------------------------------


@pytest.mark.usefixtures("command_password")
def test_the_administrator_sees_who_has_seen_a_person_when_and_through_what(
    world, client: Client, tmp_path: Path
) -> None:
    akinyi = named("Akinyi Odera")
    sign_in(client, world["viewer"])
    client.get(reverse("cases:event_print", args=[world["event"].pk]))
    Api(client, world["viewer"]).get(f"/persons/{akinyi.pk}")
    call_command(
        "export-cases",
        as_user=world["viewer"].username,
        format="csv",
        output=tmp_path / "out.csv",
        stderr=io.StringIO(),
    )
    client.logout()
    sign_in(client, world["admin"])

    page = client.get(reverse("cases:person_disclosures", args=[akinyi.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "Akinyi" not in text  # the page names nobody: reading it discloses nothing
    assert access.pseudonym(akinyi) in text
    rows = re.findall(r'<tr id="entry-\d+">(.*?)</tr>', text, re.S)
    assert len(rows) == 3
    # Newest first: the export, the API, the printable page.
    assert "Export at the command line" in rows[0]
    assert "API" in rows[1] and "This person" in rows[1]
    assert "Printable event" in rows[2] and world["event"].reference_code in rows[2]
    assert all(world["viewer"].username in row for row in rows)
    assert all(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row) for row in rows)
    assert len(disclosures()) == 3  # the page itself disclosed nothing


def test_the_event_page_links_each_person_to_who_has_seen_them_for_administrators_only(
    world, client: Client
) -> None:
    akinyi = named("Akinyi Odera")
    link = reverse("cases:person_disclosures", args=[akinyi.pk])
    event_page = reverse("cases:event_detail", args=[world["event"].pk])

    assert link in sign_in(client, world["admin"]).get(event_page).content.decode()
    client.logout()
    assert link not in sign_in(client, world["viewer"]).get(event_page).content.decode()


# Who may read who has seen a person (kept at confidential): (role, clearance, own organisation).
OWN, OTHER = "own", "other"
WHO_MAY_READ = [
    (Role.ADMINISTRATOR, Clearance.CONFIDENTIAL, OWN, True),
    (Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL, OWN, True),
    (Role.ADMINISTRATOR, Clearance.RESTRICTED, OWN, False),  # not cleared for the person
    (Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL, OTHER, False),
    (Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, OWN, False),
    (Role.FOCAL_POINT, Clearance.STRICTLY_CONFIDENTIAL, OWN, False),
    (Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, OWN, False),
    (Role.REVIEWER, Clearance.STRICTLY_CONFIDENTIAL, OWN, False),
    (Role.READ_ONLY, Clearance.STRICTLY_CONFIDENTIAL, OWN, False),
    (Role.STATE_REPRESENTATIVE, Clearance.STRICTLY_CONFIDENTIAL, OTHER, False),
    (Role.MECHANISM, Clearance.STRICTLY_CONFIDENTIAL, OTHER, False),
    (Role.NETWORK_SECRETARIAT, Clearance.STRICTLY_CONFIDENTIAL, OTHER, False),
]


@pytest.mark.parametrize(("role", "clearance", "where", "allowed"), WHO_MAY_READ)
def test_who_may_see_who_has_seen_a_person(
    world, client: Client, role: str, clearance: int, where: str, allowed: bool
) -> None:
    akinyi = named("Akinyi Odera")
    assert akinyi.confidentiality == Clearance.CONFIDENTIAL
    organisation = world["nhri"] if where == OWN else OrganisationFactory()
    reader = member(role, clearance, organisation)
    if where == OTHER:  # even with the event shared and every consent given
        services.grant_sharing(world["recorder"], world["event"], organisation=organisation)
        for kind in RecipientKind.values:
            services.give_consent(world["recorder"], akinyi, recipient_kind=kind, purpose="x")

    response = sign_in(client, reader).get(reverse("cases:person_disclosures", args=[akinyi.pk]))

    assert access.can_view_disclosures(reader, akinyi) is allowed
    assert response.status_code == (200 if allowed else 404 if role == Role.ADMINISTRATOR else 403)


def test_a_deployment_superuser_may_not_read_who_has_seen_a_person(world, client: Client) -> None:
    superuser = member(Role.READ_ONLY, Clearance.PUBLIC, is_superuser=True)
    akinyi = named("Akinyi Odera")
    response = sign_in(client, superuser).get(reverse("cases:person_disclosures", args=[akinyi.pk]))
    assert response.status_code == 404


def test_an_unknown_or_forged_person_id_is_a_404_like_a_forbidden_one(
    world, client: Client
) -> None:
    sign_in(client, world["admin"])
    for pk in (999_999, world["hidden"] + 1000):
        assert client.get(reverse("cases:person_disclosures", args=[pk])).status_code == 404


def test_who_has_seen_a_person_is_read_through_the_index_not_the_log(world) -> None:
    table = IdentityDisclosure._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    by_person = [
        c
        for c in constraints.values()
        if c["columns"][:1] == ["person_id"] and not c["foreign_key"]
    ]
    assert by_person and all(c["index"] or c["unique"] for c in by_person), constraints
    person = named("Akinyi Odera")
    if connection.vendor == "sqlite":  # no statistics: the plan is the same at any size
        sql, params = queries.disclosures_of(person).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
        # The index by person, then the log by primary key only.
        assert re.search(r"SEARCH \S+ USING COVERING INDEX \S+ \(person_id=\?\)", plan), plan
        assert "SCAN" not in plan, plan
    else:  # the planner weighs a table this small differently: ask for the lookup by person
        lookup = IdentityDisclosure.objects.filter(person=person).values("entry_id")
        sql, params = lookup.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " | ".join(row[0] for row in cursor.fetchall())
        assert "one_disclosure_per_entry" in plan, plan


def test_a_disclosure_names_persons_in_one_entry_whatever_their_number(world) -> None:
    many = {pk: world["nhri"].pk for pk in world["names"]}
    before = len(disclosures())

    services.record_disclosure(world["viewer"], many, DisclosureChannel.API)
    services.record_disclosure(world["viewer"], {}, DisclosureChannel.API)

    assert len(disclosures()) == before + 1
    assert audit.verify().ok

"""Who may do what with alerts and risk assessments: one table per kind of rule, and the
attacks: another organisation's user, a partner without consent, a State recipient without
consent; every identity shown is audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from amparo.api import tokens
from amparo.cases.models import ConsentRecord, IdentityDisclosure, Person, RecipientKind
from amparo.core.models import AuditEntry, Clearance, DataKeyCopy, Organisation, Role, User
from amparo.core.services import DomainError
from amparo.warning import access
from amparo.warning.models import Alert, RiskAssessment
from amparo.warning.services import alerts, assessments, evaluation
from tests.cases.conftest import token_with_keys
from tests.factories import member
from tests.warning.conftest import World, consent, sign_in

pytestmark = pytest.mark.django_db

TOP = Clearance.STRICTLY_CONFIDENTIAL

# (role, member of: owner / recipient / other) -> the actions on an open alert.
ALERT_TABLE = [
    (Role.ADMINISTRATOR, "owner", {"view", "acknowledge", "close"}),
    (Role.DOCUMENTALIST, "owner", {"view", "acknowledge", "close"}),
    (Role.FOCAL_POINT, "owner", {"view", "acknowledge", "close"}),
    (Role.ANALYST, "owner", {"view"}),
    (Role.READ_ONLY, "owner", {"view"}),
    (Role.REVIEWER, "owner", set()),
    (Role.STATE_REPRESENTATIVE, "owner", set()),
    (Role.ADMINISTRATOR, "recipient", {"view", "acknowledge"}),
    (Role.FOCAL_POINT, "recipient", {"view", "acknowledge"}),
    (Role.NETWORK_SECRETARIAT, "recipient", {"view", "acknowledge"}),
    (Role.DOCUMENTALIST, "recipient", {"view"}),
    (Role.ANALYST, "recipient", set()),
    (Role.READ_ONLY, "recipient", set()),
    (Role.ADMINISTRATOR, "other", set()),
    (Role.FOCAL_POINT, "other", set()),
    (Role.DOCUMENTALIST, "other", set()),
]

# role in the owning organisation -> the actions on a person's risk assessment.
RISK_TABLE = [
    (Role.ADMINISTRATOR, {"view_risk", "override"}),
    (Role.DOCUMENTALIST, {"view_risk", "override"}),
    (Role.FOCAL_POINT, {"view_risk"}),
    (Role.ANALYST, {"view_risk"}),
    (Role.READ_ONLY, set()),
    (Role.REVIEWER, set()),
    (Role.STATE_REPRESENTATIVE, set()),
    (Role.MECHANISM, set()),
    (Role.NETWORK_SECRETARIAT, set()),
]


def alert_of(world: World) -> Alert:
    evaluation.evaluate([world.defender.pk])
    alert = Alert.objects.order_by("-raised_on").first()
    assert alert is not None
    return alert


def organisation(world: World, where: str) -> Organisation:
    return {"owner": world.nhri, "recipient": world.network, "other": world.other}[where]


@pytest.mark.parametrize("role,where,allowed", ALERT_TABLE)
def test_who_may_do_what_with_an_alert(
    escalating: World, role: str, where: str, allowed: set[str]
) -> None:
    alert = alert_of(escalating)
    user = member(role, TOP, organisation(escalating, where))
    assert set(access.actions_on(user, alert)) == allowed
    assert access.visible_alerts(user).filter(pk=alert.pk).exists() == ("view" in allowed)


@pytest.mark.parametrize("role,allowed", RISK_TABLE)
def test_who_may_read_and_set_a_persons_risk(world: World, role: str, allowed: set[str]) -> None:
    user = member(role, TOP, world.nhri)
    assert set(access.risk_actions(user, world.defender)) == allowed
    if "override" not in allowed:
        with pytest.raises(PermissionDenied):
            assessments.override(user, world.defender, "high", "Seen at her door.")


def test_a_user_of_another_organisation_sees_no_alert_anywhere(
    client: Client, escalating: World
) -> None:
    alert = alert_of(escalating)
    outsider = escalating.outsider
    assert not access.visible_alerts(outsider).exists()
    page = sign_in(client, outsider)
    board = page.get("/warning/").content.decode()
    assert f"/warning/alerts/{alert.pk}/" not in board and "Wanjiru" not in board
    assert page.get(f"/warning/alerts/{alert.pk}/").status_code == 404
    assert page.post(f"/warning/alerts/{alert.pk}/acknowledge/").status_code == 404
    assert page.get(f"/warning/persons/{escalating.defender.pk}/").status_code == 404
    secret = tokens.issue_token(None, outsider, name="t").secret
    header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get("/api/v1/warning/alerts", **header).json() == []
    assert client.get(f"/api/v1/warning/alerts/{alert.pk}", **header).status_code == 404
    answer = client.post(
        f"/api/v1/warning/alerts/{alert.pk}/acknowledgements",
        json.dumps({}),
        content_type="application/json",
        **header,
    )
    assert answer.status_code == 404 and not alert.acknowledgements.exists()


def test_a_partner_without_consent_reads_a_pseudonym_and_nothing_is_disclosed(
    client: Client, escalating: World
) -> None:
    alert = alert_of(escalating)
    page = sign_in(client, escalating.network_focal).get(f"/warning/alerts/{alert.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and "Wanjiru" not in text and "Defender " in text
    assert not IdentityDisclosure.objects.exists()


def test_the_owner_reads_the_name_and_the_disclosure_is_audited(
    client: Client, escalating: World
) -> None:
    alert = alert_of(escalating)
    text = sign_in(client, escalating.focal_point).get(f"/warning/alerts/{alert.pk}/")
    assert "Wanjiru Kamau" in text.content.decode()
    entry = AuditEntry.objects.get(action="person.identity_disclosed")
    assert entry.changes["channel"] == "alert" and entry.actor == escalating.focal_point
    assert IdentityDisclosure.objects.filter(person=escalating.defender, entry=entry).exists()


def test_a_partner_with_consent_reads_the_name(client: Client, escalating: World) -> None:
    consent(escalating.defender, RecipientKind.PARTNER_ORGANISATIONS, escalating.documentalist)
    alert_of(escalating)
    text = sign_in(client, escalating.network_focal).get("/warning/").content.decode()
    assert "Wanjiru Kamau" in text
    assert IdentityDisclosure.objects.filter(person=escalating.defender).exists()


def test_a_state_recipient_whose_consent_was_withdrawn_sees_no_name(
    client: Client, escalating: World
) -> None:
    given = consent(escalating.defender, RecipientKind.STATE, escalating.documentalist)
    alert = alert_of(escalating)
    for _step in range(2):
        Alert.objects.filter(pk=alert.pk).update(deadline=alert.raised_at)
        alerts.escalate_overdue()
    assert alert.recipients.filter(organisation=escalating.state).exists()
    state = sign_in(client, escalating.state_rep)
    assert "Wanjiru Kamau" in state.get(f"/warning/alerts/{alert.pk}/").content.decode()
    ConsentRecord.objects.filter(pk=given.pk).update(withdrawn_at=alert.raised_at)
    text = state.get(f"/warning/alerts/{alert.pk}/").content.decode()
    assert "Wanjiru" not in text and "Defender " in text


def test_a_state_representative_without_clearance_sees_no_name_despite_consent(
    client: Client, escalating: World
) -> None:
    consent(escalating.defender, RecipientKind.STATE, escalating.documentalist)
    alert = alert_of(escalating)
    for _step in range(2):
        Alert.objects.filter(pk=alert.pk).update(deadline=alert.raised_at)
        alerts.escalate_overdue()
    uncleared: User = member(Role.STATE_REPRESENTATIVE, Clearance.PUBLIC, escalating.state)
    text = sign_in(client, uncleared).get(f"/warning/alerts/{alert.pk}/").content.decode()
    assert "Wanjiru" not in text


def test_an_override_needs_a_reason_and_bad_input_writes_nothing(world: World) -> None:
    before = AuditEntry.objects.count()
    for level, reason in (
        ("high", "  "),
        ("catastrophic", "Seen at her door."),
        ("low", "x" * 2001),
    ):
        with pytest.raises(DomainError):
            assessments.override(world.documentalist, world.defender, level, reason)
    assert not RiskAssessment.objects.exists() and AuditEntry.objects.count() == before
    made = assessments.override(world.documentalist, world.defender, "extreme", "Seen at her door.")
    assert made.is_current and made.origin == RiskAssessment.Origin.OVERRIDE
    entry = AuditEntry.objects.get(action="warning.risk.override")
    assert entry.changes["level"] == [None, "extreme"] and "door" not in json.dumps(entry.changes)


def test_the_override_holds_until_the_facts_change(escalating: World) -> None:
    evaluation.evaluate([escalating.defender.pk])
    computed = RiskAssessment.objects.get(is_current=True).level
    assessments.override(escalating.documentalist, escalating.defender, "low", "Relocated abroad.")
    evaluation.evaluate([escalating.defender.pk])
    current = RiskAssessment.objects.get(is_current=True)
    assert current.level == "low" and current.computed_level == computed


def api(client: Client, user: User) -> dict[str, Any]:
    """A bearer header of a token issued as the token page issues it: carrying the user's keys."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token_with_keys(user, 't')}"}


def test_alerts_and_acknowledgements_through_the_api(client: Client, escalating: World) -> None:
    alert = alert_of(escalating)
    header = api(client, escalating.network_focal)
    listed = client.get("/api/v1/warning/alerts", **header).json()
    mine = next(a for a in listed if a["id"] == alert.pk)
    assert mine["subject"]["identified"] is False and "Wanjiru" not in json.dumps(listed)
    assert "acknowledge" in mine["actions"]
    answer = client.post(
        f"/api/v1/warning/alerts/{alert.pk}/acknowledgements",
        json.dumps({"note": "On it."}),
        content_type="application/json",
        **header,
    )
    assert answer.status_code == 201 and answer.json()["organisation"] == "HRDKE"
    again = client.post(
        f"/api/v1/warning/alerts/{alert.pk}/acknowledgements",
        json.dumps({}),
        content_type="application/json",
        **header,
    )
    assert again.status_code == 403
    detail = client.get(f"/api/v1/warning/alerts/{alert.pk}", **header).json()
    assert detail["status"] == "acknowledged" and len(detail["acknowledgements"]) == 1


def test_assessments_through_the_api(client: Client, escalating: World) -> None:
    evaluation.evaluate([escalating.defender.pk])
    header = api(client, escalating.documentalist)
    url = f"/api/v1/warning/assessments/{escalating.defender.pk}"
    risk = client.get(url, **header).json()
    assert risk["subject"]["name"] == "Wanjiru Kamau" and risk["current"]["reasons"]
    refused = client.post(
        url + "/override",
        json.dumps({"level": "low", "reason": ""}),
        content_type="application/json",
        **header,
    )
    assert refused.status_code == 400
    analyst = api(client, escalating.analyst)
    forbidden = client.post(
        url + "/override",
        json.dumps({"level": "low", "reason": "Fine."}),
        content_type="application/json",
        **analyst,
    )
    assert forbidden.status_code == 403
    assert client.get(url, **api(client, escalating.network_focal)).status_code == 404


def test_a_partner_without_consent_does_not_read_the_name_in_the_owners_note(
    client: Client, escalating: World
) -> None:
    alert = alert_of(escalating)
    alerts.acknowledge(escalating.focal_point, alert, "Called Wanjiru Kamau at home.")
    partner = sign_in(client, escalating.network_focal)
    text = partner.get(f"/warning/alerts/{alert.pk}/").content.decode()
    assert "Wanjiru" not in text and "Defender " in text
    header = api(client, escalating.network_focal)
    detail = client.get(f"/api/v1/warning/alerts/{alert.pk}", **header)
    listed = client.get(f"/api/v1/warning/alerts/{alert.pk}/acknowledgements", **header)
    assert detail.status_code == 200 and listed.status_code == 200
    assert "Wanjiru" not in detail.content.decode() + listed.content.decode()
    assert listed.json()[0]["note"] == ""
    owner = api(client, escalating.documentalist)
    mine = client.get(f"/api/v1/warning/alerts/{alert.pk}/acknowledgements", **owner).json()
    assert mine[0]["note"] == "Called Wanjiru Kamau at home."


def test_the_subject_s_key_is_sealed_only_to_recipients_their_consent_covers(
    escalating: World,
) -> None:
    """The pages hide the name from a recipient the person did not consent to; the keys must
    not open it either. The network the alert is routed to holds no copy of the person's key
    until the person consents to partners; then it holds one, sealed once (every alert page asks
    again)."""

    def copy_for(organisation: Organisation) -> DataKeyCopy | None:
        person = Person.objects.get(pk=escalating.defender.pk)
        return DataKeyCopy.objects.filter(
            data_key_id=person.data_key_id, organisation_key__organisation=organisation
        ).first()

    alert = alert_of(escalating)
    assert alert.recipients.filter(organisation=escalating.network).exists()
    assert alerts.share_identity(alert) == 0
    assert copy_for(escalating.network) is None
    consent(escalating.defender, RecipientKind.PARTNER_ORGANISATIONS, escalating.documentalist)
    assert alerts.share_identity(alert) == 1
    shared = copy_for(escalating.network)
    assert shared is not None
    assert alerts.share_identity(alert) == 1
    again = copy_for(escalating.network)
    assert again is not None and bytes(again.sealed) == bytes(shared.sealed)

"""Coordinated response: from the alert to the closed plan, shared with the organisations it
involves and no other, every change audited; communications with mechanisms; the board and the
home panel."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from amparo.api import tokens
from amparo.core.models import AuditEntry, Clearance, Role
from amparo.core.services import DomainError
from amparo.response import access, services
from amparo.response import home as response_home
from amparo.response.models import Action, Communication, ResponsePlan
from amparo.warning.models import Alert
from amparo.warning.services import alerts, evaluation
from tests.factories import member
from tests.warning.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def alert_of(world: World) -> Alert:
    evaluation.evaluate([world.defender.pk])
    alert = Alert.objects.order_by("-raised_on").first()
    assert alert is not None
    return alert


def test_from_alert_to_closed_plan_through_the_pages(client: Client, escalating: World) -> None:
    alert = alert_of(escalating)
    focal = sign_in(client, escalating.network_focal)
    focal.post(f"/warning/alerts/{alert.pk}/acknowledge/", {"note": "On it."})
    board = focal.get("/response/").content.decode()
    assert f'action="/response/alerts/{alert.pk}/plan/"' in board
    opened = focal.post(f"/response/alerts/{alert.pk}/plan/")
    plan = ResponsePlan.objects.get()
    assert opened.status_code == 302 and opened["Location"] == f"/response/plans/{plan.pk}/"
    again = focal.post(f"/response/alerts/{alert.pk}/plan/")
    assert again["Location"] == "/response/" and ResponsePlan.objects.count() == 1
    assigned = focal.post(
        f"/response/plans/{plan.pk}/actions/",
        {
            "kind": "urgent_appeal",
            "responsible_organisation": escalating.nhri.pk,
            "due_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        },
    )
    assert assigned.status_code == 302
    action = Action.objects.get()
    partner = sign_in(Client(), escalating.focal_point)
    assert "Urgent appeal" in partner.get("/").content.decode()  # the home panel
    done = partner.post(f"/response/actions/{action.pk}/", {"status": "done", "outcome": "Sent."})
    assert done.status_code == 302
    plan.refresh_from_db()
    alert.refresh_from_db()
    assert plan.status == "closed" and alert.status == Alert.Status.CLOSED
    board = focal.get("/response/").content.decode()
    assert f"/response/plans/{plan.pk}/" in board and "closed" in board
    assert set(
        AuditEntry.objects.filter(action__startswith="response.").values_list("action", flat=True)
    ) == {
        "response.plan.create",
        "response.action.add",
        "response.action.update",
        "response.plan.close",
    }


def test_another_organisation_sees_no_plan_and_cannot_touch_its_actions(
    client: Client, escalating: World
) -> None:
    alert = alert_of(escalating)
    plan = services.open_plan(escalating.focal_point, alert=alert)
    action = services.add_action(
        escalating.focal_point,
        plan,
        services.ActionInput("legal_aid", escalating.network, timezone.localdate()),
    )
    outsider = escalating.outsider
    assert not access.visible_plans(outsider).exists()
    page = sign_in(client, outsider)
    assert page.get(f"/response/plans/{plan.pk}/").status_code == 404
    assert page.post(f"/response/actions/{action.pk}/", {"status": "done"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.update_action(outsider, action, "done")
    with pytest.raises(PermissionDenied):
        services.open_plan(outsider, alert=alert)
    action.refresh_from_db()
    assert action.status == "planned"


# role in the organisation responsible for an action -> may update it
UPDATE_TABLE = [
    (Role.ADMINISTRATOR, True),
    (Role.FOCAL_POINT, True),
    (Role.DOCUMENTALIST, True),
    (Role.STATE_REPRESENTATIVE, True),
    (Role.ANALYST, False),
    (Role.READ_ONLY, False),
    (Role.REVIEWER, False),
]


@pytest.mark.parametrize("role,allowed", UPDATE_TABLE)
def test_who_in_the_responsible_organisation_may_update_an_action(
    escalating: World, role: str, allowed: bool
) -> None:
    alert = alert_of(escalating)
    plan = services.open_plan(escalating.focal_point, alert=alert)
    action = services.add_action(
        escalating.focal_point,
        plan,
        services.ActionInput("relocation", escalating.state, timezone.localdate()),
    )
    user = member(role, Clearance.STRICTLY_CONFIDENTIAL, escalating.state)
    assert access.may_update_action(user, action) is allowed
    assert access.actions_on(user, plan) == frozenset({"view"})


def test_bad_input_is_refused_and_writes_nothing(escalating: World) -> None:
    alert = alert_of(escalating)
    plan = services.open_plan(escalating.focal_point, alert=alert)
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError):
        services.add_action(
            escalating.focal_point,
            plan,
            services.ActionInput("prayer", escalating.network, timezone.localdate()),
        )
    with pytest.raises(DomainError):
        services.add_communication(
            escalating.focal_point,
            plan,
            services.CommunicationInput("iachr", escalating.nhri, timezone.localdate(), "  "),
        )
    with pytest.raises(DomainError):
        services.add_communication(
            escalating.focal_point,
            plan,
            services.CommunicationInput(
                "iachr",
                escalating.nhri,
                timezone.localdate() + datetime.timedelta(days=1),
                "Appeal",
            ),
        )
    sent = timezone.localdate() - datetime.timedelta(days=10)
    for follow_up_on, replied_on in (
        (sent - datetime.timedelta(days=1), None),
        (None, sent - datetime.timedelta(days=1)),
        (None, timezone.localdate() + datetime.timedelta(days=1)),
    ):
        with pytest.raises(DomainError):
            services.add_communication(
                escalating.focal_point,
                plan,
                services.CommunicationInput(
                    "iachr",
                    escalating.nhri,
                    sent,
                    "Appeal",
                    follow_up_on=follow_up_on,
                    replied_on=replied_on,
                ),
            )
    assert not Action.objects.exists() and not Communication.objects.exists()
    assert AuditEntry.objects.count() == before


def test_communications_with_mechanisms_are_logged_on_the_plan(
    client: Client, escalating: World
) -> None:
    alert = alert_of(escalating)
    plan = services.open_plan(escalating.focal_point, alert=alert)
    services.add_communication(
        escalating.focal_point,
        plan,
        services.CommunicationInput(
            "un_special_procedure",
            escalating.nhri,
            timezone.localdate(),
            "Urgent appeal to the Special Rapporteur on defenders",
            follow_up_on=timezone.localdate() + datetime.timedelta(days=30),
        ),
    )
    text = sign_in(client, escalating.network_focal).get(f"/response/plans/{plan.pk}/")
    assert "UN special procedure" in text.content.decode()
    assert AuditEntry.objects.filter(action="response.communication.add").exists()


def test_plans_and_actions_through_the_api(client: Client, escalating: World) -> None:
    alert = alert_of(escalating)
    secret = tokens.issue_token(None, escalating.network_focal, name="t").secret
    header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def post(path: str, body: dict[str, object]) -> object:
        return client.post(path, json.dumps(body), content_type="application/json", **header)

    opened = post("/api/v1/response/plans", {"alert": alert.pk})
    assert opened.status_code == 201  # type: ignore[attr-defined]
    plan = opened.json()  # type: ignore[attr-defined]
    added = post(
        f"/api/v1/response/plans/{plan['id']}/actions",
        {
            "kind": "urgent_appeal",
            "responsible_organisation": "HRDKE",
            "due_on": str(timezone.localdate()),
        },
    )
    assert added.status_code == 201  # type: ignore[attr-defined]
    action = added.json()  # type: ignore[attr-defined]
    assert client.get("/api/v1/response/actions", **header).json()[0]["id"] == action["id"]
    updated = post(f"/api/v1/response/actions/{action['id']}", {"status": "done"})
    assert updated.json()["status"] == "done"  # type: ignore[attr-defined]
    outsider = tokens.issue_token(None, escalating.outsider, name="t").secret
    other = {"HTTP_AUTHORIZATION": f"Bearer {outsider}"}
    assert client.get(f"/api/v1/response/plans/{plan['id']}", **other).status_code == 404


def test_the_home_panel_lists_the_actions_due(escalating: World) -> None:
    alert = alert_of(escalating)
    plan = services.open_plan(escalating.focal_point, alert=alert)
    services.add_action(
        escalating.focal_point,
        plan,
        services.ActionInput("accompaniment", escalating.network, timezone.localdate()),
    )
    content = response_home.due(escalating.network_focal)
    assert content is not None and content.count == 1
    assert response_home.due(escalating.outsider).count == 0  # type: ignore[union-attr]
    assert alerts  # the warning services stay importable from here


def test_the_reporter_is_told_that_a_communication_was_issued_not_what_it_said(
    escalating: World, settings: object
) -> None:
    from amparo.cases.models import Act
    from amparo.intake.models import Submission
    from tests.factories import intake_report

    settings.AMPARO_INTAKE_ORGANISATION = escalating.nhri.short_code  # type: ignore[attr-defined]
    submission, _receipt = intake_report(acts=["threat_death"], country="KE")
    alert = alert_of(escalating)
    first_act = Act.objects.filter(pk__in=alert.signal_ids).order_by("pk").first()
    assert first_act is not None
    Submission.objects.filter(pk=submission.pk).update(event_id=first_act.event_id)
    plan = services.open_plan(escalating.focal_point, alert=alert)
    services.add_communication(
        escalating.focal_point,
        plan,
        services.CommunicationInput(
            "achpr", escalating.nhri, timezone.localdate(), "Urgent appeal"
        ),
    )
    submission.refresh_from_db()
    assert submission.communication_sent and submission.status == "action_taken"


def test_a_plan_for_a_case_through_the_api_for_those_who_may_see_the_case(
    client: Client, escalating: World
) -> None:
    event = escalating.defender.acts_as_victim.first().event  # type: ignore[union-attr]

    def open_as(user: object, body: dict[str, object]) -> object:
        secret = tokens.issue_token(None, user, name="t").secret  # type: ignore[arg-type]
        return client.post(
            "/api/v1/response/plans",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )

    assert open_as(escalating.outsider, {"event": event.pk}).status_code == 404  # type: ignore[attr-defined]
    assert open_as(escalating.documentalist, {}).status_code == 400  # type: ignore[attr-defined]
    opened = open_as(escalating.documentalist, {"event": event.pk})
    assert opened.status_code == 201  # type: ignore[attr-defined]
    assert opened.json()["title"] == f"Response to case {event.reference_code}"  # type: ignore[attr-defined]


def test_the_event_page_offers_to_open_a_plan_only_to_whom_access_allows(
    client: Client, escalating: World
) -> None:
    event = escalating.defender.acts_as_victim.select_related("event").first().event  # type: ignore[union-attr]
    url = f"/cases/{event.pk}/"
    control = f'action="/response/cases/{event.pk}/plan/"'
    assert access.actions_on_event(escalating.documentalist, event) == {access.OPEN_PLAN}
    assert control in sign_in(client, escalating.documentalist).get(url).content.decode()
    for user in (escalating.analyst, escalating.network_focal):
        assert access.OPEN_PLAN not in access.actions_on_event(user, event)
        page = sign_in(Client(), user).get(url)
        assert control not in page.content.decode()
        assert page.status_code == (200 if user == escalating.analyst else 404)
    opened = sign_in(client, escalating.documentalist).post(f"/response/cases/{event.pk}/plan/")
    plan = ResponsePlan.objects.get(event=event)
    assert opened["Location"] == f"/response/plans/{plan.pk}/"
    text = client.get(url).content.decode()
    assert control not in text and f'href="/response/plans/{plan.pk}/"' in text
    assert access.actions_on_event(escalating.documentalist, event) == frozenset()
    with pytest.raises(DomainError):  # a second open plan for the same case
        services.open_plan(escalating.documentalist, event=event)
    assert ResponsePlan.objects.filter(event=event).count() == 1


def test_forged_ids_through_the_api_find_nothing_and_write_nothing(
    client: Client, escalating: World
) -> None:
    alert = alert_of(escalating)
    plan = services.open_plan(escalating.focal_point, alert=alert)
    action = services.add_action(
        escalating.focal_point,
        plan,
        services.ActionInput("legal_aid", escalating.network, timezone.localdate()),
    )
    outsider = tokens.issue_token(None, escalating.outsider, name="t").secret
    other = {"HTTP_AUTHORIZATION": f"Bearer {outsider}"}

    def post(path: str, body: dict[str, object], header: dict[str, str]) -> int:
        response = client.post(path, json.dumps(body), content_type="application/json", **header)
        return int(response.status_code)

    # another organisation's action and plan: not found, as if they did not exist
    assert post(f"/api/v1/response/actions/{action.pk}", {"status": "done"}, other) == 404
    assert (
        post(
            f"/api/v1/response/plans/{plan.pk}/actions",
            {
                "kind": "urgent_appeal",
                "responsible_organisation": "HRDKE",
                "due_on": str(timezone.localdate()),
            },
            other,
        )
        == 404
    )
    assert post("/api/v1/response/plans", {"alert": alert.pk}, other) == 404
    assert post("/api/v1/response/actions/999999", {"status": "done"}, other) == 404
    # a coordinator assigning to an organisation that does not exist, or a status not in the list
    secret = tokens.issue_token(None, escalating.network_focal, name="t").secret
    mine = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert (
        post(
            f"/api/v1/response/plans/{plan.pk}/actions",
            {
                "kind": "urgent_appeal",
                "responsible_organisation": "NOSUCH",
                "due_on": str(timezone.localdate()),
            },
            mine,
        )
        == 404
    )
    assert post(f"/api/v1/response/actions/{action.pk}", {"status": "hacked"}, mine) in {400, 422}
    action.refresh_from_db()
    assert action.status == "planned" and Action.objects.count() == 1
    assert ResponsePlan.objects.count() == 1


def test_the_database_refuses_a_plan_of_two_subjects_or_a_second_open_plan(
    escalating: World,
) -> None:
    """Written behind the services' back (a script, a race between two requests), the database
    still keeps one subject per plan and one open plan per alert or case."""
    from django.db import IntegrityError, transaction

    alert = alert_of(escalating)
    event = escalating.defender.acts_as_victim.first().event  # type: ignore[union-attr]
    plan = services.open_plan(escalating.focal_point, alert=alert)
    made = {"organisation_id": plan.organisation_id, "title": "T", "created_by": plan.created_by}
    with pytest.raises(IntegrityError), transaction.atomic():
        ResponsePlan.objects.create(alert=alert, **made)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResponsePlan.objects.create(alert=alert, event=event, status="closed", **made)
    assert ResponsePlan.objects.count() == 1
    plan.status = ResponsePlan.Status.CLOSED
    plan.save(update_fields=["status"])
    ResponsePlan.objects.create(alert=alert, **made)
    assert ResponsePlan.objects.filter(alert=alert).count() == 2

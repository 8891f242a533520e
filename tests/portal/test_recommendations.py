"""The portal's page of recommendations and their implementation status: published like events
(a snapshot from the whitelist, approved by a second person), read from the snapshot only, with
filters, permalinks, the feed and the open data, in the four languages."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client

from amparo.core.models import Clearance, Organisation, Role, User
from amparo.portal import implementation, services, whitelist
from amparo.portal.models import Publication, PublicRecommendation
from amparo.recommendations import services as recommendations_services
from amparo.recommendations.models import Recommendation
from tests.cases.conftest import sign_in
from tests.factories import member
from tests.recommendations.conftest import (
    MakeRecommendation,
    cso,
    cso_staff,
    documentalist,
    make_recommendation,
    nhri,
    recommendation,
    reference,
    state_ke,
    state_rep,
)

__all__ = [
    "cso",
    "cso_staff",
    "documentalist",
    "make_recommendation",
    "nhri",
    "recommendation",
    "reference",
    "state_ke",
    "state_rep",
]

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 5, 17)

CSO_COMMENT = "The law passed but two defenders were threatened since."
NHRI_COMMENT = "NHRI-ONLY-COMMENT-MARK"
EVIDENCE = "EVIDENCE-WRITTEN-BY-STAFF-MARK"
BUDGET = "BUDGET-NOTE-MARK"


@pytest.fixture
def followed(
    recommendation: Recommendation, state_rep: User, cso_staff: User, documentalist: User
) -> Recommendation:
    """A recommendation to Kenya with a plan, a report, and reviews by the NHRI and the CSO."""
    recommendations_services.add_action(
        state_rep,
        recommendation,
        recommendations_services.ActionInput(
            "Adopt a law on the protection of defenders", "Ministry of Justice", budget_note=BUDGET
        ),
    )
    report = recommendations_services.submit_progress_report(
        state_rep,
        recommendation,
        recommendations_services.ProgressInput(
            datetime.date(2025, 1, 10), TODAY, "implemented", EVIDENCE
        ),
    )
    recommendations_services.review_report(
        documentalist, report, verdict="endorsed", comment=NHRI_COMMENT
    )
    recommendations_services.review_report(
        cso_staff, report, verdict="contested", comment=CSO_COMMENT, assessed_status="regressed"
    )
    recommendation.refresh_from_db()
    return recommendation


@pytest.fixture
def reviewer(cso: Organisation) -> User:
    return member(Role.REVIEWER, Clearance.RESTRICTED, cso)


def publish(editor: User, reviewer: User, organisation: Organisation, **kwargs: str) -> Publication:
    publication = services.create_recommendations_publication(
        editor,
        organisation,
        title=kwargs.pop("title", "Recommendations to Kenya"),
        summary="How far they are implemented.",
        state=kwargs.pop("state", "KE"),
        **kwargs,
    )
    services.submit(editor, publication)
    return services.approve(reviewer, publication)


def test_the_snapshot_holds_the_public_document_and_only_the_publishers_assessment(
    followed: Recommendation, cso_staff: User, cso: Organisation
) -> None:
    publication = services.create_recommendations_publication(
        cso_staff, cso, title="Kenya", summary="", state="KE"
    )
    assert publication.kind == Publication.Kind.RECOMMENDATIONS
    assert publication.state == Publication.State.DRAFT
    text = json.dumps(publication.content, ensure_ascii=False)
    (record,) = publication.content["recommendations"]
    assert record["code"] == implementation.item_code(followed)
    assert record["state"] == "KE"
    assert record["mechanism"]["code"] == "upr"
    assert set(record["mechanism"]["label"]) == {"en", "fr", "es", "ar"}
    assert record["position"]["code"] == "supported"
    assert record["status"]["code"] == "implemented" and record["contested"] is True
    assert record["status"]["label"]["fr"] != record["status"]["label"]["en"]
    assert [t["code"] for t in record["themes"]] == ["human_rights_defenders"]
    assert record["actions"] == [
        {
            "measure": "Adopt a law on the protection of defenders",
            "responsible_agency": "Ministry of Justice",
            "status": record["actions"][0]["status"],
        }
    ]
    (report,) = record["progress"]
    assert report["period"] == {"start": "2025-01", "end": "2026-05"}  # coarsened to the month
    (assessment,) = report["assessments"]  # the CSO's own, not the NHRI's
    assert assessment["comment"] == CSO_COMMENT
    assert assessment["verdict"]["code"] == "contested"
    # Not whitelisted, or another organisation's: never in the snapshot.
    for absent in (NHRI_COMMENT, EVIDENCE, BUDGET):
        assert absent not in text
    assert not publication.events.exists()


def test_a_field_left_out_of_the_whitelist_is_not_published(
    followed: Recommendation, cso: Organisation
) -> None:
    data = whitelist.load()
    records = {**data.records}
    records["recommendation"] = {
        k: v for k, v in records["recommendation"].items() if k != "state_response"
    }
    records["assessment"] = {}
    narrowed = whitelist.Whitelist(records, data.dimensions, data.measures)
    followed.state_response = "RESPONSE-MARK"
    built = implementation.build([followed], cso.pk, narrowed)
    text = json.dumps(built.content)
    assert "RESPONSE-MARK" not in text
    assert built.content["recommendations"][0]["progress"][0]["assessments"] == []


def test_a_state_without_recommendations_is_refused(cso_staff: User, cso: Organisation) -> None:
    with pytest.raises(ValidationError) as refused:
        services.create_recommendations_publication(
            cso_staff, cso, title="T", summary="", state="UG"
        )
    assert "state" in refused.value.message_dict


def test_only_an_editor_of_the_organisation_prepares_one(
    followed: Recommendation, state_rep: User, cso: Organisation
) -> None:
    from amparo.core.services import DomainError

    with pytest.raises(DomainError):
        services.create_recommendations_publication(
            state_rep, cso, title="T", summary="", state="KE"
        )


def test_the_public_page_lists_filters_and_links_each_recommendation(
    client: Client,
    followed: Recommendation,
    make_recommendation: MakeRecommendation,
    cso_staff: User,
    reviewer: User,
    cso: Organisation,
) -> None:
    other = make_recommendation(
        mechanism="upr",
        text="Guarantee freedom of peaceful assembly.",
        position=Recommendation.Position.NOTED,
    )
    publication = publish(cso_staff, reviewer, cso)
    assert PublicRecommendation.objects.filter(publication=publication).count() == 2
    cache.clear()
    page = client.get("/portal/recommendations/").content.decode()
    assert "2 recommendations" in page
    assert "Ensure that human rights defenders can work" in page
    assert "Guarantee freedom of peaceful assembly." in page
    assert "<script" not in page
    # Filters: status, State's response, theme, words, country.
    cases = {
        "?status=implemented": "Ensure that",
        "?response=noted": "Guarantee freedom",
        "?theme=human_rights_defenders": "Ensure that",
        "?q=assembly": "Guarantee freedom",
    }
    for query, expected in cases.items():
        body = client.get(f"/portal/recommendations/{query}").content.decode()
        assert "1 recommendation" in body and expected in body, query
    assert "0 recommendations" in client.get("/portal/recommendations/?country=UG").content.decode()
    # The permalink shows the plan, the report and the publisher's assessment.
    code = implementation.item_code(followed)
    item = client.get(f"/portal/p/{publication.slug}/{code}/")
    assert item.status_code == 200
    body = item.content.decode()
    assert "Adopt a law on the protection of defenders" in body
    assert CSO_COMMENT in body
    assert NHRI_COMMENT not in body and EVIDENCE not in body and BUDGET not in body
    assert (
        implementation.item_code(other)
        in client.get(f"/portal/p/{publication.slug}/").content.decode()
    )


def test_the_page_is_in_four_languages_and_right_to_left_in_arabic(
    client: Client, followed: Recommendation, cso_staff: User, reviewer: User, cso: Organisation
) -> None:
    publish(cso_staff, reviewer, cso)
    cache.clear()
    arabic = client.get("/ar/portal/recommendations/").content.decode()
    assert '<html lang="ar" dir="rtl">' in arabic
    assert "نُفّذ" in arabic  # "Implemented", the status, in Arabic
    french = client.get("/fr/portal/recommendations/").content.decode()
    assert '<html lang="fr" dir="ltr">' in french
    assert "Examen périodique universel" in french


def test_the_feed_and_the_open_data_carry_it_with_its_dictionary(
    client: Client, followed: Recommendation, cso_staff: User, reviewer: User, cso: Organisation
) -> None:
    publication = publish(cso_staff, reviewer, cso)
    cache.clear()
    feed = client.get("/portal/feed.atom").content.decode()
    assert publication.slug in feed
    assert "Recommendation implementation status" in feed
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/fr/portal/data/recommendations.csv").content.decode())
        )
    )
    assert len(rows) == 1
    assert rows[0]["state"] == "KE" and rows[0]["item"] == implementation.item_code(followed)
    assert rows[0]["implementation_status"] != "Implemented"  # the French label
    assert rows[0]["assessment"]
    body = json.loads(client.get("/portal/data/recommendations.json").content)
    assert body["licence"]["url"].startswith("https://creativecommons.org/")
    assert set(body["data_dictionary"]) == set(rows[0])
    assert body["rows"][0]["implementation_status"] == "Implemented"
    data_page = client.get("/portal/data/").content.decode()
    assert "recommendations.csv" in data_page and "implementation_status" in data_page


def test_withdrawal_takes_it_off_every_page_at_once(
    client: Client, followed: Recommendation, cso_staff: User, reviewer: User, cso: Organisation
) -> None:
    publication = publish(cso_staff, reviewer, cso)
    code = implementation.item_code(followed)
    assert client.get(f"/portal/p/{publication.slug}/{code}/").status_code == 200
    services.withdraw(reviewer, publication)
    assert not PublicRecommendation.objects.exists()
    assert client.get(f"/portal/p/{publication.slug}/{code}/").status_code == 404
    assert "0 recommendations" in client.get("/portal/recommendations/").content.decode()
    rows = json.loads(client.get("/portal/data/recommendations.json").content)["rows"]
    assert rows == []


def test_the_public_page_never_reads_the_live_record(
    client: Client, followed: Recommendation, cso_staff: User, reviewer: User, cso: Organisation
) -> None:
    publication = publish(cso_staff, reviewer, cso)
    Recommendation.objects.filter(pk=followed.pk).update(
        text="CHANGED-AFTER-APPROVAL", status="regressed"
    )
    cache.clear()
    code = implementation.item_code(followed)
    body = client.get(f"/portal/p/{publication.slug}/{code}/").content.decode()
    assert "CHANGED-AFTER-APPROVAL" not in body
    assert "Ensure that human rights defenders" in body


def test_the_editor_prepares_it_on_a_page_and_sees_the_source_beside_it(
    client: Client, followed: Recommendation, cso_staff: User, cso: Organisation
) -> None:
    sign_in(client, cso_staff)
    form = client.get("/portal/manage/new/recommendations/")
    assert form.status_code == 200
    assert 'value="KE"' in form.content.decode()
    response = client.post(
        "/portal/manage/new/recommendations/",
        {"organisation": cso.pk, "title": "Kenya", "summary": "", "language": "en", "state": "KE"},
    )
    publication = Publication.objects.get(kind=Publication.Kind.RECOMMENDATIONS)
    assert response.status_code == 302
    detail = client.get(f"/portal/manage/{publication.pk}/").content.decode()
    assert followed.reference in detail  # the source side
    assert CSO_COMMENT in detail  # what will be public
    assert publication.state == Publication.State.DRAFT

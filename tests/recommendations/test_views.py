"""The recommendations pages: what they show, to whom, in how many queries; their forms."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import localdate
from openpyxl import load_workbook

from amparo.core.models import User
from amparo.recommendations import services
from amparo.recommendations.models import Recommendation, Theme, ThemeLabel
from tests.factories import UserFactory
from tests.recommendations.conftest import SAMPLE_ROWS, MakeRecommendation, sign_in

pytestmark = pytest.mark.django_db
MaxQueries = Callable[[int], AbstractContextManager[Any]]


@pytest.fixture
def imported(reference: None, sample: bytes) -> None:
    services.import_recommendations(None, sample, "upr_sample.csv")


def test_the_list_filters_by_state_theme_and_words(
    client: Client, documentalist: User, imported: None
) -> None:
    sign_in(client, documentalist)
    theme = Theme.objects.get(code="human_rights_defenders")
    response = client.get(
        reverse("recommendations:list"), {"state": "KE", "theme": theme.pk, "q": "defenders"}
    )
    expected = Recommendation.objects.filter(
        state="KE",
        theme_labels__theme=theme,
        theme_labels__status="confirmed",
        text__icontains="defenders",
    ).count()
    assert response.status_code == 200
    assert expected > 0
    assert response.context["page"].paginator.count == expected


def test_the_list_page_reads_a_fixed_number_of_queries(
    client: Client,
    documentalist: User,
    imported: None,
    django_assert_max_num_queries: MaxQueries,
) -> None:
    sign_in(client, documentalist)
    client.get(reverse("recommendations:list"))  # sessions, caches
    with django_assert_max_num_queries(16):
        response = client.get(reverse("recommendations:list"), {"state": "KE"})
    assert len(response.context["rows"]) == 25


def test_the_detail_page_reads_a_fixed_number_of_queries_whatever_the_follow_up(
    client: Client,
    documentalist: User,
    state_rep: User,
    cso_staff: User,
    recommendation: Recommendation,
    django_assert_max_num_queries: MaxQueries,
) -> None:
    for _ in range(3):
        action = services.add_action(
            state_rep, recommendation, services.ActionInput("Measure", "Agency")
        )
        services.add_indicator(state_rep, action, services.IndicatorInput("Count", "10"))
        report = services.submit_progress_report(
            state_rep,
            recommendation,
            services.ProgressInput(localdate(), localdate(), "in_progress", "Evidence"),
        )
        services.review_report(cso_staff, report, verdict="contested", comment="No.")
    sign_in(client, documentalist)
    client.get(reverse("recommendations:detail", args=[recommendation.pk]))
    with django_assert_max_num_queries(30):
        response = client.get(reverse("recommendations:detail", args=[recommendation.pk]))
    assert response.status_code == 200
    assert "Disagreement" in response.content.decode()


def test_a_person_without_a_membership_sees_no_recommendation(
    client: Client, recommendation: Recommendation
) -> None:
    client.force_login(UserFactory())
    assert (
        client.get(reverse("recommendations:detail", args=[recommendation.pk])).status_code == 403
    )


def test_the_page_shows_the_controls_each_reader_may_use(
    client: Client,
    recommendation: Recommendation,
    documentalist: User,
    state_rep: User,
    cso_staff: User,
) -> None:
    url = reverse("recommendations:detail", args=[recommendation.pk])
    pages = {}
    for name, user in (("nhri", documentalist), ("state", state_rep), ("cso", cso_staff)):
        pages[name] = sign_in(Client(), user).get(url).content.decode()
    assert "Suggest themes" in pages["nhri"] and "Report progress" not in pages["nhri"]
    assert "Report progress" in pages["state"] and "Suggest themes" not in pages["state"]
    assert "Add an action to the plan" in pages["state"]
    assert "Edit the recommendation" in pages["cso"]


def test_the_state_reports_and_civil_society_contests_through_the_pages(
    client: Client, recommendation: Recommendation, state_rep: User, cso_staff: User
) -> None:
    state = sign_in(Client(), state_rep)
    response = state.post(
        reverse("recommendations:progress_add", args=[recommendation.pk]),
        {
            "progress-period_start": "2024-01-01",
            "progress-period_end": "2024-12-31",
            "progress-status": "implemented",
            "progress-evidence": "A law protects defenders.",
        },
    )
    assert response.status_code == 302
    report = recommendation.progress_reports.get()
    civil = sign_in(Client(), cso_staff)
    url = reverse("recommendations:review", args=[recommendation.pk, report.pk])

    field = f"review-{report.pk}-"
    refused = civil.post(url, {field + "verdict": "contested", field + "comment": ""})
    assert refused.status_code == 400
    assert "Say why you contest the report." in refused.content.decode()

    civil.post(url, {field + "verdict": "contested", field + "comment": "Killings went on."})
    page = civil.get(reverse("recommendations:detail", args=[recommendation.pk])).content.decode()
    assert "Killings went on." in page and "contested" in page


def test_a_forged_report_of_another_recommendation_is_not_found(
    client: Client,
    make_recommendation: MakeRecommendation,
    state_rep: User,
    cso_staff: User,
) -> None:
    first = make_recommendation()
    second = make_recommendation(text="Another one.")
    report = services.submit_progress_report(
        state_rep, first, services.ProgressInput(localdate(), localdate(), "in_progress", "x")
    )
    response = sign_in(client, cso_staff).post(
        reverse("recommendations:review", args=[second.pk, report.pk]),
        {f"review-{report.pk}-verdict": "endorsed"},
    )
    assert response.status_code == 404
    assert not report.reviews.exists()


def test_a_member_who_may_not_plan_gets_the_reason_not_a_500(
    client: Client, recommendation: Recommendation, cso_staff: User
) -> None:
    response = sign_in(client, cso_staff).post(
        reverse("recommendations:action_add", args=[recommendation.pk]),
        {"action-measure": "x", "action-responsible_agency": "y", "action-status": "planned"},
    )
    assert response.status_code == 403


def test_the_suggest_button_without_a_classifier_says_why(
    client: Client, recommendation: Recommendation, documentalist: User, settings: Any
) -> None:
    settings.AMPARO_THEME_CLASSIFIER = "amparo.no_such_classifier"
    response = sign_in(client, documentalist).post(
        reverse("recommendations:suggest", args=[recommendation.pk])
    )
    assert response.status_code == 400
    assert "Theme suggestion is not installed" in response.content.decode()


def test_confirming_a_suggestion_through_the_page(
    client: Client, recommendation: Recommendation, documentalist: User
) -> None:
    theme = Theme.objects.get(code="civic_space")
    ThemeLabel.objects.create(
        recommendation=recommendation,
        theme=theme,
        status="suggested",
        source="classifier",
        confidence=0.71,
    )
    sign_in(client, documentalist)
    page = client.get(reverse("recommendations:detail", args=[recommendation.pk])).content.decode()
    assert "confidence 0.71" in page
    client.post(
        reverse("recommendations:theme_confirm", args=[recommendation.pk]),
        {"theme-theme": theme.pk},
    )
    assert recommendation.theme_labels.get(theme=theme).status == "confirmed"


def test_an_upload_imports_and_reports_each_problem(
    client: Client, documentalist: User, reference: None, sample: bytes
) -> None:
    sign_in(client, documentalist)
    url = reverse("recommendations:import")
    bad = sample.replace(b",Kenya,", b",Atlantis,", 1)
    response = client.post(url, {"file": SimpleUploadedFile("bad.csv", bad)})
    assert response.status_code == 400
    assert "Atlantis" in response.content.decode()
    assert not Recommendation.objects.exists()

    response = client.post(url, {"file": SimpleUploadedFile("upr.csv", sample)})
    assert response.status_code == 200
    assert Recommendation.objects.count() == SAMPLE_ROWS


def test_the_template_downloads(client: Client, documentalist: User, reference: None) -> None:
    response = sign_in(client, documentalist).get(reverse("recommendations:import_template"))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet["A1"].value == "annotation_id"


def test_the_matrix_writes_each_status_out(
    client: Client, documentalist: User, imported: None
) -> None:
    response = sign_in(client, documentalist).get(
        reverse("recommendations:matrix"), {"state": "KE"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not started:" in page and "status-not_started" in page


def test_the_state_dashboard_and_its_reports(
    client: Client, documentalist: User, recommendation: Recommendation
) -> None:
    sign_in(client, documentalist)
    page = client.get(reverse("recommendations:state", args=["KE"])).content.decode()
    assert "Implementation dashboard: Kenya" in page and "Maputo" in page
    csv_report = client.get(reverse("recommendations:state_report", args=["KE", "csv"]))
    assert csv_report["Content-Type"].startswith("text/csv")
    assert "human rights defenders" in csv_report.content.decode()
    xlsx = client.get(reverse("recommendations:state_report", args=["KE", "xlsx"]))
    assert load_workbook(io.BytesIO(xlsx.content)).worksheets[0]["A1"].value == "reference"


def test_the_mid_term_report_prints_as_pdf(
    client: Client, documentalist: User, recommendation: Recommendation
) -> None:
    try:
        import weasyprint  # noqa: F401
    except OSError as error:  # the package is there, the Pango library is not
        pytest.skip(f"WeasyPrint cannot load Pango: {error}")
    response = sign_in(client, documentalist).get(
        reverse("recommendations:state_report", args=["KE", "pdf"])
    )
    assert response.content.startswith(b"%PDF")


def test_pages_work_in_arabic_right_to_left(
    client: Client, documentalist: User, recommendation: Recommendation
) -> None:
    sign_in(client, documentalist)
    with translation.override("ar"):
        client.cookies["django_language"] = "ar"
        page = client.get(
            reverse("recommendations:detail", args=[recommendation.pk]),
            HTTP_ACCEPT_LANGUAGE="ar",
        ).content.decode()
    assert 'dir="rtl"' in page
    assert "المدافعون عن حقوق الإنسان" in page  # the theme's Arabic label

"""WCAG 2.2 AA, checked by axe-core in a real browser: the portal's pages, the intake report form,
the login page, the staff home and the event list, in each of English, French, Spanish and Arabic,
have no "serious" or "critical" violation.

axe-core comes from the axe-playwright-python package, whose wheel ships axe-core's script
(axe.min.js) and injects it into the page: nothing is fetched from the net, no npm step."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import Page

from amparo.cases.models import DatePrecision, Event
from amparo.core import vocabulary
from amparo.core.models import Clearance, Organisation, Role, Thesaurus
from amparo.intake.forms import forget_vocabularies
from amparo.portal import services
from amparo.recommendations import services as recommendations_services
from amparo.recommendations.models import Mechanism, Recommendation, Theme
from amparo.stats.services.tables import TableParameters
from tests.e2e.test_login import current_code, submit_login
from tests.factories import (
    ActFactory,
    EventFactory,
    OrganisationFactory,
    PersonFactory,
    TOTPDeviceFactory,
    member,
)
from tests.plugins.environment import NewPage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("en", "fr", "es", "ar")
# The WCAG 2.0, 2.1 and 2.2 A and AA rules, and axe's best practices (landmarks, headings).
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}


def serious_violations(page: Page, address: str) -> list[str]:
    """What axe finds serious or critical on the page now, one line per rule."""
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": RULES}, "resultTypes": ["violations"]}
    )
    found: list[dict[str, Any]] = results.response["violations"]
    return [
        f"{address}: {violation['id']} ({violation['impact']}) {violation['help']}: "
        + "; ".join(", ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in found
        if violation["impact"] in BLOCKING
    ]


def prefixed(language: str, path: str) -> str:
    return path if language == "en" else f"/{language}{path}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_pages_have_no_serious_violation(new_page: NewPage, language: str) -> None:
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    forget_vocabularies()
    cache.clear()
    commission = OrganisationFactory(
        name="Access Commission", short_code="E2E-A11Y", kind=Organisation.Kind.NHRI
    )
    editor = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, commission)
    reviewer = member(Role.REVIEWER, Clearance.RESTRICTED, commission)
    event = EventFactory(
        organisation=commission,
        status=Event.Status.VERIFIED,
        title="Threats after a hearing",
        country="KE",
        start_date=datetime.date(2024, 3, 17),
        start_precision=DatePrecision.DAY,
    )
    ActFactory(event=event, victim=PersonFactory(organisation=commission))
    publication = services.create_events_publication(
        editor,
        commission,
        title="Reprisals in Kenya",
        summary="A summary for the public.",
        reference_codes=[event.reference_code],
    )
    services.submit(editor, publication)
    services.approve(reviewer, publication)
    code = str(publication.content["events"][0]["code"])
    table = services.create_statistics_publication(
        editor,
        commission,
        title="Acts by type",
        summary="",
        parameters=TableParameters(rows=("type_of_act",), verified_only=True),
    )
    services.submit(editor, table)
    services.approve(reviewer, table)
    recommendations_services.load_reference(None)
    recommendations_services.create_recommendation(
        editor,
        recommendations_services.RecommendationInput(
            mechanism=Mechanism.objects.get(code="upr"),
            state="KE",
            text="Ensure that human rights defenders can work free from threats.",
            session="UPR session 8",
            recommending_state="NO",
            position=Recommendation.Position.SUPPORTED,
            themes=[Theme.objects.get(code="human_rights_defenders")],
            translations={"ar": "ضمان قدرة المدافعين عن حقوق الإنسان على العمل دون تهديد."},
        ),
    )
    recommendations = services.create_recommendations_publication(
        editor, commission, title="Recommendations to Kenya", summary="", state="KE"
    )
    services.submit(editor, recommendations)
    services.approve(reviewer, recommendations)
    recommendation_code = str(recommendations.content["recommendations"][0]["code"])

    public = [
        "/portal/",
        "/portal/reprisals/",
        "/portal/reprisals/?country=KE",
        f"/portal/p/{publication.slug}/",
        f"/portal/p/{publication.slug}/{code}/",
        "/portal/statistics/",
        f"/portal/p/{table.slug}/",
        "/portal/recommendations/",
        "/portal/recommendations/?status=not_started",
        f"/portal/p/{recommendations.slug}/",
        f"/portal/p/{recommendations.slug}/{recommendation_code}/",
        "/portal/data/",
        "/portal/methodology/",
    ]
    problems: list[str] = []
    page = new_page(locale=language)
    for path in public:
        address = prefixed(language, path)
        page.goto(address)
        problems += serious_violations(page, address)

    # The intake form, the login page and the staff pages take the language of the browser.
    staff = new_page(locale=language, extra_http_headers={"Accept-Language": language})
    for name in ("intake:report", "core:login"):
        staff.goto(reverse(name))
        assert staff.locator("html").get_attribute("lang") == language, name
        problems += serious_violations(staff, f"{reverse(name)} [{language}]")
    submit_login(staff, editor, current_code(TOTPDeviceFactory(user=editor)))
    for name in ("core:home", "cases:event_list"):
        staff.goto(reverse(name))
        assert staff.locator("html").get_attribute("lang") == language, name
        problems += serious_violations(staff, f"{reverse(name)} [{language}]")

    assert not problems, "\n".join(problems)
    # And axe does see: an unlabelled field is a critical violation.
    staff.set_content('<html lang="en"><body><main><input type="text"></main></body></html>')
    assert serious_violations(staff, "unlabelled"), "axe found nothing on a page made to fail"

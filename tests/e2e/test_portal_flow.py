"""The portal's "done when", in a real browser: an editor prepares a publication of a case whose
victim consented to publication, a reviewer (another person) approves it, the public reads it in
Arabic (right to left) and in French, the consent is withdrawn and the publication is gone.

Screenshots of the portal in the four languages are saved for review in pytest's temporary
directory (never in the repository); the test prints where."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import Page, expect

from amparo.cases import services as cases_services
from amparo.cases.models import DatePrecision, Event, RecipientKind
from amparo.core import vocabulary
from amparo.core.models import Clearance, Organisation, Role, Thesaurus, User
from amparo.portal.models import Publication
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

VICTIM = "Amina Benali"
LANGUAGES = ("en", "fr", "es", "ar")


def portal(language: str, path: str = "") -> str:
    prefix = "" if language == "en" else f"/{language}"
    return f"{prefix}/portal/{path}"


def signed_in(new_page: NewPage, user: User) -> Page:
    page = new_page()
    submit_login(page, user, current_code(TOTPDeviceFactory(user=user)))
    expect(page.locator("[name=password]")).to_have_count(0)
    return page


def test_a_consented_case_is_published_read_in_arabic_and_french_then_gone(
    new_page: NewPage, tmp_path: Path
) -> None:
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    cache.clear()
    commission = OrganisationFactory(
        name="Portal Commission", short_code="E2E-PORTAL", kind=Organisation.Kind.NHRI
    )
    editor = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, commission)
    reviewer = member(Role.REVIEWER, Clearance.RESTRICTED, commission)
    event = EventFactory(
        organisation=commission,
        status=Event.Status.VERIFIED,
        title="Raid on a legal aid office",
        country="FR",
        region="FR-69",
        start_date=datetime.date(2024, 3, 17),
        start_precision=DatePrecision.DAY,
    )
    victim = PersonFactory(organisation=commission, full_name=VICTIM)
    ActFactory(event=event, victim=victim, date=datetime.date(2024, 3, 17))
    consent = cases_services.give_consent(
        editor, victim, recipient_kind=RecipientKind.PUBLICATION, purpose="The public portal"
    )

    # 1. The editor prepares it and sees the preview beside the source, then submits it.
    page = signed_in(new_page, editor)
    page.goto(reverse("portal_manage:create_events"))
    page.locator("[name=title]").fill("Reprisals against legal aid in Lyon")
    page.locator("[name=summary]").fill("A raid on the office of defenders.")
    page.locator("[name=title_fr]").fill("Représailles contre l'aide juridique à Lyon")
    page.locator("[name=title_ar]").fill("أعمال انتقامية ضد المساعدة القانونية في ليون")
    page.locator("[name=reference_codes]").fill(event.reference_code)
    page.get_by_role("button", name="Prepare the preview").click()
    expect(page.get_by_role("heading", name="What will be public")).to_be_visible()
    expect(page.locator("section[aria-labelledby=public-heading]")).to_contain_text(VICTIM)
    # The editor may not approve their own publication.
    expect(page.get_by_role("button", name="Approve and publish")).to_have_count(0)
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("main")).to_contain_text("Submitted")
    publication = Publication.objects.get(organisation=commission)
    detail = reverse("portal_manage:detail", args=[publication.pk])

    # 2. The reviewer, another person, approves it.
    page = signed_in(new_page, reviewer)
    page.goto(detail)
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.locator("main")).to_contain_text("it is public now")
    publication.refresh_from_db()
    assert publication.state == Publication.State.PUBLISHED

    # 3. The public reads it, in Arabic (right to left) and French; screenshots in all four.
    shots = tmp_path / "portal-screenshots"
    shots.mkdir()
    public = new_page()
    for language in LANGUAGES:
        public.goto(portal(language))
        public.screenshot(path=shots / f"home-{language}.png", full_page=True)
        public.goto(portal(language, "reprisals/"))
        public.screenshot(path=shots / f"reprisals-{language}.png", full_page=True)
        public.goto(portal(language, "recommendations/"))
        public.screenshot(path=shots / f"recommendations-{language}.png", full_page=True)
        public.goto(portal(language, f"p/{publication.slug}/"))
        public.screenshot(path=shots / f"publication-{language}.png", full_page=True)
    print(f"\nScreenshots of the portal in {', '.join(LANGUAGES)}: {shots}")

    public.goto(portal("ar", f"p/{publication.slug}/"))
    expect(public.locator("html")).to_have_attribute("dir", "rtl")
    expect(public.locator("html")).to_have_attribute("lang", "ar")
    expect(public.locator("main")).to_contain_text("أعمال انتقامية ضد المساعدة القانونية")
    expect(public.locator("main")).to_contain_text(VICTIM)

    public.goto(portal("fr", "reprisals/"))
    expect(public.locator("html")).to_have_attribute("dir", "ltr")
    expect(public.locator("html")).to_have_attribute("lang", "fr")
    public.get_by_role("link", name="Représailles contre l'aide juridique à Lyon").first.click()
    expect(public.locator("main")).to_contain_text(VICTIM)
    permalink = public.url

    # 4. The consent is withdrawn: the publication disappears from the portal.
    cases_services.withdraw_consent(editor, consent)
    publication.refresh_from_db()
    assert publication.state == Publication.State.WITHDRAWN
    response = public.goto(permalink)
    assert response is not None and response.status == 404
    for language in ("ar", "fr"):
        public.goto(portal(language, "reprisals/"))
        expect(public.locator("main")).not_to_contain_text(VICTIM)
        expect(public.locator("main")).not_to_contain_text("Lyon")

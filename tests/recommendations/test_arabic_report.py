"""The mid-term report's PDF in Arabic: right to left, and no English left in it."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.utils import translation
from django.utils.translation import pgettext

from amparo.core.models import User
from amparo.recommendations import services
from amparo.recommendations.models import Recommendation
from amparo.recommendations.services import exports
from tests.stats.test_arabic_pdfs import arabic_, has, latin_words, pages

pytestmark = [pytest.mark.django_db, pytest.mark.pdf]


def test_the_midterm_report_in_arabic(
    recommendation: Recommendation, state_rep: User, documentalist: User
) -> None:
    Recommendation.objects.filter(pk=recommendation.pk).update(
        document_symbol="A/HRC/44/9", paragraph="142.1"
    )
    recommendation.refresh_from_db()
    services.add_action(
        state_rep,
        recommendation,
        services.ActionInput("قانون لحماية المدافعين", "وزارة العدل"),
    )
    report = services.submit_progress_report(
        state_rep,
        recommendation,
        services.ProgressInput(
            datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), "in_progress", "مشروع قانون"
        ),
    )
    services.review_report(documentalist, report, verdict="endorsed", comment="نؤيد")
    out = io.BytesIO()
    with translation.override("ar"):
        rows = exports.report_recommendations(documentalist, "KE", None)
        html = exports.report_html("KE", rows)
        exports.write_pdf("KE", rows, out)
    assert re.search(r'<html lang="ar" dir="rtl">', html)
    text = "\n".join(pages(out.getvalue()))
    for label in ("Position", "Themes", "Actions", "Status", "Evidence", "Civil society"):
        assert arabic_(label) != label, label
        assert has(text, arabic_(label)), label
    with translation.override("ar"):
        supported = pgettext("position on a recommendation", "Supported")
    assert has(text, supported)  # the State's position, translated
    assert has(text, arabic_("In progress"))
    assert has(text, "كينيا")  # the State's name in Arabic
    # The document symbol is isolated left to right (A/HRC/44/9, not 44/9/A/HRC), "para."
    # translated; the English text of the recommendation is a left-to-right block of its own
    # (its full stop at its end), the Arabic comment a right-to-left one.
    assert "\u2066A/HRC/44/9\u2069" in html and "\u2066142.1\u2069" in html
    assert "HRC" in text and "142.1" in text and "para" not in text
    assert '<div lang="en" dir="ltr">Ensure that' in html
    assert '<div dir="rtl">KE-NHRC' not in html and 'dir="rtl">مشروع قانون' in html
    assert has(text, "النرويج")  # the recommending State (NO), by its Arabic name
    assert has(text, arabic_("Universal Periodic Review"))  # the mechanism, not "UPR"
    # Only data may be in Latin letters: the recommendation's text (English here, as recorded)
    # the reviewing organisation's short code and the document symbol.
    allowed = set(re.findall(r"[A-Za-z]{3,}", recommendation.text)) | {"NHRC", "HRC"}
    assert latin_words(text) - allowed == set()

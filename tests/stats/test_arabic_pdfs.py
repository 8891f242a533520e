"""Arabic, right to left, in the PDF reports and the charts: each is rendered in Arabic and
checked twice, in its HTML or SVG (direction, language, mirrored anchors) and in the text of the
PDF (the Arabic labels are there, shaped and in reading order; no English fallback)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.utils import translation
from django.utils.translation import gettext

from amparo.analysis import arabic, charts
from amparo.analysis.crosstab import Period, Query
from amparo.stats.services import exports, reports, tables
from tests.stats.test_reports import pages, world

__all__ = ["world"]

pytestmark = [pytest.mark.django_db, pytest.mark.pdf]

# The words the test world holds as data, not interface (the sources' names), and codes.
DATA_WORDS = frozenset({"Radio", "Clinic"})
LAM_ALEF = re.compile("[\u0622\u0623\u0625\u0627\u0644]")


def skeleton(text: str) -> str:
    """Arabic text as comparable whatever the PDF's text layer does with it: compatibility forms
    folded (presentation forms are letters), no harakat, no lam or alef (a lam-alef ligature
    comes out of a PDF in either order), no spaces or isolation marks."""
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(c for c in folded if not unicodedata.category(c).startswith(("M", "C", "Z")))
    return LAM_ALEF.sub("", folded).replace(" ", "")


def has(text: str, label: str) -> bool:
    return skeleton(label) in skeleton(text)


def has_words(text: str, label: str) -> bool:
    """Every word of `label` in `text` (a chart's text layer can come out in pieces)."""
    found = skeleton(text)
    return all(skeleton(word) in found for word in label.split() if len(skeleton(word)) >= 2)


def latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{3,}", text)) - DATA_WORDS


def arabic_(message: str) -> str:
    with translation.override("ar"):
        return gettext(message)


def test_the_country_report_is_right_to_left_and_arabic_throughout(world, documentalist) -> None:
    with translation.override("ar"):
        html = reports._country_html(documentalist, "KE", 2025, "ar")
    assert '<html lang="ar" dir="rtl">' in html
    # Numeric columns: their header sits with their numbers, at the end of the line.
    assert "thead th + th { text-align: end; }" in html
    svgs = re.findall(r"<svg\b[^>]*>", html)
    assert len(svgs) >= 3
    assert all('lang="ar"' in s and 'direction="rtl"' in s for s in svgs)
    # Printed charts: their Arabic is shaped (presentation forms) for WeasyPrint.
    assert re.search("[\ufe70-\ufeff]", html)

    text = "\n".join(pages(reports.country_report(documentalist, "KE", 2025, "ar")))
    for label in (
        "Methodology",
        "Acts by type",
        "Acts by month",
        "Victims by type of defender and sex",
        "SDG indicator 16.10.1",
    ):
        translated = arabic_(label)
        assert translated != label, label
        assert has(text, translated), label
    # The charts' words are in the PDF's text too, in reading order: the title of the first
    # chart is read as it is written, not backwards.
    chart_title = arabic_("Acts by type")
    assert skeleton(text).count(skeleton(chart_title)) >= 2  # the heading and the chart's title
    assert skeleton(chart_title)[::-1] not in skeleton(text)
    assert latin_words(text) == set()


def test_a_table_pdf_in_arabic(world, documentalist) -> None:
    facts = tables.counted_facts(documentalist)
    import datetime

    query = Query(
        rows=("type_of_act",),
        columns=("sex",),
        measure="acts",
        period=Period(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
    )
    with translation.override("ar"):
        table = tables.cross_tab_of(facts, documentalist, query, "ar")
        sheet = exports.crosstab_sheet(table, tables.describe(table))
        pdf = reports.sheet_pdf(documentalist, sheet, what="test")
    text = "\n".join(pages(pdf))
    assert has(text, sheet.title)
    for cell in sheet.header:
        assert has(text, str(cell)), cell
    assert has(text, arabic_("Produced with Amparo on %(date)s.").split("%")[0])
    assert latin_words(text) == set()


# --- Charts ----------------------------------------------------------------------------------


def _table(world, documentalist, rows: tuple[str, ...], language: str):  # type: ignore[no-untyped-def]
    facts = tables.counted_facts(documentalist)
    return tables.cross_tab_of(facts, documentalist, Query(rows=rows, measure="acts"), language)


@pytest.mark.parametrize("rows", [("type_of_act",), ("year",), ("country",)])
def test_each_chart_in_arabic_is_mirrored_and_prints_its_arabic(
    world, documentalist, rows: tuple[str, ...]
) -> None:
    english = tables.chart_svg(
        _table(world, documentalist, rows, "en"), title="Acts", description="Counts"
    )
    table = _table(world, documentalist, rows, "ar")
    svg = tables.chart_svg(table, title=tables.describe(table), description="وصف")
    assert english is not None and svg is not None
    opening = re.match(r"<svg\b[^>]*>", svg)
    assert opening is not None
    assert 'lang="ar"' in opening.group(0) and 'direction="rtl"' in opening.group(0)
    assert "direction" not in re.match(r"<svg\b[^>]*>", english).group(0)  # type: ignore[union-attr]
    # Mirrored: the chart's title stands at the right, and under direction="rtl" that is the
    # anchor "start" (English: "start" too, at the left).
    title = tables.describe(table)
    title_tag = re.search(r'<text text-anchor="(\w+)"[^>]*>' + re.escape(title) + "<", svg)
    assert title_tag is not None and title_tag.group(1) == "start"
    # Labels keep their logical text in the page's SVG (a browser shapes and reorders it)...
    assert title in svg
    # ...and are printed shaped and in visual order for WeasyPrint.
    printed = charts.for_print(svg)
    drawn = " ".join(re.findall(r"<text\b[^>]*>([^<]*)</text>", printed))
    assert title not in drawn
    assert arabic.for_print(title) in drawn
    assert "<title" in printed and title in printed.split("</title>")[0]  # screen readers
    html = f'<html lang="ar" dir="rtl"><body><figure>{printed}</figure></body></html>'
    text = "\n".join(pages(reports.render_pdf(html)))
    assert has_words(text, title)  # each word in reading order (drawn backwards before)
    assert latin_words(text) == set()

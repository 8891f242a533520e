"""PDF reports: from the command and the web, in the four languages, pages that render."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from amparo.core.models import AuditEntry, Clearance, Role
from tests.cases.conftest import sign_in
from tests.factories import member
from tests.stats.world import institution, record, victim

pytestmark = [pytest.mark.django_db, pytest.mark.pdf]


def pages(pdf: bytes) -> list[str]:
    """The text of each page, after rendering each page to pixels (a page that cannot be drawn
    raises)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    texts = []
    for page in document:
        bitmap = page.render(scale=0.5).to_pil()
        assert bitmap.getbbox() is not None  # something is drawn
        texts.append(page.get_textpage().get_text_range())
    return texts


@pytest.fixture
def world(documentalist, nhri):
    radio, clinic = institution("Radio"), institution("Clinic")
    for index in range(6):
        record(
            documentalist,
            nhri,
            acts=[(victim(f"Defender {index}"), "killing" if index % 2 else "arbitrary_detention")],
            sources=[radio, clinic] if index % 3 else [radio],
        )
    return nhri


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Methodology"), ("fr", "Méthodologie"), ("es", "Metodología"), ("ar", "المنهجية")],
)
def test_the_command_writes_a_report_whose_pages_render(
    tmp_path: Path, world, language, words
) -> None:
    output = tmp_path / "report.pdf"
    call_command(
        "report",
        "--country",
        "KE",
        "--year",
        "2025",
        "--lang",
        language,
        "-o",
        str(output),
        stdout=io.StringIO(),
    )
    text = "\n".join(pages(output.read_bytes()))
    assert words in text
    assert "Defender" not in text  # counts, never names
    assert oct(output.stat().st_mode & 0o777) == "0o600"
    assert AuditEntry.objects.filter(action="stats.report").exists()


def test_a_report_on_a_country_that_does_not_exist_is_refused(world) -> None:
    with pytest.raises(CommandError):
        call_command("report", "--country", "ZZ", "--year", "2025", stdout=io.StringIO())


def test_the_report_page_downloads_the_pdf(client: Client, documentalist, world) -> None:
    sign_in(client, documentalist)
    response = client.get(reverse("stats:report") + "?country=KE&year=2025&language=en")
    assert response["Content-Type"] == "application/pdf"
    assert "Kenya" in "".join(pages(response.content))


def test_a_table_downloads_as_a_pdf_too(client: Client, documentalist, world) -> None:
    sign_in(client, documentalist)
    response = client.get(
        reverse("stats:crosstab") + "?rows=type_of_act&measure=victims&format=pdf"
    )
    assert response["Content-Type"] == "application/pdf"
    assert "Killing" in "".join(pages(response.content))


def test_who_may_not_export_may_not_print_a_report(client: Client, world) -> None:
    sign_in(client, member(Role.READ_ONLY, Clearance.CONFIDENTIAL, world))
    assert (
        client.get(reverse("stats:report") + "?country=KE&year=2025&language=en").status_code == 403
    )

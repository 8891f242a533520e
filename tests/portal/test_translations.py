"""The portal's catalogues (amparo/portal/locale) are complete, and the public pages read in
French, Spanish and Arabic (right to left) from their address alone."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import translation

from amparo.core.audit_actions import AuditAction, label
from tests.portal.conftest import World, publish

NEEDS_VOCABULARIES = True
LOCALE = Path(__file__).resolve().parents[2] / "amparo" / "portal" / "locale"


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
def test_every_entry_of_the_portal_catalogue_is_translated(language: str) -> None:
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert len(catalogue) > 150
    assert [e.msgid for e in catalogue if not e.translated() or "fuzzy" in e.flags] == []


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
def test_the_portal_audit_actions_read_in_each_language(language: str) -> None:
    portal = [a for a in AuditAction if a.value.startswith("portal.")]
    with translation.override("en"):
        english = {a.value: label(a.value) for a in portal}
    with translation.override(language):
        assert [a for a, text in english.items() if label(a) == text] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "heading", "term", "direction"),
    [
        ("", "Reprisals against defenders and NHRIs", "Threat", "ltr"),
        ("/fr", "Représailles contre les défenseurs et les INDH", "Menace", "ltr"),
        ("/es", "Represalias contra personas defensoras e INDH", "Amenaza", "ltr"),
        ("/ar", "الأعمال الانتقامية ضد المدافعين والمؤسسات الوطنية", "تهديد", "rtl"),
    ],
)
def test_the_public_pages_read_in_the_language_of_their_address(
    world: World, client: Client, prefix: str, heading: str, term: str, direction: str
) -> None:
    publish(world)
    page = client.get(f"{prefix}/portal/reprisals/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert heading in page
    assert f'dir="{direction}"' in page
    assert term.casefold() in page.casefold()

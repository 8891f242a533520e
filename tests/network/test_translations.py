"""The network's catalogues (amparo/network/locale) are complete: every string of the app, and
the labels of its audit actions, read in French, Spanish and Arabic."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.utils import translation

from amparo.core.audit_actions import AuditAction, label

NEEDS_VOCABULARIES = False
LOCALE = Path(__file__).resolve().parents[2] / "amparo" / "network" / "locale"


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
def test_every_entry_of_the_network_catalogue_is_translated(language: str) -> None:
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert len(catalogue) > 400
    assert [e.msgid for e in catalogue if not e.translated() or "fuzzy" in e.flags] == []


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
def test_the_network_audit_actions_read_in_each_language(language: str) -> None:
    network = [a for a in AuditAction if a.value.startswith("network.")]
    with translation.override("en"):
        english = {a.value: label(a.value) for a in network}
    with translation.override(language):
        assert [a for a, text in english.items() if label(a) == text] == []

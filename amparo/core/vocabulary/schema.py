"""What a vocabulary is made of, for the loader, the resolver and the browser alike:
the languages of its labels and where its lists come from."""

from __future__ import annotations

from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

VOCABULARY_DIR = Path(__file__).resolve().parents[1] / "vocabularies"
HURIDOCS = "huridocs"
LANGUAGES = ("en", "fr", "es", "ar")
LABEL_FIELDS = tuple(f"label_{language}" for language in LANGUAGES)

SOURCE_HURIDOCS_ESF = "huridocs_esf"
SOURCE_HURIDOCS_LOCAL = "huridocs_local"
SOURCE_AMPARO = "amparo_hrd"
SOURCE_LABELS: dict[str, Promise] = {
    SOURCE_AMPARO: gettext_lazy("Amparo (human rights defenders)"),
    SOURCE_HURIDOCS_ESF: gettext_lazy("HURIDOCS micro-thesaurus"),
    SOURCE_HURIDOCS_LOCAL: gettext_lazy("HURIDOCS local list"),
}

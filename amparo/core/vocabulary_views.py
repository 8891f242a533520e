"""Browse the controlled vocabularies: the lists, and one list's terms as a searchable tree."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language, get_language_info

from amparo.core import vocabulary
from amparo.core.models import Term, Thesaurus
from amparo.core.permissions import requires

# The stylesheet indents rows .depth-0 to .depth-6; deeper rows share the last step.
DEEPEST_INDENT = 6
QUERY_MAX_LENGTH = 200


@dataclass(frozen=True)
class Translation:
    language: str
    label: str
    direction: str


@dataclass(frozen=True)
class Row:
    term: Term
    indent: int
    matches: bool
    translations: list[Translation]

    @property
    def css_class(self) -> str:
        """The row's classes: inactive (a retired term), context (shown around a match)."""
        return " ".join(
            name
            for name, applies in (("inactive", not self.term.active), ("context", not self.matches))
            if applies
        )


def _current_language() -> str:
    return (get_language() or settings.LANGUAGE_CODE)[:2]


def _other_languages() -> list[str]:
    current = _current_language()
    return [code for code in vocabulary.LANGUAGES if code != current]


def _direction(language: str) -> str:
    return "rtl" if get_language_info(language)["bidi"] else "ltr"


@requires("vocabulary.view")
def thesaurus_list(request: HttpRequest) -> HttpResponse:
    rows = [
        (summary, vocabulary.SOURCE_LABELS.get(summary.thesaurus.source, summary.thesaurus.source))
        for summary in vocabulary.thesauri_with_counts()
    ]
    return render(request, "core/thesaurus_list.html", {"rows": rows})


@requires("vocabulary.view")
def thesaurus_detail(request: HttpRequest, slug: str) -> HttpResponse:
    thesaurus = get_object_or_404(Thesaurus, slug=slug)
    query = " ".join(request.GET.get("q", "").split())[:QUERY_MAX_LENGTH]
    others = _other_languages()
    rows = [
        Row(
            term=row.term,
            indent=min(row.depth, DEEPEST_INDENT),
            matches=row.matches,
            translations=[
                Translation(code, getattr(row.term, f"label_{code}"), _direction(code))
                for code in others
            ],
        )
        for row in vocabulary.browse(thesaurus, query)
    ]
    return render(
        request,
        "core/thesaurus_detail.html",
        {
            "thesaurus": thesaurus,
            "source_label": vocabulary.SOURCE_LABELS.get(thesaurus.source, thesaurus.source),
            "query": query,
            "rows": rows,
            "match_count": sum(row.matches for row in rows),
            "term_count": thesaurus.terms.count(),
            "other_languages": [get_language_info(code) for code in others],
        },
    )

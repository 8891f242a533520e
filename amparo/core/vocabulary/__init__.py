"""Controlled vocabularies (Thesaurus, Term): the loader of the shipped files (`loader`), the
resolver of values to terms (`resolver`) and the browser of the lists (`browser`). The names
callers use are importable from here."""

from amparo.core.vocabulary.browser import ThesaurusSummary, TreeRow, browse, thesauri_with_counts
from amparo.core.vocabulary.loader import (
    ListReport,
    LoadReport,
    Problem,
    VocabularyError,
    load,
    read_vocabularies,
)
from amparo.core.vocabulary.resolver import (
    AmbiguousTerm,
    TermLookupError,
    TermNotFound,
    TermResolver,
    ThesaurusNotFound,
    active_terms,
    get_thesaurus,
    lookup,
    normalise_label,
    term,
)
from amparo.core.vocabulary.schema import (
    LABEL_FIELDS,
    LANGUAGES,
    SOURCE_AMPARO,
    SOURCE_HURIDOCS_ESF,
    SOURCE_HURIDOCS_LOCAL,
    SOURCE_LABELS,
    VOCABULARY_DIR,
)

__all__ = [
    "LABEL_FIELDS",
    "LANGUAGES",
    "SOURCE_AMPARO",
    "SOURCE_HURIDOCS_ESF",
    "SOURCE_HURIDOCS_LOCAL",
    "SOURCE_LABELS",
    "VOCABULARY_DIR",
    "AmbiguousTerm",
    "ListReport",
    "LoadReport",
    "Problem",
    "TermLookupError",
    "TermNotFound",
    "TermResolver",
    "ThesaurusNotFound",
    "ThesaurusSummary",
    "TreeRow",
    "VocabularyError",
    "active_terms",
    "browse",
    "get_thesaurus",
    "load",
    "lookup",
    "normalise_label",
    "read_vocabularies",
    "term",
    "thesauri_with_counts",
]

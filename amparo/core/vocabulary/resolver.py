"""Finding terms: a thesaurus by code or slug, a term by code, a value (code, HURIDOCS number or
label in any language) resolved to exactly one term, and the active terms of thesauri."""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from amparo.core.models import Term, Thesaurus
from amparo.core.services import DomainError
from amparo.core.vocabulary.schema import LABEL_FIELDS


class TermLookupError(DomainError):
    """A value could not be resolved to exactly one term."""


class ThesaurusNotFound(TermLookupError):
    pass


class TermNotFound(TermLookupError):
    pass


class AmbiguousTerm(TermLookupError):
    def __init__(self, message: str, candidates: Sequence[Term]) -> None:
        self.candidates = list(candidates)
        super().__init__(message)


def active_terms(*thesauri: str) -> QuerySet[Term]:
    """The terms of the thesauri (by code) that records may be given now: the one definition
    of "active", for forms, resolvers and the intake report alike."""
    return Term.objects.filter(thesaurus__code__in=thesauri, active=True)


def get_thesaurus(key: Thesaurus | str) -> Thesaurus:
    """A thesaurus by code ("04", "defender_types") or slug ("types_of_acts")."""
    if isinstance(key, Thesaurus):
        return key
    thesaurus = Thesaurus.objects.filter(Q(code=key) | Q(slug=key)).first()
    if thesaurus is None:
        raise ThesaurusNotFound(_("There is no vocabulary “%(name)s”.") % {"name": key})
    return thesaurus


def term(thesaurus: Thesaurus | str, code: str) -> Term:
    """The term with this exact code, active or not (records may point at a retired term)."""
    found = (
        Term.objects.select_related("thesaurus")
        .filter(thesaurus=get_thesaurus(thesaurus), code=code.strip())
        .first()
    )
    if found is None:
        raise TermNotFound(
            _("Vocabulary “%(thesaurus)s” has no term with code “%(code)s”.")
            % {"thesaurus": thesaurus, "code": code}
        )
    return found


_FOLD = str.maketrans(
    {
        "\u0649": "\u064a",  # alef maksura -> yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u0640": None,  # tatweel
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2014": "-",
    }
)


# Files and forms repeat the same few labels (a country, a level, a term) row after row.
@functools.lru_cache(maxsize=4096)
def normalise_label(text: str) -> str:
    """A label as people type it: no case, accents or Arabic short vowels and hamza seats.

    NFKD splits "é" into "e" and an accent, and an Arabic alef with hamza into a bare alef and the
    hamza; dropping the non-spacing marks (accents, hamza, short vowels, shadda) then makes
    "Cote d'Ivoire" match "Côte d'Ivoire", and a hamza-less Arabic spelling match the full one.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn").translate(_FOLD)
    return " ".join(bare.casefold().split())


class TermResolver:
    """Resolves many values against one thesaurus with a single query (use one per import).

    A value is tried, in order, as a term code (case-insensitive), as a HURIDOCS vocab_number
    (the value OpenEvSys records store), and as a label in any of the four languages, ignoring
    case and accents. Only active terms are candidates unless `include_inactive`.
    """

    def __init__(self, thesaurus: Thesaurus | str, *, include_inactive: bool = False) -> None:
        self.thesaurus = get_thesaurus(thesaurus)
        terms = (
            self.thesaurus.terms.all() if include_inactive else active_terms(self.thesaurus.code)
        ).order_by("position", "code")
        self._by_code: dict[str, Term] = {}
        self._by_source_code: dict[str, list[Term]] = defaultdict(list)
        self._by_label: dict[str, list[Term]] = defaultdict(list)
        for item in terms:
            self._by_code[item.code.casefold()] = item
            if item.source_code:
                self._by_source_code[item.source_code.casefold()].append(item)
            for key in {normalise_label(getattr(item, name)) for name in LABEL_FIELDS} - {""}:
                self._by_label[key].append(item)

    def resolve(self, value: str) -> Term:
        text = " ".join(value.split())
        if text.casefold() in self._by_code:
            return self._by_code[text.casefold()]
        by_source = self._by_source_code.get(text.casefold(), [])
        if len(by_source) == 1:
            return by_source[0]
        candidates = self._by_label.get(normalise_label(text), []) if text else []
        if len(candidates) == 1:
            return candidates[0]
        candidates = candidates or by_source
        if candidates:
            raise AmbiguousTerm(
                _("“%(value)s” matches several terms of “%(thesaurus)s”: %(codes)s.")
                % {
                    "value": value,
                    "thesaurus": self.thesaurus.label(),
                    "codes": ", ".join(candidate.code for candidate in candidates),
                },
                candidates,
            )
        raise TermNotFound(
            _("“%(value)s” is neither a code nor a label of a term of “%(thesaurus)s”.")
            % {"value": value, "thesaurus": self.thesaurus.label()}
        )


def lookup(thesaurus: Thesaurus | str, value: str, *, include_inactive: bool = False) -> Term:
    """The one term that `value` names in `thesaurus` (see TermResolver)."""
    return TermResolver(thesaurus, include_inactive=include_inactive).resolve(value)

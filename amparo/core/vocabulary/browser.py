"""Browsing the vocabularies: every list with its counts, and one list as a searchable tree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from amparo.core.models import Term, Thesaurus
from amparo.core.vocabulary.resolver import normalise_label
from amparo.core.vocabulary.schema import LABEL_FIELDS, SOURCE_AMPARO


@dataclass(frozen=True)
class ThesaurusSummary:
    thesaurus: Thesaurus
    active_terms: int
    inactive_terms: int


def thesauri_with_counts() -> list[ThesaurusSummary]:
    """Every thesaurus with its number of active and inactive terms; Amparo's own lists first."""
    rows = Thesaurus.objects.annotate(
        active_count=Count("terms", filter=Q(terms__active=True)),
        inactive_count=Count("terms", filter=Q(terms__active=False)),
    )
    summaries = [ThesaurusSummary(row, row.active_count, row.inactive_count) for row in rows]
    return sorted(summaries, key=lambda s: (s.thesaurus.source != SOURCE_AMPARO, s.thesaurus.code))


@dataclass(frozen=True)
class TreeRow:
    term: Term
    depth: int
    matches: bool  # False: shown only as the ancestor of a match


def browse(thesaurus: Thesaurus, query: str = "") -> list[TreeRow]:
    """The thesaurus as a tree in display order; with a query, the matches and their ancestors.

    A term matches when the query is part of its code or of one of its labels, ignoring case and
    accents as `lookup` does.
    """
    terms = list(thesaurus.terms.order_by("position", "code"))
    children: dict[int | None, list[Term]] = defaultdict(list)
    by_id = {item.pk: item for item in terms}
    for item in terms:
        parent = item.parent_id if item.parent_id in by_id else None
        children[parent].append(item)
    needle = normalise_label(query)
    if needle:
        matching = {
            item.pk
            for item in terms
            if needle in item.code.casefold()
            or any(needle in normalise_label(getattr(item, name)) for name in LABEL_FIELDS)
        }
        shown = set(matching)
        for pk in matching:
            parent_id = by_id[pk].parent_id
            while parent_id in by_id and parent_id not in shown:
                shown.add(parent_id)
                parent_id = by_id[parent_id].parent_id
    else:
        matching = shown = set(by_id)
    rows: list[TreeRow] = []
    stack = [(item, 0) for item in reversed(children[None])]
    while stack:
        item, depth = stack.pop()
        if item.pk in shown:
            rows.append(TreeRow(term=item, depth=depth, matches=item.pk in matching))
        stack.extend((child, depth + 1) for child in reversed(children[item.pk]))
    return rows

"""A PLACEHOLDER theme classifier for the tests only: nearest theme by keyword.

It stands in for `amparo.analysis.themes` (the real classifier, built elsewhere) behind the
interface described in amparo/recommendations/suggestions.py, so that the Django side can be
tested: tests point AMPARO_THEME_CLASSIFIER here. It learns, for each theme, the words that
occur in its examples more often than elsewhere, and scores a text by the share of a theme's
keywords it contains. It is not meant to be good.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

WORD = re.compile(r"[a-zà-ÿ]{4,}")
KEYWORDS = 12
THRESHOLD = 0.25


def words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


class KeywordModel:
    def __init__(self, keywords: dict[str, list[str]]) -> None:
        self.keywords = keywords

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"keywords": self.keywords}, sort_keys=True))

    def suggest(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        found = []
        for text in texts:
            present = words(text)
            scores = [
                (theme, round(len(present & set(keys)) / len(keys), 2))
                for theme, keys in self.keywords.items()
                if keys
            ]
            found.append(
                sorted(((t, s) for t, s in scores if s >= THRESHOLD), key=lambda item: -item[1])
            )
        return found


def train(
    texts: Sequence[str], labels: Sequence[Sequence[str]], descriptions: Mapping[str, str]
) -> KeywordModel:
    overall: Counter[str] = Counter()
    by_theme: dict[str, Counter[str]] = {}
    for text, themes in zip(texts, labels, strict=True):
        present = words(text)
        overall.update(present)
        for theme in themes:
            by_theme.setdefault(theme, Counter()).update(present)
    keywords = {}
    for theme, counts in by_theme.items():
        ranked = sorted(counts, key=lambda w: (-counts[w] / (overall[w] + 5), w))
        keywords[theme] = ranked[:KEYWORDS]
    for theme, description in descriptions.items():
        if theme not in keywords:
            keywords[theme] = sorted(words(description))[:KEYWORDS]
    return KeywordModel(keywords)


def load(path: Path) -> KeywordModel:
    return KeywordModel(json.loads(path.read_text())["keywords"])

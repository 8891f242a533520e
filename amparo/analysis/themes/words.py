"""TF-IDF over words and pairs of words: what a theme's own vocabulary adds to the embeddings.

Sentence embeddings place a text by its overall meaning; a theme is often signalled by one word
("defenders", "journalists", "moratorium") that the embedding of a long recommendation dilutes.
The two kinds of features together classify better than either alone (tests/bench/themes.py).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

WORD = re.compile(r"\b\w\w+\b")


def terms(text: str) -> list[str]:
    """Lower-cased words of two characters or more, and each pair of neighbouring words."""
    words = WORD.findall(text.lower())
    return words + [f"{first} {second}" for first, second in itertools.pairwise(words)]


class WordFeatures:
    """A fixed vocabulary with its inverse document frequencies (sublinear term frequency,
    smoothed idf, rows of unit length: the usual TF-IDF weighting)."""

    def __init__(self, vocabulary: Sequence[str], idf: NDArray[np.float32]) -> None:
        if len(vocabulary) != len(idf):
            raise ValueError("The vocabulary and the idf weights differ in length.")
        self.vocabulary = list(vocabulary)
        self.idf = np.asarray(idf, dtype=np.float32)
        self.index = {term: position for position, term in enumerate(self.vocabulary)}
        if len(self.index) != len(self.vocabulary):
            raise ValueError("The vocabulary holds a term twice.")

    @classmethod
    def fit(cls, texts: Iterable[str], min_documents: int) -> WordFeatures:
        """The terms found in at least `min_documents` texts, in alphabetical order."""
        document_frequency: Counter[str] = Counter()
        count = 0
        for text in texts:
            document_frequency.update(set(terms(text)))
            count += 1
        vocabulary = sorted(t for t, n in document_frequency.items() if n >= min_documents)
        frequencies = np.array([document_frequency[t] for t in vocabulary], dtype=np.float64)
        idf = np.log((1 + count) / (1 + frequencies)) + 1
        return cls(vocabulary, idf.astype(np.float32))

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        for row, text in enumerate(texts):
            counts = Counter(t for t in terms(text) if t in self.index)
            for term, n in counts.items():
                rows.append(row)
                columns.append(self.index[term])
                values.append(1.0 + np.log(n))
        matrix = sparse.csr_matrix(
            (np.asarray(values, dtype=np.float32), (rows, columns)),
            shape=(len(texts), len(self.vocabulary)),
            dtype=np.float32,
        )
        matrix = matrix.multiply(self.idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float32)).ravel()
        scale = sparse.diags(1.0 / np.maximum(norms, np.float32(1e-12)))
        return (scale @ matrix).astype(np.float32).tocsr()

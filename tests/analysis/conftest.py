"""Fixtures for the Django-free analysis code: the UPR sample, the real sentence encoder, and a
theme model trained once per session on the sample's early sessions.

Embedding the 1,499 sample texts takes minutes on a busy CPU, so their vectors are stored in
data/uhri_upr_sample_embeddings.npz (made with the same encoder; test_theme_encoder checks that
they still match it). Any other text is embedded by the real encoder.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from amparo.analysis.themes import ThemeModel, minilm_encoder, train_theme_model
from amparo.analysis.themes.encoder import Matrix, MiniLMEncoder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = FIXTURES / "uhri_upr_sample.csv"
SAMPLE_EMBEDDINGS = DATA / "uhri_upr_sample_embeddings.npz"
LAST_TRAINING_SESSION = 7


def read_sample() -> list[dict[str, str]]:
    with SAMPLE.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def themes_of(row: dict[str, str]) -> list[str]:
    return [theme for theme in row["Themes"].split(", ") if theme]


def session_of(row: dict[str, str]) -> int:
    return int(row["Session"].rsplit(" ", 1)[1])


class StoredVectorsEncoder:
    """The real encoder, answering from stored vectors for the texts it has them for."""

    def __init__(self, encoder: MiniLMEncoder, vectors: dict[str, Matrix]) -> None:
        self.encoder = encoder
        self.vectors = vectors

    @property
    def identity(self) -> str:
        return self.encoder.identity

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    def encode(self, texts: Sequence[str]) -> Matrix:
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        missing = [i for i, text in enumerate(texts) if text not in self.vectors]
        for i, text in enumerate(texts):
            if text in self.vectors:
                result[i] = self.vectors[text]
        if missing:
            result[missing] = self.encoder.encode([texts[i] for i in missing])
        return result


@pytest.fixture(scope="session", autouse=True)
def one_blas_thread() -> Iterator[None]:
    """The suite runs one test process per core: BLAS threads of their own would only fight over
    the cores (OpenBLAS's waiting threads spin), which made these tests five times slower."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="session")
def encoder() -> MiniLMEncoder:
    return minilm_encoder()


@pytest.fixture(scope="session")
def sample() -> list[dict[str, str]]:
    return read_sample()


@pytest.fixture(scope="session")
def stored_encoder(encoder: MiniLMEncoder, sample: list[dict[str, str]]) -> StoredVectorsEncoder:
    with np.load(SAMPLE_EMBEDDINGS, allow_pickle=False) as stored:
        by_id = dict(
            zip(stored["annotation_ids"], stored["vectors"].astype(np.float32), strict=True)
        )
    return StoredVectorsEncoder(
        encoder, {row["Text"]: by_id[row["Annotation Id"]] for row in sample}
    )


@pytest.fixture(scope="session")
def early_sessions(sample: list[dict[str, str]]) -> list[dict[str, str]]:
    return [row for row in sample if session_of(row) <= LAST_TRAINING_SESSION]


@pytest.fixture(scope="session")
def later_sessions(sample: list[dict[str, str]]) -> list[dict[str, str]]:
    return [row for row in sample if session_of(row) > LAST_TRAINING_SESSION]


@pytest.fixture(scope="session")
def trained_model(
    early_sessions: list[dict[str, str]], stored_encoder: StoredVectorsEncoder
) -> ThemeModel:
    """Learnt from the sample's sessions 1 to 7 (about 930 texts)."""
    return train_theme_model(
        [(row["Text"], themes_of(row)) for row in early_sessions], encoder=stored_encoder
    )

"""`themes`: theme suggestion on real UPR recommendations, against a TF-IDF + logistic
regression baseline, as a tracker meets it: trained on sessions 1 to 7, evaluated on sessions 8
to 10, which it never saw.

Figures: micro-F1, macro-F1 (over the 54 themes of the data) and the "Human rights defenders"
theme's precision, recall and F1, for our model and for the baseline (scikit-learn's TfidfVectorizer
and LogisticRegression, one per theme, on the same training texts and labels): once with the usual
0.5 threshold, once with per-theme thresholds tuned on the same validation folds as ours, so that
the comparison with ours is about the features and not only the thresholds. Then the zero-shot
fallback alone: the issue's themes (defenders, press, civil society, association and assembly,
expression) trained with their labels withheld. Then the seconds to suggest themes for 10,000
texts on the CPU (embedding included, model loaded), the training seconds, and peak memory.

The data is tests/bench/data/upr_sessions_1_10.csv.gz (its README says where it comes from).
AMPARO_BENCH_THEMES_TEXTS=N times N texts instead of 10,000 (the figure is scaled to 10,000).
The 16,741 texts' embeddings are kept in var/bench/themes-embeddings.npz for the next run (they
take half an hour on a busy machine); the timed suggestion always embeds its texts afresh, and the
training's embedding time is given at the rate measured there.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
import resource
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_info

from amparo.analysis.themes import (
    Method,
    ThemeModel,
    TrainingSettings,
    load_descriptions,
    minilm_encoder,
    train_theme_model,
)
from amparo.analysis.themes.encoder import Matrix, TextEncoder
from amparo.analysis.themes.model import tune_thresholds
from tests.bench import Figures, benchmark

DATA = Path(__file__).resolve().parent / "data" / "upr_sessions_1_10.csv.gz"
EMBEDDINGS_CACHE = Path(__file__).resolve().parents[2] / "var" / "bench" / "themes-embeddings.npz"
LAST_TRAINING_SESSION = 7
HRD = "Human rights defenders"
ISSUE_THEMES = (
    HRD,
    "Freedom of the press",
    "Civil society",
    "Freedom of association and peaceful assembly",
    "Freedom of opinion and expression",
)
TIMED_TEXTS = 10_000


class CachedEncoder:
    """The real encoder, remembering each text's vector: the training and evaluation runs below
    embed the same texts several times, and that is not what they measure."""

    def __init__(self, encoder: TextEncoder) -> None:
        self.encoder = encoder
        self.vectors: dict[str, Matrix] = {}

    @property
    def identity(self) -> str:
        return self.encoder.identity

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    def load(self, path: Path, key: str) -> bool:
        """Take the vectors stored by an earlier run on the same data and encoder, if any."""
        if not path.exists():
            return False
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["key"]) != key:
                return False
            self.vectors.update(zip(stored["texts"], stored["vectors"], strict=True))
        return True

    def store(self, path: Path, key: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self.vectors)
        vectors = np.stack([self.vectors[t] for t in texts])
        np.savez(path, key=key, texts=np.array(texts), vectors=vectors)

    def encode(self, texts: Sequence[str]) -> Matrix:
        missing = sorted({t for t in texts if t not in self.vectors})
        if missing:
            for text, vector in zip(missing, self.encoder.encode(missing), strict=True):
                self.vectors[text] = vector
        return (
            np.stack([self.vectors[t] for t in texts])
            if texts
            else np.zeros((0, self.dimension), np.float32)
        )


def read_rows() -> list[dict[str, str]]:
    with gzip.open(DATA, "rt", encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def themes_of(row: dict[str, str]) -> list[str]:
    return [theme for theme in row["Themes"].split(", ") if theme]


def session_of(row: dict[str, str]) -> int:
    return int(row["Session"].rsplit(" ", 1)[1])


def scores(
    predicted: NDArray[np.bool_], actual: NDArray[np.bool_], themes: Sequence[str]
) -> Figures:
    true_positives = (predicted & actual).sum(axis=0)
    f1 = 2 * true_positives / np.maximum(predicted.sum(axis=0) + actual.sum(axis=0), 1)
    micro = 2 * true_positives.sum() / max(predicted.sum() + actual.sum(), 1)
    hrd = themes.index(HRD)
    precision = true_positives[hrd] / max(predicted[:, hrd].sum(), 1)
    recall = true_positives[hrd] / max(actual[:, hrd].sum(), 1)
    return {
        "micro_f1": round(float(micro), 3),
        "macro_f1": round(float(f1.mean()), 3),
        "hrd_precision": round(float(precision), 3),
        "hrd_recall": round(float(recall), 3),
        "hrd_f1": round(float(f1[hrd]), 3),
        "issue_themes_f1": {t: round(float(f1[themes.index(t)]), 3) for t in ISSUE_THEMES},
    }


def label_matrix(rows: Sequence[dict[str, str]], themes: Sequence[str]) -> NDArray[np.bool_]:
    return np.array([[t in themes_of(row) for t in themes] for row in rows], dtype=bool)


def columns(model: ThemeModel, themes: Sequence[str]) -> list[int]:
    return [model.themes.index(theme) for theme in themes]


def baseline(
    train: Sequence[dict[str, str]], test: Sequence[dict[str, str]], themes: Sequence[str]
) -> Figures:
    """TF-IDF (words and pairs) and one scikit-learn logistic regression per theme."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    settings = TrainingSettings()
    started = time.perf_counter()
    labels = label_matrix(train, themes)
    folds = np.random.default_rng(settings.seed).permutation(len(train)) % settings.validation_folds

    def fit_predict(fit_rows: NDArray[np.bool_], texts: list[str]) -> NDArray[np.float64]:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        features = vectorizer.fit_transform([train[i]["Text"] for i in np.flatnonzero(fit_rows)])
        target = vectorizer.transform(texts)
        columns = []
        for theme in range(len(themes)):
            classifier = LogisticRegression(solver="liblinear")
            classifier.fit(features, labels[fit_rows, theme])
            columns.append(classifier.predict_proba(target)[:, 1])
        return np.column_stack(columns)

    validation_scores = np.zeros(labels.shape, dtype=np.float32)
    for fold in range(settings.validation_folds):
        validation = folds == fold
        texts = [train[i]["Text"] for i in np.flatnonzero(validation)]
        validation_scores[validation] = fit_predict(~validation, texts)
    thresholds = tune_thresholds(
        validation_scores, labels.astype(np.float32), settings.min_validation_labels
    )
    probabilities = fit_predict(np.ones(len(train), dtype=bool), [row["Text"] for row in test])
    seconds = time.perf_counter() - started
    actual = label_matrix(test, themes)
    return {
        "threshold_0_5": scores(probabilities >= 0.5, actual, themes),
        "tuned_thresholds": scores(probabilities >= thresholds, actual, themes),
        "training_seconds": round(seconds, 1),
    }


def peak_memory_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@benchmark("themes")
def run() -> Figures:
    rows = read_rows()
    train = [row for row in rows if session_of(row) <= LAST_TRAINING_SESSION]
    test = [row for row in rows if session_of(row) > LAST_TRAINING_SESSION]
    themes = sorted({theme for row in rows for theme in themes_of(row)})
    figures: Figures = {
        "training_texts": len(train),
        "test_texts": len(test),
        "themes": len(themes),
        "hrd_training_texts": sum(HRD in themes_of(row) for row in train),
        "hrd_test_texts": sum(HRD in themes_of(row) for row in test),
    }

    started = time.perf_counter()
    real = minilm_encoder()
    figures["encoder_load_seconds"] = round(time.perf_counter() - started, 2)
    encoder = CachedEncoder(real)
    cache = EMBEDDINGS_CACHE
    key = f"{real.identity} {hashlib.sha256(DATA.read_bytes()).hexdigest()}"
    figures["embeddings_from_earlier_run"] = encoder.load(cache, key)
    if not figures["embeddings_from_earlier_run"]:
        encoder.encode([row["Text"] for row in rows])
        encoder.store(cache, key)
    examples = [(row["Text"], themes_of(row)) for row in train]
    started = time.perf_counter()
    model = train_theme_model(examples, encoder=encoder)
    figures["training_seconds"] = {"fitting": round(time.perf_counter() - started, 1)}
    figures["peak_memory_mb_after_training"] = peak_memory_mb()
    stored = model.to_bytes()
    figures["model_file_kb"] = round(len(stored) / 1024)
    model = ThemeModel.from_bytes(stored)

    actual = label_matrix(test, themes)
    probabilities = model.probabilities([row["Text"] for row in test], encoder)
    thresholds = model.thresholds[columns(model, themes)]
    ours = scores(probabilities[:, columns(model, themes)] >= thresholds, actual, themes)
    zero_shot_only = [
        t for t, m in zip(model.themes, model.methods, strict=True) if m is Method.ZERO_SHOT
    ]
    suggested_zero_shot = (
        probabilities[:, columns(model, zero_shot_only)]
        >= model.thresholds[columns(model, zero_shot_only)]
    )
    figures["ours"] = ours
    figures["ours"]["zero_shot_themes"] = {
        theme: {"test_texts_suggested": int(suggested_zero_shot[:, i].sum())}
        for i, theme in enumerate(zero_shot_only)
    }
    figures["baseline"] = baseline(train, test, themes)

    # The fallback alone: the issue's themes as if nobody had labelled them yet.
    withheld = [(text, [t for t in labels if t not in ISSUE_THEMES]) for text, labels in examples]
    blind = train_theme_model(withheld, encoder=encoder, descriptions=load_descriptions())
    blind_probabilities = blind.probabilities([row["Text"] for row in test], encoder)
    blind_columns = columns(blind, ISSUE_THEMES)
    predicted = blind_probabilities[:, blind_columns] >= blind.thresholds[blind_columns]
    issue_actual = label_matrix(test, ISSUE_THEMES)
    figures["zero_shot_for_issue_themes"] = {
        theme: _precision_recall_f1(predicted[:, i], issue_actual[:, i])
        for i, theme in enumerate(ISSUE_THEMES)
    }

    count = int(os.environ.get("AMPARO_BENCH_THEMES_TEXTS", TIMED_TEXTS))
    pool = [row["Text"] for row in test + train]
    texts = [pool[i % len(pool)] for i in range(count)]
    started = time.perf_counter()
    suggestions = model.suggest(texts, real)
    seconds = time.perf_counter() - started
    figures["training_seconds"]["embedding_at_suggest_rate"] = round(
        len(train) * seconds / count, 1
    )
    figures["suggest"] = {
        "texts_timed": count,
        "seconds_for_10k_texts": round(seconds * TIMED_TEXTS / count, 1),
        "texts_per_second": round(count / seconds, 1),
        "mean_suggested_themes": round(float(np.mean([len(s.suggested) for s in suggestions])), 2),
    }
    figures["peak_memory_mb"] = peak_memory_mb()
    figures["blas_threads"] = [pool["num_threads"] for pool in threadpool_info()]
    return figures


def _precision_recall_f1(predicted: NDArray[np.bool_], actual: NDArray[np.bool_]) -> Figures:
    true_positives = int((predicted & actual).sum())
    return {
        "precision": round(true_positives / max(int(predicted.sum()), 1), 3),
        "recall": round(true_positives / max(int(actual.sum()), 1), 3),
        "f1": round(2 * true_positives / max(int(predicted.sum() + actual.sum()), 1), 3),
    }

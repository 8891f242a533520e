"""Learn themes from confirmed labels; suggest them for new texts, with a probability each.

A theme with enough confirmed labels gets a logistic regression over two kinds of features of a
text: its sentence embedding (all-MiniLM-L6-v2) and its TF-IDF words and word pairs. All the
themes are fitted together (one L-BFGS run minimising the sum of their losses). Each theme gets
the decision threshold that maximises its F1 on out-of-fold scores of the confirmed texts (each
scored by a model fitted on the other folds); the final weights are fitted on every confirmed text.

A theme with too few labels but a description (descriptions.csv) is suggested zero-shot: the
cosine similarity between the text's embedding and the description's, turned into a probability
by one logistic curve fitted on the themes that do have labels (so that a zero-shot probability
means about what a learnt one means), with the threshold that served those themes best.

The trained model is a NumPy .npz archive of plain arrays and one JSON header, never a pickle, so
that loading a stored model cannot run code.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from amparo.analysis.themes.descriptions import ThemeDescription, load_descriptions
from amparo.analysis.themes.encoder import Matrix, TextEncoder, minilm_encoder
from amparo.analysis.themes.words import WordFeatures

FORMAT = "amparo-theme-model"
FORMAT_VERSION = 1
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


class Method(StrEnum):
    SUPERVISED = "supervised"  # learnt from confirmed labels
    ZERO_SHOT = "zero_shot"  # similarity with the theme's description


@dataclass(frozen=True)
class TrainingSettings:
    # A theme needs this many confirmed texts to be learnt; with fewer it falls back to its
    # description. Below about ten, each validation fold holds two of them at best.
    min_labels: int = 10
    # Thresholds are tuned on scores that each text got from a model fitted on the other folds.
    validation_folds: int = 4
    # A theme needs this many confirmed texts for a threshold of its own; otherwise it takes the
    # one threshold that does best over all themes together.
    min_validation_labels: int = 10
    min_term_documents: int = 2
    # Weight of the embedding against the TF-IDF block (both have rows of unit length).
    embedding_weight: float = 1.0
    l2: float = 1e-4
    # 0: every text counts the same; 1: a theme's positives weigh as much as its negatives.
    balance: float = 0.0
    max_iterations: int = 500
    seed: int = 13


@dataclass(frozen=True)
class ThemeScore:
    theme: str
    probability: float
    threshold: float
    method: Method

    @property
    def suggested(self) -> bool:
        return self.probability >= self.threshold


@dataclass(frozen=True)
class ThemeSuggestions:
    """For one text: the themes to suggest (above their threshold, most probable first), and every
    theme's score (most probable first) for a person who asks for all of them."""

    suggested: tuple[ThemeScore, ...]
    scores: tuple[ThemeScore, ...]


@dataclass(frozen=True)
class Problem:
    row: int  # 1 for the first example; 0 for a problem with the examples as a whole
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}, {self.field}" if self.row else self.field
        return f"{where}: {self.reason}"


class ExamplesError(ValueError):
    """The training examples are not usable; each problem names its row and field."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems[:20]))


class ModelFileError(ValueError):
    """A stored model is damaged, of another format, or made for another encoder."""


@dataclass(frozen=True, eq=False)
class ThemeModel:
    themes: tuple[str, ...]
    methods: tuple[Method, ...]
    thresholds: NDArray[np.float32]  # one per theme
    label_counts: tuple[int, ...]  # confirmed texts per theme when trained
    words: WordFeatures
    # The supervised themes, in the order of `themes`: weights (features x themes) and bias.
    word_weights: NDArray[np.float32]
    embedding_weights: NDArray[np.float32]
    bias: NDArray[np.float32]
    embedding_weight: float
    # The zero-shot themes, in the order of `themes`: description embeddings (themes x dimension).
    description_vectors: NDArray[np.float32]
    zero_shot_curve: NDArray[np.float32]  # slope, intercept over the cosine similarity
    encoder_identity: str
    dimension: int
    # Themes seen in the labels too rarely to learn and without a description: never suggested.
    unlearnable: tuple[str, ...]

    def probabilities(self, texts: Sequence[str], encoder: TextEncoder | None = None) -> Matrix:
        """A (texts x themes) matrix of probabilities, columns in the order of `themes`."""
        texts = _checked_texts(texts)
        encoder = self._encoder(encoder)
        embeddings = encoder.encode(texts)
        return self._probabilities(texts, embeddings)

    def suggest(
        self, texts: Sequence[str], encoder: TextEncoder | None = None
    ) -> list[ThemeSuggestions]:
        """One ThemeSuggestions per text, in the order given."""
        probabilities = self.probabilities(texts, encoder)
        results = []
        for row in probabilities:
            scores = sorted(
                (
                    ThemeScore(theme, float(p), float(threshold), method)
                    for theme, p, threshold, method in zip(
                        self.themes, row, self.thresholds, self.methods, strict=True
                    )
                ),
                key=lambda score: (-score.probability, score.theme),
            )
            results.append(
                ThemeSuggestions(
                    suggested=tuple(score for score in scores if score.suggested),
                    scores=tuple(scores),
                )
            )
        return results

    def _encoder(self, encoder: TextEncoder | None) -> TextEncoder:
        encoder = encoder or minilm_encoder()
        if (encoder.identity, encoder.dimension) != (self.encoder_identity, self.dimension):
            raise ModelFileError(
                f"This model was trained with the encoder {self.encoder_identity} "
                f"({self.dimension} dimensions), not {encoder.identity}: train it again."
            )
        return encoder

    def _probabilities(self, texts: Sequence[str], embeddings: Matrix) -> Matrix:
        result = np.zeros((len(texts), len(self.themes)), dtype=np.float32)
        supervised = [i for i, m in enumerate(self.methods) if m is Method.SUPERVISED]
        zero_shot = [i for i, m in enumerate(self.methods) if m is Method.ZERO_SHOT]
        if supervised:
            scores = _linear(
                self.words.transform(texts),
                embeddings * np.float32(self.embedding_weight),
                self.word_weights,
                self.embedding_weights,
                self.bias,
            )
            result[:, supervised] = expit(scores)
        if zero_shot:
            similarity = embeddings @ self.description_vectors.T
            slope, intercept = self.zero_shot_curve
            result[:, zero_shot] = expit(slope * similarity + intercept)
        return result

    # --- persistence -----------------------------------------------------------------------

    def save(self, target: Path | BinaryIO) -> None:
        header = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "themes": list(self.themes),
            "methods": [str(method) for method in self.methods],
            "label_counts": list(self.label_counts),
            "embedding_weight": self.embedding_weight,
            "encoder": self.encoder_identity,
            "dimension": self.dimension,
            "unlearnable": list(self.unlearnable),
        }
        arrays: dict[str, NDArray[Any]] = {
            "header": _text_array(json.dumps(header)),
            "vocabulary": _text_array("\n".join(self.words.vocabulary)),
            "idf": self.words.idf,
            "thresholds": self.thresholds,
            "word_weights": self.word_weights,
            "embedding_weights": self.embedding_weights,
            "bias": self.bias,
            "description_vectors": self.description_vectors,
            "zero_shot_curve": self.zero_shot_curve,
        }
        if isinstance(target, Path):
            with target.open("wb") as file:
                np.savez_compressed(file, allow_pickle=False, **arrays)
        else:
            np.savez_compressed(target, allow_pickle=False, **arrays)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()

    @classmethod
    def load(cls, source: Path | BinaryIO) -> ThemeModel:
        """Read a model written by `save`; raise ModelFileError if it is not one, whole."""
        try:
            with np.load(source, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except Exception as error:  # zip, npy and pickle refusals all mean the same here
            raise ModelFileError(f"Not a theme model file: {error}") from error
        return _model_from_arrays(arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> ThemeModel:
        return cls.load(io.BytesIO(data))


# --- training ----------------------------------------------------------------------------------


def train_theme_model(
    examples: Iterable[tuple[str, Iterable[str]]],
    *,
    encoder: TextEncoder | None = None,
    descriptions: Mapping[str, ThemeDescription] | None = None,
    settings: TrainingSettings | None = None,
) -> ThemeModel:
    """Learn from confirmed examples, each a text and the list of its themes.

    Every described theme can be suggested: learnt if it has `settings.min_labels` confirmed
    texts, zero-shot otherwise. A theme with fewer labels and no description is listed in the
    model's `unlearnable`.
    """
    settings = settings or TrainingSettings()
    encoder = encoder or minilm_encoder()
    descriptions = load_descriptions() if descriptions is None else descriptions
    texts, label_sets = _checked_examples(examples)
    counts: dict[str, int] = {}
    for labels in label_sets:
        for theme in labels:
            counts[theme] = counts.get(theme, 0) + 1
    learnt = sorted(theme for theme, n in counts.items() if n >= settings.min_labels)
    if not learnt:
        raise ExamplesError(
            [
                Problem(
                    0, "themes", f"no theme has {settings.min_labels} confirmed texts to learn from"
                )
            ]
        )
    zero_shot = sorted(theme for theme in descriptions if theme not in learnt)
    unlearnable = sorted(
        theme for theme in counts if theme not in learnt and theme not in descriptions
    )
    labels_matrix = np.array(
        [[theme in labels for theme in learnt] for labels in label_sets], dtype=np.float32
    )
    embeddings = encoder.encode(texts)

    # Out-of-fold scores: each text scored by a model that did not see it, as new texts will be.
    folds = np.random.default_rng(settings.seed).permutation(len(texts)) % settings.validation_folds
    validation_scores = np.zeros(labels_matrix.shape, dtype=np.float32)
    for fold in range(settings.validation_folds):
        validation = folds == fold
        fitting = ~validation
        words = WordFeatures.fit(_select(texts, fitting), settings.min_term_documents)
        weights = _fit_themes(
            words.transform(_select(texts, fitting)),
            embeddings[fitting] * np.float32(settings.embedding_weight),
            labels_matrix[fitting],
            settings,
        )
        validation_scores[validation] = expit(
            _linear(
                words.transform(_select(texts, validation)),
                embeddings[validation] * np.float32(settings.embedding_weight),
                *weights,
            )
        )
    learnt_thresholds = tune_thresholds(
        validation_scores, labels_matrix, settings.min_validation_labels
    )

    words = WordFeatures.fit(texts, settings.min_term_documents)
    word_weights, embedding_weights, bias = _fit_themes(
        words.transform(texts),
        embeddings * np.float32(settings.embedding_weight),
        labels_matrix,
        settings,
    )

    described_learnt = [i for i, theme in enumerate(learnt) if theme in descriptions]
    curve, zero_shot_threshold = _fit_zero_shot_curve(
        embeddings,
        encoder.encode([descriptions[learnt[i]].description for i in described_learnt]),
        labels_matrix[:, described_learnt],
        settings,
    )
    description_vectors = (
        encoder.encode([descriptions[theme].description for theme in zero_shot])
        if zero_shot
        else np.zeros((0, encoder.dimension), dtype=np.float32)
    )

    themes = tuple(learnt + zero_shot)
    return ThemeModel(
        themes=themes,
        methods=(Method.SUPERVISED,) * len(learnt) + (Method.ZERO_SHOT,) * len(zero_shot),
        thresholds=np.concatenate(
            [learnt_thresholds, np.full(len(zero_shot), zero_shot_threshold)]
        ).astype(np.float32),
        label_counts=tuple(counts.get(theme, 0) for theme in themes),
        words=words,
        word_weights=word_weights,
        embedding_weights=embedding_weights,
        bias=bias,
        embedding_weight=settings.embedding_weight,
        description_vectors=description_vectors.astype(np.float32),
        zero_shot_curve=curve,
        encoder_identity=encoder.identity,
        dimension=encoder.dimension,
        unlearnable=tuple(unlearnable),
    )


def _fit_themes(
    word_matrix: sparse.csr_matrix, embeddings: Matrix, labels: Matrix, settings: TrainingSettings
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """Weights for words, for embeddings, and the bias, of one logistic regression per theme,
    all fitted in one run."""
    blocks: list[Any] = [word_matrix, embeddings]
    weights = _fit_logistic(blocks, labels, settings.l2, settings.max_iterations, settings.balance)
    return weights[0], weights[1], weights[2]


def _fit_logistic(
    blocks: Sequence[Any], labels: Matrix, l2: float, max_iterations: int, balance: float = 0.0
) -> list[NDArray[np.float32]]:
    """Independent L2-regularised logistic regressions, one per column of `labels`, over the
    columns of all `blocks` (sparse or dense matrices with one row per example). Returns one
    weight matrix per block, then the biases."""
    count, outputs = labels.shape
    widths = [block.shape[1] for block in blocks]
    targets = labels.astype(np.float64)
    positives = np.clip(targets.sum(axis=0), 1, count - 1)
    example_weights = (
        np.where(
            targets > 0,
            (count / (2 * positives)) ** balance,
            (count / (2 * (count - positives))) ** balance,
        )
        / count
    )
    blocks64 = [block.astype(np.float64) for block in blocks]

    def split(theta: NDArray[np.float64]) -> list[NDArray[np.float64]]:
        parts, offset = [], 0
        for width in widths:
            parts.append(theta[offset : offset + width * outputs].reshape(width, outputs))
            offset += width * outputs
        parts.append(theta[offset:])
        return parts

    def loss_and_gradient(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        *block_weights, bias = split(theta)
        scores = bias + sum(
            np.asarray(block @ w) for block, w in zip(blocks64, block_weights, strict=True)
        )
        loss = -(
            example_weights * (targets * log_expit(scores) + (1 - targets) * log_expit(-scores))
        ).sum()
        residual = example_weights * (expit(scores) - targets)
        gradients = [
            np.asarray(block.T @ residual) + l2 * w
            for block, w in zip(blocks64, block_weights, strict=True)
        ]
        loss += 0.5 * l2 * sum(float((w * w).sum()) for w in block_weights)
        gradient = np.concatenate([g.ravel() for g in gradients] + [residual.sum(axis=0)])
        return float(loss), gradient

    start = np.zeros(sum(widths) * outputs + outputs)
    result = minimize(
        loss_and_gradient,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iterations},
    )
    return [part.astype(np.float32) for part in split(result.x)]


def _linear(
    word_matrix: Any,
    embeddings: NDArray[Any],
    word_weights: NDArray[Any],
    embedding_weights: NDArray[Any],
    bias: NDArray[Any],
) -> NDArray[Any]:
    scores: NDArray[Any] = np.asarray(word_matrix @ word_weights)
    scores += embeddings @ embedding_weights + bias
    return scores


def tune_thresholds(scores: Matrix, labels: Matrix, min_labels: int) -> NDArray[np.float32]:
    """Per theme, the threshold on the grid with the best F1 on these scores; the best common
    threshold for themes with fewer than `min_labels` positives here."""
    predicted = scores[:, :, None] >= THRESHOLD_GRID[None, None, :]
    actual = labels[:, :, None] > 0
    true_positives = (predicted & actual).sum(axis=0)
    predicted_positives = predicted.sum(axis=0)
    positives = actual.sum(axis=0)
    f1 = 2 * true_positives / np.maximum(predicted_positives + positives, 1)
    pooled = 2 * true_positives.sum(0) / np.maximum((predicted_positives + positives).sum(0), 1)
    common = THRESHOLD_GRID[_middle_of_best(pooled)]
    thresholds = np.full(labels.shape[1], common, dtype=np.float32)
    for theme in range(labels.shape[1]):
        if labels[:, theme].sum() >= min_labels:
            thresholds[theme] = THRESHOLD_GRID[_middle_of_best(f1[theme])]
    return thresholds


def _middle_of_best(values: NDArray[Any]) -> int:
    """The middle of the run of grid points that share the best value: on a flat optimum, the
    threshold farthest from where the score starts to drop."""
    best = np.flatnonzero(values >= values.max() - 1e-12)
    return int(best[len(best) // 2])


def _fit_zero_shot_curve(
    embeddings: Matrix, description_vectors: Matrix, labels: Matrix, settings: TrainingSettings
) -> tuple[NDArray[np.float32], float]:
    """The logistic curve from cosine similarity to probability, and the threshold with the best
    F1, fitted on the learnt themes' descriptions (as if they had no labels)."""
    if not len(description_vectors):
        return np.array([0.0, 0.0], dtype=np.float32), 1.0
    similarity = (embeddings @ description_vectors.T).reshape(-1, 1)
    targets = labels.reshape(-1, 1)
    slope, intercept = _fit_logistic([similarity], targets, 0.0, settings.max_iterations)
    curve = np.array([slope[0, 0], intercept[0]], dtype=np.float32)
    probabilities = expit(curve[0] * similarity + curve[1])
    threshold = float(tune_thresholds(probabilities, targets, 1)[0])
    return curve, threshold


# --- checking inputs and model files -----------------------------------------------------------


def _checked_examples(
    examples: Iterable[tuple[str, Iterable[str]]],
) -> tuple[list[str], list[frozenset[str]]]:
    texts: list[str] = []
    label_sets: list[frozenset[str]] = []
    problems: list[Problem] = []
    for row, example in enumerate(examples, start=1):
        try:
            text, themes = example
        except (TypeError, ValueError):
            problems.append(Problem(row, "example", "not a pair (text, themes)"))
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem(row, "text", "empty or not a text"))
            continue
        if isinstance(themes, str | bytes) or not isinstance(themes, Iterable):
            problems.append(Problem(row, "themes", "not a list of theme names"))
            continue
        names = list(themes)
        if not all(isinstance(name, str) and name.strip() for name in names):
            problems.append(Problem(row, "themes", "a theme name is empty or not a text"))
            continue
        texts.append(text)
        label_sets.append(frozenset(name.strip() for name in names))
    if problems:
        raise ExamplesError(problems)
    if not texts:
        raise ExamplesError([Problem(0, "examples", "there is no example to learn from")])
    return texts, label_sets


def _checked_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("Pass a sequence of texts, not one text.")
    checked = list(texts)
    for row, text in enumerate(checked, start=1):
        if not isinstance(text, str):
            raise TypeError(f"row {row}: {type(text).__name__} is not a text")
    return checked


def _select(texts: Sequence[str], mask: NDArray[np.bool_]) -> list[str]:
    return [texts[int(i)] for i in np.flatnonzero(mask)]


def _text_array(text: str) -> NDArray[np.uint8]:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _model_from_arrays(arrays: Mapping[str, NDArray[Any]]) -> ThemeModel:
    def array(name: str, dtype: type, dimensions: int) -> NDArray[Any]:
        if name not in arrays:
            raise ModelFileError(f"The model file has no {name}.")
        value = arrays[name]
        if value.dtype != np.dtype(dtype) or value.ndim != dimensions:
            raise ModelFileError(
                f"The model file's {name} is not a {dimensions}-D {dtype.__name__}"
            )
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise ModelFileError(f"The model file's {name} holds a value that is not finite.")
        return value

    try:
        header = json.loads(array("header", np.uint8, 1).tobytes().decode("utf-8"))
        vocabulary_text = array("vocabulary", np.uint8, 1).tobytes().decode("utf-8")
    except (UnicodeDecodeError, ValueError) as error:
        raise ModelFileError(f"The model file's header is not readable: {error}") from error
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError("Not a theme model file.")
    if header.get("version") != FORMAT_VERSION:
        raise ModelFileError(
            f"Theme model format version {header.get('version')!r}; this Amparo reads "
            f"version {FORMAT_VERSION}: train the model again."
        )
    try:
        themes = tuple(_strings(header["themes"]))
        methods = tuple(Method(method) for method in header["methods"])
        label_counts = tuple(int(n) for n in header["label_counts"])
        embedding_weight = float(header["embedding_weight"])
        encoder_identity = str(header["encoder"])
        dimension = int(header["dimension"])
        unlearnable = tuple(_strings(header["unlearnable"]))
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"The model file's header is incomplete: {error}") from error
    vocabulary = vocabulary_text.split("\n") if vocabulary_text else []
    idf = array("idf", np.float32, 1)
    thresholds = array("thresholds", np.float32, 1)
    word_weights = array("word_weights", np.float32, 2)
    embedding_weights = array("embedding_weights", np.float32, 2)
    bias = array("bias", np.float32, 1)
    description_vectors = array("description_vectors", np.float32, 2)
    curve = array("zero_shot_curve", np.float32, 1)
    learnt = methods.count(Method.SUPERVISED)
    zero_shot = methods.count(Method.ZERO_SHOT)
    expected_shapes = {
        "themes": (len(themes), len(methods), len(label_counts), len(thresholds)),
        "vocabulary": (len(vocabulary), len(idf), word_weights.shape[0]),
        "learnt themes": (learnt, word_weights.shape[1], embedding_weights.shape[1], len(bias)),
        "dimension": (dimension, embedding_weights.shape[0], description_vectors.shape[1]),
        "zero-shot themes": (zero_shot, description_vectors.shape[0]),
        "zero-shot curve": (2, len(curve)),
    }
    for what, sizes in expected_shapes.items():
        if len(set(sizes)) != 1:
            raise ModelFileError(f"The model file's sizes disagree on the {what}: {sizes}.")
    if len(set(themes)) != len(themes):
        raise ModelFileError("The model file names a theme twice.")
    if methods != (Method.SUPERVISED,) * learnt + (Method.ZERO_SHOT,) * zero_shot:
        raise ModelFileError("The model file's themes are not in order.")
    try:
        words = WordFeatures(vocabulary, idf)
    except ValueError as error:
        raise ModelFileError(f"The model file's vocabulary: {error}") from error
    return ThemeModel(
        themes=themes,
        methods=methods,
        thresholds=thresholds,
        label_counts=label_counts,
        words=words,
        word_weights=word_weights,
        embedding_weights=embedding_weights,
        bias=bias,
        embedding_weight=embedding_weight,
        description_vectors=description_vectors,
        zero_shot_curve=curve,
        encoder_identity=encoder_identity,
        dimension=dimension,
        unlearnable=unlearnable,
    )


def _strings(values: Any) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise TypeError("not a list of texts")
    return values

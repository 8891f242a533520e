"""Theme suggestion: learnt thresholds, zero-shot fallback, the issue's themes, stored models."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from amparo.analysis.themes import (
    ExamplesError,
    Method,
    ModelFileError,
    ThemeModel,
    TrainingSettings,
    load_descriptions,
    train_theme_model,
)
from amparo.analysis.themes.model import tune_thresholds
from tests.analysis.conftest import themes_of

HRD = "Human rights defenders"

# Written for these tests, in the style of UPR recommendations; no sample text is among them.
ISSUE_EXAMPLES = {
    HRD: [
        "Adopt a law recognising and protecting human rights defenders and set up an effective "
        "protection mechanism for defenders at risk.",
        "Investigate promptly all threats and attacks against human rights defenders and "
        "bring the perpetrators to justice.",
    ],
    "Freedom of the press": [
        "Guarantee the safety of journalists and investigate the killings of media workers.",
        "Release the journalists detained for their reporting and allow independent media to "
        "operate.",
    ],
    "Freedom of association and peaceful assembly": [
        "Respect the right to peaceful assembly and stop the use of excessive force against "
        "peaceful demonstrators.",
    ],
    "Freedom of opinion and expression": [
        "Decriminalise defamation and repeal the provisions of the penal code that restrict "
        "freedom of expression.",
    ],
    "Civil society": [
        "Amend the law on non-governmental organisations so that civil society organisations "
        "can register and receive funding freely, and protect civic space.",
    ],
}
REPRISALS_EXAMPLE = (
    "Ensure that no person who cooperates with the United Nations human rights mechanisms "
    "suffers reprisals or intimidation, and investigate all acts of reprisal."
)


def test_suggestions_are_above_their_threshold_and_most_probable_first(
    trained_model, later_sessions, stored_encoder
):
    results = trained_model.suggest([row["Text"] for row in later_sessions[:60]], stored_encoder)
    assert len(results) == 60
    assert any(result.suggested for result in results)
    for result in results:
        assert all(score.probability >= score.threshold for score in result.suggested)
        probabilities = [score.probability for score in result.suggested]
        assert probabilities == sorted(probabilities, reverse=True)
        assert {s.theme for s in result.scores} == set(trained_model.themes)
        assert {s.theme for s in result.suggested} == {
            s.theme for s in result.scores if s.suggested
        }
        assert all(0 <= s.probability <= 1 for s in result.scores)


def test_every_shipped_description_makes_a_theme_and_well_labelled_ones_are_learnt(trained_model):
    methods = dict(zip(trained_model.themes, trained_model.methods, strict=True))
    counts = dict(zip(trained_model.themes, trained_model.label_counts, strict=True))
    assert set(load_descriptions()) <= set(trained_model.themes)
    assert methods[HRD] is Method.SUPERVISED
    assert methods["Reprisals"] is Method.ZERO_SHOT
    for theme, method in methods.items():
        assert (method is Method.SUPERVISED) == (counts[theme] >= TrainingSettings().min_labels)


def test_thresholds_are_tuned_per_theme_within_the_grid(trained_model):
    thresholds = trained_model.thresholds
    assert ((thresholds >= 0.05) & (thresholds <= 0.95)).all()
    assert len(set(np.round(thresholds, 2))) > 3


def test_a_theme_gets_the_threshold_with_the_best_f1_on_validation():
    # Theme 0: positives score 0.6 and above, negatives 0.4 and below -> a threshold between.
    # Theme 1: too few positives -> the threshold that is best over all themes together.
    scores = np.array([[0.9, 0.1], [0.6, 0.2], [0.7, 0.3], [0.4, 0.8], [0.1, 0.2]], np.float32)
    labels = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 0]], np.float32)
    thresholds = tune_thresholds(scores, labels, min_labels=3)
    assert 0.4 < thresholds[0] <= 0.6
    assert thresholds[1] == pytest.approx(thresholds[0])


def test_held_out_recommendations_on_defenders_are_recognised(
    trained_model, later_sessions, stored_encoder
):
    rows = later_sessions
    actual = np.array([HRD in themes_of(row) for row in rows])
    results = trained_model.suggest([row["Text"] for row in rows], stored_encoder)
    predicted = np.array([HRD in {s.theme for s in result.suggested} for result in results])
    true_positives = (predicted & actual).sum()
    assert actual.sum() >= 40
    assert true_positives / actual.sum() >= 0.7  # recall
    assert true_positives / predicted.sum() >= 0.7  # precision


@pytest.mark.parametrize(
    "theme,text", [(theme, text) for theme, texts in ISSUE_EXAMPLES.items() for text in texts]
)
def test_recommendations_on_the_issues_themes_are_recognised(
    trained_model, stored_encoder, theme, text
):
    (result,) = trained_model.suggest([text], stored_encoder)
    assert theme in [score.theme for score in result.suggested]


def test_reprisals_are_recognised_from_the_description_alone(trained_model, stored_encoder):
    unrelated = "Improve access to primary education in rural areas."
    reprisals, education = trained_model.suggest([REPRISALS_EXAMPLE, unrelated], stored_encoder)
    assert "Reprisals" in [score.theme for score in reprisals.suggested]
    assert "Reprisals" not in [score.theme for score in education.suggested]


def test_a_theme_without_enough_labels_falls_back_to_its_description(
    early_sessions, stored_encoder
):
    # Defenders' labels withheld but for a few: the theme is suggested zero-shot, and still found.
    examples, kept = [], 0
    for row in early_sessions:
        themes = themes_of(row)
        if HRD in themes:
            kept += 1
            if kept > 3:
                themes.remove(HRD)
        examples.append((row["Text"], themes))
    model = train_theme_model(examples, encoder=stored_encoder)
    assert model.methods[model.themes.index(HRD)] is Method.ZERO_SHOT
    results = model.suggest(ISSUE_EXAMPLES[HRD], stored_encoder)
    assert all(HRD in [s.theme for s in result.suggested] for result in results)
    (education,) = model.suggest(["Improve access to primary education."], stored_encoder)
    assert HRD not in [s.theme for s in education.suggested]


def test_a_rare_theme_without_description_is_reported_as_unlearnable(
    early_sessions, stored_encoder
):
    examples = [(row["Text"], themes_of(row)) for row in early_sessions]
    examples[0][1].append("Theme nobody described")
    model = train_theme_model(examples, encoder=stored_encoder)
    assert model.unlearnable == ("Theme nobody described",)
    assert "Theme nobody described" not in model.themes


def test_a_stored_model_gives_the_same_scores_after_loading(
    trained_model, later_sessions, stored_encoder, tmp_path
):
    texts = [row["Text"] for row in later_sessions[:20]]
    path = tmp_path / "themes.npz"
    trained_model.save(path)
    loaded = ThemeModel.load(path)
    assert loaded.themes == trained_model.themes
    assert loaded.methods == trained_model.methods
    assert loaded.label_counts == trained_model.label_counts
    assert np.array_equal(loaded.thresholds, trained_model.thresholds)
    assert np.array_equal(
        loaded.probabilities(texts, stored_encoder),
        trained_model.probabilities(texts, stored_encoder),
    )
    assert ThemeModel.from_bytes(trained_model.to_bytes()).themes == trained_model.themes


def test_a_stored_model_is_plain_arrays_that_load_without_pickle(trained_model):
    with np.load(io.BytesIO(trained_model.to_bytes()), allow_pickle=False) as archive:
        assert all(archive[name].dtype != object for name in archive.files)
        header = json.loads(archive["header"].tobytes())
    assert header["format"] == "amparo-theme-model"
    assert header["encoder"] == "sentence-transformers/all-MiniLM-L6-v2"


def _rewritten(data: bytes, **replacements: np.ndarray) -> bytes:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays.update(replacements)
    arrays = {name: value for name, value in arrays.items() if value is not None}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _header(model: ThemeModel, **changes) -> np.ndarray:
    with np.load(io.BytesIO(model.to_bytes()), allow_pickle=False) as archive:
        header = json.loads(archive["header"].tobytes())
    header.update(changes)
    return np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)


def _pickled_archive() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, header=np.array([{"format": "amparo-theme-model"}], dtype=object))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "damage",
    [
        lambda m, d: b"",
        lambda m, d: b"not a zip file",
        lambda m, d: d[: len(d) // 2],
        lambda m, d: _pickled_archive(),
        lambda m, d: _rewritten(d, header=_header(m, version=99)),
        lambda m, d: _rewritten(d, header=_header(m, format="something else")),
        lambda m, d: _rewritten(d, header=np.frombuffer(b"\xff\xfe", dtype=np.uint8)),
        lambda m, d: _rewritten(d, header=_header(m, themes=["only one"])),
        lambda m, d: _rewritten(d, header=_header(m, methods=["telepathy"] * len(m.themes))),
        lambda m, d: _rewritten(d, bias=None),
        lambda m, d: _rewritten(d, bias=np.zeros(3, np.float32)),
        lambda m, d: _rewritten(d, thresholds=m.thresholds.astype(np.float64)),
        lambda m, d: _rewritten(d, thresholds=np.full(len(m.themes), np.nan, np.float32)),
        lambda m, d: _rewritten(d, idf=m.words.idf[:-1]),
    ],
    ids=[
        "empty",
        "not-a-zip",
        "truncated",
        "pickled-object",
        "future-version",
        "other-format",
        "header-not-utf8",
        "themes-disagree",
        "unknown-method",
        "missing-array",
        "wrong-length",
        "wrong-dtype",
        "not-finite",
        "vocabulary-disagrees",
    ],
)
def test_a_damaged_or_forged_model_file_is_refused_with_a_clear_error(trained_model, damage):
    data = trained_model.to_bytes()
    with pytest.raises(ModelFileError):
        ThemeModel.from_bytes(damage(trained_model, data))


def test_a_model_file_is_a_zip_of_npy_arrays(trained_model):
    with zipfile.ZipFile(io.BytesIO(trained_model.to_bytes())) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())


class OtherEncoder:
    identity = "another-model"
    dimension = 384

    def encode(self, texts):
        return np.zeros((len(texts), 384), np.float32)


def test_a_model_refuses_to_score_with_another_encoder(trained_model):
    with pytest.raises(ModelFileError, match="train it again"):
        trained_model.suggest(["Protect journalists."], OtherEncoder())


@pytest.mark.parametrize(
    "examples,where",
    [
        ([("", ["Justice"])], "row 1, text"),
        ([(None, ["Justice"])], "row 1, text"),
        ([("Protect journalists.", "Justice")], "row 1, themes"),
        ([("Protect journalists.", ["Justice", ""])], "row 1, themes"),
        ([("Protect journalists.", ["Justice"]), ("just a text",)], "row 2, example"),
        ([], "no example"),
        ([("Protect journalists.", ["Justice"])], "confirmed texts"),
    ],
)
def test_unusable_examples_are_refused_with_their_row_and_field(stored_encoder, examples, where):
    with pytest.raises(ExamplesError, match=where):
        train_theme_model(examples, encoder=stored_encoder)


def test_texts_to_score_must_be_texts(trained_model, stored_encoder):
    with pytest.raises(TypeError, match="row 2"):
        trained_model.suggest(["Protect journalists.", 42], stored_encoder)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        trained_model.suggest("Protect journalists.", stored_encoder)

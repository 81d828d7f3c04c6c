"""The edge provider: the signed ONNX models the desktop runs offline, run by the gateway too.

It serves `anomaly.detect` (the trained anomaly classifier), `vision.photo_quality` (the
photo-quality model over measured image features), `tutor.answer` (the best of the passages
step 5 retrieved from the tenant's corpora, by their all-MiniLM-L6-v2 similarity) and `/embed`
(the same embedder). A model is configured when
the published manifest lists it; every load is verified (client.py), and a refused load is a
ProviderError, so the router moves on to the next model of the chain.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from collections import OrderedDict

import numpy as np
from django.conf import settings

from manifests import features as mapping
from melmastoon_ai.locales import KNOWN_LOCALES, NO_ANSWER_IN_GUIDE, localized, resolve_locale
from routing.providers.base import ProviderError, ProviderRequest, ProviderResponse
from routing.providers.edge.client import EdgeModels, LoadedModel

EMBEDDING_MODEL = "all-minilm-l6-v2"
EMBED_BATCH = 32  # texts embedded between two deadline checks of a FAQ
RUN_BATCH = 16  # texts per ONNX run: no faster above on 1-2 threads, and its memory grows with it
EMBEDDING_DIM = 384
# Cosine below which no FAQ entry answers. all-MiniLM-L6-v2 scores paraphrases 0.4-0.9 and unrelated
# hotel questions up to ~0.36 ("Is there a gym?" against "Where is the swimming pool?").
FAQ_MATCH_THRESHOLD = 0.4
_FAQ_VECTOR_CACHE = 8192


def _positive_probabilities(loaded: LoadedModel, features: np.ndarray) -> np.ndarray:
    """One probability per row of the positive class, from a skl2onnx classifier (ZipMap off:
    its second output is the (rows, 2) probability tensor)."""
    return loaded.session.run(None, {loaded.session.get_inputs()[0].name: features})[1][:, 1]


class EdgeAdapter:
    kind = "edge"

    def __init__(self, models: EdgeModels) -> None:
        self.models = models
        self._lock = threading.Lock()
        self._faq_vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    @classmethod
    def from_settings(cls) -> EdgeAdapter:
        return cls(EdgeModels(threads=getattr(settings, "EDGE_ONNX_THREADS", 1)))

    def is_configured(self, model: str | None = None) -> bool:
        return self.models.listed(model or EMBEDDING_MODEL)

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        handler = {
            "anomaly.detect": self._anomaly,
            "vision.photo_quality": self._photo_quality,
            "tutor.answer": self._tutor,
        }.get(request.capability_id)
        if handler is None:
            raise ProviderError("bad_request", f"the edge models do not serve {request.capability_id}", retryable=False)
        loaded = self.models.load(request.model, tenant_id=request.context.tenant_id)
        return ProviderResponse(output=handler(loaded, request), model_version=f"{loaded.version}+{loaded.sha256[:12]}")

    # --- embeddings ---------------------------------------------------------------------------

    def embed(self, texts: list[str], *, tenant_id: str | None) -> tuple[str, list[list[float]]]:
        loaded = self.models.load(EMBEDDING_MODEL, tenant_id=tenant_id)
        vectors = self._embed(loaded, texts)
        return f"{EMBEDDING_MODEL}@{loaded.version}", [[round(float(value), 6) for value in row] for row in vectors]

    def _embed(self, loaded: LoadedModel, texts: list[str]) -> np.ndarray:
        if loaded.tokenizer is None:
            raise ProviderError(
                "malformed", "the embedding model's manifest entry carries no tokenizer", retryable=False
            )
        # Tokenized once, then run in batches of similar lengths (sorted), each padded to its own
        # longest: padding costs compute (attention grows with the square of the padded length)
        # and is masked out of the result, so the vectors are the ones of unpadded single runs
        # (tests/rag compare them). The order of `texts` is restored.
        encodings = loaded.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda index: len(encodings[index].ids))
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        for start in range(0, len(order), RUN_BATCH):
            batch = order[start : start + RUN_BATCH]
            width = max(len(encodings[index].ids) for index in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)  # 0 is [PAD]
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, index in enumerate(batch):
                length = len(encodings[index].ids)
                ids[row, :length] = encodings[index].ids
                mask[row, :length] = 1
            hidden = loaded.session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            out[batch] = mapping.mean_pool_normalised(hidden, mask)
        return out

    # --- capabilities -------------------------------------------------------------------------

    def _anomaly(self, loaded: LoadedModel, request: ProviderRequest) -> dict:
        payload = request.payload
        thresholds = payload.get("thresholds") or {}
        threshold = float(thresholds.get("refund_amount", mapping.DEFAULT_REFUND_THRESHOLD))
        grouped = mapping.group_by_subject(payload.get("events", []))
        if not grouped:
            return mapping.anomaly_verdict([])
        features = np.array(
            [
                mapping.anomaly_features(events, refund_threshold=threshold, thresholds=thresholds)
                for events in grouped.values()
            ],
            dtype=np.float32,
        )
        probabilities = _positive_probabilities(loaded, features)
        scores = [
            mapping.SubjectScore(
                subject=subject,
                probability=float(probability),
                features=dict(zip(mapping.ANOMALY_FEATURES, row, strict=True)),
                event_ids=[event["event_id"] for event in events],
            )
            for (subject, events), probability, row in zip(
                grouped.items(), probabilities, features.tolist(), strict=True
            )
        ]
        return mapping.anomaly_verdict(scores)

    def _photo_quality(self, loaded: LoadedModel, request: ProviderRequest) -> dict:
        payload = request.payload
        referenced = request.context.media_of("image")  # a gcs:// reference already read (routing/media.py)
        if "image_base64" not in payload and referenced is None:
            raise ProviderError(
                "bad_request", "the edge photo model needs the image bytes, not a reference", retryable=False
            )
        try:
            data = (
                referenced.data if referenced is not None else base64.b64decode(payload["image_base64"], validate=True)
            )
        except (binascii.Error, ValueError) as exc:
            raise ProviderError("bad_request", "image_base64 is not valid base64", retryable=False) from exc
        measured = mapping.measure_image(data)
        if isinstance(measured, str):
            raise ProviderError("bad_request", f"the photo cannot be measured: {measured}", retryable=False)
        features = np.array([measured.features()], dtype=np.float32)
        probability = float(_positive_probabilities(loaded, features)[0])
        return mapping.photo_score(measured, probability, payload)

    def _tutor(self, loaded: LoadedModel, request: ProviderRequest) -> dict:
        payload, entries = request.payload, request.context.faq_entries
        locale, family = resolve_locale(payload["locale"], request.context.locale)
        if not entries:
            return {"answer": localized(NO_ANSWER_IN_GUIDE, family), "sources": [], "confidence": 0.0, "locale": locale}
        deadline = time.monotonic() + request.timeout_seconds
        question = self._embed(loaded, [payload["question"]])[0]
        # A passage matches by its question (heading), or by all its text: the better of both. The
        # passages are step 5's top k (pgvector): when it found them with this model's vectors, their
        # similarity is the whole-text one; else (a corpus of another model) it is computed here.
        by_question = self._faq_matrix(loaded, [e.question for e in entries], deadline) @ question
        if all(entry.similarity is not None and entry.embedding_model.startswith(EMBEDDING_MODEL) for entry in entries):
            by_entry = np.array([entry.similarity for entry in entries], dtype=np.float32)
        else:
            by_entry = self._faq_matrix(loaded, [f"{e.question} {e.answer}" for e in entries], deadline) @ question
        similarities = np.maximum(by_question, by_entry)
        best = int(np.argmax(similarities))
        if float(similarities[best]) < FAQ_MATCH_THRESHOLD:
            return {"answer": localized(NO_ANSWER_IN_GUIDE, family), "sources": [], "confidence": 0.0, "locale": locale}
        entry = entries[best]
        return {
            "answer": (entry.answer.strip() or entry.question)[:4000],
            "sources": [entry.id[:128] or "faq"],
            "confidence": round(float(similarities[best]), 2),
            "locale": entry.locale if entry.locale in KNOWN_LOCALES else locale,
            "matched_question": entry.question[:500],
        }

    def _faq_matrix(self, loaded: LoadedModel, texts: list[str], deadline: float) -> np.ndarray:
        """Vectors of FAQ texts, each embedded once per model file and text (an LRU of recent ones).

        A large FAQ seen for the first time costs ~15 ms an entry: the work stops at the request's
        deadline (a timeout, so the chain moves on) and what was embedded stays cached, so the
        next requests finish the job instead of starting over."""
        keys = [(loaded.sha256, hashlib.sha256(text.encode()).hexdigest()) for text in texts]
        with self._lock:
            vectors = {key: self._faq_vectors.get(key) for key in keys}
        missing = [index for index, key in enumerate(keys) if vectors[key] is None]
        for start in range(0, len(missing), EMBED_BATCH):
            if start and time.monotonic() > deadline:  # one batch always: every request makes progress
                raise ProviderError(
                    "timeout",
                    f"embedding {len(missing) - start} new FAQ texts did not fit the deadline; the ones done are kept",
                    retryable=True,
                )
            batch = missing[start : start + EMBED_BATCH]
            fresh = self._embed(loaded, [texts[index] for index in batch])
            with self._lock:
                for index, vector in zip(batch, fresh, strict=True):
                    vectors[keys[index]] = vector
                    self._remember(keys[index], vector)
        with self._lock:
            for key in keys:
                self._remember(key, vectors[key])
        return np.stack([vectors[key] for key in keys])

    def _remember(self, key: tuple[str, str], vector: np.ndarray) -> None:
        """Under self._lock: keep `key` as the most recent entry of the LRU."""
        self._faq_vectors[key] = vector
        self._faq_vectors.move_to_end(key)
        while len(self._faq_vectors) > _FAQ_VECTOR_CACHE:
            self._faq_vectors.popitem(last=False)

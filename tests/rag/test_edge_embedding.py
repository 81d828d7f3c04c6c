"""The edge MiniLM as the RAG embedder: token counts and batched vectors do not depend on which
other texts share the call (ingestion batches by length and pads per batch; chunking counts a
section's sentences in one call)."""

from __future__ import annotations

import numpy as np
import pytest

from rag.chunking import chunk_text
from rag.embedding import EDGE_MODEL, embedder_for
from rag.parsing import parse
from routing.providers.edge import RUN_BATCH
from routing.providers.registry import adapter_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("edge")]  # the models, published (tests/edge_models.py)

SHORT = "Check-out is at 11:00."
LONG = (
    "Dogs under ten kilograms are welcome in rooms on the ground floor, cats are not allowed, and a "
    "cleaning fee of forty euros is charged when a room needs more than the usual housekeeping."
)
TEXTS = [
    SHORT,
    LONG,
    "Le petit-déjeuner est servi dans la salle bleue de 6 h 30 à 10 h.",
    "Otopark gecelik 15 euro; 12 yer var.",
    "موقف السيارات يكلف 15 يورو في الليلة.",
    "Quiet hours",
    " ".join([LONG] * 3),
]


def test_a_text_counts_the_same_tokens_alone_and_beside_a_longer_one(tenant_a):
    count = embedder_for(EDGE_MODEL, tenant=tenant_a).count_tokens
    alone = count([SHORT])[0]
    assert count([SHORT, LONG])[0] == alone
    assert alone < count([LONG])[0]
    over_the_model_limit = " ".join([LONG] * 12)  # past the 256 pieces the embedder truncates at
    assert count([over_the_model_limit])[0] > 256


def test_chunks_are_filled_up_to_the_token_budget_by_true_counts(tenant_a):
    count = embedder_for(EDGE_MODEL, tenant=tenant_a).count_tokens
    parsed = parse(("# Rules\n\n" + " ".join([SHORT] * 40) + " " + LONG).encode(), "text/markdown")
    spans = chunk_text(parsed.text, parsed.sections, max_tokens=120, overlap_tokens=0, count=count)
    assert [span.tokens for span in spans] == count([span.text for span in spans])
    # counted as the section's longest sentence, every short one took ~40 tokens: 14 chunks
    assert len(spans) <= 5, [span.tokens for span in spans]


def test_batched_vectors_equal_single_ones_in_the_callers_order():
    adapter = adapter_for("edge")
    loaded = adapter.models.load(EDGE_MODEL, tenant_id=None)
    texts = TEXTS * (RUN_BATCH // len(TEXTS) + 2)  # more than one batch, lengths mixed
    batched = adapter._embed(loaded, texts)
    single = np.concatenate([adapter._embed(loaded, [text]) for text in TEXTS])
    for index, text in enumerate(texts):
        reference = single[TEXTS.index(text)]
        assert float(batched[index] @ reference) >= 1 - 1e-5, (index, text)
    assert float(batched[0] @ batched[1]) < 1 - 1e-3  # different texts: the order is not lost

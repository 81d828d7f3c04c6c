"""Step 5's retrieval for the capabilities whose catalog row says `uses_rag` (tutor.answer):
the redacted request's query searched in the tenant's corpora (rag_search, hybrid), the top k
passages handed to the prompt with their ids, to the edge and deterministic answerers (the same
hits: no model re-scans the corpus in process), and to the `sources` check."""

from __future__ import annotations

from dataclasses import dataclass

from melmastoon_ai.tenancy.models import Tenant
from rag.selectors import rag_search
from routing.providers.base import FaqEntry

TOP_K = 8
MAX_QUERY_CHARS = 2000
# the input field the query is read from; a capability not listed is searched with all its text
# (booking.conversion_hint: its stage and objections, e.g. "payment cancellation_policy", find the policies)
QUERY_FIELDS = {"tutor.answer": ("question",)}


@dataclass(frozen=True)
class Retrieval:
    passages: tuple[FaqEntry, ...] = ()
    provenance: dict | None = None

    @property
    def source_ids(self) -> list[str]:
        """What an answer's `sources` may cite: the chunks retrieved, or their documents."""
        return [passage.id for passage in self.passages] + [p.document_id for p in self.passages if p.document_id]


NONE = Retrieval()


def retrieval_query(capability_id: str, payload: dict) -> str:
    fields = QUERY_FIELDS.get(capability_id)
    if fields:
        parts = [str(payload[name]) for name in fields if isinstance(payload.get(name), str | int | float)]
    else:
        parts = list(_strings(payload))
    return " ".join(parts).replace("_", " ")[:MAX_QUERY_CHARS]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def retrieve(tenant: Tenant, capability, payload: dict, locale: str) -> Retrieval:
    if not capability.uses_rag:
        return NONE
    query = retrieval_query(capability.id, payload)
    result = rag_search(tenant=tenant, query=query, k=TOP_K, use_case=capability.id, locale=locale)
    return Retrieval(passages=tuple(passage_of(hit) for hit in result.hits), provenance=result.provenance())


def passage_of(hit) -> FaqEntry:
    """A search hit as the passage the prompt, the answerers and the trail's hash see."""
    return FaqEntry(
        id=hit.chunk_id,
        question=hit.heading or hit.title,
        answer=hit.text,
        locale=hit.language,
        document_id=hit.document_id,
        similarity=hit.similarity,
        embedding_model=hit.embedding_model,
    )


def prompt_context(passages) -> str:
    """The passages as the prompt shows them, each starting with its id (PRMP_TUTOR_001 says so)."""
    return "\n".join(f"[{passage.id}] {passage.question}\n{passage.answer}" for passage in passages)

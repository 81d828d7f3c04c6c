"""A data subject's erasure, end to end: requests through the real pipeline (records, gates, the
response cache in Redis, idempotency records, outbox events), a RAG document naming the subject,
then the erasure by each kind of identifier, checked by scanning every tenant-owned table as the
application role and the tenant's Redis keys. Another subject of the same tenant and the same
subject in another tenant keep everything."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from django.apps import apps
from django.db import connection

from capabilities.models import IdempotencyRecord, InferenceRecord, InferenceSubject, UsageFact
from hitl.models import HitlDecision, HitlGate
from hitl.services import hitl_gate_decide
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.redis_client import get_redis
from melmastoon_ai.tenancy.context import tenant_context
from privacy.models import ErasureRequest
from privacy.services import erasure_request_create, erasure_run
from rag.models import Chunk, Corpus, Document, EmbeddingCacheEntry

pytestmark = pytest.mark.django_db

ROYA = {
    "subject_ref": "guest-7781",
    "name": "Roya Karimi",
    "email": "roya.karimi@example.org",
    "phone": "+93701234567",
    "reason": "the late check-in",
}
# another reason: with the same one, Zahir's redacted input would equal Roya's and be her cached answer
ZAHIR = {
    "subject_ref": "guest-9902",
    "name": "Zahir Noori",
    "email": "zahir.noori@example.net",
    "phone": "+93702223344",
    "reason": "the noisy room",
}


def draft_input(subject: dict) -> dict:
    return {
        "intent": "apology",
        "locale": "en",
        "guest_name": subject["name"],
        "hotel_name": "Hotel Alborz",
        "apology_reason": f"{subject['reason']}; write to {subject['email']}",
        "contact_phone": subject["phone"],
    }


def ask(client, subject: dict, key: str, django_capture_on_commit_callbacks) -> dict:
    with django_capture_on_commit_callbacks(execute=True):  # the response cache is written after commit
        response = client.post(
            "/api/v1/ai/complete",
            {
                "capability": "message.draft",
                "input": draft_input(subject),
                "context": {"feature": "messaging", "locale": "en", "subject_ref": subject["subject_ref"]},
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
    assert response.status_code == 200, response.content[:300]
    return response.json()


def mention_in_corpus(tenant, subject: dict, title: str) -> Document:
    """A document whose text names the subject (each of its identifiers: a document is found by the
    text of the identifier an erasure gives), with its chunk and the chunk's embedding-cache row."""
    text = (
        f"Guest note {subject['subject_ref']}: {subject['name']} ({subject['email']}, {subject['phone']}) "
        "asked for a quiet room."
    )
    with tenant_context(tenant.id):
        corpus, _ = Corpus.objects.get_or_create(
            tenant=tenant, name="notes", defaults={"embedding_model": "deterministic-ngram-hash-384"}
        )
        document = Document.objects.create(
            tenant=tenant,
            corpus=corpus,
            title=title,
            source_key=title,
            media_type="text/plain",
            sha256="0" * 64,
            content=text.encode(),
            text=text,
            status=Document.Status.READY,
            ingested_version=1,
        )
        Chunk.objects.create(
            tenant=tenant,
            corpus=corpus,
            document=document,
            ordinal=0,
            text=text,
            token_count=20,
            char_start=0,
            char_end=len(text),
            embedding=[0.1] * 384,
            embedding_dim=384,
        )
        EmbeddingCacheEntry.objects.create(
            tenant=tenant,
            model_version="det@1",
            embedding=[0.1] * 384,
            text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        )
    return document


@pytest.fixture
def world(client_a, client_b, tenant_a, tenant_b, cached_drafts, django_capture_on_commit_callbacks):
    """Roya and Zahir at hotel A, Roya (the same identifiers) at hotel B; a note about each."""
    made = {
        "roya_a": ask(client_a, ROYA, "k-roya-a", django_capture_on_commit_callbacks),
        "zahir_a": ask(client_a, ZAHIR, "k-zahir-a", django_capture_on_commit_callbacks),
        "roya_b": ask(client_b, ROYA, "k-roya-b", django_capture_on_commit_callbacks),
    }
    made["doc_roya_a"] = mention_in_corpus(tenant_a, ROYA, "roya")
    made["doc_zahir_a"] = mention_in_corpus(tenant_a, ZAHIR, "zahir")
    made["doc_roya_b"] = mention_in_corpus(tenant_b, ROYA, "roya")
    return made


def tenant_rows_mentioning(tenant_id, needles: list[str]) -> dict[str, int]:
    """Every tenant-owned table, scanned as the application role under the tenant's RLS context:
    rows whose JSON text holds any needle (case-insensitive)."""
    found = {}
    with tenant_context(tenant_id), connection.cursor() as cursor:
        for model in apps.get_models():
            if not any(field.name == "tenant" for field in model._meta.fields):
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            clauses = " OR ".join(["row_to_json(t)::text ILIKE %s"] * len(needles))
            cursor.execute(
                f"SELECT count(*) FROM {table} t WHERE tenant_id = %s AND ({clauses})",
                [str(tenant_id), *[f"%{needle}%" for needle in needles]],
            )
            count = cursor.fetchone()[0]
            if count:
                found[model._meta.label] = count
    return found


def redis_values_of(tenant_id) -> dict[str, str]:
    """The tenant's keys in Redis (a test may scan; the erasure never does) with their string values."""
    client = get_redis()
    values = {}
    for key in client.scan_iter(match=f"*{tenant_id}*"):
        kind = client.type(key)
        if kind == b"string":
            values[key.decode()] = client.get(key).decode(errors="replace")
        elif kind == b"set":
            values[key.decode()] = json.dumps(sorted(member.decode() for member in client.smembers(key)))
    return values


def needles_of(subject: dict, inference_id: str) -> list[str]:
    return [subject["name"], subject["email"], subject["phone"], subject["subject_ref"], inference_id]


def assert_subject_present(tenant_id, subject: dict, answer: dict, document: Document) -> None:
    with tenant_context(tenant_id):
        record = InferenceRecord.objects.get(tenant_id=tenant_id, pk=answer["id"])
        assert record.input_redacted and record.erased_at is None
        assert record.context["subject_ref"] == subject["subject_ref"]
        assert HitlGate.objects.get(tenant_id=tenant_id, inference_id=record.id).draft_output
        assert Document.objects.filter(tenant_id=tenant_id, pk=document.pk).exists()
        assert IdempotencyRecord.objects.filter(tenant_id=tenant_id, key=record.idempotency_key).exists()
        assert OutboxEvent.objects.filter(tenant_id=tenant_id, key=answer["id"], published_at__isnull=True).exists()
    assert any(answer["id"] in value for key, value in redis_values_of(tenant_id).items() if key.startswith("resp:"))


@pytest.mark.parametrize("kind", ["subject_ref", "email", "phone", "name"])
def test_erasure_by_each_identifier_removes_the_subject_from_every_store(kind, world, tenant_a, tenant_b):
    roya_a = world["roya_a"]
    assert tenant_rows_mentioning(tenant_a.id, needles_of(ROYA, roya_a["id"])), "the subject is stored to begin with"
    assert_subject_present(tenant_a.id, ROYA, roya_a, world["doc_roya_a"])

    with tenant_context(tenant_a.id):  # a reviewer edited Roya's draft, naming her in the comment
        gate = HitlGate.objects.get(tenant_id=tenant_a.id, inference_id=roya_a["id"])
        hitl_gate_decide(
            tenant_id=tenant_a.id,
            gate_id=gate.id,
            decision="edit",
            reviewer="noor",
            edited_output=dict(gate.draft_output, body="Dear guest, we are sorry."),
            comment=f"softer for {ROYA['name']}",
        )
    asked = {"phone": "+93 70 123 4567", "name": "  roya   KARIMI ", "email": "Roya.Karimi@Example.org"}.get(
        kind, ROYA[kind]
    )  # asked in another form than the input had
    erasure = erasure_request_create(tenant=tenant_a, identifiers=[(kind, asked)], requested_by="test", enqueue=False)
    assert erasure_run(erasure_id=erasure.id, tenant_id=tenant_a.id) == "completed"

    # Roya at hotel A: nothing names her or points at her record any more, in any table or Redis key
    needles = [ROYA["name"], ROYA["email"], ROYA["phone"], ROYA["subject_ref"]]
    assert tenant_rows_mentioning(tenant_a.id, needles) == {}
    with tenant_context(tenant_a.id):
        record = InferenceRecord.objects.get(tenant_id=tenant_a.id, pk=roya_a["id"])
        assert (record.input_redacted, record.output, record.context) == ({}, {}, {})
        assert record.erased_at is not None and record.provenance["inference_id"] == roya_a["id"]  # facts stay
        gate = HitlGate.objects.get(tenant_id=tenant_a.id, inference_id=record.id)
        assert gate.draft_output == {} and gate.status == HitlGate.Status.EDITED  # the facts stay
        decision = HitlDecision.objects.get(tenant_id=tenant_a.id, gate=gate)
        assert (decision.edited_output, decision.comment, decision.reviewer) == (None, "", "noor")
        assert not InferenceSubject.objects.filter(tenant_id=tenant_a.id, inference_id=record.id).exists()
        assert not IdempotencyRecord.objects.filter(tenant_id=tenant_a.id, key="k-roya-a").exists()
        assert not OutboxEvent.objects.filter(tenant_id=tenant_a.id, key=roya_a["id"]).exists()
        fact = UsageFact.objects.get(tenant_id=tenant_a.id, capability="message.draft", inference__isnull=True)
        assert fact.outcome and fact.day  # the figures stay, unlinked
        assert not Document.objects.filter(tenant_id=tenant_a.id, pk=world["doc_roya_a"].pk).exists()
        assert not Chunk.objects.filter(tenant_id=tenant_a.id, document_id=world["doc_roya_a"].pk).exists()
        assert EmbeddingCacheEntry.objects.filter(tenant_id=tenant_a.id).count() == 1  # Zahir's
        done = ErasureRequest.objects.get(tenant_id=tenant_a.id, pk=erasure.pk)
    redis_a = redis_values_of(tenant_a.id)
    assert not any(roya_a["id"] in value for value in redis_a.values())
    assert not any(digest in key for digest in done.digests for key in redis_a)
    # the audit row: counts per store, the identifier gone
    assert done.identifiers == [] and done.targets == {}
    assert done.counts["inferences"]["erased"] == 1 and done.counts["hitl"]["erased"] == 1
    assert done.counts["rag"] == {"found": 1, "erased": 2}  # the document and its chunk
    assert done.counts["response_cache"]["erased"] == 1 and done.counts["idempotency"]["erased"] == 1
    assert done.counts["outbox"]["erased"] >= 1
    with tenant_context(tenant_a.id):
        completed = OutboxEvent.objects.get(tenant_id=tenant_a.id, topic="privacy.erasure_completed")
    assert completed.payload["stores"] == done.counts and asked not in json.dumps(completed.payload)

    # Zahir at hotel A and Roya at hotel B keep everything
    assert_subject_present(tenant_a.id, ZAHIR, world["zahir_a"], world["doc_zahir_a"])
    assert_subject_present(tenant_b.id, ROYA, world["roya_b"], world["doc_roya_b"])
    # her name at hotel B: in its note, and on its open gate for the reviewers (never in the record)
    assert tenant_rows_mentioning(tenant_b.id, [ROYA["name"]]) == {
        "rag.Document": 1,
        "rag.Chunk": 1,
        "hitl.HitlGate": 1,
    }


def test_a_repeat_of_the_subjects_request_after_erasure_is_not_served_from_the_cache(
    world, client_a, tenant_a, django_capture_on_commit_callbacks
):
    erasure = erasure_request_create(
        tenant=tenant_a, identifiers=[("email", ROYA["email"])], requested_by="test", enqueue=False
    )
    erasure_run(erasure_id=erasure.id, tenant_id=tenant_a.id)
    again = ask(client_a, ROYA, "k-roya-a-2", django_capture_on_commit_callbacks)
    assert again["provenance"]["cache_hit"] is False
    assert again["output"] and ROYA["name"] in json.dumps(again["output"], ensure_ascii=False)


def test_an_erasure_run_twice_erases_nothing_more_and_stays_completed(world, tenant_a):
    erasure = erasure_request_create(
        tenant=tenant_a, identifiers=[("subject_ref", ROYA["subject_ref"])], requested_by="test", enqueue=False
    )
    assert erasure_run(erasure_id=erasure.id, tenant_id=tenant_a.id) == "completed"
    with tenant_context(tenant_a.id):
        first = ErasureRequest.objects.get(tenant_id=tenant_a.id, pk=erasure.pk)
    assert erasure_run(erasure_id=erasure.id, tenant_id=tenant_a.id) == "completed"
    with tenant_context(tenant_a.id):
        second = ErasureRequest.objects.get(tenant_id=tenant_a.id, pk=erasure.pk)
    assert (second.counts, second.attempts, second.completed_at) == (first.counts, first.attempts, first.completed_at)


def test_an_unknown_erasure_is_reported_missing(tenant_a):
    assert erasure_run(erasure_id=uuid.uuid4(), tenant_id=tenant_a.id) == "missing"


def test_a_replay_of_the_subjects_inference_is_erased_with_it(world, client_a, tenant_a):
    replay = client_a.post(f"/api/v1/ai/inferences/{world['roya_a']['id']}/replay", format="json")
    assert replay.status_code == 200, replay.content[:300]
    replay_id = replay.json()["replay_id"]
    erasure = erasure_request_create(
        tenant=tenant_a, identifiers=[("name", ROYA["name"])], requested_by="test", enqueue=False
    )
    erasure_run(erasure_id=erasure.id, tenant_id=tenant_a.id)
    with tenant_context(tenant_a.id):
        replayed = InferenceRecord.objects.get(tenant_id=tenant_a.id, pk=replay_id)
    assert replayed.input_redacted == {} and replayed.erased_at is not None

"""Retrieval at scale (issue 17): HNSW recall@10 against exact search, search latency, the
`ef_search` trade-off, the plan PostgreSQL picks per tenant size, and ingestion throughput.

A throwaway PostgreSQL 16 + pgvector 0.8 (bench/stack.py) is loaded with a synthetic corpus of
hotel policy passages in six languages (en, fr, de, tr, ar, fa): one tenant with `--big` chunks
beside `--tenants` tenants of `--small` chunks each, all in the one `rag_chunk` table and its
partial HNSW index (m=16, ef_construction=64), as in production. Vectors are the deterministic
384-dimension n-gram embedder's (MiniLM for 300k passages would take hours on 2 cores); they
cluster by shared wording as text embeddings cluster by topic. Queries are new sentences from the
same templates (other slot values), so they are near, not equal to, stored passages.

Exact top 10: the same query with index scans off (a sequential scan of the tenant's rows).
Latency: the SQL of `rag_search` (vector side alone, and hybrid: vector + full text), wall and CPU (this
thread plus its PostgreSQL backend: what a quiet machine would show), and `rag_search` whole,
with the query embedding reported apart.

`python -m bench.rag [--big 100000 --small 10000 --tenants 20 --queries 50]` prints Markdown.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bench.stack import infrastructure

TOPICS = {
    "en": [
        "Check-out is at {h}:00; a late check-out until {h2}:00 costs {p} euros.",
        "Breakfast is served in the {room} from {h}:30 to {h2}:00.",
        "Dogs under {n} kilograms are welcome in rooms on floor {f}.",
        "The pool on the roof opens from {h}:00 to {h2}:00; children under {n} swim with an adult.",
        "Parking in the garage costs {p} euros a night; there are {n} places.",
        "Quiet hours run from {h2}:00 to {h}:00 in the {room}.",
        "Smoking in a room costs a cleaning fee of {p} euros.",
        "Housekeeping changes towels every {n} days unless the guest asks otherwise.",
    ],
    "fr": [
        "Le départ se fait à {h} h ; un départ tardif jusqu'à {h2} h coûte {p} euros.",
        "Le petit-déjeuner est servi dans la {room} de {h} h 30 à {h2} h.",
        "Les chiens de moins de {n} kilos sont acceptés à l'étage {f}.",
        "Le parking coûte {p} euros par nuit ; il y a {n} places.",
    ],
    "de": [
        "Der Check-out ist um {h} Uhr; ein später Check-out bis {h2} Uhr kostet {p} Euro.",
        "Das Frühstück gibt es im {room} von {h}:30 bis {h2} Uhr.",
        "Hunde unter {n} Kilo sind im Stock {f} willkommen.",
        "Die Garage kostet {p} Euro pro Nacht; es gibt {n} Plätze.",
    ],
    "tr": [
        "Çıkış saati {h}:00; {h2}:00'e kadar geç çıkış {p} euro.",
        "Kahvaltı {room} salonunda {h}:30 ile {h2}:00 arasında servis edilir.",
        "Otopark gecelik {p} euro; {n} yer var.",
    ],
    "ar": [
        "تسجيل المغادرة الساعة {h}:00، والمغادرة المتأخرة حتى {h2}:00 تكلف {p} يورو.",
        "يقدم الإفطار في {room} من {h}:30 إلى {h2}:00.",
        "موقف السيارات يكلف {p} يورو في الليلة.",
    ],
    "fa": [
        "تخلیه اتاق ساعت {h}:00 است؛ تخلیه دیرهنگام تا {h2}:00 هزینه {p} یورو دارد.",
        "صبحانه در {room} از {h}:30 تا {h2}:00 سرو می‌شود.",
        "پارکینگ شبی {p} یورو هزینه دارد.",
    ],
}
ROOMS = ["garden room", "lobby", "terrace", "salle bleue", "Wintergarten", "bahçe", "الحديقة", "باغ"]


def _sentence(rng: random.Random) -> tuple[str, str]:
    language = rng.choices(list(TOPICS), weights=[5, 2, 2, 1, 1, 1])[0]
    template = rng.choice(TOPICS[language])
    return language, template.format(
        h=rng.randint(6, 12),
        h2=rng.randint(13, 23),
        p=rng.randint(5, 150),
        n=rng.randint(2, 40),
        f=rng.randint(0, 9),
        room=rng.choice(ROOMS),
    )


def _passage(rng: random.Random) -> tuple[str, str]:
    language, first = _sentence(rng)
    rest = [_sentence(rng)[1] for _ in range(rng.randint(1, 2))]
    return language, " ".join([first, *rest])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _vector_text(text: str) -> str:
    from routing.providers.deterministic.embeddings import embed_text

    return "[" + ",".join(f"{value:.6g}" for value in embed_text(text)) + "]"


def load(owner_url: str, tenants: list[tuple[uuid.UUID, int]], seed: int = 17) -> dict[uuid.UUID, uuid.UUID]:
    """COPY the synthetic chunks in as the owner (platform access), then build the indexes."""
    import psycopg

    from rag.services import TS_CONFIG_SQL

    rng = random.Random(seed)
    corpora = {}
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("SET app.platform_access = 'on'")
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("DROP INDEX IF EXISTS rag_chunk_hnsw_384")
        conn.execute("DROP INDEX IF EXISTS rag_chunk_search_vector")
        for tenant_id, size in tenants:
            corpus_id, document_id = uuid.uuid4(), uuid.uuid4()
            corpora[tenant_id] = corpus_id
            conn.execute(
                "INSERT INTO rag_corpus (id, tenant_id, name, kind, embedding_model, embedding_version, "
                "embedding_dim, generation, status, created_at, updated_at) VALUES (%s, %s, 'policies', "
                "'policy', 'deterministic-ngram-hash-384', 'deterministic-ngram-hash-384', 384, 1, 'active', "
                "now(), now())",
                [corpus_id, tenant_id],
            )
            conn.execute(
                "INSERT INTO rag_document (id, tenant_id, corpus_id, title, source_key, source_uri, "
                "media_type, sha256, content, text, language, version, ingested_version, status, "
                "failure_reason, attempts, created_at, updated_at) VALUES (%s, %s, %s, 'policies', "
                "'policies', '', 'text/plain', '', '', '', 'en', 1, 1, 'ready', '', 1, now(), now())",
                [document_id, tenant_id, corpus_id],
            )
            buffer = io.StringIO()
            passages = [_passage(rng) for _ in range(size)]
            # the pure-Python n-gram embedder is ~5 ms a passage: both cores share the 300k
            with multiprocessing.Pool(min(2, os.cpu_count() or 1)) as pool:
                vectors = pool.map(_vector_text, [text for _language, text in passages], chunksize=500)
            for ordinal, ((language, text), vector) in enumerate(zip(passages, vectors, strict=True)):
                buffer.write(
                    "\t".join(
                        [
                            str(uuid.uuid4()),
                            str(tenant_id),
                            str(corpus_id),
                            str(document_id),
                            "1",
                            str(ordinal),
                            "",
                            text.replace("\t", " "),
                            "40",
                            "0",
                            str(len(text)),
                            language,
                            vector,
                            "384",
                        ]
                    )
                    + "\n"
                )
            columns = (
                "id, tenant_id, corpus_id, document_id, generation, ordinal, heading, text, token_count, "
                "char_start, char_end, language, embedding, embedding_dim"
            )
            # COPY cannot write a table under row-level security: into a scratch table, then INSERT
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS chunk_load (LIKE rag_chunk)")
            with conn.cursor().copy(f"COPY chunk_load ({columns}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            conn.execute(f"INSERT INTO rag_chunk ({columns}) SELECT {columns} FROM chunk_load")
            conn.execute("TRUNCATE chunk_load")
        conn.execute(
            f"UPDATE rag_chunk SET search_vector = to_tsvector({TS_CONFIG_SQL}, coalesce(heading, '') || ' ' || text)"
        )
        conn.execute("DROP INDEX IF EXISTS rag_chunk_lexeme_idx")  # built once, after the load
        conn.execute(
            "INSERT INTO rag_chunklexeme (tenant_id, chunk_id, lexeme) SELECT c.tenant_id, c.id, w.lexeme "
            "FROM rag_chunk c CROSS JOIN LATERAL unnest(tsvector_to_array(c.search_vector)) AS w(lexeme)"
        )
        conn.execute("CREATE INDEX rag_chunk_lexeme_idx ON rag_chunklexeme (tenant_id, lexeme, chunk_id)")
        started = time.perf_counter()
        conn.execute(
            "CREATE INDEX rag_chunk_hnsw_384 ON rag_chunk USING hnsw ((embedding::vector(384)) "
            "vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE embedding_dim = 384"
        )
        build = time.perf_counter() - started
        conn.execute("CREATE INDEX rag_chunk_search_vector ON rag_chunk USING gin (search_vector)")
        conn.execute("VACUUM ANALYZE rag_chunk")
        conn.execute("VACUUM ANALYZE rag_chunklexeme")
    print(f"- loaded {sum(size for _, size in tenants)} chunks; HNSW build {build:.0f} s")
    return corpora


def _on_cpu_ms(backend_pid: int) -> float:
    """CPU time so far of this thread plus the PostgreSQL backend serving it (Linux schedstat, ns):
    on a shared machine the wall time waits for the scheduler, this does not (what a query
    would take on an idle core; the embedded server runs on this machine)."""
    try:
        with open(f"/proc/{backend_pid}/schedstat") as handle:
            backend_ns = int(handle.read().split()[0])
    except OSError:
        return float("nan")
    return backend_ns / 1e6 + time.thread_time() * 1000


def measure(tenant_id: uuid.UUID, corpus_id: uuid.UUID, queries: list[str], ef_values: list[int]) -> list[str]:
    from django.db import connection
    from django.test import override_settings

    from melmastoon_ai.tenancy.context import tenant_context
    from melmastoon_ai.tenancy.models import Tenant
    from rag.chunking import detect_language
    from rag.models import Corpus
    from rag.selectors import _lexical_candidates, _vector_candidates, rag_search, vector_literal
    from routing.providers.deterministic.embeddings import embed_text

    embed_ms, vectors = [], []
    for query in queries:
        started = time.perf_counter()
        vectors.append(embed_text(query))
        embed_ms.append((time.perf_counter() - started) * 1000)
    sql = (
        "SELECT id FROM (SELECT c.id, c.embedding::vector(384) <=> %s::vector(384) AS d FROM rag_chunk c "
        "WHERE c.tenant_id = %s AND c.embedding_dim = 384 AND (c.corpus_id = %s AND c.generation = 1) "
        "ORDER BY c.embedding::vector(384) <=> %s::vector(384) LIMIT 10) s ORDER BY d"
    )
    exact = []
    with tenant_context(tenant_id), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        for vector in vectors:
            literal = vector_literal(vector)
            cursor.execute(sql, [literal, tenant_id, corpus_id, literal])
            exact.append({row[0] for row in cursor.fetchall()})
        cursor.execute("SET LOCAL enable_indexscan = on")
        cursor.execute("SET LOCAL enable_bitmapscan = on")
        cursor.execute("EXPLAIN " + sql, [vector_literal(vectors[0]), tenant_id, corpus_id, vector_literal(vectors[0])])
        natural_plan = "hnsw" if "rag_chunk_hnsw_384" in "\n".join(r[0] for r in cursor.fetchall()) else "b-tree + sort"
    corpus = Corpus(id=corpus_id, generation=1)
    lines = [
        f"  - plan PostgreSQL picks unforced: {natural_plan}; query embedding (deterministic) median "
        f"{statistics.median(embed_ms):.2f} ms, reported apart",
        "",
        "  | ef_search | recall@10 | vector p50 ms | vector p95 ms | hybrid p50 ms | hybrid p95 ms "
        "| hybrid CPU p50 ms | hybrid CPU p95 ms | rag_search p50 ms | rag_search p95 ms |",
        "  | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    tenant = Tenant.objects.get(pk=tenant_id)
    for ef in ef_values:
        recalls, vector_ms, hybrid_ms, search_ms, hybrid_cpu_ms = [], [], [], [], []
        for rounds in range(2):  # the first round warms the cache; the second is measured
            recalls, vector_ms, hybrid_ms, search_ms, hybrid_cpu_ms = [], [], [], [], []
            with override_settings(RAG_EF_SEARCH={"default": ef}):
                for query in queries:  # the whole selector: transactions, both sides, fusion, passages
                    started = time.perf_counter()
                    rag_search(tenant=tenant, query=query, corpora=[corpus_id], k=8)
                    search_ms.append((time.perf_counter() - started) * 1000)
            for query, vector, truth in zip(queries, vectors, exact, strict=True):
                with tenant_context(tenant_id), connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL hnsw.ef_search = {ef}")
                    cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                    cursor.execute("SET LOCAL enable_sort = off")  # the HNSW plan, as for a large tenant
                    started = time.perf_counter()
                    found = _vector_candidates(cursor, tenant_id, [corpus], vector, 10)
                    vector_ms.append((time.perf_counter() - started) * 1000)
                    cursor.execute("SET LOCAL enable_sort = on")
                    cursor.execute("SELECT pg_backend_pid()")
                    backend = cursor.fetchone()[0]
                    started, cpu_started = time.perf_counter(), _on_cpu_ms(backend)
                    _vector_candidates(cursor, tenant_id, [corpus], vector, 40)
                    _lexical_candidates(cursor, tenant_id, [corpus], query, detect_language(query), 40)
                    hybrid_ms.append((time.perf_counter() - started) * 1000)
                    hybrid_cpu_ms.append(_on_cpu_ms(backend) - cpu_started)
                # the minimum similarity may drop some: recall is of the top 10 the index returns
                recalls.append(len({uuid.UUID(chunk_id) for chunk_id, _ in found} & truth) / max(1, len(truth)))
            del rounds
        lines.append(
            f"  | {ef} | {statistics.mean(recalls):.3f} | {statistics.median(vector_ms):.1f} | "
            f"{_percentile(vector_ms, 0.95):.1f} | {statistics.median(hybrid_ms):.1f} | "
            f"{_percentile(hybrid_ms, 0.95):.1f} | {statistics.median(hybrid_cpu_ms):.1f} | "
            f"{_percentile(hybrid_cpu_ms, 0.95):.1f} | {statistics.median(search_ms):.1f} | "
            f"{_percentile(search_ms, 0.95):.1f} |"
        )
    return lines


def ingestion(env_dir: Path, chunks_target: int, model: str = "all-minilm-l6-v2", runs: int = 1) -> list[str]:
    """Chunks (and model tokens) per second of `document_ingest` with `model` (default the edge
    MiniLM; the deterministic embedder measures everything but the model), cache cold: each run
    is a new tenant, so nothing comes from the embedding cache. Median of `runs`."""
    from manifests import building
    from melmastoon_ai.tenancy.context import tenant_context
    from melmastoon_ai.tenancy.models import Tenant
    from rag.models import Chunk
    from rag.services import corpus_create, document_ingest, document_submit

    if model == "all-minilm-l6-v2":
        building.edge_models_build()
        from manifests.services import manifest_publish

        manifest_publish(actor="bench")
    rng = random.Random(5)
    sections = []
    for number in range(chunks_target // 2):
        sections.append(f"## Policy {number}\n\n" + " ".join(_passage(rng)[1] for _ in range(4)))
    document = "# House rules\n\n" + "\n\n".join(sections)
    seconds_of_runs, rss_growth, chunks, tokens = [], [], 0, []
    for run in range(runs):
        tenant = Tenant.objects.create(name=f"bench-ingest-{model}-{run}", region="europe-west1", country="TR")
        with tenant_context(tenant.id):
            corpus = corpus_create(tenant=tenant, name="bench", embedding_model=model)
            submitted = document_submit(
                tenant=tenant,
                corpus=corpus,
                data=document.encode(),
                media_type="text/markdown",
                title="rules.md",
                source_key="rules.md",
                enqueue=False,
            )
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = document_ingest(document_id=str(submitted.document.id), tenant_id=str(tenant.id))
        seconds_of_runs.append(time.perf_counter() - started)
        rss_growth.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before)
        chunks = result.chunks
        with tenant_context(tenant.id):
            tokens = list(Chunk.objects.filter(tenant_id=tenant.id).values_list("token_count", flat=True))
    seconds = statistics.median(seconds_of_runs)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    threads = os.environ.get("EDGE_ONNX_THREADS", "1")
    return [
        f"- ingestion with {model} (EDGE_ONNX_THREADS={threads}, RAG_EMBED_BATCH=64, cold cache, median of "
        f"{runs} runs {', '.join(f'{value:.1f}' for value in seconds_of_runs)} s): {chunks} chunks "
        f"({len(document.encode()) / 1024:.0f} KiB Markdown; chunk tokens median "
        f"{statistics.median(tokens):.0f}, max {max(tokens)}, total {sum(tokens)}) in {seconds:.1f} s = "
        f"**{chunks / seconds:.0f} chunks/s**, {sum(tokens) / seconds:.0f} tokens/s; peak RSS "
        f"{rss_after / 1024:.0f} MiB (+{rss_growth[0] / 1024:.0f} MiB during the first ingest); load average "
        f"{os.getloadavg()[0]:.1f}"
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--ef", default="10,20,40,80,100,200")
    parser.add_argument("--ingest-chunks", type=int, default=600)
    parser.add_argument(
        "--ingest-models",
        default="all-minilm-l6-v2",
        help="comma-separated: all-minilm-l6-v2, deterministic-ngram-hash-384",
    )
    parser.add_argument("--ingest-runs", type=int, default=3, help="ingestions per model (median reported)")
    parser.add_argument("--only-ingest", action="store_true", help="skip the search measurements")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="mlm-bench-rag-"))
    with infrastructure() as env:
        os.environ.update(
            env,
            EDGE_MODEL_DIR=str(workdir / "edge-models"),
            MANIFEST_LOCAL_KEY_DIR=str(workdir / "keys"),
            MANIFEST_SIGNER="local",
        )
        import django

        django.setup()
        from melmastoon_ai.tenancy.models import Tenant

        if not args.only_ingest:
            big = Tenant.objects.create(name="bench-big", region="europe-west1", country="TR").id
            smalls = [
                Tenant.objects.create(name=f"bench-{n}", region="europe-west1", country="TR").id
                for n in range(args.tenants)
            ]
            corpora = load(env["MIGRATION_DATABASE_URL"], [(big, args.big), *[(t, args.small) for t in smalls]])
            rng = random.Random(99)
            queries = [_sentence(rng)[1] for _ in range(args.queries)]
            ef_values = [int(value) for value in args.ef.split(",")]
            print(
                f"- tenant of {args.big} chunks, beside {args.tenants} tenants of {args.small} "
                f"({args.big + args.tenants * args.small} rows in rag_chunk), {args.queries} queries:"
            )
            for line in measure(big, corpora[big], queries, ef_values):
                print(line)
            print(f"- one of the {args.tenants} tenants of {args.small} chunks:")
            for line in measure(smalls[0], corpora[smalls[0]], queries, ef_values):
                print(line)
        if args.ingest_chunks:
            for model in args.ingest_models.split(","):
                for line in ingestion(workdir, args.ingest_chunks, model, args.ingest_runs):
                    print(line)


if __name__ == "__main__":
    main()

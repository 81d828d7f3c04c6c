"""The /rag surface: corpora and document uploads (scope ai:admin of the hotel), search (ai:invoke)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from melmastoon_ai.api import ProviderCallingAPIView, TenantAPIView
from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.fields import StrictCharField, StrictIntegerField
from melmastoon_ai.parsers import BoundedJSONParser
from melmastoon_ai.ratelimit import RateLimiter
from rag import parsing
from rag.models import Chunk, Corpus, Document
from rag.selectors import MAX_K, rag_search
from rag.services import DocumentTooLarge, UnsupportedMediaType, corpus_create, corpus_for, document_submit


class StrictUUIDField(serializers.UUIDField):
    """A UUID given as a string (DRF's own also takes an integer, and a bool as one)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class CorpusInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    kind = serializers.ChoiceField(choices=Corpus.Kind.values, default=Corpus.Kind.OTHER)
    embedding_model = StrictCharField(max_length=100, required=False, allow_blank=True, default="")


class CorpusSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = StrictCharField()
    kind = StrictCharField()
    embedding_model = StrictCharField(source="embedding_version")
    status = StrictCharField()
    documents = serializers.IntegerField(source="document_count", default=0)
    chunks = serializers.IntegerField(source="chunk_count", default=0)


class DocumentJsonInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=500)
    text = StrictCharField(trim_whitespace=False)
    media_type = StrictCharField(max_length=100, default="text/plain")
    source_uri = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")
    language = StrictCharField(max_length=16, required=False, allow_blank=True, default="")


class DocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    corpus_id = serializers.UUIDField()
    title = StrictCharField()
    media_type = StrictCharField()
    sha256 = StrictCharField()
    version = serializers.IntegerField()
    status = StrictCharField()
    chunks = serializers.IntegerField()
    error = StrictCharField(required=False)


class SearchInputSerializer(serializers.Serializer):
    query = StrictCharField(max_length=2000)
    corpora = serializers.ListField(child=StrictUUIDField(), required=False, max_length=50)
    k = StrictIntegerField(min_value=1, max_value=MAX_K, default=8)
    locale = StrictCharField(max_length=16, required=False, allow_blank=True, default="")


class SearchOutputSerializer(serializers.Serializer):
    hits = serializers.ListField(child=serializers.DictField())
    provenance = serializers.DictField()


def _document_body(document: Document, chunks: int | None = None) -> dict:
    if chunks is None:
        chunks = Chunk.objects.filter(tenant_id=document.tenant_id, document_id=document.id).count()
    body = {
        "id": str(document.id),
        "corpus_id": str(document.corpus_id),
        "title": document.title,
        "media_type": document.media_type,
        "sha256": document.sha256,
        "version": document.version,
        "status": document.status,
        "chunks": chunks,
    }
    if document.status == Document.Status.FAILED:
        body["error"] = document.failure_reason
    return body


class CorpusListApi(TenantAPIView):
    required_scope = "ai:admin"

    @extend_schema(responses=CorpusSerializer(many=True), operation_id="rag_corpora_list")
    def get(self, request):
        tenant_id = self.principal.tenant_id
        corpora = list(Corpus.objects.filter(tenant_id=tenant_id).annotate(document_count=Count("documents")))
        chunks = dict(
            Chunk.objects.filter(tenant_id=tenant_id)
            .values("corpus_id")
            .annotate(n=Count("id"))
            .values_list("corpus_id", "n")
        )
        for corpus in corpora:
            corpus.chunk_count = chunks.get(corpus.id, 0)
        return Response(CorpusSerializer(corpora, many=True).data)

    @extend_schema(request=CorpusInputSerializer, responses={201: CorpusSerializer}, operation_id="rag_corpora_create")
    def post(self, request):
        data = CorpusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        corpus = corpus_create(tenant=self.principal.tenant, **data.validated_data)
        corpus.document_count = corpus.chunk_count = 0
        return Response(CorpusSerializer(corpus).data, status=201)


class DocumentUploadApi(TenantAPIView):
    """A multipart `file` (with optional `title`, `source_uri`, `language` fields), or JSON text.
    The same title (or file name) in the same corpus is the same document: the same bytes change
    nothing (200), new bytes are a new version (202), ingested by the Celery task."""

    required_scope = "ai:admin"
    parser_classes = [BoundedJSONParser, MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "title": {"type": "string"},
                    "source_uri": {"type": "string"},
                    "language": {"type": "string"},
                },
                "required": ["file"],
            },
            "application/json": DocumentJsonInputSerializer,
        },
        responses={202: DocumentSerializer, 200: DocumentSerializer},
        operation_id="rag_documents_create",
    )
    def post(self, request, corpus_id):
        corpus = corpus_for(tenant_id=self.principal.tenant_id, corpus_id=corpus_id)
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is not None:
            media_type = parsing.media_type_of(upload.content_type or "", upload.name or "")
            self._check_type(media_type)
            if upload.size > settings.RAG_MAX_DOCUMENT_BYTES:
                limit = settings.RAG_MAX_DOCUMENT_BYTES
                raise DocumentTooLarge(
                    f"the document is {upload.size} bytes; at most {limit}",
                    details={"bytes": upload.size, "limit": limit},
                )
            data = upload.read()
            title = str(request.data.get("title") or upload.name or "")[:500]
            source_uri, language = str(request.data.get("source_uri") or ""), str(request.data.get("language") or "")
        else:
            if request.content_type.startswith("multipart/"):
                raise ApplicationError("a multipart upload needs a `file` field")
            values = DocumentJsonInputSerializer(data=request.data)
            values.is_valid(raise_exception=True)
            media_type = parsing.media_type_of(values.validated_data["media_type"])
            self._check_type(media_type)
            data = values.validated_data["text"].encode()
            title, source_uri = values.validated_data["title"], values.validated_data["source_uri"]
            language = values.validated_data["language"]
        submitted = document_submit(
            tenant=self.principal.tenant,
            corpus=corpus,
            data=data,
            media_type=media_type,
            title=title,
            source_key=title,
            source_uri=source_uri,
            language=language,
        )
        return Response(_document_body(submitted.document), status=202 if submitted.changed else 200)

    @staticmethod
    def _check_type(media_type: str) -> None:
        if media_type not in parsing.SUPPORTED_MEDIA_TYPES or media_type == parsing.FAQ_MEDIA_TYPE:
            raise UnsupportedMediaType(
                f"{media_type or 'no media type'} is not supported",
                details={
                    "media_type": media_type,
                    "supported": sorted(set(parsing.SUPPORTED_MEDIA_TYPES) - {parsing.FAQ_MEDIA_TYPE}),
                },
            )


class DocumentDetailApi(TenantAPIView):
    required_scope = "ai:admin"

    def _document(self, document_id) -> Document:
        document = Document.objects.filter(tenant_id=self.principal.tenant_id, pk=document_id).first()
        if document is None:
            raise NotFound("No such document.")
        return document

    @extend_schema(responses=DocumentSerializer, operation_id="rag_documents_retrieve")
    def get(self, request, document_id):
        return Response(_document_body(self._document(document_id)))

    @extend_schema(responses={204: None}, operation_id="rag_documents_destroy")
    def delete(self, request, document_id):
        self._document(document_id).delete()  # its chunks go with it (ON DELETE CASCADE)
        return Response(status=204)


class SearchApi(ProviderCallingAPIView):
    """Hybrid search of the caller's corpora: hits with citations and the retrieval's provenance."""

    required_scope = "ai:invoke"

    @extend_schema(request=SearchInputSerializer, responses=SearchOutputSerializer, operation_id="rag_search")
    def post(self, request):
        data = SearchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        tenant = self.principal.tenant
        decision = RateLimiter().hit(
            tenant_id=str(tenant.id), feature="rag.search", per_minute=tenant.rate_limit_per_minute
        )
        if not decision.allowed:
            raise ApplicationError(
                "Rate limit reached.",
                status=429,
                code="rate_limited",
                headers={"Retry-After": str(decision.retry_after_seconds)},
                details={"feature": "rag.search", "bucket": decision.bucket},
            )
        result = rag_search(
            tenant=tenant,
            query=values["query"],
            corpora=values.get("corpora"),
            k=values["k"],
            use_case="api",
            locale=values["locale"],
        )
        provenance = {
            "tenant_id": str(tenant.id),
            "request_id": request.request_id,
            "retrieval": result.provenance(),
            "created_at": timezone.now().isoformat(),
        }
        return Response({"hits": [hit.as_dict() for hit in result.hits], "provenance": provenance})

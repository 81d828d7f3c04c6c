from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

import guardrails
from capabilities.async_inference import async_inference_submit, async_status_body, prefers_async
from capabilities.embedding import embed_request
from capabilities.errors import CapabilityUnknown
from capabilities.hashing import sha256_of
from capabilities.models import AsyncInference, InferenceRecord
from capabilities.pipeline import CacheDirectives, CompletionRequest, check_rate_limit, circuit_breakers, complete
from capabilities.recording import response_body
from capabilities.replay import inference_replay, replay_tenant
from capabilities.selectors import capability_get, capability_list
from capabilities.serializers import CapabilityDetailSerializer, CapabilitySummarySerializer
from capabilities.serializers_inference import (
    AsyncInferenceSerializer,
    CompletionContextSerializer,
    CompletionInputSerializer,
    CompletionOutputSerializer,
    EmbedInputSerializer,
    EmbedOutputSerializer,
    InferenceDetailSerializer,
    ModerateInputSerializer,
    ModerateOutputSerializer,
    ReplayOutputSerializer,
)
from capabilities.snapshot import registry_snapshot
from capabilities.sse import EventStreamRenderer, event_stream_response, frame, wants_event_stream
from capabilities.streaming import stream_open
from hitl.models import HitlGate
from hitl.services import gate_summary
from melmastoon_ai.api import ProviderCallingAPIView, TenantAPIView
from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.tenancy.report_scope import report_scope


class CapabilityListApi(TenantAPIView):
    required_scope = "ai:invoke"

    @extend_schema(responses=CapabilitySummarySerializer(many=True), operation_id="capabilities_list")
    def get(self, request):
        return Response(CapabilitySummarySerializer(capability_list(), many=True).data)


class CapabilityDetailApi(TenantAPIView):
    required_scope = "ai:invoke"

    @extend_schema(responses=CapabilityDetailSerializer, operation_id="capabilities_retrieve")
    def get(self, request, capability_id: str):
        spec = capability_get(capability_id=capability_id)
        if spec is None:
            raise CapabilityUnknown(f"No capability {capability_id!r}.", details={"capability": capability_id})
        return Response(CapabilityDetailSerializer(spec).data)


class CompleteApi(ProviderCallingAPIView):
    """Invoke a capability: the whole request path of ARCHITECTURE.md; streamed as Server-Sent
    Events with `Accept: text/event-stream` or `"stream": true` (capabilities/streaming.py)."""

    required_scope = "ai:invoke"
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        request=CompletionInputSerializer,
        responses={
            (200, "application/json"): CompletionOutputSerializer,
            (200, "text/event-stream"): OpenApiTypes.STR,
            (202, "application/json"): AsyncInferenceSerializer,
        },
        operation_id="complete",
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False),
            OpenApiParameter(
                "Cache-Control",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="`no-cache` skips the response-cache read for this request; "
                "`no-store` also keeps the answer out of the cache",
            ),
            OpenApiParameter(
                "Prefer",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description='`respond-async`: 202 `{"id", "status": "pending"}` at '
                "once; the answer is `GET /api/v1/ai/inferences/{id}`",
            ),
        ],
    )
    def post(self, request):
        data = CompletionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        completion = completion_request(request, values)
        streamed = values.get("stream") or wants_event_stream(request.headers.get("Accept", ""))
        if prefers_async(request.headers.get("Prefer", "")):
            if streamed:
                raise ApplicationError("Prefer: respond-async cannot be combined with a streamed answer.")
            row = async_inference_submit(completion=completion, tenant=self.principal.tenant)
            response = Response(async_status_body(row), status=202)
            response["Location"] = f"/api/v1/ai/inferences/{row.id}"
            response["Preference-Applied"] = "respond-async"
            return response
        if streamed:
            stream = stream_open(completion, tenant=self.principal.tenant)
            response = event_stream_response(frame(event.data, event=event.kind) for event in stream.events())
            if stream.replay is not None:
                response["Idempotent-Replayed"] = "true"
            return response
        outcome = complete(completion, tenant=self.principal.tenant)
        response = Response(outcome.body, status=outcome.status)
        if outcome.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        """An error before a stream starts is the JSON error envelope, whatever the Accept header."""
        if isinstance(response, Response) and isinstance(
            getattr(request, "accepted_renderer", None), EventStreamRenderer
        ):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


def completion_request(request, values: dict) -> CompletionRequest:
    """The pipeline's request from a validated /complete body and its headers."""
    completion = CompletionRequest(
        capability=values["capability"],
        input=values["input"],
        context=dict(values.get("context") or CompletionContextSerializer({}).data),
        request_id=request.request_id,
        idempotency_key=request.headers.get("Idempotency-Key") or None,
        **cache_directives(request.headers.get("Cache-Control", "")),
    )
    if completion.idempotency_key and len(completion.idempotency_key) > 200:
        raise ApplicationError("Idempotency-Key is longer than 200 characters.")
    return completion


def cache_directives(header: str) -> CacheDirectives:
    """`Cache-Control` request directives that bear on the response cache (RFC 9111 §5.2.1)."""
    directives = {part.strip().split("=", 1)[0].lower() for part in header.split(",") if part.strip()}
    no_store = "no-store" in directives
    return {"no_cache": no_store or "no-cache" in directives, "no_store": no_store}


class InferenceDetailApi(TenantAPIView):
    required_scope = ("ai:invoke", "ai:admin")

    @extend_schema(
        responses=PolymorphicProxySerializer(
            component_name="InferenceOrAccepted",
            resource_type_field_name=None,
            serializers=[InferenceDetailSerializer, AsyncInferenceSerializer],
        ),
        operation_id="inferences_retrieve",
        parameters=[
            OpenApiParameter("tenant", str, description="platform operator only: the record's tenant id (audited)")
        ],
    )
    def get(self, request, inference_id):
        scope = report_scope(request, self.principal)
        if scope.tenant_ids is None:
            raise ApplicationError("tenant names one tenant here.", details={"tenant": "all"})
        tenant_id = scope.tenant_ids[0]
        with scope.reading():
            record = InferenceRecord.objects.filter(tenant_id=tenant_id, pk=inference_id).first()
            if record is not None:
                gate = HitlGate.objects.filter(tenant_id=tenant_id, inference_id=record.id).first()
                return Response(response_body(record, gate_summary(gate) if gate else None) | {"status": "completed"})
            accepted = AsyncInference.objects.filter(tenant_id=tenant_id, pk=inference_id).first()
        if accepted is None:  # nor a request accepted with Prefer: respond-async
            raise NotFound("No such inference.")
        return Response(async_status_body(accepted))


class InferenceReplayApi(ProviderCallingAPIView):
    """Re-run a stored inference as it was (capabilities/replay.py): its tenant's ai:admin, or the
    platform operator's for any tenant (audited)."""

    required_scope = "ai:admin"

    @extend_schema(request=None, responses=ReplayOutputSerializer, operation_id="inferences_replay")
    def post(self, request, inference_id):
        tenant = replay_tenant(
            caller=self.principal.tenant,
            inference_id=inference_id,
            actor=f"{self.principal.kind}:{self.principal.credential_id}",
        )
        report = inference_replay(tenant=tenant, inference_id=inference_id, request_id=request.request_id)
        return Response(report.as_dict())


def _provenance(view: TenantAPIView, request, **fields) -> dict:
    """Who asked, which request, when: the provenance every answer of these endpoints carries."""
    return {
        "tenant_id": str(view.principal.tenant_id),
        "request_id": request.request_id,
        **fields,
        "created_at": timezone.now().isoformat(),
    }


class EmbedApi(ProviderCallingAPIView):
    required_scope = "ai:invoke"

    @extend_schema(request=EmbedInputSerializer, responses=EmbedOutputSerializer, operation_id="embed")
    def post(self, request):
        data = EmbedInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        texts = data.validated_data["texts"]
        feature = str((data.validated_data.get("context") or {}).get("feature") or "embed")
        call = embed_request(tenant=self.principal.tenant, texts=texts, feature=feature, breakers=circuit_breakers())
        result = call.embeddings
        provenance = _provenance(
            self,
            request,
            provider=result.provider,
            model=result.model,
            degraded=result.degraded,
            attempts=result.attempts,
            safety={"pii_redactions": result.pii_redactions},
            input_hash=sha256_of(texts),
            tokens={"input": call.tokens, "output": 0},
            cost_usd=f"{call.cost_usd:.6f}",
        )
        return Response(
            {"model": result.model, "dim": result.dim, "embeddings": result.vectors, "provenance": provenance}
        )


class ModerateApi(ProviderCallingAPIView):
    required_scope = "ai:invoke"

    @extend_schema(request=ModerateInputSerializer, responses=ModerateOutputSerializer, operation_id="moderate")
    def post(self, request):
        data = ModerateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check_rate_limit(
            self.principal.tenant, str((data.validated_data.get("context") or {}).get("feature") or "moderate")
        )
        verdict = guardrails.moderate_output(
            {"text": data.validated_data["text"]},
            locale=data.validated_data["locale"],
            country=self.principal.tenant.country or None,
        )
        categories = {
            name: {"score": round(score.score, 4), "flagged": score.flagged, "review": score.review}
            for name, score in verdict.categories.items()
        }
        provenance = _provenance(self, request, moderators=list(verdict.moderators))
        return Response({"verdict": verdict.verdict, "categories": categories, "provenance": provenance})


class RegistrySnapshotApi(TenantAPIView):
    """What the desktop needs offline: the catalog, the prompt versions this tenant is served, its
    FAQ and the manifest version (capabilities/snapshot.py)."""

    required_scope = "ai:invoke"

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="registry_snapshot")
    def get(self, request):
        return Response(registry_snapshot(tenant_id=self.principal.tenant_id))

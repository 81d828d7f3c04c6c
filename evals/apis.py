"""Admin API for eval runs (scope ai:admin): start one, follow its progress and read its result;
and eval-gated promotion of a prompt version (with its check), on the prompt registry's paths.

Runs are platform-level (like prompts): any ai:admin credential may start and read them; the
inferences they make belong to the platform's eval tenant, never to the caller's tenant.
"""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from evals.models import EvalRun
from evals.services.promotion import check_promotion, prompt_version_promote
from evals.services.runs import eval_run_create
from evals.services.shadow import eval_shadow_run_create
from melmastoon_ai.api import PlatformAdminAPIView
from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.fields import StrictCharField
from prompts.apis import transition_api, version_by_label

FAILING_CASES_SHOWN = 50


class FailingCaseSerializer(serializers.Serializer):
    case = serializers.CharField()
    failures = serializers.ListField(child=serializers.CharField())


class EvalRunSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    suite = serializers.CharField(source="suite.key")
    capability = serializers.CharField(source="suite.capability_id")
    prompt_version = serializers.CharField(allow_null=True)
    model = serializers.CharField(source="model_name", allow_blank=True)
    purpose = serializers.CharField()
    status = serializers.CharField()
    verdict = serializers.CharField(allow_blank=True)
    cases_total = serializers.IntegerField()
    cases_done = serializers.IntegerField()
    cases_failed = serializers.IntegerField()
    metrics = serializers.DictField(child=serializers.FloatField())
    thresholds = serializers.DictField(child=serializers.DictField(child=serializers.FloatField()))
    notes = serializers.CharField(allow_blank=True)
    error = serializers.CharField(allow_blank=True)
    failing_cases = FailingCaseSerializer(many=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


def run_representation(run: EvalRun) -> dict:
    results = run.results.select_related("case")
    failing = results.filter(passed=False).order_by("case__key")
    return {
        "id": run.id,
        "suite": run.suite,
        "prompt_version": run.prompt_version.label if run.prompt_version else None,
        "model_name": run.model_name,
        "purpose": run.purpose,
        "status": run.status,
        "verdict": run.verdict,
        "cases_total": run.cases_total,
        "cases_done": results.count(),
        "cases_failed": failing.count(),
        "metrics": run.metrics,
        "thresholds": run.thresholds,
        "notes": run.notes,
        "error": run.error,
        "failing_cases": [
            {
                "case": result.case.key if result.case else f"inference:{result.replayed_inference_id}",
                "failures": result.failures,
            }
            for result in failing[:FAILING_CASES_SHOWN]
        ],
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


class EvalRunListApi(PlatformAdminAPIView):
    class EvalRunStartInputSerializer(serializers.Serializer):
        suite = StrictCharField(max_length=64, help_text="the suite key, e.g. EVAL_PRICING_001")
        prompt_version = StrictCharField(
            max_length=32,
            required=False,
            allow_null=True,
            default=None,
            help_text="a version of the capability's prompt; default: the active one",
        )
        model = StrictCharField(
            max_length=100,
            required=False,
            allow_blank=True,
            default="",
            help_text="evaluate this model alone (then the deterministic fallback)",
        )
        shadow_sample_size = serializers.IntegerField(
            required=False,
            allow_null=True,
            default=None,
            min_value=1,
            max_value=500,
            help_text="a shadow run instead: replay this many of the last 7 days' production inferences with "
            "`prompt_version` (required then), scored against the answers served",
        )

    @extend_schema(
        request=EvalRunStartInputSerializer, responses={202: EvalRunSerializer}, operation_id="eval_runs_create"
    )
    def post(self, request):
        data = self.EvalRunStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["shadow_sample_size"] is not None:
            return self._shadow(data.validated_data)
        run = eval_run_create(
            suite_key=data.validated_data["suite"],
            prompt_version=data.validated_data["prompt_version"],
            model_name=data.validated_data["model"],
            started_by=f"api:{self.principal.tenant_id}",
        )
        return Response(EvalRunSerializer(run_representation(run)).data, status=status.HTTP_202_ACCEPTED)

    def _shadow(self, values: dict) -> Response:
        if not values["prompt_version"] or values["model"]:
            raise ApplicationError(
                "a shadow run replays a candidate `prompt_version` on the models production used; "
                "give the version and no `model`",
                details={"field": "prompt_version"},
            )
        run = eval_shadow_run_create(
            suite_key=values["suite"],
            prompt_version=values["prompt_version"],
            sample_size=values["shadow_sample_size"],
            started_by=f"api:{self.principal.tenant_id}",
        )
        return Response(EvalRunSerializer(run_representation(run)).data, status=status.HTTP_202_ACCEPTED)


class EvalRunDetailApi(PlatformAdminAPIView):
    @extend_schema(responses=EvalRunSerializer, operation_id="eval_runs_retrieve")
    def get(self, request, run_id: str):
        try:
            key = uuid.UUID(run_id)
        except ValueError:
            key = None
        run = EvalRun.objects.select_related("suite", "prompt_version__prompt").filter(pk=key).first() if key else None
        if run is None:
            raise NotFound(f"no eval run {run_id}")
        return Response(EvalRunSerializer(run_representation(run)).data)


class PromotionGateSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    comparisons = serializers.ListField(child=serializers.DictField())


PromptVersionPromoteApi = transition_api(prompt_version_promote, "prompt_version_promote")


class PromptVersionPromotionCheckApi(PlatformAdminAPIView):
    @extend_schema(responses=PromotionGateSerializer, operation_id="prompt_version_promotion_check")
    def get(self, request, key: str, version: str):
        decision = check_promotion(version_by_label(key, version))
        return Response(
            {
                "allowed": decision.allowed,
                "reasons": decision.reasons,
                "comparisons": [row.__dict__ for row in decision.comparisons],
            }
        )
